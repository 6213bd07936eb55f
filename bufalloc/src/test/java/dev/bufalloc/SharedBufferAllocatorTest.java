package dev.bufalloc;

import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.system.HeapAllocator;
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
import java.util.ArrayDeque;
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

/**
 * {@link BufferAllocator#ofShared}: every documented exception, and examples of the contract: buffer blocks
 * never give bytes back before a reset nor grow in place, fallback blocks of the C library are scoped per
 * reset and held until it, and frees of fallback blocks in any order stay cheap.
 */
@NoLeaks
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

    /** A block from before a reset, which now lies beyond the cursor: not live. */
    static MemorySegment stale(BufferAllocator allocator) {
        MemorySegment block = allocator.allocate(8, 1);
        allocator.reset();
        return block;
    }

    /** A counting fallback over the malloc allocator: its blocks are confined to the thread that allocated them. */
    static CountingAllocator confinedMalloc() {
        return new CountingAllocator(MallocAllocator.instance());
    }

    /**
     * A counting fallback over the raw C library: its blocks are in the global scope, so the shared allocator
     * scopes them itself (one shared scope per reset): any thread may use and free them.
     */
    static CountingAllocator rawMalloc() {
        return new CountingAllocator(UnscopedMallocAllocator.instance());
    }

    /** A fallback over malloc whose {@code free} throws {@link #failure} (after freeing) while it is set. */
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
            CountingAllocator fallback = confinedMalloc();
            BufferAllocator[] made = new BufferAllocator[1];
            ContextAllocator.runWith(fallback, () -> made[0] = BufferAllocator.ofShared(arena.allocate(8)));
            try (BufferAllocator allocator = made[0]) {
                MemorySegment block = allocator.allocate(16, 1);   // does not fit: the context's allocator
                assertThat(fallback.outstanding()).containsExactly(block);
            }
            assertThat(fallback.outstanding()).isEmpty();
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
            CountingAllocator fallback = confinedMalloc();
            MemorySegment buffer = arena.allocate(16);
            try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
                MemorySegment inBuffer = allocator.allocate(12, 1);
                MemorySegment elsewhere = allocator.allocate(8, 1);
                assertThat(offset(inBuffer, buffer)).isZero();
                assertThat(fallback.outstanding()).containsExactly(elsewhere);
                assertThat(allocator.usedBytes()).isEqualTo(12);
                MemorySegment stillFits = allocator.allocate(4, 1);   // the buffer is not given up on
                assertThat(offset(stillFits, buffer)).isEqualTo(12);
                allocator.free(elsewhere);
                assertThat(fallback.outstanding()).isEmpty();
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
        void freeingABufferBlockNeverGivesItsBytesBackWhicheverThreadFreesItAndWhicheverBlockItIs() throws Throwable {
            MemorySegment buffer = arena.allocate(64);
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(buffer)) {
                MemorySegment mine = allocator.allocate(8, 1);
                MemorySegment theirs = onAnotherThread(() -> allocator.allocate(8, 1));
                allocator.free(mine);
                assertThat(allocator.usedBytes()).isEqualTo(16);
                onAnotherThread(() -> {
                    allocator.free(theirs);                         // the most recent: still nothing comes back
                    return null;
                });
                assertThat(allocator.usedBytes()).isEqualTo(16);
                allocator.free(mine);                              // below the cursor: a no-op
                assertThat(allocator.usedBytes()).isEqualTo(16);
                assertThat(offset(allocator.allocate(8, 1), buffer)).isEqualTo(16);
            }
        }

        @Test
        void aFallbackBlockIsFreedThroughTheFallbackAtOnce() {
            CountingAllocator fallback = confinedMalloc();
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback)) {
                MemorySegment block = allocator.allocate(32, 16);
                allocator.free(block);
                assertThat(fallback.outstanding()).isEmpty();
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
                MemorySegment given = stale(allocator);
                assertThatThrownBy(() -> allocator.free(given))           // from before the reset
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
        void aBlockMovedToTheFallbackKeepsItsBufferBytesInUseEvenIfItWasTheMostRecent() {
            CountingAllocator fallback = confinedMalloc();
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(16), fallback)) {
                MemorySegment block = allocator.allocate(8, 1);
                block.fill((byte) 7);
                MemorySegment moved = allocator.reallocate(block, 32, 1);
                assertThat(fallback.outstanding()).containsExactly(moved);
                assertThat(moved.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 7);
                assertThat(allocator.usedBytes()).isEqualTo(8);
                MemorySegment grown = allocator.reallocate(moved, 64, 1);   // a fallback block: by the fallback
                assertThat(fallback.outstanding()).containsExactly(grown);
                assertThat(allocator.statistics().fallbackCount()).isEqualTo(2);
                assertThat(allocator.statistics().fallbackBytes()).isEqualTo(32 + 64);
            }
        }

        @Test
        void aBlockThatIsNotLiveIsRefused() {
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(arena.allocate(64))) {
                MemorySegment given = stale(allocator);
                assertThatThrownBy(() -> allocator.reallocate(given, 16, 1)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("beyond the 0 bytes in use");
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
            CountingAllocator fallback = rawMalloc();   // blocks that another thread may free
            MemorySegment buffer = arena.allocate(16);
            try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
                MemorySegment old = onAnotherThread(() -> allocator.allocate(16, 1));
                onAnotherThread(() -> allocator.allocate(32, 1));   // to the fallback
                onAnotherThread(() -> {
                    allocator.reset();
                    return null;
                });
                assertThat(allocator.usedBytes()).isZero();
                assertThat(fallback.outstanding()).isEmpty();
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
            CountingAllocator fallback = rawMalloc();   // blocks that another thread may free
            MemorySegment buffer = arena.allocate(16);
            BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback);
            allocator.allocate(12, 1);
            allocator.allocate(32, 1);
            onAnotherThread(() -> {
                allocator.close();
                return null;
            });
            assertThat(fallback.outstanding()).isEmpty();
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
        CountingAllocator fallback = confinedMalloc();
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
                        .hasMessageContaining("managed by a").hasMessageNotContaining("managed by a shared")
                        .hasMessageContaining(" made on " + Thread.currentThread());
                assertThat(first.allocate(8, 1).byteSize()).isEqualTo(8);
            }
            BufferAllocator.sharedWithoutFallback(buffer).close();
        }

        @Test
        void aBufferAllocatorOverABufferThatASharedAllocatorManagesIsRefused() {
            byte[] bytes = new byte[16];
            try (BufferAllocator first = BufferAllocator.sharedWithoutFallback(MemorySegment.ofArray(bytes))) {
                assertThatThrownBy(() -> BufferAllocator.of(bytes))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("managed by a shared ").hasMessageContaining(" made on " + Thread.currentThread());
                assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(MemorySegment.ofArray(bytes).asSlice(8)))
                        .isInstanceOf(IllegalStateException.class);
                assertThat(first.capacity()).isEqualTo(16);
            }
            BufferAllocator.of(bytes).close();
        }
    }

    /**
     * Fallback blocks in the global scope (the C library's) are handed out in a scope of the allocator's: one
     * shared arena per reset, closed on reset and close. A freed one is forgotten at once, but its memory is
     * held until then, so that a stale use throws instead of touching freed memory. Blocks that already have a
     * scope (or are on the heap) are handed out as they are and given back at once.
     */
    @Nested
    class FallbackScoping {

        @Test
        void rawCLibraryBlocksShareOneScopeOfTheAllocatorsThatEndsOnReset() {
            CountingAllocator fallback = rawMalloc();
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback)) {
                MemorySegment first = allocator.allocate(16, 1);
                MemorySegment second = allocator.allocate(32, 8);
                assertThat(first.scope()).isNotEqualTo(Arena.global().scope()).isEqualTo(second.scope());
                assertThat(fallback.outstanding()).containsExactly(first, second);   // the same memory
                allocator.reset();
                assertThat(first.scope().isAlive()).isFalse();
                assertThatThrownBy(() -> first.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
                MemorySegment next = allocator.allocate(16, 1);   // a new generation, a new scope
                assertThat(next.scope().isAlive()).isTrue();
                assertThat(next.scope()).isNotEqualTo(first.scope());
            }
        }

        @Test
        void aFreedRawBlockIsForgottenAtOnceAndItsMemoryHeldUntilTheReset() {
            CountingAllocator fallback = rawMalloc();
            long baseline = MallocAllocator.instance().liveBytes();
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback)) {
                MemorySegment block = allocator.allocate(100, 8);
                allocator.free(block);
                BufferStatistics stats = allocator.statistics();
                assertThat(stats.liveFallbackBlocks()).isZero();
                assertThat(stats.liveFallbackBytes()).isZero();
                assertThatThrownBy(() -> allocator.free(block))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a live block");
                assertThat(fallback.calls(CountingAllocator.Call.FREE)).as("not given back yet").isZero();
                assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(baseline + 100);
                assertThat(block.scope().isAlive()).as("held: a stale use touches no freed memory").isTrue();
                allocator.reset();
                assertThat(fallback.calls(CountingAllocator.Call.FREE)).isEqualTo(1);
                assertThat(fallback.outstanding()).isEmpty();
                assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(baseline);
                assertThat(block.scope().isAlive()).isFalse();
            }
        }

        @Test
        void closeGivesTheHeldMemoryBackToo() {
            CountingAllocator fallback = rawMalloc();
            BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback);
            MemorySegment freed = allocator.allocate(100, 8);
            allocator.free(freed);
            MemorySegment live = allocator.allocate(50, 8);
            allocator.close();
            assertThat(fallback.outstanding()).isEmpty();
            assertThat(fallback.calls(CountingAllocator.Call.FREE)).isEqualTo(2);
            assertThat(freed.scope().isAlive()).isFalse();
            assertThat(live.scope().isAlive()).isFalse();
        }

        @Test
        void theDefaultMallocIsReplacedByRawCLibraryBlocksThatAnyThreadMayUseAndFree() throws Throwable {
            MallocAllocator malloc = MallocAllocator.instance();
            long baseline = malloc.liveBytes();
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), malloc)) {
                MemorySegment block = onAnotherThread(() -> allocator.allocate(100, 8));
                block.fill((byte) 4);   // a malloc allocator's own block would be confined to the other thread
                assertThat(malloc.liveBytes()).isEqualTo(baseline + 100);
                assertThatThrownBy(() -> malloc.free(block)).as("not one of the malloc allocator's own blocks")
                        .isInstanceOf(IllegalArgumentException.class);
                onAnotherThread(() -> {   // yet another thread
                    allocator.free(block);
                    return null;
                });
                assertThat(allocator.statistics().liveFallbackBytes()).isZero();
                assertThat(malloc.liveBytes()).as("held until the reset").isEqualTo(baseline + 100);
                allocator.reset();
                assertThat(malloc.liveBytes()).isEqualTo(baseline);
                assertThatThrownBy(() -> block.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            }
        }

        @Test
        void blocksOfAFallbackThatScopesItsOwnAreHandedOutAsTheyAreAndFreedAtOnce() {
            CountingAllocator fallback = confinedMalloc();
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback)) {
                MemorySegment block = allocator.allocate(100, 8);
                assertThat(block.scope()).isEqualTo(fallback.outstanding().getFirst().scope());
                allocator.free(block);
                assertThat(fallback.outstanding()).isEmpty();
                assertThat(block.scope().isAlive()).isFalse();
            }
        }

        @Test
        void heapBlocksOfAFallbackAreHandedOutAsTheyAreAndFreedAtOnce() {
            CountingAllocator fallback = new CountingAllocator(HeapAllocator.instance());
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback)) {
                MemorySegment block = allocator.allocate(100, 8);
                assertThat(block.isNative()).isFalse();
                assertThat(block.heapBase()).isEqualTo(fallback.outstanding().getFirst().heapBase());
                allocator.free(block);
                assertThat(fallback.outstanding()).isEmpty();
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            }
        }
    }

    /** Frees of fallback blocks in any order are O(1) amortised: many blocks, the worst orders for a list. */
    @Nested
    class ManyFallbackBlocks {

        static final int BLOCKS = 100_000;

        /** Counts the calls that reach the fallback; holds no list of its own, so that it costs O(1) a call. */
        static final class CallCounter implements Allocator {
            final Allocator inner;
            long allocations;
            long frees;

            CallCounter(Allocator inner) {
                this.inner = inner;
            }

            @Override
            public MemorySegment allocate(long byteSize, long byteAlignment) {
                allocations++;
                return inner.allocate(byteSize, byteAlignment);
            }

            @Override
            public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
                throw new AssertionError("not reallocated here");
            }

            @Override
            public void free(MemorySegment segment) {
                frees++;
                inner.free(segment);
            }
        }

        @Test
        void oneHundredThousandRawBlocksFreedOldestFirstLeaveNoneLiveAndAreHeldUntilTheReset() {
            MallocAllocator malloc = MallocAllocator.instance();
            long baseline = malloc.liveBlocks();
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), malloc)) {
                List<MemorySegment> blocks = new ArrayList<>(BLOCKS);
                for (int i = 0; i < BLOCKS; i++) {
                    blocks.add(allocator.allocate(16, 8));
                }
                assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(BLOCKS);
                for (MemorySegment block : blocks) {   // oldest first: the worst order for a scan from the newest
                    allocator.free(block);
                }
                BufferStatistics stats = allocator.statistics();
                assertThat(stats.liveFallbackBlocks()).isZero();
                assertThat(stats.liveFallbackBytes()).isZero();
                assertThat(stats.peakDemand()).isEqualTo(16L * BLOCKS);
                assertThat(malloc.liveBlocks()).as("held until the reset").isEqualTo(baseline + BLOCKS);
                allocator.reset();
                assertThat(malloc.liveBlocks()).isEqualTo(baseline);
            }
        }

        @Test
        void oneHundredThousandHeapBlocksFreedOldestFirstReachTheFallbackOnceEach() {
            CallCounter fallback = new CallCounter(HeapAllocator.instance());
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback)) {
                List<MemorySegment> blocks = new ArrayList<>(BLOCKS);
                for (int i = 0; i < BLOCKS; i++) {
                    blocks.add(allocator.allocate(16, 8));
                }
                blocks.forEach(allocator::free);
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
                assertThat(fallback.frees).isEqualTo(BLOCKS);
                assertThatThrownBy(() -> allocator.free(blocks.getFirst())).isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(fallback.allocations).isEqualTo(BLOCKS);
            assertThat(fallback.frees).as("close had nothing left to free").isEqualTo(BLOCKS);
        }

        @Test
        void aQueueOfFallbackBlocksEachFreedOldestFirstWhileNewOnesComeStaysFindable() {
            CallCounter fallback = new CallCounter(HeapAllocator.instance());
            int window = 1000;
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(8), fallback)) {
                ArrayDeque<MemorySegment> queue = new ArrayDeque<>();
                for (int i = 0; i < BLOCKS; i++) {
                    MemorySegment block = allocator.allocate(16, 8);
                    block.set(ValueLayout.JAVA_INT, 0, i);
                    queue.addLast(block);
                    if (queue.size() > window) {
                        MemorySegment oldest = queue.removeFirst();
                        assertThat(oldest.get(ValueLayout.JAVA_INT, 0)).isEqualTo(i - window);
                        allocator.free(oldest);
                    }
                }
                assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(window);
                assertThat(allocator.statistics().liveFallbackBytes()).isEqualTo(16L * window);
                while (!queue.isEmpty()) {
                    allocator.free(queue.removeLast());   // and newest first for the rest
                }
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            }
            assertThat(fallback.frees).isEqualTo(fallback.allocations).isEqualTo(BLOCKS);
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
