package dev.bufalloc.internal;

import dev.bufalloc.BufferStatistics;

/**
 * The numbers behind {@link BufferStatistics}, kept the same way by both buffer allocators. None of
 * them is touched by the bump itself: demand only rises there, so the peak is noted before anything
 * lowers it, and {@link #snapshot} adds the demand of the moment.
 *
 * <p>Invariant: demand = buffer bytes in use + bytes of live fallback blocks; {@code peakDemand} is its
 * maximum up to the last time anything lowered it.
 */
public final class BufferCounters {

    private long peakDemand;
    private long fallbackCount;
    private long fallbackBytes;
    private long inPlaceReallocations;
    private long copiedBytes;
    private long resets;

    /**
     * The fallback served {@code byteSize} bytes.
     *
     * @param byteSize the bytes it served
     */
    public void countFallback(long byteSize) {
        fallbackCount++;
        fallbackBytes += byteSize;
    }

    /**
     * Something is about to lower the demand: remember it.
     *
     * @param demand the demand now: buffer bytes in use plus live fallback bytes
     */
    public void notePeak(long demand) {
        peakDemand = Math.max(peakDemand, demand);
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
        resets++;
    }

    /**
     * {@return the statistics now}
     *
     * @param capacity the buffer's size
     * @param used the buffer bytes in use
     * @param ledger the fallback blocks
     */
    public BufferStatistics snapshot(long capacity, long used, FallbackLedger ledger) {
        return new BufferStatistics(capacity, used, Math.max(peakDemand, used + ledger.liveBytes()),
                fallbackCount, fallbackBytes, ledger.liveBlocks(), ledger.liveBytes(), inPlaceReallocations,
                copiedBytes, resets);
    }
}
