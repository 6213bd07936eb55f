package dev.bufalloc.bench;

import dev.bufalloc.system.MallocAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Scenario (l): the safe malloc allocator on one thread and on two at once, against an {@code Arena.ofConfined()}
 * per block. JMH times each thread's operations, so the total throughput of two threads is kept if the
 * two-thread row costs at most twice the one-thread row (on this 2-core machine, at most about the same).
 */
@State(Scope.Thread)
@Scenario(letter = "l", title = "The malloc allocator on two threads",
        operation = "allocate 16 B aligned 8, write it, free it; on 1 thread, then on 2 at once",
        notes = "Each thread keeps its blocks in a table of its own, so two threads share no lock and no"
                + " counter; `arena` is an `Arena.ofConfined()` scope of one block, which shares nothing either.")
public class MallocThreadsBenchmark {

    private static final long SIZE = NativeMemoryBenchmark.BLOCK_SIZE;
    private static final long ALIGNMENT = NativeMemoryBenchmark.BLOCK_ALIGNMENT;

    private final MallocAllocator malloc = MallocAllocator.instance();

    /** The safe malloc allocator, one thread. */
    @Benchmark
    @Threads(1)
    public void malloc_1thread() {
        mallocOnce();
    }

    /** The safe malloc allocator, two threads at once. */
    @Benchmark
    @Threads(2)
    public void malloc_2threads() {
        mallocOnce();
    }

    /** An arena scope of one block, one thread. */
    @Benchmark
    @Threads(1)
    public void arena_1thread() {
        arenaOnce();
    }

    /** An arena scope of one block, two threads at once. */
    @Benchmark
    @Threads(2)
    public void arena_2threads() {
        arenaOnce();
    }

    private void mallocOnce() {
        MemorySegment block = malloc.allocate(SIZE, ALIGNMENT);
        block.set(JAVA_LONG, 0, 1);
        malloc.free(block);
    }

    private static void arenaOnce() {
        try (Arena arena = Arena.ofConfined()) {
            arena.allocate(SIZE, ALIGNMENT).set(JAVA_LONG, 0, 1);
        }
    }
}
