package dev.bufalloc.examples;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;
import dev.bufalloc.Frame;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Closing a frame's {@link Frame#asArena() Arena view} while native code holds one of its segments, and
 * closing it when one of its cleanup actions throws: the two ways a JDK arena's {@code close()} can fail.
 *
 * <p>(a) C's {@code qsort} sorts ints allocated from the view and calls a Java comparator (an upcall) that,
 * on its first call, tries to close the view, the frame, or the whole allocator ({@code reset()},
 * {@code close()}). The downcall holds the array's scope, so each attempt must throw
 * {@link IllegalStateException} and change nothing, as a JDK arena's close does: the frame stays open, the
 * cursor and the fallback blocks stay where they were; once {@code qsort} returns, the view closes normally
 * and gives its fallback blocks back to the C heap.
 *
 * <p>(b) A cleanup action attached to the view's scope ({@code segment.reinterpret(view, cleanup)}) that
 * throws makes the close throw what it threw, but the scope has ended all the same: the frame is closed,
 * every other cleanup ran, and nothing leaks.
 */
@NoLeaks
class ArenaViewCloseTest {

    private static final int[] INPUT = {42, -7, 1000, 0, 13, -7, 5, 99, Integer.MIN_VALUE, Integer.MAX_VALUE};
    private static final long BUFFER_BYTES = 256;
    private static final long SPILL_BYTES = 1024;

