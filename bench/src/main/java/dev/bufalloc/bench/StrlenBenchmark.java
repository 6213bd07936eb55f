package dev.bufalloc.bench;

import dev.bufalloc.BufferAllocator;
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

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Scenario (d): a downcall to the C library's {@code strlen} whose Java string is converted to a
 * C string on every call, in a buffer then reset (bufalloc), in a prefix allocator (JDK), in a
 * confined arena per call (JDK), or not at all (a constant converted once: the floor).
 */
@State(Scope.Thread)
@Scenario(letter = "d", title = "strlen downcall, Java string converted per call",
        operation = "convert a 44-char string to a C string, call strlen",
        notes = "`constant` converts nothing: the gap between it and the others is the conversion.")
public class StrlenBenchmark extends NativeMemoryBenchmark {

    @SuppressWarnings("restricted")   // a downcall: the forks run with --enable-native-access
    private static final MethodHandle STRLEN = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("strlen").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, ADDRESS));

    /** Not final, so that the JIT cannot fold the conversion. */
    private String text = "The quick brown fox jumps over the lazy dog.";
    private BufferAllocator buffer;
    private SegmentAllocator prefix;
    private MemorySegment constant;

    /** Makes a 256-byte buffer and prefix region, and the pre-converted string. */
    @Setup
    public void setUp() {
        buffer = nativeBuffer(256);
        prefix = SegmentAllocator.prefixAllocator(nativeMemory(256));
        constant = nativeMemory(256);
        constant.setString(0, text);
    }

    /** @return the length @throws Throwable never */
    @Benchmark
    public long bufalloc() throws Throwable {
        long length = (long) STRLEN.invokeExact(buffer.allocateFrom(text));
        buffer.reset();
        return length;
    }

    /** @return the length @throws Throwable never */
    @Benchmark
    public long prefix() throws Throwable {
        return (long) STRLEN.invokeExact(prefix.allocateFrom(text));
    }

    /** @return the length @throws Throwable never */
    @Benchmark
    public long arena() throws Throwable {
        try (Arena perCall = Arena.ofConfined()) {
            return (long) STRLEN.invokeExact(perCall.allocateFrom(text));
        }
    }

    /** @return the length @throws Throwable never */
    @Benchmark
    public long constant() throws Throwable {
        return (long) STRLEN.invokeExact(constant);
    }
}
