package dev.bufalloc.internal.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;

/** A request did not fit an allocator's buffer. Its stack trace says who made it. */
@Name("dev.bufalloc.Overflow")
@Label("Buffer Overflow")
@Description("A request did not fit the allocator's buffer and was served from elsewhere, or refused")
@StackTrace(true)
@Throttle("100/s")
final class OverflowEvent extends AllocatorEvent {

    @Label("Requested Size")
    @Description("The size of the request that did not fit")
    @DataAmount
    long requestedBytes;

    @Label("Alignment")
    @Description("The alignment of the request, in bytes")
    @DataAmount
    long alignment;

    @Label("Capacity")
    @Description("The size of the allocator's buffer")
    @DataAmount
    long capacity;

    @Label("Used")
    @Description("The bytes of the buffer in use when the request came, alignment padding included")
    @DataAmount
    long usedBytes;

    @Label("Served By")
    @Description("What served the request: \"block\" (a block of its own from the fallback), \"chunk\" (a chunk"
            + " the allocator bumps in), or \"none\" (refused: the allocator has no fallback)")
    String servedBy;
}
