package dev.bufalloc.bench;

import dev.bufalloc.Allocator;
import dev.bufalloc.BufferAllocator;
import dev.bufalloc.system.MallocAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Scenario (f): allocation once the buffer is full, so every request goes to the fallback (the
 * malloc allocator), against the fallback allocator alone. Each block is written and freed, so
 * that the state stays the same from one operation to the next.
 */
@State(Scope.Thread)
@Scenario(letter = "f", title = "Full buffer: the fallback path",
        operation = "allocate 16 B aligned 8, write it, free it",
        notes = "The malloc allocator gives each block a confined arena of its own (its B/op) and keeps it in"
                + " a table of the thread's. The buffer allocator keeps each fallback block in its ledger, so"
                + " the block's segment escapes. `OverflowBenchmark` shows the growing allocator, which"
                + " needs no fallback call once it holds a chunk.")
public class FallbackBenchmark extends NativeMemoryBenchmark {

    private final Allocator fallback = MallocAllocator.instance();
    private BufferAllocator buffer;

    /** Makes a 16-byte buffer and fills it. */
    @Setup
    public void setUp() {
        buffer = nativeBuffer(BLOCK_SIZE, fallback);
        buffer.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT);
    }

    /** Through the full buffer allocator. */
    @Benchmark
    public void bufalloc() {
        MemorySegment block = buffer.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT);
        block.set(JAVA_LONG, 0, 1);
        buffer.free(block);
    }

    /** The fallback allocator alone. */
    @Benchmark
    public void fallbackAlone() {
        MemorySegment block = fallback.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT);
        block.set(JAVA_LONG, 0, 1);
        fallback.free(block);
    }
}
