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
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Scenario (i), of issue 11: small native calls where the allocation is a visible part of the call, as a
 * program makes them. Two workloads, one per variant:
 * <ul>
 *   <li>{@code _crc32}: a message of 8 to 64 bytes (eight sizes in turn) copied into native memory with
 *       {@code allocateFrom(JAVA_BYTE, byte[])}, and zlib's {@code crc32} of it;</li>
 *   <li>{@code _stat}: a path converted to a C string with {@code allocateFrom(String)}, a {@code struct stat}
 *       allocated, the C library's {@code stat} called, and {@code st_size} read.</li>
 * </ul>
 * Each against an {@code Arena.ofConfined()} per call, LWJGL 3.4's {@code SegmentStack}, a slicing
 * allocator made anew per call, a bufalloc buffer reset per call ({@code bufalloc_<variant>Reset}), a
 * bufalloc frame ({@code bufalloc_<variant>}), and a {@link Scratch} frame ({@code bufalloc_<variant>Scratch}).
 * {@code constant_<variant>} passes memory filled once: the call alone, the floor.
 *
 * <p>{@code struct stat} is that of glibc on x86-64 Linux (144 bytes); the set-up checks that {@code stat}
 * agrees with {@link Files#size}, and refuses to run elsewhere.
 */
@State(Scope.Thread)
@Scenario(letter = "i", title = "Workloads: zlib crc32 of 8-64 B, stat() of a path",
        operation = "`_crc32`: copy an 8-64-byte message to native memory, call zlib's `crc32`;"
                + " `_stat`: convert a path (the JDK's `release` file) to a C string, allocate a 144-byte `struct stat`,"
                + " call `stat`, read `st_size`; all in one frame, arena or reset",
        notes = "`bufalloc` pushes and closes a `Frame`; `bufalloc_*Reset` resets a buffer instead;"
                + " `bufalloc_*Scratch` pushes a frame on the thread's scratch buffer (`Scratch.push()`)."
                + " `segmentStack` is LWJGL 3.4's `SegmentStack` (push, allocate, pop; checks off); `slicing`"
                + " a slicing allocator made anew per call; `arena` a confined arena per call, whose memory is"
                + " zeroed; `constant` passes native memory filled once, so it shows the call alone."
                + " `stat` goes to the kernel, so its rows are dominated by the system call.")
public class NativeCallWorkloadBenchmark extends NativeMemoryBenchmark {

    /** glibc's {@code struct stat} on x86-64 Linux. */
    static final StructLayout STAT = MemoryLayout.structLayout(
            JAVA_LONG.withName("st_dev"), JAVA_LONG.withName("st_ino"), JAVA_LONG.withName("st_nlink"),
            JAVA_INT.withName("st_mode"), JAVA_INT.withName("st_uid"), JAVA_INT.withName("st_gid"),
            MemoryLayout.paddingLayout(4), JAVA_LONG.withName("st_rdev"), JAVA_LONG.withName("st_size"),
            JAVA_LONG.withName("st_blksize"), JAVA_LONG.withName("st_blocks"),
            MemoryLayout.sequenceLayout(6, JAVA_LONG).withName("st_times"),   // st_atim, st_mtim, st_ctim
            MemoryLayout.sequenceLayout(3, JAVA_LONG).withName("reserved"));
    private static final long ST_SIZE = STAT.byteOffset(groupElement("st_size"));

    private static final MethodHandle CRC32;
    private static final MethodHandle STAT_CALL;

    static {
        Linker linker = Linker.nativeLinker();
        @SuppressWarnings("restricted")   // the forks run with --enable-native-access
        SymbolLookup zlib = SymbolLookup.libraryLookup("libz.so.1", Arena.global());
        CRC32 = downcall(linker, zlib.find("crc32").orElseThrow(),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT));
        STAT_CALL = downcall(linker, linker.defaultLookup().find("stat").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    @SuppressWarnings("restricted")
    private static MethodHandle downcall(Linker linker, MemorySegment function, FunctionDescriptor descriptor) {
        return linker.downcallHandle(function, descriptor);
    }

    private static final int MESSAGES = 8;

    private byte[][] messages;
    private MemorySegment[] constantMessages;
    private int next;
    /** Not final, so that the JIT cannot fold the conversion. */
    private String path;
    private MemorySegment constantPath;
    private MemorySegment constantStat;
    private BufferAllocator buffer;
    private SegmentStack stack;
    private MemorySegment slab;

    /**
     * Makes the messages, 4 KiB buffers, slab and stack, and checks both calls against Java's answers.
     *
     * @throws Throwable if a call fails, or disagrees with Java
     */
    @Setup
    public void setUp() throws Throwable {
        if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                || !System.getProperty("os.arch").equals("amd64")) {
            throw new IllegalStateException("struct stat is laid out for x86-64 Linux only");
        }
        SplittableRandom random = new SplittableRandom(11);
        messages = new byte[MESSAGES][];
        constantMessages = new MemorySegment[MESSAGES];
        for (int i = 0; i < MESSAGES; i++) {
            messages[i] = new byte[8 * (i + 1)];   // 8, 16, ..., 64 bytes
            random.nextBytes(messages[i]);
            constantMessages[i] = nativeMemory(messages[i].length);
            constantMessages[i].copyFrom(MemorySegment.ofArray(messages[i]));
        }
        path = Path.of(System.getProperty("java.home"), "release").toString();
        constantPath = nativeMemory(path.length() + 1);
        constantPath.setString(0, path);
        constantStat = nativeMemory(STAT.byteSize());
        buffer = nativeBuffer(4096);
        stack = SegmentStack.create(nativeMemory(4096));
        slab = nativeMemory(4096);

        CRC32 java = new CRC32();
        java.update(messages[0]);
        next = 0;
        if (bufalloc_crc32Reset() != java.getValue() || crc32(constantMessages[0]) != java.getValue()) {
            throw new IllegalStateException("zlib's crc32 disagrees with java.util.zip.CRC32");
        }
        if (constant_stat() != Files.size(Path.of(path))) {
            throw new IllegalStateException("stat's st_size disagrees with Files.size: is struct stat laid out right?");
        }
        next = 0;
    }

    private byte[] nextMessage() {
        return messages[next++ & (MESSAGES - 1)];
    }

    private static long crc32(MemorySegment message) throws Throwable {
        return (long) CRC32.invokeExact(0L, message, (int) message.byteSize());
    }

    /** {@code st_size}, or -1 if {@code stat} failed. */
    private static long stat(MemorySegment path, MemorySegment stat) throws Throwable {
        int result = (int) STAT_CALL.invokeExact(path, stat);
        return result == 0 ? stat.get(JAVA_LONG, ST_SIZE) : -1;
    }

    // ---- crc32 ------------------------------------------------------------------------------------

    /** @return the checksum @throws Throwable never */
    @Benchmark
    public long bufalloc_crc32() throws Throwable {
        try (Frame frame = buffer.push()) {
            return crc32(frame.allocateFrom(JAVA_BYTE, nextMessage()));
        }
    }

    /** @return the checksum @throws Throwable never */
    @Benchmark
    public long bufalloc_crc32Reset() throws Throwable {
        long crc = crc32(buffer.allocateFrom(JAVA_BYTE, nextMessage()));
        buffer.reset();
        return crc;
    }

    /** @return the checksum @throws Throwable never */
    @Benchmark
    public long bufalloc_crc32Scratch() throws Throwable {
        try (Frame frame = Scratch.push()) {
            return crc32(frame.allocateFrom(JAVA_BYTE, nextMessage()));
        }
    }

    /** @return the checksum @throws Throwable never */
    @Benchmark
    public long segmentStack_crc32() throws Throwable {
        try (SegmentStack frame = stack.push()) {
            return crc32(frame.allocateFrom(JAVA_BYTE, nextMessage()));
        }
    }

    /** @return the checksum @throws Throwable never */
    @Benchmark
    public long slicing_crc32() throws Throwable {
        return crc32(SegmentAllocator.slicingAllocator(slab).allocateFrom(JAVA_BYTE, nextMessage()));
    }

    /** @return the checksum @throws Throwable never */
    @Benchmark
    public long arena_crc32() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            return crc32(arena.allocateFrom(JAVA_BYTE, nextMessage()));
        }
    }

    /** @return the checksum @throws Throwable never */
    @Benchmark
    public long constant_crc32() throws Throwable {
        return crc32(constantMessages[next++ & (MESSAGES - 1)]);
    }

    // ---- stat -------------------------------------------------------------------------------------

    /** @return the file's size @throws Throwable never */
    @Benchmark
    public long bufalloc_stat() throws Throwable {
        try (Frame frame = buffer.push()) {
            return stat(frame.allocateFrom(path), frame.allocate(STAT));
        }
    }

    /** @return the file's size @throws Throwable never */
    @Benchmark
    public long bufalloc_statReset() throws Throwable {
        long size = stat(buffer.allocateFrom(path), buffer.allocate(STAT));
        buffer.reset();
        return size;
    }

    /** @return the file's size @throws Throwable never */
    @Benchmark
    public long bufalloc_statScratch() throws Throwable {
        try (Frame frame = Scratch.push()) {
            return stat(frame.allocateFrom(path), frame.allocate(STAT));
        }
    }

    /** @return the file's size @throws Throwable never */
    @Benchmark
    public long segmentStack_stat() throws Throwable {
        try (SegmentStack frame = stack.push()) {
            return stat(frame.allocateFrom(path), frame.allocate(STAT));
        }
    }

    /** @return the file's size @throws Throwable never */
    @Benchmark
    public long slicing_stat() throws Throwable {
        SegmentAllocator slicing = SegmentAllocator.slicingAllocator(slab);
        return stat(slicing.allocateFrom(path), slicing.allocate(STAT));
    }

    /** @return the file's size @throws Throwable never */
    @Benchmark
    public long arena_stat() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            return stat(arena.allocateFrom(path), arena.allocate(STAT));
        }
    }

    /** @return the file's size @throws Throwable never */
    @Benchmark
    public long constant_stat() throws Throwable {
        return stat(constantPath, constantStat);
    }
}
