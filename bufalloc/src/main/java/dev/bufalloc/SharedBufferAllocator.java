package dev.bufalloc;

import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.internal.Checks;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link BufferAllocator} for a buffer that several threads allocate from at once: the bump is a
 * lock-free compare-and-set on one word, the rest takes a lock. Use it where threads share one
 * scratch buffer (e.g. the workers of one request); where each thread can have its own buffer,
 * {@link BufferAllocator} or {@link Scratch} is faster.
 *
 * {@snippet :
 * try (Arena arena = Arena.ofShared();
 *      SharedBufferAllocator shared = SharedBufferAllocator.of(arena.allocate(1 << 20))) {
 *     try (var scope = Executors.newVirtualThreadPerTaskExecutor()) {
 *         for (Item item : items) {
 *             scope.submit(() -> process(item, shared));   // every thread allocates from the buffer
 *         }
 *     }   // all workers done: now reset() or close() is allowed
 *     shared.reset();
 * }
 * }
 *
 * <h2>Contract</h2>
 * The same as {@link BufferAllocator}'s for alignment, sizes, zeroing, free, reallocate, fallback
 * and the one-allocator-per-buffer rule, with these differences:
 * <ul>
 *   <li><b>Threads:</b> any thread may call any method. The buffer must be accessible to the threads
 *       that use it (e.g. from {@code Arena.ofShared()}, {@code ofAuto()}, {@code global()}, or a heap array).
 *       No two live blocks ever overlap, whatever the interleaving.</li>
 *   <li><b>Fallback:</b> calls to the fallback are serialized by the allocator's lock, so any
 *       allocator can serve as the fallback.</li>
 *   <li><b>Statistics</b> are exact: the cursor is one atomic word, everything else changes under the lock.</li>
 *   <li><b>{@link #reset()} and {@link #close()}</b> may be called from any thread, but only when no
 *       other thread is still using a block handed out before: the caller makes sure of it (join the
 *       workers first). If that rule is broken, an allocation racing with the reset is linearized
 *       before it (its block is invalid after the reset) or after it (valid): a block is never
 *       handed out twice. But a thread that goes on using a block from before the reset reads and
 *       writes memory that is handed out again, and a fallback block is freed under it.</li>
 *   <li>No frames and no checked mode: both assume one thread.</li>
 *   <li>The buffer may hold at most 2<sup>48</sup> - 1 bytes (256 TiB less one byte): the cursor has 48 bits.</li>
 * </ul>
 */
public final class SharedBufferAllocator implements Allocator, AutoCloseable {

    // state = epoch << 48 | used, or CLOSED. The epoch changes on every reset, so a compare-and-set
    // that read the cursor before a reset fails after it, even if the cursor is back at the same value.
    private static final long USED_MASK = (1L << 48) - 1;
    private static final long EPOCH_UNIT = 1L << 48;
    private static final long CLOSED = -1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(SharedBufferAllocator.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Invariant: used <= capacity; every live block lies in buffer[0, used) or is in fallbackBlocks.
    private final MemorySegment buffer;
    private final long base;
    private final long capacity;
    private final long alignmentLimit;
    private final Object heapArray;
    private final Allocator fallback;                 // null: none
    private final Cleaner.Cleanable claim;
    private volatile long state;

    // Guarded by lock: the fallback, its blocks, every statistic but the cursor, and every decrease of the cursor.
    private final ReentrantLock lock = new ReentrantLock();
    private final FallbackBlocks fallbackBlocks = new FallbackBlocks();
    private final BufferCounters counters = new BufferCounters();
    private long usedAtClose;

    private SharedBufferAllocator(MemorySegment buffer, Allocator fallback) {
        Buffers.check(buffer);
        if (buffer.byteSize() > USED_MASK) {
            throw new IllegalArgumentException("The buffer is larger than a shared allocator manages (2^48 - 1 bytes): "
                    + Checks.describe(buffer));
        }
        this.buffer = buffer;
        this.base = buffer.address();
        this.capacity = buffer.byteSize();
        this.alignmentLimit = Buffers.alignmentLimit(buffer);
        this.heapArray = buffer.heapBase().orElse(null);
        this.fallback = fallback;
        this.claim = BufferClaims.claim(this, buffer, "a SharedBufferAllocator made on " + Thread.currentThread());
    }

    /**
     * Returns a thread-safe allocator over {@code buffer} whose fallback is the
     * {@linkplain ContextAllocator#current() context allocator} current now.
     *
     * @param buffer the memory to allocate from, accessible to the threads that will allocate
     * @return a new allocator, usable from any thread
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException if {@code buffer} is empty, read-only, of a closed arena, confined
     *         to another thread, or larger than 2<sup>48</sup> - 1 bytes
     * @throws IllegalStateException if a live allocator already manages any byte of {@code buffer}
     */
    public static SharedBufferAllocator of(MemorySegment buffer) {
        return new SharedBufferAllocator(buffer, ContextAllocator.current());
    }

    /**
     * Returns a thread-safe allocator over {@code buffer} that takes what does not fit from {@code fallback}.
     *
     * @param buffer the memory to allocate from, accessible to the threads that will allocate
     * @param fallback where requests go when the buffer is full; called under the allocator's lock
     * @return a new allocator, usable from any thread
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code buffer} is empty, read-only, of a closed arena, confined
     *         to another thread, or larger than 2<sup>48</sup> - 1 bytes
     * @throws IllegalStateException if a live allocator already manages any byte of {@code buffer}
     */
    public static SharedBufferAllocator of(MemorySegment buffer, Allocator fallback) {
        return new SharedBufferAllocator(buffer, Objects.requireNonNull(fallback, "fallback"));
    }

    /**
     * Returns a thread-safe allocator over {@code buffer} with no fallback: a request that does not fit
     * gets {@link IndexOutOfBoundsException}.
     *
     * @param buffer the memory to allocate from, accessible to the threads that will allocate
     * @return a new allocator, usable from any thread
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException if {@code buffer} is empty, read-only, of a closed arena, confined
     *         to another thread, or larger than 2<sup>48</sup> - 1 bytes
     * @throws IllegalStateException if a live allocator already manages any byte of {@code buffer}
     */
    public static SharedBufferAllocator withoutFallback(MemorySegment buffer) {
        return new SharedBufferAllocator(buffer, null);
    }

    /**
     * Returns a block of {@code byteSize} bytes aligned to {@code byteAlignment}: from the buffer when it
     * fits (lock-free), else from the fallback (under the lock). The bytes are not zeroed.
     *
     * @throws IllegalArgumentException if {@code byteSize < 0}, if {@code byteAlignment} is not a power
     *         of two, or if it is more than a heap buffer's array gives
     * @throws IndexOutOfBoundsException if the request does not fit and there is no fallback
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        long current;
        long start;
        do {
            current = state;
            start = Buffers.alignedOffset(base, current & USED_MASK, byteAlignment);
            if (current == CLOSED || byteSize < 0 || byteSize > capacity - start
                    || !Buffers.validAlignment(byteAlignment, alignmentLimit)) {
                return allocateElsewhere(byteSize, byteAlignment);
            }
        } while (!STATE.weakCompareAndSet(this, current, (current & ~USED_MASK) | (start + byteSize)));
        return buffer.asSlice(start, byteSize);
    }

    /** The slow path of {@link #allocate}: bad requests, a closed allocator, and requests the buffer cannot hold. */
    private MemorySegment allocateElsewhere(long byteSize, long byteAlignment) {
        Buffers.checkRequest(byteSize, byteAlignment, alignmentLimit, buffer);
        lock.lock();
        try {
            long current = checkOpen();
            if (fallback == null) {
                throw Buffers.full(byteSize, byteAlignment, current & USED_MASK, capacity);
            }
            MemorySegment block = fallback.allocate(byteSize, byteAlignment);
            fallbackBlocks.add(block);
            counters.countFallback(byteSize);
            return block;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>As {@link BufferAllocator#reallocate}: the most recent buffer block is resized in place if no
     * other thread allocated after it; other blocks move. Runs under the allocator's lock, but for the bump.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator, if
     *         {@code newByteSize < 0}, or if {@code byteAlignment} is not a power of two or is more than
     *         a heap buffer gives
     * @throws IndexOutOfBoundsException if the block must move, does not fit, and there is no fallback
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
        Checks.requireSegment(segment);
        Buffers.checkRequest(newByteSize, byteAlignment, alignmentLimit, buffer);
        lock.lock();
        try {
            long current = checkOpen();
            long offset = liveBufferOffset(segment, current);
            if (offset < 0) {
                int index = fallbackBlocks.indexOfLive(segment);
                MemorySegment moved = fallback.reallocate(segment, newByteSize, byteAlignment);
                fallbackBlocks.replace(index, moved);
                counters.countFallback(newByteSize);
                return moved;
            }
            long end = offset + segment.byteSize();
            if (Buffers.isAligned(base, offset, byteAlignment) && newByteSize <= capacity - offset
                    && moveCursor(current, end, offset + newByteSize)) {
                counters.countInPlace();
                return buffer.asSlice(offset, newByteSize);
            }
            MemorySegment moved = Buffers.moveTo(this, segment, newByteSize, byteAlignment, counters);
            if (Buffers.offsetIn(moved, heapArray, base, capacity) < 0) {
                moveCursor(state, end, offset);   // moved to the fallback: give the old bytes back if still last
            }
            return moved;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A buffer block: no effect, unless it is the most recent block (no thread allocated after it),
     * whose bytes are given back. A fallback block: freed through the fallback, under the lock.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public void free(MemorySegment segment) {
        Checks.requireSegment(segment);
        lock.lock();
        try {
            long current = checkOpen();
            long offset = liveBufferOffset(segment, current);
            if (offset >= 0) {
                moveCursor(current, offset + segment.byteSize(), offset);
                return;
            }
            int index = fallbackBlocks.indexOfLive(segment);
            fallback.free(segment);
            if (fallbackBlocks.isNewest(index)) {
                notePeak(current);
                counters.returnFallback(segment.byteSize());
            }
            fallbackBlocks.remove(index);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes the whole buffer free again and frees every fallback block. Call it only when no thread
     * uses a block handed out before: see the class description for what happens otherwise.
     *
     * @throws IllegalStateException if the allocator is closed
     * @throws RuntimeException what the fallback's {@code free} threw, after every fallback block was
     *         released all the same
     */
    public void reset() {
        lock.lock();
        try {
            long current;
            do {
                current = checkOpen();
                notePeak(current);
            } while (!STATE.compareAndSet(this, current, ((current & ~USED_MASK) + EPOCH_UNIT) & Long.MAX_VALUE));
            counters.countReset();
            fallbackBlocks.freeSince(0, fallback);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Frees every fallback block and ends the allocator's claim on its buffer. Call it only when no
     * thread uses a block handed out before. Calls racing with it either complete before it or get
     * {@link IllegalStateException}.
     *
     * @throws IllegalStateException if the allocator is already closed
     * @throws RuntimeException what the fallback's {@code free} threw, after the allocator was closed all the same
     */
    @Override
    public void close() {
        lock.lock();
        try {
            long current;
            do {   // usedAtClose is written before CLOSED is published, so a reader that sees CLOSED sees it
                current = checkOpen();
                notePeak(current);
                usedAtClose = current & USED_MASK;
            } while (!STATE.compareAndSet(this, current, CLOSED));
            claim.clean();
            fallbackBlocks.freeSince(0, fallback);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the bytes of the buffer in use, alignment padding included; fallback blocks are not counted.
     *
     * @return the cursor, as of now
     */
    public long usedBytes() {
        long current = state;
        return current == CLOSED ? usedAtClose : current & USED_MASK;
    }

    /**
     * Returns the buffer's size.
     *
     * @return the buffer's size, in bytes
     */
    public long capacity() {
        return capacity;
    }

    /**
     * Returns a consistent snapshot of the allocator's numbers (taken under its lock).
     *
     * @return the statistics now
     */
    public BufferStatistics statistics() {
        lock.lock();
        try {
            return counters.snapshot(capacity, usedBytes(), fallbackBlocks);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "SharedBufferAllocator[" + Checks.describe(buffer) + ", used=" + usedBytes()
                + (state == CLOSED ? ", closed]" : "]");
    }

    // ---- under the lock ----------------------------------------------------------------------

    private long checkOpen() {
        long current = state;
        if (current == CLOSED) {
            throw new IllegalStateException("Already closed: " + this);
        }
        return current;
    }

    /**
     * Moves the cursor from {@code from} to {@code to} if it is still at {@code from} in this epoch, i.e.
     * the block ending at {@code from} is still the most recent one. Returns whether it moved.
     */
    private boolean moveCursor(long current, long from, long to) {
        while ((current & USED_MASK) == from && current != CLOSED) {
            notePeak(current);
            if (STATE.compareAndSet(this, current, (current & ~USED_MASK) | to)) {
                return true;
            }
            current = state;
        }
        return false;
    }

    private long liveBufferOffset(MemorySegment segment, long current) {
        return Buffers.liveOffsetIn(segment, heapArray, base, capacity, current & USED_MASK);
    }

    private void notePeak(long current) {
        counters.notePeak(current & USED_MASK);
    }
}
