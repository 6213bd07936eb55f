package dev.bufalloc;

import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.internal.Checks;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.Objects;

/**
 * A bump allocator over a buffer the caller preallocated, native or heap: Biscuit's
 * {@code std/buffer_allocator}. Allocation appends to the buffer; {@code free} costs nothing; when
 * the buffer is full, requests go to a fallback allocator (the context allocator by default), whose
 * blocks are tracked and freed on {@link #free}, {@link #reset()} and {@link #close()}. After
 * {@code reset()} the whole buffer is free again.
 *
 * {@snippet :
 * try (Arena arena = Arena.ofConfined();
 *      BufferAllocator scratch = BufferAllocator.of(arena.allocate(4096))) {
 *     for (String line : lines) {
 *         MemorySegment cLine = scratch.allocateFrom(line);   // in the buffer: no malloc, no Arena
 *         long n = (long) STRLEN.invokeExact(cLine);
 *         scratch.reset();                                   // the whole buffer is free again
 *     }
 * }
 * }
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Ownership:</b> the allocator never owns or frees the buffer; the buffer must stay
 *       alive while the allocator is used. A buffer, or any part of one, is managed by one live
 *       allocator at a time: a second one over it gets {@link IllegalStateException} until the
 *       first is {@linkplain #close() closed} (or becomes unreachable).</li>
 *   <li><b>Alignment:</b> a block's address is a multiple of the requested alignment, and only
 *       the padding that alignment needs is skipped: a 64-byte buffer holds 64 one-byte blocks,
 *       or eight 8-byte-aligned ones. A native buffer gives any alignment. A heap buffer gives at
 *       most its array's element size ({@code byte[]}: 1, {@code short[]}/{@code char[]}: 2,
 *       {@code int[]}/{@code float[]}: 4, {@code long[]}/{@code double[]}: 8), as the JDK's heap
 *       segments do; a request for more gets {@link IllegalArgumentException}.</li>
 *   <li><b>Size:</b> a block is exactly the size requested; buffer blocks lie inside the buffer.</li>
 *   <li><b>Zeroing:</b> none. A buffer block holds what the buffer held (zeros for a fresh Java
 *       array or {@code Arena} segment; older data after a reset). Fallback blocks are as their
 *       allocator makes them.</li>
 *   <li><b>Free:</b> freeing a buffer block has no effect, except that freeing the most recent
 *       block (the one that ends where the next allocation would start) gives its bytes back.
 *       Freeing a fallback block frees it through the fallback.</li>
 *   <li><b>Reallocate:</b> the most recent buffer block grows or shrinks in place when the
 *       buffer has room and its address suits the alignment: same address, nothing copied.
 *       Otherwise the bytes move to a new block (buffer or fallback).</li>
 *   <li><b>Full buffer:</b> a request that does not fit goes to the fallback; with
 *       {@link #withoutFallback} it gets {@link IndexOutOfBoundsException} saying how many bytes
 *       were asked and how many were left. Either way, if it fails, nothing changes.</li>
 *   <li><b>Threads:</b> confined to the thread that made it, like {@code Arena.ofConfined()}:
 *       every method but the read-only {@link #usedBytes()}, {@link #capacity()} and
 *       {@link #statistics()} throws {@link WrongThreadException} on another thread.</li>
 *   <li><b>Lifetime:</b> every block is valid until it is freed, until {@link #reset()} or until
 *       {@link #close()}; after that, buffer blocks may be handed out again. After {@code close()},
 *       every method but the read-only ones throws {@link IllegalStateException}.</li>
 * </ul>
 */
public final class BufferAllocator implements Allocator, AutoCloseable {

