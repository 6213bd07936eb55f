package dev.bufalloc.micrometer;

import dev.bufalloc.Scratch;
import dev.bufalloc.ScratchStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Binds the {@link Scratch} pool's {@linkplain Scratch#statistics() statistics} to a {@link MeterRegistry}:
 * whether the pool keeps enough buffers for the scratch frames open at once.
 *
 * {@snippet class="dev.bufalloc.micrometer.snippets.MicrometerSnippets" region="ScratchMetrics"}
 *
 * <h2>Meters</h2>
 * The pool is one per JVM (per class loader of bufalloc): bind this once per registry. The meters have the
 * tags given to the constructor, and the values of {@link ScratchStatistics}:
 * <table class="striped">
 *   <caption>Meters of the scratch pool</caption>
 *   <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Unit</th>
 *       <th scope="col">Value</th></tr></thead>
 *   <tbody>
 *     <tr><th scope="row">{@code bufalloc.scratch.buffer.size}</th><td>gauge</td><td>bytes</td>
 *         <td>{@link ScratchStatistics#bufferSize()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.scratch.pool.slots}</th><td>gauge</td><td></td>
 *         <td>{@link ScratchStatistics#poolSlots()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.scratch.buffers.idle}</th><td>gauge</td><td></td>
 *         <td>{@link ScratchStatistics#idleBuffers()}</td></tr>
 *     <tr><th scope="row">{@code bufalloc.scratch.buffers.made}</th><td>function counter</td><td></td>
 *         <td>{@link ScratchStatistics#buffersMade()}</td></tr>
 *   </tbody>
 * </table>
 * A {@code bufalloc.scratch.buffers.made} that keeps climbing under a steady load says that more threads hold
 * scratch frames at once than the pool keeps buffers for. If {@value Scratch#SIZE_PROPERTY} was set to an
 * invalid size (so that {@link Scratch#statistics()} throws), every meter reads {@code NaN}.
 */
public final class ScratchMetrics implements MeterBinder {

    private final Tags tags;

    /** Makes a binder for the scratch pool's meters, with no tags. */
    public ScratchMetrics() {
        this(Tags.empty());
    }

    /**
     * Makes a binder for the scratch pool's meters, with {@code tags}.
     *
     * @param tags tags for every meter
     * @throws NullPointerException if {@code tags} is null
     */
    public ScratchMetrics(Iterable<Tag> tags) {
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
    }

    /**
     * Registers the scratch pool's meters with {@code registry}.
     *
     * @param registry the registry
     * @throws NullPointerException if {@code registry} is null
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        gauge(registry, "bufalloc.scratch.buffer.size", BaseUnits.BYTES,
                "The size of the scratch buffers made from now on", ScratchStatistics::bufferSize);
        gauge(registry, "bufalloc.scratch.pool.slots", null,
                "How many idle scratch buffers the pool can keep", ScratchStatistics::poolSlots);
        gauge(registry, "bufalloc.scratch.buffers.idle", null,
                "Scratch buffers idle in the pool, ready for a thread's next outermost frame",
                ScratchStatistics::idleBuffers);
        // The pool is static: the counter's (weakly held) object is the class, which stays loaded.
        FunctionCounter.builder("bufalloc.scratch.buffers.made", Scratch.class,
                        scratch -> read(ScratchStatistics::buffersMade))
                .description("Scratch buffers made because a thread's outermost frame found none idle in the pool")
                .tags(tags).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String baseUnit, String description,
            ToLongFunction<ScratchStatistics> field) {
        Gauge.builder(name, () -> read(field)).description(description).baseUnit(baseUnit).tags(tags)
                .register(registry);
    }

    /** {@return one field of the pool's statistics, or NaN if the size property is invalid} */
    private static double read(ToLongFunction<ScratchStatistics> field) {
        try {
            return field.applyAsLong(Scratch.statistics());
        } catch (IllegalArgumentException invalidSizeProperty) {
            return Double.NaN;
        }
    }
}
