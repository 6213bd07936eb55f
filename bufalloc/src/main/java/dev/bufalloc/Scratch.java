package dev.bufalloc;

import dev.bufalloc.context.MallocAllocator;

import java.lang.foreign.Arena;
import java.util.Locale;

/**
 * Per-thread scratch memory, like LWJGL's {@code MemoryStack.stackPush()}: each thread, platform or
 * virtual, gets a buffer allocator of its own the first time it asks, and {@link #push()} opens a
 * {@link Frame} on it.
 *
 * {@snippet :
 * try (Frame frame = Scratch.push()) {
 *     MemorySegment path = frame.allocateFrom("/tmp/data");    // no malloc, no Arena
 *     int fd = (int) OPEN.invokeExact(path, 0);
 * }   // the bytes are free again for this thread's next frame
 * }
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Size:</b> each thread's buffer holds {@value #DEFAULT_SIZE} bytes, or what the system
 *       property {@value #SIZE_PROPERTY} says when the class is first used (bytes, or with a
 *       {@code k}/{@code m} suffix: {@code -Dbufalloc.scratch.size=256k}). With many virtual
 *       threads, each that uses scratch memory holds one buffer: size it accordingly.</li>
 *   <li><b>Full buffer:</b> requests that do not fit go to {@link MallocAllocator} and are freed
 *       when their frame closes; nothing fails for lack of room.</li>
 *   <li><b>Threads:</b> a thread's scratch allocator is confined to it; two threads never share a
 *       buffer. A frame must be closed on the thread that pushed it.</li>
 *   <li><b>Lifetime:</b> the buffer is native memory of an automatic arena: it is freed by the
 *       garbage collector after its thread ends.</li>
 *   <li><b>Alignment and zeroing</b> are those of {@link BufferAllocator}: any alignment, not zeroed.</li>
 * </ul>
 */
public final class Scratch {

    /** The system property that sets each thread's buffer size. */
    public static final String SIZE_PROPERTY = "bufalloc.scratch.size";
    /** The buffer size when the property is not set: 64 KiB. */
    public static final long DEFAULT_SIZE = 64 * 1024;

    private static final ThreadLocal<BufferAllocator> ALLOCATORS = ThreadLocal.withInitial(Scratch::newAllocator);

    private Scratch() {}

    /**
     * Opens a frame on this thread's scratch allocator.
     *
     * @return a new frame; close it on this thread, innermost first
     * @throws IllegalArgumentException if {@value #SIZE_PROPERTY} is not a valid size (first use on a thread)
     */
    public static Frame push() {
        return ALLOCATORS.get().push();
    }

    /**
     * Returns this thread's scratch allocator, for its statistics or to allocate outside a frame
     * (such blocks live until the thread's next {@code reset()}).
     *
     * @return the buffer allocator of this thread
     * @throws IllegalArgumentException if {@value #SIZE_PROPERTY} is not a valid size (first use on a thread)
     */
    public static BufferAllocator allocator() {
        return ALLOCATORS.get();
    }

    private static BufferAllocator newAllocator() {
        long size = parseSize(System.getProperty(SIZE_PROPERTY));
        return BufferAllocator.of(Arena.ofAuto().allocate(size, 16), MallocAllocator.instance());
    }

    /** Parses a size such as {@code 65536}, {@code 64k} or {@code 1m}; null gives the default. */
    static long parseSize(String text) {
        if (text == null) {
            return DEFAULT_SIZE;
        }
        String value = text.strip().toLowerCase(Locale.ROOT);
        long unit = value.endsWith("k") ? 1024 : value.endsWith("m") ? 1024 * 1024 : 1;
        try {
            long size = Math.multiplyExact(Long.parseLong(unit == 1 ? value : value.substring(0, value.length() - 1)), unit);
            if (size > 0) {
                return size;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below
        }
        throw new IllegalArgumentException("Invalid " + SIZE_PROPERTY + ": '" + text
                + "' (a positive number of bytes, optionally with k or m)");
    }
}
