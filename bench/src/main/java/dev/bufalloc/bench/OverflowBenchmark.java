package dev.bufalloc.bench;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.Frame;
import dev.bufalloc.system.MallocAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Scenario (j): a buffer that turned out too small. A growing allocator ({@code ofGrowing}) whose buffer is
 * full bumps in a chunk it took once; an allocator from {@code of} sends each request to the fallback. Held
 * against the same request in a buffer with room, and against an {@code Arena.ofConfined()} scope of one
 * block (what a caller without bufalloc writes).
 */
@State(Scope.Thread)
@Scenario(letter = "j", title = "Overflow: a full buffer, growing or not",
        operation = "allocate 16 B aligned 8, write it, free it (or a frame/arena around it)",
        notes = "`bufalloc_fits` is the same request in a buffer with room: an overflowing request should cost at"
                + " most 1.5× it. `bufalloc_growingFrame` and `peer_arenaScope` are one-block scopes: a frame"
                + " through a full growing buffer against an `Arena.ofConfined()` with one allocation.")
public class OverflowBenchmark extends NativeMemoryBenchmark {

    private BufferAllocator roomy;
    private BufferAllocator growing;
    private BufferAllocator perBlock;

    /** Makes the three allocators; the last two over full 16-byte buffers. */
    @Setup
    public void setUp() {
        roomy = nativeBuffer(4096, MallocAllocator.instance());
        growing = closeLater(BufferAllocator.ofGrowing(nativeMemory(BLOCK_SIZE), MallocAllocator.instance()));
        growing.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT);
        perBlock = nativeBuffer(BLOCK_SIZE, MallocAllocator.instance());
        perBlock.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT);
    }

    /** The request in a buffer with room: the reference for an overflowing one. */
    @Benchmark
    public void bufalloc_fits() {
        roundTrip(roomy);
    }

    /** Through a full growing buffer: bumped in its chunk. */
    @Benchmark
    public void bufalloc_growing() {
        roundTrip(growing);
    }

    /** Through a full buffer without chunks: a fallback block per request. */
    @Benchmark
    public void bufalloc_perBlockFallback() {
        roundTrip(perBlock);
    }

    /** A frame of one block through a full growing buffer. */
    @Benchmark
    public void bufalloc_growingFrame() {
        try (Frame frame = growing.push()) {
            frame.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, 1);
        }
    }

    /** A frame of one block through a full buffer without chunks. */
    @Benchmark
    public void bufalloc_perBlockFrame() {
        try (Frame frame = perBlock.push()) {
            frame.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, 1);
        }
    }

    /** An {@code Arena.ofConfined()} with one allocation: the one-block scope without bufalloc. */
    @Benchmark
    public void peer_arenaScope() {
        try (Arena arena = Arena.ofConfined()) {
            arena.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, 1);
        }
    }

    private static void roundTrip(BufferAllocator allocator) {
        MemorySegment block = allocator.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT);
        block.set(JAVA_LONG, 0, 1);
        allocator.free(block);
    }
}
