package dev.bufalloc;

/**
 * The numbers behind {@link BufferStatistics}, kept the same way by both buffer allocators. None of
 * them is touched by the bump itself: demand only rises there, so the peak is noted before anything
 * lowers the cursor, and {@link #snapshot} adds the demand of the moment.
 *
 * <p>Invariant: demand = cursor + {@code fallbackBytesSinceReset} (bytes the fallback served since the
 * last reset, less those of the newest blocks given back); {@code peakDemand} is its maximum up to the
 * last decrease of the demand.
 */
final class BufferCounters {

    private long peakDemand;
    private long fallbackCount;
    private long fallbackBytes;
    private long fallbackBytesSinceReset;
    private long inPlaceReallocations;
    private long copiedBytes;
    private long resets;

    /** The fallback served {@code byteSize} bytes. */
    void countFallback(long byteSize) {
        fallbackCount++;
        fallbackBytes += byteSize;
        fallbackBytesSinceReset += byteSize;
    }

    /** The cursor, now at {@code used}, is about to go down: remember the demand it stood for. */
    void notePeak(long used) {
        peakDemand = peakDemand(used);
    }

    /** The peak demand so far, the demand of the moment (the cursor at {@code used}) included. */
    private long peakDemand(long used) {
        return Math.max(peakDemand, used + fallbackBytesSinceReset);
    }

    /**
     * The newest fallback blocks, {@code byteSize} bytes, were given back, as a bigger buffer would have
     * rewound them: they no longer count in the demand. Call {@link #notePeak} first.
     */
    void returnFallback(long byteSize) {
        fallbackBytesSinceReset -= byteSize;
    }

    void countInPlace() {
        inPlaceReallocations++;
    }

    void countCopied(long bytes) {
        copiedBytes += bytes;
    }

    /** A reset: call {@link #notePeak} first. */
    void countReset() {
        fallbackBytesSinceReset = 0;
        resets++;
    }

    BufferStatistics snapshot(long capacity, long used, FallbackBlocks blocks) {
        return new BufferStatistics(capacity, used, peakDemand(used),
                fallbackCount, fallbackBytes, blocks.size(), blocks.liveBytes(), inPlaceReallocations, copiedBytes,
                resets);
    }
}
