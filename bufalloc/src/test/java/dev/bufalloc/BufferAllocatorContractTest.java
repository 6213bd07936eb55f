package dev.bufalloc;

import dev.bufalloc.AllocatorKind.Factory;
import dev.bufalloc.AllocatorKind.Instance;
import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.internal.ChunkChain;
import dev.bufalloc.testing.CountingAllocator;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import static dev.bufalloc.AllocatorContractTest.alignUp;
import static dev.bufalloc.AllocatorContractTest.assertHolds;
import static dev.bufalloc.AllocatorContractTest.fill;
import static dev.bufalloc.AllocatorContractTest.onAnotherThread;
import static dev.bufalloc.AllocatorContractTest.refusedAndUnchanged;
import static dev.bufalloc.ForKinds.Which.BOUNDED;
import static dev.bufalloc.ForKinds.Which.BUFFERS;
import static dev.bufalloc.ForKinds.Which.BUFFERS_WITH_FALLBACK;
import static dev.bufalloc.ForKinds.Which.BUMP_ALLOCATORS;
import static dev.bufalloc.ForKinds.Which.CONFINED_BUFFERS;
import static dev.bufalloc.ForKinds.Which.EIGHT_BYTE_ALIGNED;
import static dev.bufalloc.ForKinds.Which.HEAP_BUFFERS;
import static dev.bufalloc.ForKinds.Which.NATIVE_BUFFERS;
import static dev.bufalloc.ForKinds.Which.OVER_A_GIVEN_BUFFER;
import static dev.bufalloc.ForKinds.Which.OVER_NATIVE_MEMORY;
import static dev.bufalloc.ForKinds.Which.REWINDING_OVER_NATIVE_MEMORY;
import static dev.bufalloc.ForKinds.Which.WITH_COUNTED_FALLBACK;
import static dev.bufalloc.ForKinds.Which.WITH_FALLBACK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The contract of {@link BufferAllocator}, which its confined and shared kinds share (alignment, sizes,
 * zeroing, free, reallocate, fallback, reset and close, statistics, one allocator per buffer): run
 * against every {@link AllocatorKind} that bumps through a buffer (the confined allocator over each
 * memory, checked, frames, scratch, the shared allocator). Where the kinds differ by design, the rule
 * says how: only a confined allocator gives back the bytes of exactly its most recent block and resizes
 * that block in place ({@link AllocatorKind#rewinds()}); a shared one never does, and moves every block
 * it reallocates, since another thread may have allocated right after the block and a stale block from
 * before a reset may lie over live ones. Rules that hold for every allocator are in
 * {@link AllocatorContractTest}; what one kind alone does (threads, frames, checked mode, the shared
 * allocator's lock) is in that kind's own test.
 */
@NoLeaks
class BufferAllocatorContractTest {

    /** Fills the buffer, then takes {@code count} 100-byte blocks from the fallback. */
    static List<MemorySegment> fallbackBlocks(Instance it, int count) {
        it.allocate(it.remainingBytes(), 1);
        List<MemorySegment> blocks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            blocks.add(it.allocate(100, 1));
        }
        return blocks;
    }

    /** Allocates what it takes for the next free byte to be at an address that is {@code residue} modulo 8. */
    static void moveCursorToResidue(Instance it, long residue) {
        long next = it.buffer().usedBytes() + it.base();
        long skip = Math.floorMod(residue - next, 8);
        if (skip > 0) {
            it.allocate(skip, 1);
        }
    }

    @Nested
    class Order {

        @ForKinds(BUMP_ALLOCATORS)
        void blocksComeInOrderWithExactlyTheSizeAskedAndOnlyThePaddingTheirAlignmentNeeds(AllocatorKind kind) {
            try (Instance it = kind.make(256)) {
                MemorySegment a = it.allocate(3, 1);
                MemorySegment b = it.allocate(5, 1);
                assertThat(a.address()).isEqualTo(it.origin());
                assertThat(b.address()).isEqualTo(a.address() + 3);
                assertThat(List.of(a.byteSize(), b.byteSize())).containsExactly(3L, 5L);
                assertThat(it.usedBytes()).isEqualTo(8);
                long alignment = Math.min(64, kind.maxAlignment());
                MemorySegment c = it.allocate(8, alignment);
                assertThat(c.address()).as("only the padding alignment needs").isEqualTo(alignUp(b.address() + 5, alignment));
                MemorySegment d = it.allocate(1, 1);
                assertThat(d.address()).isEqualTo(c.address() + 8);
                assertThat(it.usedBytes()).isEqualTo(d.address() + 1 - it.origin());
                assertThat(it.statistics().fallbackCount()).isZero();
                if (kind != AllocatorKind.SCRATCH) {
                    assertThat(it.buffer().capacity()).isEqualTo(256);
                }
            }
        }

        @ForKinds(BUMP_ALLOCATORS)
        void anFfmApiAllocatesFromTheBufferToo(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment text = it.allocator().allocateFrom("hello");
                assertThat(it.inBuffer(text)).isTrue();
                assertThat(it.usedBytes()).isEqualTo(6);
            }
        }

        @ForKinds(BUMP_ALLOCATORS)
        void theBufferHoldsExactlyItsCapacityThenFallsBackOrRefuses(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                for (long room = it.remainingBytes(); room > 0; room--) {
                    assertThat(it.inBuffer(it.allocate(1, 1))).isTrue();
                }
                assertThat(it.remainingBytes()).isZero();
                assertThat(it.statistics().fallbackCount()).isZero();
                if (kind.isBounded()) {
                    refusedAndUnchanged(it, IndexOutOfBoundsException.class, () -> it.allocator().allocate(1, 1));
                } else {
                    MemorySegment more = it.allocate(1, 1);
                    assertThat(it.inBuffer(more)).isFalse();
                    if (kind.bumpsInChunks()) {
                        assertThat(it.statistics().chunks()).isEqualTo(1);
                        assertThat(it.statistics().liveFallbackBytes()).isZero();
                    } else {
                        assertThat(it.statistics().liveFallbackBytes()).isEqualTo(1);
                    }
                    if (it.fallback() != null && !kind.bumpsInChunks()) {
                        assertThat(it.fallback().outstanding()).containsExactly(more);
                    }
                }
            }
        }

        @ForKinds(EIGHT_BYTE_ALIGNED)
        void alignedLongsFillTheBufferWithoutPadding(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                moveCursorToResidue(it, 0);
                for (long n = it.remainingBytes() / 8; n > 0; n--) {
                    assertThat(it.allocate(8, 8).maxByteAlignment()).isGreaterThanOrEqualTo(8);
                }
                assertThat(it.remainingBytes()).isZero();
                assertThat(it.statistics().fallbackCount()).isZero();
            }
        }

        @ForKinds(OVER_NATIVE_MEMORY)
        void anAlignmentBeyondTheBuffersOwnIsOfTheAddressAndStillFromTheBuffer(AllocatorKind kind) {
            // The buffer starts 8 bytes past a 4096-byte boundary: aligning the offset alone would be wrong.
            try (Arena arena = Arena.ofConfined();
                 Instance it = kind.over(kind.memory.newBuffer(arena, 4096 + 512, 4096).asSlice(8, 512))) {
                it.allocate(1, 1);
                MemorySegment aligned = it.allocate(16, 64);
                assertThat(aligned.address() % 64).isZero();
                assertThat(aligned.address() - it.base()).isEqualTo(56);
                assertThat(it.usedBytes()).isEqualTo(72);
                assertThat(it.allocate(8, 8).address() - it.base()).isEqualTo(72);
                assertThat(it.statistics().fallbackCount()).isZero();
            }
        }

        @ForKinds(NATIVE_BUFFERS)
        void aHeapBufferGivesTheAlignmentOfItsArraysElementsAndNoMore(AllocatorKind kind) {
            List<MemorySegment> arrays = List.of(MemorySegment.ofArray(new byte[64]), MemorySegment.ofArray(new short[32]),
                    MemorySegment.ofArray(new char[32]), MemorySegment.ofArray(new int[16]),
                    MemorySegment.ofArray(new float[16]), MemorySegment.ofArray(new long[8]),
                    MemorySegment.ofArray(new double[8]));
            for (MemorySegment array : arrays) {
                long elementSize = array.maxByteAlignment();
                try (Instance it = kind.over(array)) {
                    it.allocate(1, 1);
                    MemorySegment aligned = it.allocate(8, elementSize);
                    assertThat(aligned.heapBase()).containsSame(array.heapBase().orElseThrow());
                    assertThat(aligned.address()).as("offset in the array").isEqualTo(alignUp(1, elementSize));
                    refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().allocate(8, elementSize * 2))
                            .hasMessageContaining("aligns to at most " + elementSize + " bytes");
                    refusedAndUnchanged(it, IllegalArgumentException.class,
                            () -> it.allocator().reallocate(aligned, 16, elementSize * 2))
                            .hasMessageContaining("at most " + elementSize);
                    assertThat(it.usedBytes()).isEqualTo(alignUp(1, elementSize) + 8);
                }
            }
        }

        @ForKinds(HEAP_BUFFERS)
        void aHeapBuffersBlocksAreViewsOfTheCallersArray(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(1, 1);
                MemorySegment value = it.allocate(8, kind.maxAlignment());
                value.set(JAVA_LONG.withByteAlignment(1), 0, 42L);
                Object array = it.memory().heapBase().orElseThrow();
                assertThat(value.heapBase()).containsSame(array);
                assertThat(it.memory().get(JAVA_LONG.withByteAlignment(1), value.address())).isEqualTo(42L);
                if (array instanceof long[] longs) {
                    assertThat(longs[1]).isEqualTo(42L);
                }
            }
        }

        @ForKinds(BUMP_ALLOCATORS)
        void aZeroByteBlockAtTheEndOfAFullBufferStillComesFromTheBuffer(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(it.remainingBytes(), 1);
                MemorySegment empty = it.allocate(0, 1);
                assertThat(empty.byteSize()).isZero();
                assertThat(it.inBuffer(empty)).isTrue();
                assertThat(it.statistics().fallbackCount()).isZero();
            }
        }
    }

    @Nested
    class Free {

        @ForKinds(BUMP_ALLOCATORS)
        void freeingExactlyTheMostRecentBlockGivesItsBytesBackAndFreeingAnOlderOneDoesNothing(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment older = it.allocate(8, 1);
                MemorySegment last = it.allocate(8, 1);
                it.free(older);
                assertThat(it.usedBytes()).isEqualTo(16);
                it.free(last);
                if (kind.rewinds()) {
                    assertThat(it.usedBytes()).isEqualTo(8);
                    assertThat(it.allocate(8, 1).address()).as("the same bytes, handed out again").isEqualTo(last.address());
                } else {   // another thread may have allocated right after it: its bytes come back on reset
                    assertThat(it.usedBytes()).isEqualTo(16);
                    assertThat(it.allocate(8, 1).address()).isEqualTo(last.address() + 8);
                }
            }
        }

        /** Only exactly the most recent block gives bytes back: no free can rewind the cursor into live blocks. */
        @ForKinds(BUMP_ALLOCATORS)
        void onceTheMostRecentBlockIsFreedTheBlockBeforeItIsNotTheMostRecentAndKeepsItsBytes(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                Allocator allocator = it.allocator();
                MemorySegment first = it.allocate(8, 1);
                MemorySegment second = it.allocate(8, 1);
                it.free(second);
                if (kind.rewinds()) {   // its bytes were given back: not a live block any more
                    refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.free(second))
                            .hasMessageContaining("Not a live block")
                            .hasMessageContaining(kind.scopesBufferBlocks() ? "neither in its buffer"
                                    : "beyond the " + it.buffer().usedBytes() + " bytes in use");
                    refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.reallocate(second, 4, 1))
                            .hasMessageContaining("Not a live block");
                } else {
                    it.free(second);   // still below the cursor: a no-op, not a double free
                }
                long used = it.usedBytes();
                it.free(first);
                assertThat(it.usedBytes()).as("not the most recent block: nothing comes back").isEqualTo(used);
                if (kind.scopesBufferBlocks()) {   // its scope ended with the free
                    refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.free(first))
                            .hasMessageContaining("Not a live block");
                } else {
                    it.free(first);   // still below the cursor: ignored again, as any older block's free is
                    assertThat(it.usedBytes()).isEqualTo(used);
                }
            }
        }

        @ForKinds(OVER_NATIVE_MEMORY)
        void aSegmentThatStartsInTheBufferButRunsPastItsEndIsForeign(AllocatorKind kind) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment memory = kind.memory.newBuffer(arena, 128);
                try (Instance it = kind.over(memory.asSlice(0, 64))) {
                    it.allocate(64, 1);
                    refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(memory.asSlice(32, 48)))
                            .hasMessageContaining("neither in its buffer");
                    assertThat(it.usedBytes()).isEqualTo(64);
                }
            }
        }

        @ForKinds(BUMP_ALLOCATORS)
        void anEmptyBlockIsLiveAndFreeingItGivesNoBytesBack(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment before = it.allocate(8, 1);
                MemorySegment empty = it.allocate(0, 1);
                it.free(before);   // not the most recent block: the empty one is
                assertThat(it.usedBytes()).isEqualTo(8);
                it.free(empty);    // found by the soak: still live, and nothing to give back
                assertThat(it.usedBytes()).isEqualTo(8);
                it.free(empty);    // at the cursor: still in the buffer's live part, ignored
                assertThat(it.usedBytes()).isEqualTo(8);
            }
        }

        @ForKinds(OVER_A_GIVEN_BUFFER)
        void aSegmentOfTheBufferEndingAtTheCursorIsIgnoredAndOneEndingPastItIsRefused(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment buffer = it.memory();
                it.allocate(4, 1);
                it.allocate(4, 1);   // the most recent block: [4, 8)
                it.free(buffer.asSlice(0, 8));   // in use, but not the most recent block: ignored
                it.free(buffer.asSlice(8, 0));   // empty, at the cursor: ignored
                assertThat(it.usedBytes()).isEqualTo(8);
                for (MemorySegment pastTheCursor : List.of(buffer.asSlice(0, 9), buffer.asSlice(8, 1))) {
                    refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(pastTheCursor))
                            .hasMessageContaining("beyond the 8 bytes in use");
                }
            }
        }
    }

    @Nested
    class Reallocate {

        @ForKinds(BUMP_ALLOCATORS)
        void theMostRecentBlockGrowsAndShrinksInPlaceCopyingNothingUnlessTheAllocatorIsShared(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                long alignment = Math.min(8, kind.maxAlignment());
                MemorySegment block = it.allocate(8, alignment);
                fill(block, 42);
                MemorySegment grown = it.reallocate(block, 40, alignment);
                assertThat(grown.byteSize()).isEqualTo(40);
                assertHolds(grown, 8, 42);
                MemorySegment shrunk = it.reallocate(grown, 4, 1);
                assertHolds(shrunk, 4, 42);
                if (kind.rewinds()) {
                    assertThat(grown.address()).isEqualTo(block.address());
                    assertThat(shrunk.address()).isEqualTo(block.address());
                    assertThat(it.usedBytes()).isEqualTo(block.address() + 4 - it.origin());
                    assertThat(it.statistics().inPlaceReallocations()).isEqualTo(2);
                    assertThat(it.statistics().copiedBytes()).isZero();
                } else {   // another thread may have allocated right after it: it moves, even with room behind it
                    assertThat(grown.address()).isEqualTo(block.address() + 8);
                    assertThat(shrunk.address()).as("a shrink moves too").isEqualTo(grown.address() + 40);
                    assertThat(it.usedBytes()).as("and gives nothing back").isEqualTo(block.address() + 52 - it.origin());
                    assertThat(it.statistics().inPlaceReallocations()).isZero();
                    assertThat(it.statistics().copiedBytes()).isEqualTo(8 + 4);
                }
            }
        }

        @ForKinds(BUMP_ALLOCATORS)
        void aByteAlignedBlockAtAnOddAddressIsResizedInPlaceIfTheAllocatorRewinds(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                moveCursorToResidue(it, 2);
                MemorySegment block = it.allocate(4, 1);
                MemorySegment shrunk = it.reallocate(block, 3, 1);
                MemorySegment grown = it.reallocate(shrunk, 8, 1);
                if (kind.rewinds()) {
                    assertThat(shrunk.address()).isEqualTo(block.address());
                    assertThat(grown.address()).isEqualTo(block.address());
                } else {
                    assertThat(shrunk.address()).isEqualTo(block.address() + 4);
                    assertThat(grown.address()).isEqualTo(shrunk.address() + 3);
                }
                assertThat(it.usedBytes()).isEqualTo(grown.address() + 8 - it.origin());
            }
        }

        @ForKinds(REWINDING_OVER_NATIVE_MEMORY)
        void whetherTheMostRecentBlockStaysDependsOnItsAddressNotItsOffset(AllocatorKind kind) {
            try (Arena arena = Arena.ofConfined()) {
                // A buffer 16 bytes past a 64-byte boundary: its offset 48 is a 64-aligned address.
                MemorySegment memory = kind.memory.newBuffer(arena, 128, 64);
                try (Instance it = kind.over(memory.asSlice(16, 112))) {
                    it.allocate(48, 1);
                    MemorySegment block = it.allocate(8, 1);
                    MemorySegment shrunk = it.reallocate(block, 4, 64);
                    assertThat(shrunk.address()).isEqualTo(block.address());
                    assertThat(it.reallocate(shrunk, 16, 64).address()).isEqualTo(block.address());
                }
            }
        }

        @ForKinds(BUMP_ALLOCATORS)
        void theMostRecentBlockGrowsInPlaceUpToExactlyTheCapacityIfTheAllocatorRewinds(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(8, 1);
                MemorySegment block = it.allocate(8, 1);
                fill(block, 6);
                long size = 8 + it.remainingBytes();   // [8, capacity) would just fit in place
                if (kind.rewinds()) {
                    MemorySegment grown = it.reallocate(block, size, 1);
                    assertThat(grown.address()).isEqualTo(block.address());
                    assertThat(it.remainingBytes()).isZero();
                    assertThat(it.statistics().fallbackCount()).isZero();
                } else if (kind.isBounded()) {
                    refusedAndUnchanged(it, IndexOutOfBoundsException.class, () -> it.allocator().reallocate(block, size, 1));
                } else {   // it moves to the fallback instead
                    MemorySegment moved = it.reallocate(block, size, 1);
                    assertThat(it.inBuffer(moved)).isFalse();
                    assertHolds(moved, 8, 6);
                    assertThat(it.usedBytes()).isEqualTo(16);
                    assertThat(it.statistics().inPlaceReallocations()).isZero();
                    assertThat(it.fallback().outstanding()).containsExactly(moved);
                }
            }
        }

        @ForKinds(EIGHT_BYTE_ALIGNED)
        void aBlockMovesWhenItsAddressDoesNotSuitTheNewAlignmentEvenToShrink(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                moveCursorToResidue(it, 1);
                MemorySegment block = it.allocate(2, 1);
                block.set(JAVA_BYTE, 0, (byte) 5);
                MemorySegment moved = it.reallocate(block, 8, 8);
                assertThat(moved.address() % 8).isZero();
                assertThat(moved.address()).isNotEqualTo(block.address());
                assertThat(moved.get(JAVA_BYTE, 0)).isEqualTo((byte) 5);
                assertThat(it.statistics().copiedBytes()).isEqualTo(2);
                moveCursorToResidue(it, 1);
                MemorySegment odd = it.allocate(2, 1);
                odd.set(JAVA_BYTE, 0, (byte) 6);
                MemorySegment shrunk = it.reallocate(odd, 1, 8);
                assertThat(shrunk.address() % 8).isZero();
                assertThat(shrunk.get(JAVA_BYTE, 0)).isEqualTo((byte) 6);
                assertThat(it.statistics().copiedBytes()).isEqualTo(3);
                assertThat(it.statistics().inPlaceReallocations()).isZero();
            }
        }

        @ForKinds(BUMP_ALLOCATORS)
        void anOlderBlockMovesWithTheBytesTheNewSizeHolds(AllocatorKind kind) {
            try (Instance it = kind.make(256)) {
                MemorySegment older = it.allocate(8, 1);
                fill(older, 9);
                it.allocate(8, 1);
                MemorySegment moved = it.reallocate(older, 4, 1);
                assertThat(moved.address()).isEqualTo(older.address() + 16);
                assertHolds(moved, 4, 9);
                assertThat(it.statistics().copiedBytes()).isEqualTo(4);
                assertThat(it.usedBytes()).isEqualTo(20);
                long alignment = Math.min(8, kind.maxAlignment());
                MemorySegment old = it.allocate(8, alignment);
                old.set(JAVA_BYTE, 7, (byte) 7);
                it.allocate(8, alignment);
                MemorySegment grown = it.reallocate(old, 64, alignment);
                assertThat(grown.address()).isNotEqualTo(old.address());
                assertThat(grown.get(JAVA_BYTE, 7)).isEqualTo((byte) 7);
                assertThat(it.statistics().copiedBytes()).isEqualTo(4 + 8);
            }
        }

        @ForKinds(BUMP_ALLOCATORS)
        void aReallocationToTheSameSizeKeepsOnlyTheMostRecentBlockOfAnAllocatorThatRewinds(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                long alignment = Math.min(8, kind.maxAlignment());
                MemorySegment older = it.allocate(8, alignment);
                it.allocate(8, alignment);
                MemorySegment moved = it.reallocate(older, 8, alignment);
                assertThat(moved.address()).as("not the most recent block: it moves").isEqualTo(older.address() + 16);
                MemorySegment again = it.reallocate(moved, 8, alignment);
                assertThat(again.address()).isEqualTo(kind.rewinds() ? moved.address() : moved.address() + 8);
                assertThat(it.statistics().inPlaceReallocations()).isEqualTo(kind.rewinds() ? 1 : 0);
                assertThat(it.usedBytes()).isEqualTo(kind.rewinds() ? 24 : 32);
            }
        }

        @ForKinds(WITH_FALLBACK)
        void theMostRecentBlockOutgrowingTheBufferMovesToTheFallbackWhichThenReallocatesIt(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(8, 1);
                MemorySegment block = it.allocate(16, 1);
                fill(block, 3);
                long size = it.remainingBytes() + 100;
                MemorySegment moved = it.reallocate(block, size, 1);
                assertThat(it.inBuffer(moved)).isFalse();
                assertHolds(moved, 16, 3);
                assertThat(it.usedBytes()).as("the old block was the most recent: given back, unless shared")
                        .isEqualTo(kind.rewinds() ? 8 : 24);
                assertThat(it.statistics().copiedBytes()).isEqualTo(16);
                if (it.fallback() != null) {
                    assertThat(it.fallback().outstanding()).containsExactly(moved);
                }
                MemorySegment grown = it.reallocate(moved, 3 * size, 1);   // a fallback block: by the fallback
                assertHolds(grown, 16, 3);
                BufferStatistics stats = it.statistics();
                assertThat(stats.liveFallbackBlocks()).isEqualTo(1);
                assertThat(stats.liveFallbackBytes()).isEqualTo(3 * size);
                assertThat(stats.fallbackCount()).isEqualTo(2);
                assertThat(stats.fallbackBytes()).isEqualTo(4 * size);
                if (it.fallback() != null) {
                    assertThat(it.fallback().outstanding()).containsExactly(grown);
                }
                refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(moved));
            }
        }

        @ForKinds(WITH_FALLBACK)
        void anOlderBlockThatMovesToTheFallbackLeavesTheCursorAlone(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment older = it.allocate(8, 1);
                it.allocate(8, 1);
                it.reallocate(older, it.remainingBytes() + 100, 1);
                assertThat(it.usedBytes()).isEqualTo(16);
            }
        }

        @ForKinds(BOUNDED)
        void withoutRoomForAMoveTheReallocationIsRefusedAndTheBlockStaysLive(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment old = it.allocate(16, 1);
                fill(old, 1);
                it.allocate(16, 1);
                refusedAndUnchanged(it, IndexOutOfBoundsException.class, () -> it.allocator().reallocate(old, 48, 1));
                assertThat(it.usedBytes()).isEqualTo(32);
                assertHolds(old, 16, 1);
                it.free(old);   // still live
            }
        }
    }

    @Nested
    class Fallback {

        @ForKinds(BOUNDED)
        void withoutFallbackAFullBufferSaysWhatWasAskedAndWhatIsLeft(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(60, 1);
                refusedAndUnchanged(it, IndexOutOfBoundsException.class, () -> it.allocator().allocate(8, 1))
                        .hasMessage("The buffer is full: asked 8 bytes aligned to 1, 4 of 64 bytes left, and this"
                                + " allocator has no fallback");
                assertThat(it.usedBytes()).isEqualTo(60);
                assertThat(it.allocate(4, 1).byteSize()).isEqualTo(4);
            }
        }

        @ForKinds(WITH_FALLBACK)
        void whatDoesNotFitGoesToTheFallbackAndTheBufferIsNotGivenUpOn(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment inBuffer = it.allocate(it.remainingBytes() - 4, 1);
                MemorySegment elsewhere = it.allocate(8, 1);
                assertThat(inBuffer.address()).isEqualTo(it.origin());
                assertThat(it.inBuffer(elsewhere)).isFalse();
                assertThat(it.statistics().liveFallbackBlocks()).isEqualTo(1);
                MemorySegment stillFits = it.allocate(4, 1);
                assertThat(stillFits.address()).isEqualTo(inBuffer.address() + inBuffer.byteSize());
                if (it.fallback() != null) {
                    assertThat(it.fallback().outstanding()).containsExactly(elsewhere);
                }
                it.free(elsewhere);
                assertThat(it.statistics().liveFallbackBlocks()).isZero();
                if (it.fallback() != null) {
                    assertThat(it.fallback().outstanding()).isEmpty();
                }
            }
        }

        @ForKinds(WITH_COUNTED_FALLBACK)
        void whatDoesNotFitGoesToTheContextAllocatorCurrentWhenTheAllocatorWasMade(AllocatorKind kind) {
            CountingAllocator context = new CountingAllocator(AllocatorKind.malloc());
            try (Arena arena = Arena.ofConfined();
                 Instance it = ContextAllocator.callWith(context, () -> kind.overUsingContext(kind.memory.newBuffer(arena, 8)))) {
                MemorySegment block = it.allocate(16, 1);   // outside callWith: the allocator kept it
                assertThat(context.outstanding()).containsExactly(block);
                assertThat(it.statistics().fallbackCount()).isEqualTo(1);
                it.allocate(16, 1);
                assertThat(context.outstandingBlocks()).isEqualTo(2);
            }
            assertThat(context.outstandingBlocks()).as("given back on close").isZero();
        }

        @ForKinds(WITH_COUNTED_FALLBACK)
        void whenTheFallbackFailsTheCallerSeesItAndNothingChanges(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(4, 1);
                it.fallback().failNextCall(() -> new IllegalStateException("out of memory, for the test"));
                refusedAndUnchanged(it, IllegalStateException.class, () -> it.allocator().allocate(100, 1))
                        .isSameAs(it.fallback().lastInjected());
                assertThat(it.allocate(100, 1).byteSize()).isEqualTo(100);
            }
        }

        @ForKinds(WITH_COUNTED_FALLBACK)
        void freeingAFallbackBlockFreesItThroughTheFallbackAndOnlyOnce(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                List<MemorySegment> blocks = fallbackBlocks(it, 2);
                MemorySegment first = blocks.get(0);
                it.reallocate(blocks.get(1), 30, 1);
                assertThat(it.statistics().liveFallbackBytes()).isEqualTo(130);
                it.free(first);
                assertThat(it.fallback().outstandingBlocks()).isEqualTo(1);
                assertThat(it.statistics().liveFallbackBlocks()).isEqualTo(1);
                assertThat(it.statistics().liveFallbackBytes()).isEqualTo(30);
                refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(first))
                        .hasMessageContaining("Not a live block").hasMessageContaining("fallback");
            }
        }

        @ForKinds(WITH_COUNTED_FALLBACK)
        void fallbackBlocksAreGivenBackOnFreeAndOnAReallocationThatShrinksThem(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                List<MemorySegment> blocks = fallbackBlocks(it, 3);
                assertThat(it.fallback().outstandingBlocks()).isEqualTo(3);
                assertThat(it.fallback().outstandingBytes()).isEqualTo(300);
                blocks.forEach(it::free);
                assertThat(it.fallback().outstandingBlocks()).isZero();
                assertThat(it.statistics().liveFallbackBlocks()).isZero();
                MemorySegment big = it.allocate(100, 1);
                MemorySegment small = it.reallocate(big, 8, 1);
                assertThat(it.fallback().outstandingBlocks()).as("the fallback shrank it").isEqualTo(1);
                it.free(small);
                assertThat(it.fallback().outstandingBlocks()).isZero();
            }
        }

        @ForKinds(WITH_COUNTED_FALLBACK)
        void whenTheFallbacksFreeFailsTheAllocatorForgetsTheBlockAndTheFallbackKeepsIt(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                CountingAllocator fallback = it.fallback();
                MemorySegment block = fallbackBlocks(it, 1).getFirst();
                fallback.failNextCall(() -> new IllegalStateException("free failed"));
                assertThat(catchThrowable(() -> it.allocator().free(block))).hasMessage("free failed");
                assertThat(it.statistics().liveFallbackBlocks()).isZero();
                assertThat(it.statistics().liveFallbackBytes()).isZero();
                refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(block))
                        .as("forgotten: not a live block any more").hasMessageContaining("Not a live block");
                assertThat(fallback.outstanding()).as("the fallback refused it: still its").containsExactly(block);
                if (kind.isBuffer()) {
                    it.buffer().reset();
                    assertThat(fallback.outstanding()).as("the allocator does not free it again").containsExactly(block);
                }
                fallback.releaseOutstanding();
            }
        }

        @ForKinds(WITH_FALLBACK)
        void aFallbackBlockThrowsWhenUsedAfterItWasFreedOrItsAllocatorOrFrameEnded(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                List<MemorySegment> blocks = fallbackBlocks(it, 2);
                it.free(blocks.get(0));
                assertThatThrownBy(() -> blocks.get(0).get(JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
                blocks.get(1).fill((byte) 1);   // still live
                it.closeItself();
                assertThatThrownBy(() -> blocks.get(1).get(JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Nested
    class ResetAndClose {

        @ForKinds(BUFFERS)
        void resetMakesTheWholeBufferFreeAgainAndFreesTheFallbackBlocks(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment first = it.allocate(40, 1);
                if (kind.hasFallback()) {
                    it.allocate(40, 1);
                }
                it.buffer().reset();
                assertThat(it.usedBytes()).isZero();
                assertThat(it.allocate(40, 1).address()).isEqualTo(first.address());
                BufferStatistics stats = it.statistics();
                assertThat(stats.resets()).isEqualTo(1);
                assertThat(stats.peakDemand()).isEqualTo(kind.hasFallback() ? 80 : 40);
                assertThat(stats.fallbackCount()).isEqualTo(kind.hasFallback() ? 1 : 0);
                assertThat(stats.fallbackBytes()).isEqualTo(kind.bumpsInChunks() ? ChunkChain.MIN_CHUNK : kind.hasFallback() ? 40 : 0);
                assertThat(stats.liveFallbackBlocks()).isZero();
                assertThat(stats.usedBytes()).isEqualTo(40);
                it.allocate(24, 1);
                it.buffer().reset();
                assertThat(it.allocate(64, 1).address()).as("all 64 bytes free again").isEqualTo(first.address());
            }
        }

        @ForKinds(BUFFERS)
        void resetAndZeroLeavesZerosWhereBlocksWereAndResets(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                List<MemorySegment> blocks = new ArrayList<>();
                while (it.remainingBytes() > 0) {
                    blocks.add(it.allocate(Math.min(8, it.remainingBytes()), 1).fill((byte) 0x55));
                }
                if (kind.hasFallback()) {
                    it.allocate(100, 1).fill((byte) 0x55);   // a fallback block (or, growing, a chunk's bytes)
                }
                it.buffer().resetAndZero();
                assertThat(it.usedBytes()).isZero();
                assertThat(it.statistics().resets()).isEqualTo(1);
                assertThat(it.statistics().liveFallbackBlocks()).isZero();
                MemorySegment all = it.allocate(it.remainingBytes(), 1);
                assertThat(all.toArray(JAVA_BYTE)).containsOnly((byte) 0);
                if (kind.bumpsInChunks()) {
                    assertThat(it.allocate(100, 1).toArray(JAVA_BYTE)).as("the chunk's bytes too").containsOnly((byte) 0);
                }
                it.buffer().close();
                assertThatThrownBy(it.buffer()::resetAndZero).isInstanceOf(IllegalStateException.class);
            }
        }

        /**
         * Bytes handed out and given back before the call (by free, a frame's close, or a plain reset) held data
         * too: resetAndZero zeroes them, not only what is in use when it is called.
         */
        @ForKinds(BUFFERS)
        void resetAndZeroAlsoZeroesWhatWasGivenBackSinceTheLastOne(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                long capacity = it.buffer().capacity();
                List<MemorySegment> inChunks = new ArrayList<>();
                it.allocate(capacity / 2, 1).fill((byte) 0x11);
                it.buffer().reset();
                it.free(it.allocate(8, 1).fill((byte) 0x22));   // the newest block: its bytes come back
                if (!kind.isShared()) {
                    try (Frame frame = it.buffer().push()) {
                        frame.allocate(capacity / 4, 1).fill((byte) 0x33);
                    }
                    if (kind.bumpsInChunks()) {   // a frame through a chunk, closed in it or back in the buffer
                        try (Frame frame = it.buffer().push()) {
                            frame.allocate(capacity - it.buffer().usedBytes(), 1).fill((byte) 0x44);
                            inChunks.add(frame.allocate(100, 1).fill((byte) 0x44));
                        }
                        try (Frame frame = it.buffer().push()) {
                            for (int i = 0; i < 41; i++) {
                                inChunks.add(frame.allocate(1000, 1).fill((byte) 0x55));   // through more chunks, then back
                            }
                        }
                    }
                }
                it.buffer().resetAndZero();
                assertThat(it.allocate(capacity, 1).toArray(JAVA_BYTE)).as("the buffer").containsOnly((byte) 0);
                assertThat(it.statistics().chunks()).isEqualTo(kind.bumpsInChunks() ? 4 : 0);
                for (MemorySegment stale : inChunks) {   // chunk memory, which the allocator keeps: readable
                    assertThat(it.inBuffer(stale)).isFalse();
                    assertThat(stale.toArray(JAVA_BYTE)).as("the chunks").containsOnly((byte) 0);
                }
            }
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void resetAndCloseGiveEveryFallbackBlockBack(AllocatorKind kind) {
            Instance it = kind.make();
            try (it) {
                fallbackBlocks(it, 3);
                it.buffer().reset();
                assertThat(it.fallback().outstandingBlocks()).isZero();
                assertThat(it.fallback().calls(CountingAllocator.Call.FREE)).isEqualTo(3);
                fallbackBlocks(it, 2);   // reused after the reset, and given back again
                it.buffer().reset();
                assertThat(it.fallback().outstandingBlocks()).isZero();
                fallbackBlocks(it, 3);
                it.buffer().close();
                assertThat(it.fallback().outstandingBlocks()).isZero();
            }
        }

        /**
         * A boundary of reset's short path, taken when the fallback holds nothing: a ledger emptied block by
         * block (out of order, so with a hole on the way) is as empty as one never used. The reset still
         * rewinds everything, gives no block back twice, and leaves the allocator as any reset does.
         */
        @ForKinds(BUFFERS_WITH_FALLBACK)
        void aResetRightAfterTheLastFallbackBlockWasFreedRewindsAllAndGivesNothingBackTwice(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                CountingAllocator fallback = it.fallback();
                MemorySegment filling = it.allocate(AllocatorKind.CAPACITY, 1);
                List<MemorySegment> blocks = List.of(it.allocate(100, 1), it.allocate(100, 1), it.allocate(100, 1));
                for (int i : new int[] {1, 0, 2}) {
                    it.free(blocks.get(i));
                }
                assertThat(fallback.outstandingBlocks()).isZero();
                assertThat(fallback.calls(CountingAllocator.Call.FREE)).isEqualTo(3);
                assertThat(it.statistics().liveFallbackBlocks()).isZero();
                assertThat(it.usedBytes()).isEqualTo(AllocatorKind.CAPACITY);

                it.buffer().reset();
                assertThat(it.statistics()).as("rewound, with the life totals kept")
                        .isEqualTo(new BufferStatistics(64, 0, 364, 3, 300, 0, 0, 0, 0, 1, 0, 0));
                assertThat(fallback.calls(CountingAllocator.Call.FREE)).as("nothing given back twice").isEqualTo(3);
                assertThat(fallback.outstandingBlocks()).isZero();
                for (MemorySegment freed : blocks) {
                    assertThatThrownBy(() -> freed.get(JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
                }
                refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(filling))
                        .as("a buffer block from before the reset is not live").hasMessageContaining("Not a live block");

                MemorySegment all = it.allocate(AllocatorKind.CAPACITY, 1);
                assertThat(all.address()).as("the whole buffer free again").isEqualTo(it.origin());
                MemorySegment next = it.allocate(100, 1);
                assertThat(fallback.outstanding()).as("an overflow goes to the fallback again").containsExactly(next);
                it.buffer().reset();
                assertThat(fallback.outstandingBlocks()).isZero();
                assertThat(fallback.calls(CountingAllocator.Call.FREE)).isEqualTo(4);
                assertThatThrownBy(() -> next.get(JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
                assertThat(it.statistics().resets()).isEqualTo(2);
            }
        }

        /** Past that boundary: one fallback block still live takes the reset off its short path, and it is given back. */
        @ForKinds(BUFFERS_WITH_FALLBACK)
        void aResetAfterAllButOneFallbackBlockWasFreedGivesTheLastOneBack(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                CountingAllocator fallback = it.fallback();
                for (int kept = 0; kept < 3; kept++) {   // the oldest, the middle one, the newest
                    List<MemorySegment> blocks = fallbackBlocks(it, 3);
                    long freesBefore = fallback.calls(CountingAllocator.Call.FREE);
                    for (int i = 0; i < blocks.size(); i++) {
                        if (i != kept) {
                            it.free(blocks.get(i));
                        }
                    }
                    MemorySegment last = blocks.get(kept);
                    assertThat(fallback.outstanding()).containsExactly(last);
                    assertThat(it.statistics().liveFallbackBlocks()).isEqualTo(1);

                    it.buffer().reset();
                    assertThat(fallback.calls(CountingAllocator.Call.FREE) - freesBefore)
                            .as("two given back by free, the last by the reset").isEqualTo(3);
                    assertThat(fallback.outstandingBlocks()).isZero();
                    assertThat(it.statistics().liveFallbackBlocks()).isZero();
                    assertThat(it.statistics().liveFallbackBytes()).isZero();
                    assertThat(it.usedBytes()).isZero();
                    assertThatThrownBy(() -> last.get(JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
                    refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(last))
                            .hasMessageContaining("Not a live block");
                }
                assertThat(it.statistics().resets()).isEqualTo(3);
                assertThat(it.statistics().fallbackCount()).isEqualTo(9);
            }
        }

        /**
         * The short path still checks the owner: another thread's reset is refused and moves nothing, on an
         * allocator with nothing in it and on one whose only state is its cursor (which the short path rewinds).
         */
        @ForKinds(CONFINED_BUFFERS)
        void aResetOnAnotherThreadIsRefusedAndChangesNothingEvenWithOnlyTheCursorToRewind(AllocatorKind kind)
                throws InterruptedException {
            try (Instance it = kind.make()) {
                List<Object> empty = it.state();
                assertThat(onAnotherThread(() -> resetOf(it))).isInstanceOf(WrongThreadException.class);
                assertThat(it.state()).as("state after the refused reset").isEqualTo(empty);
                it.allocate(8, 1);
                MemorySegment newest = it.allocate(8, 1);
                List<Object> inUse = it.state();
                assertThat(onAnotherThread(() -> resetOf(it))).isInstanceOf(WrongThreadException.class);
                assertThat(it.state()).as("state after the refused reset").isEqualTo(inUse);
                assertThat(it.usedBytes()).isEqualTo(16);
                assertThat(it.statistics().resets()).isZero();
                it.free(newest);
                assertThat(it.usedBytes()).as("still the newest block: its bytes come back").isEqualTo(8);
                it.buffer().close();
                refusedAndUnchanged(it, IllegalStateException.class, it.buffer()::reset).hasMessageContaining("closed");
            }
        }

        private static Object resetOf(Instance it) {
            it.buffer().reset();
            return null;
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void aFailingFreeDuringResetStillReleasesEveryBlockAndThrowsTheFailure(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                CountingAllocator fallback = it.fallback();
                List<MemorySegment> blocks = fallbackBlocks(it, 3);
                // reset() frees newest first: the second free is of the middle block.
                fallback.failOnCall(fallback.calls() + 2, () -> new IllegalStateException("free failed"));
                assertThat(catchThrowable(it.buffer()::reset)).isSameAs(fallback.lastInjected());
                assertThat(fallback.outstanding()).as("only the refused one").containsExactly(blocks.get(1));
                assertThat(fallback.calls(CountingAllocator.Call.FREE)).as("every block was handed back").isEqualTo(3);
                assertThat(it.statistics().liveFallbackBlocks()).isZero();
                assertThat(it.usedBytes()).isZero();
                assertThat(it.statistics().resets()).isEqualTo(1);
                fallback.releaseOutstanding();

                // A fallback that throws the same exception again and again: thrown once, not suppressed in itself.
                fallbackBlocks(it, 2);
                IllegalStateException failure = new IllegalStateException("free failed again");
                fallback.failOnCall(fallback.calls() + 1, () -> failure).failOnCall(fallback.calls() + 2, () -> failure);
                assertThat(catchThrowable(it.buffer()::reset)).isSameAs(failure).hasNoSuppressedExceptions();
                assertThat(fallback.outstandingBlocks()).isEqualTo(2);
                assertThat(it.statistics().liveFallbackBlocks()).isZero();
                fallback.releaseOutstanding();
            }
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void aFailingFreeDuringCloseStillClosesAndThrowsTheFirstFailureWithTheOthersSuppressed(AllocatorKind kind) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = kind.memory.newBuffer(arena, AllocatorKind.CAPACITY);
                try (Instance it = kind.over(buffer)) {
                    CountingAllocator fallback = it.fallback();
                    List<MemorySegment> blocks = fallbackBlocks(it, 3);
                    fallback.failNextCall(() -> new IllegalStateException("first"));
                    assertThat(catchThrowable(it.buffer()::close)).hasMessage("first").hasNoSuppressedExceptions();
                    assertThat(fallback.outstanding()).containsExactly(blocks.get(2));
                    assertThat(AllocatorKind.isClosed(it.buffer())).isTrue();
                    fallback.releaseOutstanding();
                }
                try (Instance it = kind.over(buffer)) {   // the claim ended with the close all the same
                    CountingAllocator fallback = it.fallback();
                    List<MemorySegment> blocks = fallbackBlocks(it, 3);
                    long calls = fallback.calls();
                    fallback.failOnCall(calls + 1, () -> new IllegalStateException("first"))
                            .failOnCall(calls + 3, () -> new IllegalStateException("third"));
                    Throwable thrown = catchThrowable(it.buffer()::close);
                    // The first failure is thrown, the later one suppressed in it; the middle block was freed.
                    assertThat(thrown).hasMessage("first");
                    assertThat(thrown.getSuppressed()).extracting(Throwable::getMessage).containsExactly("third");
                    assertThat(fallback.outstanding()).containsExactly(blocks.get(0), blocks.get(2));
                    assertThatThrownBy(() -> it.allocator().allocate(1, 1)).isInstanceOf(IllegalStateException.class);
                    fallback.releaseOutstanding();
                }
            }
        }

        @ForKinds(BUFFERS)
        void aBlockFromBeforeAResetIsNotLive(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment stale = it.allocate(16, 1);
                it.buffer().reset();
                String notLive = kind.scopesBufferBlocks() ? "neither in its buffer" : "before a reset";
                refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().reallocate(stale, 32, 1))
                        .hasMessageContaining(notLive);
                refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(stale))
                        .hasMessageContaining(notLive);
                it.allocate(8, 1);   // the stale block now reaches past the cursor
                String pastTheCursor = kind.scopesBufferBlocks() ? notLive : "beyond the 8 bytes in use";
                refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(stale))
                        .hasMessageContaining(pastTheCursor);
                refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().reallocate(stale, 4, 1))
                        .hasMessageContaining(pastTheCursor);
                assertThat(it.usedBytes()).isEqualTo(8);
            }
        }

        /**
         * The safety rule behind "exactly the most recent block": a block from before a reset may end exactly
         * at today's cursor. If freeing it rewound the cursor, the next block would be handed out over live ones.
         */
        @ForKinds(BUFFERS)
        void aStaleBlockEndingAtTheCursorCannotRewindItIntoLiveBlocks(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(8, 1);
                MemorySegment stale = it.allocate(8, 1);   // [8, 16)
                it.buffer().reset();
                MemorySegment first = it.allocate(4, 1);   // [0, 4)
                MemorySegment second = it.allocate(12, 1); // [4, 16): ends where the stale block does
                fill(first, 1);
                fill(second, 2);
                if (kind.scopesBufferBlocks()) {
                    refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.allocator().free(stale));
                } else {
                    it.free(stale);   // below the cursor: ignored, as any older block's free is
                }
                assertThat(it.usedBytes()).isEqualTo(16);
                MemorySegment next = it.allocate(8, 1);
                fill(next, 3);
                assertThat(next.address() - it.base()).isGreaterThanOrEqualTo(16);
                assertHolds(first, 4, 1);
                assertHolds(second, 12, 2);
            }
        }

        @ForKinds(BUFFERS)
        void memoryIsNotZeroedAfterAReset(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(8, 1).fill((byte) 7);
                it.buffer().reset();
                assertThat(it.allocate(8, 1).get(JAVA_BYTE, 0)).as("what the buffer held")
                        .isEqualTo(kind.poisons() ? CheckedBufferAllocator.POISON : (byte) 7);
            }
        }

        @ForKinds(BUFFERS)
        void afterCloseEveryCallIsRefusedButTheNumbersStayReadable(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                Allocator allocator = it.allocator();
                MemorySegment block = it.allocate(24, 1);
                if (kind.hasFallback()) {
                    it.allocate(100, 1);
                }
                it.buffer().close();
                if (it.fallback() != null) {
                    assertThat(it.fallback().outstandingBlocks()).isZero();
                }
                long used = kind.bumpsInChunks() ? 124 : 24;   // a growing allocator's chunk holds the 100 bytes
                assertThat(it.buffer().usedBytes()).isEqualTo(used);
                assertThat(it.statistics().usedBytes()).isEqualTo(used);
                assertThat(it.statistics().peakDemand()).isEqualTo(kind.hasFallback() ? 124 : 24);
                assertThat(allocator.toString()).contains("used=" + used).endsWith(", closed]");
                assertThatThrownBy(() -> allocator.allocate(1, 1)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("closed");
                assertThatThrownBy(() -> allocator.allocate(1000, 1)).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> allocator.free(block)).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> allocator.reallocate(block, 8, 1)).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(it.buffer()::reset).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(it.buffer()::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            }
        }
    }

    @Nested
    class Statistics {

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void theyCountBufferAndFallbackOverTheAllocatorsLife(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(40, 1);
                MemorySegment big = it.allocate(30, 1);
                BufferStatistics before = it.statistics();
                assertThat(before).isEqualTo(new BufferStatistics(64, 40, 70, 1, 30, 1, 30, 0, 0, 0, 0, 0));
                assertThat(before.remainingBytes()).isEqualTo(24);
                it.free(big);
                it.buffer().reset();
                // Life totals and the peak stay; what is live and in use does not.
                assertThat(it.statistics()).isEqualTo(new BufferStatistics(64, 0, 70, 1, 30, 0, 0, 0, 0, 1, 0, 0));
            }
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void peakDemandTellsHowBigTheBufferShouldHaveBeen(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                for (int request = 0; request < 3; request++) {
                    it.allocate(40, 1);
                    it.allocate(40 + request * 10, 1);   // 40, 50, 60: each overflows
                    it.buffer().reset();
                }
                BufferStatistics stats = it.statistics();
                assertThat(stats.peakDemand()).isEqualTo(100);
                assertThat(stats.fallbackCount()).isEqualTo(3);
                assertThat(stats.fallbackBytes()).isEqualTo(150);
                assertThat(stats.liveFallbackBlocks()).isZero();
                assertThat(stats.usedBytes()).isZero();
                assertThat(stats.remainingBytes()).isEqualTo(64);
            }
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void peakDemandCountsBufferAndFallbackBytesUntilTheyAreGivenBack(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(60, 1);
                it.allocate(10, 1);   // fallback
                assertThat(it.statistics().peakDemand()).isEqualTo(70);
                it.free(it.allocate(0, 1));
                it.buffer().reset();
                it.allocate(5, 1);
                assertThat(it.statistics().peakDemand()).isEqualTo(70);
            }
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void aBlockAllocatedAndFreedInALoopCountsOnceInThePeakDemand(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(16, 1);
                for (int round = 0; round < 1000; round++) {
                    it.free(it.allocate(100, 1));   // each time from the fallback, and the newest when freed
                }
                assertThat(it.statistics().fallbackCount()).isEqualTo(1000);
                assertThat(it.statistics().peakDemand()).isEqualTo(116);
            }
        }

        @ForKinds(BUFFERS)
        void peakDemandRemembersABlockFreedOrShrunk(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                MemorySegment block = it.allocate(50, 1);
                MemorySegment shrunk = it.reallocate(block, 10, 1);
                if (kind.rewinds()) {
                    assertThat(it.statistics().peakDemand()).isEqualTo(50);
                    it.free(it.reallocate(shrunk, 30, 1));
                    assertThat(it.usedBytes()).isZero();
                    assertThat(it.statistics().peakDemand()).isEqualTo(50);
                } else {   // the block moved and gave no bytes back: they stay in use, and count, until the reset
                    it.allocate(4, 1);
                    it.free(shrunk);
                    assertThat(it.usedBytes()).isEqualTo(64);
                    assertThat(it.statistics().peakDemand()).isEqualTo(64);
                }
            }
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void peakDemandRemembersAFallbackBlockFreedOrShrunk(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(50, 1);
                it.free(it.allocate(100, 1));   // fallback: demand 150
                assertThat(it.statistics().peakDemand()).isEqualTo(150);
                assertThat(it.usedBytes()).isEqualTo(50);
                assertThat(it.statistics().liveFallbackBytes()).isZero();
                MemorySegment shrunk = it.reallocate(it.allocate(100, 1), 10, 1);
                assertThat(it.statistics().liveFallbackBytes()).isEqualTo(10);
                it.free(shrunk);
                assertThat(it.statistics().peakDemand()).isEqualTo(150);
            }
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void peakDemandIsExactlyTheHighestBufferBytesInUsePlusLiveFallbackBytes(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(64, 1);
                MemorySegment first = it.allocate(100, 1);   // demand 164
                it.free(first);                              // 64
                MemorySegment second = it.allocate(60, 1);   // 124: no more than before
                assertThat(it.statistics().peakDemand()).isEqualTo(164);
                MemorySegment third = it.allocate(50, 1);    // 174: a new peak
                assertThat(it.statistics().peakDemand()).isEqualTo(174);
                it.free(third);
                it.free(second);
                it.buffer().reset();
                assertThat(it.statistics().peakDemand()).isEqualTo(174);
            }
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void aResetBetweenTwoPeaksKeepsTheHigherOne(AllocatorKind kind) {
            try (Instance it = kind.make()) {
                it.allocate(64, 1);
                it.allocate(36, 1);
                it.buffer().reset();
                it.allocate(64, 1);
                it.allocate(50, 1);
                assertThat(it.statistics().peakDemand()).isEqualTo(114);
            }
        }

        @ForKinds(BUFFERS_WITH_FALLBACK)
        void aBufferOfThePeakDemandServesTheSameWorkWithoutFallback(AllocatorKind kind) {
            long peak;
            try (Instance small = kind.make()) {
                work(small);
                peak = small.statistics().peakDemand();
            }
            try (Instance sized = kind.withoutFallback().make(peak)) {
                work(sized);
                assertThat(sized.statistics().fallbackCount()).isZero();
            }
        }

        private static void work(Instance it) {
            for (int i = 1; i <= 5; i++) {
                it.allocate(i * 20L, 1);
            }
        }
    }

    @Nested
    class OneBufferOneAllocator {

        @ForKinds(BUFFERS)
        void noAllocatorOfAnyKindMayManageAByteOfABufferALiveOneManages(AllocatorKind kind) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = kind.memory.newBuffer(arena, 64);
                try (Instance first = kind.over(buffer.asSlice(16, 32))) {
                    for (AllocatorKind second : sameMemory(kind)) {
                        var refused = assertThatThrownBy(() -> second.over(buffer)).as("%s over it", second)
                                .isInstanceOf(IllegalStateException.class)
                                .hasMessageContaining("overlaps a buffer that a live allocator manages")
                                .hasMessageContaining("managed by a " + (kind.isShared() ? "shared " : "")
                                        + "BufferAllocator made on " + Thread.currentThread());
                        if (buffer.isNative()) {
                            refused.hasMessageContaining(Long.toHexString(buffer.address()));
                        }
                        assertThatThrownBy(() -> second.over(buffer.asSlice(40, 8))).isInstanceOf(IllegalStateException.class);
                    }
                    try (Instance before = kind.over(buffer.asSlice(0, 16));
                         Instance after = kind.over(buffer.asSlice(48, 16));
                         Instance elsewhere = kind.over(kind.memory.newBuffer(arena, 64))) {
                        assertThat(before.buffer().capacity() + first.buffer().capacity() + after.buffer().capacity())
                                .isEqualTo(64);
                        assertThat(elsewhere.buffer().capacity()).isEqualTo(64);
                    }
                    assertThat(first.allocate(8, 1).byteSize()).as("the first still works").isEqualTo(8);
                }
                for (AllocatorKind next : sameMemory(kind)) {
                    try (Instance again = next.over(buffer)) {   // close() ended the claim
                        assertThat(again.allocate(8, 1).address()).isEqualTo(buffer.address());
                    }
                }
            }
        }

        /** The buffer allocator kinds that can be made over the memory {@code kind} is made over. */
        private static List<AllocatorKind> sameMemory(AllocatorKind kind) {
            return AllocatorKind.where(k -> k.isBuffer() && k.memory.isNative() == kind.memory.isNative()).toList();
        }

        @ForKinds(BUFFERS)
        void closingOneAllocatorKeepsTheOthersBuffersClaimed(AllocatorKind kind) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment first = kind.memory.newBuffer(arena, 64);
                MemorySegment second = kind.memory.newBuffer(arena, 64);
                kind.over(first).close();
                try (Instance live = kind.over(second)) {
                    kind.over(first).close();
                    assertThatThrownBy(() -> kind.over(second)).isInstanceOf(IllegalStateException.class);
                    assertThat(live.buffer().capacity()).isEqualTo(64);
                }
            }
        }

        @ForKinds(HEAP_BUFFERS)
        void aClosedAllocatorDoesNotKeepItsArrayReachable(AllocatorKind kind) throws InterruptedException {
            WeakReference<Object> array = closedAllocatorsArray(kind);
            for (int attempt = 0; attempt < 200 && array.get() != null; attempt++) {
                System.gc();
                Thread.sleep(10);
            }
            assertThat(array.get()).as("the array of a closed allocator was collected").isNull();
        }

        private static WeakReference<Object> closedAllocatorsArray(AllocatorKind kind) {
            MemorySegment buffer = kind.memory.newBuffer(null, 64);
            kind.over(buffer).close();
            return new WeakReference<>(buffer.heapBase().orElseThrow());
        }

        @ForKinds(BUFFERS)
        void anAllocatorDroppedWithoutCloseReleasesItsBufferOnceCollected(AllocatorKind kind) throws InterruptedException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = kind.memory.newBuffer(arena, 64);
                dropAnAllocatorOver(kind, buffer);
                Instance second = null;
                for (int attempt = 0; attempt < 200 && second == null; attempt++) {
                    System.gc();
                    Thread.sleep(10);
                    try {
                        second = kind.over(buffer);
                    } catch (IllegalStateException stillClaimed) {
                        // the Cleaner has not run yet
                    }
                }
                assertThat(second).as("claim released after the allocator became unreachable").isNotNull();
                second.close();
            }
        }

        private static void dropAnAllocatorOver(AllocatorKind kind, MemorySegment buffer) {
            kind.over(buffer).allocate(8, 1);   // not closed, and no fallback block to leak
        }
    }

    @Nested
    class Factories {

        @ParameterizedTest
        @EnumSource(Factory.class)
        void aFactoryRefusesABufferItCannotUse(Factory factory) throws Exception {
            Allocator fallback = AllocatorKind.malloc();
            assertThatThrownBy(() -> factory.make(null, fallback)).isInstanceOf(NullPointerException.class)
                    .hasMessage("buffer");
            assertThatThrownBy(() -> factory.make(MemorySegment.ofArray(new byte[0]), fallback))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            if (factory.takesFallback()) {
                try (Arena arena = Arena.ofConfined()) {
                    assertThatThrownBy(() -> factory.make(arena.allocate(8), null)).isInstanceOf(NullPointerException.class)
                            .hasMessage("fallback");
                }
            }
            if (factory == Factory.OF_BYTES) {
                return;   // a byte[] is never read-only, closed or confined
            }
            assertThatThrownBy(() -> factory.make(MemorySegment.NULL, fallback)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("empty");
            try (Arena arena = Arena.ofConfined()) {
                assertThatThrownBy(() -> factory.make(arena.allocate(8).asReadOnly(), fallback))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
                MemorySegment buffer = arena.allocate(8);
                Object thrown = onAnotherThread(() -> factory.make(buffer, fallback));
                assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
                assertThat(((Throwable) thrown).getMessage()).contains("confined");
            }
            Arena closed = Arena.ofConfined();
            MemorySegment buffer = closed.allocate(8);
            closed.close();
            assertThatThrownBy(() -> factory.make(buffer, fallback))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("arena is closed");
        }
    }
}
