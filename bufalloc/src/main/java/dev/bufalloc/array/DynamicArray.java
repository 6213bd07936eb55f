package dev.bufalloc.array;

import dev.bufalloc.Allocator;
import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.internal.Checks;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.NoSuchElementException;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A growable array of elements of one memory layout, in memory taken from an {@link Allocator}:
 * the port of <a href="../package-summary.html#biscuit">Biscuit</a>'s dynamic array
 * type {@code [..]T} ("dynamic array of {@code T}"). The elements may be of any layout, structs
 * included, and
 * are read and written as segments: {@link #element(long)}, {@link #pushSlot()},
 * {@link #push(MemorySegment)}, {@link #set(long, MemorySegment)}, {@link #data()}.
 *
 * {@snippet class="dev.bufalloc.snippets.ArraySnippets" region="DynamicArray"}
 *
 * <p>For Java's primitive types, the subclasses {@link ByteArray}, {@link ShortArray},
 * {@link CharArray}, {@link IntArray}, {@link LongArray}, {@link FloatArray}, {@link DoubleArray},
 * {@link BooleanArray} and {@link AddressArray} fix the layout and add methods that push, get and
 * set Java values:
 * {@snippet class="dev.bufalloc.snippets.ArraySnippets" region="DynamicArray.typed"}
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Growth</b>, as in Biscuit: an array with no memory first gets {@code max(32, needed)}
 *       elements, later {@code 2 * needed}; {@link #of(MemoryLayout, long, Allocator) of} and
 *       {@link #reserve} take exactly what they are asked. Growth goes through
 *       {@link Allocator#reallocate}, so an array that is the most recent block of a
 *       {@code BufferAllocator} grows in place, copying nothing. A growth that fails leaves the
 *       array as it was.</li>
 *   <li><b>Layout:</b> the data is aligned to the element layout's alignment; elements are
 *       {@code elementLayout().byteSize()} bytes apart, as in a sequence layout.</li>
 *   <li><b>Zeroing:</b> elements added by {@link #resize} are zero; a slot from {@link #pushSlot()},
 *       and capacity that {@link #reserve} adds, hold whatever the allocator's memory held.</li>
 *   <li><b>Own elements:</b> the segment given to {@link #push(MemorySegment) push},
 *       {@link #pushAll pushAll} or {@link #set(long, MemorySegment) set} may be the array's own
 *       memory, such as {@code element(i)} or {@code data()}: it is read from where it is after the
 *       array grows.</li>
 *   <li><b>Lifetime:</b> {@link #data()}, {@link #element} and {@link #pushSlot()} return views that are
 *       valid until the array next grows or is closed. {@link #close()} frees the memory through the
 *       allocator; afterwards every method but the plain getters throws {@link IllegalStateException}.</li>
 *   <li><b>Threads:</b> not thread-safe, like {@code ArrayList}: one thread at a time, and the
 *       allocator's own thread rules apply when the array grows or is closed.</li>
 *   <li><b>Printing:</b> {@link #toString()} prints as Biscuit's {@code print} does.</li>
 * </ul>
 *
 * <h2 id="factories">Factory conditions</h2>
 * Every factory, {@code of(...)} here and in the subclasses, throws {@link NullPointerException} if an
 * argument is null; {@link IllegalArgumentException} if the element layout's size is 0 or not a multiple
 * of its alignment, if {@code initialCapacity < 0}, or if the capacity in bytes overflows a {@code long};
 * and what the allocator throws for the first block.
 */
public sealed class DynamicArray implements AutoCloseable permits AddressArray, BooleanArray, ByteArray,
        CharArray, DoubleArray, FloatArray, IntArray, LongArray, ShortArray {

    private static final long FIRST_CAPACITY = 32;

    // Invariant: 0 <= size <= capacity; data is null or holds capacity * elementSize bytes.
    // data and size are the typed subclasses' to read and write, through slot() and checkedIndex().
    private final MemoryLayout elementLayout;
    private final long elementSize;
    private final Allocator allocator;
    MemorySegment data;
    long size;
    private long capacity;
    private boolean closed;

    DynamicArray(MemoryLayout elementLayout, long initialCapacity, Allocator allocator) {
        Objects.requireNonNull(elementLayout, "elementLayout");
        Objects.requireNonNull(allocator, "allocator");
        if (elementLayout.byteSize() == 0) {
            throw new IllegalArgumentException("Elements must have a size: " + elementLayout);
        }
        if (elementLayout.byteSize() % elementLayout.byteAlignment() != 0) {
            throw new IllegalArgumentException("Element size must be a multiple of its alignment, as in a"
                    + " sequence layout: " + elementLayout);
        }
        if (initialCapacity < 0) {
            throw new IllegalArgumentException("Negative capacity: " + initialCapacity);
        }
        this.elementLayout = elementLayout;
        this.elementSize = elementLayout.byteSize();
        this.allocator = allocator;
        if (initialCapacity > 0) {
            growTo(initialCapacity);
        }
    }

    /**
     * {@return an empty array of {@code elementLayout} elements in memory of the
     * {@linkplain ContextAllocator#current() context allocator}} It takes no memory until the first push.
     *
     * @param elementLayout the layout of one element (see the {@linkplain ##factories factory conditions})
     */
    public static DynamicArray of(MemoryLayout elementLayout) {
        return new DynamicArray(elementLayout, 0, ContextAllocator.current());
    }

    /**
     * {@return an empty array with room for exactly {@code initialCapacity} elements, in memory of the
     * {@linkplain ContextAllocator#current() context allocator}}
     *
     * @param elementLayout the layout of one element (see the {@linkplain ##factories factory conditions})
     * @param initialCapacity the elements to make room for; 0 takes no memory
     */
    public static DynamicArray of(MemoryLayout elementLayout, long initialCapacity) {
        return new DynamicArray(elementLayout, initialCapacity, ContextAllocator.current());
    }

    /**
     * {@return an empty array with room for exactly {@code initialCapacity} elements, in memory of
     * {@code allocator}} This is Biscuit's {@code array_init(&arr, n, allocator)}.
     *
     * @param elementLayout the layout of one element (see the {@linkplain ##factories factory conditions})
     * @param initialCapacity the elements to make room for; 0 takes no memory
     * @param allocator where the memory comes from, and goes back to on {@link #close()}
     */
    public static DynamicArray of(MemoryLayout elementLayout, long initialCapacity, Allocator allocator) {
        return new DynamicArray(elementLayout, initialCapacity, allocator);
    }

    // ---- size and memory ----------------------------------------------------------------------

    /** {@return the number of elements; 0 once the array is closed} */
    public long size() {
        return size;
    }

    /** {@return whether the array has no elements; true once the array is closed} */
    public boolean isEmpty() {
        return size == 0;
    }

    /** {@return the number of elements the array holds before it must grow; 0 once the array is closed} */
    public long capacity() {
        return capacity;
    }

    /** {@return the layout of one element} */
    public MemoryLayout elementLayout() {
        return elementLayout;
    }

    /** {@return the allocator the array's memory comes from, and goes back to on {@link #close()}} */
    public Allocator allocator() {
        return allocator;
    }

    /**
     * {@return the elements as one segment of {@code size() * elementLayout().byteSize()} bytes, from the
     * array's first element} This is Biscuit's {@code arr.ptr} and {@code arr.len}: a view, valid until the
     * array grows or is closed; {@link MemorySegment#NULL} if the array has taken no memory yet.
     *
     * @throws IllegalStateException if the array is closed
     */
    public MemorySegment data() {
        checkOpen();
        return data == null ? MemorySegment.NULL : data.asSlice(0, size * elementSize);
    }

    /**
     * Makes room for at least {@code minCapacity} elements; if the array grows, it gets exactly that many.
     *
     * @param minCapacity the elements to make room for
     * @throws IllegalArgumentException if {@code minCapacity < 0}
     * @throws IllegalArgumentException if the capacity in bytes overflows a {@code long}
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws; the array is then unchanged
     */
    public void reserve(long minCapacity) {
        checkOpen();
        if (minCapacity < 0) {
            throw new IllegalArgumentException("Negative capacity: " + minCapacity);
        }
        if (minCapacity > capacity) {
            growTo(minCapacity);
        }
    }

    /**
     * Sets the number of elements. Elements past the old size are zero; elements past the new
     * size are dropped. Grows by the growth policy when needed.
     *
     * @param newSize the number of elements
     * @throws IllegalArgumentException if {@code newSize < 0}
     * @throws IllegalArgumentException if the capacity in bytes overflows a {@code long}
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws; the array is then unchanged
     */
    public void resize(long newSize) {
        checkOpen();
        if (newSize < 0) {
            throw new IllegalArgumentException("Negative size: " + newSize);
        }
        ensureCapacity(newSize);
        if (newSize > size) {
            data.asSlice(size * elementSize, (newSize - size) * elementSize).fill((byte) 0);
        }
        size = newSize;
    }

    /**
     * Removes every element, keeping the memory.
     *
     * @throws IllegalStateException if the array is closed
     */
    public void clear() {
        checkOpen();
        size = 0;
    }

    /**
     * Removes the last element.
     *
     * @throws NoSuchElementException if the array is empty
     * @throws IllegalStateException if the array is closed
     */
    public void pop() {
        checkOpen();
        if (size == 0) {
            throw new NoSuchElementException("pop() on an empty array");
        }
        size--;
    }

    /**
     * Removes the element at {@code index} by moving the last element into its place (the order of
     * elements is not kept), as Biscuit's {@code array_erase}.
     *
     * @param index the element to remove
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalStateException if the array is closed
     */
    public void erase(long index) {
        long at = checkedIndex(index) * elementSize;
        long last = --size;
        if (index != last) {
            MemorySegment.copy(data, last * elementSize, data, at, elementSize);
        }
    }

    /**
     * Frees the array's memory through its allocator, as Biscuit's {@code array_terminate} does.
     * Afterwards every method but the plain getters ({@link #size()}, {@link #capacity()}, ...) throws
     * {@link IllegalStateException}. Closing again has no effect.
     *
     * @throws RuntimeException what the allocator's {@code free} throws; the array is closed all the same
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        MemorySegment block = data;
        closed = true;
        data = null;
        size = 0;
        capacity = 0;
        if (block != null) {
            allocator.free(block);
        }
    }

    // ---- elements as segments -----------------------------------------------------------------

    /**
     * {@return the memory of the element at {@code index}, {@code elementLayout().byteSize()} bytes} It is
     * a view, valid until the array grows or is closed.
     *
     * @param index the element's index, in {@code [0, size())}
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalStateException if the array is closed
     */
    public MemorySegment element(long index) {
        return data.asSlice(checkedIndex(index) * elementSize, elementSize);
    }

    /**
     * Adds one element and returns its memory, not zeroed, for the caller to fill: a view of
     * {@code elementLayout().byteSize()} bytes, valid until the array grows or is closed.
     *
     * @return the new element's memory
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public MemorySegment pushSlot() {
        long index = slot();
        size = index + 1;
        return data.asSlice(index * elementSize, elementSize);
    }

    /**
     * Adds a copy of {@code element}'s first {@code elementLayout().byteSize()} bytes. The element may be
     * this array's own, such as {@code element(i)}: it is copied from where it is after the array grows.
     *
     * @param element the bytes of one element
     * @throws NullPointerException if {@code element} is null
     * @throws IndexOutOfBoundsException if {@code element} is smaller than one element
     * @throws IllegalStateException if the array is closed
     * @throws IllegalStateException if the scope of {@code element} is not alive
     * @throws WrongThreadException if {@code element} is confined to another thread
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void push(MemorySegment element) {
        Objects.checkFromIndexSize(0, elementSize, Checks.requireSegment(element).byteSize());
        checkOpen();
        MemorySegment source = growFor(1, element.asSlice(0, elementSize));
        MemorySegment.copy(source, 0, data, size * elementSize, elementSize);
        size++;
    }

    /**
     * Replaces the element at {@code index} with a copy of {@code element}'s first
     * {@code elementLayout().byteSize()} bytes, which may overlap it, as {@code element(j)} does.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param element the bytes of one element
     * @throws NullPointerException if {@code element} is null
     * @throws IndexOutOfBoundsException if {@code element} is smaller than one element
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalStateException if the array is closed
     * @throws IllegalStateException if the scope of {@code element} is not alive
     * @throws WrongThreadException if {@code element} is confined to another thread
     */
    public void set(long index, MemorySegment element) {
        Objects.checkFromIndexSize(0, elementSize, Checks.requireSegment(element).byteSize());
        MemorySegment.copy(element, 0, data, checkedIndex(index) * elementSize, elementSize);
    }

    /**
     * Adds every element of {@code elements}, whose size must be a whole number of elements:
     * Biscuit's {@code array_push_all}. Grows at most once. The elements may be this array's own, such
     * as its {@link #data()}: they are copied from where they are after the array grows.
     *
     * @param elements the bytes of the elements, e.g. another array's {@link #data()}, or
     *        {@code MemorySegment.ofArray(new int[] {1, 2, 3})}
     * @throws NullPointerException if {@code elements} is null
     * @throws IllegalArgumentException if the size of {@code elements} is not a multiple of the element size
     * @throws IllegalArgumentException if the capacity in bytes overflows a {@code long}
     * @throws IllegalStateException if the array is closed
     * @throws IllegalStateException if the scope of {@code elements} is not alive
     * @throws WrongThreadException if {@code elements} is confined to another thread
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void pushAll(MemorySegment elements) {
        checkOpen();
        long bytes = Checks.requireSegment(elements).byteSize();
        if (bytes % elementSize != 0) {
            throw new IllegalArgumentException(bytes + " bytes are not a whole number of "
                    + elementSize + "-byte elements");
        }
        long count = bytes / elementSize;
        if (count > 0) {
            MemorySegment source = growFor(count, elements);
            MemorySegment.copy(source, 0, data, size * elementSize, bytes);
            size += count;
        }
    }

    /**
     * {@return the elements as Biscuit prints a dynamic array: {@code [a, b, c]}, {@code []} when
     * empty} Numbers print as Java prints them ({@code byte}s signed), addresses in hex, structs as
     * {@code {name = value, ...}}. A closed array prints as its class name and {@code [closed]}.
     */
    @Override
    public String toString() {
        return closed ? getClass().getSimpleName() + "[closed]" : LayoutFormat.elements(elementLayout, data, size);
    }

    // ---- for the typed subclasses, and internals ----------------------------------------------

    /**
     * Returns the index of a new last element, growing first if the array is full. The caller writes
     * the element and then counts it ({@code size = index + 1}), so a write that throws adds nothing.
     * Hot: keep it short.
     */
    final long slot() {
        long index = size;
        if (index == capacity) {
            checkOpen();   // a closed array has no capacity: it comes here
            ensureCapacity(index + 1);
        }
        return index;
    }

    /** Returns {@code index} if it is in {@code [0, size())}, or throws. Hot: keep it short. */
    final long checkedIndex(long index) {
        if (index < 0 || index >= size) {
            checkOpen();   // a closed array has no elements: it comes here
            Objects.checkIndex(index, size);
        }
        return index;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("The array is closed");
        }
    }

    /**
     * Makes room for {@code count} more elements and returns where to copy them from: {@code source}
     * itself, unless it lies in this array's memory, which growing may move and free. Then it is the same
     * bytes where growing put them or, for a source that is only partly the array's, a copy taken before.
     */
    private MemorySegment growFor(long count, MemorySegment source) {
        long needed = addCapacity(size, count);
        MemorySegment own = needed > capacity && data != null ? data.asOverlappingSlice(source).orElse(null) : null;
        if (own == null) {
            ensureCapacity(needed);
            return source;
        }
        if (own.byteSize() < source.byteSize()) {
            MemorySegment copy = MemorySegment.ofArray(source.toArray(JAVA_BYTE));
            ensureCapacity(needed);
            return copy;
        }
        long offset = source.address() - data.address();   // the same memory: a heap source has the same array
        ensureCapacity(needed);
        return data.asSlice(offset, source.byteSize());
    }

    /** Grows by Biscuit's policy so that {@code needed} elements fit. */
    private void ensureCapacity(long needed) {
        if (needed > capacity) {
            growTo(capacity == 0 ? Math.max(FIRST_CAPACITY, needed) : addCapacity(needed, needed));
        }
    }

    /** {@code a + b} elements, or IllegalArgumentException if that overflows. */
    private long addCapacity(long a, long b) {
        long sum = a + b;
        if (sum < 0) {
            throw overflow(a + " + " + b);
        }
        return sum;
    }

    private IllegalArgumentException overflow(String elements) {
        return new IllegalArgumentException("A capacity of " + elements + " elements of " + elementSize
                + " bytes overflows a long");
    }

    private void growTo(long newCapacity) {
        if (newCapacity > Long.MAX_VALUE / elementSize) {
            throw overflow(Long.toString(newCapacity));
        }
        long bytes = newCapacity * elementSize;
        long alignment = elementLayout.byteAlignment();
        data = data == null ? allocator.allocate(bytes, alignment) : allocator.reallocate(data, bytes, alignment);
        capacity = newCapacity;
    }
}