    // Invariant: 0 <= used <= capacity; every live block lies in buffer[0, used) or is in fallbackBlocks.
    private MemorySegment buffer;              // in checked mode: seen through the current generation's scope
    private final long base;
    private final long capacity;
    private final long alignmentLimit;
    private final Object heapArray;            // null for a native buffer
    private final Allocator fallback;          // null: none
    private final FallbackBlocks fallbackBlocks = new FallbackBlocks();
    private final Cleaner.Cleanable claim;
    private final CheckedMode checked;         // null: not checked
    private Thread owner;                      // null once closed
    private long used;
    // Alignments up to this one hold for base + offset as for offset: the bump aligns the offset alone.
    private final long bumpAlignmentLimit;
    // The open frames: nothing below the innermost one's mark is given back or grown into.
    private final FrameStack frames = new FrameStack();

    private final BufferCounters counters = new BufferCounters();

    private BufferAllocator(MemorySegment buffer, Allocator fallback, boolean checked) {
        Buffers.check(buffer);
        this.checked = checked ? new CheckedMode(buffer) : null;
        this.buffer = checked ? this.checked.newGeneration() : buffer;
        this.base = buffer.address();
        this.capacity = buffer.byteSize();
        this.alignmentLimit = Buffers.alignmentLimit(buffer);
        this.bumpAlignmentLimit = Math.min(alignmentLimit, base == 0 ? Long.MAX_VALUE : Long.lowestOneBit(base));
        this.heapArray = buffer.heapBase().orElse(null);
        this.fallback = fallback;
        this.owner = Thread.currentThread();
        this.claim = BufferClaims.claim(this, buffer, "a BufferAllocator made on " + owner);
    }

    /**
     * Returns an allocator over {@code buffer} whose fallback is the
     * {@linkplain ContextAllocator#current() context allocator} current now.
     *
     * @param buffer the memory to allocate from: native or heap, writable, at least one byte
     * @return a new allocator, confined to this thread
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException if {@code buffer} is empty, read-only, of a closed arena, or
     *         confined to another thread
     * @throws IllegalStateException if a live allocator already manages any byte of {@code buffer}
     */
    public static BufferAllocator of(MemorySegment buffer) {
        return new BufferAllocator(buffer, ContextAllocator.current(), false);
    }

    /**
     * Returns an allocator over a Java byte array, whose fallback is the
     * {@linkplain ContextAllocator#current() context allocator} current now. Its blocks are
     * byte-aligned only; for aligned heap data, pass {@code MemorySegment.ofArray(new long[n])}.
     *
     * @param buffer the memory to allocate from, at least one byte
     * @return a new allocator, confined to this thread
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException if {@code buffer} is empty
     * @throws IllegalStateException if a live allocator already manages {@code buffer}
     */
    public static BufferAllocator of(byte[] buffer) {
        return of(MemorySegment.ofArray(Objects.requireNonNull(buffer, "buffer")));
    }

    /**
     * Returns an allocator over {@code buffer} that takes what does not fit from {@code fallback}.
     *
     * @param buffer the memory to allocate from: native or heap, writable, at least one byte
     * @param fallback where requests go when the buffer is full
     * @return a new allocator, confined to this thread
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code buffer} is empty, read-only, of a closed arena, or
     *         confined to another thread
     * @throws IllegalStateException if a live allocator already manages any byte of {@code buffer}
     */
    public static BufferAllocator of(MemorySegment buffer, Allocator fallback) {
        return new BufferAllocator(buffer, Objects.requireNonNull(fallback, "fallback"), false);
    }

    /**
     * Returns an allocator over {@code buffer} with no fallback: a request that does not fit gets
     * {@link IndexOutOfBoundsException}, as with {@link java.lang.foreign.SegmentAllocator#slicingAllocator}.
     *
     * @param buffer the memory to allocate from: native or heap, writable, at least one byte
     * @return a new allocator, confined to this thread
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException if {@code buffer} is empty, read-only, of a closed arena, or
     *         confined to another thread
     * @throws IllegalStateException if a live allocator already manages any byte of {@code buffer}
     */
    public static BufferAllocator withoutFallback(MemorySegment buffer) {
        return new BufferAllocator(buffer, null, false);
    }