    /** A pointer to one {@code int}: what the comparator gets, twice. */
    @SuppressWarnings("restricted")   // the layout says what the pointer points to
    private static final AddressLayout INT_POINTER = ADDRESS.withTargetLayout(JAVA_INT);
    private static final FunctionDescriptor COMPARE = FunctionDescriptor.of(JAVA_INT, INT_POINTER, INT_POINTER);
    private static final MethodHandle QSORT = C.downcall("qsort",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));

    /** What the comparator runs on its first call, while qsort holds the array; it must not throw. */
    private static volatile Runnable onFirstCompare;

    /** The comparator C calls. An exception thrown out of an upcall ends the JVM: whatever it runs catches all. */
    static int compare(MemorySegment a, MemorySegment b) {
        Runnable action = onFirstCompare;
        if (action != null) {
            onFirstCompare = null;
            action.run();
        }
        return Integer.compare(a.get(JAVA_INT, 0), b.get(JAVA_INT, 0));
    }

    /** The buffers the view is tried over: served from the buffer, or from the view's own arena. */
    enum Buffer {
        AUTO {
            @Override
            MemorySegment make(Arena confined) {
                return Arena.ofAuto().allocate(BUFFER_BYTES, 16);
            }
        },
        CONFINED {
            @Override
            MemorySegment make(Arena confined) {
                return confined.allocate(BUFFER_BYTES, 16);
            }
        };

        abstract MemorySegment make(Arena confined);
    }

    /** The ways to end a view: each ends its scope first, and must refuse while a native call holds it. */
    enum Closer {
        VIEW_CLOSE {
            @Override
            void close(BufferAllocator allocator, Frame frame, Arena view) {
                view.close();
            }
        },
        FRAME_CLOSE {
            @Override
            void close(BufferAllocator allocator, Frame frame, Arena view) {
                frame.close();
            }
        },
        RESET {
            @Override
            void close(BufferAllocator allocator, Frame frame, Arena view) {
                allocator.reset();
            }
        },
        ALLOCATOR_CLOSE {
            @Override
            void close(BufferAllocator allocator, Frame frame, Arena view) {
                allocator.close();
            }
        };

        abstract void close(BufferAllocator allocator, Frame frame, Arena view);
    }

    static Stream<Arguments> buffersAndClosers() {
        return Arrays.stream(Buffer.values())
                .flatMap(buffer -> Arrays.stream(Closer.values()).map(closer -> Arguments.of(buffer, closer)));
    }

    private final MallocAllocator malloc = MallocAllocator.instance();

    @AfterEach
    void noActionLeftBehind() {
        onFirstCompare = null;
    }

    // ---- (a) a close refused while qsort holds a segment of the view --------------------------------------

    @ParameterizedTest(name = "{1} over a buffer of Arena.of{0}")
    @MethodSource("buffersAndClosers")
    void closingFromInsideAnUpcallWhileQsortHoldsTheViewsSegmentThrowsAndChangesNothing(Buffer kind, Closer closer)
            throws Throwable {
        long baseline = malloc.liveBytes();
        try (Arena stubs = Arena.ofConfined(); Arena confined = Arena.ofConfined()) {
            MemorySegment comparator = C.upcall(ArenaViewCloseTest.class, "compare", COMPARE, stubs);
            BufferAllocator allocator = BufferAllocator.of(kind.make(confined), malloc);
            MemorySegment outer = allocator.allocate(16);
            outer.fill((byte) 0x33);
            Frame frame = allocator.push();
            Arena view = frame.asArena();
            MemorySegment ints = view.allocateFrom(JAVA_INT, INPUT);
            MemorySegment spill = frame.allocate(SPILL_BYTES, 8);       // does not fit: a fallback block from malloc
            spill.fill((byte) 0x44);
            long used = allocator.usedBytes();
            BufferStatistics before = allocator.statistics();
            assertThat(before.liveFallbackBlocks()).isEqualTo(1);
            assertThat(malloc.liveBytes()).isEqualTo(baseline + SPILL_BYTES);

            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<BufferStatistics> during = new AtomicReference<>();
            AtomicReference<Boolean> viewAliveDuring = new AtomicReference<>();
            onFirstCompare = () -> {
                try {
                    closer.close(allocator, frame, view);
                } catch (Throwable t) {
                    thrown.set(t);
                }
                during.set(allocator.statistics());
                viewAliveDuring.set(view.scope().isAlive());
            };

            QSORT.invokeExact(ints, (long) INPUT.length, JAVA_INT.byteSize(), comparator);

            assertThat(onFirstCompare).as("the comparator ran").isNull();
            assertThat(thrown.get()).as("%s while qsort holds the array", closer).isInstanceOf(IllegalStateException.class);
            assertThat(viewAliveDuring.get()).isTrue();
            assertThat(during.get()).as("nothing changed").isEqualTo(before);
            assertThat(ints.toArray(JAVA_INT)).as("qsort went on with live memory").isEqualTo(sorted(INPUT));

            // Nothing changed: the frame is open with the same view, the cursor and the fallback block are kept.
            assertThat(view.scope().isAlive()).isTrue();
            assertThat(frame.asArena()).isSameAs(view);
            assertThat(allocator.usedBytes()).isEqualTo(used);
            assertThat(allocator.statistics()).isEqualTo(before);
            assertThat(spill.get(JAVA_BYTE, SPILL_BYTES - 1)).isEqualTo((byte) 0x44);
            assertThat(outer.get(JAVA_BYTE, 15)).isEqualTo((byte) 0x33);

            // The view closes normally now, and gives the fallback block back to the C heap.
            view.close();
            assertThat(ints.scope().isAlive()).isFalse();
            assertThat(spill.scope().isAlive()).isFalse();
            assertThatThrownBy(frame::close).isInstanceOf(IllegalStateException.class);
            assertThat(allocator.usedBytes()).isEqualTo(16);
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            assertThat(malloc.liveBytes()).isEqualTo(baseline);
            allocator.close();
        }
        assertThat(malloc.liveBytes()).isEqualTo(baseline);
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void everyCloseTriedInTurnInsideOneUpcallIsRefusedAndTheViewClosesAfterwards(Buffer kind) throws Throwable {
        long baseline = malloc.liveBytes();
        try (Arena stubs = Arena.ofConfined(); Arena confined = Arena.ofConfined()) {
            MemorySegment comparator = C.upcall(ArenaViewCloseTest.class, "compare", COMPARE, stubs);
            BufferAllocator allocator = BufferAllocator.of(kind.make(confined), malloc);
            Frame frame = allocator.push();
            Arena view = frame.asArena();
            MemorySegment ints = view.allocateFrom(JAVA_INT, INPUT);
            frame.allocate(SPILL_BYTES, 8);
            BufferStatistics before = allocator.statistics();
            List<Throwable> thrown = new ArrayList<>();
            onFirstCompare = () -> {
                for (int round = 0; round < 3; round++) {
                    for (Closer closer : Closer.values()) {
                        try {
                            closer.close(allocator, frame, view);
                            thrown.add(null);
                        } catch (Throwable t) {
                            thrown.add(t);
                        }
                    }
                }
            };

            QSORT.invokeExact(ints, (long) INPUT.length, JAVA_INT.byteSize(), comparator);

            assertThat(thrown).hasSize(3 * Closer.values().length)
                    .allSatisfy(t -> assertThat(t).isInstanceOf(IllegalStateException.class));
            assertThat(allocator.statistics()).isEqualTo(before);
            assertThat(ints.toArray(JAVA_INT)).isEqualTo(sorted(INPUT));
            view.close();
            assertThat(malloc.liveBytes()).isEqualTo(baseline);
            allocator.close();
        }
    }

    /**
     * A refused close never closes a frame, even with inner frames open inside the upcall: the inner frame stays
     * open and usable, the cursor and the fallback blocks are where they were, and everything closes afterwards.
     */
    @ParameterizedTest
    @EnumSource(Buffer.class)
    void aRefusedCloseClosesNoFrameEvenWithInnerFramesOpen(Buffer kind) throws Throwable {
        long baseline = malloc.liveBytes();
        try (Arena stubs = Arena.ofConfined(); Arena confined = Arena.ofConfined()) {
            MemorySegment comparator = C.upcall(ArenaViewCloseTest.class, "compare", COMPARE, stubs);
            BufferAllocator allocator = BufferAllocator.of(kind.make(confined), malloc);
            Frame frame = allocator.push();
            Arena view = frame.asArena();
            MemorySegment ints = view.allocateFrom(JAVA_INT, INPUT);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Throwable> afterwards = new AtomicReference<>();
            AtomicReference<BufferStatistics> before = new AtomicReference<>();
            AtomicReference<BufferStatistics> after = new AtomicReference<>();
            onFirstCompare = () -> {
                try {
                    Frame inner = allocator.push();
                    inner.asArena().allocate(8);
                    inner.allocate(SPILL_BYTES, 8);                     // a fallback block of the inner frame
                    before.set(allocator.statistics());
                    try {
                        allocator.reset();
                    } catch (Throwable t) {
                        thrown.set(t);
                    }
                    after.set(allocator.statistics());
                    inner.allocate(8).fill((byte) 1);                   // the inner frame is still open
                    inner.asArena().allocate(8).fill((byte) 2);         // and has a view
                    inner.close();
                } catch (Throwable t) {
                    afterwards.set(t);
                }
            };

            QSORT.invokeExact(ints, (long) INPUT.length, JAVA_INT.byteSize(), comparator);

            assertThat(thrown.get()).isInstanceOf(IllegalStateException.class);
            assertThat(afterwards.get()).isNull();
            assertThat(after.get()).isEqualTo(before.get());
            assertThat(ints.toArray(JAVA_INT)).isEqualTo(sorted(INPUT));
            view.close();
            assertThat(allocator.usedBytes()).isZero();
            assertThat(malloc.liveBytes()).isEqualTo(baseline);
            allocator.close();
        }
    }

    /**
     * A close refused because a native call holds a segment of a view closes no frame and gives nothing back,
     * but the views of frames pushed after it have ended by then (innermost first): the JDK cannot tell
     * whether a scope will close before it tries. Frame.close and BufferAllocator.reset document this.
     */
    @Test
    void aRefusedCloseEndsTheViewsOfInnerFramesButClosesNoFrame() throws Throwable {
        try (Arena stubs = Arena.ofConfined(); Arena confined = Arena.ofConfined()) {
            MemorySegment comparator = C.upcall(ArenaViewCloseTest.class, "compare", COMPARE, stubs);
            BufferAllocator allocator = BufferAllocator.of(Buffer.CONFINED.make(confined), malloc);
            Frame frame = allocator.push();
            MemorySegment ints = frame.asArena().allocateFrom(JAVA_INT, INPUT);
            AtomicReference<Boolean> innerViewAlive = new AtomicReference<>();
            AtomicReference<Long> innerFrameBlock = new AtomicReference<>();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            onFirstCompare = () -> {
                try (Frame inner = allocator.push()) {
                    Arena innerView = inner.asArena();
                    innerView.allocate(8);
                    try {
                        allocator.reset();
                    } catch (IllegalStateException expected) {
                        // refused: the qsort array's view cannot end
                    }
                    innerViewAlive.set(innerView.scope().isAlive());
                    innerFrameBlock.set(inner.allocate(8).byteSize());   // the inner frame is still open
                } catch (Throwable t) {
                    thrown.set(t);
                }
            };

            QSORT.invokeExact(ints, (long) INPUT.length, JAVA_INT.byteSize(), comparator);

            assertThat(thrown.get()).isNull();
            assertThat(innerViewAlive.get()).as("the inner frame's view after a refused reset").isFalse();
            assertThat(innerFrameBlock.get()).as("the inner frame after a refused reset").isEqualTo(8);
            allocator.close();
        }
    }

    // ---- (b) a cleanup action that throws ---------------------------------------------------------------

    @ParameterizedTest(name = "{1} over a buffer of Arena.of{0}")
    @MethodSource("buffersAndClosers")
    @SuppressWarnings("restricted")   // reinterpret attaches the cleanup actions to the view's scope
    void aCleanupActionThatThrowsMakesCloseThrowButTheFrameIsClosedAndNothingLeaks(Buffer kind, Closer closer) {
        long baseline = malloc.liveBytes();
        try (Arena confined = Arena.ofConfined()) {
            MemorySegment buffer = kind.make(confined);
            BufferAllocator allocator = BufferAllocator.of(buffer, malloc);
            MemorySegment outer = allocator.allocate(16);
            Frame frame = allocator.push();
            Arena view = frame.asArena();
            MemorySegment segment = view.allocate(32);
            RuntimeException failure = new UnsupportedOperationException("injected: the cleanup action fails");
            AtomicInteger otherCleanups = new AtomicInteger();
            MemorySegment first = segment.reinterpret(view, _ -> otherCleanups.incrementAndGet());
            segment.reinterpret(view, _ -> {
                throw failure;
            });
            segment.reinterpret(view, _ -> otherCleanups.incrementAndGet());
            MemorySegment spill = frame.allocate(SPILL_BYTES, 8);       // a fallback block from malloc
            assertThat(first.scope()).isEqualTo(view.scope());
            assertThat(malloc.liveBytes()).isEqualTo(baseline + SPILL_BYTES);

            assertThatThrownBy(() -> closer.close(allocator, frame, view)).isSameAs(failure);

            assertThat(otherCleanups).as("every other cleanup action ran").hasValue(2);
            assertThat(view.scope().isAlive()).isFalse();
            assertThat(segment.scope().isAlive()).isFalse();
            assertThat(spill.scope().isAlive()).as("the frame's fallback block was given back").isFalse();
            assertThatThrownBy(frame::close).as("the frame is closed").isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> frame.allocate(8)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> view.allocate(8)).isInstanceOf(IllegalStateException.class);
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            assertThat(allocator.usedBytes()).isEqualTo(closer == Closer.RESET ? 0 : 16);
            assertThat(malloc.liveBytes()).as("nothing leaks").isEqualTo(baseline);

            if (closer == Closer.ALLOCATOR_CLOSE) {
                assertThatThrownBy(() -> allocator.allocate(8)).isInstanceOf(IllegalStateException.class);
                try (BufferAllocator again = BufferAllocator.of(buffer, malloc)) {   // the claim on the buffer ended
                    again.allocate(8).fill((byte) 1);
                }
            } else {
                outer.fill((byte) 1);
                try (Arena next = allocator.push().asArena()) {                    // usable as before
                    next.allocate(8).fill((byte) 2);
                }
                allocator.close();
            }
        }
        assertThat(malloc.liveBytes()).isEqualTo(baseline);
    }

    private static int[] sorted(int[] values) {
        int[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }
}
