package dev.bufalloc.safety;

import dev.bufalloc.Allocator;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The item 5: only exactly the most recent block may give bytes back. A free of anything else (a
 * block from before a reset that happens to end at the new cursor, a slice spanning live blocks, the whole
 * buffer) must be refused ({@link IllegalArgumentException} or {@link IllegalStateException}) or ignored,
 * and the next allocation must not overlap a live block. A reallocate of an empty slice that was never
 * allocated, below or at the cursor, cannot be told from a block (as the contract says): it moves to a new
 * block past the cursor, gives nothing back and changes nothing else. For the buffer allocator, checked
 * mode, the shared allocator and a growing allocator (in its buffer, the same rules).
 */
@Tag("safety")
class FreeRulesTest {

    private Arena arena;
    private MemorySegment buffer;
    private Kind.Subject subject;
    private Allocator allocator;

    @BeforeEach
    void openArena() {
        arena = Arena.ofConfined();
        buffer = arena.allocate(64, 64);
    }

    @AfterEach
    void closeEverything() {
        try {
            if (subject != null) {
                subject.close();
            }
        } finally {
            arena.close();
        }
    }

    private void open(Kind kind) {
        subject = kind.open(buffer);
        allocator = subject.allocator();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Kind.class, names = {"BUFFER", "CHECKED", "SHARED", "GROWING"})
    void aFreeOfABlockFromBeforeResetThatEndsAtTheNewCursorDoesNotRewindIntoALiveBlock(Kind kind) {
        open(kind);
        allocator.allocate(8, 1);
        MemorySegment old = allocator.allocate(8, 1);    // [8, 16)
        subject.reset();
        MemorySegment live = allocator.allocate(16, 1);  // [0, 16): the new cursor is where the old block ended

        Throwable thrown = catchThrowable(() -> allocator.free(old));
        MemorySegment next = allocator.allocate(8, 1);

        assertRefusedOrIgnored(thrown, "free() of a block from before reset()");
        assertThat(overlap(next, live)).as("the next allocation %s overlaps the live block %s: the stale free rewound"
                + " the cursor into it", next, live).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Kind.class, names = {"BUFFER", "CHECKED", "SHARED", "GROWING"})
    void aFreeOfASliceSpanningTwoLiveBlocksDoesNotRewindIntoThem(Kind kind) {
        open(kind);
        MemorySegment first = allocator.allocate(8, 1);   // [0, 8)
        MemorySegment second = allocator.allocate(8, 1);  // [8, 16)

        Throwable thrown = catchThrowable(() -> allocator.free(buffer.asSlice(4, 12)));   // [4, 16): ends at the cursor
        MemorySegment next = allocator.allocate(8, 1);

        assertRefusedOrIgnored(thrown, "free() of a slice spanning two live blocks");
        assertThat(overlap(next, first) + overlap(next, second)).as("the next allocation %s overlaps the live blocks"
                + " %s and %s", next, first, second).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Kind.class, names = {"BUFFER", "CHECKED", "SHARED", "GROWING"})
    void aFreeOfTheWholeBufferDoesNotRewindIntoItsLiveBlocks(Kind kind) {
        open(kind);
        MemorySegment first = allocator.allocate(32, 1);
        MemorySegment second = allocator.allocate(32, 1);   // the buffer is full: the cursor is at its end

        Throwable thrown = catchThrowable(() -> allocator.free(buffer));
        MemorySegment next = allocator.allocate(8, 1);

        assertRefusedOrIgnored(thrown, "free() of the whole buffer");
        assertThat(overlap(next, first) + overlap(next, second)).as("the next allocation %s overlaps the live blocks"
                + " %s and %s", next, first, second).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Kind.class, names = {"BUFFER", "CHECKED", "SHARED", "GROWING"})
    void aReallocateOfAnEmptySliceThatWasNeverAllocatedMovesToANewBlockPastTheCursorAndChangesNothingElse(Kind kind) {
        open(kind);
        MemorySegment first = allocator.allocate(8, 1);   // [0, 8)
        first.fill((byte) 0x11);
        long base = buffer.address();

        MemorySegment atTheCursor = allocator.reallocate(buffer.asSlice(8, 0), 16, 1);
        long usedAfterTheFirst = subject.usedBytes();
        MemorySegment insideABlock = allocator.reallocate(buffer.asSlice(4, 0), 16, 1);
        long usedAfterTheSecond = subject.usedBytes();
        MemorySegment next = allocator.allocate(8, 1);

        SoftAssertions.assertSoftly(softly -> {
            softly.assertThat(atTheCursor.byteSize()).as("the block for the empty slice at the cursor").isEqualTo(16);
            softly.assertThat(atTheCursor.address() - base).as("where it starts: the cursor, 8").isEqualTo(8);
            softly.assertThat(usedAfterTheFirst).as("bytes in use after it: 8 + 16, nothing given back").isEqualTo(24);
            softly.assertThat(insideABlock.byteSize()).as("the block for the empty slice inside the first block")
                    .isEqualTo(16);
            softly.assertThat(insideABlock.address() - base).as("where it starts: the cursor, 24").isEqualTo(24);
            softly.assertThat(usedAfterTheSecond).as("bytes in use after it: 24 + 16, nothing given back")
                    .isEqualTo(40);
            softly.assertThat(first.toArray(ValueLayout.JAVA_BYTE)).as("the first block's bytes, untouched")
                    .containsOnly((byte) 0x11);
            softly.assertThat(overlap(atTheCursor, first) + overlap(insideABlock, first)
                    + overlap(insideABlock, atTheCursor)).as("bytes the new blocks share with a live block").isZero();
            softly.assertThat(overlap(next, first) + overlap(next, atTheCursor) + overlap(next, insideABlock))
                    .as("bytes the next allocation %s shares with a live block", next).isZero();
        });
    }

    private static void assertRefusedOrIgnored(Throwable thrown, String call) {
        if (thrown != null) {
            assertThat(thrown).as(call + ": refused or ignored")
                    .isInstanceOfAny(IllegalArgumentException.class, IllegalStateException.class);
        }
    }

    /** The bytes two native segments share. */
    private static long overlap(MemorySegment a, MemorySegment b) {
        long start = Math.max(a.address(), b.address());
        long end = Math.min(a.address() + a.byteSize(), b.address() + b.byteSize());
        return Math.max(0, end - start);
    }
}
