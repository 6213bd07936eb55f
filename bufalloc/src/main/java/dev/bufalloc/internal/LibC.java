package dev.bufalloc.internal;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.LongAdder;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * The C library's allocator, and the only place in the module that makes restricted FFM calls
 * (Linker downcalls and {@code reinterpret}). Callers need {@code --enable-native-access} for the
 * module ({@code dev.bufalloc}, or {@code ALL-UNNAMED} on the class path).
 *
 * <p>Every method takes sizes already checked; none of them checks for misuse (double free,
 * foreign pointers): the allocator classes above it do.
 */
@SuppressWarnings("restricted")   // the one class allowed restricted calls: the build fails on any other
public final class LibC {

    /** What {@code malloc} and {@code realloc} align to: {@code alignof(max_align_t)} on 64-bit Linux, macOS and Windows. */
    public static final long MALLOC_ALIGNMENT = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemoryLayout SIZE_T = LINKER.canonicalLayouts().get("size_t");

    private static final MethodHandle MALLOC = downcall("malloc", FunctionDescriptor.of(ADDRESS, SIZE_T));
    private static final MethodHandle ALIGNED_ALLOC =
            downcall("aligned_alloc", FunctionDescriptor.of(ADDRESS, SIZE_T, SIZE_T));
    private static final MethodHandle REALLOC = downcall("realloc", FunctionDescriptor.of(ADDRESS, ADDRESS, SIZE_T));
    private static final MethodHandle FREE = downcall("free", FunctionDescriptor.ofVoid(ADDRESS));

    // What bufalloc holds from the C heap, across all threads: every block allocate() returned and free() has not.
    private static final LongAdder LIVE_BLOCKS = new LongAdder();
    private static final LongAdder LIVE_BYTES = new LongAdder();

    private LibC() {}

    /** {@return the blocks taken from the C library through this class and not yet freed} */
    public static long liveBlocks() {
        return LIVE_BLOCKS.sum();
    }

    /** {@return the bytes (as requested) of the blocks taken through this class and not yet freed} */
    public static long liveBytes() {
        return LIVE_BYTES.sum();
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function not found: " + name));
        // malloc and free neither block for long nor call back into Java: skip the thread-state switch.
        return LINKER.downcallHandle(symbol, descriptor, Linker.Option.critical(false));
    }

    /**
     * {@code malloc(size)}, or {@code aligned_alloc} when {@code alignment} is above what malloc gives.
     *
     * @param size bytes, {@code >= 0}; 0 still returns a unique block
     * @param alignment a power of two
     * @return a segment of {@code size} bytes at the block's address, alive until {@link #free}
     * @throws OutOfMemoryError if the C library returns {@code NULL}
     */
    public static MemorySegment allocate(long size, long alignment) {
        long request = Math.max(size, 1);
        MemorySegment block;
        try {
            block = alignment <= MALLOC_ALIGNMENT
                    ? (MemorySegment) MALLOC.invokeExact(request)
                    // C11: the size must be a multiple of the alignment.
                    : (MemorySegment) ALIGNED_ALLOC.invokeExact(alignment, Checks.alignUp(request, alignment));
        } catch (Throwable t) {
            throw new AssertionError("downcall failed", t);
        }
        MemorySegment sized = sized(block, size, alignment);
        LIVE_BLOCKS.increment();
        LIVE_BYTES.add(size);
        return sized;
    }

    /**
     * {@code realloc(block, size)}: only for alignments up to {@link #MALLOC_ALIGNMENT}.
     *
     * @param block a live block of the C library's allocator
     * @param size the new size, in bytes, {@code >= 0}
     * @return the block with its new size; {@code block} must not be used again
     * @throws OutOfMemoryError if the C library returns {@code NULL}; {@code block} is then unchanged
     */
    public static MemorySegment reallocate(MemorySegment block, long size) {
        MemorySegment moved;
        try {
            moved = (MemorySegment) REALLOC.invokeExact(block, Math.max(size, 1));
        } catch (Throwable t) {
            throw new AssertionError("downcall failed", t);
        }
        MemorySegment sized = sized(moved, size, 1);
        LIVE_BYTES.add(size - block.byteSize());
        return sized;
    }

    /**
     * {@code free(block)}.
     *
     * @param block a live block of the C library's allocator, or {@code NULL}
     */
    public static void free(MemorySegment block) {
        try {
            FREE.invokeExact(block);
        } catch (Throwable t) {
            throw new AssertionError("downcall failed", t);
        }
        if (!block.equals(MemorySegment.NULL)) {
            LIVE_BLOCKS.decrement();
            LIVE_BYTES.add(-block.byteSize());
        }
    }

    /**
     * Returns {@code segment} (native) with the lifetime of {@code scope}: the same address and size,
     * but any access after {@code scope} closes throws {@link IllegalStateException}.
     *
     * @param segment a native segment
     * @param scope the arena whose scope the result gets
     * @param keepAlive what must stay reachable while the scope is (the memory's owner, e.g. an
     *        automatic arena's segment), or null
     * @return a view of the same memory, alive while {@code scope} is
     */
    public static MemorySegment withScope(MemorySegment segment, java.lang.foreign.Arena scope, Object keepAlive) {
        assert Scopes.canRescope(segment) : "the memory could be freed under the new scope: " + segment;
        return segment.reinterpret(scope, keepAlive == null ? null : _ -> java.lang.ref.Reference.reachabilityFence(keepAlive));
    }

    /**
     * Keeps {@code keepAlive} reachable for as long as {@code scope} is: every segment of the scope then keeps
     * it reachable, at the cost of one cleanup action for the whole scope instead of one per segment.
     *
     * @param scope an open arena
     * @param keepAlive what must stay reachable (the owner of memory the scope's segments see)
     */
    public static void keepAlive(java.lang.foreign.Arena scope, Object keepAlive) {
        MemorySegment.NULL.reinterpret(scope, _ -> java.lang.ref.Reference.reachabilityFence(keepAlive));
    }

    /**
     * Gives a segment that the native code handed back ({@code NULL}-checked) the size it really has.
     * The segment lives in the global scope: its lifetime is the C library's block, which the
     * allocator classes track.
     */
    private static MemorySegment sized(MemorySegment block, long size, long alignment) {
        if (block.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("The C library could not allocate " + size + " bytes"
                    + (alignment > MALLOC_ALIGNMENT ? " aligned to " + alignment : ""));
        }
        return block.reinterpret(size);
    }
}
