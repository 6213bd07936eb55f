package dev.bufalloc.bench;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.system.MallocAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Scenario (k): what zeroing costs. bufalloc never zeroes unless asked: a zeroed block is an allocation and a
 * {@code fill}, as LWJGL's {@code calloc} is; {@code resetAndZero()} zeroes what was in use before it resets.
 * An {@code Arena} always zeroes.
 */
@State(Scope.Thread)
@Scenario(letter = "k", title = "Zeroing, when asked",
        operation = "allocate `bytes` B (aligned 8), zeroed or not, then reset (or an arena scope of one block)",
        notes = "`bufalloc` does not zero; `bufalloc_zeroed` fills the block; `bufalloc_resetAndZero` zeroes the"
                + " bytes blocks reached on reset instead; `peer_arena` is `Arena.ofConfined()`, which always zeroes.")
public class ZeroingBenchmark extends NativeMemoryBenchmark {

    /** The block size. */
    @Param({"64", "1024"})
    public long bytes;

    private BufferAllocator buffer;

    /** A 4 KiB buffer. */
    @Setup
    public void setUp() {
        buffer = nativeBuffer(4096, MallocAllocator.instance());
    }

    /** An allocation and a reset: nothing zeroed. */
    @Benchmark
    public MemorySegment bufalloc() {
        MemorySegment block = buffer.allocate(bytes, 8);
        buffer.reset();
        return block;
    }

    /** A zeroed allocation ({@code allocateZeroed}: allocate and fill), then a reset. */
    @Benchmark
    public MemorySegment bufalloc_zeroed() {
        MemorySegment block = buffer.allocateZeroed(bytes, 8);
        buffer.reset();
        return block;
    }

    /** An allocation, then a reset that zeroes the bytes in use. */
    @Benchmark
    public MemorySegment bufalloc_resetAndZero() {
        MemorySegment block = buffer.allocate(bytes, 8);
        buffer.resetAndZero();
        return block;
    }

    /** An arena scope of one block: zeroed, always. */
    @Benchmark
    public long peer_arena() {
        try (Arena arena = Arena.ofConfined()) {
            return arena.allocate(bytes, 8).address();
        }
    }
}
