package dev.bufalloc;

import dev.bufalloc.AllocatorKind.Instance;
import dev.bufalloc.internal.ChunkChain;
import dev.bufalloc.testing.CountingAllocator;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static dev.bufalloc.ForKinds.Which.GROWING;
import static dev.bufalloc.ForKinds.Which.GROWING_BUFFERS;
import static dev.bufalloc.ForKinds.Which.GROWING_OVER_A_GIVEN_BUFFER;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract of the allocators that bump on in chunks when their buffer is full
 * ({@link BufferAllocator#ofGrowing}, its frames, and scratch): every rule of the other suites that does not
 * speak of fallback blocks holds for them too; these are the rules of the chunks.
 */
class ChunksContractTest {

    /** Fills what is left of the buffer, so that the next request overflows. */
    private static void fillBuffer(Instance it) {
        if (it.remainingBytes() > 0) {
            it.allocate(it.remainingBytes(), 1);
        }
    }

    @ForKinds(GROWING)
    void whatDoesNotFitIsBumpedInAChunkWithoutABlockOfItsOwn(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            fillBuffer(it);
            MemorySegment first = it.allocate(8, 1);
            MemorySegment second = it.allocate(8, 1);
            assertThat(it.inBuffer(first)).isFalse();
            assertThat(second.address()).as("bumped right after the first").isEqualTo(first.address() + 8);
            BufferStatistics stats = it.statistics();
            assertThat(stats.liveFallbackBlocks()).isZero();
            assertThat(stats.fallbackCount()).as("one chunk, or none if scratch kept one").isLessThanOrEqualTo(1);
            assertThat(it.buffer().statistics().chunks()).isPositive();
            assertThat(it.buffer().statistics().chunkBytes()).isGreaterThanOrEqualTo(ChunkChain.MIN_CHUNK);
            first.fill((byte) 1);
            second.fill((byte) 2);
            assertThat(first.get(JAVA_BYTE, 7)).isEqualTo((byte) 1);
        }
    }

    @ForKinds(GROWING_OVER_A_GIVEN_BUFFER)
    void theFallbackServesOneChunkThenNothingForRequestsThatFitIt(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            fillBuffer(it);
            for (int i = 0; i < 100; i++) {
                it.allocate(16, 1);
            }
            assertThat(it.fallback().outstandingBlocks()).isEqualTo(1);
            assertThat(it.statistics().fallbackCount()).isEqualTo(1);
            assertThat(it.statistics().chunks()).isEqualTo(1);
            assertThat(it.statistics().chunkBytes()).isEqualTo(ChunkChain.MIN_CHUNK);
        }
        // Instance.close() closed the allocator: its chunk went back (checked by the fallback's NoLeaks)
    }

    @ForKinds(GROWING_OVER_A_GIVEN_BUFFER)
    void chunksDoubleAndALoopThatOverflowsStopsCallingTheFallbackAfterItsFirstIteration(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            long[] callsAfter = new long[6];
            for (int iteration = 0; iteration < callsAfter.length; iteration++) {
                try (Frame frame = it.buffer().push()) {
                    for (int i = 0; i < 40; i++) {
                        frame.allocate(1000, 1).fill((byte) i);   // 40 KB: the buffer, then 4, 8, 16, 32 KB chunks
                    }
                }
                callsAfter[iteration] = it.statistics().fallbackCount();
            }
            assertThat(callsAfter[0]).isEqualTo(4);
            assertThat(callsAfter).as("no fallback call after the first iteration").containsOnly(callsAfter[0]);
            assertThat(it.statistics().chunkBytes()).isEqualTo(ChunkChain.MIN_CHUNK * (1 + 2 + 4 + 8));
            assertThat(it.statistics().peakDemand()).as("the frame's bytes, plus what the chunks left unused")
                    .isGreaterThanOrEqualTo(it.usedBytes() + 40_000);
        }
    }

    @ForKinds(GROWING_OVER_A_GIVEN_BUFFER)
    void anOversizedRequestGetsABlockOfItsOwnAndDoesNotMakeChunksGrow(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            MemorySegment big = it.allocate(1 << 20, 1);
            assertThat(it.statistics().liveFallbackBlocks()).isEqualTo(1);
            assertThat(it.statistics().chunks()).isZero();
            MemorySegment small = it.allocate(it.remainingBytes() + 1, 1);
            assertThat(it.statistics().chunkBytes()).as("sized from the buffer, not the big block").isEqualTo(ChunkChain.MIN_CHUNK);
            it.free(big);
            assertThat(it.statistics().liveFallbackBlocks()).isZero();
            assertThat(it.fallback().outstanding()).singleElement().as("the chunk, which holds the small block")
                    .satisfies(chunk -> assertThat(chunk.byteSize()).isEqualTo(ChunkChain.MIN_CHUNK))
                    .satisfies(chunk -> assertThat(small.address()).isEqualTo(chunk.address()));
        }
    }

    @ForKinds(GROWING)
    void aChunkBlockIsABufferBlockToFreeAndReallocate(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            fillBuffer(it);
            MemorySegment a = it.allocate(16, 1);
            it.free(a);
            MemorySegment again = it.allocate(16, 1);
            assertThat(again.address()).as("the most recent block's bytes came back").isEqualTo(a.address());
            MemorySegment b = it.allocate(16, 1);
            b.set(JAVA_LONG_UNALIGNED, 0, 42);
            MemorySegment grown = it.reallocate(b, 64, 1);
            assertThat(grown.address()).as("grown in place").isEqualTo(b.address());
            assertThat(grown.get(JAVA_LONG_UNALIGNED, 0)).isEqualTo(42);
            it.free(again);   // an older block: ignored
            MemorySegment c = it.allocate(8, 1);
            assertThat(c.address()).isEqualTo(grown.address() + 64);
            again.set(JAVA_LONG_UNALIGNED, 0, 7);
            MemorySegment moved = it.reallocate(again, 32, 1);
            assertThat(moved.address()).as("an older block moves").isNotEqualTo(again.address());
            assertThat(moved.get(JAVA_LONG_UNALIGNED, 0)).isEqualTo(7);
        }
    }

    @ForKinds(GROWING)
    void aBufferBlockLeftBehindStaysLiveButCannotGiveBytesBack(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            MemorySegment last = it.allocate(it.remainingBytes(), 1);
            MemorySegment inChunk = it.allocate(100, 1);
            it.free(last);   // the most recent block of the buffer, but the allocator has moved on: ignored
            assertThat(it.allocate(1, 1).address()).isEqualTo(inChunk.address() + 100);
            last.fill((byte) 3);
            MemorySegment moved = it.reallocate(last, last.byteSize() + 10, 1);
            assertThat(moved.get(JAVA_BYTE, 0)).isEqualTo((byte) 3);
            assertThat(it.inBuffer(moved)).isFalse();
        }
    }

    /**
     * A frame whose blocks did not fit in the rest of the buffer, but fit in the chunk it moved to, leaves the
     * cursor at the chunk's start when it closes: the same frame again bumps in the chunk from its start, with no
     * fallback call, and what was in use before it stays so.
     */
    @ForKinds(GROWING)
    void aFrameThatOverflowedIntoAChunkClosesThereAndTheSameFrameAgainBumpsInIt(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            MemorySegment older = it.allocate(it.buffer().capacity() - it.buffer().usedBytes() - 8, 1);   // 8 B left
            older.fill((byte) 7);
            long used = it.buffer().usedBytes();
            MemorySegment first;
            try (Frame frame = it.buffer().push()) {
                first = frame.allocate(100, 1);
                assertThat(it.inBuffer(first)).as("moved on to a chunk").isFalse();
            }
            assertThat(it.buffer().usedBytes()).isEqualTo(used);
            long calls = it.buffer().statistics().fallbackCount();
            for (int i = 0; i < 3; i++) {
                try (Frame frame = it.buffer().push()) {
                    MemorySegment block = frame.allocate(100, 1);
                    assertThat(block.address()).as("the chunk, from its start").isEqualTo(first.address());
                    block.fill((byte) 1);
                    assertThat(it.buffer().usedBytes()).isEqualTo(used + 100);
                }
                assertThat(it.buffer().usedBytes()).isEqualTo(used);
            }
            assertThat(it.buffer().statistics().fallbackCount()).as("no new chunk").isEqualTo(calls);
            assertThat(older.get(JAVA_BYTE, 7)).as("an older block is untouched").isEqualTo((byte) 7);
            it.free(older);   // the buffer is behind the cursor now: an older block stays live, nothing given back
            assertThat(it.buffer().usedBytes()).isEqualTo(used);
            assertThatThrownBy(() -> it.buffer().free(first)).as("the frame's block: not live")
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * The rest of the buffer is not lost to a frame that stayed in a chunk: an outer frame that opened in the buffer
     * closes back into it, and the next blocks fill the buffer from there.
     */
    @ForKinds(GROWING)
    void anOuterFrameClosesBackIntoTheBufferAfterAnInnerOneStayedInAChunk(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            long used = it.buffer().usedBytes();
            long left = it.buffer().capacity() - used;
            try (Frame outer = it.buffer().push()) {
                outer.allocate(left / 2, 1);
                try (Frame inner = it.buffer().push()) {
                    fillBufferThrough(inner, it);
                    assertThat(it.inBuffer(inner.allocate(100, 1))).isFalse();
                }
                assertThat(it.buffer().usedBytes()).isEqualTo(used + left / 2);
            }
            assertThat(it.buffer().usedBytes()).isEqualTo(used);
            assertThat(it.inBuffer(it.allocate(left, 1))).as("the buffer's rest, whole again").isTrue();
        }
    }

    /**
     * A boundary of reset's short path: once a frame closed back into the buffer, the allocator is in its
     * buffer with no frame open while it holds a chunk. Such a reset rewinds the cursor only: the chunk is
     * kept, and the next overflow bumps in it again without a call to the fallback.
     */
    @ForKinds(GROWING_BUFFERS)
    void aResetAfterAFrameClosedBackIntoTheBufferKeepsTheChunkAndTheNextOverflowReusesIt(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            CountingAllocator fallback = it.fallback();
            it.allocate(AllocatorKind.CAPACITY - 4, 1);   // almost full
            MemorySegment inChunk;
            try (Frame frame = it.buffer().push()) {
                inChunk = frame.allocate(1000, 1);
                assertThat(it.inBuffer(inChunk)).as("moved on to a chunk").isFalse();
                for (int i = 1; i < 40; i++) {
                    frame.allocate(1000, 1);   // 40 KB: 4, 8, 16, 32 KB chunks, more than the last holds
                }
            }
            assertThat(it.usedBytes()).as("back in the buffer").isEqualTo(AllocatorKind.CAPACITY - 4);
            BufferStatistics before = it.statistics();
            assertThat(before.chunks()).isEqualTo(4);
            assertThat(before.chunkBytes()).isEqualTo(ChunkChain.MIN_CHUNK * (1 + 2 + 4 + 8));
            assertThat(fallback.outstandingBlocks()).isEqualTo(4);

            it.buffer().reset();
            BufferStatistics after = it.statistics();
            assertThat(after.usedBytes()).isZero();
            assertThat(after.resets()).isEqualTo(1);
            assertThat(after.chunks()).as("the chunks are kept").isEqualTo(4);
            assertThat(after.chunkBytes()).isEqualTo(before.chunkBytes());
            assertThat(fallback.outstandingBlocks()).isEqualTo(4);
            assertThat(fallback.calls(CountingAllocator.Call.FREE)).isZero();
            inChunk.fill((byte) 5);   // the chunk's memory is still the allocator's: usable, not freed
            assertThatThrownBy(() -> it.buffer().free(inChunk)).as("beyond the cursor: not live")
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a live block");

            MemorySegment all = it.allocate(AllocatorKind.CAPACITY, 1);
            assertThat(all.address()).as("the whole buffer from its start").isEqualTo(it.origin());
            MemorySegment again = it.allocate(100, 1);
            assertThat(again.address()).as("the chunk, from its start").isEqualTo(inChunk.address());
            assertThat(it.statistics().chunks()).isEqualTo(4);
            assertThat(it.statistics().chunkBytes()).isEqualTo(before.chunkBytes());
            assertThat(it.statistics().fallbackCount()).as("no new chunk").isEqualTo(before.fallbackCount());
            assertThat(fallback.calls(CountingAllocator.Call.ALLOCATE)).isEqualTo(4);
        }
    }

    private static void fillBufferThrough(Frame frame, Instance it) {
        long left = it.buffer().capacity() - it.buffer().usedBytes();
        if (left > 0) {
            frame.allocate(left, 1);
        }
    }

    @ForKinds(GROWING_OVER_A_GIVEN_BUFFER)
    void aChunkBlockAfterResetReadsTheChunkAndAfterCloseThrows(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            fillBuffer(it);
            MemorySegment block = it.allocate(16, 1);
            block.set(JAVA_LONG_UNALIGNED, 0, 99);
            it.buffer().reset();
            assertThat(block.get(JAVA_LONG_UNALIGNED, 0)).as("the chunk is kept: the allocator's own memory").isEqualTo(99);
            assertThatThrownBy(() -> it.buffer().free(block)).as("beyond the cursor: not live")
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a live block");
            it.buffer().close();
            assertThat(it.fallback().outstandingBlocks()).as("the chunk went back").isZero();
            assertThatThrownBy(() -> block.get(JAVA_LONG_UNALIGNED, 0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @ForKinds(GROWING_OVER_A_GIVEN_BUFFER)
    void theDemandCountsTheChunksAsOneBigBufferWould(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            long before = it.buffer().usedBytes();
            fillBuffer(it);
            it.allocate(100, 1);
            assertThat(it.buffer().usedBytes()).isEqualTo(AllocatorKind.CAPACITY + 100);
            assertThat(it.statistics().remainingBytes()).isZero();
            it.buffer().reset();
            assertThat(it.buffer().statistics().peakDemand()).isEqualTo(Math.max(before, AllocatorKind.CAPACITY + 100));
        }
    }

    /**
     * Pooled scratch allocators keep their chunks when they go back to the pool, and lend them to the next
     * thread: the chunks must be usable from any thread, and a steady load stops calling the fallback.
     */
    @Test
    void scratchChunksServeEveryVirtualThreadThatBorrowsThem() throws InterruptedException {
        int threads = 2_000;
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            started.add(Thread.ofVirtual().start(() -> {
                try (Frame frame = Scratch.push()) {
                    for (int i = 0; i < 10; i++) {   // 100 KB: more than the 64 KiB buffer
                        MemorySegment block = frame.allocate(10_000, 8);
                        block.fill((byte) id);
                        if (block.get(JAVA_BYTE, 9_999) != (byte) id) {
                            throw new AssertionError("block overwritten");
                        }
                    }
                    done.incrementAndGet();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread thread : started) {
            thread.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(done.get()).isEqualTo(threads);
    }
}
