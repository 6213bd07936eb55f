package dev.bufalloc.micrometer;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.ToLongFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BufferAllocatorMetricsTest {

    /** Every meter of an allocator and the statistic it reports, in the order of the class's Javadoc. */
    private static final Map<String, ToLongFunction<BufferStatistics>> METERS = new LinkedHashMap<>();

    static {
        METERS.put("bufalloc.buffer.capacity", BufferStatistics::capacity);
        METERS.put("bufalloc.buffer.used", BufferStatistics::usedBytes);
        METERS.put("bufalloc.buffer.peak.demand", BufferStatistics::peakDemand);
        METERS.put("bufalloc.buffer.fallback.allocations", BufferStatistics::fallbackCount);
        METERS.put("bufalloc.buffer.fallback.bytes", BufferStatistics::fallbackBytes);
        METERS.put("bufalloc.buffer.fallback.live.blocks", BufferStatistics::liveFallbackBlocks);
        METERS.put("bufalloc.buffer.fallback.live.bytes", BufferStatistics::liveFallbackBytes);
        METERS.put("bufalloc.buffer.chunks", BufferStatistics::chunks);
        METERS.put("bufalloc.buffer.chunks.bytes", BufferStatistics::chunkBytes);
        METERS.put("bufalloc.buffer.reallocations.in.place", BufferStatistics::inPlaceReallocations);
        METERS.put("bufalloc.buffer.copied.bytes", BufferStatistics::copiedBytes);
        METERS.put("bufalloc.buffer.resets", BufferStatistics::resets);
    }

    private final MeterRegistry registry = new SimpleMeterRegistry();

    /** {@return the value of the meter {@code name} of the allocator named {@code allocator}} */
    private double value(String name, String allocator) {
        Meter meter = registry.get(name).tag(BufferAllocatorMetrics.NAME_TAG, allocator).meter();
        return switch (meter) {
            case Gauge gauge -> gauge.value();
            case FunctionCounter counter -> counter.count();
            default -> throw new AssertionError("neither a gauge nor a function counter: " + meter.getId());
        };
    }

    private void assertMetersMatch(BufferAllocator allocator) {
        String name = allocator.name().orElseThrow();
        BufferStatistics statistics = allocator.statistics();
        METERS.forEach((meter, statistic) -> assertThat(value(meter, name))
                .as("%s of %s", meter, statistics).isEqualTo((double) statistic.applyAsLong(statistics)));
    }

    @Test
    void everyMeterReportsItsStatisticAfterRequestsThatFitAndThatOverflow() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator parser = BufferAllocator.of(arena.allocate(256)).named("parser")) {
            new BufferAllocatorMetrics(parser).bindTo(registry);
            assertThat(registry.getMeters()).extracting(meter -> meter.getId().getName())
                    .containsExactlyInAnyOrderElementsOf(METERS.keySet());
            assertMetersMatch(parser);

            MemorySegment header = parser.allocate(64);
            parser.reallocate(header, 96, 1);   // the most recent block grows in place
            assertMetersMatch(parser);
            assertThat(value("bufalloc.buffer.used", "parser")).isEqualTo(96);
            assertThat(value("bufalloc.buffer.reallocations.in.place", "parser")).isEqualTo(1);

            parser.allocate(300);   // does not fit: a fallback block
            parser.allocate(200);   // 160 bytes left: another
            assertMetersMatch(parser);
            assertThat(value("bufalloc.buffer.fallback.allocations", "parser")).isEqualTo(2);
            assertThat(value("bufalloc.buffer.fallback.bytes", "parser")).isEqualTo(500);
            assertThat(value("bufalloc.buffer.fallback.live.blocks", "parser")).isEqualTo(2);
            assertThat(value("bufalloc.buffer.peak.demand", "parser")).isEqualTo(596);

            parser.reset();   // gives the fallback blocks back; the counters keep counting
            assertMetersMatch(parser);
            assertThat(value("bufalloc.buffer.fallback.live.bytes", "parser")).isZero();
            assertThat(value("bufalloc.buffer.fallback.bytes", "parser")).isEqualTo(500);
            assertThat(value("bufalloc.buffer.resets", "parser")).isEqualTo(1);
            assertThat(value("bufalloc.buffer.capacity", "parser")).isEqualTo(256);
        }
    }

    @Test
    void aGrowingAllocatorsChunksAreMeasured() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator growing = BufferAllocator.ofGrowing(arena.allocate(1024)).named("growing")) {
            new BufferAllocatorMetrics(growing).bindTo(registry);
            growing.allocate(1000);
            growing.allocate(1000);   // does not fit: bumped in a chunk
            assertMetersMatch(growing);
            assertThat(value("bufalloc.buffer.chunks", "growing")).isEqualTo(1);
            assertThat(value("bufalloc.buffer.chunks.bytes", "growing")).isPositive();
            assertThat(value("bufalloc.buffer.used", "growing")).isGreaterThan(1024);
        }
    }

    @Test
    void aSharedAllocatorIsMeasuredToo() {
        try (Arena arena = Arena.ofShared();
             BufferAllocator shared = BufferAllocator.ofShared(arena.allocate(128)).named("shared")) {
            new BufferAllocatorMetrics(shared).bindTo(registry);
            shared.allocate(100);
            shared.allocate(100);
            assertMetersMatch(shared);
            assertThat(value("bufalloc.buffer.fallback.allocations", "shared")).isEqualTo(1);
        }
    }

    @Test
    void theRegistryMayReadAConfinedAllocatorsMetersOnAnotherThread() throws Exception {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator parser = BufferAllocator.of(arena.allocate(64)).named("parser");
             var executor = Executors.newSingleThreadExecutor()) {
            new BufferAllocatorMetrics(parser).bindTo(registry);
            parser.allocate(100);
            Future<Double> fallbacks = executor.submit(() -> value("bufalloc.buffer.fallback.bytes", "parser"));
            assertThat(fallbacks.get()).isEqualTo(100);
        }
    }

    @Test
    void everyMeterIsTaggedWithTheAllocatorsNameAndTheExtraTags() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator parser = BufferAllocator.of(arena.allocate(64)).named("parser")) {
            new BufferAllocatorMetrics(parser, Tags.of("service", "ingest", "name", "not the allocator's"))
                    .bindTo(registry);
            assertThat(registry.getMeters()).hasSize(METERS.size()).allSatisfy(meter ->
                    assertThat(meter.getId().getTags()).containsExactlyInAnyOrder(
                            Tag.of("name", "parser"), Tag.of("service", "ingest")));
            assertThat(registry.get("bufalloc.buffer.used").meter().getId().getBaseUnit()).isEqualTo("bytes");
            assertThat(registry.get("bufalloc.buffer.used").meter().getId().getDescription()).isNotBlank();
        }
    }

    @Test
    void theNameTagIsTheNameTheAllocatorHadWhenBound() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64)).named("first")) {
            new BufferAllocatorMetrics(allocator).bindTo(registry);
            allocator.named("second");
            new BufferAllocatorMetrics(allocator).bindTo(registry);
            assertThat(registry.find("bufalloc.buffer.used").gauges()).extracting(g -> g.getId().getTag("name"))
                    .containsExactlyInAnyOrder("first", "second");
        }
    }

    @Test
    void anUnnamedAllocatorIsRefusedWithAClearMessage() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator unnamed = BufferAllocator.of(arena.allocate(64))) {
            assertThatThrownBy(() -> new BufferAllocatorMetrics(unnamed)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("has no name").hasMessageContaining("named(");
            assertThat(registry.getMeters()).isEmpty();
        }
    }

    @Test
    void nullsAreRefused() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64)).named("a")) {
            assertThatNullPointerException().isThrownBy(() -> new BufferAllocatorMetrics(null));
            assertThatNullPointerException().isThrownBy(() -> new BufferAllocatorMetrics(allocator, null));
            assertThatNullPointerException().isThrownBy(() -> new BufferAllocatorMetrics(allocator).bindTo(null));
        }
    }

    @Test
    void aClosedAllocatorsMetersReportItsLastValues() {
        BufferAllocator parser;
        try (Arena arena = Arena.ofConfined()) {
            parser = BufferAllocator.of(arena.allocate(64)).named("parser");
            new BufferAllocatorMetrics(parser).bindTo(registry);
            parser.allocate(40);
            parser.allocate(100);
            parser.close();
        }
        assertThatNoException().isThrownBy(() -> assertMetersMatch(parser));
        assertThat(value("bufalloc.buffer.fallback.bytes", "parser")).isEqualTo(100);
        assertThat(value("bufalloc.buffer.fallback.live.blocks", "parser")).as("given back on close").isZero();
        assertThat(value("bufalloc.buffer.peak.demand", "parser")).isEqualTo(140);
        Reference.reachabilityFence(parser);
    }

    @Test
    void neitherTheBinderNorTheMetersKeepTheAllocatorAlive() throws InterruptedException {
        BufferAllocatorMetrics binder = bindDroppedAllocator();   // the binder stays reachable too
        WeakReference<?> allocator = dropped;
        dropped = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (allocator.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(allocator.get()).as("the allocator was collected while its meters were registered").isNull();

        assertThat(registry.get("bufalloc.buffer.used").tag("name", "dropped").gauge().value())
                .as("a collected allocator's gauge").isNaN();
        assertThat(registry.get("bufalloc.buffer.fallback.bytes").tag("name", "dropped").functionCounter().count())
                .as("a collected allocator's counter keeps its last value").isEqualTo(300);
        for (Meter meter : registry.getMeters()) {
            assertThatNoException().as(meter.getId().toString()).isThrownBy(meter::measure);
        }

        binder.bindTo(registry);   // binding again after collection registers nothing and does not throw
        assertThat(registry.getMeters()).hasSize(METERS.size());
    }

    private WeakReference<BufferAllocator> dropped;

    /** Binds the meters of an allocator that only {@link #dropped} refers to (weakly) afterwards. */
    private BufferAllocatorMetrics bindDroppedAllocator() {
        BufferAllocator allocator = BufferAllocator.of(new byte[256]).named("dropped");
        BufferAllocatorMetrics binder = new BufferAllocatorMetrics(allocator, Tags.of("service", "ingest"));
        binder.bindTo(registry);
        allocator.allocate(300);   // a fallback block, given back by the reset
        allocator.reset();
        allocator.allocate(10);
        assertThat(registry.get("bufalloc.buffer.fallback.bytes").functionCounter().count()).isEqualTo(300);
        dropped = new WeakReference<>(allocator);
        return binder;
    }
}
