package dev.bufalloc.system;

import dev.bufalloc.Allocator;
import dev.bufalloc.internal.Checks;

import java.lang.foreign.MemorySegment;

/**
 * An allocator over Java arrays: every block is a heap segment over a fresh {@code long[]},
 * reclaimed by the garbage collector. No native access is needed, so it suits code that must
 * run without {@code --enable-native-access}, or tests.
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Alignment:</b> up to 8 bytes (a {@code long[]}'s); more gets {@link IllegalArgumentException}.</li>
 *   <li><b>Zeroing:</b> new blocks are zeroed, as Java arrays are; so are bytes a reallocation adds.</li>
 *   <li><b>Lifetime:</b> a block lives as long as it is reachable; {@link #free} only checks its
 *       argument, the garbage collector reclaims the memory.</li>
 *   <li><b>Threads:</b> any thread may call any method.</li>
 *   <li><b>Heap segments</b> cannot be passed to native functions by reference: use a native
 *       allocator for memory that native code keeps.</li>
 * </ul>
 *
 * {@snippet class="dev.bufalloc.snippets.SystemSnippets" region="HeapAllocator"}
 */
public final class HeapAllocator implements Allocator {

    /** The largest alignment a {@code long[]} gives. */
    public static final long MAX_ALIGNMENT = Long.BYTES;
    /** The most elements a JVM gives any array (a few less than {@code Integer.MAX_VALUE}, as in the JDK's ArraysSupport). */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private static final HeapAllocator INSTANCE = new HeapAllocator();

    private HeapAllocator() {}

    /** {@return the heap allocator, the one instance} */
    public static HeapAllocator instance() {
        return INSTANCE;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The block is zeroed.
     *
     * @throws IllegalArgumentException if {@code byteSize < 0}, if {@code byteAlignment} is not a
     *         power of two or is more than 8, or if {@code byteSize} is more than a {@code long[]} holds
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        checkRequest(byteSize, byteAlignment);
        return MemorySegment.ofArray(new long[(int) ((byteSize + Long.BYTES - 1) / Long.BYTES)]).asSlice(0, byteSize);
    }

    /**
     * {@inheritDoc}
     *
     * <p>A block that has room in its array grows or shrinks in place; otherwise the bytes move to a
     * new array. Added bytes are zero.
     *
     * @throws IllegalArgumentException if {@code segment} is not a heap segment over a {@code long[]},
     *         if {@code newByteSize < 0}, or if {@code byteAlignment} is not a power of two or is more than 8
     */
    @Override
    public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
        long[] array = arrayOf(segment);
        checkRequest(newByteSize, byteAlignment);
        long offset = segment.address();
        if (offset % byteAlignment == 0 && newByteSize <= (long) array.length * Long.BYTES - offset) {
            MemorySegment whole = MemorySegment.ofArray(array);
            // Bytes beyond the old end may hold data from an earlier, larger size: zero them.
            if (newByteSize > segment.byteSize()) {
                whole.asSlice(offset + segment.byteSize(), newByteSize - segment.byteSize()).fill((byte) 0);
            }
            return whole.asSlice(offset, newByteSize);
        }
        MemorySegment moved = allocate(newByteSize, byteAlignment);
        MemorySegment.copy(segment, 0, moved, 0, Math.min(segment.byteSize(), newByteSize));
        return moved;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Nothing is released at once: the garbage collector reclaims the array when it is unreachable.
     *
     * @throws IllegalArgumentException if {@code segment} is not a heap segment over a {@code long[]}
     */
    @Override
    public void free(MemorySegment segment) {
        arrayOf(segment);
    }

    @Override
    public String toString() {
        return "HeapAllocator";
    }

    private static void checkRequest(long byteSize, long byteAlignment) {
        Checks.checkSizeAndAlignment(byteSize, byteAlignment);
        if (byteAlignment > MAX_ALIGNMENT) {
            throw new IllegalArgumentException("The heap allocator aligns to at most " + MAX_ALIGNMENT
                    + " bytes; asked " + byteAlignment);
        }
        if (byteSize > (long) MAX_ARRAY_LENGTH * Long.BYTES) {
            throw new IllegalArgumentException("Too large for a Java array: " + byteSize + " bytes (at most "
                    + (long) MAX_ARRAY_LENGTH * Long.BYTES + ")");
        }
    }

    private static long[] arrayOf(MemorySegment segment) {
        Checks.requireSegment(segment);
        if (segment.heapBase().orElse(null) instanceof long[] array) {
            return array;
        }
        throw new IllegalArgumentException("Not a block of the heap allocator: " + Checks.describe(segment));
    }
}
