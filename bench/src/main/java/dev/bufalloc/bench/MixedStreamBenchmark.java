package dev.bufalloc.bench;

import dev.bufalloc.BufferAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.lwjgl.system.MemoryStack;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.SplittableRandom;

/**
 * Scenario (b): a stream of {@value #COUNT} requests of mixed sizes (1 to 256 bytes) and
 * alignments (1 to 64), drawn once in setup from a fixed seed; each invocation makes them all and
 * then resets (or recreates, or closes) the allocator. Every block escapes to the Blackhole.
 * Netty's buffers have no alignment parameter: it gets the sizes only.
 */
@State(Scope.Thread)
@OperationsPerInvocation(MixedStreamBenchmark.COUNT)
@Scenario(letter = "b", title = "Mixed sizes 1-256 B, alignments 1-64",
        operation = "one allocation (+ 1/1024 of a reset)",
        notes = "`bump` and `lwjgl` return raw addresses. `arena` is one `Arena.ofConfined()` per 1,024"
                + " requests: a zeroed malloc per block, all freed at close. Netty ignores the alignments.")
public class MixedStreamBenchmark extends NativeMemoryBenchmark {

    static final int COUNT = 1024;
    private static final long REGION = 512 * 1024;   // > COUNT * (256 + 63)

    private final long[] sizes = new long[COUNT];
    private final long[] alignments = new long[COUNT];
    private BufferAllocator buffer;
    private MemorySegment slab;
    private LongBump bump;
    private MemoryStack stack;
    private PooledByteBufAllocator netty;

    /** Draws the requests and makes every allocator over native memory of the same size. */
    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < COUNT; i++) {
            sizes[i] = random.nextInt(1, 257);
            alignments[i] = 1L << random.nextInt(7);
        }
        buffer = nativeBuffer(REGION);
        slab = nativeMemory(REGION);
        bump = new LongBump(REGION);
        stack = MemoryStack.create((int) REGION);
        netty = PooledByteBufAllocator.DEFAULT;
    }

    /** @param blackhole where the blocks escape */
    @Benchmark
    public void bufalloc(Blackhole blackhole) {
        for (int i = 0; i < COUNT; i++) {
            blackhole.consume(buffer.allocate(sizes[i], alignments[i]));
        }
        buffer.reset();
    }

    /** @param blackhole where the blocks escape */
    @Benchmark
    public void slicing(Blackhole blackhole) {
        SegmentAllocator slicing = SegmentAllocator.slicingAllocator(slab);
        for (int i = 0; i < COUNT; i++) {
            blackhole.consume(slicing.allocate(sizes[i], alignments[i]));
        }
    }

    /** @param blackhole where the offsets escape */
    @Benchmark
    public void bump(Blackhole blackhole) {
        for (int i = 0; i < COUNT; i++) {
            blackhole.consume(bump.allocate(sizes[i], alignments[i]));
        }
        bump.reset();
    }

    /** @param blackhole where the addresses escape */
    @Benchmark
    public void lwjgl(Blackhole blackhole) {
        stack.push();
        for (int i = 0; i < COUNT; i++) {
            blackhole.consume(stack.nmalloc((int) alignments[i], (int) sizes[i]));
        }
        stack.pop();
    }

    /** @param blackhole where the blocks escape */
    @Benchmark
    public void arena(Blackhole blackhole) {
        try (Arena confined = Arena.ofConfined()) {
            for (int i = 0; i < COUNT; i++) {
                blackhole.consume(confined.allocate(sizes[i], alignments[i]));
            }
        }
    }

    /** @param blackhole where the buffers escape before they are released */
    @Benchmark
    public void netty(Blackhole blackhole) {
        for (int i = 0; i < COUNT; i++) {
            ByteBuf block = netty.directBuffer((int) sizes[i]);
            blackhole.consume(block);
            block.release();
        }
    }
}
