package dev.bufalloc.testing;

import dev.bufalloc.Allocator;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * An allocator over another that counts its calls and the blocks and bytes it handed out and did
 * not get back, and that can be told to fail one chosen call: the test double for "no leaks" and
 * "faults" tests.
 *
 * <p>A call that fails by injection throws before it reaches the inner allocator, so it changes
 * nothing: no block is taken, moved or freed. A {@code free} that fails this way leaves its block
 * outstanding, as a fallback whose {@code free} fails would; {@link #releaseOutstanding()} gives
 * such blocks back to the inner allocator once a test has looked at them.
 *
 * {@snippet :
 * CountingAllocator fallback = new CountingAllocator(MallocAllocator.instance());
 * fallback.failOnCall(3, () -> new OutOfMemoryError("injected"));   // the third call throws
 * }
 */
public final class CountingAllocator implements Allocator {

    /** The three calls of the {@link Allocator} contract. */
    public enum Call { ALLOCATE, REALLOCATE, FREE }

    private final Allocator inner;
    /** Blocks handed out and not given back, oldest first; compared with {@code equals}, as allocators do. */
    private final List<MemorySegment> outstanding = new ArrayList<>();
    private final long[] callsByKind = new long[Call.values().length];
    private final List<Call> log = new ArrayList<>();
    private long calls;
    private long outstandingBytes;
    /** 1-based index in calls() -> what that call throws. */
    private final Map<Long, Supplier<? extends Throwable>> failures = new HashMap<>();
    private Throwable lastInjected;

    /** @param inner where the memory really comes from */
    public CountingAllocator(Allocator inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    /**
     * Makes call number {@code call} (counting every call since this allocator was made, from 1)
     * throw what {@code failure} supplies: an {@link Error} such as {@link OutOfMemoryError} or a
     * {@link RuntimeException}. That call fails; the ones after it work again. Several calls may be
     * armed at once.
     *
     * @return this allocator
     */
    public CountingAllocator failOnCall(long call, Supplier<? extends Throwable> failure) {
        if (call <= calls) {
            throw new IllegalArgumentException("Call " + call + " is past: " + calls + " calls made");
        }
        failures.put(call, Objects.requireNonNull(failure, "failure"));
        return this;
    }

    /**
     * Makes the next call throw what {@code failure} supplies: {@code failOnCall(calls() + 1, failure)}.
     *
     * @return this allocator
     */
    public CountingAllocator failNextCall(Supplier<? extends Throwable> failure) {
        return failOnCall(calls + 1, failure);
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        count(Call.ALLOCATE);
        MemorySegment block = inner.allocate(byteSize, byteAlignment);
        track(block);
        return block;
    }

    @Override
    public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
        count(Call.REALLOCATE);
        MemorySegment moved = inner.reallocate(segment, newByteSize, byteAlignment);
        untrack(segment);
        track(moved);
        return moved;
    }

    @Override
    public void free(MemorySegment segment) {
        count(Call.FREE);
        inner.free(segment);
        untrack(segment);
    }

    /** @return every call made, failed ones included */
    public long calls() {
        return calls;
    }

    /** @return the calls of one kind made, failed ones included */
    public long calls(Call kind) {
        return callsByKind[kind.ordinal()];
    }

    /** @return the kind of every call made, in order: call k is at index k - 1 */
    public List<Call> log() {
        return List.copyOf(log);
    }

    /** @return blocks handed out and not given back */
    public long outstandingBlocks() {
        return outstanding.size();
    }

    /** @return bytes of the blocks handed out and not given back */
    public long outstandingBytes() {
        return outstandingBytes;
    }

    /** @return the blocks handed out and not given back, oldest first */
    public List<MemorySegment> outstanding() {
        return List.copyOf(outstanding);
    }

    /** @return what the last injected failure threw, or null if none was thrown yet */
    public Throwable lastInjected() {
        return lastInjected;
    }

    /** Frees every outstanding block through the inner allocator, e.g. those whose injected {@code free} failed. */
    public void releaseOutstanding() {
        for (int i = outstanding.size() - 1; i >= 0; i--) {
            inner.free(outstanding.get(i));
            outstandingBytes -= outstanding.remove(i).byteSize();
        }
    }

    @Override
    public String toString() {
        return "CountingAllocator[" + inner + ", calls=" + calls + ", outstanding=" + outstanding.size()
                + " blocks, " + outstandingBytes + " bytes]";
    }

    private void count(Call kind) {
        calls++;
        callsByKind[kind.ordinal()]++;
        log.add(kind);
        Supplier<? extends Throwable> failure = failures.remove(calls);
        if (failure != null) {
            lastInjected = failure.get();
            switch (lastInjected) {
                case RuntimeException e -> throw e;
                case Error e -> throw e;
                default -> throw new IllegalStateException("Injected a checked exception", lastInjected);
            }
        }
    }

    private void track(MemorySegment block) {
        outstanding.add(block);
        outstandingBytes += block.byteSize();
    }

    private void untrack(MemorySegment block) {
        int index = outstanding.lastIndexOf(block);
        if (index < 0) {
            throw new AssertionError("The inner allocator accepted " + block + ", which this one never handed out");
        }
        outstandingBytes -= outstanding.remove(index).byteSize();
    }
}