    /**
     * Returns a <em>checked</em> allocator over {@code buffer}, whose fallback is the
     * {@linkplain ContextAllocator#current() context allocator} current now: see
     * {@link #ofChecked(MemorySegment, Allocator)}.
     *
     * @param buffer the memory to allocate from: native or heap, writable, at least one byte
     * @return a new checked allocator, confined to this thread
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException if {@code buffer} is empty, read-only, of a closed arena, or
     *         confined to another thread
     * @throws IllegalStateException if a live allocator already manages any byte of {@code buffer}
     */
    public static BufferAllocator ofChecked(MemorySegment buffer) {
        return new BufferAllocator(buffer, ContextAllocator.current(), true);
    }

    /**
     * Returns a <em>checked</em> allocator over {@code buffer}: for tests and debugging, it turns
     * use-after-reset into exceptions and tells who overflowed the buffer.
     * <ul>
     *   <li>Every generation of the buffer, from one {@link #reset()} to the next (or to
     *       {@link #close()}), has a scope of its own: a segment handed out before a reset or close
     *       throws {@link IllegalStateException} when it is used after it (native buffers; the JDK
     *       cannot end a heap segment's scope, so heap buffers get the next point only).</li>
     *   <li>Bytes given back (by reset, close, a frame's close, or freeing the most recent block) are
     *       overwritten with {@code 0xDB}, so stale reads through other paths stand out.</li>
     *   <li>Every fallback records the call site it came from: see {@link #overflowSites()}.</li>
     * </ul>
     * Costs: nothing per allocation from the buffer; a JDK arena per reset (a confined one, about
     * 10 µs, for a buffer confined to one thread; a shared one, about 100 µs, otherwise), a
     * {@code reinterpret} and a stack walk per fallback, and the poisoning writes. Segments it hands out
     * follow the generation's scope instead of the buffer's own: keep the buffer's arena open for as
     * long as the allocator is used.
     *
     * @param buffer the memory to allocate from: native or heap, writable, at least one byte
     * @param fallback where requests go when the buffer is full
     * @return a new checked allocator, confined to this thread
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code buffer} is empty, read-only, of a closed arena, or
     *         confined to another thread
     * @throws IllegalStateException if a live allocator already manages any byte of {@code buffer}
     */
    public static BufferAllocator ofChecked(MemorySegment buffer, Allocator fallback) {
        return new BufferAllocator(buffer, Objects.requireNonNull(fallback, "fallback"), true);
    }

