package dev.bufalloc;

import dev.bufalloc.internal.Checks;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/** What the buffer allocators share about their buffer: which buffers they take, and what is inside one. */
final class Buffers {

    /** The largest alignment asked of a native buffer: keeps the alignment arithmetic from overflowing. */
    static final long NATIVE_ALIGNMENT_LIMIT = 1L << 62;

    private Buffers() {}

    /**
     * Checks that an allocator may be made over {@code buffer} on this thread.
     *
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException if it is empty, read-only, of a closed arena, or confined to another thread
     */
    static void check(MemorySegment buffer) {
        Objects.requireNonNull(buffer, "buffer");
        if (buffer.byteSize() == 0) {
            throw new IllegalArgumentException("The buffer is empty: it must hold at least one byte");
        }
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException("The buffer is read-only: " + Checks.describe(buffer));
        }
        if (!buffer.scope().isAlive()) {
            throw new IllegalArgumentException("The buffer's arena is closed: " + Checks.describe(buffer));
        }
        if (!buffer.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalArgumentException("The buffer is confined to another thread than "
                    + Thread.currentThread() + ": make the allocator on the buffer's thread");
        }
    }

    /** The largest alignment {@code buffer} can give: any for native memory, the element size for an array. */
    static long alignmentLimit(MemorySegment buffer) {
        return buffer.isNative() ? NATIVE_ALIGNMENT_LIMIT : buffer.maxByteAlignment();
    }

    /**
     * The first offset at or after {@code offset} whose address, {@code base + offset}, is a multiple of
     * {@code byteAlignment} (a power of two).
     */
    static long alignedOffset(long base, long offset, long byteAlignment) {
        return ((base + offset + byteAlignment - 1) & -byteAlignment) - base;
    }

    /** Whether the address {@code base + offset} is a multiple of {@code byteAlignment} (a power of two). */
    static boolean isAligned(long base, long offset, long byteAlignment) {
        return ((base + offset) & (byteAlignment - 1)) == 0;
    }

    /** Whether {@code byteAlignment} is a power of two the buffer can give. */
    static boolean validAlignment(long byteAlignment, long alignmentLimit) {
        return byteAlignment > 0 && (byteAlignment & (byteAlignment - 1)) == 0 && byteAlignment <= alignmentLimit;
    }

    /**
     * Checks a request's size and alignment for a buffer.
     *
     * @throws IllegalArgumentException if {@code byteSize < 0}, or the alignment is not a power of two
     *         or more than the buffer gives
     */
    static void checkRequest(long byteSize, long byteAlignment, long alignmentLimit, MemorySegment buffer) {
        Checks.checkSizeAndAlignment(byteSize, byteAlignment);
        if (byteAlignment > alignmentLimit) {
            throw new IllegalArgumentException("Invalid alignment: " + byteAlignment + " (this heap buffer, "
                    + Checks.describe(buffer) + ", aligns to at most " + alignmentLimit
                    + " bytes: use a long[] or a native buffer)");
        }
    }

    /**
     * Returns where {@code segment} starts in the buffer that starts at {@code base} in the memory of
     * {@code heapArray} (null: native memory), or -1 if it does not lie inside it.
     */
    static long offsetIn(MemorySegment segment, Object heapArray, long base, long capacity) {
        boolean sameMemory = segment.isNative() ? heapArray == null : segment.heapBase().orElse(null) == heapArray;
        long offset = segment.address() - base;
        return sameMemory && offset >= 0 && offset <= capacity && segment.byteSize() <= capacity - offset ? offset : -1;
    }

    /**
     * Returns where {@code segment} starts in the buffer, or -1 if it is not inside it (see {@link #offsetIn}).
     *
     * @throws IllegalArgumentException if it has bytes inside the buffer but not below the cursor
     *         {@code used}, so cannot be live (given back, or reset); an empty block is never stale
     */
    static long liveOffsetIn(MemorySegment segment, Object heapArray, long base, long capacity, long used) {
        long offset = offsetIn(segment, heapArray, base, capacity);
        if (offset >= 0 && segment.byteSize() > 0 && segment.byteSize() > used - offset) {
            throw notLiveInBuffer(segment, used);
        }
        return offset;
    }

    private static IllegalArgumentException notLiveInBuffer(MemorySegment segment, long used) {
        return new IllegalArgumentException("Not a live block of this allocator: " + Checks.describe(segment)
                + " lies in its buffer beyond the " + used + " bytes in use (freed, or from before a reset)");
    }

    static IllegalArgumentException notLive(MemorySegment segment) {
        return new IllegalArgumentException("Not a live block of this allocator: " + Checks.describe(segment)
                + " is neither in its buffer nor a live fallback block (freed, released by reset, or"
                + " from another allocator)");
    }

    /**
     * Moves a block that cannot be resized in place: allocates the new block from {@code allocator}
     * (the buffer allocator itself: its buffer or its fallback) and copies the bytes both sizes hold.
     * If the allocation throws, nothing was copied and {@code segment} is unchanged.
     */
    static MemorySegment moveTo(Allocator allocator, MemorySegment segment, long newByteSize, long byteAlignment,
                                BufferCounters counters) {
        MemorySegment moved = allocator.allocate(newByteSize, byteAlignment);
        long kept = Math.min(segment.byteSize(), newByteSize);
        MemorySegment.copy(segment, 0, moved, 0, kept);
        counters.countCopied(kept);
        return moved;
    }

    static IndexOutOfBoundsException full(long byteSize, long byteAlignment, long used, long capacity) {
        return new IndexOutOfBoundsException("The buffer is full: asked " + byteSize + " bytes aligned to "
                + byteAlignment + ", " + (capacity - used) + " of " + capacity
                + " bytes left, and this allocator has no fallback");
    }
}
