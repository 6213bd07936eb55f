package dev.bufalloc.micrometer.snippets;

import dev.bufalloc.BufferAllocator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the Javadoc's snippets and checks that every {@code {@snippet}} of the main sources shows a region of
 * {@link MicrometerSnippets} that exists, once (javac does not resolve external snippets; see the core's
 * SnippetTagsTest).
 */
class SnippetsTest {

    private static final Path MAIN = Path.of("src", "main", "java");
    private static final Path SNIPPETS = Path.of("src", "test", "java", "dev", "bufalloc", "micrometer", "snippets",
            "MicrometerSnippets.java");
    private static final Pattern TAG = Pattern.compile(
            "\\{@snippet class=\"dev\\.bufalloc\\.micrometer\\.snippets\\.MicrometerSnippets\" region=\"([^\"]+)\"}");
    private static final Pattern REGION = Pattern.compile("//\\s*@start\\s+region\\s*=\\s*\"([^\"]+)\"");

    @Test
    void everySnippetTagShowsARegionOfMicrometerSnippetsAndEveryRegionIsShownOnce() throws IOException {
        List<String> shown;
        try (Stream<Path> files = Files.walk(MAIN)) {
            shown = files.filter(Files::isRegularFile).flatMap(file -> {
                try {
                    String text = Files.readString(file);
                    assertThat(text.split("\\{@snippet", -1).length - 1).as("%s: snippet tags of the form %s", file, TAG)
                            .isEqualTo(TAG.matcher(text).results().count());
                    return TAG.matcher(text).results().map(r -> r.group(1));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
        List<String> defined = REGION.matcher(Files.readString(SNIPPETS)).results().map(r -> r.group(1)).toList();
        assertThat(shown).hasSize(3).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(defined);
    }

    @Test
    void packageOverview() {
        MeterRegistry registry = new SimpleMeterRegistry();
        BufferAllocator parser = MicrometerSnippets.packageOverview(registry);
        assertThat(registry.get("bufalloc.buffer.used").tag("name", "parser").gauge().value())
                .isEqualTo(parser.usedBytes());
        assertThat(registry.get("bufalloc.buffer.peak.demand").tag("name", "parser").gauge().value()).isEqualTo(100);
        assertThat(registry.find("bufalloc.scratch.buffers.idle").gauge()).isNotNull();
        Reference.reachabilityFence(parser);
    }

    @Test
    void bufferAllocatorMetrics() {
        MeterRegistry registry = new SimpleMeterRegistry();
        BufferAllocator scratch = MicrometerSnippets.bufferAllocatorMetrics(registry,
                List.of("short", "x".repeat(300), "short again"));
        assertThat(registry.get("bufalloc.buffer.fallback.allocations").tags("name", "request-scratch", "service", "ingest")
                .functionCounter().count()).isEqualTo(1);
        assertThat(registry.get("bufalloc.buffer.resets").functionCounter().count()).isEqualTo(3);
        Reference.reachabilityFence(scratch);
    }

    @Test
    void scratchMetrics() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MicrometerSnippets.scratchMetrics(registry);
        assertThat(registry.get("bufalloc.scratch.buffers.made").tag("service", "ingest").functionCounter().count())
                .isPositive();
    }
}