    /**
     * Returns a block of {@code byteSize} bytes aligned to {@code byteAlignment}: from the buffer when
     * it fits, else from the fallback. The bytes are not zeroed.
     *
     * @throws IllegalArgumentException if {@code byteSize < 0}, if {@code byteAlignment} is not a power
     *         of two, or if it is more than a heap buffer's array gives
     * @throws IndexOutOfBoundsException if the request does not fit and there is no fallback
     * @throws WrongThreadException if called from a thread other than the owner
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (owner != Thread.currentThread()) {
            throw ownerFailure();
        }
        long start = (used + byteAlignment - 1) & -byteAlignment;
        if (byteSize >= 0 && byteSize <= capacity - start
                && Buffers.validAlignment(byteAlignment, bumpAlignmentLimit)) {
            used = start + byteSize;
            return buffer.asSlice(start, byteSize);
        }
        return allocateElsewhere(byteSize, byteAlignment);
    }

    /**
     * The slow path of {@link #allocate}: bad requests, alignments beyond the buffer's own (aligned
     * by address), and requests the buffer cannot hold.
     */
    private MemorySegment allocateElsewhere(long byteSize, long byteAlignment) {
        checkRequest(byteSize, byteAlignment);
        long start = Buffers.alignedOffset(base, used, byteAlignment);
        if (byteSize <= capacity - start) {
            used = start + byteSize;
            return buffer.asSlice(start, byteSize);
        }
        if (fallback == null) {
            throw Buffers.full(byteSize, byteAlignment, used, capacity);
        }
        MemorySegment block = fallback.allocate(byteSize, byteAlignment);
        fallbackBlocks.add(block);
        countFallback(byteSize);
        return checked == null ? block : checked.scoped(block);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The most recent buffer block is resized in place when the buffer has room and its address
     * suits {@code byteAlignment}: the same address is returned and nothing is copied. Any other
     * buffer block moves to a new block, from the buffer or the fallback. A fallback block is
     * reallocated by the fallback.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator (not
     *         in its buffer, nor a live fallback block; or a buffer block freed or reset), if
     *         {@code newByteSize < 0}, or if {@code byteAlignment} is not a power of two or is more
     *         than a heap buffer gives
     * @throws IndexOutOfBoundsException if the block must move, does not fit, and there is no fallback
     * @throws WrongThreadException if called from a thread other than the owner
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
        checkOwner();
        Checks.requireSegment(segment);
        checkRequest(newByteSize, byteAlignment);
        long offset = liveBufferOffset(segment);
        if (offset < 0) {
            return reallocateFallbackBlock(segment, newByteSize, byteAlignment);
        }
        long end = offset + segment.byteSize();
        if (end == used && inInnermostFrame(offset, segment.byteSize())
                && Buffers.isAligned(base, offset, byteAlignment) && newByteSize <= capacity - offset) {
            moveCursor(offset + newByteSize);
            counters.countInPlace();
            return buffer.asSlice(offset, newByteSize);
        }
        MemorySegment moved = Buffers.moveTo(this, segment, newByteSize, byteAlignment, counters);
        if (bufferOffset(moved) < 0) {
            rewindIfLast(offset, end);   // moved to the fallback: the old block's bytes come back
        }
        return moved;
    }

    private MemorySegment reallocateFallbackBlock(MemorySegment segment, long newByteSize, long byteAlignment) {
        int index = fallbackBlocks.indexOfLive(segment);
        MemorySegment moved = fallback.reallocate(segment, newByteSize, byteAlignment);
        fallbackBlocks.replace(index, moved);
        countFallback(newByteSize);
        return checked == null ? moved : checked.scoped(moved);
    }

    /**
     * {@inheritDoc}
     *
     * <p>A buffer block: no effect, unless it is the most recent block, whose bytes are given back.
     * A fallback block: freed through the fallback.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator (not
     *         in its buffer, nor a live fallback block; or a buffer block already given back)
     * @throws WrongThreadException if called from a thread other than the owner
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public void free(MemorySegment segment) {
        checkOwner();
        Checks.requireSegment(segment);
        long offset = liveBufferOffset(segment);
        if (offset >= 0) {
            rewindIfLast(offset, offset + segment.byteSize());
            return;
        }
        int index = fallbackBlocks.indexOfLive(segment);
        fallback.free(segment);
        if (fallbackBlocks.isNewest(index)) {
            notePeak();
            counters.returnFallback(segment.byteSize());
        }
        fallbackBlocks.remove(index);
    }

    /**
     * Makes the whole buffer free again and frees every fallback block. Every block handed out
     * before is invalid afterwards: its bytes will be handed out again. Statistics that cover the
     * allocator's life (peak demand, fallback totals) are kept.
     *
     * @throws WrongThreadException if called from a thread other than the owner
     * @throws IllegalStateException if the allocator is closed
     * @throws RuntimeException what the fallback's {@code free} threw, after every fallback block was
     *         released all the same
     */
    public void reset() {
        checkOwner();
        moveCursor(0);
        if (checked != null) {
            buffer = checked.newGeneration();
        }
        frames.popAll();
        counters.countReset();
        fallbackBlocks.freeSince(0, fallback);
    }

