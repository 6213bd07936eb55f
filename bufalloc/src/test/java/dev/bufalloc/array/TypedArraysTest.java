package dev.bufalloc.array;

import dev.bufalloc.Allocator;
import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_CHAR;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The typed arrays, one row each: the eight generated from the template, and {@link AddressArray}.
 * What they share with every {@link DynamicArray} (growth, close, printing) is tested in
 * {@link DynamicArrayTest}; here, what each adds: its layout, its factories, and its values.
 */
class TypedArraysTest {

    private static final HeapAllocator HEAP = HeapAllocator.instance();

    interface Push<A, V> {
        void push(A array, V value);
    }

    interface Get<A, V> {
        V get(A array, long index);
    }

    interface Set<A, V> {
        void set(A array, long index, V value);
    }

    interface Maker<A> {
        A of(long initialCapacity, Allocator allocator);
    }

    /** One typed array: how to make one, two values of its type, how they print, and its value methods. */
    record Typed<A extends DynamicArray, V>(Class<A> type, ValueLayout layout, Supplier<A> ofContext,
                                            LongFunction<A> ofCapacity, Maker<A> of, V first, V second,
                                            String printed, Push<A, V> push, Get<A, V> get, Set<A, V> set) {
        @Override
        public String toString() {
            return type.getSimpleName();
        }
    }

    static Stream<Typed<?, ?>> typedArrays() {
        return Stream.of(
                new Typed<>(ByteArray.class, JAVA_BYTE, ByteArray::of, ByteArray::of, ByteArray::of,
                        (byte) -1, (byte) 120, "[-1, 120]", ByteArray::push, ByteArray::get, ByteArray::set),
                new Typed<>(ShortArray.class, JAVA_SHORT, ShortArray::of, ShortArray::of, ShortArray::of,
                        (short) -300, (short) 30000, "[-300, 30000]", ShortArray::push, ShortArray::get, ShortArray::set),
                new Typed<>(CharArray.class, JAVA_CHAR, CharArray::of, CharArray::of, CharArray::of,
                        'a', 'Z', "[a, Z]", CharArray::push, CharArray::get, CharArray::set),
                new Typed<>(IntArray.class, JAVA_INT, IntArray::of, IntArray::of, IntArray::of,
                        -7, Integer.MAX_VALUE, "[-7, 2147483647]", IntArray::push, IntArray::get, IntArray::set),
                new Typed<>(LongArray.class, JAVA_LONG, LongArray::of, LongArray::of, LongArray::of,
                        Long.MIN_VALUE, 42L, "[-9223372036854775808, 42]", LongArray::push, LongArray::get, LongArray::set),
                new Typed<>(FloatArray.class, JAVA_FLOAT, FloatArray::of, FloatArray::of, FloatArray::of,
                        1.5f, -0.25f, "[1.5, -0.25]", FloatArray::push, FloatArray::get, FloatArray::set),
                new Typed<>(DoubleArray.class, JAVA_DOUBLE, DoubleArray::of, DoubleArray::of, DoubleArray::of,
                        Math.PI, 1e300, "[3.141592653589793, 1.0E300]", DoubleArray::push, DoubleArray::get, DoubleArray::set),
                new Typed<>(BooleanArray.class, JAVA_BOOLEAN, BooleanArray::of, BooleanArray::of, BooleanArray::of,
                        true, false, "[true, false]", BooleanArray::push, BooleanArray::get, BooleanArray::set),
                new Typed<>(AddressArray.class, ADDRESS, AddressArray::of, AddressArray::of, AddressArray::of,
                        0x1234L, 0xCAFE0L, "[0x1234, 0xcafe0]",
                        (a, v) -> a.pushAddress(MemorySegment.ofAddress(v)),
                        (a, i) -> a.getAddress(i).address(),
                        (a, i, v) -> a.setAddress(i, MemorySegment.ofAddress(v))));
    }

    /** The layouts of the typed arrays. */
    static Stream<ValueLayout> primitiveLayouts() {
        return typedArrays().map(Typed::layout);
    }

