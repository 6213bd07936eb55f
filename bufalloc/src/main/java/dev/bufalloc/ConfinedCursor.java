package dev.bufalloc;

import dev.bufalloc.internal.BufferCounters;
import dev.bufalloc.internal.BufferRegion;
import dev.bufalloc.internal.ChunkChain;
import dev.bufalloc.internal.FallbackLedger;
import dev.bufalloc.internal.FrameStack;
import dev.bufalloc.internal.jfr.Diagnostics;
import dev.bufalloc.system.MallocAllocator;

import java.lang.foreign.MemorySegment;

/**
 * The state of a {@link ConfinedBufferAllocator} and the moves of its cursor: the regions it bumps in (the
 * caller's buffer, then chunks of its own if it grows), the bump itself, overflow to a chunk or the
 * fallback, and the checks every slow path shares. The allocator adds what the API says about blocks,
 * frames and lifetime. One object at run time: the bump reads only this object's fields.
 *
 * <p>The bump's fields ({@code buffer}, {@code capacity}, {@code bumpAlignmentLimit}) are those of the
 * region it is in, {@code current}; everything else sees one cursor, {@code base + used}.
 *
 * <p>Invariant: {@code 0 <= used <= capacity}; every live block lies in {@code buffer[0, used)}, in what an
 * earlier region left in use, or is in the ledger; {@code lastStart} is -1 or the start of the most recent
 * block of the current region, which ends at {@code used} and lies in the innermost frame.
 */
abstract sealed class ConfinedCursor permits ConfinedBufferAllocator {

    /** The owner of a pooled allocator that no thread has borrowed: nobody may use it until it is lent again. */
    static final Thread POOLED = Thread.ofVirtual().unstarted(() -> { });

    final BufferRegion region;                 // the caller's buffer
    // The bump's fields, copied from the current region so that the bump reads no other object.
    MemorySegment buffer;
    long capacity;
    private long bumpAlignmentLimit;
    BufferRegion current;
    int regionIndex;                           // of current: 0 for the buffer
    private long base;                         // bytes in use in the regions before current
    private long written;                      // how far blocks reached in current since it was zeroed, with used
    final ChunkChain chunks;                   // null unless growing
    final FallbackLedger ledger;
    final FrameStack frames = new FrameStack();
    final BufferCounters counters = new BufferCounters();
    final Diagnostics diagnostics = new Diagnostics();   // the name, and the JFR events off the bump
    Thread owner;                              // null once closed
    long used;
    long lastStart = -1;

    /**
     * With {@code growing}, requests that do not fit go to chunks taken from {@code fallback} (which must not
     * be null); a {@code pooled} allocator's chunks outlive its borrowers and its pool: automatic memory, usable
     * from any thread.
     */
    ConfinedCursor(MemorySegment buffer, Allocator fallback, boolean growing, boolean pooled) {
        this.region = new BufferRegion(buffer);
        this.current = region;
        this.buffer = buffer;
        this.capacity = region.capacity;
        this.bumpAlignmentLimit = region.bumpAlignmentLimit;
        boolean fromCLibrary = fallback == MallocAllocator.instance();
        this.ledger = new FallbackLedger(fallback, fromCLibrary, false, this);
        this.chunks = !growing ? null
                : new ChunkChain(region, pooled ? null : new FallbackLedger(fallback, fromCLibrary, false, this));
        this.owner = Thread.currentThread();
    }

    /** The fast path: a few lines, inlined; everything else is {@link #allocateElsewhere}. Call on the owner. */
    final MemorySegment bump(long byteSize, long byteAlignment) {
        long start = (used + byteAlignment - 1) & -byteAlignment;
        if (byteSize >= 0 && byteSize <= capacity - start && byteAlignment > 0
                && (byteAlignment & (byteAlignment - 1)) == 0 && byteAlignment <= bumpAlignmentLimit) {
            lastStart = start;
            used = start + byteSize;
            return buffer.asSlice(start, byteSize);
        }
        return allocateElsewhere(byteSize, byteAlignment);
    }

    /**
     * The slow path: bad requests, alignments beyond the region's own (aligned by address), and overflow: to
     * a chunk if growing and the request is not oversized, else to the fallback.
     */
    private MemorySegment allocateElsewhere(long byteSize, long byteAlignment) {
        MemorySegment block = allocateHere(byteSize, byteAlignment);
        if (block != null) {
            return block;
        }
        if (chunks != null && !chunks.isOversized(byteSize, byteAlignment)) {
            return allocateInChunk(byteSize, byteAlignment);
        }
        return allocateFromFallback(byteSize, byteAlignment);
    }

