package dev.bufalloc;

import dev.bufalloc.internal.BufferClaims;
import dev.bufalloc.internal.BufferCounters;
import dev.bufalloc.internal.BufferRegion;
import dev.bufalloc.internal.Checks;
import dev.bufalloc.internal.FallbackLedger;
import dev.bufalloc.internal.jfr.Diagnostics;
import dev.bufalloc.system.MallocAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The buffer allocator that any thread may use at once: its cursor is one word bumped by compare-and-set;
 * the fallback, frees and statistics take a lock. See {@link BufferAllocator#ofShared(MemorySegment)}.
 *
 * <p>Invariant: {@code used <= capacity}; every live block lies in {@code buffer[0, used)} or is in the
 * ledger. The cursor only moves down on reset, so a block is never handed out twice.
 */
final class SharedBufferAllocator implements BufferAllocator {

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

    private final BufferRegion region;
    private final Cleaner.Cleanable claim;
    private volatile long state;

    // Guarded by lock: the ledger, every statistic but the cursor, and every decrease of the cursor.
    private final ReentrantLock lock = new ReentrantLock();
    private final FallbackLedger ledger;
    private final BufferCounters counters = new BufferCounters();
    private final Diagnostics diagnostics = new Diagnostics();   // the name, and the JFR events off the bump
    private long usedAtClose;
    private long written;   // how far blocks reached before the resets since the last resetAndZero

    SharedBufferAllocator(MemorySegment buffer, Allocator fallback) {
        this.region = new BufferRegion(buffer);
        if (region.capacity > USED_MASK) {
            throw new IllegalArgumentException("The buffer is larger than a shared allocator manages (2^48 - 1 bytes): "
                    + region);
        }
        this.ledger = new FallbackLedger(fallback, fallback == MallocAllocator.instance(), true, this);
        this.claim = BufferClaims.claim(this, buffer, "a shared BufferAllocator made on " + Thread.currentThread());
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        long current;
        long start;
        do {
            current = state;
            start = region.alignedOffset(current & USED_MASK, byteAlignment);
            if (current == CLOSED || byteSize < 0 || byteSize > region.capacity - start
                    || !Checks.isPowerOfTwo(byteAlignment) || byteAlignment > region.alignmentLimit) {
                return allocateElsewhere(byteSize, byteAlignment);
            }
        } while (!STATE.weakCompareAndSet(this, current, (current & ~USED_MASK) | (start + byteSize)));
        return region.segment.asSlice(start, byteSize);
    }

    /** The slow path: bad requests, a closed allocator, and requests the buffer cannot hold. */
    private MemorySegment allocateElsewhere(long byteSize, long byteAlignment) {
        region.checkRequest(byteSize, byteAlignment);
        lock.lock();
        try {
            long current = checkOpen();
            if (!ledger.exists()) {
                diagnostics.overflow(this, byteSize, byteAlignment, region.capacity, current & USED_MASK,
                        Diagnostics.NONE);
                throw region.full(byteSize, byteAlignment, current & USED_MASK, diagnostics.quotedName());
            }
            MemorySegment block = ledger.allocate(byteSize, byteAlignment);
            counters.countFallback(byteSize);
            diagnostics.overflow(this, byteSize, byteAlignment, region.capacity, current & USED_MASK,
                    Diagnostics.BLOCK);
            return block;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A buffer block always moves: another thread may have allocated right after it, and a stale block
     * from before a reset may lie over live ones. Runs under the allocator's lock, but for the bump.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator, if
     *         {@code newByteSize < 0}, or if {@code byteAlignment} is not a power of two or is more than a
     *         heap buffer gives
     * @throws IndexOutOfBoundsException if the block does not fit and there is no fallback
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
        FallbackLedger.requireAlive(segment);
        region.checkRequest(newByteSize, byteAlignment);
        lock.lock();
        try {
            long offset = region.liveOffsetOf(segment, checkOpen() & USED_MASK);
            if (offset < 0) {
                int slot = ledger.liveSlot(segment);
                boolean newest = ledger.isNewest(slot);
                notePeak(state);   // a block that shrinks lowers the demand
                MemorySegment moved = ledger.reallocate(slot, newByteSize, byteAlignment);
                if (newest) {
                    counters.countFallbackResize(segment.byteSize(), newByteSize);
                } else {
                    counters.countFallback(newByteSize);
                }
                return moved;
            }
            // Even shrinking moves: a stale block from before a reset can lie below the cursor, over live blocks.
            MemorySegment moved = allocate(newByteSize, byteAlignment);
            long kept = Math.min(segment.byteSize(), newByteSize);
            MemorySegment.copy(segment, 0, moved, 0, kept);
            counters.countCopied(kept);
            return moved;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A buffer block: no effect (its bytes come back on reset). A fallback block: given back to the
     * fallback, under the lock (memory the allocator scopes itself is held until the next reset or close).
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public void free(MemorySegment segment) {
        FallbackLedger.requireAlive(segment);
        lock.lock();
        try {
            long current = checkOpen();
            if (region.liveOffsetOf(segment, current & USED_MASK) >= 0) {
                return;
            }
            int slot = ledger.liveSlot(segment);
            boolean newest = ledger.isNewest(slot);
            int liveBefore = ledger.liveBlocks();
            notePeak(current);
            try {
                ledger.free(slot);
            } finally {
                if (newest && ledger.liveBlocks() < liveBefore) {   // forgotten, even if the fallback's free threw
                    counters.returnFallback(segment.byteSize());
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void reset() {
        lock.lock();
        try {
            long current;
            do {
                current = checkOpen();
                notePeak(current);
            } while (!STATE.compareAndSet(this, current, ((current & ~USED_MASK) + EPOCH_UNIT) & Long.MAX_VALUE));
            written = Math.max(written, Math.min(current & USED_MASK, region.capacity));
            counters.countReset();
            diagnostics.sized(this, "reset");
            ledger.freeAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void resetAndZero() {
        lock.lock();
        try {
            region.zero(Math.max(written, Math.min(checkOpen() & USED_MASK, region.capacity)));
            written = 0;
            reset();   // the lock is reentrant
        } finally {
            lock.unlock();
        }
    }

    /** {@inheritDoc} Calls racing with it either complete before it or get {@link IllegalStateException}. */
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
            diagnostics.sized(this, "close");
            claim.clean();
            ledger.freeAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Frame push() {
        throw new UnsupportedOperationException("A shared allocator has no frames: frames assume one thread."
                + " Use a confined allocator, or Scratch.push(), per thread");
    }

    @Override
    public long usedBytes() {
        long current = state;
        return current == CLOSED ? usedAtClose : current & USED_MASK;
    }

    @Override
    public long capacity() {
        return region.capacity;
    }

    /** {@inheritDoc} Taken under the allocator's lock: consistent. */
    @Override
    public BufferStatistics statistics() {
        lock.lock();
        try {
            return counters.snapshot(region.capacity, usedBytes(), ledger, 0, 0);
        } finally {
            lock.unlock();
        }
    }

    /** {@inheritDoc} Any thread may call it; the name is published to every thread. */
    @Override
    public BufferAllocator named(String name) {
        checkOpen();
        diagnostics.name(name);
        return this;
    }

    @Override
    public Optional<String> name() {
        return diagnostics.name();
    }

    @Override
    public String toString() {
        return diagnostics.describe("SharedBufferAllocator", region, usedBytes(), state == CLOSED ? ", closed" : "");
    }

    // ---- under the lock ----------------------------------------------------------------------------

    private long checkOpen() {
        long current = state;
        if (current == CLOSED) {
            throw new IllegalStateException("Already closed: " + this);
        }
        return current;
    }

    private void notePeak(long current) {
        counters.notePeak(current & USED_MASK);
    }
}
