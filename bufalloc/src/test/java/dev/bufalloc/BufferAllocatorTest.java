package dev.bufalloc;

import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BufferAllocatorTest {

    private Arena arena;
    private long mallocBaseline;

    @BeforeEach
    void openArena() {
        arena = Arena.ofConfined();
        mallocBaseline = MallocAllocator.instance().liveBytes();
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** Records the calls a fallback gets, and can be told to fail. */
    static final class RecordingFallback implements Allocator {
        final List<MemorySegment> live = new ArrayList<>();
        RuntimeException failure;

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            if (failure != null) {
                throw failure;
            }
            MemorySegment block = MallocAllocator.instance().allocate(byteSize, byteAlignment);
            live.add(block);
            return block;
        }

        @Override
        public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
            if (failure != null) {
                throw failure;
            }
            MemorySegment moved = MallocAllocator.instance().reallocate(segment, newByteSize, byteAlignment);
            live.remove(segment);
            live.add(moved);
            return moved;
        }

        @Override
        public void free(MemorySegment segment) {
            live.remove(segment);
            MallocAllocator.instance().free(segment);
            if (failure != null) {
                throw failure;
            }
        }
    }

    @Nested
    class Allocation {

        @Test
        void blocksComeFromTheBufferInOrderWithExactlyTheRequestedSize() {
            MemorySegment buffer = arena.allocate(64, 8);
            try (BufferAllocator allocator = BufferAllocator.of(buffer)) {
                MemorySegment a = allocator.allocate(3, 1);
                MemorySegment b = allocator.allocate(5, 1);
                assertThat(a.address()).isEqualTo(buffer.address());
                assertThat(b.address()).isEqualTo(buffer.address() + 3);
                assertThat(a.byteSize()).isEqualTo(3);
                assertThat(b.byteSize()).isEqualTo(5);
                assertThat(allocator.usedBytes()).isEqualTo(8);
            }
        }

        @Test
        void aSixtyFourByteBufferHoldsSixtyFourOneByteBlocks() {
            try (BufferAllocator allocator = BufferAllocator.withoutFallback(arena.allocate(64))) {
                for (int i = 0; i < 64; i++) {
                    allocator.allocate(1, 1);
                }
                assertThat(allocator.usedBytes()).isEqualTo(64);
                assertThatThrownBy(() -> allocator.allocate(1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            }
        }

        @Test
        void aSixtyFourByteBufferHoldsEightAlignedLongs() {
            // Only the padding alignment needs is skipped: none, when the cursor is already aligned.
            try (BufferAllocator allocator = BufferAllocator.withoutFallback(arena.allocate(64, 8))) {
                for (int i = 0; i < 8; i++) {
                    assertThat(allocator.allocate(ValueLayout.JAVA_LONG).address() % 8).isZero();
                }
                assertThat(allocator.usedBytes()).isEqualTo(64);
            }
        }

        @Test
        void paddingIsOnlyWhatTheAlignmentNeeds() {
            MemorySegment buffer = arena.allocate(256, 64);
            try (BufferAllocator allocator = BufferAllocator.of(buffer)) {
                allocator.allocate(1, 1);
                MemorySegment aligned = allocator.allocate(8, 64);
                assertThat(aligned.address() - buffer.address()).isEqualTo(64);
                assertThat(allocator.usedBytes()).isEqualTo(72);
            }
        }

        @Test
        void anAlignmentBeyondTheBuffersOwnIsOfTheAddressAndStillFromTheBuffer() {
            // The buffer starts 8 bytes past a 4096-byte boundary: aligning the offset alone would be wrong.
            MemorySegment buffer = arena.allocate(4096 + 512, 4096).asSlice(8, 512);
            try (BufferAllocator allocator = BufferAllocator.withoutFallback(buffer)) {
                allocator.allocate(1, 1);
                MemorySegment aligned = allocator.allocate(16, 64);
                assertThat(aligned.address() % 64).isZero();
                assertThat(aligned.address() - buffer.address()).isEqualTo(56);
                assertThat(allocator.usedBytes()).isEqualTo(72);
                MemorySegment next = allocator.allocate(8, 8);
                assertThat(next.address() - buffer.address()).isEqualTo(72);
            }
        }

        @Test
        void aZeroByteRequestReturnsAnEmptyAlignedSegment() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(16, 16))) {
                allocator.allocate(1, 1);
                MemorySegment empty = allocator.allocate(0, 8);
                assertThat(empty.byteSize()).isZero();
                assertThat(empty.address() % 8).isZero();
            }
        }

        @Test
        void anyFfmApiTakesItAsASegmentAllocator() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                MemorySegment text = allocator.allocateFrom("hello");
                assertThat(text.getString(0)).isEqualTo("hello");
                assertThat(allocator.usedBytes()).isEqualTo(6);
            }
        }

        @Test
        void memoryIsNotZeroedAfterAReset() {
            try (BufferAllocator allocator = BufferAllocator.of(new byte[8])) {
                allocator.allocate(8, 1).fill((byte) 7);
                allocator.reset();
                assertThat(allocator.allocate(8, 1).get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 7);
            }
        }

        @Test
        void aLongArrayBufferGivesEightByteAlignment() {
            long[] longs = new long[4];
            try (BufferAllocator allocator = BufferAllocator.of(MemorySegment.ofArray(longs))) {
                allocator.allocate(1, 1);
                MemorySegment value = allocator.allocate(ValueLayout.JAVA_LONG);
                value.set(ValueLayout.JAVA_LONG, 0, 42L);
                assertThat(longs[1]).isEqualTo(42L);
            }
        }

        @Test
        void aByteArrayBufferRefusesAlignedRequestsAndSaysWhatToDo() {
            try (BufferAllocator allocator = BufferAllocator.of(new byte[64])) {
                assertThatThrownBy(() -> allocator.allocate(ValueLayout.JAVA_INT))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("aligns to at most 1 bytes")
                        .hasMessageContaining("long[]");
                assertThat(allocator.allocate(4, 1).byteSize()).isEqualTo(4);   // still usable
            }
        }

        @ParameterizedTest
        @ValueSource(longs = {-1, Long.MIN_VALUE})
        void aNegativeSizeIsRefused(long size) {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                assertThatThrownBy(() -> allocator.allocate(size, 1))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("size");
                assertThat(allocator.usedBytes()).isZero();
            }
        }

        @ParameterizedTest
        @ValueSource(longs = {0, 3, 6, -8, Long.MIN_VALUE})
        void anAlignmentThatIsNotAPowerOfTwoIsRefused(long alignment) {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                assertThatThrownBy(() -> allocator.allocate(8, alignment))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alignment");
                assertThat(allocator.usedBytes()).isZero();
            }
        }

        @Test
        void aSizeThatWouldOverflowGoesToTheFallbackWhichRefusesIt() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                allocator.allocate(8, 1);
                assertThatThrownBy(() -> allocator.allocate(Long.MAX_VALUE, 1)).isInstanceOf(OutOfMemoryError.class);
                assertThat(allocator.usedBytes()).isEqualTo(8);
                assertThat(allocator.statistics().fallbackCount()).isZero();
            }
        }
    }

    @Nested
    class Fallback {

        @Test
        void whatDoesNotFitGoesToTheContextAllocatorCurrentWhenTheAllocatorWasMade() {
            BufferAllocator allocator = ContextAllocator.callWith(HeapAllocator.instance(),
                    () -> BufferAllocator.of(arena.allocate(8)));
            try (allocator) {
                MemorySegment block = allocator.allocate(16, 8);
                assertThat(block.isNative()).as("from the heap allocator").isFalse();
                assertThat(allocator.statistics().fallbackCount()).isEqualTo(1);
            }
        }

        @Test
        void fallbackBlocksAreFreedOnFreeResetAndClose() {
            RecordingFallback fallback = new RecordingFallback();
            BufferAllocator allocator = BufferAllocator.of(arena.allocate(8), fallback);
            MemorySegment a = allocator.allocate(100, 8);
            allocator.allocate(100, 8);
            allocator.free(a);
            assertThat(fallback.live).hasSize(1);
            allocator.reset();
            assertThat(fallback.live).isEmpty();
            allocator.allocate(100, 8);
            allocator.close();
            assertThat(fallback.live).isEmpty();
            assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(mallocBaseline);
        }

        @Test
        void withoutFallbackAFullBufferSaysWhatWasAskedAndWhatIsLeft() {
            try (BufferAllocator allocator = BufferAllocator.withoutFallback(arena.allocate(64))) {
                allocator.allocate(60, 1);
                assertThatThrownBy(() -> allocator.allocate(10, 1))
                        .isInstanceOf(IndexOutOfBoundsException.class)
                        .hasMessageContaining("asked 10 bytes")
                        .hasMessageContaining("4 of 64 bytes left");
                assertThat(allocator.usedBytes()).isEqualTo(60);
                assertThat(allocator.allocate(4, 1).byteSize()).isEqualTo(4);
            }
        }

        @Test
        void whenTheFallbackFailsTheCallerSeesItAndNothingChanges() {
            RecordingFallback fallback = new RecordingFallback();
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(8), fallback)) {
                allocator.allocate(4, 1);
                BufferStatistics before = allocator.statistics();
                fallback.failure = new IllegalStateException("out of memory, for the test");
                assertThatThrownBy(() -> allocator.allocate(100, 1)).isSameAs(fallback.failure);
                assertThat(allocator.statistics()).isEqualTo(before);
                fallback.failure = null;
                assertThat(allocator.allocate(100, 1).byteSize()).isEqualTo(100);
            }
        }

        @Test
        void aFailingFreeDuringResetStillReleasesEveryBlockAndReportsTheFailure() {
            RecordingFallback fallback = new RecordingFallback();
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(8), fallback)) {
                allocator.allocate(100, 1);
                allocator.allocate(100, 1);
                fallback.failure = new IllegalStateException("free failed, for the test");
                assertThatThrownBy(allocator::reset).isSameAs(fallback.failure);
                fallback.failure = null;
                assertThat(fallback.live).isEmpty();
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            }
        }
    }

    @Nested
    class Free {

        @Test
        void freeingAnOlderBufferBlockHasNoEffect() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                MemorySegment a = allocator.allocate(8, 1);
                allocator.allocate(8, 1);
                allocator.free(a);
                assertThat(allocator.usedBytes()).isEqualTo(16);
            }
        }

        @Test
        void freeingTheMostRecentBlockGivesItsBytesBack() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                allocator.allocate(8, 1);
                MemorySegment last = allocator.allocate(8, 1);
                allocator.free(last);
                assertThat(allocator.usedBytes()).isEqualTo(8);
            }
        }

        @Test
        void aBlockGivenBackCannotBeFreedAgain() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                MemorySegment last = allocator.allocate(8, 1);
                allocator.free(last);
                assertThatThrownBy(() -> allocator.free(last))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a live block");
            }
        }

        @Test
        void aLaterBlockGivenBackCannotBeFreedAgain() {
            try (BufferAllocator allocator = BufferAllocator.withoutFallback(arena.allocate(64))) {
                allocator.allocate(8, 1);
                MemorySegment second = allocator.allocate(8, 1);
                allocator.free(second);
                assertThatThrownBy(() -> allocator.free(second)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("beyond the 8 bytes in use");
            }
        }

        @Test
        void aSegmentThatStartsInTheBufferButRunsPastItsEndIsForeign() {
            MemorySegment memory = arena.allocate(128);
            try (BufferAllocator allocator = BufferAllocator.withoutFallback(memory.asSlice(0, 64))) {
                allocator.allocate(64, 1);
                assertThatThrownBy(() -> allocator.free(memory.asSlice(32, 48)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("neither in its buffer");
                assertThat(allocator.usedBytes()).isEqualTo(64);
            }
        }

        @Test
        void aForeignSegmentIsRefused() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                assertThatThrownBy(() -> allocator.free(arena.allocate(8)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a live block");
                assertThatThrownBy(() -> allocator.free(MemorySegment.ofArray(new byte[8])))
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }

        @Test
        void aFallbackBlockFreedTwiceIsRefusedTheSecondTime() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(8))) {
                MemorySegment block = allocator.allocate(100, 8);
                allocator.free(block);
                assertThatThrownBy(() -> allocator.free(block))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fallback");
                assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(mallocBaseline);
            }
        }

        @Test
        void nullIsRefused() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(8))) {
                assertThatThrownBy(() -> allocator.free(null)).isInstanceOf(NullPointerException.class);
            }
        }
    }

    @Nested
    class Reallocate {

        @Test
        void theMostRecentBlockGrowsInPlaceWithoutCopying() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(1024))) {
                MemorySegment block = allocator.allocate(16, 8);
                block.set(ValueLayout.JAVA_LONG, 0, 99L);
                MemorySegment grown = allocator.reallocate(block, 512, 8);
                assertThat(grown.address()).isEqualTo(block.address());
                assertThat(grown.byteSize()).isEqualTo(512);
                assertThat(grown.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(99L);
                assertThat(allocator.statistics().copiedBytes()).isZero();
                assertThat(allocator.statistics().inPlaceReallocations()).isEqualTo(1);
            }
        }

        @Test
        void theMostRecentBlockShrinksInPlaceAndGivesBytesBack() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(1024))) {
                MemorySegment block = allocator.allocate(512, 8);
                MemorySegment shrunk = allocator.reallocate(block, 16, 8);
                assertThat(shrunk.address()).isEqualTo(block.address());
                assertThat(allocator.usedBytes()).isEqualTo(16);
            }
        }

        @Test
        void anOlderBlockMovesAndKeepsItsBytes() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(1024))) {
                MemorySegment old = allocator.allocate(8, 8);
                old.set(ValueLayout.JAVA_LONG, 0, 7L);
                allocator.allocate(8, 8);
                MemorySegment moved = allocator.reallocate(old, 64, 8);
                assertThat(moved.address()).isNotEqualTo(old.address());
                assertThat(moved.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(7L);
                assertThat(allocator.statistics().copiedBytes()).isEqualTo(8);
            }
        }

        @Test
        void aBlockThatOutgrowsTheBufferMovesToTheFallbackAndItsBytesComeBack() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                MemorySegment block = allocator.allocate(32, 8);
                block.fill((byte) 5);
                MemorySegment moved = allocator.reallocate(block, 128, 8);
                assertThat(moved.get(ValueLayout.JAVA_BYTE, 31)).isEqualTo((byte) 5);
                assertThat(allocator.usedBytes()).as("the old block was the last: given back").isZero();
                assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
                MemorySegment again = allocator.reallocate(moved, 256, 8);
                assertThat(again.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 5);
                assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
            }
            assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(mallocBaseline);
        }

        @Test
        void aSegmentFromElsewhereIsRefused() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                assertThatThrownBy(() -> allocator.reallocate(arena.allocate(8), 16, 1))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a live block");
            }
        }

        @Test
        void aBlockFromBeforeAResetIsRefused() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                MemorySegment stale = allocator.allocate(16, 1);
                allocator.reset();
                assertThatThrownBy(() -> allocator.reallocate(stale, 32, 1))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("before a reset");
            }
        }

        @Test
        void aNegativeSizeOrBadAlignmentIsRefusedAndTheBlockStaysAsItWas() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                MemorySegment block = allocator.allocate(16, 1);
                assertThatThrownBy(() -> allocator.reallocate(block, -1, 1)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> allocator.reallocate(block, 8, 3)).isInstanceOf(IllegalArgumentException.class);
                assertThat(allocator.usedBytes()).isEqualTo(16);
            }
        }

        @Test
        void withoutRoomOrFallbackAMoveIsRefusedAndTheBlockStaysAsItWas() {
            try (BufferAllocator allocator = BufferAllocator.withoutFallback(arena.allocate(64))) {
                MemorySegment old = allocator.allocate(16, 1);
                allocator.allocate(16, 1);
                assertThatThrownBy(() -> allocator.reallocate(old, 48, 1)).isInstanceOf(IndexOutOfBoundsException.class);
                assertThat(allocator.usedBytes()).isEqualTo(32);
            }
        }
    }

    @Nested
    class ResetAndStatistics {

        @Test
        void resetMakesTheWholeBufferFreeAgain() {
            MemorySegment buffer = arena.allocate(64);
            try (BufferAllocator allocator = BufferAllocator.of(buffer)) {
                allocator.allocate(64, 1);
                allocator.reset();
                assertThat(allocator.usedBytes()).isZero();
                assertThat(allocator.allocate(64, 1).address()).isEqualTo(buffer.address());
                assertThat(allocator.statistics().resets()).isEqualTo(1);
            }
        }

        @Test
        void remainingBytesIsWhatTheBufferStillHas() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                allocator.allocate(24, 1);
                assertThat(allocator.statistics().remainingBytes()).isEqualTo(40);
            }
        }

        @Test
        void peakDemandTellsHowBigTheBufferShouldHaveBeen() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                for (int request = 0; request < 3; request++) {
                    allocator.allocate(40, 1);
                    allocator.allocate(40 + request * 10, 1);   // 40, 50, 60: the last two overflow
                    allocator.reset();
                }
                BufferStatistics stats = allocator.statistics();
                assertThat(stats.peakDemand()).isEqualTo(100);
                assertThat(stats.fallbackCount()).isEqualTo(3);
                assertThat(stats.fallbackBytes()).isEqualTo(150);
                assertThat(stats.liveFallbackBlocks()).isZero();
                assertThat(stats.usedBytes()).isZero();
                assertThat(stats.remainingBytes()).isEqualTo(64);
            }
        }

        @Test
        void aBigBlockAllocatedAndFreedInALoopCountsOnceInThePeakDemand() {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                allocator.allocate(16, 1);
                for (int round = 0; round < 1000; round++) {
                    allocator.free(allocator.allocate(100, 8));   // each time from the fallback
                }
                assertThat(allocator.statistics().fallbackCount()).isEqualTo(1000);
                assertThat(allocator.statistics().peakDemand()).isEqualTo(116);
            }
        }

        @Test
        void aBufferOfThePeakDemandServesTheSameWorkWithoutFallback() {
            long peak;
            try (BufferAllocator small = BufferAllocator.of(arena.allocate(64))) {
                work(small);
                peak = small.statistics().peakDemand();
            }
            try (BufferAllocator sized = BufferAllocator.withoutFallback(arena.allocate(peak))) {
                work(sized);
                assertThat(sized.statistics().fallbackCount()).isZero();
            }
        }

        private void work(BufferAllocator allocator) {
            for (int i = 1; i <= 5; i++) {
                allocator.allocate(i * 20L, 1);
            }
        }
    }

    @Nested
    class ThreadsAndLifetime {

        @Test
        void anotherThreadGetsWrongThreadException() throws Exception {
            try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
                Throwable thrown = onAnotherThread(() -> allocator.allocate(8, 1));
                assertThat(thrown).isInstanceOf(WrongThreadException.class).hasMessageContaining("owner thread");
                assertThat(onAnotherThread(allocator::reset)).isInstanceOf(WrongThreadException.class);
                assertThat(onAnotherThread(allocator::close)).isInstanceOf(WrongThreadException.class);
                assertThat(onAnotherThread(() -> allocator.free(MemorySegment.NULL))).isInstanceOf(WrongThreadException.class);
                assertThat(onAnotherThread(() -> allocator.reallocate(MemorySegment.NULL, 1, 1))).isInstanceOf(WrongThreadException.class);
                assertThat(onAnotherThread(allocator::push)).isInstanceOf(WrongThreadException.class);
                assertThat(onAnotherThread(allocator::usedBytes)).as("read-only calls work anywhere").isNull();
                assertThat(allocator.allocate(8, 1).byteSize()).isEqualTo(8);
            }
        }

        @Test
        void everyCallAfterCloseIsRefused() {
            BufferAllocator allocator = BufferAllocator.of(arena.allocate(64));
            MemorySegment block = allocator.allocate(8, 1);
            allocator.close();
            assertThatThrownBy(() -> allocator.allocate(8, 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertThatThrownBy(() -> allocator.free(block)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> allocator.reallocate(block, 16, 1)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(allocator::reset).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(allocator::push).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(allocator::close).isInstanceOf(IllegalStateException.class);
            assertThat(allocator.statistics().usedBytes()).isEqualTo(8);
        }

        private Throwable onAnotherThread(Runnable call) throws InterruptedException, ExecutionException {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    call.run();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }, r -> new Thread(r).start()).get();
        }
    }

    @Nested
    class OneBufferOneAllocator {

        @Test
        void aSecondAllocatorOverTheSameBufferIsRefusedAndTheMessageNamesTheConflict() {
            MemorySegment buffer = arena.allocate(64);
            try (BufferAllocator first = BufferAllocator.of(buffer)) {
                assertThatThrownBy(() -> BufferAllocator.of(buffer))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("overlaps a buffer that a live allocator manages")
                        .hasMessageContaining(Long.toHexString(buffer.address()));
                assertThat(first.allocate(8, 1).byteSize()).isEqualTo(8);
            }
        }

        @Test
        void partOfAManagedBufferIsRefusedToo() {
            MemorySegment buffer = arena.allocate(64);
            try (BufferAllocator first = BufferAllocator.of(buffer.asSlice(16, 32))) {
                assertThatThrownBy(() -> BufferAllocator.of(buffer)).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> BufferAllocator.of(buffer.asSlice(40, 8))).isInstanceOf(IllegalStateException.class);
                try (BufferAllocator before = BufferAllocator.of(buffer.asSlice(0, 16));
                     BufferAllocator after = BufferAllocator.of(buffer.asSlice(48, 16))) {
                    assertThat(before.capacity() + first.capacity() + after.capacity()).isEqualTo(64);
                }
            }
        }

        @Test
        void theSameJavaArrayIsRefusedButAnotherArrayIsFine() {
            byte[] bytes = new byte[16];
            try (BufferAllocator first = BufferAllocator.of(bytes)) {
                assertThatThrownBy(() -> BufferAllocator.of(bytes)).isInstanceOf(IllegalStateException.class);
                try (BufferAllocator other = BufferAllocator.of(new byte[16])) {
                    assertThat(other.capacity()).isEqualTo(first.capacity());
                }
            }
        }

        @Test
        void closingOneAllocatorKeepsTheOthersBuffersClaimed() {
            MemorySegment first = arena.allocate(64);
            MemorySegment second = arena.allocate(64);
            BufferAllocator.of(first).close();
            try (BufferAllocator live = BufferAllocator.of(second)) {
                BufferAllocator.of(first).close();
                assertThatThrownBy(() -> BufferAllocator.of(second)).isInstanceOf(IllegalStateException.class);
                assertThat(live.capacity()).isEqualTo(64);
            }
        }

        @Test
        void aClosedAllocatorDoesNotKeepItsArrayReachable() throws InterruptedException {
            WeakReference<byte[]> array = closedAllocatorsArray();
            for (int attempt = 0; attempt < 200 && array.get() != null; attempt++) {
                System.gc();
                Thread.sleep(10);
            }
            assertThat(array.get()).as("the array of a closed allocator was collected").isNull();
        }

        private static WeakReference<byte[]> closedAllocatorsArray() {
            byte[] buffer = new byte[64];
            BufferAllocator.of(buffer).close();
            return new WeakReference<>(buffer);
        }

        @Test
        void closeReleasesTheBuffer() {
            MemorySegment buffer = arena.allocate(64);
            BufferAllocator.of(buffer).close();
            try (BufferAllocator second = BufferAllocator.of(buffer)) {
                assertThat(second.capacity()).isEqualTo(64);
            }
        }

        @Test
        void anAllocatorDroppedWithoutCloseReleasesTheBufferOnceCollected() throws InterruptedException {
            MemorySegment buffer = arena.allocate(64);
            BufferAllocator.of(buffer);   // dropped
            BufferAllocator second = null;
            for (int attempt = 0; attempt < 200 && second == null; attempt++) {
                System.gc();
                Thread.sleep(10);
                try {
                    second = BufferAllocator.of(buffer);
                } catch (IllegalStateException stillClaimed) {
                    // the Cleaner has not run yet
                }
            }
            assertThat(second).as("claim released after the allocator became unreachable").isNotNull();
            second.close();
        }
    }

    @Nested
    class BadBuffers {

        @Test
        void nullIsRefused() {
            assertThatThrownBy(() -> BufferAllocator.of((MemorySegment) null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> BufferAllocator.of((byte[]) null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> BufferAllocator.of(arena.allocate(8), null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> BufferAllocator.withoutFallback(null)).isInstanceOf(NullPointerException.class);
        }

        @Test
        void anEmptyBufferIsRefused() {
            assertThatThrownBy(() -> BufferAllocator.of(new byte[0]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            assertThatThrownBy(() -> BufferAllocator.of(MemorySegment.NULL)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void aReadOnlyBufferIsRefused() {
            assertThatThrownBy(() -> BufferAllocator.of(arena.allocate(8).asReadOnly()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
        }

        @Test
        void aBufferWhoseArenaIsClosedIsRefused() {
            Arena closed = Arena.ofConfined();
            MemorySegment buffer = closed.allocate(8);
            closed.close();
            assertThatThrownBy(() -> BufferAllocator.of(buffer))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("arena is closed");
        }

        @Test
        void aBufferConfinedToAnotherThreadIsRefused() throws Exception {
            MemorySegment buffer = arena.allocate(8);
            Throwable thrown = CompletableFuture.supplyAsync(() -> {
                try {
                    BufferAllocator.of(buffer).close();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }, r -> new Thread(r).start()).get();
            assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("confined");
        }
    }
}