    /**
     * {@return a block from the current region, aligned by address, or null if it does not fit}
     *
     * @throws IllegalArgumentException if the request is bad
     */
    private MemorySegment allocateHere(long byteSize, long byteAlignment) {
        region.checkRequest(byteSize, byteAlignment);
        long start = current.alignedOffset(used, byteAlignment);
        if (byteAlignment > current.alignmentLimit || byteSize > capacity - start) {
            return null;
        }
        lastStart = start;
        used = start + byteSize;
        return buffer.asSlice(start, byteSize);
    }

    /**
     * {@return a block from the caller's buffer, aligned by address, or null if it does not fit or the allocator
     * has moved on to its chunks} Call on the owner.
     *
     * @throws IllegalArgumentException if the request is bad
     */
    MemorySegment allocateInBuffer(long byteSize, long byteAlignment) {
        return regionIndex == 0 ? allocateHere(byteSize, byteAlignment) : null;
    }

    /** Moves on to the next region where the request fits (a chunk, taken if need be) and bumps there. */
    private MemorySegment allocateInChunk(long byteSize, long byteAlignment) {
        int chunksBefore = chunks.regions();
        long bytesBefore = chunks.chunkBytes();
        int next = chunks.next(regionIndex, used, byteSize, byteAlignment);
        if (chunks.regions() != chunksBefore) {
            counters.countChunk(chunks.chunkBytes() - bytesBefore);
        }
        if (next < 0) {
            return allocateFromFallback(byteSize, byteAlignment);
        }
        diagnostics.overflow(this, byteSize, byteAlignment, region.capacity, usedBytes(), Diagnostics.CHUNK);
        notePeak();
        enter(next, 0);
        MemorySegment block = allocateHere(byteSize, byteAlignment);
        assert block != null : "the region fits the request";
        return block;
    }

    /** Makes region {@code index} the current one, with {@code newUsed} bytes in use and no block to grow. */
    private void enter(int index, long newUsed) {
        chunks.noteWritten(regionIndex, Math.max(written, used));
        written = chunks.written(index);
        current = chunks.region(index);
        buffer = current.segment;
        capacity = current.capacity;
        bumpAlignmentLimit = current.bumpAlignmentLimit;
        base = chunks.base(index);
        regionIndex = index;
        used = newUsed;
        lastStart = -1;
    }

    /**
     * Sets the cursor to {@code mark} in region {@code index}: the cursor of a frame's push, or of a reset.
     * Notes the demand first.
     */
    void rewindTo(int index, long mark) {
        if (index == regionIndex) {
            moveCursor(mark);
        } else {
            notePeak();
            enter(index, mark);
        }
    }

    /**
     * Sets the cursor back to a frame's push, {@code mark} in region {@code index}: what the frame allocated since
     * is given back. {@return whether the cursor stayed in the later region it is in, at its start, instead} It
     * stays when what the frame holds did not fit in the rest of region {@code index} but fits in the region it
     * is in: the same frame again would overflow again, so a loop of frames that overflowed once bumps in the
     * chunk from then on instead of overflowing every time. The rest of region {@code index} is used again once
     * an outer frame closes back into it, or after a reset. A frame that holds more than the region it is in goes
     * back: its next run bumps through the same regions again, taking no new chunk.
     */
    boolean rewindFrameTo(int index, long mark) {
        if (index != regionIndex) {   // moved on to a chunk since the push: a growing allocator
            long demand = base + used - chunks.base(index) - mark;
            if (demand > chunks.region(index).capacity - mark && demand <= capacity) {
                notePeak();
                chunks.leave(index, mark, regionIndex);
                enter(regionIndex, 0);   // again, at its start: the new base, what blocks reached noted
                return true;
            }
        }
        rewindTo(index, mark);
        return false;
    }

    private MemorySegment allocateFromFallback(long byteSize, long byteAlignment) {
        if (!ledger.exists()) {
            diagnostics.overflow(this, byteSize, byteAlignment, region.capacity, usedBytes(), Diagnostics.NONE);
            throw region.full(byteSize, byteAlignment, used, diagnostics.quotedName());
        }
        MemorySegment block = ledger.allocate(byteSize, byteAlignment);
        counters.countFallback(byteSize);
        onFallback(byteSize);
        diagnostics.overflow(this, byteSize, byteAlignment, region.capacity, usedBytes(), Diagnostics.BLOCK);
        return block;
    }

