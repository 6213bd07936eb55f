package dev.bufalloc.system;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnscopedMallocAllocatorTest {

    private final UnscopedMallocAllocator malloc = UnscopedMallocAllocator.instance();
    private long baselineBytes;
    private long baselineBlocks;

    @BeforeEach
    void takeBaseline() {
        baselineBytes = malloc.liveBytes();
        baselineBlocks = malloc.liveBlocks();
    }

    @AfterEach
    void everyBlockWasFreed() {
        assertThat(malloc.liveBytes()).as("liveBytes back to its start value").isEqualTo(baselineBytes);
        assertThat(malloc.liveBlocks()).as("liveBlocks back to its start value").isEqualTo(baselineBlocks);
    }

    /** Fills {@code block} with the bytes 0, 1, 2, ... (mod 256), so that a copy can be checked. */
    private static void fillWithPattern(MemorySegment block) {
        for (long i = 0; i < block.byteSize(); i++) {
            block.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
    }

    private static void assertHoldsPattern(MemorySegment block, long bytes) {
        for (long i = 0; i < bytes; i++) {
            assertThat(block.get(ValueLayout.JAVA_BYTE, i)).as("byte %d", i).isEqualTo((byte) i);
        }
    }

    /** Allocates a block, lets {@code use} have it, and frees it whatever happens. */
    private void withBlock(long byteSize, long byteAlignment, Consumer<MemorySegment> use) {
        MemorySegment block = malloc.allocate(byteSize, byteAlignment);
        try {
            use.accept(block);
        } finally {
            malloc.free(block);
        }
    }

    @Test
    void isTheDefaultContextAllocatorsSingleInstance() {
        assertThat(UnscopedMallocAllocator.instance()).isSameAs(malloc);
        assertThat(malloc.toString()).startsWith("UnscopedMallocAllocator[liveBlocks=");
    }

    /*
     * Sizes, alignments, empty blocks, refusals, reallocation keeping min(old, new) bytes, foreign and
     * freed blocks: AllocatorContractTest checks them for the unscoped malloc allocator as for every
     * allocator. Here: what it alone does, its tracking of every live block.
     */

    @Nested
    class Tracking {

        @Test
        void liveBytesAndLiveBlocksCountEveryBlockUntilItIsFreed() {
            withBlock(100, 4096, block -> {
                assertThat(malloc.liveBytes()).isEqualTo(baselineBytes + 100);
                assertThat(malloc.liveBlocks()).isEqualTo(baselineBlocks + 1);
                fillWithPattern(block);   // every byte is writable
                assertHoldsPattern(block, 100);
            });
        }

        @Test
        void aZeroByteRequestGivesAUniqueBlockThatMustBeFreed() {
            MemorySegment first = malloc.allocate(0, 1);
            MemorySegment second = malloc.allocate(0, 1);
            try {
                assertThat(first.byteSize()).isZero();
                assertThat(first.address()).isNotZero().isNotEqualTo(second.address());
                assertThat(malloc.liveBlocks()).isEqualTo(baselineBlocks + 2);
                assertThat(malloc.liveBytes()).isEqualTo(baselineBytes);
            } finally {
                malloc.free(first);
                malloc.free(second);
            }
        }

        @ParameterizedTest(name = "{2} -> {3} bytes, alignment {0} -> {1}")
        @CsvSource({"1, 1, 40, 5000", "16, 16, 300, 7", "8, 256, 64, 128", "4096, 8, 64, 128"})
        void aReallocatedBlockCountsWithItsNewSize(long oldAlignment, long alignment, long oldSize, long newSize) {
            MemorySegment block = malloc.allocate(oldSize, oldAlignment);
            fillWithPattern(block);
            MemorySegment resized = malloc.reallocate(block, newSize, alignment);
            try {
                assertHoldsPattern(resized, Math.min(oldSize, newSize));
                assertThat(malloc.liveBytes()).isEqualTo(baselineBytes + newSize);
                assertThat(malloc.liveBlocks()).isEqualTo(baselineBlocks + 1);
            } finally {
                malloc.free(resized);
            }
        }

        @Test
        void reallocatingToZeroBytesLeavesALiveBlockToFree() {
            MemorySegment block = malloc.allocate(32, 8);
            MemorySegment empty = malloc.reallocate(block, 0, 8);
            assertThat(empty.byteSize()).isZero();
            assertThat(malloc.liveBlocks()).isEqualTo(baselineBlocks + 1);
            malloc.free(empty);
        }

        @Test
        void theOldBlockIsNoLongerLiveAfterItMoved() {
            MemorySegment block = malloc.allocate(16, 8);
            MemorySegment moved = malloc.reallocate(block, 1 << 20, 64);   // above 16: always a new block
            try {
                assertThat(moved.address()).isNotEqualTo(block.address());
                assertThatThrownBy(() -> malloc.free(block)).isInstanceOf(IllegalArgumentException.class);
            } finally {
                malloc.free(moved);
            }
        }

        @Test
        void freeOfNullIsIgnoredAsInC() {
            malloc.free(MemorySegment.NULL);
            assertThat(malloc.liveBlocks()).isEqualTo(baselineBlocks);
        }

        @Test
        void aDoubleFreeGetsIllegalArgumentExceptionInsteadOfACrash() {
            MemorySegment block = malloc.allocate(24, 8);
            malloc.free(block);
            assertThatThrownBy(() -> malloc.free(block))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already freed");
        }

        @Test
        void aSliceInsideABlockGetsIllegalArgumentExceptionAndTheBlockStaysLive() {
            withBlock(64, 8, block -> {
                assertThatThrownBy(() -> malloc.free(block.asSlice(8, 16))).isInstanceOf(IllegalArgumentException.class);
                assertThat(malloc.liveBytes()).isEqualTo(baselineBytes + 64);
            });
        }

        @Test
        void aSliceAtTheStartOfABlockGetsIllegalArgumentExceptionAndTheBlockStaysLive() {
            withBlock(64, 8, block -> {
                assertThatThrownBy(() -> malloc.free(block.asSlice(0, 8)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slice");
                assertThat(malloc.liveBytes()).isEqualTo(baselineBytes + 64);
            });
        }
    }

    @Nested
    class FromSeveralThreads {

        @Test
        void concurrentAllocateAndFreeKeepLiveBytesExact() throws Exception {
            int threads = 4;
            long seed = new Random().nextLong();
            CyclicBarrier allHoldTheirBlocks = new CyclicBarrier(threads + 1);
            CyclicBarrier checked = new CyclicBarrier(threads + 1);
            List<Callable<Long>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(seed + t);
                workers.add(() -> {
                    List<MemorySegment> mine = new ArrayList<>();
                    long held = 0;
                    for (int i = 0; i < 2_000; i++) {
                        if (!mine.isEmpty() && random.nextInt(3) == 0) {
                            MemorySegment block = mine.remove(random.nextInt(mine.size()));
                            held -= block.byteSize();
                            malloc.free(block);
                        } else {
                            MemorySegment block = malloc.allocate(random.nextInt(512), 1L << random.nextInt(8));
                            held += block.byteSize();
                            mine.add(block);
                        }
                    }
                    allHoldTheirBlocks.await();
                    checked.await();       // the main thread has read liveBytes
                    mine.forEach(malloc::free);
                    return held;
                });
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Long>> results = workers.stream().map(pool::submit).toList();
                allHoldTheirBlocks.await(1, TimeUnit.MINUTES);
                long liveWhileHeld = malloc.liveBytes();
                checked.await(1, TimeUnit.MINUTES);
                long held = 0;
                for (Future<Long> result : results) {
                    held += result.get();
                }
                assertThat(liveWhileHeld).as("seed %d", seed).isEqualTo(baselineBytes + held);
            } finally {
                pool.shutdownNow();
            }
            assertThat(malloc.liveBytes()).as("seed %d", seed).isEqualTo(baselineBytes);
            assertThat(malloc.liveBlocks()).as("seed %d", seed).isEqualTo(baselineBlocks);
        }

        /**
         * realloc frees the old address before reallocate() untracks it, so another thread's
         * malloc can get that address and have its entry overwritten. glibc's per-thread caches
         * hide the race; one arena and no tcache (set for a child JVM) show it at once.
         */
        @Test
        void concurrentReallocateKeepsTheBookkeepingExact() throws Exception {
            ProcessBuilder child = new ProcessBuilder(
                    ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), ReallocateRace.class.getName())
                    .redirectErrorStream(true);
            child.environment().put("MALLOC_ARENA_MAX", "1");
            child.environment().put("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0");
            Process process = child.start();
            String output = new String(process.getInputStream().readAllBytes());
            assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
            assertThat(output).isEqualTo("liveBlocks=0 liveBytes=0\n");
        }
    }

    /** Run by {@link FromSeveralThreads#concurrentReallocateKeepsTheBookkeepingExact} in a child JVM. */
    static final class ReallocateRace {
        public static void main(String[] args) throws Exception {
            UnscopedMallocAllocator malloc = UnscopedMallocAllocator.instance();
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(t);
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 100_000; i++) {
                        MemorySegment block = malloc.allocate(24 + random.nextInt(4) * 8, 8);
                        malloc.free(malloc.reallocate(block, 24 + random.nextInt(40) * 8, 8));
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                try {
                    result.get();
                } catch (ExecutionException e) {
                    System.out.println(e.getCause());
                }
            }
            pool.shutdown();
            System.out.println("liveBlocks=" + malloc.liveBlocks() + " liveBytes=" + malloc.liveBytes());
        }
    }
}
