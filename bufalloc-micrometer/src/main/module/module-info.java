/**
 * Micrometer meter binders for bufalloc: {@link dev.bufalloc.micrometer.BufferAllocatorMetrics} for a named
 * buffer allocator, {@link dev.bufalloc.micrometer.ScratchMetrics} for the scratch pool.
 *
 * <p>micrometer-core is an automatic module ({@code micrometer.core}, from its manifest). An application
 * binds these meters to its own {@code MeterRegistry}, so it reads {@code micrometer.core} itself.
 */
module dev.bufalloc.micrometer {
    requires transitive dev.bufalloc;
    requires micrometer.core;

    exports dev.bufalloc.micrometer;
}