    /**
     * {@return whether {@code segment} lies in what a region before the current one left in use: a live block
     * that can be neither given back nor grown}
     *
     * @throws IllegalArgumentException if it lies in a region but beyond what is in use there
     */
    boolean isInEarlierRegion(MemorySegment segment) {
        return chunks != null && chunks.locate(segment, regionIndex) >= 0;
    }

    /**
     * Zeroes what blocks reached, in the buffer and the chunks, since the last call: blocks in use and blocks given
     * back alike. Call in the buffer with nothing in use, after a reset.
     */
    void zeroWritten() {
        assert regionIndex == 0 && used == 0 : this;
        region.zero(written);
        written = 0;
        if (chunks != null) {
            chunks.zeroWritten();
        }
    }

    /**
     * Hands a pool's allocator to {@code thread}, or back to the pool (null): it holds nothing then, as after a
     * reset. The pool's hand-over (a compare-and-set) orders this write before the new owner's use.
     */
    void lendTo(Thread thread) {
        assert used == 0 && frames.depth() == 0 && ledger.liveBlocks() == 0 : "lent while in use";
        owner = thread;
    }

    /** {@return whether the allocator is closed} */
    boolean isClosed() {
        return owner == null;
    }

    /** {@return the bytes in use: in the buffer, and in the chunks if it grows} */
    public long usedBytes() {
        return base + used;
    }

    // ---- hooks for checked mode: empty here ----------------------------------------------------------

    /** The fallback served {@code byteSize} bytes. */
    void onFallback(long byteSize) {}

    /** A buffer block that is not the most recent one was freed, or moved away. */
    void onFree(MemorySegment block) {}

    /** {@return the block as handed out, after the most recent block {@code old} was resized in place} */
    MemorySegment onResized(MemorySegment old, MemorySegment resized) {
        return resized;
    }

    /** The cursor moves from {@code from} down to {@code to}: the bytes between are given back. */
    void onRewind(long to, long from) {}

    /** The allocator closes. */
    void onClose() {}

    // ---- slow-path helpers ---------------------------------------------------------------------------

    void checkOwner() {
        if (owner != Thread.currentThread()) {
            throw ownerFailure();
        }
    }

    RuntimeException ownerFailure() {
        if (owner == null) {
            return new IllegalStateException("Already closed: " + this);
        }
        if (owner == POOLED) {
            return new IllegalStateException("This scratch allocator went back to its pool when its outermost frame"
                    + " closed: its frames and blocks are no longer usable: " + this);
        }
        return new WrongThreadException("Attempted access outside owner thread " + owner + ": " + this);
    }

    /**
     * {@return whether the buffer segment at {@code offset} is exactly the most recent block} An empty block
     * at the innermost frame's start may as well be an older one of the same start: it never counts.
     */
    boolean isNewest(long offset, long byteSize) {
        return offset == lastStart && offset + byteSize == used && (byteSize > 0 || offset > floor());
    }

    /**
     * Sets the cursor anywhere but by the bump: notes the demand first (only the bump raises it without
     * looking), and tells checked mode which bytes a move down gives back.
     */
    void moveCursor(long newUsed) {
        notePeak();
        if (newUsed < used) {
            written = Math.max(written, used);
            onRewind(newUsed, used);
        }
        used = newUsed;
        assert 0 <= used && used <= capacity : this;   // the frames may not be popped yet: see invariant()
    }

    /** The class invariant, restored by every slow path that moves the cursor or the frames. */
    boolean invariant() {
        return 0 <= used && used <= capacity && floor() <= used
                && (lastStart == -1 || (floor() <= lastStart && lastStart <= used));
    }

    /** {@return where the innermost frame starts in the current region: 0 if it opened in an earlier one} */
    private long floor() {
        return frames.depth() == 0 || frames.region(frames.depth()) != regionIndex ? 0 : frames.floor();
    }

    void notePeak() {
        counters.notePeak(base + used);
    }

    /** {@return whether the fallback block in {@code slot} is the newest one, and of the innermost frame} */
    boolean isNewestFallback(int slot) {
        return ledger.isNewest(slot) && ledger.sequence(slot) >= frames.fallbackFloor();
    }
}