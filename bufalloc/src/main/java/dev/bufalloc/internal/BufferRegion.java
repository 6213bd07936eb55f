package dev.bufalloc.internal;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The caller's buffer as both buffer allocators see it: where it is, what alignment it can give, and
 * which segments lie in it. Immutable; the cursor is the allocators' own.
 *
 * <p>Invariant: {@code capacity > 0}; {@code bumpAlignmentLimit <= alignmentLimit}, and for every power of
 * two up to it, {@code base + offset} is aligned exactly when {@code offset} is.
 */
public final class BufferRegion {

    /** The largest alignment asked of a native buffer: keeps the alignment arithmetic from overflowing. */
    static final long NATIVE_ALIGNMENT_LIMIT = 1L << 62;

    /** The buffer, as the caller gave it. */
    public final MemorySegment segment;
    /** The buffer's address (for a heap buffer, its offset in the array). */
    public final long base;
    /** The buffer's size, in bytes. */
    public final long capacity;
    /** The largest alignment the buffer can give: any for native memory, the element size for an array. */
    public final long alignmentLimit;
    /** Alignments up to this one hold for {@code base + offset} as for {@code offset}: the bump aligns offsets. */
    public final long bumpAlignmentLimit;
    /** Whether slices of the buffer may be given another scope ({@link Scopes#canRescope}). */
    public final boolean rescopable;
    private final Object heapArray;   // null for a native buffer

    /**
     * Takes {@code buffer} for an allocator made on this thread.
     *
     * @param buffer the caller's buffer
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException if it is empty, read-only, of a closed arena, or confined to another thread
     */
    public BufferRegion(MemorySegment buffer) {
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
        this.segment = buffer;
        this.base = buffer.address();
        this.capacity = buffer.byteSize();
        this.alignmentLimit = buffer.isNative() ? NATIVE_ALIGNMENT_LIMIT : buffer.maxByteAlignment();
        this.bumpAlignmentLimit = Math.min(alignmentLimit, base == 0 ? Long.MAX_VALUE : Long.lowestOneBit(base));
        this.heapArray = buffer.heapBase().orElse(null);
        this.rescopable = Scopes.canRescope(buffer);
    }

    /**
     * Zeroes the first {@code bytes} of the buffer, unless its memory was freed (a caller's closed arena).
     *
     * @param bytes how many, at most the capacity
     */
    public void zero(long bytes) {
        if (bytes > 0 && segment.scope().isAlive()) {
            segment.asSlice(0, bytes).fill((byte) 0);
        }
    }

    /**
     * {@return the first offset at or after {@code offset} whose address is a multiple of {@code byteAlignment}}
     *
     * @param offset an offset in the buffer
     * @param byteAlignment a power of two
     */
    public long alignedOffset(long offset, long byteAlignment) {
        return ((base + offset + byteAlignment - 1) & -byteAlignment) - base;
    }

    /**
     * {@return whether the address at {@code offset} is a multiple of {@code byteAlignment}}
     *
     * @param offset an offset in the buffer
     * @param byteAlignment a power of two
     */
    public boolean isAligned(long offset, long byteAlignment) {
        return ((base + offset) & (byteAlignment - 1)) == 0;
    }

    /**
     * {@return whether {@code byteAlignment} is a power of two that the bump gives by aligning the offset alone}
     *
     * @param byteAlignment any number
     */
    public boolean bumpAligns(long byteAlignment) {
        return byteAlignment > 0 && (byteAlignment & (byteAlignment - 1)) == 0 && byteAlignment <= bumpAlignmentLimit;
    }

    /**
     * Checks a request's size and alignment, as {@code SegmentAllocator} does, and against what the buffer gives.
     *
     * @param byteSize the requested size
     * @param byteAlignment the requested alignment
     * @throws IllegalArgumentException if {@code byteSize < 0}, or the alignment is not a power of two or
     *         more than the buffer gives
     */
    public void checkRequest(long byteSize, long byteAlignment) {
        Checks.checkSizeAndAlignment(byteSize, byteAlignment);
        if (byteAlignment > alignmentLimit) {
            throw new IllegalArgumentException("Invalid alignment: " + byteAlignment + " (this heap buffer, "
                    + Checks.describe(segment) + ", aligns to at most " + alignmentLimit
                    + " bytes: use a long[] or a native buffer)");
        }
    }

    /**
     * {@return where {@code block} starts in the buffer, or -1 if it does not lie inside it}
     *
     * @param block any segment
     */
    public long offsetOf(MemorySegment block) {
        boolean sameMemory = block.isNative() ? heapArray == null : block.heapBase().orElse(null) == heapArray;
        long offset = block.address() - base;
        return sameMemory && offset >= 0 && offset <= capacity && block.byteSize() <= capacity - offset ? offset : -1;
    }

    /**
     * {@return where {@code block} starts in the buffer, or -1 if it does not lie inside it}
     *
     * @param block a segment that should be a live block
     * @param used the bytes in use: a live buffer block ends at or below it
     * @throws IllegalArgumentException if it lies in the buffer but not below the cursor, so cannot be live
     *         (given back, or from before a reset)
     */
    public long liveOffsetOf(MemorySegment block, long used) {
        long offset = offsetOf(block);
        if (offset >= 0 && block.byteSize() > used - offset) {
            throw new IllegalArgumentException("Not a live block of this allocator: " + Checks.describe(block)
                    + " lies in its buffer beyond the " + used + " bytes in use (freed, or from before a reset)");
        }
        return offset;
    }

    /**
     * {@return the exception for a request that does not fit and has nowhere else to go}
     *
     * @param byteSize the requested size
     * @param byteAlignment the requested alignment
     * @param used the bytes in use
     */
    public IndexOutOfBoundsException full(long byteSize, long byteAlignment, long used) {
        return full(byteSize, byteAlignment, used, "");
    }

    /**
     * {@return the exception for a request that does not fit and has nowhere else to go}
     *
     * @param byteSize the requested size
     * @param byteAlignment the requested alignment
     * @param used the bytes in use
     * @param quotedName the allocator's name as {@code "'name' "}, or ""
     */
    public IndexOutOfBoundsException full(long byteSize, long byteAlignment, long used, String quotedName) {
        return new IndexOutOfBoundsException("The buffer " + (quotedName.isEmpty() ? "" : "of " + quotedName)
                + "is full: asked " + byteSize + " bytes aligned to "
                + byteAlignment + ", " + (capacity - used) + " of " + capacity
                + " bytes left, and this allocator has no fallback");
    }

    @Override
    public String toString() {
        return Checks.describe(segment);
    }
}
