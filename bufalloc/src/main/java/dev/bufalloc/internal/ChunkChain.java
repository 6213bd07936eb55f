package dev.bufalloc.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The regions a growing buffer allocator bumps in: region 0 is the caller's buffer, the others are chunks it
 * took from its fallback when the region before was full, each twice the size of the one before (from the
 * buffer's size, at least {@value #MIN_CHUNK} bytes, at most {@value #MAX_CHUNK}). Chunks are kept for reuse
 * by later frames and after a reset, so a steady workload stops calling the fallback; they go back on
 * {@link #freeAll()} (the allocator's close), or through the garbage collector with the allocator.
 *
 * <p>Every chunk is one block of a fallback ledger of the chain's own: its segments are in the ledger's scope,
 * which ends before the chunk's memory is freed, so a block used after the allocator closed throws. A chain
 * without a ledger (a pooled allocator's, lent to one thread after another and never closed) takes its chunks
 * from {@link Arena#ofAuto()}: only the garbage collector frees them, once no block can reach them.
 *
 * <p>Invariant: {@code 1 <= count}; {@code regions[0]} is the buffer; {@code bases[i]} is the number of bytes
 * the allocator had in use in regions {@code [0, i)} when it last entered region {@code i} (or stayed in it while
 * frames closed back into an earlier one: see {@link #leave}), so
 * {@code bases[i + 1] - bases[i]} is what it left in use in region {@code i}, for every region it has left.
 */
public final class ChunkChain {

    /** The smallest chunk, in bytes. */
    public static final long MIN_CHUNK = 4096;
    /** The largest chunk, in bytes: larger requests get blocks of their own. */
    public static final long MAX_CHUNK = 1L << 26;
    /** The alignment asked of the JDK for an automatic chunk. */
    private static final long CHUNK_ALIGNMENT = 16;
    /**
     * The alignment asked of the fallback for a chunk: 1, which any fallback gives (the heap allocator refuses
     * more than 8); a chunk's blocks are aligned by address, whatever its own alignment.
     */
    private static final long FALLBACK_CHUNK_ALIGNMENT = 1;

    private final FallbackLedger ledger;   // null: automatic chunks
    private long chunkBytes;
    private BufferRegion[] regions = new BufferRegion[4];
    private long[] bases = new long[4];
    private long[] written = new long[4];   // per region left: how far blocks reached there since it was zeroed
    private int count = 1;

    /**
     * Makes a chain over {@code buffer}, taking chunks from {@code fallback}.
     *
     * @param buffer the caller's buffer: region 0
     * @param ledger where chunks come from, a ledger of the chain's own; null for automatic memory
     */
    public ChunkChain(BufferRegion buffer, FallbackLedger ledger) {
        this.ledger = ledger;
        regions[0] = buffer;
    }

    /**
     * {@return region {@code i}: the buffer for 0, else a chunk}
     *
     * @param i a region index, below {@link #regions()}
     */
    public BufferRegion region(int i) {
        return regions[i];
    }

    /** {@return the number of regions, the buffer included} */
    public int regions() {
        return count;
    }

    /** {@return the bytes of the chunks} */
    public long chunkBytes() {
        return chunkBytes;
    }

    /**
     * {@return the bytes in use in regions before {@code i} when the allocator last entered it}
     *
     * @param i a region index the allocator is in or has left
     */
    public long base(int i) {
        return bases[i];
    }

    /** {@return the size of the next chunk to take} */
    private long nextChunkSize() {
        long last = regions[count - 1].capacity;
        return Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, count == 1 ? last : last * 2));
    }

    /**
     * {@return whether a request is too big for chunks: it gets a block of its own, and does not make them grow}
     *
     * @param byteSize the requested size, checked
     * @param byteAlignment the requested alignment, checked
     */
    public boolean isOversized(long byteSize, long byteAlignment) {
        long half = nextChunkSize() / 2;
        return byteSize > half || byteAlignment > half || byteSize + byteAlignment > half;
    }

    /**
     * Leaves region {@code from}, with {@code used} bytes in use, for the first later region where the request
     * fits from its start, taking a new chunk from the fallback if none does. If the fallback throws, nothing
     * changed.
     *
     * @param from the region the allocator is in
     * @param used the bytes in use in it
     * @param byteSize the requested size, checked and not {@linkplain #isOversized oversized}
     * @param byteAlignment the requested alignment, checked
     * @return the index of the region to enter, or -1 if not even a new chunk can align the request (a
     *         fallback whose chunks are heap memory); then no chunk is taken if the last one could not align it
     *         either, so that refused requests do not pile up chunks
     */
    public int next(int from, long used, long byteSize, long byteAlignment) {
        int to = from + 1;
        while (to < count && !fitsEmpty(regions[to], byteSize, byteAlignment)) {
            to++;
        }
        if (to == count) {
            if (count > 1 && byteAlignment > regions[count - 1].alignmentLimit) {
                return -1;   // the fallback's chunks cannot align it (heap memory): a new one would not either
            }
            take(nextChunkSize());
            if (!fitsEmpty(regions[to], byteSize, byteAlignment)) {
                return -1;
            }
        }
        leave(from, used, to);
        return to;
    }

    /**
     * Notes that the allocator left region {@code from} with {@code used} bytes in use there for region {@code to},
     * later: the regions between are left empty.
     *
     * @param from the region it left
     * @param used the bytes it left in use there
     * @param to the region it is in now, above {@code from}
     */
    public void leave(int from, long used, int to) {
        assert from < to && to < count && 0 <= used && used <= regions[from].capacity : "a region left for a later one";
        for (int i = from + 1; i <= to; i++) {
            bases[i] = bases[from] + used;
        }
    }

    private static boolean fitsEmpty(BufferRegion region, long byteSize, long byteAlignment) {
        return byteAlignment <= region.alignmentLimit && byteSize <= region.capacity - region.alignedOffset(0, byteAlignment);
    }

    private void take(long byteSize) {
        MemorySegment chunk = ledger == null ? Arena.ofAuto().allocate(byteSize, CHUNK_ALIGNMENT)
                : ledger.allocate(byteSize, FALLBACK_CHUNK_ALIGNMENT);
        if (count == regions.length) {
            regions = Arrays.copyOf(regions, count * 2);
            bases = Arrays.copyOf(bases, count * 2);
            written = Arrays.copyOf(written, count * 2);
        }
        written[count] = 0;
        regions[count++] = new BufferRegion(chunk);
        chunkBytes += byteSize;
    }

    /**
     * {@return the region before {@code current} that holds {@code block} below what was left in use there, or -1
     * if no region does}
     *
     * @param block a segment that should be a live block
     * @param current the region the allocator is in
     * @throws IllegalArgumentException if it lies in a region but not in use there, so cannot be live
     */
    public int locate(MemorySegment block, int current) {
        for (int i = 0; i < current; i++) {
            if (regions[i].liveOffsetOf(block, bases[i + 1] - bases[i]) >= 0) {
                return i;
            }
        }
        for (int i = current + 1; i < count; i++) {
            regions[i].liveOffsetOf(block, 0);
        }
        return -1;
    }

    /**
     * Notes how far blocks reached in region {@code i}, which the allocator leaves: its bytes below {@code end} may
     * hold data until {@link #zeroWritten()}.
     *
     * @param i a region index
     * @param end the offset blocks reached there
     */
    public void noteWritten(int i, long end) {
        written[i] = Math.max(written[i], end);
    }

    /**
     * {@return how far blocks reached in region {@code i} since it was last zeroed, as noted when the allocator left it}
     *
     * @param i a region index
     */
    public long written(int i) {
        return written[i];
    }

    /** Zeroes what blocks reached in every chunk since the last call; forgets the buffer's, which its caller zeroes. */
    public void zeroWritten() {
        written[0] = 0;
        for (int i = 1; i < count; i++) {
            regions[i].zero(written[i]);
            written[i] = 0;
        }
    }

    /** Gives every chunk back to the fallback; the chain is left with the buffer alone. */
    public void freeAll() {
        Arrays.fill(regions, 1, count, null);
        count = 1;
        chunkBytes = 0;
        if (ledger != null) {
            ledger.freeAll();
        }
    }
}
