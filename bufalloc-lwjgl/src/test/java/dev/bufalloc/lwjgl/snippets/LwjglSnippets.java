package dev.bufalloc.lwjgl.snippets;

import dev.bufalloc.lwjgl.BufallocStack;

import org.lwjgl.system.ffm.FFM;
import org.lwjgl.system.ffm.FFMCharset;

import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandles;

/**
 * The snippets of the Javadoc of module {@code dev.bufalloc.lwjgl}, compiled with the tests and run by
 * {@link LwjglSnippetsTest}, as the core keeps its own in {@code dev.bufalloc.snippets}. The Javadoc shows
 * each region ({@code @start region="..."} to {@code @end}) as it is here.
 */
final class LwjglSnippets {

    private LwjglSnippets() {}

    // @start region="BufallocStack"
    @FFMCharset(FFMCharset.Type.UTF8)                  // C strings in UTF-8 (LWJGL's default: ISO-8859-1)
    interface LibC {                                   // C's strlen, bound by LWJGL's FFM generator:
        long strlen(BufallocStack stack, String s);    // the binding marshals s with the stack
    }

    static final LibC LIBC = FFM.ffmGenerate(LibC.class, FFM.ffmConfigBuilder(MethodHandles.lookup())
            .withSymbolLookup(Linker.nativeLinker().defaultLookup()).build());

    static long length(String text) {
        BufallocStack stack = BufallocStack.ofScratch();   // confined to this thread: one per thread
        return LIBC.strlen(stack, text);   // push, text into scratch (malloc if it does not fit), strlen, pop
    }
    // @end
}
