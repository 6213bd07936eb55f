package dev.bufalloc.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH secondary results of scenario (e): the bytes the buffer allocator copied while the array
 * grew, and the reallocations it did in place, summed over an iteration. They land in the JSON
 * as the secondary metrics {@code copiedBytes} and {@code inPlaceReallocations}.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class GrowthCounters {

    /** Bytes copied by {@code reallocate} in this iteration: 0 when every growth is in place. */
    public long copiedBytes;

    /** Reallocations done in place in this iteration. */
    public long inPlaceReallocations;

    /** Starts each iteration from zero. */
    @Setup(Level.Iteration)
    public void clear() {
        copiedBytes = 0;
        inPlaceReallocations = 0;
    }
}
