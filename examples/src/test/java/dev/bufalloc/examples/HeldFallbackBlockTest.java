package dev.bufalloc.examples;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;
import dev.bufalloc.Frame;
import dev.bufalloc.system.MallocAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A free that cannot happen: C's {@code qsort} sorts ints in a <em>fallback</em> block (the buffer is full, so
 * the block comes from malloc, in a scope the allocator gives it), and the Java comparator, on its first call,
 * frees or moves that block, or ends the frame or the allocator that holds it. The downcall holds the block's
 * scope, so its memory cannot be given back: the free must be refused or deferred, never done, and the
 * allocator must stay consistent (what it counts is what the caller can reach) and give the block back once
 * the call is over.
 */
class HeldFallbackBlockTest {

    private static final int[] INPUT = {42, -7, 1000, 0, 13, -7, 5, 99, Integer.MIN_VALUE, Integer.MAX_VALUE};

    @SuppressWarnings("restricted")   // the layout says what the pointer points to
    private static final AddressLayout INT_POINTER = ADDRESS.withTargetLayout(JAVA_INT);
    private static final FunctionDescriptor COMPARE = FunctionDescriptor.of(JAVA_INT, INT_POINTER, INT_POINTER);
    private static final MethodHandle QSORT = C.downcall("qsort",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));

    /** What the comparator runs on its first call, while qsort holds the block; it must catch everything. */
    private static volatile Runnable onFirstCompare;

    static int compare(MemorySegment a, MemorySegment b) {
        Runnable action = onFirstCompare;
        if (action != null) {
            onFirstCompare = null;
            action.run();
        }
        return Integer.compare(a.get(JAVA_INT, 0), b.get(JAVA_INT, 0));
    }

    private final MallocAllocator malloc = MallocAllocator.instance();

    @AfterEach
    void noActionLeftBehind() {
        onFirstCompare = null;
    }

    /** Sorts {@code ints} with qsort, running {@code duringSort} on the first comparison; returns what it threw. */
    private static Throwable sortWhile(MemorySegment ints, Runnable duringSort) throws Throwable {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (Arena stubs = Arena.ofConfined()) {
            MemorySegment comparator = C.upcall(HeldFallbackBlockTest.class, "compare", COMPARE, stubs);
            onFirstCompare = () -> {
                try {
                    duringSort.run();
                } catch (Throwable t) {
                    thrown.set(t);
                }
            };
            QSORT.invokeExact(ints, (long) INPUT.length, JAVA_INT.byteSize(), comparator);
        }
        assertThat(onFirstCompare).as("the comparator ran").isNull();
        assertThat(ints.toArray(JAVA_INT)).as("qsort sorted live memory").isEqualTo(sorted());
        return thrown.get();
    }

    @Test
    void freeOfTheHeldBlockIsRefusedAndChangesNothing() throws Throwable {
        long baseline = malloc.liveBytes();
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(16), malloc)) {
            allocator.allocate(16);
            MemorySegment ints = allocator.allocateFrom(JAVA_INT, INPUT);   // a fallback block
            BufferStatistics before = allocator.statistics();
            assertThat(before.liveFallbackBlocks()).isEqualTo(1);

            Throwable thrown = sortWhile(ints, () -> allocator.free(ints));

            assertThat(thrown).isInstanceOf(IllegalStateException.class);
            assertThat(allocator.statistics()).isEqualTo(before);
            allocator.free(ints);                                           // the call is over: now it can
            assertThat(ints.scope().isAlive()).isFalse();
            assertThat(malloc.liveBytes()).isEqualTo(baseline);
        }
    }

    @Test
    void reallocateOfTheHeldBlockIsRefusedAndTheBlockIsUnchanged() throws Throwable {
        long baseline = malloc.liveBytes();
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(16), malloc)) {
            allocator.allocate(16);
            MemorySegment ints = allocator.allocateFrom(JAVA_INT, INPUT);
            AtomicReference<MemorySegment> moved = new AtomicReference<>();

            Throwable thrown = sortWhile(ints, () -> moved.set(allocator.reallocate(ints, 400, 4)));

            assertThat(thrown).as("the old block cannot be freed under qsort").isInstanceOf(IllegalStateException.class);
            assertThat(moved.get()).isNull();
            assertThat(ints.scope().isAlive()).as("unchanged and still allocated").isTrue();
            allocator.free(ints);
        }
        assertThat(malloc.liveBytes()).as("close gave back whatever was left").isEqualTo(baseline);
    }

    /**
     * The same refused reallocation leaves no block behind that the caller cannot reach: the ledger counts one
     * live fallback block, the caller's.
     */
    @Test
    void aRefusedReallocationLeavesNoUnreachableBlockBehind() throws Throwable {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(16), malloc)) {
            allocator.allocate(16);
            MemorySegment ints = allocator.allocateFrom(JAVA_INT, INPUT);
            BufferStatistics before = allocator.statistics();

            Throwable thrown = sortWhile(ints, () -> allocator.reallocate(ints, 400, 4));

            assertThat(thrown).isInstanceOf(IllegalStateException.class);
            assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(before.liveFallbackBlocks());
            assertThat(allocator.statistics().liveFallbackBytes()).isEqualTo(before.liveFallbackBytes());
        }
    }

    /**
     * Closing the frame of the held block closes the frame all the same (Frame.close: what the fallback threw,
     * after the frame was closed) but cannot free the block: it stays valid for qsort, and the allocator gives
     * it back on its next reset.
     */
    @Test
    void closingTheFrameOfTheHeldBlockClosesTheFrameAndTheBlockIsFreedLater() throws Throwable {
        long baseline = malloc.liveBytes();
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(16), malloc)) {
            allocator.allocate(16);
            Frame frame = allocator.push();
            MemorySegment ints = frame.allocateFrom(JAVA_INT, INPUT);

            Throwable thrown = sortWhile(ints, frame::close);

            assertThat(thrown).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(frame::close).as("the frame is closed").isInstanceOf(IllegalStateException.class);
            assertThat(ints.scope().isAlive()).as("the held block could not be freed").isTrue();
            assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
            allocator.reset();
            assertThat(ints.scope().isAlive()).isFalse();
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            assertThat(malloc.liveBytes()).isEqualTo(baseline);
        }
    }

    @Test
    void resetWhileTheBlockIsHeldResetsTheRestAndTheBlockIsFreedOnTheNextReset() throws Throwable {
        long baseline = malloc.liveBytes();
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(16), malloc)) {
            allocator.allocate(16);
            MemorySegment ints = allocator.allocateFrom(JAVA_INT, INPUT);
            MemorySegment other = allocator.allocate(64, 8);

            Throwable thrown = sortWhile(ints, allocator::reset);

            assertThat(thrown).isInstanceOf(IllegalStateException.class);
            assertThat(allocator.usedBytes()).isZero();
            assertThat(other.scope().isAlive()).as("the other fallback block was freed").isFalse();
            assertThat(ints.scope().isAlive()).isTrue();
            assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
            allocator.reset();
            assertThat(ints.scope().isAlive()).isFalse();
            assertThat(malloc.liveBytes()).isEqualTo(baseline);
        }
    }

    /**
     * Closing the allocator while the block is held closes it all the same and throws (close: what the fallback
     * threw, after the allocator was closed), so the held block cannot be given back by the allocator any more;
     * its memory must still not leak: once nothing can reach it, the garbage collector's cleaner frees it.
     */
    @Test
    void closeWhileTheBlockIsHeldClosesTheAllocatorAndTheBlockIsFreedOnceUnreachable() throws Throwable {
        long baseline = malloc.liveBytes();
        closeWhileHeld();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (malloc.liveBytes() != baseline && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(malloc.liveBytes()).as("the held block, freed by the cleaner").isEqualTo(baseline);
    }

    private void closeWhileHeld() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            BufferAllocator allocator = BufferAllocator.of(arena.allocate(16), malloc);
            allocator.allocate(16);
            MemorySegment ints = allocator.allocateFrom(JAVA_INT, INPUT);
            MemorySegment other = allocator.allocate(64, 8);

            Throwable thrown = sortWhile(ints, allocator::close);

            assertThat(thrown).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> allocator.allocate(8)).as("closed all the same").isInstanceOf(IllegalStateException.class);
            assertThat(other.scope().isAlive()).isFalse();
            assertThat(ints.scope().isAlive()).as("it could not be freed under qsort").isTrue();
            assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
        }
    }

    private static int[] sorted() {
        int[] copy = INPUT.clone();
        Arrays.sort(copy);
        return copy;
    }
}
