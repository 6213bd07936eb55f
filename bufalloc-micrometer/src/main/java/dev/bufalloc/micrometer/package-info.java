/**
 * Micrometer meters for bufalloc's statistics: bind a {@link dev.bufalloc.micrometer.BufferAllocatorMetrics}
 * per named {@link dev.bufalloc.BufferAllocator}, and one {@link dev.bufalloc.micrometer.ScratchMetrics} for
 * the {@link dev.bufalloc.Scratch} pool, to an application's {@code MeterRegistry}.
 *
 * {@snippet class="dev.bufalloc.micrometer.snippets.MicrometerSnippets" region="package"}
 *
 * <h2 id="naming">Meter names</h2>
 * Names are Micrometer's dotted lowercase words, which each registry turns into its own convention
 * ({@code bufalloc.buffer.used} is {@code bufalloc_buffer_used_bytes} in Prometheus). A meter measuring bytes
 * has the base unit {@code bytes}; a meter counting things names them ({@code bufalloc.buffer.resets}) and
 * has no unit. Statistics that only grow over an allocator's life (fallback allocations, resets, ...) are
 * function counters; the others are gauges.
 *
 * <h2 id="reading">Reading</h2>
 * The meters read the statistics when the registry asks, on the registry's thread: they cost nothing on the
 * allocation path. A confined allocator's values read from another thread may be a little stale, as
 * {@link dev.bufalloc.BufferAllocator#statistics()} says. Meters never keep what they measure alive: an
 * allocator dropped by the application is collected as if no meter had been bound.
 */
package dev.bufalloc.micrometer;
