package dev.bufalloc.micrometer.snippets;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.Frame;
import dev.bufalloc.Scratch;
import dev.bufalloc.micrometer.BufferAllocatorMetrics;
import dev.bufalloc.micrometer.ScratchMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * The snippets of the Javadoc of package {@code dev.bufalloc.micrometer}, compiled with the tests and run by
 * {@code SnippetsTest}. The Javadoc shows each region ({@code @start region="..."} to {@code @end}) as it is
 * here.
 */
public final class MicrometerSnippets {

    private MicrometerSnippets() {}

    /**
     * The package's overview: an allocator's meters and the scratch pool's, bound to the application's registry.
     * {@return the allocator, closed: the meters hold it weakly, so a caller reading them keeps it}
     */
    public static BufferAllocator packageOverview(MeterRegistry registry) {
        // @start region="package"
        new ScratchMetrics().bindTo(registry);   // once per registry
        try (Arena arena = Arena.ofConfined();
             BufferAllocator parser = BufferAllocator.of(arena.allocate(4096)).named("parser")) {
            new BufferAllocatorMetrics(parser).bindTo(registry);   // tagged name=parser
            parser.allocate(100);   // bufalloc.buffer.used{name=parser} = 100
            // @end
            return parser;
        }
    }

    /**
     * {@link BufferAllocatorMetrics}: a per-request allocator whose fallback the registry counts.
     * {@return the allocator, closed: the meters hold it weakly, so a caller reading them keeps it}
     */
    public static BufferAllocator bufferAllocatorMetrics(MeterRegistry registry, List<String> requests) {
        // @start region="BufferAllocatorMetrics"
        try (Arena arena = Arena.ofConfined();
             BufferAllocator scratch = BufferAllocator.of(arena.allocate(256)).named("request-scratch")) {
            new BufferAllocatorMetrics(scratch, Tags.of("service", "ingest")).bindTo(registry);
            for (String request : requests) {
                scratch.allocateFrom(request);   // a request over 255 bytes: bufalloc.buffer.fallback.allocations + 1
                scratch.reset();
            }
            // @end
            return scratch;
        }
    }

    /** {@link ScratchMetrics}: the scratch pool's meters, then a frame on this thread's scratch memory. */
    public static void scratchMetrics(MeterRegistry registry) {
        // @start region="ScratchMetrics"
        new ScratchMetrics(Tags.of("service", "ingest")).bindTo(registry);
        try (Frame frame = Scratch.push()) {   // borrows an idle buffer, or makes one: bufalloc.scratch.buffers.made + 1
            frame.allocateFrom("scratch");
        }
        // @end
    }
}
