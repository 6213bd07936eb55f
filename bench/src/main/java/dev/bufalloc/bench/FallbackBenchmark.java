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
        notes = "The malloc allocator tracks every block in a map (boxed keys: its B/op). The buffer"
                + " allocator also keeps each fallback block in its list, so the block's segment escapes:"
                + " 40 more B/op.")
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
