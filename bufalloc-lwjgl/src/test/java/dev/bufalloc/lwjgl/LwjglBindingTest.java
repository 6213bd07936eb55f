package dev.bufalloc.lwjgl;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.Scratch;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.Test;
import org.lwjgl.system.SegmentStack;
import org.lwjgl.system.ffm.FFM;
import org.lwjgl.system.ffm.FFMCharset;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real calls through LWJGL 3.4's FFM bindings: {@code FFM.ffmGenerate} binds C's {@code strlen} and
 * {@code strtol}, and the code it generates pushes a frame on the {@link BufallocStack} it is given, marshals
 * the Java string into it, calls C and pops the frame.
 */
@NoLeaks
class LwjglBindingTest {

    /**
     * The C library, bound by LWJGL's generator; the first parameter is the stack the arguments go to. Strings
     * are UTF-8 (LWJGL's default is ISO-8859-1).
     */
    @FFMCharset(FFMCharset.Type.UTF8)
    interface LibC {
        long strlen(BufallocStack stack, String s);

        long strlen(SegmentStack stack, String s);

        long strtol(BufallocStack stack, String s, MemorySegment endptr, int base);
    }

    private static final LibC LIBC = FFM.ffmGenerate(LibC.class, FFM.ffmConfigBuilder(MethodHandles.lookup())
            .withSymbolLookup(Linker.nativeLinker().defaultLookup()).build());

    @Test
    void strlenMarshalsItsStringIntoTheStackAndPops() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(256))) {
            BufallocStack stack = BufallocStack.of(allocator);
            assertThat(LIBC.strlen(stack, "hello")).isEqualTo(5);
            assertThat(LIBC.strlen(stack, "Grüße")).isEqualTo(7);   // UTF-8 bytes
            assertThat(stack.depth()).isZero();
            assertThat(allocator.usedBytes()).isZero();
            assertThat(allocator.statistics().peakDemand()).as("the string went to the buffer").isEqualTo(8);
            assertThat(allocator.statistics().fallbackCount()).isZero();
        }
    }

    @Test
    void aStringPastTheBufferFallsBackWhereSegmentStackRunsOutOfStackSpace() {
        String big = "x".repeat(100);
        try (SegmentStack lwjgl = SegmentStack.create(64)) {
            assertThatThrownBy(() -> LIBC.strlen(lwjgl, big)).isInstanceOf(OutOfMemoryError.class)
                    .hasMessage("Out of stack space.");
            lwjgl.push();   // the binding popped its frame; close() pops this one
        }
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
            BufallocStack stack = BufallocStack.of(allocator);
            assertThat(LIBC.strlen(stack, big)).isEqualTo(100);
            assertThat(allocator.statistics().fallbackCount()).isOne();
            assertThat(allocator.statistics().liveFallbackBlocks()).as("freed by the binding's pop").isZero();
        }
        BufallocStack scratch = BufallocStack.ofScratch();
        String huge = "y".repeat((int) Scratch.bufferSize() * 2);
        assertThat(LIBC.strlen(scratch, huge)).isEqualTo(huge.length());
        assertThat(LIBC.strlen(BufallocStack.ofScopedScratch(), huge)).isEqualTo(huge.length());
    }

    @Test
    void aBindingNestsInAFrameTheCallerHoldsAndLeavesItOpen() {
        BufallocStack stack = BufallocStack.ofScratch();
        try (BufallocStack frame = stack.push()) {
            // strtol writes where parsing stopped into *endptr: a pointer-sized slot in the caller's frame.
            MemorySegment endptr = frame.allocate(JAVA_LONG);
            assertThat(LIBC.strtol(stack, "1234 rest", endptr, 10)).isEqualTo(1234);
            assertThat(stack.depth()).isEqualTo(1);
            assertThat(endptr.get(JAVA_LONG, 0)).as("*endptr: an address in the binding's popped frame").isNotZero();
            assertThat(LIBC.strtol(stack, "ff", endptr, 16)).isEqualTo(255);
        }
        assertThat(stack.depth()).isZero();
    }

    @Test
    void aScopedStacksBindingWorksToo() {
        try (BufferAllocator allocator = BufferAllocator.of(Arena.ofAuto().allocate(128))) {
            BufallocStack stack = BufallocStack.ofScoped(allocator);
            for (int i = 0; i < 1000; i++) {   // every call pushes and pops a frame with an Arena view
                assertThat(LIBC.strlen(stack, "call " + i)).isEqualTo(("call " + i).length());
            }
            assertThat(stack.depth()).isZero();
            assertThat(allocator.usedBytes()).isZero();
        }
    }

    @Test
    void aBindingOnAnotherThreadGetsWrongThreadExceptionBeforeCallingC() throws Exception {
        BufallocStack stack = BufallocStack.ofScratch();
        Throwable[] thrown = new Throwable[1];
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                LIBC.strlen(stack, "not mine");
            } catch (Throwable t) {
                thrown[0] = t;
            }
        });
        thread.join();
        assertThat(thrown[0]).isInstanceOf(WrongThreadException.class);
        assertThat(stack.depth()).isZero();
    }
}
