package dev.bufalloc;

import dev.bufalloc.internal.BufferClaims;
import dev.bufalloc.internal.BufferCounters;
import dev.bufalloc.internal.BufferRegion;
import dev.bufalloc.internal.Checks;
import dev.bufalloc.internal.FallbackLedger;
import dev.bufalloc.internal.FrameStack;
import dev.bufalloc.internal.jfr.Diagnostics;
import dev.bufalloc.system.MallocAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The buffer allocator confined to one thread, with frames: its cursor is a plain field. See
 * {@link BufferAllocator} for the contract. {@link CheckedBufferAllocator} extends it through the
 * {@code on…} hooks, which are empty here and called only off the bump.
 *
 * <p>Invariant: {@code 0 <= used <= capacity}; every live block lies in {@code buffer[0, used)} or is in
 * the ledger; {@code lastStart} is -1 or the start of the most recent buffer block, which ends at
 * {@code used} and lies in the innermost frame.
 */
sealed class ConfinedBufferAllocator implements BufferAllocator permits CheckedBufferAllocator {

    private static final Cleaner CLEANER = Cleaner.create();
    /** The owner of a pooled allocator that no thread has borrowed: nobody may use it until it is lent again. */
    static final Thread POOLED = Thread.ofVirtual().unstarted(() -> { });

    final BufferRegion region;
    // The bump's fields, copied from the region so that the bump reads no other object.
    private final MemorySegment buffer;
    private final long capacity;
    private final long bumpAlignmentLimit;
    private final FallbackLedger ledger;
    private final FrameStack frames = new FrameStack();
    private final BufferCounters counters = new BufferCounters();
    final Diagnostics diagnostics = new Diagnostics();   // the name, and the JFR events off the bump
    private final Cleaner.Cleanable claim;     // null for a pooled allocator: its pool keeps it to itself
    private final Consumer<ConfinedBufferAllocator> whenIdle;   // a pool's: takes it back when its last frame closes
    private Thread owner;                      // null once closed
    private long used;
    private long lastStart = -1;

    ConfinedBufferAllocator(MemorySegment buffer, Allocator fallback) {
        this(buffer, fallback, null);
    }

    /**
     * With {@code whenIdle} (a pool's), the buffer is not claimed (the pool keeps it to itself), and
     * {@code whenIdle} gets the allocator back each time its outermost frame closes.
     */
    ConfinedBufferAllocator(MemorySegment buffer, Allocator fallback, Consumer<ConfinedBufferAllocator> whenIdle) {
        this.region = new BufferRegion(buffer);
        this.buffer = buffer;
        this.capacity = region.capacity;
        this.bumpAlignmentLimit = region.bumpAlignmentLimit;
        this.ledger = new FallbackLedger(fallback, fallback == MallocAllocator.instance(), false, this);
        this.owner = Thread.currentThread();
        CLEANER.register(this, ledger.releaser());
        this.whenIdle = whenIdle;
        this.claim = whenIdle == null ? BufferClaims.claim(this, buffer, "a BufferAllocator made on " + owner) : null;
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (owner != Thread.currentThread()) {
            throw ownerFailure();
        }
        long start = (used + byteAlignment - 1) & -byteAlignment;
        if (byteSize >= 0 && byteSize <= capacity - start && byteAlignment > 0
                && (byteAlignment & (byteAlignment - 1)) == 0 && byteAlignment <= bumpAlignmentLimit) {
            lastStart = start;
            used = start + byteSize;
            return buffer.asSlice(start, byteSize);
        }
        return allocateElsewhere(byteSize, byteAlignment);
    }

    /** The slow path: bad requests, alignments beyond the buffer's own (aligned by address), and overflow. */
    private MemorySegment allocateElsewhere(long byteSize, long byteAlignment) {
        MemorySegment block = allocateInBuffer(byteSize, byteAlignment);
        return block != null ? block : allocateFromFallback(byteSize, byteAlignment);
    }

    /**
     * {@return a block from the buffer, aligned by address, or null if it does not fit} Call on the owner.
     *
     * @throws IllegalArgumentException if the request is bad
     */
    MemorySegment allocateInBuffer(long byteSize, long byteAlignment) {
        region.checkRequest(byteSize, byteAlignment);
        long start = region.alignedOffset(used, byteAlignment);
        if (byteSize > capacity - start) {
            return null;
        }
        lastStart = start;
        used = start + byteSize;
        return buffer.asSlice(start, byteSize);
    }

