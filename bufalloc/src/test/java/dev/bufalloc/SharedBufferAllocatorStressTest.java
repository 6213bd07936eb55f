package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.system.UnscopedMallocAllocator;
import dev.bufalloc.testing.CountingAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads on one {@link BufferAllocator}: a bitmap over the buffer (one bit a byte, set
 * while a live block holds it) proves that no two live blocks overlap, and the statistics are
 * checked against what the threads saw. The cursor never moves back before a reset, so it covers
 * every buffer block handed out in a phase, freed or not.
 *
 * <p>The fallback is the raw C library's, which the allocator scopes itself: the thread that resets
 * frees blocks that the workers allocated, which {@link MallocAllocator}'s confined blocks forbid.
 */
class SharedBufferAllocatorStressTest {

    static final int CAPACITY = 64 * 1024;
    static final int ALLOCATIONS_PER_RUN = 1 << 20;
    static final int ALLOCATIONS_PER_PHASE = 2048;
    /** Only a guard against a hung test if a worker dies: no assertion depends on it. */
    static final long HANG_GUARD_SECONDS = 60;

    private Arena arena;
    private MemorySegment buffer;

    @BeforeEach
    void openArena() {
        arena = Arena.ofShared();
        buffer = arena.allocate(CAPACITY, 64);
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** One bit a byte of the buffer; marking a byte already marked is an overlap. */
    static final class Bitmap {
        private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
        private final long[] words = new long[CAPACITY / 64];

        /** Marks [offset, offset + size); returns whether none of it was marked before. */
        boolean mark(long offset, long size) {
            boolean free = true;
            for (long at = offset, end = offset + size; at < end; at = (at | 63) + 1) {
                long mask = mask(at, end);
                free &= ((long) WORDS.getAndBitwiseOr(words, (int) (at >>> 6), mask) & mask) == 0;
            }
            return free;
        }

        /** Clears [offset, offset + size); returns whether all of it was marked. */
        boolean clear(long offset, long size) {
            boolean wasMarked = true;
            for (long at = offset, end = offset + size; at < end; at = (at | 63) + 1) {
                long mask = mask(at, end);
                wasMarked &= ((long) WORDS.getAndBitwiseAnd(words, (int) (at >>> 6), ~mask) & mask) == mask;
            }
            return wasMarked;
        }

        /** The bits of the word holding {@code at} from {@code at} up to {@code end} (or the word's end). */
        private static long mask(long at, long end) {
            long bits = Math.min(end - at, 64 - (at & 63));
            return (bits == 64 ? -1L : (1L << bits) - 1) << (at & 63);
        }

        long markedBytes() {
            return Arrays.stream(words).map(Long::bitCount).sum();
        }

        void clearAll() {
            Arrays.fill(words, 0);
        }
    }

    /** A worker's blocks and what it saw since the last phase ended. */
    final class Worker implements Callable<Void> {
        final SplittableRandom random;
        final List<MemorySegment> live = new ArrayList<>();   // oldest first
        long handedOutBound;   // buffer bytes the cursor may have moved by: sizes and the most padding
        long handedOutBytes;   // buffer bytes handed out, freed or not: the cursor covers them all
        long fallbackCount;
        long fallbackBytes;
        long inPlace;
        long copied;
        private final BufferAllocator allocator;
        private final Bitmap bitmap;
        private final CyclicBarrier phaseEnd;
        private final int share;
        private final int phases;
        private final AtomicReference<Throwable> failure;

        Worker(long seed, BufferAllocator allocator, Bitmap bitmap, CyclicBarrier phaseEnd, int share,
               int phases, AtomicReference<Throwable> failure) {
            this.random = new SplittableRandom(seed);
            this.allocator = allocator;
            this.bitmap = bitmap;
            this.phaseEnd = phaseEnd;
            this.share = share;
            this.phases = phases;
            this.failure = failure;
        }

        @Override
        public Void call() throws Exception {
            try {
                for (int phase = 0; phase < phases && failure.get() == null; phase++) {
                    for (int allocations = 0; allocations < share; ) {
                        int op = random.nextInt(100);
                        if (op < 8 && !live.isEmpty()) {
                            freeOne();
                        } else if (op < 15 && !live.isEmpty()) {
                            reallocateOne();
                        } else {
                            allocateOne();
                            allocations++;
                        }
                    }
                    phaseEnd.await(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
                }
            } catch (BrokenBarrierException othersFailed) {
                // the failure is reported by the thread that had it
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                phaseEnd.reset();
            }
            return null;
        }

        private void allocateOne() {
            long size = random.nextInt(129);
            long alignment = 1L << random.nextInt(7);
            MemorySegment block = allocator.allocate(size, alignment);
            checkShape(block, size, alignment);
            if (inBuffer(block)) {
                handedOutBound += size + alignment - 1;
                handedOutBytes += size;
                markOrFail(block);
            } else {
                countFallback(block);
            }
            live.add(block);
        }

        /** Frees any of this thread's blocks: no order is special, since nothing is given back but fallback blocks. */
        private void freeOne() {
            MemorySegment block = live.remove(random.nextInt(live.size()));
            unmarkOrFail(block);
            allocator.free(block);
        }

        private void reallocateOne() {
            int index = random.nextInt(live.size());
            MemorySegment block = live.get(index);
            long size = random.nextInt(129);
            long alignment = 1L << random.nextInt(7);
            unmarkOrFail(block);
            MemorySegment result = allocator.reallocate(block, size, alignment);
            checkShape(result, size, alignment);
            boolean sameAddress = inBuffer(block) && inBuffer(result) && result.address() == block.address();
            if (sameAddress && block.byteSize() > 0) {
                failure.compareAndSet(null, new AssertionError(describe(block) + " was resized in place to " + size
                        + " bytes: a shared allocator always moves a buffer block"));
            }
            // Every buffer block moves; an empty block at the cursor moves to the cursor, its own address.
            boolean inPlaceInBuffer = false;
            if (inBuffer(block)) {
                copied += Math.min(size, block.byteSize());
            }
            if (inBuffer(result)) {
                if (!inPlaceInBuffer) {
                    handedOutBound += size + alignment - 1;
                    handedOutBytes += size;
                }
                markOrFail(result);
            } else {
                countFallback(result);
            }
            live.set(index, result);
        }

        private void countFallback(MemorySegment block) {
            fallbackCount++;
            fallbackBytes += block.byteSize();
        }

        private void markOrFail(MemorySegment block) {
            if (!bitmap.mark(offset(block), block.byteSize())) {
                failure.compareAndSet(null, new AssertionError("overlap: " + describe(block)
                        + " was handed out while a live block held some of its bytes"));
            }
        }

        private void unmarkOrFail(MemorySegment block) {
            if (inBuffer(block) && !bitmap.clear(offset(block), block.byteSize())) {
                failure.compareAndSet(null, new AssertionError("lost marks: " + describe(block)
                        + " had bytes another block's free or reallocate unmarked"));
            }
        }

        private void checkShape(MemorySegment block, long size, long alignment) {
            if (block.byteSize() != size || block.address() % alignment != 0
                    || inBuffer(block) && offset(block) + size > CAPACITY) {
                failure.compareAndSet(null, new AssertionError("asked " + size + " bytes aligned to " + alignment
                        + ", got " + describe(block)));
            }
        }

        long liveBufferBytes() {
            return live.stream().filter(SharedBufferAllocatorStressTest.this::inBuffer).mapToLong(MemorySegment::byteSize).sum();
        }

        /** The highest end of a live buffer block, empty ones included: the cursor never moves back below it. */
        long liveBufferEnd() {
            return live.stream().filter(SharedBufferAllocatorStressTest.this::inBuffer)
                    .mapToLong(b -> offset(b) + b.byteSize()).max().orElse(0);
        }

        List<MemorySegment> liveFallbackBlocks() {
            return live.stream().filter(b -> !inBuffer(b)).toList();
        }

        /** The phase is over and the allocator reset: nothing is live, nothing seen. */
        void startOver() {
            live.clear();
            handedOutBound = 0;
            handedOutBytes = 0;
            fallbackCount = 0;
            fallbackBytes = 0;
            inPlace = 0;
            copied = 0;
        }
    }

    boolean inBuffer(MemorySegment block) {
        return block.isNative() && block.address() >= buffer.address()
                && block.address() + block.byteSize() <= buffer.address() + CAPACITY;
    }

    long offset(MemorySegment block) {
        return block.address() - buffer.address();
    }

    String describe(MemorySegment block) {
        return inBuffer(block) ? "buffer[" + offset(block) + ", " + (offset(block) + block.byteSize()) + ")"
                : "fallback block of " + block.byteSize() + " bytes at 0x" + Long.toHexString(block.address());
    }

    /**
     * Runs {@code workers} on their own threads; rethrows the first failure any of them recorded.
     */
    static void runAll(List<? extends Callable<Void>> workers, AtomicReference<Throwable> failure) throws Throwable {
        ExecutorService threads = Executors.newFixedThreadPool(workers.size());
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (Callable<Void> worker : workers) {
                done.add(threads.submit(worker));
            }
            for (Future<Void> future : done) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    failure.compareAndSet(null, e.getCause());
                }
            }
        } finally {
            threads.shutdownNow();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void noTwoLiveBlocksOverlapAndTheCountersAddUp(int threadCount) throws Throwable {
        int phases = ALLOCATIONS_PER_RUN / ALLOCATIONS_PER_PHASE;
        int share = ALLOCATIONS_PER_PHASE / threadCount;
        CountingAllocator fallback = new CountingAllocator(UnscopedMallocAllocator.instance());
        Bitmap bitmap = new Bitmap();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Worker> workers = new ArrayList<>();
        long mallocBaseline = MallocAllocator.instance().liveBytes();
        try (BufferAllocator allocator = BufferAllocator.ofShared(buffer, fallback)) {
            BufferStatistics[] before = {allocator.statistics()};
            // The last thread to arrive verifies and resets while the others wait: no block is in use.
            CyclicBarrier phaseEnd = new CyclicBarrier(threadCount, () -> {
                try {
                    verifyPhase(allocator, workers, bitmap, fallback, before[0], failure);
                    allocator.reset();
                    assertThat(allocator.usedBytes()).isZero();
                    assertThat(fallback.outstanding()).as("freed blocks are held until the reset, then given back")
                            .isEmpty();
                    bitmap.clearAll();
                    workers.forEach(Worker::startOver);
                    before[0] = allocator.statistics();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    throw t;
                }
            });
            for (int t = 0; t < threadCount; t++) {
                workers.add(new Worker(0x5EED + 1000L * threadCount + t, allocator, bitmap, phaseEnd, share, phases, failure));
            }
            runAll(workers, failure);
            BufferStatistics end = allocator.statistics();
            assertThat(end.resets()).isEqualTo(phases);
            assertThat(end.fallbackCount()).as("the buffer overflowed in the phases").isPositive();
            assertThat(end.inPlaceReallocations()).as("a shared allocator never resizes in place").isZero();
            assertThat(end.copiedBytes()).isPositive();
        }
        assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(mallocBaseline);
    }

    private void verifyPhase(BufferAllocator allocator, List<Worker> workers, Bitmap bitmap,
                             CountingAllocator fallback, BufferStatistics before, AtomicReference<Throwable> failure) {
        assertThat(failure.get()).isNull();
        BufferStatistics now = allocator.statistics();
        long liveBufferBytes = workers.stream().mapToLong(Worker::liveBufferBytes).sum();
        long liveBufferEnd = workers.stream().mapToLong(Worker::liveBufferEnd).max().orElse(0);
        long bound = workers.stream().mapToLong(w -> w.handedOutBound).sum();
        long handedOut = workers.stream().mapToLong(w -> w.handedOutBytes).sum();
        List<MemorySegment> liveFallback = workers.stream().flatMap(w -> w.liveFallbackBlocks().stream()).toList();

        assertThat(bitmap.markedBytes()).as("marked bytes = live buffer bytes").isEqualTo(liveBufferBytes);
        assertThat(now.usedBytes()).as("every live block lies below the cursor")
                .isGreaterThanOrEqualTo(liveBufferEnd).isGreaterThanOrEqualTo(liveBufferBytes)
                .isLessThanOrEqualTo(Math.min(CAPACITY, bound));
        assertThat(now.usedBytes()).as("no free or shrink gave buffer bytes back before the reset")
                .isGreaterThanOrEqualTo(handedOut);
        assertThat(now.fallbackCount() - before.fallbackCount())
                .isEqualTo(workers.stream().mapToLong(w -> w.fallbackCount).sum());
        assertThat(now.fallbackBytes() - before.fallbackBytes())
                .isEqualTo(workers.stream().mapToLong(w -> w.fallbackBytes).sum());
        assertThat(now.liveFallbackBlocks()).isEqualTo(liveFallback.size());
        assertThat(now.liveFallbackBytes()).isEqualTo(liveFallback.stream().mapToLong(MemorySegment::byteSize).sum());
        // The fallback still holds freed blocks too: their memory is kept until the reset.
        assertThat(new HashSet<>(fallback.outstanding()).containsAll(liveFallback))
                .as("the fallback holds every live fallback block").isTrue();
        assertThat(now.inPlaceReallocations() - before.inPlaceReallocations())
                .isEqualTo(workers.stream().mapToLong(w -> w.inPlace).sum());
        assertThat(now.copiedBytes() - before.copiedBytes())
                .isEqualTo(workers.stream().mapToLong(w -> w.copied).sum());
    }

    /**
     * Breaks the reset rule on purpose: threads allocate while another resets again and again. The
     * documented guarantee is that a block is never handed out twice within one epoch. A block is
     * known to be of epoch k when its allocate() started after the k-th reset returned and ended before
     * the next one began (an even counter read the same before and after); such blocks must not overlap.
     */
    @Test
    void allocationsRacingResetAreNeverHandedOutTwiceInOneEpoch() throws Throwable {
        int threadCount = 4;
        int resets = 1000;
        MemorySegment small = buffer.asSlice(0, 4096);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] epoch = new long[1];
        VarHandle epochHandle = MethodHandles.arrayElementVarHandle(long[].class);
        List<List<long[]>> recorded = new ArrayList<>();
        try (BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(small)) {
            List<Callable<Void>> workers = new ArrayList<>();
            for (int t = 0; t < threadCount; t++) {
                List<long[]> mine = new ArrayList<>();
                recorded.add(mine);
                SplittableRandom random = new SplittableRandom(t);
                workers.add(() -> {
                    for (long seen; (seen = (long) epochHandle.getVolatile(epoch, 0)) < 2L * resets; ) {
                        long size = 1 + random.nextInt(64);
                        MemorySegment block;
                        try {
                            block = allocator.allocate(size, 1L << random.nextInt(4));
                        } catch (IndexOutOfBoundsException full) {
                            Thread.onSpinWait();
                            continue;
                        }
                        long after = (long) epochHandle.getVolatile(epoch, 0);
                        if (seen == after && seen % 2 == 0) {
                            mine.add(new long[] {seen, block.address() - small.address(), size});
                        }
                    }
                    return null;
                });
            }
            workers.add(() -> {
                for (int k = 0; k < resets; k++) {
                    epochHandle.getAndAdd(epoch, 0, 1L);   // odd: a reset is under way
                    allocator.reset();
                    epochHandle.getAndAdd(epoch, 0, 1L);   // even: epoch k + 1 has begun
                    for (int spins = 0; spins < 100_000 && allocator.usedBytes() < small.byteSize() / 2; spins++) {
                        Thread.onSpinWait();
                    }
                }
                return null;
            });
            runAll(workers, failure);
        }
        List<long[]> blocks = new ArrayList<>(recorded.stream().flatMap(List::stream).toList());
        blocks.sort(Comparator.<long[]>comparingLong(b -> b[0]).thenComparingLong(b -> b[1]));
        long epochsWithSeveralBlocks = 0;
        for (int i = 1; i < blocks.size(); i++) {
            long[] previous = blocks.get(i - 1);
            long[] block = blocks.get(i);
            assertThat(block[1] + block[2]).isLessThanOrEqualTo(small.byteSize());
            if (block[0] == previous[0]) {
                assertThat(block[1]).as("epoch %d: [%d, %d) overlaps [%d, %d)", block[0] / 2, block[1],
                        block[1] + block[2], previous[1], previous[1] + previous[2])
                        .isGreaterThanOrEqualTo(previous[1] + previous[2]);
                epochsWithSeveralBlocks += i == 1 || blocks.get(i - 2)[0] != block[0] ? 1 : 0;
            }
        }
        assertThat(epochsWithSeveralBlocks).as("epochs where blocks could have collided").isGreaterThan(resets / 10);
    }
}
