package dev.bufalloc.bench;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.Frame;
import dev.bufalloc.Scratch;
import org.lwjgl.system.SegmentStack;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Scenario (h), of issue 11: the {@code SegmentAllocator} methods a caller of an FFM binding uses, in a
 * frame, against LWJGL 3.4's {@code SegmentStack}, an FFM stack that hands out segments. Three
 * operations, one per variant:
 * <ul>
 *   <li>{@code _ints}: {@code allocate(JAVA_INT, 16)}, one element written;</li>
 *   <li>{@code _bytes}: {@code allocateFrom(JAVA_BYTE, byte[48])};</li>
 *   <li>{@code _downcall}: the same, a NUL-terminated string, passed to the C library's {@code strlen}.</li>
 * </ul>
 * The {@code bufalloc_<variant>} row pushes and closes a {@link Frame}; {@code bufalloc_<variant>Reset}
 * resets a confined buffer instead, {@code bufalloc_<variant>Shared} a shared one, and
 * {@code bufalloc_<variant>Scratch} pushes a {@link Scratch} frame: every bufalloc allocator should show
 * 0 B/op.
 */
@State(Scope.Thread)
@Scenario(letter = "h", title = "Typed and array allocations in a frame",
        operation = "open a frame, `allocate(JAVA_INT, 16)` (`_ints`) or `allocateFrom(JAVA_BYTE, byte[48])`"
                + " (`_bytes`, and `_downcall` which passes it to `strlen`), close the frame",
        notes = "`segmentStack` is LWJGL 3.4's `SegmentStack` (push, allocate, pop), run with LWJGL's checks off"
                + " (`-Dorg.lwjgl.util.NoChecks=true`: its only check on this path is one compare for stack"
                + " overflow). Its `allocate(MemoryLayout, long)` is the JDK's, which builds a `SequenceLayout`"
                + " per call and leaves it to escape analysis to remove; bufalloc's `Allocator` computes the size"
                + " instead, so its 0 B/op does not depend on what C2 inlines. `bufalloc_*Reset` and"
                + " `bufalloc_*Shared` reset a confined or shared buffer instead of closing a frame;"
                + " `bufalloc_*Scratch` pushes a frame on the thread's scratch buffer (`Scratch.push()`), which"
                + " borrows it from a pool per outermost frame. The slicing allocator is made anew per frame"
                + " (a local); the arena is a confined arena per frame, whose memory is zeroed.")
public class TypedAllocationBenchmark extends NativeMemoryBenchmark {

    private static final int INTS = 16;

