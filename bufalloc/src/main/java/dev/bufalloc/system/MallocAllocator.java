package dev.bufalloc.system;

import dev.bufalloc.Allocator;
import dev.bufalloc.internal.Checks;
import dev.bufalloc.internal.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;

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
 *   <li><b>Lifetime:</b> a block lives until it is freed (or moved by {@link #reallocate}). Like a confined
 *       arena that is never closed, a block never freed is never given back: the garbage collector does
 *       not free it.</li>
 *   <li><b>Misuse:</b> freeing a block twice, a slice of one, or memory from elsewhere gets
 *       {@link IllegalArgumentException}; no sequence of calls can corrupt the C heap.</li>
 *   <li><b>Cost:</b> a JDK confined arena and a hash-map entry per block, on top of {@code malloc}.</li>
 * </ul>
 * Needs {@code --enable-native-access=dev.bufalloc} (or {@code ALL-UNNAMED} on the class path).
 *
 * {@snippet class="dev.bufalloc.snippets.SystemSnippets" region="MallocAllocator"}
 */
public final class MallocAllocator implements Allocator {

    private static final MallocAllocator INSTANCE = new MallocAllocator();

    /** A live block: its scope, and its memory as the C library gave it. */
    private record Block(Arena scope, MemorySegment memory) {}

    /** address -> every live block. */
    private final ConcurrentHashMap<Long, Block> live = new ConcurrentHashMap<>();

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
        MemorySegment memory = LibC.allocate(byteSize, byteAlignment);
        Arena scope = Arena.ofConfined();
        MemorySegment block = LibC.withFreeingScope(memory, scope);
        live.put(memory.address(), new Block(scope, memory));
        return block;
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
        Block old = blockOf(Checks.requireSegment(segment));
        Checks.checkSizeAndAlignment(newByteSize, byteAlignment);
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw wrongThread(segment);
        }
        MemorySegment moved = allocate(newByteSize, byteAlignment);
        MemorySegment.copy(segment, 0, moved, 0, Math.min(segment.byteSize(), newByteSize));
        release(old);
        return moved;
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
        release(blockOf(segment));
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

    private Block blockOf(MemorySegment segment) {
        Block block = segment.isNative() ? live.get(segment.address()) : null;
        if (block == null || block.memory.byteSize() != segment.byteSize()
                || !block.scope.scope().equals(segment.scope())) {
            throw new IllegalArgumentException("Not a live block of the malloc allocator: " + Checks.describe(segment)
                    + " (already freed, a slice of a block, or allocated elsewhere)");
        }
        return block;
    }

    /** Ends the block's scope, which frees its memory, then forgets it. */
    private void release(Block block) {
        try {
            block.scope.close();
        } catch (WrongThreadException e) {
            throw wrongThread(block.memory);
        }
        live.remove(block.memory.address(), block);
    }

    private static WrongThreadException wrongThread(MemorySegment segment) {
        return new WrongThreadException("The malloc allocator's block " + Checks.describe(segment)
                + " is confined to the thread that allocated it: free or reallocate it there");
    }
}
