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
class FrameTest {

    private Arena arena;
    private BufferAllocator allocator;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
        allocator = BufferAllocator.of(arena.allocate(256), MallocAllocator.instance());
    }

    @AfterEach
    void close() {
        allocator.close();
        arena.close();
    }

    @Test
    void closingAFrameFreesWhatWasAllocatedInItAndNothingOlder() {
        MemorySegment kept = allocator.allocateFrom("kept");
        try (Frame frame = allocator.push()) {
            assertThat(frame.allocator()).isSameAs(allocator);
            frame.allocate(100, 8);
            allocator.allocate(50, 1);   // through the allocator itself: also in the frame
        }
        assertThat(allocator.usedBytes()).isEqualTo(5);
        assertThat(kept.getString(0)).isEqualTo("kept");
    }

    @Test
    void framesNestForTemporaryWorkInsideTemporaryWork() {
        try (Frame outer = allocator.push()) {
            outer.allocate(10, 1);
            try (Frame inner = allocator.push()) {
                inner.allocate(20, 1);
                assertThat(allocator.usedBytes()).isEqualTo(30);
            }
            assertThat(allocator.usedBytes()).isEqualTo(10);
        }
        assertThat(allocator.usedBytes()).isZero();
    }

    @Test
    void closingAFrameFreesItsFallbackBlocksAndNotOlderOnes() {
        allocator.allocate(250, 1);
        MemorySegment older = allocator.allocate(100, 1);   // fallback, before the frame
        try (Frame frame = allocator.push()) {
            frame.allocate(100, 1);
            frame.allocate(100, 1);
            assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(3);
        }
        assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
        allocator.free(older);
        assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
    }

    @Test
    void anOlderFallbackBlockFreedInsideTheFrameDoesNotConfuseIt() {
        allocator.allocate(256, 1);
        MemorySegment older = allocator.allocate(100, 1);
        try (Frame frame = allocator.push()) {
            MemorySegment mine = frame.allocate(100, 1);
            allocator.free(older);
            MemorySegment alsoMine = frame.allocate(100, 1);
            assertThat(mine.byteSize() + alsoMine.byteSize()).isEqualTo(200);
        }
        assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
    }

    @Test
    void aBlockOlderThanTheFrameNeverGrowsIntoIt() {
        MemorySegment older = allocator.allocate(16, 8);
        older.set(ValueLayout.JAVA_LONG, 0, 1L);
        try (Frame frame = allocator.push()) {
            MemorySegment grown = frame.reallocate(older, 32, 8);
            assertThat(grown.address()).as("moved, not grown in place").isNotEqualTo(older.address());
            assertThat(grown.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(1L);
            allocator.free(older);
            assertThat(allocator.usedBytes()).as("freeing the older block gives nothing back in the frame")
                    .isEqualTo(48);
        }
        assertThat(allocator.usedBytes()).isEqualTo(16);
        assertThat(older.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(1L);
    }

    @Test
    void anEmptyBlockRightBeforeTheFrameDoesNotGrowIntoIt() {
        MemorySegment empty = allocator.allocate(0, 1);
        try (Frame frame = allocator.push()) {
            MemorySegment grown = frame.reallocate(empty, 8, 1);
            assertThat(grown.byteSize()).isEqualTo(8);
            assertThat(allocator.statistics().inPlaceReallocations()).isZero();
        }
    }

    @Test
    void onlyTheInnermostFrameAllocates() {
        Frame outer = allocator.push();
        Frame inner = allocator.push();
        assertThatThrownBy(() -> outer.allocate(8, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not the innermost open frame");
        inner.close();
        outer.allocate(8, 1);
        outer.close();
        assertThat(allocator.usedBytes()).isZero();
    }

    @Test
    void closingAnOuterFrameClosesTheInnerOnesGivesEverythingBackAndReportsIt() {
        allocator.allocate(8, 1);
        Frame outer = allocator.push();
        outer.allocate(8, 1);
        Frame inner = allocator.push();
        inner.allocate(8, 1);
        assertThatThrownBy(outer::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("1 frame(s) pushed after it were open: they were closed with it");
        assertThat(allocator.usedBytes()).as("back to where the outer frame opened").isEqualTo(8);
        assertThatThrownBy(inner::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(outer::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        try (Frame next = allocator.push()) {
            assertThat(next.allocate(8, 1).address()).isEqualTo(allocator.allocate(0, 1).address() - 8);
        }
    }

    @Test
    void aFrameClosedTwiceIsRefused() {
        Frame frame = allocator.push();
        frame.close();
        assertThatThrownBy(frame::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> frame.allocate(1, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void resetEndsEveryOpenFrame() {
        Frame frame = allocator.push();
        frame.allocate(8, 1);
        allocator.reset();
        assertThatThrownBy(frame::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("reset()");
        assertThatThrownBy(() -> frame.free(MemorySegment.NULL)).isInstanceOf(IllegalStateException.class);
        try (Frame fresh = allocator.push()) {
            assertThat(fresh.allocate(8, 1).byteSize()).isEqualTo(8);
        }
    }

    @Test
    void aFrameFromBeforeAResetStaysEndedEvenWhenANewFrameHasItsDepth() {
        Frame old = allocator.push();
        allocator.reset();
        Frame fresh = allocator.push();
        assertThatThrownBy(old::close).isInstanceOf(IllegalStateException.class);
        fresh.close();
    }

    @Test
    void closingTheAllocatorEndsItsFrames() {
        BufferAllocator other = BufferAllocator.of(arena.allocate(16));
        Frame frame = other.push();
        other.close();
        assertThatThrownBy(frame::close).isInstanceOf(IllegalStateException.class);
    }
}
