package dev.bufalloc.examples;

import dev.bufalloc.BufferAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Calls C's {@code strlen} on Java strings. Each string is marshalled to a NUL-terminated UTF-8
 * C string in a 256-byte native buffer, through a {@link BufferAllocator}: no {@code malloc}, no
 * new {@code Arena} per call. After each call {@link BufferAllocator#reset()} makes the whole
 * buffer free again, so every string starts at the buffer's first byte.
 */
public final class StrlenExample {

    /** The strings measured: {@code strlen} counts UTF-8 bytes, not Java chars. */
    static final List<String> WORDS = List.of("", "hello", "bufalloc", "Grüße", "日本語");

    /** {@code size_t strlen(const char *s)}; {@code size_t} is a {@code long} on 64-bit platforms. */
    private static final MethodHandle STRLEN = C.downcall("strlen", FunctionDescriptor.of(JAVA_LONG, ADDRESS));

    private StrlenExample() {}

    public static void main(String[] args) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(256);
            try (BufferAllocator scratch = BufferAllocator.of(buffer)) {
                for (String word : WORDS) {
                    MemorySegment cString = scratch.allocateFrom(word);   // UTF-8 and a NUL, in the buffer
                    long length = (long) STRLEN.invokeExact(cString);
                    System.out.printf("strlen(\"%s\") = %d (%d Java chars; C string at buffer offset %d, %d bytes)%n",
                            word, length, word.length(), cString.address() - buffer.address(), cString.byteSize());
                    scratch.reset();                                       // the whole buffer is free again
                }
                System.out.println("resets = " + scratch.statistics().resets()
                        + ", fallbacks = " + scratch.statistics().fallbackCount());
            }
        }
    }
}
