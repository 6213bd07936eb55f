package dev.bufalloc;

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
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the shared {@link BufferAllocator} ({@link BufferAllocator#ofShared}) alone does: any thread may call
 * any method, its cursor has 48 bits, buffer blocks never give bytes back before a reset, fallback blocks of
 * the C library are scoped per reset and held until it, and frees of fallback blocks in any order stay cheap.
 * The contract it shares with the confined allocator (where it differs by design, never rewinding nor growing
 * in place, the rules say so) is checked against it by {@link AllocatorContractTest} and
 * {@link BufferAllocatorContractTest}; {@code SharedBufferAllocatorStressTest} and
 * {@code SharedBufferAllocatorLincheckTest} run it under contention.
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

    /** The offset of {@code block} in {@code buffer}. */
    static long offset(MemorySegment block, MemorySegment buffer) {
        return block.address() - buffer.address();
    }

    @Nested
    class TheBuffer {

        @Test
        @SuppressWarnings("restricted")   // segments over no memory, only looked at
        void aBufferOfUpTo2To48MinusOneBytesIsManagedAndALargerOneIsRefused() {
            // Far above any mapped memory, and never touched: only the size checks and the claim see it.
            MemorySegment largest = MemorySegment.ofAddress(1L << 56).reinterpret((1L << 48) - 1);
            try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(largest)) {
                assertThat(allocator.capacity()).isEqualTo((1L << 48) - 1);
            }
            for (long tooLarge : new long[] {1L << 48, (1L << 48) + 1, 1L << 49}) {   // the cursor holds one less
                MemorySegment buffer = MemorySegment.ofAddress(1L << 56).reinterpret(tooLarge);
                assertThatThrownBy(() -> BufferAllocator.sharedWithoutFallback(buffer))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^48 - 1 bytes");
            }
        }

        @Test
        void toStringNamesTheBufferAndTheCursor() {
            try (BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(64, 16), confinedMalloc())) {
                allocator.allocate(5, 1);
                assertThat(allocator.toString()).startsWith("SharedBufferAllocator[[native ")
                        .endsWith(", 64 bytes], used=5]");
            }
        }
    }

    @Nested
    class Threads {

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
        void blocksThatThreadsAllocateAtOnceNeverOverlapAndTheNumbersAddUp() throws Exception {
            CountingAllocator fallback = rawMalloc();   // blocks that any thread may use
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
        void anyThreadMayFreeResetOrClose() throws Exception {
            CountingAllocator fallback = rawMalloc();   // blocks that another thread may free
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