    /**
     * Frees every fallback block and ends the allocator's claim on its buffer, so that another
     * allocator may manage it. The buffer itself is not freed: it is the caller's. Every block
     * handed out before is invalid afterwards.
     *
     * @throws WrongThreadException if called from a thread other than the owner
     * @throws IllegalStateException if the allocator is already closed
     * @throws RuntimeException what the fallback's {@code free} threw, after the allocator was closed
     *         all the same
     */
    @Override
    public void close() {
        checkOwner();
        notePeak();
        owner = null;
        frames.popAll();
        if (checked != null) {
            checked.poison(0, used);   // the cursor stays where it was, for statistics()
            checked.endGeneration();
        }
        claim.clean();
        fallbackBlocks.freeSince(0, fallback);
    }

    /**
     * Opens a {@linkplain Frame frame}: everything allocated from now until the frame closes is freed
     * when it closes, buffer space and fallback blocks alike. Frames nest and close innermost first.
     *
     * {@snippet :
     * try (Frame frame = allocator.push()) {
     *     MemorySegment tmp = frame.allocate(ValueLayout.JAVA_INT, 100);
     *     // ...
     * }   // the 400 bytes are free again; blocks allocated before the frame are untouched
     * }
     *
     * @return the new innermost frame
     * @throws WrongThreadException if called from a thread other than the owner
     * @throws IllegalStateException if the allocator is closed
     */
    public Frame push() {
        checkOwner();
        long id = frames.push(used, fallbackBlocks.mark());
        return new Frame(this, frames.depth(), id);
    }

    /** Closes {@code frame}: see {@link Frame#close()}. */
    void pop(Frame frame) {
        checkInnermost(frame);
        long fallbackMark = frames.fallbackMark(frame.depth);
        moveCursor(frames.mark(frame.depth));
        frames.pop();
        if (fallbackBlocks.mark() != fallbackMark) {   // the frame took blocks from the fallback
            freeFallbackSince(fallbackMark);
        }
    }

    private void freeFallbackSince(long fallbackMark) {
        counters.returnFallback(fallbackBlocks.bytesSince(fallbackMark));
        fallbackBlocks.freeSince(fallbackMark, fallback);
    }

    /**
     * @throws IllegalStateException unless {@code frame} is this allocator's innermost open frame
     * @throws WrongThreadException if called from a thread other than the owner
     */
    void checkInnermost(Frame frame) {
        checkOwner();
        if (!frames.isInnermost(frame.id)) {
            checkUsable(frame);
            throw new IllegalStateException("Frames close innermost first: " + frame
                    + " is not the innermost open frame (depth " + frames.depth() + ")");
        }
    }

    /** @throws IllegalStateException if {@code frame} was closed or ended (it may be an outer frame) */
    void checkUsable(Frame frame) {
        checkOwner();
        if (!isOpen(frame)) {
            throw new IllegalStateException("The frame is closed, or was ended by reset() or close() of its"
                    + " allocator: " + frame);
        }
    }

    /** Whether {@code frame} is open: neither closed nor ended by reset() or close() (reads only, on any thread). */
    boolean isOpen(Frame frame) {
        return frames.isOpen(frame.depth, frame.id);
    }

    /** Returns {@code frame}'s Arena view, made on first use. See {@link Frame#asArena()}. */
    FrameArena arenaOf(Frame frame) {
        checkUsable(frame);
        FrameArena arena = frames.arena(frame.depth);
        if (arena == null) {
            if (heapArray != null) {
                throw new UnsupportedOperationException("An Arena view needs a native buffer; this allocator's"
                        + " buffer is on the heap: " + this);
            }
            arena = new FrameArena(frame);
            frames.setArena(frame.depth, arena);
        }
        return arena;
    }


