package dev.bufalloc.snippets;

import dev.bufalloc.Allocator;
import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;
import dev.bufalloc.Frame;
import dev.bufalloc.Scratch;
import dev.bufalloc.ScratchStatistics;
import dev.bufalloc.system.MallocAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * The snippets of the Javadoc of package {@code dev.bufalloc}, compiled with the tests and run by
 * {@link SnippetsTest}. The Javadoc shows each region ({@code @start region="..."} to {@code @end}) as it
 * is here; what a region uses but does not define (a downcall handle, the list it loops over, the method
 * it calls) is defined around it, so that every name the reader sees is real.
 *
 * <p>The downcalls are real: code here may use the {@link Linker} (it is test code: RestrictedCallsTest
 * scans the core's main sources only).
 */
@SuppressWarnings("restricted")
final class CoreSnippets {

    private CoreSnippets() {}

    private static final Linker LINKER = Linker.nativeLinker();

    /** C's {@code size_t strlen(const char *s)}. */
    static final MethodHandle STRLEN = LINKER.downcallHandle(LINKER.defaultLookup().find("strlen").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));

    /** C's {@code int open(const char *path, int flags, ...)}, called without a mode. */
    static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));

    /** The package's overview: one buffer, reused for every string passed to a native function. */
    static void packageOverview() throws Throwable {
        // @start region="package"
        MethodHandle strlen = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().find("strlen").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined();
             BufferAllocator scratch = BufferAllocator.of(arena.allocate(256))) {
            for (String word : List.of("hello", "bufalloc")) {
                long length = (long) strlen.invokeExact(scratch.allocateFrom(word));
                scratch.reset();   // the next string reuses the same bytes
            }
        }
        // @end
    }

    /**
     * {@link Allocator}: an implementation, used over {@code base}: a 16-byte block grown to 48, then freed.
     * {@return what the implementation counted after the growth, and after the free}
     */
    static long[] allocator(Allocator base) {
        // @start region="Allocator"
        // An allocator that counts what it hands out, over any other allocator.
        final class Counting implements Allocator {
            private final Allocator inner;
            long bytes;
            Counting(Allocator inner) { this.inner = inner; }
            public MemorySegment allocate(long byteSize, long byteAlignment) {
                MemorySegment s = inner.allocate(byteSize, byteAlignment);
                bytes += byteSize;
                return s;
            }
            public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
                MemorySegment s = inner.reallocate(segment, newByteSize, byteAlignment);
                bytes += newByteSize - segment.byteSize();
                return s;
            }
            public void free(MemorySegment segment) {
                bytes -= segment.byteSize();
                inner.free(segment);
            }
        }
        // @end
        Counting counting = new Counting(base);
        MemorySegment block = counting.reallocate(counting.allocate(16, 8), 48, 8);
        long grown = counting.bytes;
        counting.free(block);
        return new long[] {grown, counting.bytes};
    }

    /** {@link BufferAllocator}'s class comment: a C string per line, in the same bytes each time. */
    static void bufferAllocator(List<String> lines) throws Throwable {
        // @start region="BufferAllocator"
        try (Arena arena = Arena.ofConfined();
             BufferAllocator scratch = BufferAllocator.of(arena.allocate(4096))) {
            for (String line : lines) {
                MemorySegment cLine = scratch.allocateFrom(line);   // in the buffer: no malloc, no Arena
                long n = (long) STRLEN.invokeExact(cLine);
                scratch.reset();                                   // the whole buffer is free again
            }
        }
        // @end
    }

    /**
     * {@link BufferAllocator#ofGrowing(MemorySegment, dev.bufalloc.Allocator)}: requests of any size in a small
     * buffer; returns the fallback calls per request, which stop once the chunks are big enough.
     */
    static long[] ofGrowing(List<String> requests) {
        long[] fallbackCalls = new long[requests.size()];
        // @start region="ofGrowing"
        try (Arena arena = Arena.ofConfined();
             BufferAllocator scratch = BufferAllocator.ofGrowing(arena.allocate(1024), MallocAllocator.instance())) {
            for (int i = 0; i < requests.size(); i++) {
                long before = scratch.statistics().fallbackCount();
                try (Frame request = scratch.push()) {
                    for (String word : requests.get(i).split(" ")) {
                        request.allocateFrom(word);   // the buffer, then chunks: kept for the next request
                    }
                }
                fallbackCalls[i] = scratch.statistics().fallbackCount() - before;
            }
        }   // close() gives the chunks back
        // @end
        return fallbackCalls;
    }

    /** A piece of work for {@link #process}. */
    record Item(String name) {}

    /** Works on {@code item} with memory of {@code shared}, on any thread. */
    static void process(Item item, BufferAllocator shared) {
        MemorySegment name = shared.allocateFrom(item.name());
        if (!name.getString(0).equals(item.name())) {
            throw new AssertionError("another thread wrote over " + item);
        }
    }

    /** {@link BufferAllocator#ofShared(MemorySegment)}: workers share one buffer. */
    static void ofShared(List<Item> items) {
        // @start region="BufferAllocator.ofShared"
        try (Arena arena = Arena.ofShared();
             BufferAllocator shared = BufferAllocator.ofShared(arena.allocate(1 << 20))) {
            try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Item item : items) {
                    executor.submit(() -> process(item, shared));   // every thread allocates from the buffer
                }
            }   // all workers done: now reset() or close() is allowed
            shared.reset();
        }
        // @end
    }

    /** {@link BufferAllocator#push()}: temporary memory in a frame. */
    static void push(BufferAllocator allocator) {
        // @start region="BufferAllocator.push"
        try (Frame frame = allocator.push()) {
            MemorySegment tmp = frame.allocate(ValueLayout.JAVA_INT, 100);
            // ...
        }   // the 400 bytes are free again; blocks allocated before the frame are untouched
        // @end
    }

    /** A request for {@link #handle}. */
    record Request(String body) {}

    /** Handles {@code r} with temporary memory of {@code scratch}. */
    static void handle(Request r, Allocator scratch) {
        scratch.allocateFrom(r.body());
    }

    /** {@link BufferStatistics}: sizing a buffer from a workload. */
    static void bufferStatistics(List<Request> requests) {
        // @start region="BufferStatistics"
        try (BufferAllocator scratch = BufferAllocator.of(Arena.global().allocate(4096))) {
            for (Request r : requests) {
                handle(r, scratch);
                scratch.reset();
            }
            BufferStatistics s = scratch.statistics();
            if (s.fallbackCount() > 0) {
                long suggested = Long.highestOneBit(s.peakDemand()) << 1;   // a power of two above the peak
                System.out.println("buffer too small: try " + suggested + " bytes");
            }
        }
        // @end
    }

    /** A workload that overflows a 4096-byte buffer: two blocks of 3000 bytes. */
    static void runWorkload(BufferAllocator scratch) {
        scratch.allocate(3000);
        scratch.allocate(3000);
    }

    /** {@link dev.bufalloc.OverflowSite}: who overflowed the buffer. */
    static void overflowSite(Arena arena) {
        // @start region="OverflowSite"
        BufferAllocator scratch = BufferAllocator.ofChecked(arena.allocate(4096));
        runWorkload(scratch);
        scratch.overflowSites().forEach(site ->
                System.out.println(site.callSite() + ": " + site.count() + " blocks, " + site.bytes() + " bytes"));
        // @end
        scratch.close();
    }

    /** Uses a name for a while, with the run's configuration. */
    static void use(MemorySegment config, MemorySegment name) {
        if (config.getString(0).isEmpty() || name.byteSize() == 0) {
            throw new AssertionError();
        }
    }

    /** {@link Frame}'s class comment: memory for the whole run, and memory for one step. */
    static void frame(Arena arena, List<String> names) {
        // @start region="Frame"
        try (BufferAllocator scratch = BufferAllocator.of(arena.allocate(64 * 1024))) {
            MemorySegment config = scratch.allocateFrom("kept for the whole run");
            for (String name : names) {
                try (Frame frame = scratch.push()) {
                    MemorySegment cName = frame.allocateFrom(name);    // freed when the frame closes
                    use(config, cName);
                }
            }
        }
        // @end
    }

    /** An API that takes an {@link Arena}. */
    static void callSomethingThatWantsAnArena(Arena arena) {
        arena.allocate(ValueLayout.JAVA_LONG, 4);
    }

    /** {@link Frame#asArena()}: a frame for an API that wants an {@code Arena}. */
    static void asArena(BufferAllocator allocator) {
        // @start region="Frame.asArena"
        try (Arena arena = allocator.push().asArena()) {
            MemorySegment name = arena.allocateFrom("temporary");
            callSomethingThatWantsAnArena(arena);
        }   // name.getString(0) now throws IllegalStateException
        // @end
    }

    /** {@link Scratch}: a C string for a native call, in this thread's scratch buffer. */
    static void scratch() throws Throwable {
        // @start region="Scratch"
        try (Frame frame = Scratch.push()) {
            MemorySegment path = frame.allocateFrom("/tmp/data");    // no malloc, no Arena
            int fd = (int) OPEN.invokeExact(path, 0);
        }   // the bytes are free again, and the buffer goes back to the pool
        // @end
    }

    /** {@link Scratch#statistics()}: the pool's numbers, for a log line or a metrics gauge. */
    static String scratchStatistics() {
        // @start region="Scratch.statistics"
        ScratchStatistics pool = Scratch.statistics();
        String line = pool.idleBuffers() + " of " + pool.poolSlots() + " scratch buffers idle, "
                + pool.buffersMade() + " made since start";
        // @end
        return line;
    }

    /**
     * {@link ScratchStatistics}: does the pool keep enough buffers for a burst of threads?
     * {@return how many buffers the burst made}
     */
    static long scratchBurst(int threads) throws InterruptedException {
        // @start region="ScratchStatistics"
        long before = Scratch.statistics().buffersMade();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < threads; i++) {
                executor.submit(() -> {
                    try (Frame frame = Scratch.push()) {
                        frame.allocate(1024);
                        Thread.sleep(10);   // every thread holds its frame at once
                    }
                    return null;
                });
            }
        }
        long made = Scratch.statistics().buffersMade() - before;   // 0 once the pool keeps enough buffers
        // @end
        return made;
    }
}
