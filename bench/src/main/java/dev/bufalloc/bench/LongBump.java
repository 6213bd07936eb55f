package dev.bufalloc.bench;

/**
 * The limit: a hand-written bump allocator that hands out {@code long} offsets into a region the
 * caller owns. No segment object, no thread check, no fallback, no statistics: what any allocator
 * returning a {@code MemorySegment} pays on top of this is its overhead.
 */
final class LongBump {

    private final long capacity;
    private long used;

    /** @param capacity the size of the region the offsets point into */
    LongBump(long capacity) {
        this.capacity = capacity;
    }

    /**
     * Returns the offset of {@code byteSize} bytes aligned to {@code byteAlignment} (a power of two;
     * the region is assumed aligned to at least that).
     *
     * @throws IndexOutOfBoundsException if the region is full
     */
    long allocate(long byteSize, long byteAlignment) {
        long start = (used + byteAlignment - 1) & -byteAlignment;
        if (byteSize > capacity - start) {
            throw new IndexOutOfBoundsException("LongBump full: " + byteSize + " bytes at " + start + " of " + capacity);
        }
        used = start + byteSize;
        return start;
    }

    /** Makes the whole region free again. */
    void reset() {
        used = 0;
    }
}
