package dev.bufalloc;

/**
 * A snapshot of a {@link BufferAllocator}'s numbers: how full it is, how big its buffer should
 * have been, and what went to the fallback.
 *
 * <p>To size a buffer, run a representative workload and read {@link #peakDemand()}: the most bytes one
 * buffer big enough for everything would have had in use at once. Blocks the fallback served count as that
 * buffer would hold them: a block counts from its allocation until a reset, the close of its frame, or its
 * free while it is the newest block of the innermost frame, and a block that moves leaves its old bytes
 * behind, as in a buffer. The one thing it does not know is the alignment padding such blocks would need in
 * the buffer, at most their alignment minus one each. It neither drifts nor grows without bound under a
 * steady workload: frames and resets bring it back. Round it up for that padding, rerun the workload with
 * the new size and check that {@link #fallbackCount()} stays 0.
 *
 * <p>A record: a plain value, safe to pass between threads.
 *
 * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="BufferStatistics"}
 *
 * @param capacity the buffer's size, in bytes
 * @param usedBytes bytes of the buffer in use now, alignment padding included (in a growing allocator, of the
 *        buffer and its chunks: it may exceed {@code capacity})
 * @param peakDemand the most bytes one buffer big enough for everything would have had in use at once, over
 *        the allocator's life: buffer bytes in use plus the fallback's blocks as that buffer would hold them
 *        (see above), alignment padding of fallback blocks aside
 * @param fallbackCount allocations and reallocations the fallback served, over the allocator's life
 * @param fallbackBytes bytes the fallback served, over the allocator's life
 * @param liveFallbackBlocks fallback blocks not yet freed
 * @param liveFallbackBytes bytes of the fallback blocks not yet freed
 * @param inPlaceReallocations reallocations that grew or shrank the most recent block where it stood
 * @param copiedBytes bytes reallocations had to copy because a block moved
 * @param resets calls to {@link BufferAllocator#reset()}
 * @param chunks chunks a {@linkplain BufferAllocator#ofGrowing growing} allocator holds: taken from the
 *        fallback when its buffer was full, kept until it closes (each counts once in {@code fallbackCount})
 * @param chunkBytes bytes of those chunks
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
        long resets,
        long chunks,
        long chunkBytes) {

    /** {@return the bytes of the buffer not in use: {@code capacity - usedBytes}, or 0 if that is negative (a growing allocator using its chunks)} */
    public long remainingBytes() {
        return Math.max(0, capacity - usedBytes);
    }
}
