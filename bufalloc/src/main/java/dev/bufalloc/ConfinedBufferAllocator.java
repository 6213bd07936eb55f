package dev.bufalloc;

import dev.bufalloc.internal.BufferClaims;
import dev.bufalloc.internal.Checks;
import dev.bufalloc.internal.FallbackLedger;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The buffer allocator confined to one thread, with frames: its cursor is a plain field. See
 * {@link BufferAllocator} for the contract. Its state, the bump and the moves of the cursor are
 * {@link ConfinedCursor}'s; this class says what happens to blocks, frames and the allocator's lifetime.
 * {@link CheckedBufferAllocator} extends it through the {@code on…} hooks, which are empty here and called
 * only off the bump.
 */
sealed class ConfinedBufferAllocator extends ConfinedCursor implements BufferAllocator permits CheckedBufferAllocator {

    private final Cleaner.Cleanable claim;     // null for a pooled allocator: its pool keeps it to itself
    private final Consumer<ConfinedBufferAllocator> whenIdle;   // a pool's: takes it back when its last frame closes

    ConfinedBufferAllocator(MemorySegment buffer, Allocator fallback) {
        this(buffer, fallback, false, null);
    }

    /**
     * With {@code growing}, requests that do not fit go to chunks taken from {@code fallback} (which must not
     * be null). With {@code whenIdle} (a pool's), the buffer is not claimed (the pool keeps it to itself), and
     * {@code whenIdle} gets the allocator back each time its outermost frame closes.
     */
    ConfinedBufferAllocator(MemorySegment buffer, Allocator fallback, boolean growing,
            Consumer<ConfinedBufferAllocator> whenIdle) {
        super(buffer, fallback, growing, whenIdle != null);
        this.whenIdle = whenIdle;
        this.claim = whenIdle == null ? BufferClaims.claim(this, buffer, "a BufferAllocator made on " + owner) : null;
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (owner != Thread.currentThread()) {
            throw ownerFailure();
        }
        return bump(byteSize, byteAlignment);
    }

    /**
     * {@link #allocate} through {@code frame}, which must be the innermost one: one test for the owner and the
     * frame, then the bump. Checked mode overrides both.
     */
    MemorySegment allocate(Frame frame, long byteSize, long byteAlignment) {
        if (owner != Thread.currentThread() || !frames.isInnermost(frame.id)) {
            checkInnermost(frame);   // throws
        }
        return bump(byteSize, byteAlignment);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator, if
     *         {@code newByteSize < 0}, or if {@code byteAlignment} is not a power of two or is more than a
     *         heap buffer gives
     * @throws IndexOutOfBoundsException if the block must move, does not fit, and there is no fallback
     * @throws WrongThreadException if called from a thread other than the owner
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
        checkOwner();
        FallbackLedger.requireAlive(segment);
        region.checkRequest(newByteSize, byteAlignment);
        long offset = current.liveOffsetOf(segment, used);
        if (offset < 0 && isInEarlierRegion(segment)) {
            return move(segment, newByteSize, byteAlignment);
        }
        if (offset < 0) {
            int slot = ledger.liveSlot(segment);
            boolean newest = isNewestFallback(slot);
            notePeak();   // a block that shrinks lowers the demand
            MemorySegment moved = ledger.reallocate(slot, newByteSize, byteAlignment);
            if (newest) {
                counters.countFallbackResize(segment.byteSize(), newByteSize);
            } else {
                counters.countFallback(newByteSize);
            }
            onFallback(newByteSize);
            return moved;
        }
        boolean newest = isNewest(offset, segment.byteSize());
        if (newest && current.isAligned(offset, byteAlignment) && newByteSize <= capacity - offset) {
            moveCursor(offset + newByteSize);
            counters.countInPlace();
            return onResized(segment, buffer.asSlice(offset, newByteSize));
        }
        int regionBefore = regionIndex;
        MemorySegment moved = copyToNew(segment, newByteSize, byteAlignment);
        if (newest && regionIndex == regionBefore && current.offsetOf(moved) < 0) {
            moveCursor(offset);   // moved to the fallback: the old bytes come back
            lastStart = -1;
        } else {
            onFree(segment);
        }
        return moved;
    }

    /** Moves a block that cannot grow where it is: a new block, the bytes kept copied. */
    private MemorySegment copyToNew(MemorySegment segment, long newByteSize, long byteAlignment) {
        MemorySegment moved = allocate(newByteSize, byteAlignment);
        long kept = Math.min(segment.byteSize(), newByteSize);
        MemorySegment.copy(segment, 0, moved, 0, kept);
        counters.countCopied(kept);
        return moved;
    }

