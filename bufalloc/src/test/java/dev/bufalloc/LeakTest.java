package dev.bufalloc;

import dev.bufalloc.array.DynamicArray;
import dev.bufalloc.array.IntArray;
import dev.bufalloc.array.LongArray;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.system.UnscopedMallocAllocator;
import dev.bufalloc.testing.CountingAllocator;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Every block a buffer allocator or a dynamic array takes from the system is given back: through
 * {@code free}, {@code reset()} or {@code close()}, and also when the fallback's {@code free} throws.
 * {@link NoLeaks} checks the C heap around each test; a {@link CountingAllocator} shows what is
 * outstanding in between. That every kind of buffer allocator gives back the blocks of a fallback it
 * is handed is part of its contract, which {@link BufferAllocatorContractTest} runs against every kind;
 * here are the C library's blocks that an allocator scopes itself (over the default malloc allocator,
 * or raw ones), which a shared allocator holds until its next reset, and the dynamic arrays.
 */
@NoLeaks
class LeakTest {

    /** A 64-byte native buffer, so that requests past it go to the fallback. */
    private static final long BUFFER = 64;

    private final CountingAllocator fallback = new CountingAllocator(MallocAllocator.instance());

    /** Fills the buffer, then takes {@code count} 100-byte blocks from the fallback. */
    private static List<MemorySegment> fallbackBlocks(BufferAllocator allocator, int count) {
        allocator.allocate(BUFFER);
        List<MemorySegment> blocks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            blocks.add(allocator.allocate(100, 8));
        }
        return blocks;
    }

    @Nested
    class BufferAllocatorGivesFallbackBlocksBack {

        @Test
        void whenTheFallbackIsTheDefaultMallocOnFreeAtOnce() {
            MallocAllocator malloc = MallocAllocator.instance();
            long baseline = malloc.liveBytes();
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.of(arena.allocate(BUFFER), malloc)) {
                List<MemorySegment> blocks = fallbackBlocks(allocator, 3);
                assertThat(malloc.liveBytes()).isEqualTo(baseline + 300);

                allocator.free(blocks.get(1));

                assertThat(malloc.liveBytes()).isEqualTo(baseline + 200);
                assertThat(blocks.get(1).scope().isAlive()).isFalse();
            }
            assertThat(malloc.liveBytes()).isEqualTo(baseline);
        }
    }

    /**
     * A shared allocator gives scoped and heap fallback blocks back on free, and the C library's blocks (raw,
     * or in place of the default malloc) at the next reset or close: one scope per reset serves them all.
     */
    @Nested
    class SharedBufferAllocatorGivesFallbackBlocksBack {

        private final CountingAllocator raw = new CountingAllocator(UnscopedMallocAllocator.instance());

        @Test
        void onTheResetAfterTheFreeWhenTheBlocksAreTheCLibrarys() {
            try (Arena arena = Arena.ofShared();
                 BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(BUFFER), raw)) {
                List<MemorySegment> blocks = fallbackBlocks(allocator, 3);

                blocks.forEach(allocator::free);

                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
                assertThat(raw.outstandingBlocks()).as("held until the reset").isEqualTo(3);

                allocator.reset();

                assertThat(raw.outstandingBlocks()).isZero();
                assertThat(raw.calls(CountingAllocator.Call.FREE)).isEqualTo(3);
            }
        }

        @Test
        void onCloseWhenTheBlocksAreTheCLibrarysFreedOrNot() {
            try (Arena arena = Arena.ofShared()) {
                BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(BUFFER), raw);
                List<MemorySegment> blocks = fallbackBlocks(allocator, 3);
                allocator.free(blocks.get(0));

                allocator.close();

                assertThat(raw.outstandingBlocks()).isZero();
            }
        }

        @Test
        void onResetWhenTheFallbackIsTheDefaultMalloc() {
            MallocAllocator malloc = MallocAllocator.instance();
            long baseline = malloc.liveBytes();
            try (Arena arena = Arena.ofShared();
                 BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(BUFFER), malloc)) {
                List<MemorySegment> blocks = fallbackBlocks(allocator, 3);
                allocator.free(blocks.get(1));
                assertThat(malloc.liveBytes()).as("held until the reset").isEqualTo(baseline + 300);

                allocator.reset();

                assertThat(malloc.liveBytes()).isEqualTo(baseline);
                fallbackBlocks(allocator, 2);
            }
            assertThat(malloc.liveBytes()).as("and on close").isEqualTo(baseline);
        }

        @Test
        void onResetWhenTheFallbacksFreeThrowsOnAHeldBlock() {
            try (Arena arena = Arena.ofShared();
                 BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(BUFFER), raw)) {
                List<MemorySegment> blocks = fallbackBlocks(allocator, 3);
                allocator.free(blocks.get(0));
                raw.failOnCall(raw.calls() + 1, () -> new IllegalStateException("free failed"));

                Throwable thrown = catchThrowable(allocator::reset);

                assertThat(thrown).isSameAs(raw.lastInjected());
                assertThat(raw.outstandingBlocks()).as("only the refused one").isEqualTo(1);
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
                assertThat(blocks).allMatch(b -> !b.scope().isAlive());
                raw.releaseOutstanding();
            }
        }
    }

    @Nested
    class DynamicArrayGivesItsMemoryBack {

        @Test
        void onCloseAfterGrowingManyTimes() {
            LongArray longs = LongArray.of(0, fallback);
            for (long i = 0; i < 10_000; i++) {
                longs.push(i);
            }
            assertThat(fallback.outstandingBlocks()).isEqualTo(1);
            assertThat(fallback.calls(CountingAllocator.Call.REALLOCATE)).isPositive();

            longs.close();

            assertThat(fallback.outstandingBlocks()).isZero();
        }

        @Test
        void onCloseWhenItGrewFromABufferIntoTheFallback() {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.of(arena.allocate(BUFFER), fallback)) {
                IntArray ints = IntArray.of(4, allocator);
                for (int i = 0; i < 100; i++) {
                    ints.push(i);
                }
                assertThat(fallback.outstandingBlocks()).isEqualTo(1);

                ints.close();

                assertThat(fallback.outstandingBlocks()).isZero();
                assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            }
        }

        @Test
        void whenGrowingFailsTheOldMemoryIsStillFreedOnClose() {
            DynamicArray bytes = DynamicArray.of(ValueLayout.JAVA_BYTE, 8, fallback);
            fallback.failOnCall(fallback.calls() + 1, () -> new OutOfMemoryError("injected"));

            assertThat(catchThrowable(() -> bytes.reserve(1000))).isInstanceOf(OutOfMemoryError.class);
            assertThat(bytes.capacity()).isEqualTo(8);

            bytes.close();
            assertThat(fallback.outstandingBlocks()).isZero();
        }

        @Test
        void whenTheFirstBlockCannotBeHadNothingIsTaken() {
            fallback.failOnCall(1, () -> new OutOfMemoryError("injected"));

            assertThat(catchThrowable(() -> DynamicArray.of(ValueLayout.JAVA_INT, 16, fallback)))
                    .isSameAs(fallback.lastInjected());
            assertThat(fallback.outstandingBlocks()).isZero();
        }

        @Test
        void closingTwiceFreesOnce() {
            DynamicArray ints = DynamicArray.of(ValueLayout.JAVA_INT, 16, fallback);
            ints.close();
            ints.close();
            assertThat(fallback.calls(CountingAllocator.Call.FREE)).isEqualTo(1);
        }
    }
}
