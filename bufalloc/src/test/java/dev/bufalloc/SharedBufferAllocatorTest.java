package dev.bufalloc;

import dev.bufalloc.BufferAllocatorModelTest.CountingFallback;
import dev.bufalloc.BufferAllocatorTest.RecordingFallback;
import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.system.MallocAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link BufferAllocator}: every documented exception, and examples of the contract. */
class SharedBufferAllocatorTest {

    private Arena arena;

    @BeforeEach
    void openArena() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** Runs {@code action} on a new platform thread and returns its result; rethrows what it threw. */
    static <T> T onAnotherThread(Callable<T> action) throws Throwable {
        FutureTask<T> task = new FutureTask<>(action);
        Thread thread = new Thread(task, "other");
        thread.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }

    /** A block whose bytes were given back: allocated, then freed while it was the most recent. */
    static MemorySegment givenBack(BufferAllocator allocator) {
        MemorySegment block = allocator.allocate(8, 1);
        allocator.free(block);
        return block;
    }

    /** The offset of {@code block} in {@code buffer}. */
    static long offset(MemorySegment block, MemorySegment buffer) {
        return block.address() - buffer.address();
    }

    @Nested
    class Factories {

        @Test
        void nullIsRefused() {
            MemorySegment buffer = arena.allocate(8);
            assertThatThrownBy(() -> BufferAllocator.ofShared(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> BufferAllocator.ofShared(null, MallocAllocator.instance()))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> BufferAllocator.ofShared(buffer, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("fallback");
            assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(null))
                    .isInstanceOf(NullPointerException.class);
        }

        @Test
        void anEmptyBufferIsRefused() {
            assertThatThrownBy(() -> BufferAllocator.ofShared(MemorySegment.ofArray(new byte[0])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(MemorySegment.NULL))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void aReadOnlyBufferIsRefused() {
            assertThatThrownBy(() -> BufferAllocator.ofShared(arena.allocate(8).asReadOnly(), MallocAllocator.instance()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
        }

        @Test
        void aBufferWhoseArenaIsClosedIsRefused() {
            Arena closed = Arena.ofShared();
            MemorySegment buffer = closed.allocate(8);
            closed.close();
            assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(buffer))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("arena is closed");
        }

        @Test
        void aBufferConfinedToAnotherThreadIsRefused() {
            try (Arena confined = Arena.ofConfined()) {
                MemorySegment buffer = confined.allocate(8);
                assertThatThrownBy(() -> onAnotherThread(() -> BufferAllocator.ofShared(buffer)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("confined");
            }
        }

        @Test
        @SuppressWarnings("restricted")   // a segment over no memory, only looked at
        void aBufferOfMoreThanTwoToTheFortyEightBytesIsRefused() {
            // No such memory is allocated: a segment of 2^48 + 1 bytes at address 0 is only looked at.
            MemorySegment huge = MemorySegment.NULL.reinterpret((1L << 48) + 1);
            assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(huge))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^48");
        }

        @Test
        void ofWithoutAFallbackTakesTheContextAllocatorCurrentNow() {
            CountingFallback fallback = new CountingFallback(MallocAllocator.instance());
            BufferAllocator[] made = new BufferAllocator[1];
            ContextAllocator.runWith(fallback, () -> made[0] = BufferAllocator.ofShared(arena.allocate(8)));
            try (BufferAllocator allocator = made[0]) {
                MemorySegment block = allocator.allocate(16, 1);   // does not fit: the context's allocator
                assertThat(fallback.live).containsExactly(block);
            }
            assertThat(fallback.live).isEmpty();
        }
    }

    @Nested
    class Allocate {

        @Test
        void threadsAllocateFromOneBufferAndNoTwoBlocksShareAByte() throws Exception {
            int threads = 4;
            int blocksPerThread = 100;
            MemorySegment buffer = arena.allocate(threads * blocksPerThread * 8L, 8);
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(buffer)) {
                CyclicBarrier start = new CyclicBarrier(threads);
                List<CompletableFuture<List<Long>>> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    workers.add(CompletableFuture.supplyAsync(() -> {
                        await(start);
                        List<Long> offsets = new ArrayList<>();
                        for (int i = 0; i < blocksPerThread; i++) {
                            offsets.add(offset(allocator.allocate(ValueLayout.JAVA_LONG), buffer));
                        }
                        return offsets;
                    }, r -> new Thread(r).start()));
                }
                Set<Long> all = new HashSet<>();
                for (CompletableFuture<List<Long>> worker : workers) {
                    all.addAll(worker.get());
                }
                // 8-byte blocks at 8-byte alignment: no padding, so the buffer is exactly full.
                assertThat(all).hasSize(threads * blocksPerThread).allMatch(o -> o % 8 == 0 && o < buffer.byteSize());
                assertThat(allocator.usedBytes()).isEqualTo(buffer.byteSize());
                assertThat(allocator.statistics().fallbackCount()).isZero();
            }
        }

        @Test
        void paddingIsOnlyWhatTheAlignmentNeeds() {
            MemorySegment buffer = arena.allocate(256, 64);
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(buffer)) {
                allocator.allocate(1, 1);
                assertThat(offset(allocator.allocate(8, 64), buffer)).isEqualTo(64);
                assertThat(allocator.usedBytes()).isEqualTo(72);
            }
        }

        @Test
        void anyFfmApiTakesItAsASegmentAllocator() {
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(64))) {
                assertThat(allocator.allocateFrom("hello").getString(0)).isEqualTo("hello");
            }
        }

