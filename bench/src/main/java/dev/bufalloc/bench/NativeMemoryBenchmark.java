package dev.bufalloc.bench;

import dev.bufalloc.Allocator;
import dev.bufalloc.BufferAllocator;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The base of the benchmarks that take native memory: one confined arena per trial, buffer
 * allocators over it, and a tear-down that closes the allocators and then the arena. Also holds
 * the block of issue 3's single-allocation scenarios: 16 bytes aligned to 8.
 */
public abstract class NativeMemoryBenchmark {

    /** The size of one block in scenarios (a), (c), (f) and (g). */
    static final long BLOCK_SIZE = 16;
    /** The alignment of one block in scenarios (a), (c), (f) and (g). */
    static final long BLOCK_ALIGNMENT = 8;

    private final List<BufferAllocator> buffers = new ArrayList<>();
    private Arena arena;

    /**
     * Returns native memory of the trial's arena, 64-byte aligned, opening the arena on first use
     * (on the benchmark thread, which a confined arena needs).
     *
     * @param bytes the size
     * @return zeroed memory, valid until the tear-down
     */
    final MemorySegment nativeMemory(long bytes) {
        if (arena == null) {
            arena = Arena.ofConfined();
        }
        return arena.allocate(bytes, 64);
    }

    /**
     * @param bytes the buffer's size
     * @return a buffer allocator without fallback over fresh native memory, closed at tear-down
     */
    final BufferAllocator nativeBuffer(long bytes) {
        return closeLater(BufferAllocator.withoutFallback(nativeMemory(bytes)));
    }

    /**
     * @param bytes the buffer's size
     * @param fallback where requests go once the buffer is full
     * @return a buffer allocator over fresh native memory, closed at tear-down
     */
    final BufferAllocator nativeBuffer(long bytes, Allocator fallback) {
        return closeLater(BufferAllocator.of(nativeMemory(bytes), fallback));
    }

    /**
     * @param buffer an allocator to close at tear-down, before the arena
     * @return {@code buffer}
     */
    final BufferAllocator closeLater(BufferAllocator buffer) {
        buffers.add(buffer);
        return buffer;
    }

    /** Closes the buffer allocators, then the arena. */
    @TearDown
    public void closeNativeMemory() {
        buffers.forEach(BufferAllocator::close);
        buffers.clear();
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }
}
