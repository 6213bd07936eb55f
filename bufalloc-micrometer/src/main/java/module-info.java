/**
 * Micrometer meter binders for bufalloc: {@link dev.bufalloc.micrometer.BufferAllocatorMetrics} for a named
 * buffer allocator, {@link dev.bufalloc.micrometer.ScratchMetrics} for the scratch pool.
 *
 * <p>Both dependencies are {@code requires transitive}: the binders' API takes bufalloc's allocators and
 * Micrometer's {@code MeterRegistry} and {@code Tag}s, so a module that requires this one reads both.
 * micrometer-core is an automatic module, {@code micrometer.core} (the name its manifest declares).
 */
module dev.bufalloc.micrometer {
    requires transitive dev.bufalloc;
    requires transitive micrometer.core;

    exports dev.bufalloc.micrometer;
}
