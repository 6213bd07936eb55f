package dev.bufalloc.system;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

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

    /*
     * Sizes, alignments up to 8 and the refusal past it, empty blocks, zeroed blocks, refusals and
     * foreign segments: AllocatorContractTest and the errors table check them for the heap allocator
     * as for every allocator. Here: what it alone does with its long[] arrays.
     */

    @Nested
    class Allocate {

        @Test
        void throwsIllegalArgumentExceptionForMoreThanALongArrayHolds() {
            assertThatThrownBy(() -> heap.allocate((long) Integer.MAX_VALUE * Long.BYTES + 1, 8))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Java array");
        }

        @Test
        void aBlockIsAViewOfTheFewestLongsThatHoldIt() {
            assertThat(heap.allocate(13, 8).heapBase()).containsInstanceOf(long[].class);
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
        void throwsIllegalArgumentExceptionForTheNullAddress() {
            assertThatThrownBy(() -> heap.free(MemorySegment.NULL)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
