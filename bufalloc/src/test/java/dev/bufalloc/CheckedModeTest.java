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
        try (BufferAllocator allocator = BufferAllocator.ofChecked(arena.allocate(64))) {
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
        BufferAllocator allocator = BufferAllocator.ofChecked(arena.allocate(64));
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
    void aCheckedAllocatorOverASharedBufferHandsOutSegmentsOtherThreadsMayRead() throws Exception {
        MemorySegment buffer = Arena.ofAuto().allocate(16);
        try (BufferAllocator allocator = BufferAllocator.ofChecked(buffer)) {
            MemorySegment block = allocator.allocate(8, 8);
            block.set(ValueLayout.JAVA_LONG, 0, 42L);
            long[] read = new long[1];
            Thread reader = new Thread(() -> read[0] = block.get(ValueLayout.JAVA_LONG, 0));
            reader.start();
            reader.join();
            assertThat(read[0]).isEqualTo(42L);
        }
    }
}
