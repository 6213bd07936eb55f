package dev.bufalloc.system;

import dev.bufalloc.Allocator;
import dev.bufalloc.internal.Checks;
import dev.bufalloc.internal.LibC;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The C library's {@code malloc}, {@code realloc} and {@code free}, handing out segments in the global
 * scope: <b>as unsafe as C's {@code malloc}</b>. A block used after it was freed reads and writes memory the
 * C library may have handed out again, or unmapped: it can corrupt the C heap or crash the JVM. It is the
 * fastest native allocator of bufalloc, for code that has been checked with {@link MallocAllocator}, the
 * safe default, first.
 *
 * <p>Because it hands out memory whose lifetime no scope guards, it is <em>restricted</em> as the JDK's
 * {@code MemorySegment.reinterpret} is: {@link #instance()} throws {@link IllegalCallerException} unless
 * native access is enabled for the caller's module ({@code --enable-native-access=M}, or
 * {@code ALL-UNNAMED} on the class path). It is never a default: not the context allocator, not a
 * fallback, unless a program passes it on purpose.
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Alignment:</b> any power of two. Up to 16 bytes comes from {@code malloc}/{@code realloc};
 *       more from {@code aligned_alloc}, and a reallocation then moves the block.</li>
 *   <li><b>Zeroing:</b> none; new bytes hold whatever the C library left there.</li>
 *   <li><b>Lifetime:</b> a block lives until it is {@linkplain #free freed}, in the global scope; it is
 *       never freed by the garbage collector. {@link #liveBytes()} tells what is outstanding.</li>
 *   <li><b>Threads:</b> any thread may call any method, and use any block.</li>
 *   <li><b>Misuse it catches:</b> every live block is tracked, so freeing a block twice, or one that did not
 *       come from this allocator, gets {@link IllegalArgumentException} instead of corrupting the C heap.
 *       It cannot catch the use of a freed block.</li>
 * </ul>
 *
 * {@snippet class="dev.bufalloc.snippets.SystemSnippets" region="UnscopedMallocAllocator"}
 */
public final class UnscopedMallocAllocator implements Allocator {

    private static final UnscopedMallocAllocator INSTANCE = new UnscopedMallocAllocator();
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    /** address -> size of every live block. */
    private final ConcurrentHashMap<Long, Long> live = new ConcurrentHashMap<>();
    private final LongAdder liveBytes = new LongAdder();

    private UnscopedMallocAllocator() {}

    /**
     * {@return the process-wide unscoped malloc allocator}
     *
     * @throws IllegalCallerException if native access is not enabled for the caller's module
     */
    public static UnscopedMallocAllocator instance() {
        Module caller = WALKER.getCallerClass().getModule();
        if (!caller.isNativeAccessEnabled()) {
            throw new IllegalCallerException("UnscopedMallocAllocator hands out memory as unsafe as C's malloc: enable"
                    + " native access for " + (caller.isNamed() ? "module " + caller.getName() : "the class path")
                    + " (--enable-native-access=" + (caller.isNamed() ? caller.getName() : "ALL-UNNAMED")
                    + "), or use MallocAllocator");
        }
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
        return track(LibC.allocate(byteSize, byteAlignment));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Bytes past the old size are not zeroed.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator, if
     *         {@code newByteSize < 0}, or if {@code byteAlignment} is not a power of two
     * @throws OutOfMemoryError if the C library cannot allocate the block; {@code segment} is then unchanged
     */
    @Override
    public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
        Checks.requireSegment(segment);
        Checks.checkSizeAndAlignment(newByteSize, byteAlignment);
        long oldSize = sizeOf(segment);
        boolean inPlaceAlignment = byteAlignment <= LibC.MALLOC_ALIGNMENT
                && segment.address() % LibC.MALLOC_ALIGNMENT == 0;
        if (inPlaceAlignment) {
            // Forget the old address before C may free it: another thread's malloc may get it at once.
            untrack(segment.address(), oldSize);
            MemorySegment moved;
            try {
                moved = LibC.reallocate(segment, newByteSize);
            } catch (OutOfMemoryError e) {
                track(segment);   // realloc failed: the old block is still ours
                throw e;
            }
            return track(moved);
        }
        MemorySegment moved = track(LibC.allocate(newByteSize, byteAlignment));
        MemorySegment.copy(segment, 0, moved, 0, Math.min(oldSize, newByteSize));
        free(segment);
        return moved;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@link MemorySegment#NULL} is accepted and ignored, as {@code free(NULL)} is in C.
     *
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator
     *         (already freed, a heap segment, or memory from elsewhere)
     */
    @Override
    public void free(MemorySegment segment) {
        Checks.requireSegment(segment);
        if (segment.equals(MemorySegment.NULL)) {
            return;
        }
        long size = sizeOf(segment);
        untrack(segment.address(), size);
        LibC.free(segment);
    }

    /**
     * {@return the bytes allocated and not yet freed, across all threads} They are counted as requested,
     * without the C library's overhead.
     */
    public long liveBytes() {
        return liveBytes.sum();
    }

    /** {@return the number of blocks allocated and not yet freed, across all threads} */
    public long liveBlocks() {
        return live.size();
    }

    @Override
    public String toString() {
        return "UnscopedMallocAllocator[liveBlocks=" + liveBlocks() + ", liveBytes=" + liveBytes() + "]";
    }

    private MemorySegment track(MemorySegment block) {
        live.put(block.address(), block.byteSize());
        liveBytes.add(block.byteSize());
        return block;
    }

    private void untrack(long address, long size) {
        if (!live.remove(address, size)) {
            throw new IllegalArgumentException("Block at 0x" + Long.toHexString(address)
                    + " was freed or reallocated concurrently by another thread");
        }
        liveBytes.add(-size);
    }

    private long sizeOf(MemorySegment segment) {
        Long size = segment.isNative() ? live.get(segment.address()) : null;
        if (size == null || size != segment.byteSize()) {
            throw new IllegalArgumentException("Not a live block of the unscoped malloc allocator: "
                    + Checks.describe(segment) + " (already freed, a slice of a block, or allocated elsewhere)");
        }
        return size;
    }
}
