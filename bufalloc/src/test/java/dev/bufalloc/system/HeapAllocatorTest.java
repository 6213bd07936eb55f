package dev.bufalloc.system;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HeapAllocatorTest {

    private final HeapAllocator heap = HeapAllocator.instance();

    private static int longsBehind(MemorySegment block) {
        return ((long[]) block.heapBase().orElseThrow()).length;
    }

    private static void assertAllBytes(MemorySegment block, long from, long to, byte expected) {
        for (long i = from; i < to; i++) {
            assertThat(block.get(ValueLayout.JAVA_BYTE, i)).as("byte %d", i).isEqualTo(expected);
        }
    }

    @Test
    void isOneInstanceThatAlignsToAtMostEightBytes() {
        assertThat(HeapAllocator.instance()).isSameAs(heap);
        assertThat(HeapAllocator.MAX_ALIGNMENT).isEqualTo(8);
        assertThat(heap).hasToString("HeapAllocator");
    }

    @Nested
    class Allocate {

        @ParameterizedTest(name = "alignment {0}")
        @ValueSource(longs = {1, 2, 4, 8})
        void givesAZeroedHeapBlockOfExactlyTheSize(long alignment) {
            MemorySegment block = heap.allocate(13, alignment);
            assertThat(block.isNative()).isFalse();
            assertThat(block.heapBase()).containsInstanceOf(long[].class);
            assertThat(block.byteSize()).isEqualTo(13);
            assertThat(block.maxByteAlignment()).isGreaterThanOrEqualTo(alignment);
            assertAllBytes(block, 0, 13, (byte) 0);
        }

        @Test
        void aZeroByteRequestGivesAnEmptyBlock() {
            assertThat(heap.allocate(0, 8).byteSize()).isZero();
        }

        @Test
        void aLayoutAllocationCanHoldLongs() {
            MemorySegment block = heap.allocate(ValueLayout.JAVA_LONG, 4);
            block.setAtIndex(ValueLayout.JAVA_LONG, 3, 42L);
            assertThat(block.getAtIndex(ValueLayout.JAVA_LONG, 3)).isEqualTo(42L);
        }

        @Test
        void throwsIllegalArgumentExceptionForANegativeSize() {
            assertThatThrownBy(() -> heap.allocate(-1, 8)).isInstanceOf(IllegalArgumentException.class);
        }

        @ParameterizedTest(name = "alignment {0}")
        @ValueSource(longs = {0, 3, 12})
        void throwsIllegalArgumentExceptionForAnAlignmentThatIsNotAPowerOfTwo(long alignment) {
            assertThatThrownBy(() -> heap.allocate(8, alignment))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
        }

        @ParameterizedTest(name = "alignment {0}")
        @ValueSource(longs = {16, 64, 4096})
        void throwsIllegalArgumentExceptionForAnAlignmentAboveEight(long alignment) {
            assertThatThrownBy(() -> heap.allocate(8, alignment))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 8");
        }

        @Test
        void throwsIllegalArgumentExceptionForMoreThanALongArrayHolds() {
            assertThatThrownBy(() -> heap.allocate((long) Integer.MAX_VALUE * Long.BYTES + 1, 8))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Java array");
        }

        @Test
        void aBlockTakesTheFewestLongsThatHoldIt() {
            assertThat(longsBehind(heap.allocate(0, 1))).isZero();
            assertThat(longsBehind(heap.allocate(8, 1))).isEqualTo(1);
            assertThat(longsBehind(heap.allocate(9, 1))).isEqualTo(2);
            assertThat(longsBehind(heap.allocate(16, 8))).isEqualTo(2);
        }

        @Test
        void theLargestSizeALongArrayHoldsIsNotRefusedAsTooLarge() {
            // Past the size check, only the heap can refuse 16 GiB (the test JVM's heap is far smaller).
            assertThatThrownBy(() -> heap.allocate((long) (Integer.MAX_VALUE - 8) * Long.BYTES, 1))
                    .isInstanceOf(OutOfMemoryError.class);
        }

        @Test
        void aSizeNoJavaArrayCanHoldIsAnIllegalArgumentNotAnOutOfMemoryError() {
            assertThatThrownBy(() -> heap.allocate((long) Integer.MAX_VALUE * Long.BYTES, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Too large for a Java array");
        }
    }

    @Nested
    class Reallocate {

        @Test
        void aSliceAtAnAlignedOffsetGrowsInPlaceUpToTheEndOfItsArray() {
            MemorySegment block = heap.allocate(32, 8);
            MemorySegment slice = block.asSlice(8, 8);
            MemorySegment grown = heap.reallocate(slice, 24, 8);
            assertThat(grown.heapBase().orElseThrow()).isSameAs(block.heapBase().orElseThrow());
            assertThat(grown.address()).isEqualTo(8);
            MemorySegment moved = heap.reallocate(slice, 32, 8);
            assertThat(moved.heapBase().orElseThrow()).isNotSameAs(block.heapBase().orElseThrow());
            assertThat(moved.byteSize()).isEqualTo(32);
        }

        @Test
        void growsInPlaceWithinTheArraysSlack() {
            MemorySegment block = heap.allocate(3, 1);   // a long[1]: 5 bytes of slack
            block.fill((byte) 7);
            MemorySegment grown = heap.reallocate(block, 8, 1);
            assertThat(grown.heapBase().orElseThrow()).isSameAs(block.heapBase().orElseThrow());
            assertThat(grown.byteSize()).isEqualTo(8);
            assertAllBytes(grown, 0, 3, (byte) 7);
            assertAllBytes(grown, 3, 8, (byte) 0);
        }

        @Test
        void movesToANewArrayWhenTheSlackIsTooSmall() {
            MemorySegment block = heap.allocate(8, 8);
            block.fill((byte) 9);
            MemorySegment grown = heap.reallocate(block, 20, 8);
            assertThat(grown.heapBase().orElseThrow()).isNotSameAs(block.heapBase().orElseThrow());
            assertThat(grown.byteSize()).isEqualTo(20);
            assertAllBytes(grown, 0, 8, (byte) 9);
            assertAllBytes(grown, 8, 20, (byte) 0);
        }

        @Test
        void shrinksInPlaceKeepingTheFirstBytes() {
            MemorySegment block = heap.allocate(32, 8);
            block.fill((byte) 5);
            MemorySegment shrunk = heap.reallocate(block, 10, 8);
            assertThat(shrunk.heapBase().orElseThrow()).isSameAs(block.heapBase().orElseThrow());
            assertThat(shrunk.byteSize()).isEqualTo(10);
            assertAllBytes(shrunk, 0, 10, (byte) 5);
        }

        @Test
        void bytesAddedAfterAShrinkAreZeroNotTheOldData() {
            MemorySegment block = heap.allocate(32, 8);
            block.fill((byte) -1);
            MemorySegment shrunk = heap.reallocate(block, 4, 8);
            MemorySegment regrown = heap.reallocate(shrunk, 32, 8);
            assertThat(regrown.heapBase().orElseThrow()).isSameAs(block.heapBase().orElseThrow());
            assertAllBytes(regrown, 0, 4, (byte) -1);
            assertAllBytes(regrown, 4, 32, (byte) 0);
        }

        @Test
        void aSliceAtAnOffsetThatDoesNotSuitTheAlignmentMoves() {
            MemorySegment whole = heap.allocate(32, 8);
            MemorySegment slice = whole.asSlice(4, 4);
            slice.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 1234);
            MemorySegment moved = heap.reallocate(slice, 8, 8);
            assertThat(moved.heapBase().orElseThrow()).isNotSameAs(whole.heapBase().orElseThrow());
            assertThat(moved.address() % 8).isZero();
            assertThat(moved.get(ValueLayout.JAVA_INT_UNALIGNED, 0)).isEqualTo(1234);
        }

        @Test
        void throwsIllegalArgumentExceptionForANativeSegment() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment nativeBlock = arena.allocate(16);
                assertThatThrownBy(() -> heap.reallocate(nativeBlock, 32, 8))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a block of the heap");
            }
        }

        @Test
        void throwsIllegalArgumentExceptionForAHeapSegmentOverAnotherArrayType() {
            assertThatThrownBy(() -> heap.reallocate(MemorySegment.ofArray(new byte[16]), 32, 1))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void throwsIllegalArgumentExceptionForANegativeSize() {
            MemorySegment block = heap.allocate(8, 8);
            assertThatThrownBy(() -> heap.reallocate(block, -1, 8)).isInstanceOf(IllegalArgumentException.class);
        }

        @ParameterizedTest(name = "alignment {0}")
        @ValueSource(longs = {3, 16})
        void throwsIllegalArgumentExceptionForABadAlignment(long alignment) {
            MemorySegment block = heap.allocate(8, 8);
            assertThatThrownBy(() -> heap.reallocate(block, 16, alignment)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void throwsNullPointerExceptionForANullSegment() {
            assertThatThrownBy(() -> heap.reallocate(null, 8, 8)).isInstanceOf(NullPointerException.class);
        }
    }

    @Nested
    class Free {

        @Test
        void acceptsItsOwnBlocks() {
            MemorySegment block = heap.allocate(16, 8);
            heap.free(block);
            heap.free(heap.reallocate(heap.allocate(1, 1), 100, 4));
            assertThat(block.byteSize()).isEqualTo(16);   // still reachable: the GC reclaims it later
        }

        @Test
        void throwsIllegalArgumentExceptionForANativeSegment() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment nativeBlock = arena.allocate(16);
                assertThatThrownBy(() -> heap.free(nativeBlock)).isInstanceOf(IllegalArgumentException.class);
            }
            assertThatThrownBy(() -> heap.free(MemorySegment.NULL)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void throwsNullPointerExceptionForANullSegment() {
            assertThatThrownBy(() -> heap.free(null)).isInstanceOf(NullPointerException.class);
        }
    }
}