    /** Moves a block of a region the allocator has left: its bytes stay behind, as a buffer block's would. */
    private MemorySegment move(MemorySegment segment, long newByteSize, long byteAlignment) {
        MemorySegment moved = copyToNew(segment, newByteSize, byteAlignment);
        onFree(segment);
        return moved;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A buffer block: no effect, unless it is exactly the most recent block, whose bytes are given back.
     * A segment in the buffer that is not a live block is ignored. A fallback block: given back to the
     * fallback, whatever the order of frees.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator (neither in
     *         its buffer below the cursor, nor a live fallback block)
     * @throws WrongThreadException if called from a thread other than the owner
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public void free(MemorySegment segment) {
        checkOwner();
        FallbackLedger.requireAlive(segment);
        long offset = current.liveOffsetOf(segment, used);
        if (offset >= 0 || isInEarlierRegion(segment)) {
            if (offset >= 0 && isNewest(offset, segment.byteSize())) {
                moveCursor(offset);
                lastStart = -1;
            } else {
                onFree(segment);
            }
            return;
        }
        int slot = ledger.liveSlot(segment);
        boolean newest = isNewestFallback(slot);
        int liveBefore = ledger.liveBlocks();
        notePeak();
        try {
            ledger.free(slot);
        } finally {
            if (newest && ledger.liveBlocks() < liveBefore) {   // forgotten, even if the fallback's free threw
                counters.returnFallback(segment.byteSize());
            }
        }
    }

    @Override
    public void reset() {
        if (owner != Thread.currentThread() || frames.depth() != 0 || regionIndex != 0 || !ledger.isEmpty()) {
            resetSlowly();
            return;
        }
        rewindToStart();   // no frame to end, no chunk to leave, no fallback memory to give back: the cursor only
    }

    /** {@link #reset} with frames to end, a chunk to leave, fallback memory to give back, or misuse. */
    private void resetSlowly() {
        checkOwner();
        Throwable failure = endFrames(1);
        rewindToStart();
        freeAllFallback(failure);
    }

    /** The cursor back to the start of the caller's buffer, with no frame open: what every reset does. */
    private void rewindToStart() {
        rewindTo(0, 0);
        lastStart = -1;
        counters.countReset();
        assert invariant() && frames.depth() == 0 && lastStart == -1 : this;
        diagnostics.sized(this, "reset");
    }

    @Override
    public void resetAndZero() {
        checkOwner();
        try {
            reset();
        } finally {
            if (used == 0 && regionIndex == 0 && frames.depth() == 0) {   // reset, if maybe with a failure of the fallback's
                zeroWritten();
            }
        }
    }

    @Override
    public void close() {
        checkOwner();
        Throwable failure = endFrames(1);
        notePeak();
        diagnostics.sized(this, "close");
        owner = null;
        onClose();
        if (claim != null) {
            claim.clean();
        }
        if (chunks != null) {
            try {
                chunks.freeAll();
            } catch (RuntimeException | Error e) {
                failure = Checks.addFailure(failure, e);
            }
        }
        freeAllFallback(failure);
    }

    @Override
    public Frame push() {
        checkOwner();
        long id = frames.push(regionIndex, used, lastStart, ledger.mark(), counters.spill());
        lastStart = -1;   // no block of the new frame yet: nothing older may grow or be given back
        assert invariant() : this;
        return new Frame(this, frames.depth(), id);
    }

    /**
     * Closes the frame {@code id} at {@code depth}, and the frames inside it if any were left open (then reports
     * that, once all is given back). See {@link Frame#close()}. It takes the frame's fields, not the frame: when
     * this method is compiled on its own (Scratch's idle hook makes it big), a frame passed in would escape, and
     * be allocated on every push.
     */
    void pop(int depth, long id) {
        if (owner == Thread.currentThread() && frames.isInnermost(id) && !frames.hasView(depth)
                && frames.fallbackMark(depth) == ledger.mark()) {
            rewindFrames(depth);   // the common case: nothing to end or give back but the bytes
            if (whenIdle != null && depth == 1) {
                whenIdle.accept(this);
            }
            return;
        }
        popSlowly(depth, id);
    }

    /** {@link #pop} with views to end, fallback blocks to give back, inner frames left open, or misuse. */
    private void popSlowly(int depth, long id) {
        checkOwner();
        if (!frames.isOpen(depth, id)) {
            throw frameEnded(depth, id);
        }
        int innermost = frames.depth();
        Throwable failure = endFrames(depth);
        if (innermost > depth) {
            failure = Checks.addFailure(failure, new IllegalStateException(Frame.describe(depth, id) + " was closed while "
                    + (innermost - depth) + " frame(s) pushed after it were open: they were closed with it"));
        }
        if (whenIdle != null && frames.depth() == 0) {
            whenIdle.accept(this);
        }
        Checks.rethrow(failure);
    }

    /**
     * Ends the frames from {@code depth} in: their views first (which may refuse, changing nothing), then
     * the cursor, the frames and their fallback blocks. Returns what a view's cleanup or the fallback threw.
     */
    private Throwable endFrames(int depth) {
        if (frames.depth() < depth) {
            return null;
        }
        Throwable failure = frames.endArenas(depth);
        long fallbackMark = frames.fallbackMark(depth);
        rewindFrames(depth);
        if (ledger.mark() != fallbackMark) {   // the frames took blocks from the fallback
            try {
                ledger.freeSince(fallbackMark);
            } catch (RuntimeException | Error e) {
                failure = Checks.addFailure(failure, e);
            }
        }
        return failure;
    }

    /**
     * Closes the frames from {@code depth} in: the cursor (unless it stays ahead in a chunk, see
     * {@link #rewindFrameTo}), the spill and the newest block go back to their push.
     */
    private void rewindFrames(int depth) {
        if (!rewindFrameTo(frames.region(depth), frames.mark(depth))) {
            lastStart = frames.lastStart(depth);
        }
        counters.restoreSpill(frames.spill(depth));
        frames.popTo(depth);
        assert invariant() : this;
    }

    /** Gives back every fallback block, then rethrows the first of {@code failure} and what that threw. */
    private void freeAllFallback(Throwable failure) {
        try {
            ledger.freeAll();
        } catch (RuntimeException | Error e) {
            failure = Checks.addFailure(failure, e);
        }
        Checks.rethrow(failure);
    }

    /**
     * @throws IllegalStateException unless {@code frame} is this allocator's innermost open frame
     * @throws WrongThreadException if called from a thread other than the owner
     */
    void checkInnermost(Frame frame) {
        checkOwner();
        if (!frames.isInnermost(frame.id)) {
            if (!frames.isOpen(frame.depth, frame.id)) {
                throw frameEnded(frame.depth, frame.id);
            }
            throw new IllegalStateException(frame + " is not the innermost open frame (depth " + frames.depth()
                    + "): allocate, reallocate and free through the innermost one");
        }
    }

    /** {@return whether {@code frame} is open: neither closed nor ended by reset() or close()} Any thread. */
    boolean isOpen(Frame frame) {
        return frames.isOpen(frame.depth, frame.id);
    }

    /** {@return {@code frame}'s Arena view, made on first use} See {@link Frame#asArena()}. */
    FrameArena arenaOf(Frame frame) {
        checkOwner();
        if (!isOpen(frame)) {
            throw frameEnded(frame.depth, frame.id);
        }
        FrameArena arena = (FrameArena) frames.arena(frame.depth);
        if (arena == null) {
            arena = new FrameArena(frame, this, region);
            frames.setArena(frame.depth, arena);
        }
        return arena;
    }

    /** {@return the exception for a use of the frame {@code id} at {@code depth} once it has ended} */
    private static IllegalStateException frameEnded(int depth, long id) {
        return new IllegalStateException("The frame is closed, or was ended by reset() or close() of its allocator: "
                + Frame.describe(depth, id));
    }

    @Override
    public long capacity() {
        return region.capacity;
    }

    @Override
    public BufferStatistics statistics() {
        return counters.snapshot(region.capacity, usedBytes(), ledger, chunks == null ? 0 : chunks.regions() - 1,
                chunks == null ? 0 : chunks.chunkBytes());
    }

    @Override
    public BufferAllocator named(String name) {
        checkOwner();
        diagnostics.name(name);
        return this;
    }

    @Override
    public Optional<String> name() {
        return diagnostics.name();
    }

    @Override
    public String toString() {
        return diagnostics.describe("BufferAllocator", region, usedBytes(), ", fallbackBlocks=" + ledger.liveBlocks()
                + (isChecked() ? ", checked" : "") + (owner == null ? ", closed" : ""));
    }

}
