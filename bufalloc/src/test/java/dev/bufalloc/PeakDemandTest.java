package dev.bufalloc;

import dev.bufalloc.array.IntArray;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.NoLeaks;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;

/** Peak demand stays exact under steady workloads: it neither drifts nor grows without bound. */
@NoLeaks
class PeakDemandTest {

    @Test
    void identicalFramesWhoseArrayGrowsInTheFallbackReportThePeakOfOneFrame() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(256), MallocAllocator.instance())) {
            long afterOne = 0;
            for (int frame = 0; frame < 1_000; frame++) {
                try (Frame f = allocator.push(); IntArray ints = IntArray.of(0, f)) {
                    for (int i = 0; i < 1_000; i++) {
                        ints.push(i);
                    }
                }
                if (frame == 0) {
                    afterOne = allocator.statistics().peakDemand();
                }
            }
            // 32 ints in the buffer, then 66, 134, 270, 542 and 1,086 ints: the array is the newest block
            // each time it grows, so a buffer would grow it in place, to 4,344 bytes at most.
            assertThat(afterOne).isEqualTo(1_086L * Integer.BYTES);
            assertThat(allocator.statistics().peakDemand()).as("1,000 frames later").isEqualTo(afterOne);
        }
    }

    @Test
    void fallbackBlocksFreedNewestFirstWithoutResetOrFramesGiveTheirDemandBack() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64), MallocAllocator.instance())) {
            for (int round = 0; round < 1_000; round++) {
                MemorySegment a = allocator.allocate(100, 8);
                MemorySegment b = allocator.allocate(200, 8);
                allocator.free(b);
                allocator.free(a);
            }
            assertThat(allocator.statistics().peakDemand()).isEqualTo(300);
        }
    }

    @Test
    void aFallbackBlockResizedWhileNewestCountsItsNewSizeOnly() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64), MallocAllocator.instance())) {
            MemorySegment block = allocator.allocate(100, 8);
            for (int size = 200; size <= 2_000; size += 100) {
                block = allocator.reallocate(block, size, 8);
            }
            allocator.free(block);
            assertThat(allocator.statistics().peakDemand()).as("a buffer would grow it in place").isEqualTo(2_000);
            assertThat(allocator.statistics().liveFallbackBytes()).isZero();
        }
    }
}
