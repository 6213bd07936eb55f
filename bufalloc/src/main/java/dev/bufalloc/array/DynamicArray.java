package dev.bufalloc.array;

import dev.bufalloc.Allocator;
import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.internal.Checks;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.NoSuchElementException;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.ADDRESS_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_CHAR_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * A growable array of elements of one memory layout, in memory taken from an {@link Allocator}:
 * Biscuit's dynamic array {@code [..]T}. Elements may be of any primitive {@link ValueLayout}
 * (with typed methods such as {@link #push(int)} and {@link #getInt(long)}) or of any other layout,
 * structs included (through {@link #element(long)}, {@link #pushSlot()} and {@link #push(MemorySegment)}).
 *
 * {@snippet :
 * try (BufferAllocator allocator = BufferAllocator.of(new byte[64]);
 *      DynamicArray bytes = DynamicArray.of(ValueLayout.JAVA_BYTE, 64, allocator)) {
 *     for (int i = 0; i < 10; i++) {
 *         bytes.push((byte) i);
 *     }
 *     System.out.println(bytes);   // [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
 * }
 * }
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Growth</b>, as in Biscuit: an array with no memory first gets {@code max(32, needed)}
 *       elements, later {@code 2 * needed}. Growth goes through {@link Allocator#reallocate}, so an
 *       array that is the most recent block of a {@code BufferAllocator} grows in place, copying
 *       nothing.</li>
 *   <li><b>Layout:</b> the data is aligned to the element layout's alignment; elements are
 *       {@code elementLayout.byteSize()} bytes apart. Typed methods need a value layout of their
 *       carrier in native byte order, and throw {@link IllegalArgumentException} otherwise.</li>
 *   <li><b>Zeroing:</b> elements added by {@link #resize} are zero; a slot from {@link #pushSlot()}
 *       holds whatever the memory held.</li>
 *   <li><b>Lifetime:</b> {@link #data()} and {@link #element} are views valid until the array
 *       next grows or is closed. {@link #close()} frees the memory through the allocator.</li>
 *   <li><b>Threads:</b> not thread-safe, like {@code ArrayList}; its allocator's thread rules apply.</li>
 * </ul>
 */
public final class DynamicArray implements AutoCloseable {

    private static final long FIRST_CAPACITY = 32;

    // Invariant: 0 <= size <= capacity; data is null or holds capacity * elementSize bytes.
    private final MemoryLayout elementLayout;
    private final long elementSize;
    private final Allocator allocator;
    private final Class<?> carrier;            // the typed methods' carrier; null for other layouts
    private MemorySegment data;
    private long size;
    private long capacity;
    private boolean closed;

    private DynamicArray(MemoryLayout elementLayout, long initialCapacity, Allocator allocator) {
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
        this.carrier = elementLayout instanceof ValueLayout value && value.order() == ByteOrder.nativeOrder()
                ? value.carrier() : null;
        if (initialCapacity > 0) {
            growTo(initialCapacity);
        }
    }

    /**
     * Returns an empty array of {@code elementLayout} elements in memory of the
     * {@linkplain ContextAllocator#current() context allocator}; no memory is taken until the first push.
     *
     * @param elementLayout the layout of one element
     * @return a new array
     * @throws NullPointerException if {@code elementLayout} is null
     * @throws IllegalArgumentException if the layout has size 0, or a size that is not a multiple of its alignment
     */
    public static DynamicArray of(MemoryLayout elementLayout) {
        return new DynamicArray(elementLayout, 0, ContextAllocator.current());
    }

    /**
     * Returns an empty array with room for exactly {@code initialCapacity} elements, in memory of the
     * {@linkplain ContextAllocator#current() context allocator}.
     *
     * @param elementLayout the layout of one element
     * @param initialCapacity the elements to make room for; 0 takes no memory
     * @return a new array
     * @throws NullPointerException if {@code elementLayout} is null
     * @throws IllegalArgumentException if the layout has size 0 or a size that is not a multiple of its
     *         alignment, if {@code initialCapacity < 0}, or if the capacity in bytes overflows a {@code long}
     */
    public static DynamicArray of(MemoryLayout elementLayout, long initialCapacity) {
        return new DynamicArray(elementLayout, initialCapacity, ContextAllocator.current());
    }

    /**
     * Returns an empty array with room for exactly {@code initialCapacity} elements, in memory of
     * {@code allocator}: Biscuit's {@code array_init(&arr, n, allocator)}.
     *
     * @param elementLayout the layout of one element
     * @param initialCapacity the elements to make room for; 0 takes no memory
     * @param allocator where the memory comes from, and goes back to on {@link #close()}
     * @return a new array
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the layout has size 0 or a size that is not a multiple of its
     *         alignment, if {@code initialCapacity < 0}, or if the capacity in bytes overflows a {@code long}
     * @throws RuntimeException what the allocator throws for the first block
     */
    public static DynamicArray of(MemoryLayout elementLayout, long initialCapacity, Allocator allocator) {
        return new DynamicArray(elementLayout, initialCapacity, allocator);
    }

    // ---- size and memory ----------------------------------------------------------------------

    /**
     * Returns the number of elements; 0 once the array is closed.
     *
     * @return the number of elements
     */
    public long size() {
        return size;
    }

    /**
     * Returns whether the array has no elements; true once the array is closed.
     *
     * @return whether the array has no elements
     */
    public boolean isEmpty() {
        return size == 0;
    }

    /**
     * Returns the number of elements the array holds before it must grow; 0 once the array is closed.
     *
     * @return the number of elements the array holds before it must grow
     */
    public long capacity() {
        return capacity;
    }

    /**
     * Returns the layout of one element.
     *
     * @return the layout of one element
     */
    public MemoryLayout elementLayout() {
        return elementLayout;
    }

    /**
     * Returns the allocator the array's memory comes from, and goes back to on {@link #close()}.
     *
     * @return the allocator the array's memory comes from
     */
    public Allocator allocator() {
        return allocator;
    }

    /**
     * Returns the elements as one segment of {@code size() * elementLayout().byteSize()} bytes, starting
     * at the array's first element: Biscuit's {@code arr.ptr} and {@code arr.len}. Valid until the
     * array grows or is closed.
     *
     * @return a view of the elements; an empty segment if the array has no memory
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
     * @throws IllegalArgumentException if {@code minCapacity < 0} or the capacity in bytes overflows
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
     * @throws IllegalArgumentException if {@code newSize < 0} or the capacity in bytes overflows
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
        long at = offsetOf(index, null);
        long last = --size;
        if (index != last) {
            MemorySegment.copy(data, last * elementSize, data, at, elementSize);
        }
    }

    /**
     * Frees the array's memory through its allocator: Biscuit's {@code array_terminate}. Afterwards every
     * method but the plain getters ({@link #size()}, {@link #capacity()}, ...) throws
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

    // ---- elements as segments (any layout) ----------------------------------------------------

    /**
     * Returns the memory of the element at {@code index}: a view valid until the array grows or is closed.
     *
     * @param index the element
     * @return a segment of {@code elementLayout().byteSize()} bytes
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalStateException if the array is closed
     */
    public MemorySegment element(long index) {
        return data.asSlice(offsetOf(index, null), elementSize);
    }

    /**
     * Adds one element and returns its memory, not zeroed, for the caller to fill.
     *
     * @return a segment of {@code elementLayout().byteSize()} bytes
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public MemorySegment pushSlot() {
        long index = slot(null);   // may grow: read data after it
        size = index + 1;
        return data.asSlice(index * elementSize, elementSize);
    }

    /**
     * Adds a copy of {@code element}'s first {@code elementLayout().byteSize()} bytes. The element may
     * be this array's own, such as {@code element(i)}: it is copied from where it is after the array grows.
     *
     * @param element the bytes of one element
     * @throws IndexOutOfBoundsException if {@code element} is smaller than one element
     * @throws IllegalStateException if the array is closed
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
     * Adds every element of {@code elements}, whose size must be a whole number of elements:
     * Biscuit's {@code array_push_all}. Grows at most once. The elements may be this array's own, such as
     * its {@link #data()}: they are copied from where they are after the array grows.
     *
     * @param elements the bytes of the elements, e.g. another array's {@link #data()}, or
     *        {@code MemorySegment.ofArray(new int[] {1, 2, 3})}
     * @throws IllegalArgumentException if the size is not a multiple of the element size
     * @throws IllegalStateException if the array is closed
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
        if (count == 0) {
            return;
        }
        MemorySegment source = growFor(count, elements);
        MemorySegment.copy(source, 0, data, size * elementSize, bytes);
        size += count;
    }

    // ---- typed elements (value layouts in native byte order) ----------------------------------

    /**
     * Adds {@code value} at the end, growing the array by the growth policy if it is full.
     *
     * @param value the element
     * @throws IllegalArgumentException if the elements are not native-order {@code byte}s
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void push(byte value) {
        long index = slot(byte.class);
        data.set(JAVA_BYTE, index, value);
        size = index + 1;
    }

    /**
     * Adds {@code value} at the end, growing the array by the growth policy if it is full.
     *
     * @param value the element
     * @throws IllegalArgumentException if the elements are not native-order {@code short}s
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void push(short value) {
        long index = slot(short.class);
        data.setAtIndex(JAVA_SHORT_UNALIGNED, index, value);
        size = index + 1;
    }

    /**
     * Adds {@code value} at the end, growing the array by the growth policy if it is full.
     *
     * @param value the element
     * @throws IllegalArgumentException if the elements are not native-order {@code char}s
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void push(char value) {
        long index = slot(char.class);
        data.setAtIndex(JAVA_CHAR_UNALIGNED, index, value);
        size = index + 1;
    }

    /**
     * Adds {@code value} at the end, growing the array by the growth policy if it is full.
     *
     * @param value the element
     * @throws IllegalArgumentException if the elements are not native-order {@code int}s
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void push(int value) {
        long index = slot(int.class);
        data.setAtIndex(JAVA_INT_UNALIGNED, index, value);
        size = index + 1;
    }

    /**
     * Adds {@code value} at the end, growing the array by the growth policy if it is full.
     *
     * @param value the element
     * @throws IllegalArgumentException if the elements are not native-order {@code long}s
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void push(long value) {
        long index = slot(long.class);
        data.setAtIndex(JAVA_LONG_UNALIGNED, index, value);
        size = index + 1;
    }

    /**
     * Adds {@code value} at the end, growing the array by the growth policy if it is full.
     *
     * @param value the element
     * @throws IllegalArgumentException if the elements are not native-order {@code float}s
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void push(float value) {
        long index = slot(float.class);
        data.setAtIndex(JAVA_FLOAT_UNALIGNED, index, value);
        size = index + 1;
    }

    /**
     * Adds {@code value} at the end, growing the array by the growth policy if it is full.
     *
     * @param value the element
     * @throws IllegalArgumentException if the elements are not native-order {@code double}s
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void push(double value) {
        long index = slot(double.class);
        data.setAtIndex(JAVA_DOUBLE_UNALIGNED, index, value);
        size = index + 1;
    }

    /**
     * Adds {@code value} at the end, growing the array by the growth policy if it is full.
     *
     * @param value the element
     * @throws IllegalArgumentException if the elements are not native-order {@code boolean}s
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void push(boolean value) {
        long index = slot(boolean.class);
        data.set(JAVA_BOOLEAN, index, value);
        size = index + 1;
    }

    /**
     * Adds the address of {@code value}.
     *
     * @param value the element (its address is stored)
     * @throws IllegalArgumentException if elements are not addresses, or {@code value} is a heap segment
     */
    public void pushAddress(MemorySegment value) {
        checkAddress(value);
        long index = slot(MemorySegment.class);
        data.setAtIndex(ADDRESS_UNALIGNED, index, value);
        size = index + 1;
    }

    /**
     * Returns the {@code byte} at {@code index}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @return the element
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code byte}s
     * @throws IllegalStateException if the array is closed
     */
    public byte getByte(long index) {
        return data.get(JAVA_BYTE, offsetOf(index, byte.class));
    }

    /**
     * Returns the {@code short} at {@code index}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @return the element
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code short}s
     * @throws IllegalStateException if the array is closed
     */
    public short getShort(long index) {
        return data.get(JAVA_SHORT_UNALIGNED, offsetOf(index, short.class));
    }

    /**
     * Returns the {@code char} at {@code index}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @return the element
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code char}s
     * @throws IllegalStateException if the array is closed
     */
    public char getChar(long index) {
        return data.get(JAVA_CHAR_UNALIGNED, offsetOf(index, char.class));
    }

    /**
     * Returns the {@code int} at {@code index}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @return the element
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code int}s
     * @throws IllegalStateException if the array is closed
     */
    public int getInt(long index) {
        return data.get(JAVA_INT_UNALIGNED, offsetOf(index, int.class));
    }

    /**
     * Returns the {@code long} at {@code index}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @return the element
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code long}s
     * @throws IllegalStateException if the array is closed
     */
    public long getLong(long index) {
        return data.get(JAVA_LONG_UNALIGNED, offsetOf(index, long.class));
    }

    /**
     * Returns the {@code float} at {@code index}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @return the element
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code float}s
     * @throws IllegalStateException if the array is closed
     */
    public float getFloat(long index) {
        return data.get(JAVA_FLOAT_UNALIGNED, offsetOf(index, float.class));
    }

    /**
     * Returns the {@code double} at {@code index}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @return the element
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code double}s
     * @throws IllegalStateException if the array is closed
     */
    public double getDouble(long index) {
        return data.get(JAVA_DOUBLE_UNALIGNED, offsetOf(index, double.class));
    }

    /**
     * Returns the {@code boolean} at {@code index}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @return the element
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code boolean}s
     * @throws IllegalStateException if the array is closed
     */
    public boolean getBoolean(long index) {
        return data.get(JAVA_BOOLEAN, offsetOf(index, boolean.class));
    }

    /**
     * Returns the address at {@code index}. The segment has length zero: to read what it points to,
     * {@link MemorySegment#reinterpret(long) reinterpret} it (a restricted method).
     *
     * @param index the element's index, in {@code [0, size())}
     * @return the element, a zero-length native segment
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not addresses
     * @throws IllegalStateException if the array is closed
     */
    public MemorySegment getAddress(long index) {
        return data.get(ADDRESS_UNALIGNED, offsetOf(index, MemorySegment.class));
    }

    /**
     * Replaces the element at {@code index} with {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code byte}s
     * @throws IllegalStateException if the array is closed
     */
    public void set(long index, byte value) {
        data.set(JAVA_BYTE, offsetOf(index, byte.class), value);
    }

    /**
     * Replaces the element at {@code index} with {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code short}s
     * @throws IllegalStateException if the array is closed
     */
    public void set(long index, short value) {
        data.set(JAVA_SHORT_UNALIGNED, offsetOf(index, short.class), value);
    }

    /**
     * Replaces the element at {@code index} with {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code char}s
     * @throws IllegalStateException if the array is closed
     */
    public void set(long index, char value) {
        data.set(JAVA_CHAR_UNALIGNED, offsetOf(index, char.class), value);
    }

    /**
     * Replaces the element at {@code index} with {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code int}s
     * @throws IllegalStateException if the array is closed
     */
    public void set(long index, int value) {
        data.set(JAVA_INT_UNALIGNED, offsetOf(index, int.class), value);
    }

    /**
     * Replaces the element at {@code index} with {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code long}s
     * @throws IllegalStateException if the array is closed
     */
    public void set(long index, long value) {
        data.set(JAVA_LONG_UNALIGNED, offsetOf(index, long.class), value);
    }

    /**
     * Replaces the element at {@code index} with {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code float}s
     * @throws IllegalStateException if the array is closed
     */
    public void set(long index, float value) {
        data.set(JAVA_FLOAT_UNALIGNED, offsetOf(index, float.class), value);
    }

    /**
     * Replaces the element at {@code index} with {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code double}s
     * @throws IllegalStateException if the array is closed
     */
    public void set(long index, double value) {
        data.set(JAVA_DOUBLE_UNALIGNED, offsetOf(index, double.class), value);
    }

    /**
     * Replaces the element at {@code index} with {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not native-order {@code boolean}s
     * @throws IllegalStateException if the array is closed
     */
    public void set(long index, boolean value) {
        data.set(JAVA_BOOLEAN, offsetOf(index, boolean.class), value);
    }

    /**
     * Replaces the element at {@code index} with the address of {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value the segment whose address to store: a native segment
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the elements are not addresses, or {@code value} is a heap segment
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalStateException if the array is closed
     */
    public void setAddress(long index, MemorySegment value) {
        checkAddress(value);
        data.set(ADDRESS_UNALIGNED, offsetOf(index, MemorySegment.class), value);
    }

    /**
     * Returns the elements the way Biscuit prints a dynamic array: {@code [a, b, c]}, {@code []} when
     * empty. Numbers print as Java prints them ({@code byte}s signed), addresses in hex, structs as
     * {@code {name = value, ...}}.
     */
    @Override
    public String toString() {
        if (closed) {
            return "DynamicArray[closed]";
        }
        return LayoutFormat.elements(elementLayout, data, size);
    }

    // ---- internals ----------------------------------------------------------------------------

    /**
     * Returns the index of a new last element, growing first if needed; the caller writes the element
     * and then counts it ({@code size = index + 1}), so a write that throws adds nothing. Hot: keep it short.
     */
    private long slot(Class<?> type) {
        long index = size;
        if (type != carrier || index == capacity) {
            pushSlowPath(type);
        }
        return index;
    }

    private void pushSlowPath(Class<?> type) {
        checkOpen();
        checkType(type);
        ensureCapacity(size + 1);
    }

    /** Returns the byte offset of the element at {@code index}, checking the index and, if given, the type. */
    private long offsetOf(long index, Class<?> type) {
        if ((type != null && type != carrier) || index < 0 || index >= size) {
            checkOpen();
            checkType(type);
            Objects.checkIndex(index, size);
        }
        return index * elementSize;
    }

    private void checkType(Class<?> type) {
        if (type != null && type != carrier) {
            throw new IllegalArgumentException("This array's elements are " + elementLayout + ", not native-order "
                    + type.getSimpleName() + "s; use element(index) for other layouts");
        }
    }

    private static void checkAddress(MemorySegment value) {
        if (!Checks.requireSegment(value).isNative()) {
            throw new IllegalArgumentException("A heap segment has no address to store: " + Checks.describe(value));
        }
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
