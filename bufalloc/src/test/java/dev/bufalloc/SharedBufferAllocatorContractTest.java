package dev.bufalloc;

import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.system.UnscopedMallocAllocator;
import dev.bufalloc.testing.CountingAllocator;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@NoLeaks
class SharedBufferAllocatorContractTest {

    private Arena arena;
    private CountingAllocator fallback;

    @BeforeEach
    void open() {
        arena = Arena.ofShared();
        fallback = new CountingAllocator(MallocAllocator.instance());
    }

    @AfterEach
    void close() {
        arena.close();
    }

    /** A shared allocator over a fresh 64-byte, 16-aligned native buffer, with {@link #fallback}. */
    private BufferAllocator allocator() {
        return BufferAllocator.ofShared(arena.allocate(64, 16), fallback);
    }

    private static long offsetOf(MemorySegment block, MemorySegment buffer) {
        return block.address() - buffer.address();
    }

    @Nested
    class Allocation {

        @Test
        void blocksComeFromTheBufferInOrderWithOnlyThePaddingTheAlignmentNeeds() {
            MemorySegment buffer = arena.allocate(64, 16);
            try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
                MemorySegment a = allocator.allocate(3, 1);
                MemorySegment b = allocator.allocate(8, 8);
                MemorySegment c = allocator.allocate(1, 1);
                assertThat(List.of(offsetOf(a, buffer), offsetOf(b, buffer), offsetOf(c, buffer))).containsExactly(0L, 8L, 16L);
                assertThat(List.of(a.byteSize(), b.byteSize(), c.byteSize())).containsExactly(3L, 8L, 1L);
                assertThat(allocator.usedBytes()).isEqualTo(17);
                assertThat(allocator.capacity()).isEqualTo(64);
            }
        }

