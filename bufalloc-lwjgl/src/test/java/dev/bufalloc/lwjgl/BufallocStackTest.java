package dev.bufalloc.lwjgl;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.Frame;
import dev.bufalloc.Scratch;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link BufallocStack}'s contract, for each kind: over an allocator or scratch, plain or scoped. */
@NoLeaks
class BufallocStackTest {

    /** The four factories; each test runs on all of them that the rule concerns. */
    private static void forEachKind(BufferAllocator allocator, Consumer<BufallocStack> test) {
        test.accept(BufallocStack.of(allocator));
        test.accept(BufallocStack.ofScoped(allocator));
        test.accept(BufallocStack.ofScratch());
        test.accept(BufallocStack.ofScopedScratch());
    }

    @Test
    void framesNestAndPopInnermostFirstGivingBackWhatTheyHeld() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(1024))) {
            BufallocStack stack = BufallocStack.of(allocator);
            assertThat(stack.depth()).isZero();
            assertThat(stack.push()).isSameAs(stack);
            Frame outer = stack.frame();
            stack.allocate(16);
            assertThat(allocator.usedBytes()).isEqualTo(16);

            stack.push();
            Frame inner = stack.frame();
            assertThat(inner).isNotSameAs(outer);
            assertThat(stack.depth()).isEqualTo(2);
            stack.allocate(100);
            assertThat(allocator.usedBytes()).isEqualTo(116);

            assertThat(stack.pop()).isSameAs(stack);
            assertThat(stack.frame()).isSameAs(outer);
            assertThat(allocator.usedBytes()).isEqualTo(16);
            stack.pop();
            assertThat(stack.depth()).isZero();
            assertThat(allocator.usedBytes()).isZero();
        }
    }

    @Test
    void deepNestingGrowsTheStack() {
        BufallocStack stack = BufallocStack.ofScratch();
        for (int i = 0; i < 100; i++) {
            stack.push().allocate(JAVA_LONG).set(JAVA_LONG, 0, i);
        }
        assertThat(stack.depth()).isEqualTo(100);
        for (int i = 0; i < 100; i++) {
            stack.pop();
        }
        assertThat(stack.depth()).isZero();
    }

    @Test
    void tryWithResourcesPops() {
        BufallocStack stack = BufallocStack.ofScratch();
        try (BufallocStack frame = stack.push()) {
            frame.allocateFrom("in a frame");
            assertThat(stack.depth()).isEqualTo(1);
        }
        assertThat(stack.depth()).isZero();
    }

    @Test
    void scratchFramesAreScratchPushes() {
        BufallocStack stack = BufallocStack.ofScratch();
        try (Frame mine = Scratch.push()) {
            stack.push();
            assertThat(stack.frame().allocator()).isSameAs(mine.allocator());   // the thread's one scratch allocator
            stack.pop();
        }
    }

    @Test
    void allocationsHaveTheSizeAndAlignmentAsked() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64 * 1024))) {
            forEachKind(allocator, stack -> {
                stack.push();
                for (long alignment = 1; alignment <= 4096; alignment *= 2) {
                    for (long size : new long[] {0, 1, 3, 8, 100}) {
                        MemorySegment block = stack.allocate(size, alignment);
                        assertThat(block.byteSize()).as("%s: size %d", stack, size).isEqualTo(size);
                        assertThat(block.address() % alignment).as("%s: alignment %d", stack, alignment).isZero();
                        assertThat(block.isNative()).isTrue();
                    }
                }
                MemoryLayout point = MemoryLayout.structLayout(JAVA_INT.withName("x"), JAVA_INT.withName("y"));
                MemorySegment points = stack.allocate(point, 3);
                assertThat(points.byteSize()).isEqualTo(24);
                assertThat(points.address() % point.byteAlignment()).isZero();
                assertThat(stack.allocateFrom("héllo").getString(0)).isEqualTo("héllo");
                assertThat(stack.allocateFrom(JAVA_INT, 1, 2, 3).toArray(JAVA_INT)).containsExactly(1, 2, 3);
                stack.pop();
            });
        }
    }

    @Test
    void badSizesAndAlignmentsAreRefusedAsSegmentAllocatorSays() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(1024))) {
            forEachKind(allocator, stack -> {
                stack.push();
                assertThatThrownBy(() -> stack.allocate(-1, 1)).as(stack.toString())
                        .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> stack.allocate(8, 3)).as(stack.toString())
                        .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> stack.allocate(8, 0)).as(stack.toString())
                        .isInstanceOf(IllegalArgumentException.class);
                stack.pop();
            });
        }
    }

    @Test
    void scopedSegmentsThrowAfterPop() {
        try (BufferAllocator allocator = BufferAllocator.of(Arena.ofAuto().allocate(1024))) {
            for (BufallocStack stack : new BufallocStack[] {BufallocStack.ofScoped(allocator), BufallocStack.ofScopedScratch()}) {
                stack.push();
                MemorySegment inBuffer = stack.allocate(JAVA_LONG);
                MemorySegment overflow = stack.allocate(1 << 20, 8);   // past any buffer here
                inBuffer.set(JAVA_LONG, 0, 42);
                stack.pop();
                assertThatThrownBy(() -> inBuffer.get(JAVA_LONG, 0)).as(stack.toString())
                        .isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> overflow.get(JAVA_BYTE, 0)).as(stack.toString())
                        .isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void plainSegmentsThrowAfterPopWhenTheyCameFromTheFallbackOrACheckedAllocator() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
            BufallocStack stack = BufallocStack.of(allocator);
            stack.push();
            MemorySegment overflow = stack.allocate(1000);
            stack.pop();
            assertThatThrownBy(() -> overflow.get(JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        }
        BufallocStack scratch = BufallocStack.ofScratch();
        scratch.push();
        MemorySegment overflow = scratch.allocate(Scratch.bufferSize() + 1);
        scratch.pop();
        assertThatThrownBy(() -> overflow.get(JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);

        try (BufferAllocator checked = BufferAllocator.ofChecked(Arena.ofAuto().allocate(1024))) {
            BufallocStack stack = BufallocStack.of(checked);
            stack.push();
            MemorySegment block = stack.allocate(JAVA_INT);
            stack.pop();
            assertThatThrownBy(() -> block.get(JAVA_INT, 0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void requestsPastTheBufferFallBackInsteadOfRunningOutOfStackSpace() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
            forEachKind(allocator, stack -> {
                stack.push();
                long big = Math.max(64, Scratch.bufferSize()) + 1;
                MemorySegment block = stack.allocate(big, 16);
                block.fill((byte) 7);
                assertThat(block.byteSize()).isEqualTo(big);
                assertThat(block.get(JAVA_BYTE, big - 1)).isEqualTo((byte) 7);
                stack.pop();   // gives the fallback block back: @NoLeaks checks
            });
            // A plain stack's overflow is the allocator's fallback (a scoped one's, its Arena view's own arena).
            for (BufallocStack stack : new BufallocStack[] {BufallocStack.of(allocator), BufallocStack.ofScratch()}) {
                stack.push().allocate(Scratch.bufferSize() + 1);
                assertThat(stack.frame().allocator().statistics().liveFallbackBlocks()).as(stack.toString()).isOne();
                stack.pop();
            }
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
        }
    }

    @Test
    void anAllocatorWithoutFallbackStillSaysSo() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.withoutFallback(arena.allocate(64))) {
            BufallocStack stack = BufallocStack.of(allocator).push();
            assertThatThrownBy(() -> stack.allocate(65)).isInstanceOf(IndexOutOfBoundsException.class);
            stack.pop();
        }
    }

    @Test
    void popWithoutPushAndAllocationOutsideAFrameAreRefused() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
            forEachKind(allocator, stack -> {
                assertThatThrownBy(stack::pop).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("pop() without a matching push()");
                assertThatThrownBy(stack::close).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("pop() without a matching push()");
                assertThatThrownBy(() -> stack.allocate(8)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("push() before allocating");
                assertThatThrownBy(stack::frame).isInstanceOf(IllegalStateException.class);
                stack.push().pop();
                assertThatThrownBy(stack::pop).isInstanceOf(IllegalStateException.class);
                assertThat(stack.depth()).isZero();
            });
        }
    }

    @Test
    void anotherThreadGetsWrongThreadException() throws Exception {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
            forEachKind(allocator, stack -> {
                stack.push();
                MemorySegment before = stack.allocate(8);
                assertThat(onAnotherThread(s -> s.push(), stack)).isInstanceOf(WrongThreadException.class);
                assertThat(onAnotherThread(s -> s.allocate(8), stack)).isInstanceOf(WrongThreadException.class);
                assertThat(onAnotherThread(BufallocStack::pop, stack)).isInstanceOf(WrongThreadException.class);
                assertThat(onAnotherThread(BufallocStack::frame, stack)).isInstanceOf(WrongThreadException.class)
                        .hasMessageContaining("confined to thread " + Thread.currentThread().getName());
                assertThat(onAnotherThread(BufallocStack::depth, stack)).isNull();   // read-only: allowed
                assertThat(stack.depth()).isEqualTo(1);   // nothing changed
                assertThat(stack.allocate(8).address()).isNotEqualTo(before.address());
                stack.pop();
            });
        }
        // Made on another thread: confined to it.
        BufallocStack foreign = CompletableFuture.supplyAsync(BufallocStack::ofScratch).get();
        assertThatThrownBy(foreign::push).isInstanceOf(WrongThreadException.class);
    }

    /** {@return what {@code use} threw on a new thread, or null} */
    private static Throwable onAnotherThread(Function<BufallocStack, ?> use, BufallocStack stack) {
        try {
            CompletableFuture.supplyAsync(() -> use.apply(stack), runnable -> Thread.ofPlatform().start(runnable)).get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anEndedFrameIsReportedAndForgotten() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
            BufallocStack stack = BufallocStack.of(allocator).push();
            allocator.reset();   // ends every open frame
            assertThatThrownBy(() -> stack.allocate(8)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(stack::pop).isInstanceOf(IllegalStateException.class);
            assertThat(stack.depth()).isZero();
        }
    }

    @Test
    void aSharedAllocatorHasNoFrames() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator shared = BufferAllocator.ofShared(arena.allocate(64))) {
            BufallocStack stack = BufallocStack.of(shared);
            assertThatThrownBy(stack::push).isInstanceOf(UnsupportedOperationException.class);
            assertThat(stack.depth()).isZero();
        }
    }

    @Test
    void nullAllocatorsAreRefused() {
        assertThatThrownBy(() -> BufallocStack.of(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> BufallocStack.ofScoped(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void valueLayoutsOfEveryAlignmentRoundTrip() {
        BufallocStack stack = BufallocStack.ofScratch().push();
        for (ValueLayout layout : new ValueLayout[] {JAVA_BYTE, ValueLayout.JAVA_SHORT, JAVA_INT, JAVA_LONG,
                ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS}) {
            MemorySegment block = stack.allocate(layout);
            assertThat(block.byteSize()).isEqualTo(layout.byteSize());
            assertThat(block.address() % layout.byteAlignment()).isZero();
        }
        stack.pop();
    }
}
