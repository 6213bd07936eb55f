package dev.bufalloc;

import dev.bufalloc.internal.BufferClaims;
import dev.bufalloc.internal.BufferCounters;
import dev.bufalloc.internal.BufferRegion;
import dev.bufalloc.internal.Checks;
import dev.bufalloc.internal.ChunkChain;
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
 * <p>A growing allocator ({@code chunks != null}) bumps in regions: the caller's buffer, then chunks of its
 * own. The bump's fields ({@code buffer}, {@code capacity}, {@code bumpAlignmentLimit}) are those of the
 * region it is in, {@code current}; everything else sees one cursor, {@code base + used}.
 *
 * <p>Invariant: {@code 0 <= used <= capacity}; every live block lies in {@code buffer[0, used)}, in what an
 * earlier region left in use, or is in the ledger; {@code lastStart} is -1 or the start of the most recent
 * block of the current region, which ends at {@code used} and lies in the innermost frame.
 */
sealed class ConfinedBufferAllocator implements BufferAllocator permits CheckedBufferAllocator {

    /** The owner of a pooled allocator that no thread has borrowed: nobody may use it until it is lent again. */
    static final Thread POOLED = Thread.ofVirtual().unstarted(() -> { });

    final BufferRegion region;                 // the caller's buffer
    // The bump's fields, copied from the current region so that the bump reads no other object.
    private MemorySegment buffer;
    private long capacity;
    private long bumpAlignmentLimit;
    private BufferRegion current;
    private int regionIndex;                   // of current: 0 for the buffer
    private long base;                         // bytes in use in the regions before current
    private final ChunkChain chunks;           // null unless growing
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
        this(buffer, fallback, false, null);
    }

    /**
     * With {@code growing}, requests that do not fit go to chunks taken from {@code fallback} (which must not
     * be null). With {@code whenIdle} (a pool's), the buffer is not claimed (the pool keeps it to itself), and
     * {@code whenIdle} gets the allocator back each time its outermost frame closes.
     */
    ConfinedBufferAllocator(MemorySegment buffer, Allocator fallback, boolean growing,
            Consumer<ConfinedBufferAllocator> whenIdle) {
        this.region = new BufferRegion(buffer);
        this.current = region;
        this.buffer = buffer;
        this.capacity = region.capacity;
        this.bumpAlignmentLimit = region.bumpAlignmentLimit;
        boolean fromCLibrary = fallback == MallocAllocator.instance();
        this.ledger = new FallbackLedger(fallback, fromCLibrary, false, this);
        // A pooled allocator's chunks outlive its borrowers and its pool: automatic memory, usable from any thread.
        this.chunks = !growing ? null
                : new ChunkChain(region, whenIdle != null ? null : new FallbackLedger(fallback, fromCLibrary, false, this));
        this.owner = Thread.currentThread();
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

    /** The fast path: a few lines, inlined; everything else is {@link #allocateElsewhere}. Call on the owner. */
    private MemorySegment bump(long byteSize, long byteAlignment) {
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
    private void rewindTo(int index, long mark) {
        if (index == regionIndex) {
            moveCursor(mark);
        } else {
            notePeak();
            enter(index, mark);
        }
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
     * {@return whether {@code segment} lies in what a region before the current one left in use: a live block
     * that can be neither given back nor grown}
     *
     * @throws IllegalArgumentException if it lies in a region but beyond what is in use there
     */
    private boolean isInEarlierRegion(MemorySegment segment) {
        return chunks != null && chunks.locate(segment, regionIndex) >= 0;
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
        checkOwner();
        Throwable failure = endFrames(1);
        rewindTo(0, 0);
        lastStart = -1;
        counters.countReset();
        assert invariant() && frames.depth() == 0 && lastStart == -1 : this;
        diagnostics.sized(this, "reset");
        freeAllFallback(failure);
    }

    @Override
    public void resetAndZero() {
        checkOwner();
        int last = regionIndex;
        long lastUsed = used;
        try {
            reset();
        } finally {
            if (used == 0 && regionIndex == 0) {   // reset, if maybe with a failure of the fallback's: zero
                for (int i = 0; i < last; i++) {
                    zero(chunks.region(i).segment, chunks.base(i + 1) - chunks.base(i));
                }
                zero(last == 0 ? region.segment : chunks.region(last).segment, lastUsed);
            }
        }
    }

    /** Zeroes the first {@code bytes} of {@code region}, unless its memory was freed (a caller's closed arena). */
    private static void zero(MemorySegment region, long bytes) {
        if (bytes > 0 && region.scope().isAlive()) {
            region.asSlice(0, bytes).fill((byte) 0);
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
            throw frameEnded(Frame.describe(depth, id));
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

    /** Closes the frames from {@code depth} in: the cursor, the spill and the newest block go back to their push. */
    private void rewindFrames(int depth) {
        rewindTo(frames.region(depth), frames.mark(depth));
        counters.restoreSpill(frames.spill(depth));
        lastStart = frames.lastStart(depth);
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

    private IllegalStateException frameEnded(Object frame) {
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
        return base + used;
    }

    @Override
    public long capacity() {
        return region.capacity;
    }

    @Override
    public BufferStatistics statistics() {
        return counters.snapshot(region.capacity, base + used, ledger, chunks == null ? 0 : chunks.regions() - 1,
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
        return "BufferAllocator[" + diagnostics.toStringPrefix() + region + ", used=" + usedBytes()
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
        return offset == lastStart && offset + byteSize == used && (byteSize > 0 || offset > floor());
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
        return 0 <= used && used <= capacity && floor() <= used
                && (lastStart == -1 || (floor() <= lastStart && lastStart <= used));
    }

    /** {@return where the innermost frame starts in the current region: 0 if it opened in an earlier one} */
    private long floor() {
        return frames.depth() == 0 || frames.region(frames.depth()) != regionIndex ? 0 : frames.floor();
    }

    private void notePeak() {
        counters.notePeak(base + used);
    }

    /** {@return whether the fallback block in {@code slot} is the newest one, and of the innermost frame} */
    private boolean isNewestFallback(int slot) {
        return ledger.isNewest(slot) && ledger.sequence(slot) >= frames.fallbackFloor();
    }
}
