package dev.bufalloc;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The live blocks a buffer allocator took from its fallback, oldest first, so that each is freed
 * through the fallback exactly once: on {@code free}, when the frame it was allocated in closes, on
 * {@code reset()} or on {@code close()}.
 *
 * <p>Every block gets the next sequence number when it is added, so a frame can free exactly the
 * blocks added since it opened ({@link #mark()}, {@link #freeSince}) even after older blocks were
 * freed. Lookups scan from the newest block: freeing in reverse order of allocation is O(1).
 *
 * <p>Invariant: {@code segments[0, size)} are the live blocks and {@code sequences[0, size)} their
 * increasing sequence numbers; slots from {@code size} on hold null; {@code liveBytes} is the sum of the sizes.
 */
final class FallbackBlocks {

    // Parallel arrays, not a list of records: adding a block allocates nothing but its slot.
    private MemorySegment[] segments = new MemorySegment[4];
    private long[] sequences = new long[4];
    private int size;
    private long nextSequence;
    private long liveBytes;

    int size() {
        return size;
    }

    long liveBytes() {
        return liveBytes;
    }

    /** Returns the sequence number the next block will get: blocks added from now on are at or above it. */
    long mark() {
        return nextSequence;
    }

    void add(MemorySegment segment) {
        if (size == segments.length) {
            segments = Arrays.copyOf(segments, size * 2);
            sequences = Arrays.copyOf(sequences, size * 2);
        }
        segments[size] = segment;
        sequences[size] = nextSequence++;
        size++;
        liveBytes += segment.byteSize();
    }

    /** Returns the index of {@code segment} (the exact segment handed out, not a slice of it), or -1. */
    int indexOf(MemorySegment segment) {
        for (int i = size - 1; i >= 0; i--) {
            MemorySegment block = segments[i];
            // equals() compares where segments start, not their sizes.
            if (block.equals(segment) && block.byteSize() == segment.byteSize()) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Returns the index of {@code segment}, a live fallback block.
     *
     * @throws IllegalArgumentException if it is not one
     */
    int indexOfLive(MemorySegment segment) {
        int index = indexOf(segment);
        if (index < 0) {
            throw Buffers.notLive(segment);
        }
        return index;
    }

    /** Puts {@code segment} in the place of the block at {@code index}, which keeps its age. */
    void replace(int index, MemorySegment segment) {
        liveBytes += segment.byteSize() - segments[index].byteSize();
        segments[index] = segment;
    }

    void remove(int index) {
        liveBytes -= segments[index].byteSize();
        int after = size - index - 1;
        System.arraycopy(segments, index + 1, segments, index, after);
        System.arraycopy(sequences, index + 1, sequences, index, after);
        segments[--size] = null;
    }

    /** Returns whether the block at {@code index} is the newest live block. */
    boolean isNewest(int index) {
        return index == size - 1;
    }

    /** Returns the bytes of the live blocks added at or after {@code mark}. */
    long bytesSince(long mark) {
        long bytes = 0;
        for (int i = size - 1; i >= 0 && sequences[i] >= mark; i--) {
            bytes += segments[i].byteSize();
        }
        return bytes;
    }

    /**
     * Frees every block added at or after {@code mark} through {@code fallback}, newest first. Every
     * block is attempted and forgotten; the first exception or error is rethrown after all were tried.
     */
    void freeSince(long mark, Allocator fallback) {
        Throwable failure = null;
        for (int i = size - 1; i >= 0 && sequences[i] >= mark; i--) {
            try {
                fallback.free(segments[i]);
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else if (e != failure) {   // a fallback may throw one instance again and again
                    failure.addSuppressed(e);
                }
            }
            remove(i);
        }
        switch (failure) {
            case null -> { }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new AssertionError(failure);
        }
    }
}