    @SuppressWarnings("restricted")   // a downcall: the forks run with --enable-native-access
    private static final MethodHandle STRLEN = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("strlen").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, ADDRESS));

    /** 48 bytes; for {@code _downcall}, a 47-character C string and its NUL. Not final: the JIT must not fold it. */
    private byte[] bytes;
    private int value;
    private BufferAllocator buffer;
    private BufferAllocator shared;
    private SegmentStack stack;
    private MemorySegment slab;

    /** Makes 4 KiB buffers, slab and stack, and the 48 bytes. */
    @Setup
    public void setUp() {
        bytes = Arrays.copyOf("The quick brown fox jumps over the lazy dog, 47".getBytes(StandardCharsets.US_ASCII), 48);
        buffer = nativeBuffer(4096);
        shared = closeLater(BufferAllocator.sharedWithoutFallback(nativeMemory(4096)));
        stack = SegmentStack.create(nativeMemory(4096));
        slab = nativeMemory(4096);
    }

    // ---- allocate(JAVA_INT, 16) ------------------------------------------------------------------

    /** A frame pushed and closed around the allocation. */
    @Benchmark
    public void bufalloc_ints() {
        try (Frame frame = buffer.push()) {
            frame.allocate(JAVA_INT, INTS).setAtIndex(JAVA_INT, INTS - 1, value++);
        }
    }

    /** The confined buffer reset after the allocation. */
    @Benchmark
    public void bufalloc_intsReset() {
        buffer.allocate(JAVA_INT, INTS).setAtIndex(JAVA_INT, INTS - 1, value++);
        buffer.reset();
    }

    /** The shared buffer reset after the allocation. */
    @Benchmark
    public void bufalloc_intsShared() {
        shared.allocate(JAVA_INT, INTS).setAtIndex(JAVA_INT, INTS - 1, value++);
        shared.reset();
    }

    /** A scratch frame pushed and closed around the allocation. */
    @Benchmark
    public void bufalloc_intsScratch() {
        try (Frame frame = Scratch.push()) {
            frame.allocate(JAVA_INT, INTS).setAtIndex(JAVA_INT, INTS - 1, value++);
        }
    }

    /** LWJGL's SegmentStack: push, allocate, pop. */
    @Benchmark
    public void segmentStack_ints() {
        try (SegmentStack frame = stack.push()) {
            frame.allocate(JAVA_INT, INTS).setAtIndex(JAVA_INT, INTS - 1, value++);
        }
    }

    /** A confined arena per frame. */
    @Benchmark
    public void arena_ints() {
        try (Arena frame = Arena.ofConfined()) {
            frame.allocate(JAVA_INT, INTS).setAtIndex(JAVA_INT, INTS - 1, value++);
        }
    }

    /** A slicing allocator made anew per frame. */
    @Benchmark
    public void slicing_ints() {
        SegmentAllocator.slicingAllocator(slab).allocate(JAVA_INT, INTS).setAtIndex(JAVA_INT, INTS - 1, value++);
    }

    // ---- allocateFrom(JAVA_BYTE, byte[48]) -------------------------------------------------------

    /** A frame pushed and closed around the copy. */
    @Benchmark
    public void bufalloc_bytes() {
        try (Frame frame = buffer.push()) {
            frame.allocateFrom(JAVA_BYTE, bytes);
        }
    }

    /** The confined buffer reset after the copy. */
    @Benchmark
    public void bufalloc_bytesReset() {
        buffer.allocateFrom(JAVA_BYTE, bytes);
        buffer.reset();
    }

    /** The shared buffer reset after the copy. */
    @Benchmark
    public void bufalloc_bytesShared() {
        shared.allocateFrom(JAVA_BYTE, bytes);
        shared.reset();
    }

    /** A scratch frame pushed and closed around the copy. */
    @Benchmark
    public void bufalloc_bytesScratch() {
        try (Frame frame = Scratch.push()) {
            frame.allocateFrom(JAVA_BYTE, bytes);
        }
    }

    /** LWJGL's SegmentStack: push, allocateFrom, pop. */
    @Benchmark
    public void segmentStack_bytes() {
        try (SegmentStack frame = stack.push()) {
            frame.allocateFrom(JAVA_BYTE, bytes);
        }
    }

    /** A confined arena per frame. */
    @Benchmark
    public void arena_bytes() {
        try (Arena frame = Arena.ofConfined()) {
            frame.allocateFrom(JAVA_BYTE, bytes);
        }
    }

    /** A slicing allocator made anew per frame. */
    @Benchmark
    public void slicing_bytes() {
        SegmentAllocator.slicingAllocator(slab).allocateFrom(JAVA_BYTE, bytes);
    }

    // ---- allocateFrom(JAVA_BYTE, byte[48]) passed to strlen --------------------------------------

    /** @return the length @throws Throwable never */
    @Benchmark
    public long bufalloc_downcall() throws Throwable {
        try (Frame frame = buffer.push()) {
            return (long) STRLEN.invokeExact(frame.allocateFrom(JAVA_BYTE, bytes));
        }
    }

    /** @return the length @throws Throwable never */
    @Benchmark
    public long bufalloc_downcallScratch() throws Throwable {
        try (Frame frame = Scratch.push()) {
            return (long) STRLEN.invokeExact(frame.allocateFrom(JAVA_BYTE, bytes));
        }
    }

    /** @return the length @throws Throwable never */
    @Benchmark
    public long segmentStack_downcall() throws Throwable {
        try (SegmentStack frame = stack.push()) {
            return (long) STRLEN.invokeExact(frame.allocateFrom(JAVA_BYTE, bytes));
        }
    }

    /** @return the length @throws Throwable never */
    @Benchmark
    public long arena_downcall() throws Throwable {
        try (Arena frame = Arena.ofConfined()) {
            return (long) STRLEN.invokeExact(frame.allocateFrom(JAVA_BYTE, bytes));
        }
    }

    /** @return the length @throws Throwable never */
    @Benchmark
    public long slicing_downcall() throws Throwable {
        return (long) STRLEN.invokeExact(SegmentAllocator.slicingAllocator(slab).allocateFrom(JAVA_BYTE, bytes));
    }
}