    /**
     * Returns where the fallback blocks of a {@linkplain #ofChecked checked} allocator were
     * allocated from, most bytes first, over the allocator's life: the call sites that overflowed the
     * buffer. Any thread may call this; on a thread other than the owner, the list may be stale.
     *
     * @return the overflow call sites; empty if nothing overflowed or the allocator is not checked
     */
    public java.util.List<OverflowSite> overflowSites() {
        return checked == null ? java.util.List.of() : checked.overflowSites();
    }

    /**
     * Returns whether this allocator was made in checked mode.
     *
     * @return true for an allocator from {@link #ofChecked}
     */
    public boolean isChecked() {
        return checked != null;
    }

    /**
     * Returns the bytes of the buffer in use, alignment padding included; fallback blocks are not
     * counted, as in Biscuit. Any thread may call this; on a thread other than the owner, the value
     * may be stale.
     *
     * @return the offset in the buffer where the next allocation starts its search
     */
    public long usedBytes() {
        return used;
    }

    /**
     * Returns the buffer's size. Any thread may call this.
     *
     * @return the buffer's size, in bytes
     */
    public long capacity() {
        return capacity;
    }

    /**
     * Returns a snapshot of the allocator's numbers. Any thread may call this; on a thread other
     * than the owner, the values may be stale.
     *
     * @return the statistics now
     */
    public BufferStatistics statistics() {
        return counters.snapshot(capacity, used, fallbackBlocks);
    }

    @Override
    public String toString() {
        return "BufferAllocator[" + Checks.describe(buffer) + ", used=" + used + ", fallbackBlocks="
                + fallbackBlocks.size() + (owner == null ? ", closed]" : "]");
    }

    // ---- slow-path helpers -------------------------------------------------------------------

    private void checkRequest(long byteSize, long byteAlignment) {
        Buffers.checkRequest(byteSize, byteAlignment, alignmentLimit, buffer);
    }

    private void checkOwner() {
        if (owner != Thread.currentThread()) {
            throw ownerFailure();
        }
    }

    private RuntimeException ownerFailure() {
        return owner == null
                ? new IllegalStateException("Already closed: " + this)
                : new WrongThreadException("Attempted access outside owner thread " + owner + ": " + this);
    }

    /** Returns where {@code segment} starts in the buffer, or -1 if it is not inside the buffer. */
    private long bufferOffset(MemorySegment segment) {
        return Buffers.offsetIn(segment, heapArray, base, capacity);
    }

    /**
     * Returns where {@code segment} starts in the buffer, or -1 if it is not inside the buffer.
     *
     * @throws IllegalArgumentException if it has bytes inside the buffer but not below the cursor, so
     *         cannot be live (given back, or reset)
     */
    private long liveBufferOffset(MemorySegment segment) {
        return Buffers.liveOffsetIn(segment, heapArray, base, capacity, used);
    }

    /**
     * Returns whether a buffer block was allocated in the innermost open frame (or no frame is open), so
     * that resizing it in place cannot reach below the frame. A block older than the frame ends at or
     * below its mark; an empty block right at the mark may be older, so it counts as older.
     */
    private boolean inInnermostFrame(long offset, long byteSize) {
        long floor = frames.floor();
        return frames.isEmpty() || offset > floor || (offset == floor && byteSize > 0);
    }

    private void rewindIfLast(long offset, long end) {
        if (end == used && offset >= frames.floor()) {
            moveCursor(offset);
        }
    }

    /**
     * Sets the cursor anywhere but by the bump: records the demand first (only the bump raises it without
     * looking) and, in checked mode, poisons the bytes a move down gives back.
     */
    private void moveCursor(long newUsed) {
        notePeak();
        if (checked != null) {
            checked.poison(newUsed, used);
        }
        used = newUsed;
    }

    private void countFallback(long byteSize) {
        if (checked != null) {
            checked.recordOverflow(byteSize);
        }
        counters.countFallback(byteSize);
    }

    /** Records the demand before anything lowers it (the bump itself only raises it). */
    private void notePeak() {
        counters.notePeak(used);
    }
}
