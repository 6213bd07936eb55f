package dev.bufalloc.array;

import dev.bufalloc.Allocator;
import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.internal.Checks;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A growable array of native addresses in memory taken from an {@link Allocator}: a
 * {@link DynamicArray} whose elements are {@link ValueLayout#ADDRESS}, such as the {@code char **argv}
 * a native function takes. {@link #pushAddress}, {@link #getAddress} and {@link #setAddress} store
 * and read addresses; the inherited {@link #push(MemorySegment)} and {@link #set(long, MemorySegment)}
 * copy an element's bytes, as for any layout.
 *
 * {@snippet class="dev.bufalloc.snippets.ArraySnippets" region="AddressArray"}
 *
 * <p>Elements are {@code ADDRESS.byteSize()} bytes apart, in native byte order, and the data is
 * aligned to {@code ADDRESS.byteAlignment()}. Growth, zeroing, lifetime, threads and printing (in hex)
 * are as {@link DynamicArray} says. Storing an address keeps no segment alive: the memory it points
 * to must outlive its use.
 */
public final class AddressArray extends DynamicArray {

    /** The data is aligned; reading through a layout of alignment 1 spares a check on each access. */
    private static final AddressLayout ACCESS = ValueLayout.ADDRESS_UNALIGNED;

    private AddressArray(long initialCapacity, Allocator allocator) {
        super(ValueLayout.ADDRESS, initialCapacity, allocator);
    }

    /**
     * {@return an empty array in memory of the {@linkplain ContextAllocator#current() context allocator}}
     * It takes no memory until the first push.
     */
    public static AddressArray of() {
        return new AddressArray(0, ContextAllocator.current());
    }

    /**
     * {@return an empty array with room for exactly {@code initialCapacity} addresses, in memory of the
     * {@linkplain ContextAllocator#current() context allocator}}
     *
     * @param initialCapacity the addresses to make room for; 0 takes no memory (see the
     *        {@linkplain DynamicArray##factories factory conditions})
     */
    public static AddressArray of(long initialCapacity) {
        return new AddressArray(initialCapacity, ContextAllocator.current());
    }

    /**
     * {@return an empty array with room for exactly {@code initialCapacity} addresses, in memory of
     * {@code allocator}}
     *
     * @param initialCapacity the addresses to make room for; 0 takes no memory (see the
     *        {@linkplain DynamicArray##factories factory conditions})
     * @param allocator where the memory comes from, and goes back to on {@link #close()}
     */
    public static AddressArray of(long initialCapacity, Allocator allocator) {
        return new AddressArray(initialCapacity, allocator);
    }

    /**
     * Adds the address of {@code value} at the end, growing the array by the growth policy if it is full.
     *
     * @param value a native segment, whose address is stored; {@link MemorySegment#NULL} stores 0
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if {@code value} is a heap segment, which has no address
     * @throws IllegalStateException if the array is closed
     * @throws RuntimeException what the allocator throws when the array grows; the array is then unchanged
     */
    public void pushAddress(MemorySegment value) {
        checkNative(value);
        long index = slot();
        data.setAtIndex(ACCESS, index, value);
        size = index + 1;
    }

    /**
     * {@return the address at {@code index}, as a native segment of length zero} To read what it points
     * to, {@link MemorySegment#reinterpret(long) reinterpret} it (a restricted method).
     *
     * @param index the element's index, in {@code [0, size())}
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalStateException if the array is closed
     */
    public MemorySegment getAddress(long index) {
        return data.getAtIndex(ACCESS, checkedIndex(index));
    }

    /**
     * Replaces the element at {@code index} with the address of {@code value}.
     *
     * @param index the element's index, in {@code [0, size())}
     * @param value a native segment, whose address is stored; {@link MemorySegment#NULL} stores 0
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if {@code value} is a heap segment, which has no address
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalStateException if the array is closed
     */
    public void setAddress(long index, MemorySegment value) {
        checkNative(value);
        data.setAtIndex(ACCESS, checkedIndex(index), value);
    }

    private static void checkNative(MemorySegment value) {
        if (!Checks.requireSegment(value).isNative()) {
            throw new IllegalArgumentException("A heap segment has no address to store: " + Checks.describe(value));
        }
    }
}
