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
        allocator = BufferAllocator.of(arena.allocate(128), MallocAllocator.instance());
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
    void fallbackBlocksOfTheViewAreScopedAndFreedToo() {
        MemorySegment big;
        try (Arena frame = allocator.push().asArena()) {
            big = frame.allocate(1000, 8);
            big.fill((byte) 1);
            assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
        }
        assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
        assertThatThrownBy(() -> big.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
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
    void aHeapBufferHasNoArenaView() {
        try (BufferAllocator heap = BufferAllocator.of(new byte[16]); Frame frame = heap.push()) {
            assertThatThrownBy(frame::asArena).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("native buffer");
        }
    }

    @Test
    void aClosedFrameHasNoArenaView() {
        Frame frame = allocator.push();
        frame.close();
        assertThatThrownBy(frame::asArena).isInstanceOf(IllegalStateException.class);
    }
}
