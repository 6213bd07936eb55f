package dev.bufalloc.micrometer;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.lang.ref.WeakReference;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Binds a named {@link BufferAllocator}'s {@linkplain BufferAllocator#statistics() statistics} to a
 * {@link MeterRegistry}: how full its buffer is, how big it should be, and what went to the fallback.
 *
 * {@snippet class="dev.bufalloc.micrometer.snippets.MicrometerSnippets" region="BufferAllocatorMetrics"}
 *
 * <h2>Meters</h2>
 * Every meter has the tag {@value #NAME_TAG} with the allocator's {@linkplain BufferAllocator#name() name}
 * (which is why the allocator must have one: a tag that changed with every run, such as a hash code, would make
 * a new time series per run), and the extra tags given to the constructor. The values are those of
 * {@link BufferStatistics}:
 * <table class="striped">
 *   <caption>Meters of a buffer allocator</caption>
 *   <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Unit</th>
 *       <th scope="col">Value</th></tr></thead>
 *   <tbody>
 *     <tr><th scope="row">{@code bufalloc.buffer.capacity}</th><td>gauge</td><td>bytes</td>
 *         <td>{@link BufferStatistics#capacity()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.used}</th><td>gauge</td><td>bytes</td>
 *         <td>{@link BufferStatistics#usedBytes()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.peak.demand}</th><td>gauge</td><td>bytes</td>
 *         <td>{@link BufferStatistics#peakDemand()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.fallback.allocations}</th><td>function counter</td><td></td>
 *         <td>{@link BufferStatistics#fallbackCount()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.fallback.bytes}</th><td>function counter</td><td>bytes</td>
 *         <td>{@link BufferStatistics#fallbackBytes()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.fallback.live.blocks}</th><td>gauge</td><td></td>
 *         <td>{@link BufferStatistics#liveFallbackBlocks()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.fallback.live.bytes}</th><td>gauge</td><td>bytes</td>
 *         <td>{@link BufferStatistics#liveFallbackBytes()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.chunks}</th><td>gauge</td><td></td>
 *         <td>{@link BufferStatistics#chunks()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.chunks.bytes}</th><td>gauge</td><td>bytes</td>
 *         <td>{@link BufferStatistics#chunkBytes()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.reallocations.in.place}</th><td>function counter</td><td></td>
 *         <td>{@link BufferStatistics#inPlaceReallocations()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.copied.bytes}</th><td>function counter</td><td>bytes</td>
 *         <td>{@link BufferStatistics#copiedBytes()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.buffer.resets}</th><td>function counter</td><td></td>
 *         <td>{@link BufferStatistics#resets()}</td></tr>
 *   </tbody>
 * </table>
 *
 * <h2>Lifetime</h2>
 * Neither this binder nor its meters keep the allocator alive: they hold it through weak references, so an
 * allocator the application drops is collected as if nothing measured it. After that its gauges read
 * {@code NaN} and its counters their last value, as Micrometer's meters of a collected object do; remove them
 * from the registry if they should go. A {@linkplain BufferAllocator#close() closed} allocator that is still
 * reachable reports the values it had when it closed ({@code statistics()} may be read after close).
 *
 * <p>The {@value #NAME_TAG} tag is the name the allocator had when this binder was made; naming it again
 * later does not change it. Two allocators of the same name bound to one registry with the same tags share
 * their meters, and the registry reads the first one bound: give each allocator its own name, or tell them
 * apart with an extra tag.
 */
public final class BufferAllocatorMetrics implements MeterBinder {

    /** The key of the tag whose value is the allocator's name. */
    public static final String NAME_TAG = "name";

    private final WeakReference<BufferAllocator> allocator;
    private final Tags tags;

    /**
     * Makes a binder for {@code allocator}'s meters, tagged with its name.
     *
     * @param allocator a {@linkplain BufferAllocator#named named} allocator
     * @throws NullPointerException if {@code allocator} is null
     * @throws IllegalArgumentException if {@code allocator} has no name
     */
    public BufferAllocatorMetrics(BufferAllocator allocator) {
        this(allocator, Tags.empty());
    }

    /**
     * Makes a binder for {@code allocator}'s meters, tagged with its name and with {@code tags}.
     *
     * @param allocator a {@linkplain BufferAllocator#named named} allocator
     * @param tags extra tags for every meter; a tag {@value #NAME_TAG} among them is replaced by the
     *        allocator's name
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code allocator} has no name
     */
    public BufferAllocatorMetrics(BufferAllocator allocator, Iterable<Tag> tags) {
        Objects.requireNonNull(allocator, "allocator");
        Objects.requireNonNull(tags, "tags");
        String name = allocator.name().orElseThrow(() -> new IllegalArgumentException(
                "The allocator has no name, which its meters need as their '" + NAME_TAG + "' tag: name it with"
                        + " named(...) before binding its metrics: " + allocator));
        this.allocator = new WeakReference<>(allocator);
        this.tags = Tags.of(tags).and(NAME_TAG, name);
    }

    /**
     * Registers the allocator's meters with {@code registry}. Binding to several registries is allowed. If
     * the allocator was already collected, nothing is registered.
     *
     * @param registry the registry
     * @throws NullPointerException if {@code registry} is null
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        BufferAllocator target = allocator.get();
        if (target == null) {
            return;
        }
        // Every function below takes the allocator as its argument and captures nothing: a lambda that
        // captured it would keep it alive for as long as the registry keeps the meter.
        gauge(registry, target, "bufalloc.buffer.capacity", BaseUnits.BYTES,
                "The size of the allocator's buffer", BufferAllocator::capacity);
        gauge(registry, target, "bufalloc.buffer.used", BaseUnits.BYTES,
                "Bytes in use in the buffer (and a growing allocator's chunks), alignment padding included",
                BufferAllocator::usedBytes);
        gauge(registry, target, "bufalloc.buffer.peak.demand", BaseUnits.BYTES,
                "The most bytes one buffer big enough for everything would have had in use at once: a size to try",
                statistic(BufferStatistics::peakDemand));
        counter(registry, target, "bufalloc.buffer.fallback.allocations", null,
                "Allocations and reallocations the fallback served because the buffer had no room",
                statistic(BufferStatistics::fallbackCount));
        counter(registry, target, "bufalloc.buffer.fallback.bytes", BaseUnits.BYTES,
                "Bytes the fallback served because the buffer had no room",
                statistic(BufferStatistics::fallbackBytes));
        gauge(registry, target, "bufalloc.buffer.fallback.live.blocks", null,
                "Fallback blocks not yet freed", statistic(BufferStatistics::liveFallbackBlocks));
        gauge(registry, target, "bufalloc.buffer.fallback.live.bytes", BaseUnits.BYTES,
                "Bytes of the fallback blocks not yet freed", statistic(BufferStatistics::liveFallbackBytes));
        gauge(registry, target, "bufalloc.buffer.chunks", null,
                "Chunks a growing allocator took from the fallback and keeps", statistic(BufferStatistics::chunks));
        gauge(registry, target, "bufalloc.buffer.chunks.bytes", BaseUnits.BYTES,
                "Bytes of the chunks a growing allocator keeps", statistic(BufferStatistics::chunkBytes));
        counter(registry, target, "bufalloc.buffer.reallocations.in.place", null,
                "Reallocations that grew or shrank the most recent block where it stood",
                statistic(BufferStatistics::inPlaceReallocations));
        counter(registry, target, "bufalloc.buffer.copied.bytes", BaseUnits.BYTES,
                "Bytes reallocations copied because a block moved", statistic(BufferStatistics::copiedBytes));
        counter(registry, target, "bufalloc.buffer.resets", null,
                "Resets of the allocator", statistic(BufferStatistics::resets));
    }

    /** {@return a function reading one field of an allocator's statistics} */
    private static ToLongFunction<BufferAllocator> statistic(ToLongFunction<BufferStatistics> field) {
        return target -> field.applyAsLong(target.statistics());
    }

    /** Registers a gauge; Micrometer holds {@code target} weakly. */
    private void gauge(MeterRegistry registry, BufferAllocator target, String name, String baseUnit,
            String description, ToLongFunction<BufferAllocator> value) {
        ToDoubleFunction<BufferAllocator> function = a -> value.applyAsLong(a);
        Gauge.builder(name, target, function).description(description).baseUnit(baseUnit).tags(tags)
                .register(registry);
    }

    /** Registers a function counter; Micrometer holds {@code target} weakly. */
    private void counter(MeterRegistry registry, BufferAllocator target, String name, String baseUnit,
            String description, ToLongFunction<BufferAllocator> value) {
        ToDoubleFunction<BufferAllocator> function = a -> value.applyAsLong(a);
        FunctionCounter.builder(name, target, function).description(description).baseUnit(baseUnit).tags(tags)
                .register(registry);
    }
}
