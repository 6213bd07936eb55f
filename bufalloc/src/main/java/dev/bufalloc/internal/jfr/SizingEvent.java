package dev.bufalloc.internal.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;

/**
 * How big an allocator's buffer should have been: emitted on reset or close, only if the buffer
 * overflowed since the allocator's last sizing event, and throttled.
 */
@Name("dev.bufalloc.Sizing")
@Label("Buffer Sizing")
@Description("On reset or close of an allocator whose buffer overflowed since its last sizing event: its peak"
        + " demand, what the fallback served, and a buffer size that would have held it all")
@StackTrace(false)
@Throttle("10/s")
final class SizingEvent extends AllocatorEvent {

    @Label("When")
    @Description("\"reset\" or \"close\"")
    String when;

    @Label("Capacity")
    @Description("The size of the allocator's buffer")
    @DataAmount
    long capacity;

    @Label("Peak Demand")
    @Description("The most bytes one buffer big enough for everything would have had in use at once, over the"
            + " allocator's life, alignment padding of fallback blocks aside")
    @DataAmount
    long peakDemand;

    @Label("Fallback Count")
    @Description("Allocations and reallocations the fallback served, over the allocator's life")
    long fallbackCount;

    @Label("Fallback Size")
    @Description("Bytes the fallback served, over the allocator's life")
    @DataAmount
    long fallbackBytes;

    @Label("Chunks")
    @Description("Chunks a growing allocator holds: taken from the fallback when its buffer was full")
    long chunks;

    @Label("Chunk Size")
    @Description("Bytes of those chunks")
    @DataAmount
    long chunkBytes;

    @Label("Resets")
    @Description("Calls to reset(), over the allocator's life")
    long resets;

    @Label("Suggested Capacity")
    @Description("The peak demand rounded up to a power of two: a buffer size to try next")
    @DataAmount
    long suggestedCapacity;
}
