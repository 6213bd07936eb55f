package dev.bufalloc.bench;

import dev.bufalloc.BufferAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.SegmentStack;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Scenario (a): one allocation of 16 bytes aligned to 8. Each invocation makes {@link #BATCH}
 * allocations and then resets (or recreates) the allocator, so one operation is one allocation
 * plus 1/{@value #BATCH} of a reset.
 *
 * <p>{@code _escaping}: the block goes to the Blackhole, so its object must exist.
 * {@code _local}: a {@code long} is written into the block and the block is dropped, so escape
 * analysis may remove the segment object; {@code -prof gc} then shows the bookkeeping's own B/op.
 */
@State(Scope.Thread)
@OperationsPerInvocation(SingleAllocationBenchmark.BATCH)
@Scenario(letter = "a", title = "One 16-byte allocation aligned 8",
        operation = "one allocation (+ 1/128 of a reset)",
        notes = "Every escaping segment costs a 40-byte object, whoever makes it; `_local` rows show whether"
                + " escape analysis removed it. `bump` and `lwjgl_local` (LWJGL's `MemoryStack`) hand out raw addresses (no bounds or"
                + " lifetime checks); `lwjgl_escaping` returns a `ByteBuffer`; `segmentStack` is LWJGL 3.4's"
                + " `SegmentStack`, whose blocks are segments like bufalloc's (pushed and popped once per batch). `prefix` hands out the same 16"
                + " bytes every time. The slicing allocator cannot be reset, so it is made anew per batch: as a local (`slicing`), the JIT"
                + " may keep its cursor in a register; held in a field (`slicingField`), as a caller holds an"
                + " allocator it reuses, its cursor is in memory like bufalloc's."
                + " Netty's pooled buffer is released at once (thread cache, leak detection off).")
public class SingleAllocationBenchmark extends NativeMemoryBenchmark {

    static final int BATCH = 128;

    private BufferAllocator buffer;
    private BufferAllocator shared;
    private MemorySegment slab;
    private SegmentAllocator prefix;
    private SegmentAllocator slicingField;
    private LongBump bump;
    private MemoryStack stack;
    private SegmentStack segmentStack;
    private PooledByteBufAllocator netty;

    /** Makes every allocator over native memory of the same size. */
    @Setup
    public void setUp() {
        buffer = nativeBuffer(BATCH * BLOCK_SIZE);
        shared = BufferAllocator.sharedWithoutFallback(Arena.ofAuto().allocate(BATCH * BLOCK_SIZE, 64));
        slab = nativeMemory(BATCH * BLOCK_SIZE);
        prefix = SegmentAllocator.prefixAllocator(nativeMemory(BLOCK_SIZE));
        bump = new LongBump(slab.byteSize());
        stack = MemoryStack.create(64 * 1024);
        segmentStack = SegmentStack.create(nativeMemory(BATCH * BLOCK_SIZE));
        netty = PooledByteBufAllocator.DEFAULT;
    }

    /** @param blackhole where the blocks escape */
    @Benchmark
    public void bufalloc_escaping(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(buffer.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT));
        }
        buffer.reset();
    }

    /** Writes into each block, which does not escape. */
    @Benchmark
    public void bufalloc_local() {
        for (int i = 0; i < BATCH; i++) {
            buffer.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
        }
        buffer.reset();
    }

    /** @param blackhole where the blocks escape */
    @Benchmark
    public void shared_escaping(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(shared.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT));
        }
        shared.reset();
    }

    /** The thread-safe variant, used by one thread: its compare-and-set bump, uncontended. */
    @Benchmark
    public void shared_local() {
        for (int i = 0; i < BATCH; i++) {
            shared.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
        }
        shared.reset();
    }

    /** @param blackhole where the blocks escape */
    @Benchmark
    public void slicing_escaping(Blackhole blackhole) {
        SegmentAllocator slicing = SegmentAllocator.slicingAllocator(slab);
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(slicing.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT));
        }
    }

    /** Writes into each block, which does not escape. */
    @Benchmark
    public void slicing_local() {
        SegmentAllocator slicing = SegmentAllocator.slicingAllocator(slab);
        for (int i = 0; i < BATCH; i++) {
            slicing.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
        }
    }

    /**
     * A slicing allocator held in a field, as a caller keeps an allocator it reuses: its cursor lives
     * in memory, like bufalloc's, not in a register.
     *
     * @param blackhole where the blocks escape
     */
    @Benchmark
    public void slicingField_escaping(Blackhole blackhole) {
        slicingField = SegmentAllocator.slicingAllocator(slab);
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(slicingField.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT));
        }
    }

    /** A slicing allocator held in a field; the blocks do not escape. */
    @Benchmark
    public void slicingField_local() {
        slicingField = SegmentAllocator.slicingAllocator(slab);
        for (int i = 0; i < BATCH; i++) {
            slicingField.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
        }
    }

    /** @param blackhole where the blocks escape */
    @Benchmark
    public void prefix_escaping(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(prefix.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT));
        }
    }

    /** Writes into each block, which does not escape. */
    @Benchmark
    public void prefix_local() {
        for (int i = 0; i < BATCH; i++) {
            prefix.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
        }
    }

    /** @param blackhole where the offsets escape */
    @Benchmark
    public void bump_escaping(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(bump.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT));
        }
        bump.reset();
    }

    /** Writes into each block through the region's segment. */
    @Benchmark
    public void bump_local() {
        for (int i = 0; i < BATCH; i++) {
            slab.set(JAVA_LONG, bump.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT), i);
        }
        bump.reset();
    }

    /** @param blackhole where the blocks (segments of LWJGL 3.4's FFM stack) escape */
    @Benchmark
    public void segmentStack_escaping(Blackhole blackhole) {
        try (SegmentStack frame = segmentStack.push()) {
            for (int i = 0; i < BATCH; i++) {
                blackhole.consume(frame.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT));
            }
        }
    }

    /** Writes into each block of LWJGL 3.4's FFM stack, which does not escape. */
    @Benchmark
    public void segmentStack_local() {
        try (SegmentStack frame = segmentStack.push()) {
            for (int i = 0; i < BATCH; i++) {
                frame.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
            }
        }
    }

    /** @param blackhole where the blocks (ByteBuffers) escape */
    @Benchmark
    public void lwjgl_escaping(Blackhole blackhole) {
        stack.push();
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(stack.malloc((int) BLOCK_ALIGNMENT, (int) BLOCK_SIZE));
        }
        stack.pop();
    }

    /** Writes into each block, an address. */
    @Benchmark
    public void lwjgl_local() {
        stack.push();
        for (int i = 0; i < BATCH; i++) {
            MemoryUtil.memPutLong(stack.nmalloc((int) BLOCK_ALIGNMENT, (int) BLOCK_SIZE), i);
        }
        stack.pop();
    }

    /** @param blackhole where the buffers escape before they are released */
    @Benchmark
    public void netty_escaping(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            ByteBuf block = netty.directBuffer((int) BLOCK_SIZE);
            blackhole.consume(block);
            block.release();
        }
    }

    /** @param blackhole where the arrays escape */
    @Benchmark
    public void byteArray_escaping(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(new byte[(int) BLOCK_SIZE]);
        }
    }
}