    /** Reads a value of {@code layout} at the start of {@code memory} as the typed arrays give it. */
    private static Object read(ValueLayout layout, MemorySegment memory) {
        Object value = layout.varHandle().get(memory, 0L);
        return value instanceof MemorySegment address ? address.address() : value;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedArrays")
    <A extends DynamicArray, V> void pushGetAndSetRoundTrip(Typed<A, V> typed) {
        try (A array = typed.of().of(0, MallocAllocator.instance())) {
            typed.push().push(array, typed.first());
            typed.push().push(array, typed.second());
            assertThat(array.size()).isEqualTo(2);
            assertThat(array.data().byteSize()).isEqualTo(2 * typed.layout().byteSize());
            assertThat(typed.get().get(array, 0)).isEqualTo(typed.first());
            assertThat(typed.get().get(array, 1)).isEqualTo(typed.second());
            assertThat(array).hasToString(typed.printed());

            typed.set().set(array, 0, typed.second());
            assertThat(typed.get().get(array, 0)).isEqualTo(typed.second());
            assertThat(typed.get().get(array, 1)).as("set changes one element").isEqualTo(typed.second());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedArrays")
    <A extends DynamicArray, V> void isADynamicArrayOfItsLayoutInNativeOrder(Typed<A, V> typed) {
        A array = typed.of().of(1, HEAP);
        assertThat(array).isExactlyInstanceOf(typed.type()).isInstanceOf(DynamicArray.class);
        assertThat(array.elementLayout()).isEqualTo(typed.layout());
        assertThat(array.elementLayout().byteAlignment()).isEqualTo(typed.layout().byteSize());
        assertThat(((ValueLayout) array.elementLayout()).order()).isEqualTo(ByteOrder.nativeOrder());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedArrays")
    <A extends DynamicArray, V> void theValuesAreTheBytesThatElementAndDataSee(Typed<A, V> typed) {
        A array = typed.of().of(0, HEAP);
        typed.push().push(array, typed.first());
        typed.push().push(array, typed.second());
        assertThat(read(typed.layout(), array.element(0))).isEqualTo(typed.first());
        assertThat(read(typed.layout(), array.data().asSlice(typed.layout().byteSize()))).isEqualTo(typed.second());

        MemorySegment.copy(array.element(1), 0, array.element(0), 0, typed.layout().byteSize());
        assertThat(typed.get().get(array, 0)).as("get reads what the segment wrote").isEqualTo(typed.second());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedArrays")
    <A extends DynamicArray, V> void typedPushesFollowTheGrowthPolicyAndKeepTheValues(Typed<A, V> typed) {
        A array = typed.of().of(0, HEAP);
        typed.push().push(array, typed.first());
        assertThat(array.capacity()).isEqualTo(32);
        for (int i = 1; i < 33; i++) {
            typed.push().push(array, i % 2 == 0 ? typed.first() : typed.second());
        }
        assertThat(array.capacity()).isEqualTo(66);
        for (int i = 0; i < 33; i++) {
            assertThat(typed.get().get(array, i)).isEqualTo(i % 2 == 0 ? typed.first() : typed.second());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedArrays")
    <A extends DynamicArray, V> void getAndSetOutsideTheSizeThrowIndexOutOfBoundsException(Typed<A, V> typed) {
        A array = typed.of().of(8, HEAP);
        typed.push().push(array, typed.first());
        for (long index : new long[] {-1, 1, 7, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> typed.get().get(array, index)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessage("Index " + index + " out of bounds for length 1");
            assertThatThrownBy(() -> typed.set().set(array, index, typed.second()))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
        assertThat(typed.get().get(array, 0)).isEqualTo(typed.first());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedArrays")
    <A extends DynamicArray, V> void afterCloseTheValueMethodsThrowIllegalStateException(Typed<A, V> typed) {
        A array = typed.of().of(4, HEAP);
        typed.push().push(array, typed.first());
        array.close();
        assertThatThrownBy(() -> typed.push().push(array, typed.first())).isInstanceOf(IllegalStateException.class)
                .hasMessage("The array is closed");
        assertThatThrownBy(() -> typed.get().get(array, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> typed.set().set(array, 0, typed.first())).isInstanceOf(IllegalStateException.class);
        assertThat(array).hasToString(typed.type().getSimpleName() + "[closed]");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedArrays")
    <A extends DynamicArray, V> void theFactoriesWithoutAnAllocatorUseTheContextAllocator(Typed<A, V> typed) {
        A empty = ContextAllocator.callWith(HEAP, typed.ofContext()::get);
        assertThat(empty.allocator()).isSameAs(HEAP);
        assertThat(empty.capacity()).as("no memory until the first push").isZero();
        A sized = ContextAllocator.callWith(HEAP, () -> typed.ofCapacity().apply(3));
        assertThat(sized.allocator()).isSameAs(HEAP);
        assertThat(sized.capacity()).isEqualTo(3);
        assertThat(sized.isEmpty()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedArrays")
    <A extends DynamicArray, V> void theFactoriesCheckTheirArguments(Typed<A, V> typed) {
        assertThatThrownBy(() -> typed.of().of(0, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("allocator");
        assertThatThrownBy(() -> typed.of().of(-1, HEAP)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Negative capacity: -1");
        assertThatThrownBy(() -> typed.ofCapacity().apply(-1)).isInstanceOf(IllegalArgumentException.class);
        // Bytes overflow a long for wider elements; a long[] cannot hold them for one-byte elements.
        assertThatThrownBy(() -> typed.of().of(Long.MAX_VALUE, HEAP)).isInstanceOf(IllegalArgumentException.class);
    }
}
