package dev.bufalloc.array;

import dev.bufalloc.Allocator;
import dev.bufalloc.BufferAllocator;
import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.CountingAllocator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DynamicArrayTest {

    private static final HeapAllocator HEAP = HeapAllocator.instance();

    /** struct { int x; int y; } */
    private static final StructLayout POINT = MemoryLayout.structLayout(
            JAVA_INT.withName("x"), JAVA_INT.withName("y"));

    /** struct { byte tag; (7 bytes of padding) long value; }: 16 bytes, 8-aligned. */
    private static final StructLayout TAGGED = MemoryLayout.structLayout(
            JAVA_BYTE.withName("tag"), MemoryLayout.paddingLayout(7), JAVA_LONG.withName("value"));

    private static final ByteOrder NON_NATIVE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
            ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;

    private static IntArray ints(int... values) {
        IntArray array = IntArray.of(0, HEAP);
        array.pushAll(MemorySegment.ofArray(values));
        return array;
    }

    private static int[] contents(DynamicArray intArray) {
        return intArray.data().toArray(JAVA_INT);
    }

    private static void pushPoint(DynamicArray points, int x, int y) {
        MemorySegment slot = points.pushSlot();
        slot.set(JAVA_INT, 0, x);
        slot.set(JAVA_INT, 4, y);
    }

    // ---- creation -----------------------------------------------------------------------------

    @Nested
    class Creation {

        @Test
        void anArrayMadeWithoutAnAllocatorUsesTheContextAllocator() {
            DynamicArray array = ContextAllocator.callWith(HEAP, () -> DynamicArray.of(JAVA_INT));
            assertThat(array.allocator()).isSameAs(HEAP);
            DynamicArray sized = ContextAllocator.callWith(HEAP, () -> DynamicArray.of(JAVA_INT, 3));
            assertThat(sized.allocator()).isSameAs(HEAP);
            assertThat(sized.capacity()).isEqualTo(3);
            assertThat(sized.elementLayout()).isEqualTo(JAVA_INT);
        }

        @Test
        void throwsNullPointerExceptionForANullArgument() {
            assertThatThrownBy(() -> DynamicArray.of(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> DynamicArray.of(null, 4)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> DynamicArray.of(null, 4, HEAP)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> DynamicArray.of(JAVA_INT, 4, null)).isInstanceOf(NullPointerException.class);
        }

        @Test
        void aZeroSizeElementLayoutThrowsIllegalArgumentException() {
            for (MemoryLayout empty : List.of(MemoryLayout.structLayout(), MemoryLayout.sequenceLayout(0, JAVA_INT))) {
                assertThatThrownBy(() -> DynamicArray.of(empty)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> DynamicArray.of(empty, 4)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> DynamicArray.of(empty, 4, HEAP)).isInstanceOf(IllegalArgumentException.class);
            }
        }

        @Test
        void aSizeThatIsNotAMultipleOfTheAlignmentThrowsIllegalArgumentException() {
            StructLayout unpadded = MemoryLayout.structLayout(JAVA_INT, JAVA_BYTE);   // 5 bytes, 4-aligned
            assertThatThrownBy(() -> DynamicArray.of(unpadded, 0, HEAP))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of its alignment");
        }

        @Test
        void aNegativeInitialCapacityThrowsIllegalArgumentException() {
            assertThatThrownBy(() -> DynamicArray.of(JAVA_INT, -1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> DynamicArray.of(JAVA_INT, -1, HEAP)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void anInitialCapacityWhoseBytesOverflowThrowsIllegalArgumentException() {
            assertThatThrownBy(() -> DynamicArray.of(JAVA_LONG, Long.MAX_VALUE / 2, HEAP))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflows");
            assertThatThrownBy(() -> DynamicArray.of(JAVA_LONG, Long.MAX_VALUE / 2))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void whatTheAllocatorThrowsForTheFirstBlockComesThrough() {
            MemoryLayout wide = MemoryLayout.structLayout(JAVA_LONG, JAVA_LONG).withByteAlignment(16);
            assertThatThrownBy(() -> DynamicArray.of(wide, 1, HEAP))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 8");
        }
    }

    // ---- growth -------------------------------------------------------------------------------

    @Nested
    class Growth {

        @Test
        void anEmptyArrayTakesNoMemoryUntilTheFirstPush() {
            CountingAllocator counting = new CountingAllocator(HEAP);
            DynamicArray array = DynamicArray.of(JAVA_INT, 0, counting);
            assertThat(array.capacity()).isZero();
            assertThat(array.isEmpty()).isTrue();
            assertThat(array.data().byteSize()).isZero();
            assertThat(counting.outstandingBlocks()).isZero();
        }

        @Test
        void anEmptyArrayFirstGrowsTo32Elements() {
            IntArray array = IntArray.of(0, HEAP);
            array.push(1);
            assertThat(array.capacity()).isEqualTo(32);
        }

        @Test
        void theFirstGrowthTakesWhatIsNeededWhenThatIsMoreThan32() {
            assertThat(ints(new int[40]).capacity()).isEqualTo(40);
            DynamicArray resized = DynamicArray.of(JAVA_INT, 0, HEAP);
            resized.resize(100);
            assertThat(resized.capacity()).isEqualTo(100);
        }

        @Test
        void laterGrowthDoublesWhatIsNeeded() {
            IntArray array = IntArray.of(0, HEAP);
            for (int i = 0; i < 33; i++) {
                array.push(i);
            }
            assertThat(array.capacity()).isEqualTo(66);
            array.pushAll(MemorySegment.ofArray(new int[40]));   // needs 73
            assertThat(array.capacity()).isEqualTo(146);
        }

        @Test
        void anInitialCapacityIsExactThenDoubles() {
            IntArray array = IntArray.of(5, HEAP);
            assertThat(array.capacity()).isEqualTo(5);
            assertThat(array.size()).isZero();
            for (int i = 0; i < 6; i++) {
                array.push(i);
            }
            assertThat(array.capacity()).isEqualTo(12);
        }

        @Test
        void reserveGrowsToExactlyWhatIsAskedAndNeverShrinks() {
            IntArray array = ints(1, 2, 3);
            array.reserve(50);
            assertThat(array.capacity()).isEqualTo(50);
            array.reserve(10);
            assertThat(array.capacity()).isEqualTo(50);
            assertThat(contents(array)).containsExactly(1, 2, 3);
        }

        @Test
        void reserveOfANegativeCapacityThrowsIllegalArgumentException() {
            assertThatThrownBy(() -> ints(1).reserve(-1)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void reserveOfACapacityWhoseBytesOverflowThrowsIllegalArgumentException() {
            DynamicArray array = DynamicArray.of(JAVA_LONG, 0, HEAP);
            assertThatThrownBy(() -> array.reserve(Long.MAX_VALUE / 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflows");
            assertThat(array.capacity()).isZero();
        }

        @Test
        void resizeWhoseCapacityOverflowsThrowsIllegalArgumentException() {
            IntArray array = ints(1, 2, 3);
            assertThatThrownBy(() -> array.resize(Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
            assertThat(contents(array)).containsExactly(1, 2, 3);
        }

        @Test
        void aFailedGrowthLeavesTheArrayUnchanged() {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator small = BufferAllocator.withoutFallback(arena.allocate(32 * 4, 4))) {
                IntArray array = IntArray.of(0, small);
                for (int i = 0; i < 32; i++) {
                    array.push(i);
                }
                assertThatThrownBy(() -> array.push(32)).isInstanceOf(IndexOutOfBoundsException.class);
                assertThatThrownBy(array::pushSlot).isInstanceOf(IndexOutOfBoundsException.class);
                assertThatThrownBy(() -> array.reserve(100)).isInstanceOf(IndexOutOfBoundsException.class);
                assertThat(array.size()).isEqualTo(32);
                assertThat(array.capacity()).isEqualTo(32);
                assertThat(array.get(31)).isEqualTo(31);
            }
        }
    }

    // ---- growth inside a BufferAllocator ------------------------------------------------------

    @Nested
    class InABufferAllocator {

        @Test
        void theMostRecentBlockGrowsInPlaceCopyingNothing() {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator buffer = BufferAllocator.withoutFallback(arena.allocate(1 << 20, 16))) {
                IntArray array = IntArray.of(0, buffer);
                array.push(0);
                assertThat(array.capacity()).isEqualTo(32);
                long address = array.data().address();
                for (int i = 1; i < 5_000; i++) {
                    array.push(i);
                }
                assertThat(array.capacity()).isGreaterThanOrEqualTo(5_000);
                assertThat(array.data().address()).isEqualTo(address);
                assertThat(buffer.statistics().copiedBytes()).isZero();
                assertThat(buffer.statistics().inPlaceReallocations()).isPositive();
                for (int i = 0; i < 5_000; i++) {
                    assertThat(array.get(i)).isEqualTo(i);
                }
            }
        }

        @Test
        void anArrayThatOutgrowsASmallBufferMovesToTheFallbackWithItsElements() {
            CountingAllocator fallback = new CountingAllocator(HEAP);
            MemorySegment storage = MemorySegment.ofArray(new long[32]);   // 256 bytes
            try (BufferAllocator buffer = BufferAllocator.of(storage, fallback)) {
                IntArray array = IntArray.of(0, buffer);
                for (int i = 0; i < 1_000; i++) {
                    array.push(i);
                }
                assertThat(array.data().heapBase().orElseThrow()).isNotSameAs(storage.heapBase().orElseThrow());
                assertThat(buffer.statistics().fallbackCount()).isPositive();
                assertThat(fallback.outstandingBlocks()).isEqualTo(1);
                for (int i = 0; i < 1_000; i++) {
                    assertThat(array.get(i)).isEqualTo(i);
                }
                array.close();
                assertThat(fallback.outstandingBlocks()).as("the array's close freed its fallback block").isZero();
            }
        }
    }

    // ---- layouts without a typed array --------------------------------------------------------

    @Nested
    class OtherValueLayouts {

        @Test
        void aBigEndianIntIsReadThroughElement() {
            ValueLayout.OfInt bigEndian = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
            DynamicArray array = DynamicArray.of(bigEndian, 0, HEAP);
            array.pushSlot().set(bigEndian, 0, 0x01020304);
            assertThat(array.element(0).get(JAVA_BYTE, 0)).isEqualTo((byte) 1);
            assertThat(array.element(0).get(bigEndian, 0)).isEqualTo(0x01020304);
            assertThat(array).hasToString("[16909060]");
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("dev.bufalloc.array.TypedArraysTest#primitiveLayouts")
        void aNonNativeByteOrderWorksThroughElement(ValueLayout layout) {
            ValueLayout swapped = layout.withOrder(NON_NATIVE);
            DynamicArray array = DynamicArray.of(swapped, 0, HEAP);
            MemorySegment slot = array.pushSlot();
            assertThat(slot.byteSize()).isEqualTo(swapped.byteSize());
            assertThat(array.element(0).address()).isEqualTo(slot.address());
            assertThat(array).as("not a typed array: those are native-order").isExactlyInstanceOf(DynamicArray.class);
        }

        @Test
        void anArrayOfIntsMadeFromTheLayoutIsAPlainDynamicArray() {
            DynamicArray array = DynamicArray.of(JAVA_INT, 0, HEAP);
            array.push(MemorySegment.ofArray(new int[] {42}));
            assertThat(array).isExactlyInstanceOf(DynamicArray.class);
            assertThat(array.element(0).get(JAVA_INT, 0)).isEqualTo(42);
            assertThat(array).hasToString("[42]");
        }
    }

    // ---- structs and other layouts ------------------------------------------------------------

    @Nested
    class Structs {

        @Test
        void pushSlotGivesTheNewElementsMemoryToFill() {
            DynamicArray points = DynamicArray.of(POINT, 0, HEAP);
            pushPoint(points, 1, 2);
            pushPoint(points, 3, 4);
            assertThat(points.size()).isEqualTo(2);
            assertThat(points.element(1).byteSize()).isEqualTo(8);
            assertThat(points.element(1).get(JAVA_INT, 0)).isEqualTo(3);
            assertThat(points.element(1).get(JAVA_INT, 4)).isEqualTo(4);
            assertThat(points).hasToString("[{x = 1, y = 2}, {x = 3, y = 4}]");
        }

        @Test
        void pushCopiesTheFirstElementSizeBytesOfASegment() {
            DynamicArray points = DynamicArray.of(POINT, 0, HEAP);
            points.push(MemorySegment.ofArray(new int[] {5, 6, 99}));
            assertThat(points).hasToString("[{x = 5, y = 6}]");
        }

        @Test
        void setReplacesOneElementWithACopyOfASegment() {
            DynamicArray points = DynamicArray.of(POINT, 0, HEAP);
            pushPoint(points, 1, 2);
            pushPoint(points, 3, 4);
            points.set(0, MemorySegment.ofArray(new int[] {5, 6, 99}));
            assertThat(points).hasToString("[{x = 5, y = 6}, {x = 3, y = 4}]");
        }

        @Test
        void setOfASegmentSmallerThanAnElementOrOutsideTheSizeThrowsIndexOutOfBoundsException() {
            DynamicArray points = DynamicArray.of(POINT, 4, HEAP);
            pushPoint(points, 1, 2);
            assertThatThrownBy(() -> points.set(0, MemorySegment.ofArray(new int[] {7})))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> points.set(1, MemorySegment.ofArray(new int[] {7, 8})))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessage("Index 1 out of bounds for length 1");
            assertThatThrownBy(() -> points.set(0, null)).isInstanceOf(NullPointerException.class);
            assertThat(points).hasToString("[{x = 1, y = 2}]");
        }

        @Test
        void pushOfASegmentSmallerThanAnElementThrowsIndexOutOfBoundsException() {
            DynamicArray points = DynamicArray.of(POINT, 0, HEAP);
            assertThatThrownBy(() -> points.push(MemorySegment.ofArray(new int[] {1})))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(points.size()).isZero();
        }

        @Test
        void paddingIsSkippedInTheLayoutAndInTheText() {
            try (DynamicArray tagged = DynamicArray.of(TAGGED, 0, MallocAllocator.instance())) {
                MemorySegment slot = tagged.pushSlot();
                slot.set(JAVA_BYTE, 0, (byte) 1);
                slot.set(JAVA_LONG, 8, 2L);
                tagged.pushSlot().fill((byte) 0);
                assertThat(tagged.data().byteSize()).isEqualTo(32);
                assertThat(tagged.data().address() % 8).as("aligned to the struct's alignment").isZero();
                assertThat(tagged.element(1).address() - tagged.element(0).address()).isEqualTo(16);
                assertThat(tagged).hasToString("[{tag = 1, value = 2}, {tag = 0, value = 0}]");
            }
        }

        @Test
        void nestedSequencesPrintAsNestedBrackets() {
            DynamicArray rows = DynamicArray.of(MemoryLayout.sequenceLayout(3, JAVA_INT), 0, HEAP);
            rows.push(MemorySegment.ofArray(new int[] {1, 2, 3}));
            rows.push(MemorySegment.ofArray(new int[] {4, 5, 6}));
            assertThat(rows).hasToString("[[1, 2, 3], [4, 5, 6]]");

            StructLayout polygon = MemoryLayout.structLayout(
                    JAVA_INT.withName("n"), MemoryLayout.sequenceLayout(2, POINT).withName("corners"));
            DynamicArray polygons = DynamicArray.of(polygon, 0, HEAP);
            polygons.push(MemorySegment.ofArray(new int[] {2, 1, 2, 3, 4}));
            assertThat(polygons).hasToString("[{n = 2, corners = [{x = 1, y = 2}, {x = 3, y = 4}]}]");
        }

        @Test
        void elementOutsideTheSizeThrowsIndexOutOfBoundsException() {
            DynamicArray points = DynamicArray.of(POINT, 4, HEAP);
            pushPoint(points, 1, 2);
            assertThatThrownBy(() -> points.element(1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> points.element(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    // ---- sources in the array's own memory -----------------------------------------------------

    /**
     * A push whose source is the array's own memory must copy the element from where it is after
     * growing: growth may move the array and free (or, in a checked buffer, poison) the old block.
     */
    @Nested
    class SourcesInTheArraysOwnMemory {

        /** struct { long a, b, c, d; } aligned to 32: malloc cannot realloc it in place, so growing always moves it. */
        private static final MemoryLayout WIDE = MemoryLayout.sequenceLayout(4, JAVA_LONG).withByteAlignment(32);

        private static LongArray fullLongs(long capacity, Allocator allocator) {
            LongArray array = LongArray.of(capacity, allocator);
            for (long i = 0; i < capacity; i++) {
                array.push(0x1111_1111_1111_1111L * (i + 1));
            }
            return array;
        }

        @Test
        void pushOfItsOwnElementOverMallocCopiesTheElementNotTheFreedBlock() {
            try (DynamicArray array = DynamicArray.of(WIDE, 4, MallocAllocator.instance())) {
                for (long i = 0; i < 4; i++) {
                    array.push(MemorySegment.ofArray(new long[] {i + 1, -(i + 1), Long.MAX_VALUE - i, 7 * i}));
                }
                long before = array.data().address();
                array.push(array.element(0));   // full: grows, and aligned_alloc + free moves it
                array.push(array.element(3));
                assertThat(array.data().address()).as("the array moved").isNotEqualTo(before);
                assertThat(array.element(4).toArray(JAVA_LONG)).containsExactly(1, -1, Long.MAX_VALUE, 0);
                assertThat(array.element(5).toArray(JAVA_LONG)).containsExactly(4, -4, Long.MAX_VALUE - 3, 21);
            }
        }

        @Test
        void pushOfItsOwnElementOverMallocWhenAnotherBlockFollowsIt() {
            MallocAllocator malloc = MallocAllocator.instance();
            try (LongArray array = fullLongs(32, malloc)) {
                MemorySegment blocker = malloc.allocate(64);   // most likely right after the array: realloc must move
                try {
                    array.push(array.element(0));
                    array.push(array.element(31));
                    assertThat(array.get(32)).isEqualTo(0x1111_1111_1111_1111L);
                    assertThat(array.get(33)).isEqualTo(0x1111_1111_1111_1111L * 32);
                } finally {
                    malloc.free(blocker);
                }
            }
        }

        @Test
        void pushOfItsOwnElementInABufferWhereTheArrayIsNotTheNewestBlock() {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator buffer = BufferAllocator.withoutFallback(arena.allocate(1024, 16))) {
                LongArray array = fullLongs(4, buffer);
                long before = array.data().address();
                buffer.allocate(8, 8);   // the array is no longer the newest block: growing moves it
                array.push(array.element(1));
                assertThat(array.data().address()).as("the array moved").isNotEqualTo(before);
                assertThat(buffer.statistics().copiedBytes()).isEqualTo(32);
                assertThat(contents64(array)).containsExactly(
                        0x1111_1111_1111_1111L, 0x2222_2222_2222_2222L, 0x3333_3333_3333_3333L,
                        0x4444_4444_4444_4444L, 0x2222_2222_2222_2222L);
            }
        }

        @Test
        void pushOfItsOwnElementInACheckedBufferThatPoisonsTheOldBlock() {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator checked = BufferAllocator.ofChecked(arena.allocate(64, 16), HEAP)) {
                LongArray array = fullLongs(8, checked);   // the whole buffer, its newest block
                array.push(array.element(2));   // moves to the fallback; the buffer bytes are poisoned
                assertThat(array.data().isNative()).as("moved to the heap fallback").isFalse();
                assertThat(array.get(8)).isEqualTo(0x3333_3333_3333_3333L);
            }
        }

        @Test
        void pushAllOfASegmentThatIsPartlyTheArraysOwnMemory() {
            long[] storage = new long[16];
            MemorySegment whole = MemorySegment.ofArray(storage);
            try (BufferAllocator checked = BufferAllocator.ofChecked(whole, HEAP)) {
                checked.allocate(8, 8).set(JAVA_LONG, 0, -5L);   // storage[0]
                LongArray array = fullLongs(8, checked);        // storage[1..8], the newest block
                array.pushAll(whole.asSlice(0, 9 * 8));            // storage[0..8]: starts before the array
                assertThat(array.size()).isEqualTo(17);
                assertThat(array.get(8)).isEqualTo(-5L);
                for (int i = 0; i < 8; i++) {
                    assertThat(array.get(9 + i)).isEqualTo(array.get(i));
                }
            }
        }

        @Test
        void setFromItsOwnElementsCopiesThemEvenWhenTheyOverlapTheTarget() {
            LongArray array = fullLongs(4, HEAP);
            array.set(0, array.element(3));
            array.set(2, array.element(2));   // itself
            long straddling = array.data().get(JAVA_LONG.withByteAlignment(1), 4);   // half of [0], half of [1]
            array.set(1, array.data().asSlice(4, 8));
            assertThat(contents64(array)).containsExactly(
                    0x4444_4444_4444_4444L, straddling, 0x3333_3333_3333_3333L, 0x4444_4444_4444_4444L);
        }

        @Test
        void pushAllOfASliceOfItsOwnDataWhenGrowing() {
            try (LongArray array = fullLongs(4, MallocAllocator.instance())) {
                array.pushAll(array.data().asSlice(8, 16));
                assertThat(contents64(array)).containsExactly(
                        0x1111_1111_1111_1111L, 0x2222_2222_2222_2222L, 0x3333_3333_3333_3333L,
                        0x4444_4444_4444_4444L, 0x2222_2222_2222_2222L, 0x3333_3333_3333_3333L);
            }
        }
    }

    private static long[] contents64(DynamicArray longArray) {
        return longArray.data().toArray(JAVA_LONG);
    }

    // ---- bulk and removal ---------------------------------------------------------------------

    @Nested
    class PushAll {

        @Test
        void appendsTheElementsOfAJavaArray() {
            IntArray array = ints(1, 2);
            array.pushAll(MemorySegment.ofArray(new int[] {3, 4, 5}));
            assertThat(contents(array)).containsExactly(1, 2, 3, 4, 5);
            assertThat(array).hasToString("[1, 2, 3, 4, 5]");
        }

        @Test
        void appendsItsOwnDataEvenWhenGrowingMovesIt() {
            try (IntArray array = IntArray.of(0, MallocAllocator.instance())) {
                for (int i = 0; i < 32; i++) {
                    array.push(i);
                }
                array.pushAll(array.data());   // must grow: the source moves with the array
                assertThat(array.size()).isEqualTo(64);
                for (int i = 0; i < 64; i++) {
                    assertThat(array.get(i)).isEqualTo(i % 32);
                }
            }
        }

        @Test
        void appendsAnotherArraysData() {
            IntArray source = ints(7, 8, 9);
            try (IntArray target = IntArray.of(0, MallocAllocator.instance())) {
                target.push(6);
                target.pushAll(source.data());
                assertThat(contents(target)).containsExactly(6, 7, 8, 9);
            }
        }

        @Test
        void anEmptySegmentAddsNothingEvenToAnArrayWithNoMemory() {
            IntArray array = IntArray.of(0, HEAP);
            array.pushAll(MemorySegment.ofArray(new int[0]));
            array.pushAll(DynamicArray.of(JAVA_INT, 0, HEAP).data());
            assertThat(array.size()).isZero();
        }

        @Test
        void anEmptySegmentAddsNothingToAnArrayWithMemory() {
            IntArray array = ints(1);
            array.pushAll(MemorySegment.ofArray(new int[0]));
            assertThat(contents(array)).containsExactly(1);
        }

        @Test
        void aSizeThatIsNotWholeElementsThrowsIllegalArgumentException() {
            IntArray array = ints(1);
            assertThatThrownBy(() -> array.pushAll(MemorySegment.ofArray(new byte[6])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole number");
            assertThat(array.size()).isEqualTo(1);
        }
    }

    @Nested
    class Removal {

        @Test
        void anArrayWithAnElementIsNotEmpty() {
            IntArray array = ints(1);
            assertThat(array.isEmpty()).isFalse();
            array.pop();
            assertThat(array.isEmpty()).isTrue();
        }

        @Test
        void theIndexOfSizeIsOutOfBoundsThoughTheCapacityHasRoom() {
            IntArray array = IntArray.of(4, HEAP);
            array.push(1);
            assertThatThrownBy(() -> array.get(1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> array.set(1, 5)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(array.get(0)).isEqualTo(1);
        }

        @Test
        void popRemovesTheLastElement() {
            IntArray array = ints(1, 2, 3);
            array.pop();
            assertThat(array).hasToString("[1, 2]");
        }

        @Test
        void popOnAnEmptyArrayThrowsNoSuchElementException() {
            IntArray array = IntArray.of(0, HEAP);
            assertThatThrownBy(array::pop).isInstanceOf(NoSuchElementException.class);
        }

        @Test
        void eraseMovesTheLastElementIntoTheHole() {
            IntArray array = ints(10, 20, 30, 40);
            array.erase(1);
            assertThat(contents(array)).containsExactly(10, 40, 30);
            array.erase(2);
            assertThat(contents(array)).containsExactly(10, 40);
        }

        @Test
        void eraseOutsideTheSizeThrowsIndexOutOfBoundsException() {
            IntArray array = ints(10, 20);
            assertThatThrownBy(() -> array.erase(2)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> array.erase(-1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(contents(array)).containsExactly(10, 20);
        }

        @Test
        void clearKeepsTheCapacity() {
            IntArray array = ints(1, 2, 3);
            long capacity = array.capacity();
            array.clear();
            assertThat(array.isEmpty()).isTrue();
            assertThat(array.capacity()).isEqualTo(capacity);
            assertThat(array).hasToString("[]");
        }
    }

    @Nested
    class Resize {

        @Test
        void newElementsAreZeroEvenWhereOldDataWas() {
            IntArray array = ints(7, 7, 7, 7);
            array.clear();
            array.resize(6);
            assertThat(contents(array)).containsExactly(0, 0, 0, 0, 0, 0);
        }

        @Test
        void shrinkingDropsTheTail() {
            IntArray array = ints(1, 2, 3, 4);
            array.resize(2);
            assertThat(contents(array)).containsExactly(1, 2);
            array.resize(3);
            assertThat(contents(array)).containsExactly(1, 2, 0);
        }

        @Test
        void aNegativeSizeThrowsIllegalArgumentException() {
            IntArray array = ints(1);
            assertThatThrownBy(() -> array.resize(-1)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void resizingToZeroEmptiesTheArrayAndKeepsItsMemory() {
            IntArray array = ints(1, 2);
            long capacity = array.capacity();
            array.resize(0);
            assertThat(array.isEmpty()).isTrue();
            assertThat(array.capacity()).isEqualTo(capacity);
        }

        @Test
        void reservingZeroOrTheCapacityAsksTheAllocatorNothing() {
            var counting = new CountingAllocator(HEAP);
            DynamicArray array = DynamicArray.of(JAVA_INT, 4, counting);
            array.reserve(0);
            array.reserve(4);
            assertThat(counting.calls()).isEqualTo(1);   // the allocation of the first 4 elements
            assertThat(array.capacity()).isEqualTo(4);
            array.reserve(5);
            assertThat(counting.calls()).isEqualTo(2);
            assertThat(array.capacity()).isEqualTo(5);
        }
    }

    // ---- close --------------------------------------------------------------------------------

    @Nested
    class Close {

        static Stream<Consumer<IntArray>> methodsThatNeedAnOpenArray() {
            return Stream.of(
                    a -> a.push(1), a -> a.set(0, 1), a -> a.get(0), IntArray::pushSlot,
                    a -> a.push(MemorySegment.ofArray(new int[1])), a -> a.set(0, MemorySegment.ofArray(new int[1])),
                    a -> a.pushAll(MemorySegment.ofArray(new int[1])),
                    a -> a.reserve(100), a -> a.resize(3), IntArray::clear, IntArray::pop,
                    a -> a.erase(0), a -> a.element(0), IntArray::data);
        }

        @ParameterizedTest
        @MethodSource("methodsThatNeedAnOpenArray")
        void everyMutatingMethodThrowsIllegalStateExceptionAfterClose(Consumer<IntArray> method) {
            IntArray array = ints(1, 2, 3);
            array.close();
            assertThatThrownBy(() -> method.accept(array))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }

        @Test
        void closeFreesThroughTheAllocatorAndTwiceIsANoOp() {
            CountingAllocator counting = new CountingAllocator(HEAP);
            LongArray array = LongArray.of(0, counting);
            for (long i = 0; i < 100; i++) {
                array.push(i);
            }
            assertThat(counting.outstandingBytes()).isEqualTo(array.capacity() * Long.BYTES);
            array.close();
            array.close();
            assertThat(counting.outstandingBytes()).isZero();
            assertThat(counting.outstandingBlocks()).isZero();
            assertThat(counting.calls(CountingAllocator.Call.FREE)).isEqualTo(1);
            assertThat(array.size()).isZero();
            assertThat(array.capacity()).isZero();
            assertThat(array).hasToString("LongArray[closed]");
            assertThat(DynamicArray.of(POINT, 0, HEAP)).satisfies(DynamicArray::close).hasToString("DynamicArray[closed]");
        }

        @Test
        void closeGivesMallocMemoryBack() {
            MallocAllocator malloc = MallocAllocator.instance();
            long baseline = malloc.liveBytes();
            DynamicArray array = DynamicArray.of(JAVA_DOUBLE, 10, malloc);
            assertThat(malloc.liveBytes()).isEqualTo(baseline + 80);
            array.close();
            assertThat(malloc.liveBytes()).isEqualTo(baseline);
        }

        @Test
        void anArrayThatNeverTookMemoryFreesNothing() {
            CountingAllocator counting = new CountingAllocator(HEAP);
            DynamicArray.of(JAVA_INT, 0, counting).close();
            assertThat(counting.calls(CountingAllocator.Call.FREE)).isZero();
        }

        @Test
        void whatTheAllocatorsFreeThrowsComesThroughAndTheArrayIsClosedAllTheSame() {
            CountingAllocator counting = new CountingAllocator(HEAP);
            DynamicArray array = DynamicArray.of(JAVA_INT, 4, counting);
            counting.failNextCall(() -> new IllegalStateException("free refused"));
            assertThatThrownBy(array::close).isInstanceOf(IllegalStateException.class).hasMessage("free refused");
            assertThatThrownBy(array::data).isInstanceOf(IllegalStateException.class);
            array.close();
            assertThat(counting.calls(CountingAllocator.Call.FREE)).as("no second free").isEqualTo(1);
        }
    }

    // ---- against a model ----------------------------------------------------------------------

    @Test
    void randomOperationsAgreeWithAnArrayList() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        List<Long> model = new ArrayList<>();
        try (LongArray array = LongArray.of(0, MallocAllocator.instance())) {
            for (int step = 0; step < 5_000; step++) {
                int op = random.nextInt(10);
                if (op < 5) {
                    long value = random.nextLong();
                    array.push(value);
                    model.add(value);
                } else if (op == 5 && !model.isEmpty()) {
                    array.pop();
                    model.removeLast();
                } else if (op == 6 && !model.isEmpty()) {
                    int index = random.nextInt(model.size());
                    array.erase(index);
                    model.set(index, model.getLast());
                    model.removeLast();
                } else if (op == 7 && !model.isEmpty()) {
                    int index = random.nextInt(model.size());
                    long value = random.nextLong();
                    array.set(index, value);
                    model.set(index, value);
                } else if (op == 8) {
                    int newSize = random.nextInt(model.size() + 8);
                    array.resize(newSize);
                    while (model.size() > newSize) {
                        model.removeLast();
                    }
                    while (model.size() < newSize) {
                        model.add(0L);
                    }
                } else if (op == 9 && random.nextInt(50) == 0) {
                    array.clear();
                    model.clear();
                }
                assertThat(array.size()).as("seed %d, step %d", seed, step).isEqualTo(model.size());
                assertThat(array.capacity()).as("seed %d, step %d", seed, step).isGreaterThanOrEqualTo(array.size());
            }
            for (int i = 0; i < model.size(); i++) {
                assertThat(array.get(i)).as("seed %d, element %d", seed, i).isEqualTo(model.get(i));
            }
        }
    }
}
