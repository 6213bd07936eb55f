package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A million live blocks at once, in the two places a buffer allocator keeps what did not fit: a growing
 * allocator's chunks, and the fallback ledger of one that asks the fallback per block. Every block must keep
 * its own bytes while the others come and go, freeing them in any order must stay cheap, and closing must give
 * every byte back to malloc.
 */
class LiveBlocksScaleTest {

    private static final int BLOCKS = 1_000_000;
    private static final MallocAllocator MALLOC = MallocAllocator.instance();

    @Test
    void aGrowingAllocatorHoldsAMillionLiveBlocksInAFewChunksAndGivesThemAllBackOnClose() {
        long baseline = MALLOC.liveBlocks();
        MemorySegment[] blocks = new MemorySegment[BLOCKS];
        try (Arena arena = Arena.ofConfined()) {
            BufferAllocator allocator = BufferAllocator.ofGrowing(arena.allocate(4096), MALLOC);
            for (int i = 0; i < BLOCKS; i++) {
                blocks[i] = allocator.allocate(JAVA_LONG);
                blocks[i].set(JAVA_LONG, 0, i);
            }
            assertAllHoldTheirIndex(blocks);
            BufferStatistics statistics = allocator.statistics();
            assertThat(statistics.usedBytes()).isEqualTo(8L * BLOCKS);
            assertThat(statistics.chunks()).as("chunks double: %s", statistics).isBetween(1L, 16L);
            assertThat(MALLOC.liveBlocks() - baseline).isEqualTo(statistics.chunks());

            boolean[] freed = freeHalfInRandomOrder(allocator, blocks);
            for (int i = 0; i < BLOCKS / 10; i++) {   // new blocks must not land on live ones
                allocator.allocate(JAVA_LONG).set(JAVA_LONG, 0, -1);
            }
            for (int i = 0; i < BLOCKS; i++) {
                if (!freed[i] && blocks[i].get(JAVA_LONG, 0) != i) {
                    throw new AssertionError("live block " + i + " was handed out again");
                }
            }

            allocator.close();
            assertThat(MALLOC.liveBlocks()).as("every chunk back to malloc").isEqualTo(baseline);
            assertThatThrownBy(() -> blocks[BLOCKS / 2].get(JAVA_LONG, 0)).as("a chunk block after close")
                    .isInstanceOf(IllegalStateException.class);
            assertThat(blocks[1].get(JAVA_LONG, 0)).as("a buffer block after close: the caller's memory").isEqualTo(1);
        }
    }

    @Test
    void aFrameWithAMillionFallbackBlocksGivesThemAllBackWhenItClosesAndEachStaleOneThrows() {
        long baseline = MALLOC.liveBlocks();
        MemorySegment[] blocks = new MemorySegment[BLOCKS];
        try (Arena arena = Arena.ofConfined()) {
            BufferAllocator allocator = BufferAllocator.of(arena.allocate(64), MALLOC);
            try (Frame frame = allocator.push()) {
                for (int i = 0; i < BLOCKS; i++) {
                    blocks[i] = frame.allocate(JAVA_LONG);
                    blocks[i].set(JAVA_LONG, 0, i);
                }
                assertAllHoldTheirIndex(blocks);
                assertThat(MALLOC.liveBlocks() - baseline).isEqualTo(BLOCKS - 8);   // 8 fit the buffer
                Random random = new Random(20261204);
                for (int i = 0; i < BLOCKS / 2; i++) {   // free half, in random order: O(1) each through the index
                    int victim = random.nextInt(BLOCKS);
                    if (blocks[victim] != null) {
                        frame.free(blocks[victim]);
                        blocks[victim] = null;
                    }
                }
                for (int i = 0; i < BLOCKS; i++) {
                    if (blocks[i] != null) {
                        assertThat(blocks[i].get(JAVA_LONG, 0)).isEqualTo(i);
                    }
                }
            }
            assertThat(MALLOC.liveBlocks()).as("the frame's close gave every fallback block back").isEqualTo(baseline);
            for (int i = 8; i < BLOCKS; i += 9_973) {
                MemorySegment stale = blocks[i];
                if (stale != null) {
                    assertThatThrownBy(() -> stale.get(JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
                }
            }
            allocator.close();
        }
    }

    private static void assertAllHoldTheirIndex(MemorySegment[] blocks) {
        for (int i = 0; i < blocks.length; i++) {
            long value = blocks[i].get(JAVA_LONG, 0);
            if (value != i) {
                throw new AssertionError("block " + i + " holds " + value + ": handed out twice");
            }
        }
    }

    /** Frees half of {@code blocks}, in random order, and returns which. */
    private static boolean[] freeHalfInRandomOrder(BufferAllocator allocator, MemorySegment[] blocks) {
        Random random = new Random(20261204);
        int[] order = new int[blocks.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        boolean[] freed = new boolean[blocks.length];
        for (int i = 0; i < order.length / 2; i++) {
            allocator.free(blocks[order[i]]);
            freed[order[i]] = true;
        }
        return freed;
    }
}