        @Test
        void theBufferHoldsExactlyItsCapacityThenTheFallbackTakesOver() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(64, 1);
                assertThat(allocator.usedBytes()).isEqualTo(64);
                assertThat(fallback.calls()).isZero();
                MemorySegment more = allocator.allocate(1, 1);
                assertThat(fallback.outstanding()).containsExactly(more);
                assertThat(allocator.statistics().liveFallbackBytes()).isEqualTo(1);
            }
            assertThat(fallback.outstandingBlocks()).as("close frees fallback blocks").isZero();
        }

        @Test
        void aZeroByteBlockAtTheEndOfAFullBufferStillComesFromTheBuffer() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(64, 1);
                MemorySegment empty = allocator.allocate(0, 1);
                assertThat(empty.byteSize()).isZero();
                assertThat(fallback.calls()).isZero();
            }
        }

        @Test
        void aHeapBufferGivesItsArraysAlignment() {
            try (BufferAllocator allocator = BufferAllocator.ofShared(MemorySegment.ofArray(new long[8]), fallback)) {
                allocator.allocate(1, 1);
                MemorySegment aligned = allocator.allocate(8, 8);
                assertThat(aligned.heapBase()).isPresent();
                assertThat(aligned.address()).isEqualTo(8);
                assertThatThrownBy(() -> allocator.allocate(8, 16)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("aligns to at most 8 bytes");
            }
        }

        @Test
        @SuppressWarnings("restricted")   // segments over no memory, only looked at
        void aBufferOfUpTo2To48MinusOneBytesIsManagedAndALargerOneIsRefused() {
            // Far above any mapped memory, and never touched: only the size checks and the claim see it.
            MemorySegment largest = MemorySegment.ofAddress(1L << 56).reinterpret((1L << 48) - 1);
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(largest)) {
                assertThat(allocator.capacity()).isEqualTo((1L << 48) - 1);
            }
            MemorySegment tooLarge = MemorySegment.ofAddress(1L << 56).reinterpret(1L << 49);
            assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(tooLarge))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^48 - 1 bytes");
        }

        @Test
        @SuppressWarnings("restricted")   // a segment over no memory, only looked at
        void aBufferOfExactly2To48BytesIsRefusedTheCursorHoldsOneLess() {
            MemorySegment tooLarge = MemorySegment.ofAddress(1L << 56).reinterpret(1L << 48);
            assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(tooLarge))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^48 - 1 bytes");
        }

        @Test
        void withoutFallbackAFullBufferSaysWhatWasAskedAndWhatIsLeft() {
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(64, 16))) {
                allocator.allocate(60, 1);
                assertThatThrownBy(() -> allocator.allocate(8, 1)).isInstanceOf(IndexOutOfBoundsException.class)
                        .hasMessage("The buffer is full: asked 8 bytes aligned to 1, 4 of 64 bytes left, and this"
                                + " allocator has no fallback");
                assertThat(allocator.usedBytes()).isEqualTo(60);
            }
        }

        @Test
        void theFallbackIsTheContextAllocatorCurrentWhenTheAllocatorWasMade() {
            BufferAllocator allocator = ContextAllocator.callWith(fallback,
                    () -> BufferAllocator.ofShared(arena.allocate(16, 16)));
            try (allocator) {
                allocator.allocate(32, 1);
                assertThat(fallback.outstandingBlocks()).isEqualTo(1);
            }
        }
    }

    @Nested
    class FreeAndReallocate {

        @Test
        void freeingABufferBlockNeverGivesItsBytesBackNotEvenTheMostRecentOne() {
            MemorySegment buffer = arena.allocate(64, 16);
            try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
                MemorySegment older = allocator.allocate(8, 1);
                MemorySegment last = allocator.allocate(8, 1);
                allocator.free(older);
                assertThat(allocator.usedBytes()).isEqualTo(16);
                allocator.free(last);   // another thread may have allocated right after it: no rewind
                assertThat(allocator.usedBytes()).isEqualTo(16);
                allocator.free(last);   // still below the cursor: a no-op, not a double free
                assertThat(offsetOf(allocator.allocate(1, 1), buffer)).isEqualTo(16);
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            }
        }

        @Test
        void freeingAFallbackBlockFreesItThroughTheFallbackAndCountsItsBytesDown() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(64, 1);
                MemorySegment first = allocator.allocate(100, 1);
                MemorySegment second = allocator.allocate(30, 1);
                assertThat(allocator.statistics().liveFallbackBytes()).isEqualTo(130);
                allocator.free(first);
                assertThat(fallback.outstanding()).containsExactly(second);
                assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
                assertThat(allocator.statistics().liveFallbackBytes()).isEqualTo(30);
                assertThatThrownBy(() -> allocator.free(first)).isInstanceOf(IllegalArgumentException.class);
            }
        }

        @Test
        void aBufferBlockAlwaysMovesWhetherItGrowsOrShrinks() {
            MemorySegment buffer = arena.allocate(64, 16);
            try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
                MemorySegment block = allocator.allocate(8, 8);
                block.set(ValueLayout.JAVA_LONG, 0, 42);
                // Another thread may have allocated right after it: growing moves, even with room behind it.
                MemorySegment grown = allocator.reallocate(block, 40, 8);
                assertThat(offsetOf(grown, buffer)).isEqualTo(8);
                assertThat(grown.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(42);
                assertThat(allocator.usedBytes()).isEqualTo(48);
                // A stale block from before a reset may lie over live ones: shrinking moves too.
                MemorySegment shrunk = allocator.reallocate(grown, 4, 1);
                assertThat(offsetOf(shrunk, buffer)).isEqualTo(48);
                assertThat(shrunk.get(ValueLayout.JAVA_INT_UNALIGNED, 0)).isEqualTo(42);
                assertThat(allocator.usedBytes()).isEqualTo(52);
                assertThat(allocator.statistics().inPlaceReallocations()).isZero();
                assertThat(allocator.statistics().copiedBytes()).isEqualTo(8 + 4);
            }
        }

        @Test
        void aReallocationToTheSameSizeMovesToo() {
            try (BufferAllocator allocator = allocator()) {
                MemorySegment block = allocator.allocate(8, 8);
                allocator.allocate(8, 1);
                assertThat(allocator.reallocate(block, 8, 8).address()).isEqualTo(block.address() + 16);
                assertThat(allocator.statistics().inPlaceReallocations()).isZero();
                assertThat(allocator.usedBytes()).isEqualTo(24);
            }
        }

        @Test
        void theMostRecentBlockThatCouldGrowInPlaceUpToTheCapacityMovesToTheFallbackInstead() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(8, 1);
                MemorySegment block = allocator.allocate(8, 1);
                block.fill((byte) 6);
                MemorySegment grown = allocator.reallocate(block, 56, 1);   // [8, 64) would just fit in place
                assertThat(fallback.outstanding()).containsExactly(grown);
                assertThat(grown.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 6);
                assertThat(allocator.usedBytes()).isEqualTo(16);
                assertThat(allocator.statistics().inPlaceReallocations()).isZero();
            }
        }

        @Test
        void aBlockWhoseAddressDoesNotSuitTheNewAlignmentMovesEvenToShrink() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(1, 1);
                MemorySegment block = allocator.allocate(2, 1);   // at offset 1
                block.set(ValueLayout.JAVA_BYTE, 0, (byte) 5);
                MemorySegment moved = allocator.reallocate(block, 1, 8);
                assertThat(moved.address() % 8).isZero();
                assertThat(moved.address()).isNotEqualTo(block.address());
                assertThat(moved.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 5);
                assertThat(allocator.statistics().copiedBytes()).isEqualTo(1);
                assertThat(allocator.statistics().inPlaceReallocations()).isZero();
            }
        }

        @Test
        void anOlderBlockThatShrinksMovesWithItsFirstBytes() {
            try (BufferAllocator allocator = allocator()) {
                MemorySegment older = allocator.allocate(8, 1);
                older.fill((byte) 9);
                allocator.allocate(8, 1);
                MemorySegment shrunk = allocator.reallocate(older, 4, 1);
                assertThat(shrunk.address()).isEqualTo(older.address() + 16);
                assertThat(shrunk.toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 9);
                assertThat(allocator.statistics().copiedBytes()).isEqualTo(4);
                assertThat(allocator.usedBytes()).isEqualTo(20);
            }
        }

        @Test
        void aBlockThatMovesKeepsItsBytesTheFirstOfThemOnly() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(1, 1);
                MemorySegment older = allocator.allocate(8, 1);   // at offset 1: must move to be 8-aligned
                older.fill((byte) 9);
                allocator.allocate(8, 1);
                MemorySegment moved = allocator.reallocate(older, 4, 8);
                assertThat(moved.address()).isEqualTo(older.address() + 23);   // offset 24
                assertThat(moved.toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 9);
                assertThat(allocator.statistics().copiedBytes()).isEqualTo(4);
                assertThat(allocator.usedBytes()).isEqualTo(28);
            }
        }

        @Test
        void aLastBlockThatOutgrowsTheBufferMovesToTheFallbackAndItsBytesStayUsedUntilTheReset() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(8, 1);
                MemorySegment block = allocator.allocate(16, 1);
                block.fill((byte) 3);
                MemorySegment moved = allocator.reallocate(block, 100, 1);
                assertThat(fallback.outstanding()).containsExactly(moved);
                assertThat(moved.asSlice(0, 16).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 3);
                assertThat(allocator.usedBytes()).isEqualTo(24);
                assertThat(allocator.statistics().copiedBytes()).isEqualTo(16);
                allocator.reset();
                assertThat(allocator.usedBytes()).isZero();
                assertThat(fallback.outstanding()).isEmpty();
            }
        }

        @Test
        void anOlderBlockThatMovesToTheFallbackLeavesTheCursorAlone() {
            try (BufferAllocator allocator = allocator()) {
                MemorySegment older = allocator.allocate(8, 1);
                allocator.allocate(8, 1);
                allocator.reallocate(older, 100, 1);
                assertThat(allocator.usedBytes()).isEqualTo(16);
            }
        }

        @Test
        void aFallbackBlockIsReallocatedByTheFallbackAndItsBytesCounted() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(64, 1);
                MemorySegment block = allocator.allocate(100, 1);
                MemorySegment moved = allocator.reallocate(block, 300, 1);
                assertThat(fallback.outstanding()).containsExactly(moved);
                BufferStatistics stats = allocator.statistics();
                assertThat(stats.liveFallbackBlocks()).isEqualTo(1);
                assertThat(stats.liveFallbackBytes()).isEqualTo(300);
                assertThat(stats.fallbackCount()).isEqualTo(2);
                assertThat(stats.fallbackBytes()).isEqualTo(400);
                assertThatThrownBy(() -> allocator.free(block)).isInstanceOf(IllegalArgumentException.class);
            }
        }

        @Test
        void aBlockFromBeforeAResetBeyondTheCursorCannotBeFreedOrReallocated() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(8, 1);
                MemorySegment second = allocator.allocate(8, 1);
                allocator.reset();
                allocator.allocate(8, 1);
                assertThatThrownBy(() -> allocator.free(second)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("beyond the 8 bytes in use");
                assertThatThrownBy(() -> allocator.reallocate(second, 4, 1)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("beyond the 8 bytes in use");
                assertThat(allocator.usedBytes()).isEqualTo(8);
            }
        }

        /**
         * The safety rule behind "never rewinds": a block from before a reset may end exactly at today's
         * cursor. If freeing it rewound the cursor, the next block would be handed out over live ones.
         */
        @Test
        void aStaleBlockEndingAtTheCursorCannotRewindItIntoLiveBlocks() {
            MemorySegment buffer = arena.allocate(64, 16);
            try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
                allocator.allocate(8, 1);
                MemorySegment stale = allocator.allocate(8, 1);   // [8, 16)
                allocator.reset();
                MemorySegment first = allocator.allocate(4, 1);   // [0, 4)
                MemorySegment second = allocator.allocate(12, 1); // [4, 16): ends where the stale block does
                first.fill((byte) 1);
                second.fill((byte) 2);

                allocator.free(stale);   // below the cursor: ignored, as any buffer block's free is

                assertThat(allocator.usedBytes()).isEqualTo(16);
                MemorySegment next = allocator.allocate(8, 1);
                next.fill((byte) 3);
                assertThat(offsetOf(next, buffer)).isGreaterThanOrEqualTo(16);
                assertThat(first.toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 1);
                assertThat(second.toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 2);
            }
        }

        @Test
        void aSegmentThatStartsInTheBufferButRunsPastItsEndIsForeign() {
            MemorySegment memory = arena.allocate(128);
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(memory.asSlice(0, 64))) {
                allocator.allocate(64, 1);
                assertThatThrownBy(() -> allocator.free(memory.asSlice(32, 48)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("neither in its buffer");
            }
        }

        @Test
        void anEmptyBlockAtTheCursorIsLiveAndFreeingItChangesNothing() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(8, 1);
                MemorySegment empty = allocator.allocate(0, 1);
                allocator.free(empty);
                assertThat(allocator.usedBytes()).isEqualTo(8);
            }
        }

        @Test
        void aBlockEndingExactlyAtTheCursorIsLiveAndOnePastItIsNot() {
            MemorySegment buffer = arena.allocate(64, 16);
            try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
                MemorySegment block = allocator.allocate(8, 1);
                allocator.free(allocator.allocate(0, 1));
                allocator.free(block.asSlice(0, 8));
                allocator.free(block);
                assertThat(allocator.usedBytes()).isEqualTo(8);
                assertThatThrownBy(() -> allocator.free(buffer.asSlice(0, 9))).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("beyond the 8 bytes in use");
                assertThatThrownBy(() -> allocator.free(buffer.asSlice(8, 1))).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("beyond the 8 bytes in use");
            }
        }
    }

    @Nested
    class ResetCloseAndStatistics {

        @Test
        void resetMakesTheWholeBufferFreeAgainAndFreesTheFallbackBlocks() {
            BufferAllocator allocator = allocator();
            MemorySegment first = allocator.allocate(40, 1);
            allocator.allocate(40, 1);
            allocator.reset();
            assertThat(allocator.usedBytes()).isZero();
            assertThat(fallback.outstandingBlocks()).isZero();
            assertThat(allocator.allocate(40, 1).address()).isEqualTo(first.address());
            BufferStatistics stats = allocator.statistics();
            assertThat(stats.resets()).isEqualTo(1);
            assertThat(stats.peakDemand()).isEqualTo(80);
            assertThat(stats.fallbackCount()).isEqualTo(1);
            assertThat(stats.fallbackBytes()).isEqualTo(40);
            assertThat(stats.liveFallbackBlocks()).isZero();
            assertThat(stats.usedBytes()).isEqualTo(40);
            allocator.close();
        }

        @Test
        void peakDemandCountsBufferAndFallbackBytesUntilTheyAreGivenBack() {
            try (BufferAllocator allocator = allocator()) {
                MemorySegment last = allocator.allocate(60, 1);
                allocator.allocate(10, 1);   // fallback
                assertThat(allocator.statistics().peakDemand()).isEqualTo(70);
                allocator.free(allocator.allocate(0, 1));
                allocator.reset();
                allocator.allocate(5, 1);
                assertThat(allocator.statistics().peakDemand()).isEqualTo(70);
                assertThat(last.byteSize()).isEqualTo(60);
            }
        }

        @Test
        void peakDemandRemembersAFallbackBlockFreed() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(50, 1);
                MemorySegment big = allocator.allocate(100, 1);   // fallback
                allocator.free(big);
                assertThat(allocator.statistics().peakDemand()).isEqualTo(150);
                assertThat(allocator.usedBytes()).isEqualTo(50);
                assertThat(allocator.statistics().liveFallbackBytes()).isZero();
            }
        }

        @Test
        void peakDemandRemembersAFallbackBlockShrunk() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(50, 1);
                MemorySegment big = allocator.allocate(100, 1);   // fallback: demand 150
                MemorySegment shrunk = allocator.reallocate(big, 10, 1);
                assertThat(allocator.statistics().liveFallbackBytes()).isEqualTo(10);
                assertThat(allocator.statistics().peakDemand()).isEqualTo(150);
                allocator.free(shrunk);
                assertThat(allocator.statistics().peakDemand()).isEqualTo(150);
            }
        }

        @Test
        void peakDemandIsExactlyTheHighestBufferBytesInUsePlusLiveFallbackBytes() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(64, 1);
                MemorySegment first = allocator.allocate(100, 1);   // demand 164
                allocator.free(first);                              // 64
                MemorySegment second = allocator.allocate(60, 1);   // 124: no more than before
                assertThat(allocator.statistics().peakDemand()).isEqualTo(164);
                MemorySegment third = allocator.allocate(50, 1);    // 174: a new peak
                assertThat(allocator.statistics().peakDemand()).isEqualTo(174);
                allocator.free(third);
                allocator.free(second);
                allocator.reset();
                assertThat(allocator.statistics().peakDemand()).isEqualTo(174);
            }
        }

        @Test
        void aMoveInTheBufferDoesNotLowerTheDemandTheOldBytesStayInUse() {
            try (BufferAllocator allocator = allocator()) {
                MemorySegment block = allocator.allocate(50, 1);
                MemorySegment moved = allocator.reallocate(block, 10, 1);
                allocator.allocate(4, 1);
                assertThat(allocator.usedBytes()).isEqualTo(64);
                assertThat(allocator.statistics().peakDemand()).isEqualTo(64);
                allocator.free(moved);
                assertThat(allocator.statistics().peakDemand()).isEqualTo(64);
            }
        }

        @Test
        void aResetBetweenTwoStatisticsShowsTheDemandSinceTheResetOnly() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(64, 1);
                allocator.allocate(36, 1);
                allocator.reset();
                allocator.allocate(64, 1);
                allocator.allocate(50, 1);
                assertThat(allocator.statistics().peakDemand()).isEqualTo(114);
            }
        }

        @Test
        void afterCloseEveryCallIsRefusedButTheNumbersStayReadable() {
            BufferAllocator allocator = allocator();
            MemorySegment block = allocator.allocate(24, 1);
            allocator.allocate(100, 1);
            allocator.close();
            assertThat(fallback.outstandingBlocks()).isZero();
            assertThat(allocator.usedBytes()).isEqualTo(24);
            assertThat(allocator.statistics().usedBytes()).isEqualTo(24);
            assertThat(allocator.statistics().peakDemand()).isEqualTo(124);
            assertThat(allocator.toString()).endsWith(", used=24, closed]");
            assertThatThrownBy(() -> allocator.allocate(1, 1)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> allocator.allocate(1000, 1)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> allocator.free(block)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> allocator.reallocate(block, 8, 1)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(allocator::reset).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(allocator::close).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void closeEndsTheClaimSoANewAllocatorMayTakeTheBuffer() {
            MemorySegment buffer = arena.allocate(64, 16);
            BufferAllocator first = BufferAllocator.ofShared(buffer, fallback);
            assertThatThrownBy(() -> BufferAllocator.of(buffer)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("managed by a shared ").hasMessageContaining(" made on " + Thread.currentThread());
            first.close();
            try (BufferAllocator second = BufferAllocator.of(buffer, fallback)) {
                assertThat(second.allocate(8, 1).address()).isEqualTo(buffer.address());
            }
        }

        @Test
        void aFailingFreeDuringResetStillReleasesEveryBlockAndReportsTheFailure() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(64, 1);
                allocator.allocate(10, 1);
                allocator.allocate(20, 1);
                fallback.failOnCall(fallback.calls() + 1, () -> new IllegalStateException("injected"));
                assertThatThrownBy(allocator::reset).hasMessage("injected");
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
                assertThat(allocator.usedBytes()).isZero();
                fallback.releaseOutstanding();
            }
        }

        @Test
        void toStringNamesTheBufferAndTheCursor() {
            try (BufferAllocator allocator = allocator()) {
                allocator.allocate(5, 1);
                assertThat(allocator.toString()).startsWith("SharedBufferAllocator[[native ")
                        .endsWith(", 64 bytes], used=5]");
            }
        }
    }

    /**
     * Threads that use each other's fallback blocks need a fallback whose blocks any thread may use: the raw
     * C library's, which the allocator scopes itself (one shared scope per reset). A fallback over
     * {@link MallocAllocator} would confine each block to the thread that overflowed the buffer.
     */
    @Nested
    class Threads {

        private final CountingAllocator fallback = new CountingAllocator(UnscopedMallocAllocator.instance());

        @Test
        void blocksThatThreadsAllocateAtOnceNeverOverlapAndTheNumbersAddUp() throws Exception {
            int threads = 4;
            int perThread = 200;
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(threads * perThread * 8L / 2, 16),
                    fallback)) {
                List<Future<List<MemorySegment>>> results = new ArrayList<>();
                try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                    for (int t = 0; t < threads; t++) {
                        byte mark = (byte) t;
                        results.add(pool.submit(() -> {
                            List<MemorySegment> mine = new ArrayList<>();
                            for (int i = 0; i < perThread; i++) {
                                MemorySegment block = allocator.allocate(8, 8);
                                block.fill(mark);
                                mine.add(block);
                            }
                            return mine;
                        }));
                    }
                }
                List<MemorySegment> all = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    List<MemorySegment> mine = results.get(t).get();
                    for (MemorySegment block : mine) {
                        assertThat(block.toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) t);
                    }
                    all.addAll(mine);
                }
                List<MemorySegment> fromFallback = fallback.outstanding();
                List<MemorySegment> inBuffer = all.stream().filter(b -> fromFallback.stream().noneMatch(b::equals))
                        .sorted(Comparator.comparingLong(MemorySegment::address)).toList();
                for (int i = 1; i < inBuffer.size(); i++) {
                    assertThat(inBuffer.get(i).address()).isGreaterThanOrEqualTo(inBuffer.get(i - 1).address() + 8);
                }
                BufferStatistics stats = allocator.statistics();
                assertThat(inBuffer).hasSize(threads * perThread / 2);
                assertThat(stats.usedBytes()).isEqualTo(stats.capacity());
                assertThat(stats.fallbackCount()).isEqualTo(threads * perThread / 2);
                assertThat(stats.liveFallbackBytes()).isEqualTo(threads * perThread / 2 * 8L);
            }
        }

        @Test
        void anyThreadMayFreeResetOrClose() throws Exception {
            BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(64, 16), fallback);
            MemorySegment block = allocator.reallocate(allocator.allocate(8, 1), 16, 1);
            MemorySegment mine = allocator.allocate(100, 1);   // from the fallback, on this thread
            try (ExecutorService other = Executors.newSingleThreadExecutor()) {
                other.submit(() -> allocator.free(block)).get();
                assertThat(allocator.usedBytes()).as("a buffer block's free gives nothing back").isEqualTo(24);
                other.submit(() -> {
                    mine.fill((byte) 1);   // the allocator's scope for it is shared: any thread may use it
                    allocator.free(mine);
                }).get();
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
                other.submit(() -> allocator.allocate(100, 1)).get();
                other.submit(allocator::reset).get();
                assertThat(allocator.statistics().resets()).isEqualTo(1);
                other.submit(allocator::close).get();
                assertThat(allocator.statistics().resets()).as("the lock is free again after close").isEqualTo(1);
            }
            assertThat(fallback.outstandingBlocks()).isZero();
            assertThat(allocator.toString()).endsWith("closed]");
        }
    }
}