        @Test
        void whatDoesNotFitGoesToTheFallback() {
            CountingFallback fallback = new CountingFallback(MallocAllocator.instance());
            MemorySegment buffer = arena.allocate(16);
            try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
                MemorySegment inBuffer = allocator.allocate(12, 1);
                MemorySegment elsewhere = allocator.allocate(8, 1);
                assertThat(offset(inBuffer, buffer)).isZero();
                assertThat(fallback.live).containsExactly(elsewhere);
                assertThat(allocator.usedBytes()).isEqualTo(12);
                MemorySegment stillFits = allocator.allocate(4, 1);   // the buffer is not given up on
                assertThat(offset(stillFits, buffer)).isEqualTo(12);
                allocator.free(elsewhere);
                assertThat(fallback.live).isEmpty();
            }
        }

        @Test
        void aNegativeSizeIsRefused() {
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(16))) {
                assertThatThrownBy(() -> allocator.allocate(-1, 1)).isInstanceOf(IllegalArgumentException.class);
                assertThat(allocator.usedBytes()).isZero();
            }
        }

        @Test
        void anAlignmentThatIsNotAPowerOfTwoIsRefused() {
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(16))) {
                for (long alignment : new long[] {0, 3, -8}) {
                    assertThatThrownBy(() -> allocator.allocate(1, alignment)).isInstanceOf(IllegalArgumentException.class);
                }
                assertThat(allocator.usedBytes()).isZero();
            }
        }

        @Test
        void aHeapBufferGivesNoMoreAlignmentThanItsArray() {
            try (BufferAllocator bytes = BufferAllocator.sharedWithoutFallback(MemorySegment.ofArray(new byte[16]));
                 BufferAllocator longs = BufferAllocator.sharedWithoutFallback(MemorySegment.ofArray(new long[2]))) {
                assertThatThrownBy(() -> bytes.allocate(2, 2))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 1");
                assertThat(longs.allocate(8, 8).byteSize()).isEqualTo(8);
                assertThatThrownBy(() -> longs.allocate(8, 16)).isInstanceOf(IllegalArgumentException.class);
            }
        }

        @Test
        void aFullBufferWithoutFallbackSaysWhatWasAskedAndLeft() {
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(16))) {
                allocator.allocate(12, 1);
                assertThatThrownBy(() -> allocator.allocate(8, 1))
                        .isInstanceOf(IndexOutOfBoundsException.class)
                        .hasMessageContaining("asked 8 bytes").hasMessageContaining("4 of 16 bytes left");
                assertThat(allocator.usedBytes()).isEqualTo(12);
            }
        }

        @Test
        void aClosedAllocatorRefuses() {
            BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(16));
            allocator.close();
            assertThatThrownBy(() -> allocator.allocate(1, 1)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class Free {

        @Test
        void freeingTheMostRecentBlockGivesItsBytesBackOnlyIfNoOtherThreadAllocatedAfterIt() throws Throwable {
            MemorySegment buffer = arena.allocate(64);
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(buffer)) {
                MemorySegment mine = allocator.allocate(8, 1);
                MemorySegment theirs = onAnotherThread(() -> allocator.allocate(8, 1));
                allocator.free(mine);                              // not the most recent any more: no effect
                assertThat(allocator.usedBytes()).isEqualTo(16);
                onAnotherThread(() -> {
                    allocator.free(theirs);                         // the most recent: its bytes come back
                    return null;
                });
                assertThat(allocator.usedBytes()).isEqualTo(8);
                allocator.free(mine);                              // the most recent again, and still live
                assertThat(allocator.usedBytes()).isZero();
            }
        }

        @Test
        void aFallbackBlockIsFreedThroughTheFallback() {
            CountingFallback fallback = new CountingFallback(MallocAllocator.instance());
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback)) {
                MemorySegment block = allocator.allocate(32, 16);
                allocator.free(block);
                assertThat(fallback.live).isEmpty();
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
                assertThatThrownBy(() -> allocator.free(block))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a live block");
            }
        }

        @Test
        void aFallbackBlockFreedWhileNewestCountsOnceInThePeakDemand() {
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(64),
                    MallocAllocator.instance())) {
                allocator.allocate(16, 1);
                for (int round = 0; round < 100; round++) {
                    allocator.free(allocator.allocate(100, 8));   // each time from the fallback
                }
                assertThat(allocator.statistics().fallbackCount()).isEqualTo(100);
                assertThat(allocator.statistics().peakDemand()).isEqualTo(116);
            }
        }

        @Test
        void aBlockThatIsNotLiveIsRefused() {
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(64))) {
                MemorySegment given = givenBack(allocator);
                assertThatThrownBy(() -> allocator.free(given))           // its bytes were given back
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond the 0 bytes in use");
                MemorySegment foreign = arena.allocate(8);
                assertThatThrownBy(() -> allocator.free(foreign))         // not the allocator's at all
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a live block");
                assertThatThrownBy(() -> allocator.free(null)).isInstanceOf(NullPointerException.class);
            }
        }

        @Test
        void aClosedAllocatorRefuses() {
            BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(16));
            MemorySegment block = allocator.allocate(8, 1);
            allocator.close();
            assertThatThrownBy(() -> allocator.free(block)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class Reallocate {

        @Test
        void aBlockAnotherThreadAllocatedAfterMovesWithItsBytes() throws Throwable {
            MemorySegment buffer = arena.allocate(64, 8);
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(buffer)) {
                MemorySegment mine = allocator.allocate(8, 8);
                mine.set(ValueLayout.JAVA_LONG, 0, 0x1234_5678_9ABC_DEF0L);
                onAnotherThread(() -> allocator.allocate(8, 8));
                MemorySegment moved = allocator.reallocate(mine, 16, 8);
                assertThat(offset(moved, buffer)).isEqualTo(16);
                assertThat(moved.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(0x1234_5678_9ABC_DEF0L);
                assertThat(allocator.usedBytes()).isEqualTo(32);
                assertThat(allocator.statistics().copiedBytes()).isEqualTo(8);
                assertThat(allocator.statistics().inPlaceReallocations()).isZero();
            }
        }

        @Test
        void aBlockMovedToTheFallbackGivesItsBufferBytesBackIfStillTheMostRecent() {
            CountingFallback fallback = new CountingFallback(MallocAllocator.instance());
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(16), fallback)) {
                MemorySegment block = allocator.allocate(8, 1);
                block.fill((byte) 7);
                MemorySegment moved = allocator.reallocate(block, 32, 1);
                assertThat(fallback.live).containsExactly(moved);
                assertThat(moved.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 7);
                assertThat(allocator.usedBytes()).isZero();
                MemorySegment grown = allocator.reallocate(moved, 64, 1);   // a fallback block: by the fallback
                assertThat(fallback.live).containsExactly(grown);
                assertThat(allocator.statistics().fallbackCount()).isEqualTo(2);
                assertThat(allocator.statistics().fallbackBytes()).isEqualTo(32 + 64);
            }
        }

        @Test
        void aBlockThatIsNotLiveIsRefused() {
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(64))) {
                MemorySegment given = givenBack(allocator);
                assertThatThrownBy(() -> allocator.reallocate(given, 16, 1)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> allocator.reallocate(arena.allocate(8), 16, 1))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a live block");
                assertThatThrownBy(() -> allocator.reallocate(null, 16, 1)).isInstanceOf(NullPointerException.class);
                assertThat(allocator.usedBytes()).isZero();
            }
        }

        @Test
        void aBadSizeOrAlignmentIsRefusedAndTheBlockStays() {
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(64));
                 BufferAllocator heap = BufferAllocator.sharedWithoutFallback(MemorySegment.ofArray(new int[4]))) {
                MemorySegment block = allocator.allocate(8, 1);
                assertThatThrownBy(() -> allocator.reallocate(block, -1, 1)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> allocator.reallocate(block, 8, 6)).isInstanceOf(IllegalArgumentException.class);
                assertThat(allocator.usedBytes()).isEqualTo(8);
                MemorySegment ints = heap.allocate(4, 4);
                assertThatThrownBy(() -> heap.reallocate(ints, 8, 8))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 4");
                assertThat(heap.usedBytes()).isEqualTo(4);
            }
        }

        @Test
        void aBlockThatMustMoveAndDoesNotFitWithoutFallbackIsRefusedAndStays() {
            MemorySegment buffer = arena.allocate(16);
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(buffer)) {
                MemorySegment first = allocator.allocate(8, 1);
                allocator.allocate(4, 1);
                assertThatThrownBy(() -> allocator.reallocate(first, 16, 1)).isInstanceOf(IndexOutOfBoundsException.class);
                assertThat(allocator.usedBytes()).isEqualTo(12);
                allocator.free(first);   // still live
            }
        }

        @Test
        void aClosedAllocatorRefuses() {
            BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(16));
            MemorySegment block = allocator.allocate(8, 1);
            allocator.close();
            assertThatThrownBy(() -> allocator.reallocate(block, 4, 1)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class ResetAndClose {

        @Test
        void resetFromAnotherThreadAfterTheWorkersAreDoneEmptiesTheBufferAndFreesFallbackBlocks() throws Throwable {
            CountingFallback fallback = new CountingFallback(MallocAllocator.instance());
            MemorySegment buffer = arena.allocate(16);
            try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
                MemorySegment old = onAnotherThread(() -> allocator.allocate(16, 1));
                onAnotherThread(() -> allocator.allocate(32, 1));   // to the fallback
                onAnotherThread(() -> {
                    allocator.reset();
                    return null;
                });
                assertThat(allocator.usedBytes()).isZero();
                assertThat(fallback.live).isEmpty();
                assertThatThrownBy(() -> allocator.free(old)).isInstanceOf(IllegalArgumentException.class);
                assertThat(offset(allocator.allocate(8, 1), buffer)).isZero();   // the bytes are handed out again
            }
        }

        @Test
        void resetOfAClosedAllocatorIsRefused() {
            BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(16));
            allocator.close();
            assertThatThrownBy(allocator::reset).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void resetRethrowsWhatTheFallbackThrewAfterReleasingEveryBlock() {
            RecordingFallback fallback = new RecordingFallback();
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback)) {
                allocator.allocate(8, 1);
                allocator.allocate(16, 1);
                allocator.allocate(16, 1);
                fallback.failure = new IllegalStateException("free failed");
                assertThatThrownBy(allocator::reset).isSameAs(fallback.failure);
                assertThat(fallback.live).isEmpty();
                assertThat(allocator.usedBytes()).isZero();
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
                assertThat(allocator.statistics().resets()).isEqualTo(1);
                fallback.failure = null;
            }
        }

        @Test
        void closeFromAnotherThreadFreesFallbackBlocksAndReleasesTheBuffer() throws Throwable {
            CountingFallback fallback = new CountingFallback(MallocAllocator.instance());
            MemorySegment buffer = arena.allocate(16);
            BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback);
            allocator.allocate(12, 1);
            allocator.allocate(32, 1);
            onAnotherThread(() -> {
                allocator.close();
                return null;
            });
            assertThat(fallback.live).isEmpty();
            assertThat(allocator.usedBytes()).as("the cursor at the close").isEqualTo(12);
            assertThat(allocator.toString()).contains("closed");
            BufferAllocator.sharedWithoutFallback(buffer).close();   // the buffer is free for another allocator
        }

        @Test
        void closeTwiceIsRefused() {
            BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(16));
            allocator.close();
            assertThatThrownBy(allocator::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }

        @Test
        void closeRethrowsWhatTheFallbackThrewAfterClosingAllTheSame() {
            RecordingFallback fallback = new RecordingFallback();
            MemorySegment buffer = arena.allocate(8);
            BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback);
            allocator.allocate(16, 1);
            fallback.failure = new IllegalStateException("free failed");
            assertThatThrownBy(allocator::close).isSameAs(fallback.failure);
            assertThat(fallback.live).isEmpty();
            assertThatThrownBy(() -> allocator.allocate(1, 1)).isInstanceOf(IllegalStateException.class);
            BufferAllocator.sharedWithoutFallback(buffer).close();
        }
    }

    @Test
    void statisticsCountBufferAndFallbackOverTheAllocatorsLife() {
        CountingFallback fallback = new CountingFallback(MallocAllocator.instance());
        try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(64), fallback)) {
            allocator.allocate(40, 1);
            MemorySegment big = allocator.allocate(30, 1);
            BufferStatistics before = allocator.statistics();
            assertThat(before).isEqualTo(new BufferStatistics(64, 40, 70, 1, 30, 1, 30, 0, 0, 0));
            assertThat(before.remainingBytes()).isEqualTo(24);
            allocator.free(big);
            allocator.reset();
            // Life totals and the peak stay; what is live and in use does not.
            assertThat(allocator.statistics()).isEqualTo(new BufferStatistics(64, 0, 70, 1, 30, 0, 0, 0, 0, 1));
        }
    }

    @Nested
    class OneBufferOneAllocator {

        @Test
        void aSharedAllocatorOverABufferThatABufferAllocatorManagesIsRefused() {
            MemorySegment buffer = arena.allocate(64);
            try (BufferAllocator first = BufferAllocator.of(buffer.asSlice(16, 16))) {
                assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(buffer))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("overlaps a buffer that a live allocator manages")
                        .hasMessageContaining("BufferAllocator");
                assertThat(first.allocate(8, 1).byteSize()).isEqualTo(8);
            }
            BufferAllocator.sharedWithoutFallback(buffer).close();
        }

        @Test
        void aBufferAllocatorOverABufferThatASharedAllocatorManagesIsRefused() {
            byte[] bytes = new byte[16];
            try (BufferAllocator first = BufferAllocator.sharedWithoutFallback(MemorySegment.ofArray(bytes))) {
                assertThatThrownBy(() -> BufferAllocator.of(bytes))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("BufferAllocator");
                assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(MemorySegment.ofArray(bytes).asSlice(8)))
                        .isInstanceOf(IllegalStateException.class);
                assertThat(first.capacity()).isEqualTo(16);
            }
            BufferAllocator.of(bytes).close();
        }
    }

    static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
