package dev.bufalloc.bench;

import dev.bufalloc.BufferAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Scenario (g): the same buffer allocator over native memory and over a Java {@code long[]} (a
 * {@code byte[]} heap segment cannot give 8-byte alignment). Each invocation makes {@value #BATCH}
 * allocations of 16 bytes aligned 8, writes a {@code long} into each, and resets.
 */
@State(Scope.Thread)
@OperationsPerInvocation(HeapBufferBenchmark.BATCH)
@Scenario(letter = "g", title = "Native buffer against heap (long[]) buffer",
        operation = "one 16-byte allocation written once (+ 1/128 of a reset)",
        notes = "`bufalloc` is the native buffer; `heap` the same allocator over a `long[]`.")
public class HeapBufferBenchmark extends NativeMemoryBenchmark {

    static final int BATCH = 128;

    private BufferAllocator nativeMemoryBuffer;
    private BufferAllocator heapBuffer;

    /** Makes a native and a heap buffer of 2 KiB each. */
    @Setup
    public void setUp() {
        nativeMemoryBuffer = nativeBuffer(BATCH * BLOCK_SIZE);
        heapBuffer = closeLater(BufferAllocator.withoutFallback(
                MemorySegment.ofArray(new long[(int) (BATCH * BLOCK_SIZE / Long.BYTES)])));
    }

    /** Over native memory. */
    @Benchmark
    public void bufalloc() {
        fill(nativeMemoryBuffer);
    }

    /** Over a {@code long[]}. */
    @Benchmark
    public void heap() {
        fill(heapBuffer);
    }

    private static void fill(BufferAllocator buffer) {
        for (int i = 0; i < BATCH; i++) {
            buffer.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
        }
        buffer.reset();
    }
}
