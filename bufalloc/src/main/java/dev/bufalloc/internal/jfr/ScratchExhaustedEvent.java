package dev.bufalloc.internal.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;

/** A thread's outermost scratch frame found no idle buffer in the pool: it got fresh memory. */
@Name("dev.bufalloc.ScratchExhausted")
@Label("Scratch Pool Exhausted")
@Description("An outermost Scratch.push() found no idle scratch buffer of the current size in the pool, and a new"
        + " buffer was allocated for it")
@StackTrace(true)
@Throttle("100/s")
final class ScratchExhaustedEvent extends AllocatorEvent {

    @Label("Buffer Size")
    @Description("The size of the new buffer")
    @DataAmount
    long bufferSize;

    @Label("Pool Slots")
    @Description("How many idle buffers the pool can hold")
    int poolSlots;
}
