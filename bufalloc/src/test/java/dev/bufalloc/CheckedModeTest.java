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
class CheckedModeTest {

    private static final byte POISON = (byte) 0xDB;

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void aSegmentUsedAfterResetThrowsInsteadOfReadingTheNextRequestsData() {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(Arena.ofAuto().allocate(64))) {
            MemorySegment before = allocator.allocateFrom("secret");
            allocator.reset();
            MemorySegment after = allocator.allocateFrom("public");
            assertThat(after.address()).as("the same bytes, handed out again").isEqualTo(before.address());
            assertThatThrownBy(() -> before.getString(0)).isInstanceOf(IllegalStateException.class);
            assertThat(after.getString(0)).isEqualTo("public");
        }
    }

    @Test
    void aSegmentUsedAfterCloseThrows() {
        BufferAllocator allocator = BufferAllocator.ofChecked(Arena.ofAuto().allocate(64));
        MemorySegment block = allocator.allocate(8, 8);
        allocator.close();
        assertThatThrownBy(() -> block.get(ValueLayout.JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aFallbackBlockUsedAfterResetThrowsToo() {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(arena.allocate(8), MallocAllocator.instance())) {
            MemorySegment big = allocator.allocate(100, 8);
            big.fill((byte) 1);
            allocator.reset();
            assertThatThrownBy(() -> big.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void bytesGivenBackArePoisonedAndLiveBytesAreNot() {
        MemorySegment buffer = arena.allocate(32);
        try (BufferAllocator allocator = BufferAllocator.ofChecked(buffer)) {
            MemorySegment kept = allocator.allocate(8, 1);
            kept.fill((byte) 1);
            try (Frame frame = allocator.push()) {
                frame.allocate(8, 1).fill((byte) 2);
            }
            assertThat(buffer.get(ValueLayout.JAVA_BYTE, 8)).as("frame closed: poisoned").isEqualTo(POISON);
            assertThat(kept.get(ValueLayout.JAVA_BYTE, 7)).as("older block: untouched").isEqualTo((byte) 1);
            MemorySegment last = allocator.allocate(4, 1);
            last.fill((byte) 3);
            allocator.free(last);
            assertThat(buffer.get(ValueLayout.JAVA_BYTE, 8)).as("freed last block: poisoned").isEqualTo(POISON);
            allocator.reset();
            assertThat(buffer.get(ValueLayout.JAVA_BYTE, 0)).as("reset: poisoned").isEqualTo(POISON);
        }
    }

    @Test
    void closeGivesEveryByteBackPoisoned() {
        MemorySegment buffer = arena.allocate(16);
        BufferAllocator allocator = BufferAllocator.ofChecked(buffer);
        allocator.allocate(8, 1).fill((byte) 1);
        allocator.close();
        assertThat(buffer.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE)).containsOnly(POISON);
    }

    @Test
    void aHeapBufferIsPoisonedThoughTheJdkCannotEndItsScope() {
        byte[] bytes = new byte[16];
        try (BufferAllocator allocator = BufferAllocator.ofChecked(MemorySegment.ofArray(bytes))) {
            allocator.allocate(16, 1).fill((byte) 1);
            allocator.reset();
            assertThat(bytes).containsOnly(POISON);
        }
    }

    @Test
    void overflowSitesNameTheCallersThatOverflowedWithTheirCountsAndBytes() {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(arena.allocate(16), MallocAllocator.instance())) {
            for (int i = 0; i < 3; i++) {
                overflowBy100(allocator);
            }
            allocator.allocateFrom("a string longer than sixteen bytes");
            assertThat(allocator.overflowSites()).hasSize(2);
            OverflowSite first = allocator.overflowSites().getFirst();
            assertThat(first.callSite()).contains("CheckedModeTest.overflowBy100");
            assertThat(first.count()).isEqualTo(3);
            assertThat(first.bytes()).isEqualTo(300);
            assertThat(allocator.overflowSites().get(1).callSite())
                    .as("the FFM API's own frames are skipped").contains("CheckedModeTest.overflowSitesName");
        }
    }

    @Test
    void overflowSitesComeMostBytesFirstNotInTheOrderTheyFirstOverflowed() {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(arena.allocate(16), MallocAllocator.instance())) {
            allocator.allocateFrom("a string longer than sixteen bytes");
            overflowBy100(allocator);
            assertThat(allocator.overflowSites()).extracting(OverflowSite::bytes).containsExactly(100L, 35L);
        }
    }

    @Test
    void aBlockShrunkInPlaceGivesItsTailBackPoisoned() {
        MemorySegment buffer = arena.allocate(32);
        try (BufferAllocator allocator = BufferAllocator.ofChecked(buffer)) {
            MemorySegment block = allocator.allocate(16, 1);
            block.fill((byte) 1);
            MemorySegment shrunk = allocator.reallocate(block, 4, 1);
            assertThat(shrunk.address()).isEqualTo(buffer.address());
            assertThat(buffer.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 1);
            assertThat(buffer.asSlice(4, 12).toArray(ValueLayout.JAVA_BYTE)).containsOnly(POISON);
        }
    }

    private static void overflowBy100(BufferAllocator allocator) {
        allocator.allocate(100, 1);
    }

    @Test
    void anUncheckedAllocatorHasNoOverflowReportAndHandsOutTheBuffersOwnScope() {
        MemorySegment buffer = arena.allocate(16);
        try (BufferAllocator allocator = BufferAllocator.of(buffer)) {
            allocator.allocate(100, 1);
            assertThat(allocator.isChecked()).isFalse();
            assertThat(allocator.overflowSites()).isEmpty();
            assertThat(allocator.allocate(1, 1).scope()).isEqualTo(buffer.scope());
        }
    }

    @Test
    void aCheckedAllocatorOverAConfinedBufferKeepsItsSegmentsConfined() throws Exception {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(arena.allocate(16))) {
            MemorySegment block = allocator.allocate(8, 8);
            assertThat(block.isAccessibleBy(Thread.currentThread())).isTrue();
            assertThat(block.isAccessibleBy(new Thread(() -> {}))).isFalse();
            assertThat(allocator.isChecked()).isTrue();
        }
    }

    @Test
    void overABufferItsOwnerMayCloseBlocksKeepTheBuffersScopeAndArePoisoned() {
        MemorySegment block;
        try (BufferAllocator allocator = BufferAllocator.ofChecked(arena.allocate(64))) {
            block = allocator.allocate(8, 8);
            block.fill((byte) 1);
            allocator.reset();
            assertThat(block.scope()).as("re-scoping memory its owner may free would be unsafe").isEqualTo(arena.scope());
            assertThat(block.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo(CheckedBufferAllocator.POISON);
        }
    }

    @Test
    void aBufferBlockUsedAfterItsFrameClosedThrows() {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(Arena.ofAuto().allocate(64))) {
            MemorySegment kept = allocator.allocate(8, 8);
            MemorySegment inFrame;
            try (Frame frame = allocator.push()) {
                inFrame = frame.allocate(8, 8);
            }
            assertThatThrownBy(() -> inFrame.set(ValueLayout.JAVA_LONG, 0, 1)).isInstanceOf(IllegalStateException.class);
            kept.set(ValueLayout.JAVA_LONG, 0, 1);   // older than the frame: still live
        }
    }

    @Test
    void aFallbackBlockWrittenAfterItsFrameClosedThrowsInsteadOfCorruptingTheCHeap() {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(Arena.ofAuto().allocate(8), MallocAllocator.instance())) {
            MemorySegment big;
            try (Frame frame = allocator.push()) {
                big = frame.allocate(4096, 16);
            }
            assertThatThrownBy(() -> big.fill((byte) 0x55)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void freeingOrReallocatingABlockOfAnEarlierGenerationIsRefused() {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(Arena.ofAuto().allocate(64))) {
            MemorySegment old = allocator.allocate(16, 8);
            allocator.reset();
            allocator.allocate(16, 8);   // the same bytes again
            assertThatThrownBy(() -> allocator.free(old)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Not a live block");
            assertThatThrownBy(() -> allocator.reallocate(old, 32, 8)).isInstanceOf(IllegalArgumentException.class);
            assertThat(allocator.usedBytes()).as("nothing rewound").isEqualTo(16);
        }
    }

    @Test
    void aBlockFreedOutOfOrderOrMovedIsDeadToo() {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(Arena.ofAuto().allocate(256))) {
            MemorySegment first = allocator.allocate(16, 8);
            MemorySegment second = allocator.allocate(16, 8);
            allocator.free(first);   // not the most recent: its bytes stay, but the block is dead
            assertThatThrownBy(() -> first.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            MemorySegment third = allocator.allocate(8, 8);
            MemorySegment moved = allocator.reallocate(second, 64, 8);   // not the most recent: it moves
            assertThat(moved.address()).isNotEqualTo(second.address());
            assertThatThrownBy(() -> second.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            third.set(ValueLayout.JAVA_LONG, 0, 7);
        }
    }

    @Test
    void aCheckedCloseAfterTheBuffersArenaClosedStillFreesEverythingAndEndsTheClaim() {
        long baseline = MallocAllocator.instance().liveBytes();
        Arena bufferArena = Arena.ofConfined();
        MemorySegment buffer = bufferArena.allocate(16);
        BufferAllocator allocator = BufferAllocator.ofChecked(buffer, MallocAllocator.instance());
        allocator.allocate(8, 1);
        allocator.allocate(1000, 8);   // a fallback block
        bufferArena.close();
        allocator.close();
        assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(baseline);
    }

    /**
     * Found by AllocatorContractTest's random sequences: giving back the most recent block (a free, a frame's
     * close) ends the scope of every block at or above its start, an empty block allocated before it at the
     * same address included, though that block is live: it then throws on use, and freeing or reallocating it
     * is refused as "not a live block".
     */
    @Test
    void anEmptyBlockStaysLiveWhenALaterBlockAtItsAddressIsGivenBack() {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(Arena.ofAuto().allocate(64))) {
            MemorySegment empty = allocator.allocate(0, 1);
            allocator.free(allocator.allocate(8, 1));
            assertThat(empty.scope().isAlive()).isTrue();
            allocator.free(empty);

            allocator.allocate(8, 1);
            MemorySegment beforeTheFrame = allocator.allocate(0, 1);
            try (Frame frame = allocator.push()) {
                frame.allocate(8, 1);
            }
            assertThat(beforeTheFrame.scope().isAlive()).as("older than the frame: untouched by its close").isTrue();
            assertThat(allocator.reallocate(beforeTheFrame, 4, 1).byteSize()).isEqualTo(4);
        }
    }

    @Test
    void checkedBlocksAreConfinedToTheAllocatorsThread() throws Exception {
        MemorySegment buffer = Arena.ofAuto().allocate(16);
        try (BufferAllocator allocator = BufferAllocator.ofChecked(buffer)) {
            MemorySegment block = allocator.allocate(8, 8);
            assertThat(block.isAccessibleBy(Thread.currentThread())).isTrue();
            assertThat(block.isAccessibleBy(new Thread(() -> {}))).isFalse();
        }
    }
}
