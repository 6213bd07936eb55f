package dev.bufalloc.internal.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;

/** A scratch buffer made when the pool was exhausted came back and was kept: the pool holds one more. */
@Name("dev.bufalloc.ScratchGrown")
@Label("Scratch Pool Grown")
@Description("A scratch buffer made when the pool had none idle was given back and kept by the pool")
@StackTrace(false)
@Throttle("100/s")
final class ScratchGrownEvent extends AllocatorEvent {

    @Label("Buffer Size")
    @Description("The size of the buffer the pool kept")
    @DataAmount
    long bufferSize;

    @Label("Pooled Buffers")
    @Description("The idle buffers in the pool once this one was kept")
    int pooledBuffers;

    @Label("Pool Slots")
    @Description("How many idle buffers the pool can hold")
    int poolSlots;
}
