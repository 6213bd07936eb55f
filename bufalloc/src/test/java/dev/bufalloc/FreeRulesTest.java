package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.system.UnscopedMallocAllocator;
import dev.bufalloc.testing.CountingAllocator;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * "Frees that corrupt instead of refusing" must be impossible: no {@code free} or {@code reallocate} of a
 * segment that is not the allocator's newest live block may move the cursor back under a live block, so
 * that the next allocation would hand out bytes someone still uses. Each rule of the free contract of
 * {@link BufferAllocator} is attacked with the segments that used to get through: blocks from before a
 * reset that end at the new cursor, slices over several blocks or over the whole buffer, empty slices
 * beyond the cursor, and frees one level too deep. Safety is checked the hard way: the next allocation must
 * not overlap any live block ({@link MemorySegment#asOverlappingSlice}) and every live block still holds
 * the bytes written to it.
 *
 * <p>The fallback side: frees of 200,000 fallback blocks in any order end with no live block and exact
 * statistics (in seconds: the ledger is O(1) per free, a quadratic one would take minutes), and a free
 * whose fallback throws leaves an allocator that is consistent and usable.
 */
@NoLeaks
class FreeRulesTest {

    private static final long BUFFER_BYTES = 64;

    /** The allocators under attack: the confined one over each kind of buffer, the checked one, the shared one. */
    enum Kind {
        /** Confined, over a buffer of a confined arena. */
        NATIVE,
        /** Confined, over a {@code long[]}. */
        HEAP,
        /** Checked, over a buffer of {@code Arena.ofAuto()}: every buffer block has a scope of its own. */
        CHECKED,
        /** Checked, over a {@code long[]}: no scopes of its own (the buffer's scope is the array's), poisoning. */
        CHECKED_HEAP,
        /** Shared, over a buffer of a shared arena: frees of buffer blocks never give bytes back. */
        SHARED;

        /** {@return whether a buffer block dies (its scope ends) when it is given back} */
        boolean scopesBufferBlocks() {
            return this == CHECKED;
        }

        boolean isShared() {
            return this == SHARED;
        }

        Fixture open(long bytes, Allocator fallback) {
            Arena arena = switch (this) {
                case NATIVE -> Arena.ofConfined();
                case SHARED -> Arena.ofShared();
                default -> null;
            };
            MemorySegment buffer = switch (this) {
                case NATIVE, SHARED -> arena.allocate(bytes, 16);
                case CHECKED -> Arena.ofAuto().allocate(bytes, 16);
                case HEAP, CHECKED_HEAP -> MemorySegment.ofArray(new long[(int) (bytes / Long.BYTES)]);
            };
            BufferAllocator allocator = switch (this) {
                case NATIVE, HEAP -> BufferAllocator.of(buffer, fallback);
                case CHECKED, CHECKED_HEAP -> BufferAllocator.ofChecked(buffer, fallback);
                case SHARED -> BufferAllocator.ofShared(buffer, fallback);
            };
            return new Fixture(this, allocator, buffer, arena);
        }

        Fixture open() {
            return open(BUFFER_BYTES, MallocAllocator.instance());
        }
    }

    /** An allocator, its buffer, and the arena of the buffer if the test owns one. */
    record Fixture(Kind kind, BufferAllocator allocator, MemorySegment buffer, Arena arena) implements AutoCloseable {
        @Override
        public void close() {
            try {
                allocator.close();
            } catch (IllegalStateException alreadyClosed) {
                // the test closed it
            } finally {
                if (arena != null) {
                    arena.close();
                }
            }
        }
    }

    // ---- (a) a block from before reset() that ends at the new cursor -------------------------------------

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aBlockFromBeforeAResetThatEndsAtTheNewCursorDoesNotRewindIntoLiveBlocks(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            allocator.allocate(8, 1);                                   // [0, 8)
            MemorySegment endsAt16 = allocator.allocate(8, 1);          // [8, 16)
            MemorySegment emptyAt16 = allocator.allocate(0, 1);         // [16, 16)
            MemorySegment past16 = allocator.allocate(16, 1);           // [16, 32)
            allocator.reset();

            MemorySegment live1 = allocator.allocate(12, 1);            // [0, 12)
            MemorySegment live2 = allocator.allocate(4, 1);             // [12, 16): the newest block
            List<MemorySegment> live = List.of(live1, live2);
            paint(live);

            for (MemorySegment stale : List.of(endsAt16, emptyAt16)) {
                Throwable thrown = catchThrowable(() -> allocator.free(stale));
                if (kind.scopesBufferBlocks()) {
                    assertThat(thrown).as("checked: a block of an earlier generation is refused")
                            .isInstanceOf(IllegalArgumentException.class);
                } else {
                    assertThat(thrown).as("it lies below the cursor but is not the newest block: ignored").isNull();
                }
                assertThat(allocator.usedBytes()).as("free of %s", stale).isEqualTo(16);
            }
            // A buffer slice (the buffer's own scope, alive) that ends at the cursor and starts inside the newest
            // block: not the newest block, ignored by every kind.
            allocator.free(f.buffer().asSlice(14, 2));
            assertThat(allocator.usedBytes()).isEqualTo(16);
            // A stale block reaching beyond the cursor cannot be live: refused by every kind.
            assertThatThrownBy(() -> allocator.free(past16)).isInstanceOf(IllegalArgumentException.class);
            assertThat(allocator.usedBytes()).isEqualTo(16);

            assertNextAllocationOverlapsNothing(allocator, live);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = "SHARED", mode = EnumSource.Mode.EXCLUDE)
    void aBlockOfAClosedFrameThatEndsAtTheNewCursorDoesNotRewindIntoLiveBlocks(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            MemorySegment outer = allocator.allocate(8, 1);             // [0, 8), outside the frame
            MemorySegment ofTheFrame;
            try (Frame frame = allocator.push()) {
                ofTheFrame = frame.allocate(16, 1);                     // [8, 24)
            }
            MemorySegment live1 = allocator.allocate(12, 1);            // [8, 20)
            MemorySegment live2 = allocator.allocate(4, 1);             // [20, 24): the newest block
            List<MemorySegment> live = List.of(outer, live1, live2);
            paint(live);

            Throwable thrown = catchThrowable(() -> allocator.free(ofTheFrame));

            if (kind.scopesBufferBlocks()) {
                assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
            } else {
                assertThat(thrown).isNull();
            }
            assertThat(allocator.usedBytes()).isEqualTo(24);
            assertNextAllocationOverlapsNothing(allocator, live);
        }
    }

    /**
     * The limit of what a plain allocator can tell: a stale block with exactly the start and size of the newest
     * live block is, to it, that block (segments of one buffer carry nothing else), so freeing it gives the
     * newest block's bytes back, as the contract's "freeing exactly the most recent block" says. A checked
     * allocator over a buffer only the garbage collector frees refuses it (the stale block's scope is dead);
     * the shared one never gives bytes back. Asserted so that a change of this behaviour is seen.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void aStaleBlockIdenticalToTheNewestLiveBlockIsThatBlockUnlessCheckedModeScopesIt(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            allocator.allocate(8, 1);
            MemorySegment stale = allocator.allocate(8, 1);             // [8, 16)
            allocator.reset();
            allocator.allocate(8, 1);
            MemorySegment newest = allocator.allocate(8, 1);            // [8, 16) again

            Throwable thrown = catchThrowable(() -> allocator.free(stale));

            switch (kind) {
                case CHECKED -> {
                    assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
                    assertThat(allocator.usedBytes()).isEqualTo(16);
                    assertThat(newest.scope().isAlive()).isTrue();
                }
                case SHARED -> {
                    assertThat(thrown).isNull();
                    assertThat(allocator.usedBytes()).isEqualTo(16);
                }
                default -> {
                    assertThat(thrown).isNull();
                    assertThat(allocator.usedBytes()).as("indistinguishable from the newest block").isEqualTo(8);
                }
            }
        }
    }

    // ---- (b) slices over several live blocks, and the whole buffer ----------------------------------------

    @ParameterizedTest
    @EnumSource(Kind.class)
    void freeOfASliceSpanningTwoLiveBlocksIsIgnored(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            MemorySegment a = allocator.allocate(8, 1);                 // [0, 8)
            MemorySegment b = allocator.allocate(8, 1);                 // [8, 16): the newest block
            List<MemorySegment> live = List.of(a, b);
            paint(live);

            for (MemorySegment spanning : List.of(f.buffer().asSlice(4, 12), f.buffer().asSlice(0, 16),
                    f.buffer().asSlice(4, 8), f.buffer().asSlice(0, 12))) {
                allocator.free(spanning);
                assertThat(allocator.usedBytes()).as("free of %s", spanning).isEqualTo(16);
            }
            assertThat(b.scope().isAlive()).as("the blocks are untouched").isTrue();
            assertThat(a.scope().isAlive()).isTrue();

            assertNextAllocationOverlapsNothing(allocator, live);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void freeOfTheWholeBufferIsIgnoredWhenFullAndRefusedOtherwise(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            MemorySegment a = allocator.allocate(8, 1);
            MemorySegment b = allocator.allocate(8, 1);
            paint(List.of(a, b));

            // Not full: the whole buffer reaches beyond the cursor, so it cannot be a live block.
            assertThatThrownBy(() -> allocator.free(f.buffer())).isInstanceOf(IllegalArgumentException.class);
            assertThat(allocator.usedBytes()).isEqualTo(16);

            MemorySegment c = allocator.allocate(BUFFER_BYTES - 16, 1); // now full: [16, 64)
            List<MemorySegment> live = List.of(a, b, c);
            paint(live);
            allocator.free(f.buffer());                                 // below the cursor, not the newest block
            assertThat(allocator.usedBytes()).isEqualTo(BUFFER_BYTES);
            assertThat(c.scope().isAlive()).isTrue();
            assertPainted(live);

            allocator.free(c);                                          // the newest block itself
            long expected = kind.isShared() ? BUFFER_BYTES : 16;
            assertThat(allocator.usedBytes()).isEqualTo(expected);
            allocator.free(f.buffer().asSlice(0, 16));                  // a and b together, now ending at the cursor
            assertThat(allocator.usedBytes()).isEqualTo(expected);
            if (!kind.isShared()) {
                assertNextAllocationOverlapsNothing(allocator, List.of(a, b));
            }
        }
    }

    /**
     * Freeing a slice of one live block (its first bytes, its last bytes, an empty slice at its start) is
     * ignored, as the contract says of any segment that is not a block: the block itself stays live and
     * usable, and it is still the newest block.
     */
    @ParameterizedTest
    @EnumSource(value = Kind.class, names = "CHECKED", mode = EnumSource.Mode.EXCLUDE)
    void freeOfASliceOfOneLiveBlockIsIgnoredAndTheBlockStaysLive(Kind kind) {
        freeOfASliceOfOneLiveBlockIsIgnored(kind);
    }

    /**
     * The same for the checked allocator over a buffer of {@code Arena.ofAuto()}. Minimal reproducer:
     * {@snippet :
     * BufferAllocator checked = BufferAllocator.ofChecked(Arena.ofAuto().allocate(64));
     * MemorySegment b = checked.allocate(16);
     * checked.free(b.asSlice(0, 8));   // a slice, not a block: the contract says ignored
     * b.get(ValueLayout.JAVA_BYTE, 0);  // IllegalStateException: Already closed
     * }
     */
    @Test
    void checkedFreeOfASliceOfOneLiveBlockIsIgnoredAndTheBlockStaysLive() {
        freeOfASliceOfOneLiveBlockIsIgnored(Kind.CHECKED);
    }

    private static void freeOfASliceOfOneLiveBlockIsIgnored(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            MemorySegment a = allocator.allocate(8, 1);
            MemorySegment b = allocator.allocate(16, 1);                // [8, 24): the newest block
            paint(List.of(a, b));

            for (MemorySegment slice : List.of(b.asSlice(0, 8), b.asSlice(8), b.asSlice(0, 0), a.asSlice(0, 4))) {
                allocator.free(slice);
                assertThat(allocator.usedBytes()).as("free of %s", slice).isEqualTo(24);
            }

            assertPainted(List.of(a, b));                               // b is still usable
            allocator.free(b);                                          // and still the newest block
            assertThat(allocator.usedBytes()).isEqualTo(kind.isShared() ? 24 : 8);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void reallocateOfASliceSpanningTwoLiveBlocksNeverRewindsIntoThem(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            MemorySegment a = allocator.allocate(8, 1);
            MemorySegment b = allocator.allocate(8, 1);
            List<MemorySegment> live = List.of(a, b);
            paint(live);

            MemorySegment moved = allocator.reallocate(f.buffer().asSlice(4, 12), 20, 1);

            assertThat(moved.byteSize()).isEqualTo(20);
            assertNoOverlap(moved, live);
            moved.fill((byte) 0x77);
            assertPainted(live);
        }
    }

    // ---- (c) an empty slice beyond the cursor was never allocated -----------------------------------------

    @ParameterizedTest
    @EnumSource(Kind.class)
    void reallocateOrFreeOfANeverAllocatedEmptySliceBeyondTheCursorIsRefused(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            MemorySegment a = allocator.allocate(16, 1);
            paint(List.of(a));
            BufferStatistics before = allocator.statistics();

            for (long offset : new long[] {17, 32, BUFFER_BYTES}) {
                MemorySegment beyond = f.buffer().asSlice(offset, 0);
                assertThatThrownBy(() -> allocator.reallocate(beyond, 8, 1))
                        .as("reallocate of an empty slice at %d", offset).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> allocator.reallocate(beyond, 0, 1))
                        .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> allocator.free(beyond))
                        .as("free of an empty slice at %d", offset).isInstanceOf(IllegalArgumentException.class);
            }
            MemorySegment nonEmptyBeyond = f.buffer().asSlice(24, 8);
            assertThatThrownBy(() -> allocator.reallocate(nonEmptyBeyond, 4, 1)).isInstanceOf(IllegalArgumentException.class);

            assertThat(allocator.statistics()).as("nothing changed").isEqualTo(before);
            assertNextAllocationOverlapsNothing(allocator, List.of(a));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void reallocateOfAnEmptySliceBeyondTheCursorOfAnEmptyAllocatorIsRefused(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            assertThatThrownBy(() -> allocator.reallocate(f.buffer().asSlice(8, 0), 8, 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(allocator.usedBytes()).isZero();
        }
    }

    // ---- (d) one level: only exactly the most recent block gives bytes back -------------------------------

    @ParameterizedTest
    @EnumSource(Kind.class)
    void onlyExactlyTheMostRecentBlockGivesBytesBackAndOnlyOneLevelDeep(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            MemorySegment a = allocator.allocate(1, 1);                 // [0, 1)
            MemorySegment b = allocator.allocate(8, 8);                 // [8, 16), after 7 bytes of padding
            MemorySegment c = allocator.allocate(8, 8);                 // [16, 24): the newest block
            paint(List.of(a, b, c));

            allocator.free(a);                                          // not the newest: nothing back
            assertThat(allocator.usedBytes()).isEqualTo(24);

            allocator.free(c);                                          // the newest: its bytes back, not b's padding
            assertThat(allocator.usedBytes()).isEqualTo(kind.isShared() ? 24 : 16);

            // One level, documented: b now ends at the cursor, but it is not the most recent block (c was).
            allocator.free(b);
            assertThat(allocator.usedBytes()).isEqualTo(kind.isShared() ? 24 : 16);

            MemorySegment next = allocator.allocate(8, 8);
            if (!kind.isShared()) {
                assertThat(next.address()).as("c's bytes are handed out again").isEqualTo(c.address());
            }
            assertNoOverlap(next, List.of(b));
            allocator.free(next);                                       // newest again: gives back one level
            assertThat(allocator.usedBytes()).isEqualTo(kind.isShared() ? 32 : 16);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = "SHARED", mode = EnumSource.Mode.EXCLUDE)
    void theBlockBeforeAFrameGivesNothingBackInsideTheFrameAndIsNewestAgainAfterIt(Kind kind) {
        try (Fixture f = kind.open()) {
            BufferAllocator allocator = f.allocator();
            MemorySegment a = allocator.allocate(8, 1);
            MemorySegment b = allocator.allocate(8, 1);                 // [8, 16): newest when the frame opens
            paint(List.of(a, b));
            try (Frame frame = allocator.push()) {
                frame.free(b);                                          // ends at the frame's start: kept
                assertThat(allocator.usedBytes()).isEqualTo(16);
                MemorySegment inFrame = frame.allocate(8, 1);
                assertNoOverlap(inFrame, List.of(a, b));
                inFrame.fill((byte) 0x77);
            }
            if (kind.scopesBufferBlocks()) {
                assertThat(b.scope().isAlive()).as("checked: the free inside the frame ended b").isFalse();
            } else {
                assertPainted(List.of(a, b));
                allocator.free(b);                                      // the newest block outside the frame
                assertThat(allocator.usedBytes()).isEqualTo(8);
            }
        }
    }

    // ---- (e) 200,000 fallback blocks freed in any order ---------------------------------------------------

    /** The fallbacks: the C library scoped by the ledger itself, and an allocator that scopes its own blocks. */
    enum FallbackKind {
        C_LIBRARY {
            @Override
            Allocator make() {
                return MallocAllocator.instance();
            }
        },
        SELF_SCOPED {
            @Override
            Allocator make() {
                return new Delegating(MallocAllocator.instance());
            }
        };

        abstract Allocator make();
    }

    enum Order { OLDEST_FIRST, RANDOM }

    private static final int MANY = 200_000;

    @ParameterizedTest(name = "{0} over {1}, {2}")
    @org.junit.jupiter.params.provider.CsvSource({
            "NATIVE, C_LIBRARY, OLDEST_FIRST", "NATIVE, C_LIBRARY, RANDOM",
            "HEAP, SELF_SCOPED, OLDEST_FIRST", "HEAP, SELF_SCOPED, RANDOM",
            "CHECKED, C_LIBRARY, OLDEST_FIRST", "CHECKED, C_LIBRARY, RANDOM",
            "SHARED, C_LIBRARY, OLDEST_FIRST", "SHARED, C_LIBRARY, RANDOM",
            "SHARED, SELF_SCOPED, RANDOM"})
    void freesOf200000FallbackBlocksInAnyOrderLeaveNoLiveBlockAndExactStatistics(Kind kind, FallbackKind fallback,
                                                                                 Order order) {
        long mallocBefore = MallocAllocator.instance().liveBytes();
        try (Fixture f = kind.open(16, fallback.make())) {
            BufferAllocator allocator = f.allocator();
            allocator.allocate(16, 1);                                  // the buffer is full
            Random random = new Random(42);
            List<MemorySegment> blocks = new ArrayList<>(MANY);
            long bytes = 0;
            for (int i = 0; i < MANY; i++) {
                long size = 1 + random.nextInt(48);
                MemorySegment block = allocator.allocate(size, 8);
                block.set(ValueLayout.JAVA_BYTE, 0, (byte) i);
                blocks.add(block);
                bytes += size;
            }
            BufferStatistics full = allocator.statistics();
            assertThat(full.liveFallbackBlocks()).isEqualTo(MANY);
            assertThat(full.liveFallbackBytes()).isEqualTo(bytes);
            assertThat(full.fallbackCount()).isEqualTo(MANY);
            assertThat(full.fallbackBytes()).isEqualTo(bytes);

            List<MemorySegment> toFree = new ArrayList<>(blocks);
            if (order == Order.RANDOM) {
                Collections.shuffle(toFree, random);
            }
            for (MemorySegment block : toFree) {
                allocator.free(block);
            }

            BufferStatistics after = allocator.statistics();
            assertThat(after.liveFallbackBlocks()).isZero();
            assertThat(after.liveFallbackBytes()).isZero();
            assertThat(after.fallbackCount()).isEqualTo(MANY);
            assertThat(after.fallbackBytes()).isEqualTo(bytes);
            assertThat(after.usedBytes()).isEqualTo(16);
            assertThat(after.peakDemand()).as("the buffer plus every fallback block, all live at once")
                    .isEqualTo(16 + bytes);
            if (!kind.isShared()) {                                     // a shared allocator holds them until reset
                assertThat(blocks.stream().filter(block -> block.scope().isAlive()).count())
                        .as("freed blocks still alive").isZero();
            }
            MemorySegment oneOfThem = toFree.get(MANY / 2);
            assertThatThrownBy(() -> allocator.free(oneOfThem)).isInstanceOf(IllegalArgumentException.class);

            MemorySegment again = allocator.allocate(8, 8);             // still usable
            allocator.free(again);
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
        }
        assertThat(MallocAllocator.instance().liveBytes()).isEqualTo(mallocBefore);
    }

    /** An allocator over another, so that the buffer allocator cannot recognize the C library behind it. */
    private record Delegating(Allocator inner) implements Allocator {
        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            return inner.allocate(byteSize, byteAlignment);
        }

        @Override
        public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
            return inner.reallocate(segment, newByteSize, byteAlignment);
        }

        @Override
        public void free(MemorySegment segment) {
            inner.free(segment);
        }
    }

    // ---- (f) a free that throws ---------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Kind.class)
    void afterAFallbackFreeThatThrowsTheAllocatorIsConsistentAndUsable(Kind kind) {
        CountingAllocator fallback = new CountingAllocator(MallocAllocator.instance());
        try (Fixture f = kind.open(16, fallback)) {
            BufferAllocator allocator = f.allocator();
            MemorySegment inBuffer = allocator.allocate(16, 1);
            MemorySegment x = allocator.allocate(16, 8);                // fallback call 1
            MemorySegment y = allocator.allocate(24, 8);                // fallback call 2
            MemorySegment z = allocator.allocate(32, 8);                // fallback call 3
            List<MemorySegment> live = List.of(inBuffer, x, z);
            paint(live);
            y.fill((byte) 0x55);
            RuntimeException injected = new IllegalStateException("injected: the fallback refuses this free");
            fallback.failOnCall(4, () -> injected);

            assertThatThrownBy(() -> allocator.free(y)).isSameAs(injected);

            // The ledger forgot y (the fallback keeps it): nothing else changed.
            BufferStatistics stats = allocator.statistics();
            assertThat(stats.liveFallbackBlocks()).isEqualTo(2);
            assertThat(stats.liveFallbackBytes()).isEqualTo(16 + 32);
            assertThat(stats.fallbackCount()).isEqualTo(3);
            assertThat(stats.usedBytes()).isEqualTo(16);
            assertThat(stats.peakDemand()).isEqualTo(16 + 16 + 24 + 32);
            assertPainted(live);
            assertThatThrownBy(() -> allocator.free(y)).as("forgotten: a second free is refused")
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(fallback.outstanding()).containsExactly(x, y, z);

            // Usable: free, reallocate, allocate, reset, all through the same fallback.
            allocator.free(z);
            MemorySegment grown = allocator.reallocate(x, 100, 8);
            assertThat(grown.get(ValueLayout.JAVA_BYTE, 15)).as("x's bytes moved with it").isEqualTo(paintOf(1));
            MemorySegment w = allocator.allocate(40, 8);
            assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(2);
            assertNoOverlap(w, List.of(grown, inBuffer));
            allocator.reset();
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            assertThat(allocator.statistics().liveFallbackBytes()).isZero();
            assertThat(allocator.usedBytes()).isZero();
            assertThat(fallback.outstanding()).as("only the block whose free failed").containsExactly(y);
            allocator.allocate(16, 1);
            allocator.free(allocator.allocate(8, 8));
        } finally {
            fallback.releaseOutstanding();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = "SHARED", mode = EnumSource.Mode.EXCLUDE)
    void aFrameWhoseFallbackFreeThrowsClosesAllTheSameAndTheAllocatorGoesOn(Kind kind) {
        CountingAllocator fallback = new CountingAllocator(MallocAllocator.instance());
        try (Fixture f = kind.open(16, fallback)) {
            BufferAllocator allocator = f.allocator();
            MemorySegment before = allocator.allocate(8, 1);
            paint(List.of(before));
            Frame frame = allocator.push();
            frame.allocate(8, 1);                                       // the buffer is full
            frame.allocate(16, 8);                                      // fallback call 1
            frame.allocate(24, 8);                                      // fallback call 2
            frame.allocate(32, 8);                                      // fallback call 3
            RuntimeException injected = new IllegalStateException("injected");
            fallback.failOnCall(5, () -> injected);                     // the second of the three frees (newest first)

            assertThatThrownBy(frame::close).isSameAs(injected);

            assertThat(allocator.usedBytes()).isEqualTo(8);
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            assertThat(fallback.outstandingBlocks()).as("the one whose free failed").isEqualTo(1);
            assertThatThrownBy(frame::close).as("the frame is closed").isInstanceOf(IllegalStateException.class);
            assertPainted(List.of(before));
            try (Frame next = allocator.push()) {
                next.allocate(8, 1);
                next.allocate(100, 8);
            }
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            assertThat(fallback.outstandingBlocks()).isEqualTo(1);
        } finally {
            fallback.releaseOutstanding();
        }
    }

    /**
     * A reallocation that moves a fallback block frees the old block through the fallback; if that free throws,
     * the Allocator contract still holds: either the reallocation succeeded (the moved block is returned, the old
     * one forgotten), or it threw and the block is unchanged and still allocated. The fallback here hands out
     * blocks in the global scope, which the confined allocator scopes itself and so must move on reallocation.
     * (The shared allocator holds such memory until reset: it calls no free then.)
     */
    @ParameterizedTest
    @EnumSource(value = Kind.class, names = "SHARED", mode = EnumSource.Mode.EXCLUDE)
    void aReallocationWhoseFreeOfTheOldBlockThrowsSucceedsOrLeavesTheBlockAsItWas(Kind kind) {
        reallocationWhoseFreeOfTheOldBlockThrows(kind);
    }

    private static void reallocationWhoseFreeOfTheOldBlockThrows(Kind kind) {
        CountingAllocator fallback = new CountingAllocator(UnscopedMallocAllocator.instance());
        try (Fixture f = kind.open(16, fallback)) {
            BufferAllocator allocator = f.allocator();
            allocator.allocate(16, 1);
            MemorySegment x = allocator.allocate(16, 8);                // fallback call 1
            x.fill((byte) 0x5A);
            RuntimeException injected = new UnsupportedOperationException("injected: the fallback refuses this free");
            fallback.failOnCall(3, () -> injected);                     // call 2: the new block; call 3: free of x

            MemorySegment moved = null;
            Throwable thrown = null;
            try {
                moved = allocator.reallocate(x, 100, 8);
            } catch (RuntimeException | Error e) {
                thrown = e;
            }

            assertThat(fallback.log()).startsWith(CountingAllocator.Call.ALLOCATE, CountingAllocator.Call.ALLOCATE,
                    CountingAllocator.Call.FREE);
            assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
            if (thrown == null) {
                assertThat(moved.get(ValueLayout.JAVA_BYTE, 15)).isEqualTo((byte) 0x5A);
                assertThat(allocator.statistics().liveFallbackBytes()).isEqualTo(100);
                allocator.free(moved);
            } else {
                assertThat(thrown).isSameAs(injected);
                assertThat(x.scope().isAlive()).as("the block is unchanged and still allocated").isTrue();
                assertThat(x.get(ValueLayout.JAVA_BYTE, 15)).isEqualTo((byte) 0x5A);
                assertThat(allocator.statistics().liveFallbackBytes()).isEqualTo(16);
                allocator.free(x);
            }
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
        } finally {
            fallback.releaseOutstanding();
        }
    }

    /** A tiny fallback whose every free throws: the allocator forgets the block, keeps going, and says why. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void aFallbackThatRefusesEveryFreeLeavesTheAllocatorUsable(Kind kind) {
        List<MemorySegment> refused = new ArrayList<>();
        Allocator refusing = new Allocator() {
            @Override
            public MemorySegment allocate(long byteSize, long byteAlignment) {
                return MallocAllocator.instance().allocate(byteSize, byteAlignment);
            }

            @Override
            public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
                return MallocAllocator.instance().reallocate(segment, newByteSize, byteAlignment);
            }

            @Override
            public void free(MemorySegment segment) {
                refused.add(segment);
                throw new UnsupportedOperationException("this fallback never frees");
            }
        };
        try (Fixture f = kind.open(16, refusing)) {
            BufferAllocator allocator = f.allocator();
            allocator.allocate(16, 1);
            MemorySegment a = allocator.allocate(32, 8);
            MemorySegment b = allocator.allocate(32, 8);

            assertThatThrownBy(() -> allocator.free(a)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(allocator::reset).isInstanceOf(UnsupportedOperationException.class);

            assertThat(refused).containsExactly(a, b);
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
            assertThat(allocator.usedBytes()).isZero();
            MemorySegment inBuffer = allocator.allocate(16, 1);
            inBuffer.fill((byte) 1);
            assertThat(allocator.statistics().liveFallbackBlocks()).isZero();
        } finally {
            refused.forEach(MallocAllocator.instance()::free);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /** Allocates the next block and checks that it overlaps no live block, and that writing it spares them. */
    private static void assertNextAllocationOverlapsNothing(BufferAllocator allocator, List<MemorySegment> live) {
        for (long alignment : new long[] {1, 8}) {
            MemorySegment next = allocator.allocate(8, alignment);
            assertNoOverlap(next, live);
            next.fill((byte) 0x77);
            assertPainted(live);
            allocator.free(next);
        }
    }

    private static void assertNoOverlap(MemorySegment block, List<MemorySegment> live) {
        for (MemorySegment other : live) {
            if (other.byteSize() > 0 && block.byteSize() > 0) {
                assertThat(block.asOverlappingSlice(other)).as("%s overlaps the live block %s", block, other).isEmpty();
            }
        }
    }

    private static byte paintOf(int index) {
        return (byte) (0x11 * (index + 1));
    }

    private static void paint(List<MemorySegment> blocks) {
        for (int i = 0; i < blocks.size(); i++) {
            blocks.get(i).fill(paintOf(i));
        }
    }

    private static void assertPainted(List<MemorySegment> blocks) {
        for (int i = 0; i < blocks.size(); i++) {
            MemorySegment block = blocks.get(i);
            for (long j = 0; j < block.byteSize(); j++) {
                assertThat(block.get(ValueLayout.JAVA_BYTE, j)).as("byte %d of live block %d", j, i).isEqualTo(paintOf(i));
            }
        }
    }
}
