package dev.bufalloc.internal;

import dev.bufalloc.BufferStatistics;

/**
 * The numbers behind {@link BufferStatistics}, kept the same way by both buffer allocators. None of
 * them is touched by the bump itself: demand only rises there, so the peak is noted before anything
 * lowers it, and {@link #snapshot} adds the demand of the moment.
 *
 * <p>The demand is what one buffer big enough for everything would have in use: the real cursor plus the
 * <em>spill</em>, the bytes the fallback served as that buffer would hold them. Like a buffer, the spill
 * grows by every block the fallback serves (and by a reallocation that moves a block); it gives bytes back
 * only where a buffer would: freeing or resizing the newest block of the innermost frame, a frame's close
 * (back to its value at the push), a reset (to 0).
 *
 * <p>Invariant: {@code spill >= 0}; {@code peakDemand} is the maximum of cursor + spill up to the last time
 * anything lowered it.
 */
public final class BufferCounters {

    private long peakDemand;
    private long spill;
    private long fallbackCount;
    private long fallbackBytes;
    private long inPlaceReallocations;
    private long copiedBytes;
    private long resets;

    /**
     * The fallback served {@code byteSize} bytes, for a new block or one that moved.
     *
     * @param byteSize the bytes it served
     */
    public void countFallback(long byteSize) {
        fallbackCount++;
        fallbackBytes += byteSize;
        spill += byteSize;
    }

    /**
     * A growing allocator took a chunk of {@code byteSize} bytes from the fallback: one call to it. The chunk's
     * blocks count in the demand as the allocator's cursor does, not as spill.
     *
     * @param byteSize the chunk's size
     */
    public void countChunk(long byteSize) {
        fallbackCount++;
        fallbackBytes += byteSize;
    }

    /**
     * The fallback resized the newest block of the innermost frame, as a buffer resizes it in place.
     * Note the peak first.
     *
     * @param oldByteSize its size before
     * @param newByteSize its size now
     */
    public void countFallbackResize(long oldByteSize, long newByteSize) {
        fallbackCount++;
        fallbackBytes += newByteSize;
        spill += newByteSize - oldByteSize;
    }

    /**
     * The newest fallback block of the innermost frame was freed: a buffer would rewind it. Note the peak first.
     *
     * @param byteSize its size
     */
    public void returnFallback(long byteSize) {
        // A block older than a frame that was resized inside it counted its new size in the frame only:
        // the frame's close took that back, so the block may be bigger than what is left of it.
        spill = Math.max(0, spill - byteSize);
    }

    /** {@return the spill now, for a frame to restore when it closes} */
    public long spill() {
        return spill;
    }

    /**
     * A frame closed: the spill goes back to its value at the push. Note the peak first.
     *
     * @param mark the spill when the frame opened
     */
    public void restoreSpill(long mark) {
        spill = Math.min(spill, mark);   // less only if the frame gave back bytes from before it (see returnFallback)
    }

    /**
     * Something is about to lower the demand: remember it.
     *
     * @param used the buffer bytes in use now
     */
    public void notePeak(long used) {
        peakDemand = Math.max(peakDemand, used + spill);
    }

    /** A reallocation resized the most recent block where it stood. */
    public void countInPlace() {
        inPlaceReallocations++;
    }

    /**
     * A reallocation moved a block.
     *
     * @param bytes the bytes it copied
     */
    public void countCopied(long bytes) {
        copiedBytes += bytes;
    }

    /** A reset: note the peak first. */
    public void countReset() {
        spill = 0;
        resets++;
    }

    /**
     * {@return the statistics now}
     *
     * @param capacity the buffer's size
     * @param used the buffer bytes in use
     * @param ledger the fallback blocks
     * @param chunks the chunks a growing allocator holds
     * @param chunkBytes their bytes
     */
    public BufferStatistics snapshot(long capacity, long used, FallbackLedger ledger, long chunks, long chunkBytes) {
        return new BufferStatistics(capacity, used, Math.max(peakDemand, used + spill),
                fallbackCount, fallbackBytes, ledger.liveBlocks(), ledger.liveBytes(), inPlaceReallocations,
                copiedBytes, resets, chunks, chunkBytes);
    }
}
