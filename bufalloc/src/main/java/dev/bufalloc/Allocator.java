package dev.bufalloc;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Objects;

/**
 * An allocator that can also grow, shrink and give back what it allocated: the Java form of
 * the Biscuit language's allocator handle ({@code ALLOCATE}, {@code REALLOCATE}, {@code FREE}).
 *
 * <p>An {@code Allocator} is a {@link SegmentAllocator}, so it can be handed to any FFM API that
 * takes one: {@link SegmentAllocator#allocateFrom(String)}, downcalls that return structs by value,
 * jextract-generated bindings. {@link #allocate(long, long)} keeps {@code SegmentAllocator}'s
 * contract: {@code byteSize >= 0}, a zero-byte request returns an empty segment, and the alignment
 * must be a power of two. As in {@code SegmentAllocator}, {@link #allocate(long)} asks for
 * alignment 1; Biscuit's default alignment, {@code alignof(f64)} = 8, is what
 * {@code allocate(ValueLayout.JAVA_DOUBLE)} or {@code allocate(size, 8)} gives.
 *
 * <p>Implementing one takes three methods:
 * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="Allocator"}
 *
 * <p>{@link #allocate(MemoryLayout, long)} keeps {@code SegmentAllocator}'s contract too, but
 * computes the size itself instead of building a {@code SequenceLayout} per call, which the
 * JIT's escape analysis does not remove: an array allocation costs no Java-heap garbage.
 *
 * <p>Unless an implementation says otherwise, the memory it returns is not zeroed, and an
 * allocator may be used by one thread at a time. Each implementation documents its own
 * alignment, zeroing, thread and lifetime rules.
 *
 * @see BufferAllocator
 */
public interface Allocator extends SegmentAllocator {

    /**
     * {@return a new segment of exactly {@code byteSize} bytes whose address is a multiple of
     * {@code byteAlignment}}
     *
     * @param byteSize the size of the block, in bytes; may be zero
     * @param byteAlignment the alignment of the block, in bytes: a power of two
     * @throws IllegalArgumentException if {@code byteSize < 0}, or if {@code byteAlignment} is not
     *         a power of two or is more than this allocator can give
     * @throws IndexOutOfBoundsException if a bounded allocator has no room for the request
     * @throws OutOfMemoryError if the memory cannot be had from the system
     */
    @Override
    MemorySegment allocate(long byteSize, long byteAlignment);

    /**
     * {@return a block of {@code newByteSize} bytes, aligned to {@code byteAlignment}, that holds
     * the first {@code min(segment.byteSize(), newByteSize)} bytes of {@code segment}} The block
     * may be {@code segment} itself, grown or shrunk in place (same address), or a new block, in
     * which case {@code segment} is freed and must not be used again.
     *
     * <p>If this method throws, {@code segment} is unchanged and still allocated.
     *
     * @param segment a block this allocator returned and has not freed
     * @param newByteSize the new size, in bytes; may be zero
     * @param byteAlignment the alignment of the new block: a power of two
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator,
     *         if {@code newByteSize < 0}, or if {@code byteAlignment} is not a power of two or is
     *         more than this allocator can give
     * @throws IndexOutOfBoundsException if a bounded allocator has no room for the request
     * @throws OutOfMemoryError if the memory cannot be had from the system
     */
    MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment);

    /**
     * Gives {@code segment} back to this allocator. Afterwards the segment must not be used: its
     * bytes may be handed out again.
     *
     * @param segment a block this allocator returned and has not freed
     * @throws IllegalArgumentException if {@code segment} is not a live block of this allocator
     *         (a block of another allocator, or one already freed, where the allocator can tell)
     */
    void free(MemorySegment segment);

    /**
     * {@return a new block of {@code byteSize} bytes aligned to {@code byteAlignment}, every byte zero} As
     * {@link #allocate(long, long)}, then a fill: what C's {@code calloc} and LWJGL's {@code calloc} give, and
     * what an {@code Arena} always gives. Allocators do not zero unless asked (see each one's contract); this
     * is how to ask for one block.
     *
     * @param byteSize the size, in bytes
     * @param byteAlignment the alignment, a power of two
     * @throws IllegalArgumentException for what {@link #allocate(long, long)} refuses
     * @throws IndexOutOfBoundsException if a bounded allocator has no room for the request
     * @throws OutOfMemoryError if the memory cannot be had from the system
     */
    default MemorySegment allocateZeroed(long byteSize, long byteAlignment) {
        return allocate(byteSize, byteAlignment).fill((byte) 0);
    }

    /**
     * {@return a new segment for {@code count} elements of {@code elementLayout}: of
     * {@code elementLayout.byteSize() * count} bytes, aligned to {@code elementLayout.byteAlignment()}}
     * As {@link SegmentAllocator#allocate(MemoryLayout, long)}, whose checks it keeps in the same
     * order and with the same exceptions, without building a {@code SequenceLayout}: a typed or array
     * allocation leaves no garbage on the Java heap.
     *
     * @param elementLayout the layout of one element
     * @param count how many elements
     * @throws NullPointerException if {@code elementLayout} is {@code null}
     * @throws IllegalArgumentException if {@code count < 0}, if {@code elementLayout.byteSize()} is not a
     *         multiple of {@code elementLayout.byteAlignment()}, or if {@code elementLayout.byteSize() * count}
     *         overflows; and for whatever {@link #allocate(long, long)} refuses
     * @throws IndexOutOfBoundsException if a bounded allocator has no room for the request
     * @throws OutOfMemoryError if the memory cannot be had from the system
     */
    @Override
    default MemorySegment allocate(MemoryLayout elementLayout, long count) {
        Objects.requireNonNull(elementLayout);
        if (count < 0) {
            throw new IllegalArgumentException("Negative array size");
        }
        long elementSize = elementLayout.byteSize();
        long alignment = elementLayout.byteAlignment();
        if (elementSize % alignment != 0) {   // as MemoryLayout.sequenceLayout checks
            throw new IllegalArgumentException("Element layout size is not multiple of alignment");
        }
        long byteSize;
        try {
            byteSize = Math.multiplyExact(elementSize, count);
        } catch (ArithmeticException overflow) {
            throw new IllegalArgumentException("Layout size exceeds Long.MAX_VALUE");
        }
        return allocate(byteSize, alignment);
    }
}
