package dev.bufalloc;

/**
 * A snapshot of a {@link BufferAllocator}'s numbers: how full it is, how big its buffer should
 * have been, and what went to the fallback.
 *
 * <p>To size a buffer, run a representative workload and read {@link #peakDemand()}: the most bytes
 * the workload needed at once, buffer and fallback together. It is an estimate, not a bound: it
 * does not count the alignment padding of fallback requests, and in a bigger buffer a block that
 * grows by moving (a dynamic array that is not the most recent block) leaves a hole behind it that
 * the fallback did not have. Round it up for slack, rerun the workload with the new size and check
 * that {@link #fallbackCount()} stays 0.
 *
 * <p>A record: a plain value, safe to pass between threads.
 *
 * {@snippet :
 * try (BufferAllocator scratch = BufferAllocator.of(Arena.global().allocate(4096))) {
 *     for (Request r : requests) {
 *         handle(r, scratch);
 *         scratch.reset();
 *     }
 *     BufferStatistics s = scratch.statistics();
 *     if (s.fallbackCount() > 0) {
 *         long suggested = Long.highestOneBit(s.peakDemand()) << 1;   // a power of two above the peak
 *         System.out.println("buffer too small: try " + suggested + " bytes");
 *     }
 * }
 * }
 *
 * @param capacity the buffer's size, in bytes
 * @param usedBytes bytes of the buffer in use now, alignment padding included
 * @param peakDemand the most bytes the allocator had to serve at once, between two resets, over its
 *        whole life: buffer bytes in use plus bytes served by the fallback since the last reset, less
 *        those of the newest fallback blocks given back (freed last-in first-out, or by a frame's close),
 *        which a bigger buffer would have rewound
 * @param fallbackCount allocations and reallocations the fallback served, over the allocator's life
 * @param fallbackBytes bytes the fallback served, over the allocator's life
 * @param liveFallbackBlocks fallback blocks not yet freed
 * @param liveFallbackBytes bytes of the fallback blocks not yet freed
 * @param inPlaceReallocations reallocations that grew or shrank the most recent block where it stood
 * @param copiedBytes bytes reallocations had to copy because a block moved
 * @param resets calls to {@link BufferAllocator#reset()}
 */
public record BufferStatistics(
        long capacity,
        long usedBytes,
        long peakDemand,
        long fallbackCount,
        long fallbackBytes,
        long liveFallbackBlocks,
        long liveFallbackBytes,
        long inPlaceReallocations,
        long copiedBytes,
        long resets) {

    /**
     * Returns the bytes of the buffer not in use.
     *
     * @return {@code capacity - usedBytes}
     */
    public long remainingBytes() {
        return capacity - usedBytes;
    }
}
