package dev.bufalloc.internal.jfr;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * An allocator's diagnostics: its optional name, and the JFR events it emits. Each allocator has one; the
 * allocators call the event methods off the bump only, where a request does not fit, on reset and close,
 * and where the scratch pool runs out or grows.
 *
 * <p>Every event method costs nothing when its event is off: the event object is not allocated (escape
 * analysis), and {@code isEnabled()} is a constant {@code false} until a recording enables the event
 * (see {@link Registration}). Only then are fields computed, a statistics snapshot taken or a count made.
 *
 * <p>Thread safety: the name may be read by any thread. The sizing state is guarded by the allocator:
 * its owner thread for a confined one, its lock for a shared one.
 */
public final class Diagnostics {

    /** A request was served by a block of its own from the fallback. */
    public static final String BLOCK = "block";
    /** A request was served from a chunk the allocator took from the fallback and bumps in. */
    public static final String CHUNK = "chunk";
    /** A request was refused: the allocator has no fallback. */
    public static final String NONE = "none";

    private volatile String name;
    private long sizedFallbackCount;   // at the last sizing event
    private long sizedPeakDemand;
    private boolean fresh;             // a scratch allocator made because the pool was exhausted, not yet pooled

    /** Makes the diagnostics of a new allocator, without a name. */
    public Diagnostics() {}

    /** {@return the allocator's name, if it was given one} */
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    /**
     * Names the allocator.
     *
     * @param name its name, shown in events, {@code toString} and error messages
     * @throws NullPointerException if {@code name} is null
     */
    public void name(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * {@return an allocator's {@code toString}: {@code type[name=…, buffer, used=……]}, the name only if it has one}
     *
     * @param type the allocator's type, as users know it
     * @param buffer its buffer
     * @param used the bytes it has in use
     * @param more the fields that follow, each as {@code ", field"}, or ""
     */
    public String describe(String type, Object buffer, long used, String more) {
        String n = name;
        return type + "[" + (n == null ? "" : "name=" + n + ", ") + buffer + ", used=" + used + more + "]";
    }

    /** {@return the name quoted for an error message, "'name' ", or "" if unnamed} */
    public String quotedName() {
        String n = name;
        return n == null ? "" : "'" + n + "' ";
    }

    /**
     * A request did not fit {@code allocator}'s buffer.
     *
     * @param allocator the allocator
     * @param byteSize the requested size
     * @param byteAlignment the requested alignment
     * @param capacity the buffer's size
     * @param used the bytes of the buffer in use when the request came
     * @param servedBy {@link #BLOCK}, {@link #CHUNK} or {@link #NONE}
     */
    public void overflow(Object allocator, long byteSize, long byteAlignment, long capacity, long used,
                         String servedBy) {
        Registration.Once.ensure();
        OverflowEvent event = new OverflowEvent();
        if (event.shouldCommit()) {
            event.about(allocator, name);
            event.requestedBytes = byteSize;
            event.alignment = byteAlignment;
            event.capacity = capacity;
            event.usedBytes = used;
            event.servedBy = servedBy;
            event.commit();
        }
    }

    /**
     * {@code allocator} is reset or closed: a sizing event, if its buffer overflowed since its last one.
     * Call after the allocator noted its peak demand.
     *
     * @param allocator the allocator
     * @param when "reset" or "close"
     */
    public void sized(BufferAllocator allocator, String when) {
        Registration.Once.ensure();
        SizingEvent event = new SizingEvent();
        if (!event.isEnabled()) {
            return;
        }
        BufferStatistics statistics = allocator.statistics();
        if (statistics.fallbackCount() == sizedFallbackCount && statistics.peakDemand() == sizedPeakDemand
                || statistics.fallbackCount() == 0) {
            return;   // nothing overflowed since the last sizing event: nothing new to say
        }
        if (event.shouldCommit()) {   // after the check above, so that skipped events use no throttle budget
            event.about(allocator, name);
            event.when = when;
            event.capacity = statistics.capacity();
            event.peakDemand = statistics.peakDemand();
            event.fallbackCount = statistics.fallbackCount();
            event.fallbackBytes = statistics.fallbackBytes();
            event.chunks = statistics.chunks();
            event.chunkBytes = statistics.chunkBytes();
            event.resets = statistics.resets();
            event.suggestedCapacity = suggestedCapacity(statistics.peakDemand());
            event.commit();
            sizedFallbackCount = statistics.fallbackCount();
            sizedPeakDemand = statistics.peakDemand();
        }
    }

    /**
     * {@return a buffer size that holds {@code peakDemand}: it rounded up to a power of two} The rounding
     * leaves room for the alignment padding that the peak demand leaves out.
     *
     * @param peakDemand a peak demand, in bytes
     */
    static long suggestedCapacity(long peakDemand) {
        if (peakDemand <= 1) {
            return 1;
        }
        return peakDemand > 1L << 62 ? peakDemand : Long.highestOneBit(peakDemand - 1) << 1;
    }

    /**
     * A thread's outermost scratch frame found no idle buffer in the pool: {@code allocator} was made for it.
     *
     * @param allocator the new allocator
     * @param bufferSize its buffer's size
     * @param poolSlots how many idle buffers the pool can hold
     */
    public void scratchExhausted(Object allocator, long bufferSize, int poolSlots) {
        fresh = true;
        Registration.Once.ensure();
        ScratchExhaustedEvent event = new ScratchExhaustedEvent();
        if (event.shouldCommit()) {
            event.about(allocator, name);
            event.bufferSize = bufferSize;
            event.poolSlots = poolSlots;
            event.commit();
        }
    }

    /**
     * {@return whether the scratch allocator was made because the pool was exhausted and was never given back
     * since} Clears that. Call on the thread giving it back, before the pool publishes it to other threads:
     * the thread that made it is the first to give it back.
     */
    public boolean takeFresh() {
        boolean wasFresh = fresh;
        fresh = false;
        return wasFresh;
    }

    /**
     * A scratch pool took {@code allocator} in: a grown event if it was {@linkplain #takeFresh fresh}, made
     * because the pool was exhausted.
     *
     * @param fresh what {@link #takeFresh()} said before the pool took it
     * @param allocator the allocator the pool took in
     * @param bufferSize its buffer's size
     * @param pool the pool's slots, null where idle
     */
    public void scratchGrown(boolean fresh, Object allocator, long bufferSize, AtomicReferenceArray<?> pool) {
        if (!fresh) {
            return;
        }
        Registration.Once.ensure();
        ScratchGrownEvent event = new ScratchGrownEvent();
        if (event.shouldCommit()) {
            int idle = 0;
            for (int i = 0; i < pool.length(); i++) {
                idle += pool.get(i) != null ? 1 : 0;
            }
            event.about(allocator, name);
            event.bufferSize = bufferSize;
            event.pooledBuffers = idle;
            event.poolSlots = pool.length();
            event.commit();
        }
    }
}
