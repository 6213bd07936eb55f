package dev.bufalloc.system;

import dev.bufalloc.Allocator;
import dev.bufalloc.internal.Checks;
import dev.bufalloc.internal.FallbackLedger;
import dev.bufalloc.internal.LibC;

import java.lang.foreign.MemorySegment;

/**
 * The C library's {@code malloc} and {@code free}, made safe: every block has a scope of its own, confined
 * to the thread that allocated it, which ends when the block is freed. A block used after {@code free}
 * throws {@link IllegalStateException}, as a segment of a closed {@code Arena.ofConfined()} does, instead of
 * touching freed memory. It is the default {@linkplain dev.bufalloc.context.ContextAllocator context
 * allocator}, as {@code malloc} is Biscuit's. For memory that several threads use, or for the last
 * nanoseconds, see {@link UnscopedMallocAllocator} (unsafe) or a shared {@link dev.bufalloc.BufferAllocator}.
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Alignment:</b> any power of two.</li>
 *   <li><b>Zeroing:</b> none; new bytes hold whatever the C library left there.</li>
 *   <li><b>Threads:</b> any thread may allocate. A block is confined to the thread that allocated it:
 *       only that thread may access, reallocate or free it; others get {@link WrongThreadException}.</li>
 *   <li><b>Lifetime:</b> a block lives until it is freed (or moved by {@link #reallocate}). A block never
 *       freed is given back by the garbage collector once the thread that allocated it has ended and none
 *       of that thread's blocks is reachable.</li>
 *   <li><b>Misuse:</b> freeing a block twice, a slice of one, or memory from elsewhere gets
 *       {@link IllegalArgumentException}; no sequence of calls can corrupt the C heap.</li>
 *   <li><b>Cost:</b> a JDK confined arena per block, on top of {@code malloc}. Each thread keeps its live
 *       blocks in a table of its own, in arrays: no garbage per block beyond its arena, no contention between
 *       threads, and the same cost whatever the number of live blocks.</li>
 * </ul>
 * Needs {@code --enable-native-access=dev.bufalloc} (or {@code ALL-UNNAMED} on the class path).
 *
 * {@snippet class="dev.bufalloc.snippets.SystemSnippets" region="MallocAllocator"}
 */
public final class MallocAllocator implements Allocator {

    private static final MallocAllocator INSTANCE = new MallocAllocator();

    /** Each thread's live blocks: blocks are confined to their thread, so is the table. */
    private static final ThreadLocal<FallbackLedger> BLOCKS = ThreadLocal.withInitial(MallocAllocator::newTable);

    private MallocAllocator() {}

    /** {@return the process-wide malloc allocator} */
    public static MallocAllocator instance() {
        return INSTANCE;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The bytes are not zeroed. A zero-byte request still takes a unique block, which must be freed.
     *
     * @throws IllegalArgumentException if {@code byteSize < 0} or {@code byteAlignment} is not a power of two
     * @throws OutOfMemoryError if the C library cannot allocate the block
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        Checks.checkSizeAndAlignment(byteSize, byteAlignment);
        return BLOCKS.get().allocate(byteSize, byteAlignment);
    }

    /**
     * {@return a table for a new thread's blocks} It frees, through the garbage collector, what is left once its
     * key (held by the table and by every block's scope, not by the thread) is unreachable: the thread ended
     * and none of its blocks can be used.
     */
    private static FallbackLedger newTable() {
        return new FallbackLedger(INSTANCE, true, false, new Object());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The block always moves: the new one is allocated, the bytes copied, the old one freed (its segment
     * is dead afterwards). Bytes past the old size are not zeroed.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator, if
     *         {@code newByteSize < 0}, or if {@code byteAlignment} is not a power of two
     * @throws WrongThreadException if the block was allocated by another thread
     * @throws OutOfMemoryError if the C library cannot allocate the block; {@code segment} is then unchanged
     */
    @Override
    public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
        FallbackLedger blocks = BLOCKS.get();
        int slot = slotOf(blocks, segment);
        Checks.checkSizeAndAlignment(newByteSize, byteAlignment);
        return blocks.reallocate(slot, newByteSize, byteAlignment);
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@link MemorySegment#NULL} is accepted and ignored, as {@code free(NULL)} is in C.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator (already
     *         freed, a slice of a block, a heap segment, or memory from elsewhere)
     * @throws WrongThreadException if the block was allocated by another thread
     * @throws IllegalStateException if a native call still holds the block (it stays allocated)
     */
    @Override
    public void free(MemorySegment segment) {
        if (Checks.requireSegment(segment).equals(MemorySegment.NULL) && segment.byteSize() == 0) {
            return;
        }
        FallbackLedger blocks = BLOCKS.get();
        blocks.free(slotOf(blocks, segment));
    }

    /**
     * {@return the bytes bufalloc holds from the C library, across all threads} That is the blocks of this
     * allocator and of {@link UnscopedMallocAllocator} not yet freed, and the memory buffer allocators took
     * from the C library when their fallback is this allocator.
     */
    public long liveBytes() {
        return LibC.liveBytes();
    }

    /** {@return the number of blocks bufalloc holds from the C library, across all threads (see {@link #liveBytes()})} */
    public long liveBlocks() {
        return LibC.liveBlocks();
    }

    @Override
    public String toString() {
        return "MallocAllocator[liveBlocks=" + liveBlocks() + ", liveBytes=" + liveBytes() + "]";
    }

    /**
     * {@return the slot of {@code segment} in this thread's table}
     *
     * @throws WrongThreadException if it is a live segment confined to another thread (a block of another thread)
     * @throws IllegalArgumentException if it is not a live block of this thread
     */
    private static int slotOf(FallbackLedger blocks, MemorySegment segment) {
        boolean alive = Checks.requireSegment(segment).scope().isAlive();
        int slot = alive && segment.isNative() ? blocks.find(segment) : -1;
        if (slot >= 0 && blocks.isBlock(slot, segment)) {
            return slot;
        }
        if (alive && segment.isNative() && !segment.isAccessibleBy(Thread.currentThread())) {
            throw wrongThread(segment);
        }
        throw new IllegalArgumentException("Not a live block of the malloc allocator: " + Checks.describe(segment)
                + " (already freed, a slice of a block, or allocated elsewhere)");
    }

    private static WrongThreadException wrongThread(MemorySegment segment) {
        return new WrongThreadException("The malloc allocator's block " + Checks.describe(segment)
                + " is confined to the thread that allocated it: free or reallocate it there");
    }
}
