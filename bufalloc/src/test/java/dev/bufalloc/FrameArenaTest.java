package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.NoLeaks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every test here must give back all it took from malloc: {@link NoLeaks} checks it after each. */
@NoLeaks
class FrameArenaTest {

    private Arena arena;
    private BufferAllocator allocator;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
        // A buffer only the garbage collector frees: the view may see it through its own scope.
        allocator = BufferAllocator.of(Arena.ofAuto().allocate(128), MallocAllocator.instance());
    }

    @AfterEach
    void close() {
        allocator.close();
        arena.close();
    }

    @Test
    void aSegmentUsedAfterItsFrameClosedThrowsInsteadOfReadingReusedMemory() {
        MemorySegment name;
        try (Arena frame = allocator.push().asArena()) {
            name = frame.allocateFrom("temporary");
            assertThat(name.getString(0)).isEqualTo("temporary");
            assertThat(name.scope()).isEqualTo(frame.scope());
        }
        allocator.allocateFrom("reused!!!!");   // the same bytes, handed out again
        assertThatThrownBy(() -> name.getString(0)).isInstanceOf(IllegalStateException.class);
        assertThat(name.scope().isAlive()).isFalse();
    }

    @Test
    void theViewNamesItsFrame() {
        try (Frame frame = allocator.push()) {
            assertThat(frame.asArena()).hasToString("FrameArena[Frame[depth=1, id=1]]");
        }
    }

    @Test
    void theViewAllocatesInTheFrameAndClosingItClosesTheFrame() {
        Frame frame = allocator.push();
        Arena view = frame.asArena();
        assertThat(frame.asArena()).isSameAs(view);
        MemorySegment block = view.allocate(ValueLayout.JAVA_LONG, 4);
        assertThat(block.address() % 8).isZero();
        assertThat(allocator.usedBytes()).isEqualTo(32);
        view.close();
        assertThat(allocator.usedBytes()).isZero();
        assertThatThrownBy(frame::close).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void whatDoesNotFitTheBufferComesFromTheViewsOwnArenaNativeZeroedAndInScope() {
        MemorySegment big;
        try (Arena frame = allocator.push().asArena()) {
            big = frame.allocate(1000, 8);
            assertThat(big.isNative()).isTrue();
            assertThat(big.scope()).isEqualTo(frame.scope());
            assertThat(big.get(ValueLayout.JAVA_LONG, 992)).isZero();
            big.fill((byte) 1);
            assertThat(allocator.statistics().liveFallbackBlocks()).as("not a fallback block").isZero();
        }
        assertThatThrownBy(() -> big.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void overABufferItsOwnerMayCloseTheViewNeverSeesTheBufferThroughItsScope() {
        try (BufferAllocator closeable = BufferAllocator.of(arena.allocate(128));
             Arena view = closeable.push().asArena()) {
            MemorySegment block = view.allocate(16, 8);
            assertThat(closeable.usedBytes()).as("served by the view's own arena").isZero();
            assertThat(block.scope()).isEqualTo(view.scope());
            assertThat(block.asOverlappingSlice(arena.allocate(0)).isEmpty()).isTrue();
        }
    }

    @Test
    void aHeapBufferHasAnArenaViewOfNativeMemory() {
        try (BufferAllocator heap = BufferAllocator.of(new byte[16]); Arena view = heap.push().asArena()) {
            MemorySegment block = view.allocate(8, 8);
            assertThat(block.isNative()).isTrue();
            assertThat(block.scope()).isEqualTo(view.scope());
        }
    }

    @Test
    void aViewSegmentKeepsAnAutomaticBufferReachableWhileItsScopeLives() throws Exception {
        MemorySegment block = viewSegmentOfADroppedAllocator();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        block.set(ValueLayout.JAVA_LONG, 0, 42);   // must not touch freed memory: the buffer is still reachable
        assertThat(block.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(42);
    }

    private static MemorySegment viewSegmentOfADroppedAllocator() {
        BufferAllocator dropped = BufferAllocator.of(Arena.ofAuto().allocate(4096), MallocAllocator.instance());
        return dropped.push().asArena().allocate(8, 8);   // the frame is never closed; only the segment is kept
    }

    @Test
    void resetEndsTheScopeOfEveryOpenView() {
        Arena outer = allocator.push().asArena();
        MemorySegment a = outer.allocate(8, 8);
        Arena inner = allocator.push().asArena();
        MemorySegment b = inner.allocate(8, 8);
        allocator.reset();
        assertThat(outer.scope().isAlive()).isFalse();
        assertThat(inner.scope().isAlive()).isFalse();
        assertThatThrownBy(() -> a.get(ValueLayout.JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.get(ValueLayout.JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(inner::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("reset()");
    }

    @Test
    void aClosedFrameHasNoArenaView() {
        Frame frame = allocator.push();
        frame.close();
        assertThatThrownBy(frame::asArena).isInstanceOf(IllegalStateException.class);
    }
}