    private MemorySegment allocateFromFallback(long byteSize, long byteAlignment) {
        if (!ledger.exists()) {
            diagnostics.overflow(this, byteSize, byteAlignment, capacity, used, Diagnostics.NONE);
            throw region.full(byteSize, byteAlignment, used, diagnostics.quotedName());
        }
        MemorySegment block = ledger.allocate(byteSize, byteAlignment);
        counters.countFallback(byteSize);
        onFallback(byteSize);
        diagnostics.overflow(this, byteSize, byteAlignment, capacity, used, Diagnostics.BLOCK);
        return block;
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
        long offset = region.liveOffsetOf(segment, used);
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
        if (newest && region.isAligned(offset, byteAlignment) && newByteSize <= capacity - offset) {
            moveCursor(offset + newByteSize);
            counters.countInPlace();
            return onResized(segment, buffer.asSlice(offset, newByteSize));
        }
        MemorySegment moved = allocate(newByteSize, byteAlignment);
        long kept = Math.min(segment.byteSize(), newByteSize);
        MemorySegment.copy(segment, 0, moved, 0, kept);
        counters.countCopied(kept);
        if (newest && region.offsetOf(moved) < 0) {   // moved to the fallback: the old bytes come back
            moveCursor(offset);
            lastStart = -1;
        } else {
            onFree(segment);
        }
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
        long offset = region.liveOffsetOf(segment, used);
        if (offset >= 0) {
            if (isNewest(offset, segment.byteSize())) {
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
        checkOwner();
        Throwable failure = endFrames(1);
        moveCursor(0);
        lastStart = -1;
        counters.countReset();
        assert invariant() && frames.depth() == 0 && lastStart == -1 : this;
        diagnostics.sized(this, "reset");
        freeAllFallback(failure);
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
        freeAllFallback(failure);
    }

    @Override
    public Frame push() {
        checkOwner();
        long id = frames.push(used, lastStart, ledger.mark(), counters.spill());
        lastStart = -1;   // no block of the new frame yet: nothing older may grow or be given back
        assert invariant() : this;
        return new Frame(this, frames.depth(), id);
    }

    /**
     * Closes {@code frame}, and the frames inside it if any were left open (then reports that, once all is
     * given back). See {@link Frame#close()}.
     */
    void pop(Frame frame) {
        checkOwner();
        if (!frames.isOpen(frame.depth, frame.id)) {
            throw frameEnded(frame);
        }
        int innermost = frames.depth();
        Throwable failure = endFrames(frame.depth);
        if (innermost > frame.depth) {
            failure = Checks.addFailure(failure, new IllegalStateException(frame + " was closed while "
                    + (innermost - frame.depth) + " frame(s) pushed after it were open: they were closed with it"));
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
        moveCursor(frames.mark(depth));
        counters.restoreSpill(frames.spill(depth));
        lastStart = frames.lastStart(depth);
        frames.popTo(depth);
        assert invariant() : this;
        if (ledger.mark() != fallbackMark) {   // the frames took blocks from the fallback
            try {
                ledger.freeSince(fallbackMark);
            } catch (RuntimeException | Error e) {
                failure = Checks.addFailure(failure, e);
            }
        }
        return failure;
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
                throw frameEnded(frame);
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
            throw frameEnded(frame);
        }
        FrameArena arena = (FrameArena) frames.arena(frame.depth);
        if (arena == null) {
            arena = new FrameArena(frame, this, region);
            frames.setArena(frame.depth, arena);
        }
        return arena;
    }

    private IllegalStateException frameEnded(Frame frame) {
        return new IllegalStateException("The frame is closed, or was ended by reset() or close() of its allocator: "
                + frame);
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

    @Override
    public long usedBytes() {
        return used;
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public BufferStatistics statistics() {
        return counters.snapshot(capacity, used, ledger);
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
        return "BufferAllocator[" + diagnostics.toStringPrefix() + region + ", used=" + used
                + ", fallbackBlocks=" + ledger.liveBlocks()
                + (isChecked() ? ", checked" : "") + (owner == null ? ", closed]" : "]");
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

    private void checkOwner() {
        if (owner != Thread.currentThread()) {
            throw ownerFailure();
        }
    }

    private RuntimeException ownerFailure() {
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
    private boolean isNewest(long offset, long byteSize) {
        return offset == lastStart && offset + byteSize == used && (byteSize > 0 || offset > frames.floor());
    }

    /**
     * Sets the cursor anywhere but by the bump: notes the demand first (only the bump raises it without
     * looking), and tells checked mode which bytes a move down gives back.
     */
    private void moveCursor(long newUsed) {
        notePeak();
        if (newUsed < used) {
            onRewind(newUsed, used);
        }
        used = newUsed;
        assert 0 <= used && used <= capacity : this;   // the frames may not be popped yet: see invariant()
    }

    /** The class invariant, restored by every slow path that moves the cursor or the frames. */
    private boolean invariant() {
        return 0 <= used && used <= capacity && frames.floor() <= used
                && (lastStart == -1 || (frames.floor() <= lastStart && lastStart <= used));
    }

    private void notePeak() {
        counters.notePeak(used);
    }

    /** {@return whether the fallback block in {@code slot} is the newest one, and of the innermost frame} */
    private boolean isNewestFallback(int slot) {
        return ledger.isNewest(slot) && ledger.sequence(slot) >= frames.fallbackFloor();
    }
}
