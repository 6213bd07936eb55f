package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.ScratchThreads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScratchTest {

    @Test
    void aFrameOnThisThreadsScratchMemoryFreesItsBytesOnClose() {
        try (Frame outer = Scratch.push()) {
            BufferAllocator allocator = outer.allocator();
            long before = allocator.usedBytes();
            try (Frame frame = Scratch.push()) {
                assertThat(frame.allocator()).as("nested frames use the borrowed allocator").isSameAs(allocator);
                MemorySegment text = frame.allocateFrom("scratch");
                assertThat(text.getString(0)).isEqualTo("scratch");
                assertThat(allocator.usedBytes()).isEqualTo(before + 8);
            }
            assertThat(allocator.usedBytes()).isEqualTo(before);
            assertThat(allocator.capacity()).isEqualTo(Scratch.DEFAULT_SIZE);
        }
    }

    @Test
    void theOutermostFrameGivesTheAllocatorBackSoThreadsDoNotEachKeepABuffer() throws Exception {
        Set<BufferAllocator> allocators = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 1_000; i++) {
            Thread.ofVirtual().start(() -> {
                try (Frame frame = Scratch.push()) {
                    allocators.add(frame.allocator());
                    frame.allocate(100).fill((byte) 1);
                }
            }).join();
        }
        assertThat(allocators).as("1,000 threads one after the other borrow from the pool").hasSizeLessThan(10);
    }

    @Test
    void aFrameClosedOverAForgottenInnerFrameFreesBothAndReportsIt() {
        long baseline = MallocAllocator.instance().liveBytes();
        Frame outer = Scratch.push();
        outer.allocate(16);
        Frame inner = Scratch.push();
        inner.allocate(Scratch.DEFAULT_SIZE * 2, 8);   // a fallback block, forgotten with the frame
        assertThatThrownBy(outer::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("were open: they were closed with it");
        assertThat(MallocAllocator.instance().liveBytes()).as("the forgotten frame's block is freed").isEqualTo(baseline);
        assertThatThrownBy(inner::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        try (Frame next = Scratch.push()) {
            assertThat(next.allocator().usedBytes()).as("the thread's next frame starts afresh").isZero();
        }
    }

    @Test
    void aRequestLargerThanTheBufferFallsBackInsteadOfFailing() {
        long baseline = MallocAllocator.instance().liveBytes();
        try (Frame frame = Scratch.push()) {
            MemorySegment big = frame.allocate(Scratch.DEFAULT_SIZE * 2, 8);
            big.fill((byte) 1);
            assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(baseline + Scratch.DEFAULT_SIZE * 2);
        }
        assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(baseline);
    }

    @Test
    void virtualThreadsHoldingFramesAtOnceNeverShareABuffer() throws Exception {
        Set<Long> buffers = ConcurrentHashMap.newKeySet();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int task = 0; task < 200; task++) {
                byte pattern = (byte) task;
                results.add(executor.submit(() -> {
                    try (Frame frame = Scratch.push()) {
                        MemorySegment block = frame.allocate(256, 8);
                        buffers.add(block.address());
                        block.fill(pattern);
                        Thread.yield();   // let other virtual threads run on this carrier
                        for (long i = 0; i < block.byteSize(); i++) {
                            if (block.get(ValueLayout.JAVA_BYTE, i) != pattern) {
                                return false;
                            }
                        }
                        return true;
                    }
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).as("no other thread wrote into this thread's scratch").isTrue();
            }
        }
        assertThat(buffers).as("200 threads, at most 200 buffers: each held by one thread at a time").hasSizeLessThanOrEqualTo(200);
    }

    @Test
    void statisticsCountTheBuffersMadeForThreadsHoldingFramesAtOnceAndTheIdleOnesTheyGiveBack() throws Exception {
        long size = Scratch.bufferSize();
        int threads = 3;
        try {
            Scratch.setBufferSize(size + 32);   // no idle buffer has this size: the first push lets them all go
            ScratchStatistics before = Scratch.statistics();
            assertThat(before.bufferSize()).isEqualTo(size + 32);
            assertThat(before.poolSlots()).as("a power of two, at least 8").isGreaterThanOrEqualTo(8)
                    .satisfies(slots -> assertThat(Integer.bitCount(slots)).isOne());
            assertThat(before.poolSlots()).isGreaterThanOrEqualTo(threads);

            ScratchStatistics busy = ScratchThreads.holdingFrames(threads, 100, Scratch::statistics);
            assertThat(busy.buffersMade()).as("one buffer made per thread holding a frame")
                    .isEqualTo(before.buffersMade() + threads);
            assertThat(busy.idleBuffers()).as("the pool was drained of buffers of the old size").isZero();

            ScratchStatistics idle = Scratch.statistics();
            assertThat(idle.idleBuffers()).as("each thread gave its buffer back to the pool").isEqualTo(threads);
            assertThat(idle.buffersMade()).isEqualTo(busy.buffersMade());

            for (int i = 0; i < 10; i++) {   // threads one after the other reuse the pooled buffers
                ScratchThreads.pushOnNewThread(100);
            }
            assertThat(Scratch.statistics()).isEqualTo(idle);
        } finally {
            Scratch.setBufferSize(size);
        }
    }

    @ParameterizedTest
    @CsvSource({"65536, 65536", "64k, 65536", "1M, 1048576", " 512 , 512"})
    void theSizePropertyTakesBytesOrKOrM(String text, long bytes) {
        assertThat(Scratch.parseSize(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0", "-1", "lots", "9999999999999999m"})
    void anInvalidSizePropertyIsAClearError(String text) {
        assertThatThrownBy(() -> Scratch.parseSize(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Scratch.SIZE_PROPERTY);
    }
}
