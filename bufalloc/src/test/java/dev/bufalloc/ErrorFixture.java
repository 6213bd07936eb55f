package dev.bufalloc;

import dev.bufalloc.AllocatorKind.Instance;
import dev.bufalloc.ErrorRows.BadCall;
import dev.bufalloc.array.AddressArray;
import dev.bufalloc.array.DynamicArray;
import dev.bufalloc.array.IntArray;
import dev.bufalloc.context.ContextAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fresh objects for one row of {@code docs/ERRORS.md}, made before its bad call, and what they look
 * like, so that {@link ErrorsTableTest} can tell that the call changed none of them and that they all
 * still work after it. Closing it frees them all.
 */
public final class ErrorFixture implements AutoCloseable {

    /** Where a row gets segments of its own (foreign to every allocator). */
    public final Arena arena = Arena.ofConfined();
    public final Allocator malloc = AllocatorKind.malloc();
    /** An int array holding 1 and 2, with room for 4, over malloc. */
    public final IntArray ints;
    /** An address array holding one address, with room for 4, over malloc. */
    public final AddressArray addresses;
    private final Map<AllocatorKind, Instance> instances = new EnumMap<>(AllocatorKind.class);
    private final List<Instance> made = new ArrayList<>();
    private final List<Frame> frames = new ArrayList<>();   // in the order pushed: the instances' and more
    private final List<DynamicArray> arrays = new ArrayList<>();
    private ExecutorService other;

    ErrorFixture() {
        ints = IntArray.of(4, malloc);
        track(ints);
        ints.push(1);
        ints.push(2);
        addresses = AddressArray.of(4, malloc);
        track(addresses);
        addresses.pushAddress(MemorySegment.ofAddress(0x1000));
    }

    /** The fixture's allocator of {@code kind}, over a 64-byte buffer with a malloc fallback: made on first use. */
    public Instance instance(AllocatorKind kind) {
        Instance it = instances.get(kind);
        if (it == null) {
            it = fresh(kind);
            instances.put(kind, it);
        }
        return it;
    }

    public Allocator allocator(AllocatorKind kind) {
        return instance(kind).allocator();
    }

    public SegmentAllocator segmentAllocator(AllocatorKind kind) {
        return instance(kind).segmentAllocator();
    }

    /** Another allocator of {@code kind}, besides {@link #instance}. */
    public Instance fresh(AllocatorKind kind) {
        return track(kind.make());
    }

    /** Closes {@code it} with the fixture, and shows its state to the row's checks. */
    public Instance track(Instance it) {
        made.add(it);
        if (it.kind().isFrame()) {
            frames.add(it.frame());
        }
        return it;
    }

    /** Another allocator of {@code kind}, closed (a frame or view: ended). */
    public Instance closed(AllocatorKind kind) {
        Instance it = fresh(kind);
        it.closeItself();
        return it;
    }

    /** An 8-byte block of {@link #instance}, 8-aligned if the kind gives that: its newest. */
    public MemorySegment block(AllocatorKind kind) {
        return instance(kind).allocate(8, Math.min(8, kind.maxAlignment()));
    }

    /** A new frame on the buffer allocator of {@code it}, closed with the fixture (innermost first). */
    public Frame push(Instance it) {
        return track(it.buffer().push());
    }

    /** Closes {@code frame} with the fixture (innermost first), and shows its state to the row's checks. */
    public Frame track(Frame frame) {
        frames.add(frame);
        return frame;
    }

    public DynamicArray track(DynamicArray array) {
        arrays.add(array);
        return array;
    }

    /** A segment whose arena is closed. */
    public MemorySegment closedSegment() {
        Arena closed = Arena.ofConfined();
        MemorySegment segment = closed.allocate(8);
        closed.close();
        return segment;
    }

    /** An int array over malloc, closed. */
    public IntArray closedInts() {
        IntArray closed = IntArray.of(4, malloc);
        closed.push(1);
        closed.close();
        return closed;
    }

    /** Makes {@code call} on another thread (always the same one) and throws what it threw there. */
    public void onOtherThread(BadCall call) throws Throwable {
        if (other == null) {
            other = Executors.newSingleThreadExecutor();
        }
        Throwable thrown;
        try {
            thrown = other.submit(() -> {
                try {
                    call.call();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }).get();
        } catch (ExecutionException e) {
            throw new AssertionError(e);
        }
        if (thrown != null) {
            throw thrown;
        }
    }

    /** Everything a bad call must leave as it was. */
    record State(List<List<Object>> allocators, List<String> frames, List<String> arrays, List<Long> malloc,
                 Allocator context) {}

    State state() {
        return new State(made.stream().map(Instance::state).toList(),
                frames.stream().map(frame -> frame + (AllocatorKind.isOpen(frame) ? " open" : " ended")
                        + " of " + frame.allocator().statistics()).toList(),
                arrays.stream().map(a -> a.size() + "/" + a.capacity() + " " + a).toList(),
                AllocatorKind.mallocOutstanding(), ContextAllocator.current());
    }

    /** Each object still works: an allocation and a free, a push and a pop. */
    void checkStillUsable() {
        for (Instance it : made) {
            // A scratch allocator whose outermost frame closed went back to its pool: no longer this fixture's.
            boolean lent = it.kind() != AllocatorKind.SCRATCH || it.isOpen();
            if (it.kind().isBump() && !AllocatorKind.isClosed(it.buffer()) && lent) {
                MemorySegment block = it.buffer().allocate(8);
                block.fill((byte) 7);
                it.buffer().free(block);
            }
        }
        for (Frame frame : frames.reversed()) {
            if (isInnermost(frame)) {
                frame.allocate(8).fill((byte) 7);
            }
        }
        for (DynamicArray array : arrays) {
            if (!array.toString().endsWith("[closed]") && canGrow(array)) {
                long size = array.size();
                array.pushSlot().fill((byte) 0);
                array.pop();
                assertThat(array.size()).isEqualTo(size);
            }
        }
        malloc.free(malloc.allocate(8));
        try (Instance heap = AllocatorKind.HEAP.make()) {
            heap.allocate(8, 1);
        }
    }

    /** Whether the array's allocator can give it more: not closed, not a full buffer without fallback. */
    private boolean canGrow(DynamicArray array) {
        return made.stream().filter(it -> it.kind().isAllocator() && it.allocator() == array.allocator())
                .allMatch(it -> it.isOpen() && !it.kind().isBounded());
    }

    /** Whether {@code frame} is open and no frame pushed after it on its allocator is. */
    private boolean isInnermost(Frame frame) {
        return AllocatorKind.isOpen(frame) && frames.subList(frames.indexOf(frame) + 1, frames.size()).stream()
                .noneMatch(later -> later.allocator() == frame.allocator() && AllocatorKind.isOpen(later));
    }

    @Override
    public void close() {
        for (Frame frame : frames.reversed()) {
            if (AllocatorKind.isOpen(frame)) {
                frame.close();
            }
        }
        arrays.forEach(DynamicArray::close);
        made.reversed().forEach(Instance::close);
        if (other != null) {
            other.close();
        }
        arena.close();
    }
}
