package dev.bufalloc.micrometer;

import dev.bufalloc.Scratch;
import dev.bufalloc.ScratchStatistics;
import dev.bufalloc.testing.ScratchThreads;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

class ScratchMetricsTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private double made() {
        return registry.get("bufalloc.scratch.buffers.made").functionCounter().count();
    }

    @Test
    void theGaugesReportThePoolsStatistics() {
        new ScratchMetrics(Tags.of("service", "ingest")).bindTo(registry);
        ScratchStatistics statistics = Scratch.statistics();
        assertThat(gauge("bufalloc.scratch.buffer.size")).isEqualTo(statistics.bufferSize());
        assertThat(gauge("bufalloc.scratch.pool.slots")).isEqualTo(statistics.poolSlots());
        assertThat(gauge("bufalloc.scratch.buffers.idle")).isEqualTo(statistics.idleBuffers());
        assertThat(made()).isEqualTo(statistics.buffersMade());
        assertThat(registry.getMeters()).hasSize(4).allSatisfy(meter -> {
            assertThat(meter.getId().getName()).startsWith("bufalloc.scratch.");
            assertThat(meter.getId().getTags()).containsExactly(Tag.of("service", "ingest"));
            assertThat(meter.getId().getDescription()).isNotBlank();
        });
        assertThat(registry.get("bufalloc.scratch.buffer.size").meter().getId().getBaseUnit()).isEqualTo("bytes");
    }

    @Test
    void theMetersFollowFramesPushedOnNewThreads() throws Exception {
        new ScratchMetrics().bindTo(registry);
        long size = Scratch.bufferSize();
        int threads = 3;
        try {
            Scratch.setBufferSize(size + 48);   // no idle buffer has this size: each thread gets a new one
            assertThat(gauge("bufalloc.scratch.buffer.size")).isEqualTo(size + 48);
            double madeBefore = made();

            ScratchThreads.holdingFrames(threads, 64, () -> {
                assertThat(made()).as("a buffer made for each thread holding a frame").isEqualTo(madeBefore + threads);
                assertThat(gauge("bufalloc.scratch.buffers.idle")).isZero();
                return null;
            });
            assertThat(gauge("bufalloc.scratch.buffers.idle")).as("given back to the pool").isEqualTo(threads);
            ScratchThreads.pushOnNewThread(64);
            assertThat(made()).as("a new thread borrows an idle buffer").isEqualTo(madeBefore + threads);
        } finally {
            Scratch.setBufferSize(size);
        }
    }

    @Test
    void nullsAreRefused() {
        assertThatNullPointerException().isThrownBy(() -> new ScratchMetrics(null));
        assertThatNullPointerException().isThrownBy(() -> new ScratchMetrics().bindTo(null));
    }
}
