package dev.bufalloc.bench;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.Frame;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.SegmentStack;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Scenario (c): a temporary frame. One operation opens a scope, makes {@value #BLOCKS}
 * allocations of 16 bytes aligned 8, writes a {@code long} into each, and ends the scope: reset
 * (bufalloc), push/allocate/pop (LWJGL 3.4's {@code SegmentStack}, an FFM stack of segments, the
 * frame peer of issue 11), push/nmalloc/pop (LWJGL's {@code MemoryStack}, raw addresses), a confined
 * arena closed (JDK), or a slicing allocator made anew (JDK).
 */
@State(Scope.Thread)
@Scenario(letter = "c", title = "Temporary frame: 10 allocations, then reset",
        operation = "open a scope, 10 allocations of 16 B written once, close the scope",
        notes = "`bufalloc_frame` pushes and closes a `Frame`; `bufalloc` resets the whole buffer instead;"
                + " `bufalloc_frameArena` uses the frame's `Arena` view over a buffer of `Arena.ofAuto()` (a JDK"
                + " confined arena per frame, a `reinterpret` per block); `bufalloc_frameArena_closeableBuffer`"
                + " the view over a buffer of a confined arena, which it may not re-scope, so it serves blocks"
                + " from an arena of its own; `bufalloc_checked` a checked allocator over `Arena.ofAuto()` memory"
                + " (a confined arena per block, 160 poisoned bytes per reset): those rows are what the safety"
                + " features cost."
                + " `segmentStack` is LWJGL 3.4's `SegmentStack`, an FFM stack whose blocks are bounds-checked segments"
                + " like bufalloc's: the like-for-like peer, with LWJGL's checks off (one compare for stack overflow)."
                + " `lwjgl` is LWJGL's `MemoryStack`, whose `nmalloc` returns a raw address written with `memPutLong` (no checks, with"
                + " `-Dorg.lwjgl.util.NoChecks=true`); `lwjgl_buffer` uses its checked API, `malloc`, which"
                + " returns a bounds-checked `ByteBuffer`. The others return segments whose writes are bounds-"
                + " and thread-checked. The buffer here comes from a confined arena. The slicing allocator"
                + " is a local made anew per frame.")
public class FrameBenchmark extends NativeMemoryBenchmark {

    private static final int BLOCKS = 10;

    private BufferAllocator buffer;
    private BufferAllocator autoBuffer;
    private BufferAllocator checked;
    private MemorySegment slab;
    private MemoryStack stack;
    private SegmentStack segmentStack;

    /** Makes a 4 KiB buffer, slab and stack. */
    @Setup
    public void setUp() {
        buffer = nativeBuffer(4096);
        // Memory only the GC frees: the Arena view sees it through its own scope, checked mode scopes each block.
        autoBuffer = closeLater(BufferAllocator.withoutFallback(Arena.ofAuto().allocate(4096, 64)));
        checked = closeLater(BufferAllocator.ofChecked(Arena.ofAuto().allocate(4096, 64)));
        slab = nativeMemory(4096);
        stack = MemoryStack.create(4096);
        segmentStack = SegmentStack.create(nativeMemory(4096));
    }

    /** The buffer allocator's whole-buffer reset ends the frame. */
    @Benchmark
    public void bufalloc() {
        for (int i = 0; i < BLOCKS; i++) {
            buffer.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
        }
        buffer.reset();
    }

    /** A frame pushed and closed with nothing in it: what a frame itself costs. */
    @Benchmark
    public void bufalloc_emptyFrame() {
        buffer.push().close();
    }

    /** {@code SegmentStack}'s push and pop with nothing in between. */
    @Benchmark
    public void segmentStack_emptyFrame() {
        segmentStack.push().close();
    }

    /** A frame pushed and closed: the rewind frees the 10 blocks and nothing older. */
    @Benchmark
    public void bufalloc_frame() {
        try (Frame frame = buffer.push()) {
            for (int i = 0; i < BLOCKS; i++) {
                frame.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
            }
        }
    }

    /**
     * The frame's Arena view over a buffer only the GC frees: the blocks are the buffer's, seen through a scope
     * that ends with the frame (a JDK confined arena per frame, a reinterpret per block).
     */
    @Benchmark
    public void bufalloc_frameArena() {
        try (Arena frame = autoBuffer.push().asArena()) {
            for (int i = 0; i < BLOCKS; i++) {
                frame.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
            }
        }
    }

    /**
     * The frame's Arena view over a buffer of a confined arena, which its owner may close: re-scoping it would
     * be unsafe, so the view serves the blocks from its own confined arena (a malloc and zeroing per block).
     */
    @Benchmark
    public void bufalloc_frameArena_closeableBuffer() {
        try (Arena frame = buffer.push().asArena()) {
            for (int i = 0; i < BLOCKS; i++) {
                frame.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
            }
        }
    }

    /** A checked allocator, reset per frame: each reset ends a generation's scope and poisons the bytes. */
    @Benchmark
    public void bufalloc_checked() {
        for (int i = 0; i < BLOCKS; i++) {
            checked.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
        }
        checked.reset();
    }

    /** LWJGL 3.4's FFM stack: push, 10 segments, pop (its close). */
    @Benchmark
    public void segmentStack() {
        try (SegmentStack frame = segmentStack.push()) {
            for (int i = 0; i < BLOCKS; i++) {
                frame.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
            }
        }
    }

    /** LWJGL's MemoryStack: push, 10 nmalloc, pop. */
    @Benchmark
    public void lwjgl() {
        stack.push();
        for (int i = 0; i < BLOCKS; i++) {
            MemoryUtil.memPutLong(stack.nmalloc((int) BLOCK_ALIGNMENT, (int) BLOCK_SIZE), i);
        }
        stack.pop();
    }

    /** A confined arena per frame: 10 zeroed mallocs and 10 frees. */
    @Benchmark
    public void lwjgl_buffer() {
        stack.push();
        for (int i = 0; i < BLOCKS; i++) {
            stack.malloc((int) BLOCK_ALIGNMENT, (int) BLOCK_SIZE).putLong(0, i);
        }
        stack.pop();
    }

    @Benchmark
    public void arena() {
        try (Arena confined = Arena.ofConfined()) {
            for (int i = 0; i < BLOCKS; i++) {
                confined.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
            }
        }
    }

    /** A slicing allocator over the same slab, made anew per frame. */
    @Benchmark
    public void slicing() {
        SegmentAllocator slicing = SegmentAllocator.slicingAllocator(slab);
        for (int i = 0; i < BLOCKS; i++) {
            slicing.allocate(BLOCK_SIZE, BLOCK_ALIGNMENT).set(JAVA_LONG, 0, i);
        }
    }
}
