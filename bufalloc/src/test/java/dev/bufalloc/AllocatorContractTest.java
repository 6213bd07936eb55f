package dev.bufalloc;

import dev.bufalloc.AllocatorKind.Instance;
import dev.bufalloc.testing.NoLeaks;

import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;

import static dev.bufalloc.ForKinds.Which.ALLOCATORS;
import static dev.bufalloc.ForKinds.Which.BLOCKS_CONFINED_TO_THEIR_THREAD;
import static dev.bufalloc.ForKinds.Which.EVERY_KIND;
import static dev.bufalloc.ForKinds.Which.LIMITED_ALIGNMENT;
import static dev.bufalloc.ForKinds.Which.REFUSING_STALE_BLOCKS;
import static dev.bufalloc.ForKinds.Which.SCOPED_UNTIL_FREED;
import static dev.bufalloc.ForKinds.Which.ZEROING;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_CHAR;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@link Allocator} and {@link SegmentAllocator} contract, rule by rule, against every
 * {@link AllocatorKind}: sizes, alignments, empty blocks, the JDK's {@code allocate}/{@code allocateFrom}
 * methods, refusals (with nothing changed), no two live blocks sharing a byte, reallocation keeping
 * {@code min(old, new)} bytes, and each kind's own promises (alignment limit, threads, zeroing, blocks
 * whose scope ends when they are freed) as its capabilities say. What only buffers promise is in {@link BufferAllocatorContractTest}; what
 * one kind alone does is in that kind's own test.
 */
@NoLeaks
class AllocatorContractTest {

    // ---- helpers -----------------------------------------------------------------------------

    /** Writes {@code seed + i} at byte {@code i}, so that a check sees a byte written by anyone else. */
    static void fill(MemorySegment block, int seed) {
        for (long i = 0; i < block.byteSize(); i++) {
            block.set(JAVA_BYTE, i, (byte) (seed + i));
        }
    }

    /** Checks the first {@code bytes} bytes of {@code block} hold what {@link #fill} wrote with {@code seed}. */
    static void assertHolds(MemorySegment block, long bytes, int seed) {
        for (long i = 0; i < bytes; i++) {
            if (block.get(JAVA_BYTE, i) != (byte) (seed + i)) {
                throw new AssertionError("byte " + i + " of " + block + " is " + block.get(JAVA_BYTE, i)
                        + ", not " + (byte) (seed + i));
            }
        }
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    /** {@code layout} with no more alignment than {@code kind} gives (a byte[] buffer takes unaligned ints). */
    @SuppressWarnings("unchecked")
    static <L extends MemoryLayout> L fit(L layout, AllocatorKind kind) {
        return (L) layout.withByteAlignment(Math.min(layout.byteAlignment(), kind.maxAlignment()));
    }

    /**
     * Asserts that {@code call} throws {@code type} and leaves {@code it} as it was (statistics,
     * frame, fallback, C heap): a refused call changes nothing.
     */
    static AbstractThrowableAssert<?, ? extends Throwable> refusedAndUnchanged(
            Instance it, Class<? extends Throwable> type, ThrowingCallable call) {
        List<Object> before = it.state();
        AbstractThrowableAssert<?, ? extends Throwable> thrown = assertThatThrownBy(call).isInstanceOf(type);
        assertThat(it.state()).as("state after the refused call").isEqualTo(before);
        return thrown;
    }

    /** Runs {@code action} on a new platform thread and returns what it returned or threw. */
    static Object onAnotherThread(Callable<?> action) throws InterruptedException {
        FutureTask<Object> task = new FutureTask<>(() -> {
            try {
                return action.call();
            } catch (Throwable t) {
                return t;
            }
        });
        Thread thread = new Thread(task, "other");
        thread.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    // ---- every kind: sizes and alignment -----------------------------------------------------

    @ForKinds(EVERY_KIND)
    void blocksHaveExactlyTheSizeAskedAndEveryByteIsTheirs(AllocatorKind kind) {
        try (Instance it = kind.make(4096)) {
            List<MemorySegment> blocks = new ArrayList<>();
            for (int size : new int[] {1, 3, 8, 13, 100, 1000}) {
                MemorySegment block = it.allocate(size, 1);
                assertThat(block.byteSize()).isEqualTo(size);
                fill(block, size);
                blocks.add(block);
            }
            for (MemorySegment block : blocks) {
                assertHolds(block, block.byteSize(), (int) block.byteSize());
            }
            assertThat(blocks.getFirst().isNative()).as("of the kind's memory").isEqualTo(kind.memory.isNative());
        }
    }

    @ForKinds(EVERY_KIND)
    void blocksAreAlignedToEveryPowerOfTwoTheKindGives(AllocatorKind kind) {
        try (Instance it = kind.make(16384)) {
            for (long alignment = 1; alignment <= Math.min(4096, kind.maxAlignment()); alignment *= 2) {
                it.allocate(1, 1);   // the next free byte is at an odd address
                MemorySegment block = it.allocate(100, alignment);
                assertThat(block.byteSize()).isEqualTo(100);
                assertThat(block.maxByteAlignment()).as("aligned to %d", alignment).isGreaterThanOrEqualTo(alignment);
                fill(block, 1);
                assertHolds(block, 100, 1);
            }
        }
    }

    @ForKinds(LIMITED_ALIGNMENT)
    void anAlignmentBeyondWhatTheKindGivesIsRefusedAndTheMessageSaysTheLimit(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            for (long alignment = kind.maxAlignment() * 2; alignment <= 4096; alignment *= 2) {
                long asked = alignment;
                var refused = refusedAndUnchanged(it, IllegalArgumentException.class,
                        () -> it.segmentAllocator().allocate(8, asked))
                        .hasMessageContaining("at most " + kind.maxAlignment() + " bytes");
                if (kind.canBeMadeOver()) {
                    refused.hasMessageContaining("long[]");   // a heap buffer says what to use instead
                }
            }
            assertThat(it.allocate(8, kind.maxAlignment()).byteSize()).as("still usable").isEqualTo(8);
        }
    }

    @ForKinds(EVERY_KIND)
    void aZeroByteRequestGivesAnEmptyAlignedBlock(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            it.allocate(1, 1);
            long alignment = Math.min(8, kind.maxAlignment());
            MemorySegment empty = it.allocate(0, alignment);
            assertThat(empty.byteSize()).isZero();
            assertThat(empty.maxByteAlignment()).isGreaterThanOrEqualTo(alignment);
            assertThat(it.allocate(0, 1).byteSize()).isZero();
        }
    }

    // ---- every kind: refusals ----------------------------------------------------------------

    @ForKinds(EVERY_KIND)
    void aNegativeSizeIsRefusedAndChangesNothing(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            for (long size : new long[] {-1, Long.MIN_VALUE}) {
                refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.segmentAllocator().allocate(size, 1))
                        .hasMessageContaining("size").hasMessageContaining(Long.toString(size));
            }
        }
    }

    @ForKinds(EVERY_KIND)
    void anAlignmentThatIsNotAPowerOfTwoIsRefusedAndChangesNothing(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            for (long alignment : new long[] {0, 3, 6, 12, 24, -1, -8, Long.MIN_VALUE}) {
                var refused = refusedAndUnchanged(it, IllegalArgumentException.class,
                        () -> it.segmentAllocator().allocate(8, alignment)).hasMessageContaining("alignment");
                if (!kind.servesFromItsOwnArena()) {   // the JDK's arena says "Invalid alignment constraint"
                    refused.hasMessageContaining("power of two");
                }
            }
        }
    }

    @ForKinds(EVERY_KIND)
    void aRequestTooLargeToHaveFailsAsTheKindSaysAndChangesNothing(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            MemorySegment kept = it.allocate(8, 1);
            fill(kept, 8);
            refusedAndUnchanged(it, kind.tooLarge(), () -> it.segmentAllocator().allocate(Long.MAX_VALUE, 1));
            assertHolds(kept, 8, 8);
            assertThat(it.allocate(8, 1).byteSize()).as("still usable").isEqualTo(8);
        }
    }

    @ForKinds(EVERY_KIND)
    void nullArgumentsGetNullPointerException(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            SegmentAllocator allocator = it.segmentAllocator();
            assertThatThrownBy(() -> allocator.allocateFrom((String) null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> allocator.allocate((MemoryLayout) null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> allocator.allocate(null, 2)).isInstanceOf(NullPointerException.class);
        }
    }

    // ---- every kind: the JDK's SegmentAllocator methods --------------------------------------

    @ForKinds(EVERY_KIND)
    void allocateWithoutAnAlignmentAsksForOneByteAndALayoutForItsOwn(AllocatorKind kind) {
        try (Instance it = kind.make(256)) {
            SegmentAllocator allocator = it.segmentAllocator();
            it.allocate(1, 1);
            assertThat(it.keep(allocator.allocate(3)).byteSize()).isEqualTo(3);
            ValueLayout.OfLong longs = fit(JAVA_LONG, kind);
            MemorySegment four = it.keep(allocator.allocate(longs, 4));
            assertThat(four.byteSize()).isEqualTo(32);
            assertThat(four.maxByteAlignment()).isGreaterThanOrEqualTo(longs.byteAlignment());
            four.setAtIndex(longs, 3, 42L);
            assertThat(four.getAtIndex(longs, 3)).isEqualTo(42L);
            assertThat(it.keep(allocator.allocate(longs)).byteSize()).isEqualTo(8);
        }
    }

    @ForKinds(EVERY_KIND)
    void allocateFromRoundTripsStringsInAnyCharset(AllocatorKind kind) {
        try (Instance it = kind.make(256)) {
            MemorySegment hello = it.keep(it.segmentAllocator().allocateFrom("hello"));
            assertThat(hello.byteSize()).as("with its terminating zero").isEqualTo(6);
            assertThat(hello.getString(0)).isEqualTo("hello");
            String text = "h\u00e9llo \u2713";
            MemorySegment utf16 = it.keep(it.segmentAllocator().allocateFrom(text, StandardCharsets.UTF_16LE));
            assertThat(utf16.getString(0, StandardCharsets.UTF_16LE)).isEqualTo(text);
        }
    }

    @ForKinds(EVERY_KIND)
    void allocateFromRoundTripsValuesAndArraysOfEveryPrimitiveType(AllocatorKind kind) {
        try (Instance it = kind.make(512)) {
            SegmentAllocator a = it.segmentAllocator();
            assertThat(it.keep(a.allocateFrom(JAVA_BYTE, (byte) 1, (byte) -2)).toArray(JAVA_BYTE))
                    .containsExactly((byte) 1, (byte) -2);
            assertThat(it.keep(a.allocateFrom(fit(JAVA_SHORT, kind), (short) 3, (short) -4)).toArray(fit(JAVA_SHORT, kind)))
                    .containsExactly((short) 3, (short) -4);
            assertThat(it.keep(a.allocateFrom(fit(JAVA_CHAR, kind), 'a', 'Z')).toArray(fit(JAVA_CHAR, kind)))
                    .containsExactly('a', 'Z');
            assertThat(it.keep(a.allocateFrom(fit(JAVA_INT, kind), 1, 2, 3)).toArray(fit(JAVA_INT, kind)))
                    .containsExactly(1, 2, 3);
            assertThat(it.keep(a.allocateFrom(fit(JAVA_LONG, kind), Long.MIN_VALUE, 7L)).toArray(fit(JAVA_LONG, kind)))
                    .containsExactly(Long.MIN_VALUE, 7L);
            assertThat(it.keep(a.allocateFrom(fit(JAVA_FLOAT, kind), 1.5f, -0.25f)).toArray(fit(JAVA_FLOAT, kind)))
                    .containsExactly(1.5f, -0.25f);
            assertThat(it.keep(a.allocateFrom(fit(JAVA_DOUBLE, kind), Math.PI, 1e300)).toArray(fit(JAVA_DOUBLE, kind)))
                    .containsExactly(Math.PI, 1e300);
            assertThat(it.keep(a.allocateFrom(fit(JAVA_INT, kind), 42)).get(fit(JAVA_INT, kind), 0)).isEqualTo(42);
            assertThat(it.keep(a.allocateFrom(fit(JAVA_DOUBLE, kind), 2.5)).get(fit(JAVA_DOUBLE, kind), 0)).isEqualTo(2.5);
        }
    }

    @ForKinds(EVERY_KIND)
    void allocateFromCopiesPartOfAnotherSegment(AllocatorKind kind) {
        try (Instance it = kind.make(256)) {
            MemorySegment source = MemorySegment.ofArray(new int[] {1, 2, 3, 4, 5});
            MemorySegment copy = it.keep(it.segmentAllocator().allocateFrom(fit(JAVA_INT, kind), source, JAVA_INT, 4, 3));
            assertThat(copy.toArray(fit(JAVA_INT, kind))).containsExactly(2, 3, 4);
        }
    }

    @ForKinds(EVERY_KIND)
    void allocateFromStoresAnAddressAndRefusesAHeapSegmentsNone(AllocatorKind kind) {
        try (Instance it = kind.make(256); Arena arena = Arena.ofConfined()) {
            MemorySegment pointee = arena.allocate(16);
            MemorySegment pointer = it.keep(it.segmentAllocator().allocateFrom(fit(ADDRESS, kind), pointee));
            assertThat(pointer.get(fit(ADDRESS, kind), 0).address()).isEqualTo(pointee.address());
            if (kind.isBump()) {
                // The JDK allocates before it looks at the value: a malloc block would be lost here.
                assertThatThrownBy(() -> it.segmentAllocator().allocateFrom(fit(ADDRESS, kind), MemorySegment.ofArray(new int[1])))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Heap segment not allowed");
            }
        }
    }

    @ForKinds(EVERY_KIND)
    void aNegativeOrOverflowingElementCountIsRefusedBeforeAnyAllocation(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            refusedAndUnchanged(it, IllegalArgumentException.class, () -> it.segmentAllocator().allocate(JAVA_BYTE, -1));
            refusedAndUnchanged(it, IllegalArgumentException.class,
                    () -> it.segmentAllocator().allocate(fit(JAVA_LONG, kind), Long.MAX_VALUE));
            refusedAndUnchanged(it, IllegalArgumentException.class,
                    () -> it.segmentAllocator().allocate(JAVA_INT.withByteAlignment(8), 2))
                    .hasMessageContaining("not multiple of alignment");
        }
    }

    /**
     * The array allocation {@link Allocator} overrides, to build no {@code SequenceLayout} per call, does
     * what the JDK's default does over the same {@code allocate(long, long)}: the same sizes and
     * alignments, the same exceptions with the same messages, checked in the same order.
     */
    @ForKinds(EVERY_KIND)
    void arrayAllocationsDoWhatTheJdksDefaultDoes(AllocatorKind kind) {
        MemoryLayout[] layouts = {JAVA_BYTE, fit(JAVA_SHORT, kind), fit(JAVA_INT, kind), fit(JAVA_LONG, kind),
                fit(ADDRESS, kind), JAVA_INT.withByteAlignment(1), JAVA_INT.withByteAlignment(8),
                MemoryLayout.structLayout(fit(JAVA_LONG, kind), fit(JAVA_INT, kind), MemoryLayout.paddingLayout(4)),
                MemoryLayout.sequenceLayout(3, fit(JAVA_SHORT, kind))};
        long[] counts = {0, 1, 16, -1, Long.MIN_VALUE, Long.MAX_VALUE / 8 + 1, Long.MAX_VALUE};
        try (Instance it = kind.make(4096)) {
            SegmentAllocator overriding = it.segmentAllocator();
            SegmentAllocator inherited = (byteSize, byteAlignment) -> overriding.allocate(byteSize, byteAlignment);
            for (MemoryLayout layout : layouts) {
                for (long count : counts) {
                    assertThat(outcome(it, () -> overriding.allocate(layout, count), layout.byteAlignment()))
                            .as("%s x %d", layout, count)
                            .isEqualTo(outcome(it, () -> inherited.allocate(layout, count), layout.byteAlignment()));
                }
            }
            assertThat(outcome(it, () -> overriding.allocate(null, 2), 1))
                    .isEqualTo(outcome(it, () -> inherited.allocate(null, 2), 1));
            assertThat(outcome(it, () -> overriding.allocate(null, -1), 1)).as("the null check comes first")
                    .isEqualTo(outcome(it, () -> inherited.allocate(null, -1), 1));
        }
    }

    /**
     * {@code allocateFrom(elementLayout, source, sourceElementLayout, sourceOffset, elementCount)}, which the
     * JDK's default routes through the overridden array allocation, keeps the contract that the JDK's
     * {@code TestSegmentAllocators} checks: the same copies and the same exceptions as over the JDK's own
     * array allocation. The JDK allocates before it copies, so the cases that fail in the copy run only
     * against kinds that get the block back at their end (a malloc block would be lost).
     */
    @ForKinds(EVERY_KIND)
    void allocateFromASegmentDoesWhatTheJdksDefaultDoes(AllocatorKind kind) {
        try (Instance it = kind.make(4096); Arena arena = Arena.ofConfined()) {
            SegmentAllocator overriding = it.segmentAllocator();
            SegmentAllocator inherited = (byteSize, byteAlignment) -> overriding.allocate(byteSize, byteAlignment);
            MemorySegment source = arena.allocate(JAVA_LONG, 2);
            source.setAtIndex(JAVA_INT, 1, 42);
            ValueLayout.OfInt ints = fit(JAVA_INT, kind);
            List<Object[]> cases = new ArrayList<>(List.of(   // element layout, source, source layout, offset, count
                    new Object[] {ints, source, JAVA_INT, 4L, 3L},
                    new Object[] {ints, source, JAVA_INT, 0L, 0L},
                    new Object[] {ints, source, JAVA_INT, 0L, -1L},
                    new Object[] {ints, source, JAVA_INT, 0L, Long.MAX_VALUE},
                    new Object[] {ints.withByteAlignment(8), source, JAVA_INT, 0L, 1L}));
            if (kind.isBump()) {
                cases.addAll(List.of(
                        new Object[] {ints, source, JAVA_BYTE, 0L, 1L},
                        new Object[] {ints, source.asSlice(1), JAVA_INT, 0L, 1L},
                        new Object[] {ints, source, JAVA_INT, 1L, 1L},
                        new Object[] {ints, source, JAVA_INT, 16L, 1L},
                        new Object[] {ints, source, JAVA_INT, -4L, 1L}));
            }
            for (Object[] c : cases) {
                ValueLayout layout = (ValueLayout) c[0];
                MemorySegment from = (MemorySegment) c[1];
                ValueLayout fromLayout = (ValueLayout) c[2];
                long offset = (long) c[3];
                long count = (long) c[4];
                assertThat(outcome(it, () -> overriding.allocateFrom(layout, from, fromLayout, offset, count), 1))
                        .as("%s from %s of %s at %d x %d", layout, fromLayout, from, offset, count)
                        .isEqualTo(outcome(it, () -> inherited.allocateFrom(layout, from, fromLayout, offset, count), 1));
            }
            MemorySegment copy = it.keep(overriding.allocateFrom(ints, source, JAVA_INT, 4, 3));
            assertThat(copy.toArray(ints)).containsExactly(42, 0, 0);
        }
    }

    /** What a call gave: the size and whether it is aligned, or the exception's class and message. */
    private static String outcome(Instance it, Callable<MemorySegment> call, long alignment) {
        try {
            MemorySegment block = it.keep(call.call());
            return block.byteSize() + " bytes, aligned " + (block.maxByteAlignment() >= alignment)
                    + (block.isNative() ? ", native" : ", heap");
        } catch (Throwable thrown) {
            return thrown.getClass().getName() + ": " + thrown.getMessage();
        }
    }

    // ---- every kind: threads and zeroing -----------------------------------------------------

    @ForKinds(EVERY_KIND)
    void anotherThreadGetsWrongThreadExceptionUnlessTheKindIsForAnyThread(AllocatorKind kind) throws Exception {
        try (Instance it = kind.make()) {
            Object result = onAnotherThread(() -> {
                MemorySegment block = it.segmentAllocator().allocate(8, 1);
                if (kind.confinesBlocksToTheirThread()) {
                    it.allocator().free(block);   // that thread's block: only that thread may free it
                }
                return block;
            });
            if (kind.isConfined()) {
                assertThat(result).isInstanceOf(WrongThreadException.class);
                assertThat(((Throwable) result).getMessage()).contains("owner thread");
            } else {
                assertThat(result).isInstanceOf(MemorySegment.class);
                MemorySegment block = (MemorySegment) result;
                assertThat(block.byteSize()).isEqualTo(8);
                if (!kind.confinesBlocksToTheirThread()) {
                    it.keep(block);
                }
            }
            assertThat(it.allocate(8, 1).byteSize()).as("still usable here").isEqualTo(8);
        }
    }

    @ForKinds(BLOCKS_CONFINED_TO_THEIR_THREAD)
    void aBlockIsConfinedToTheThreadThatAllocatedItAndOnlyThatThreadMayFreeIt(AllocatorKind kind) throws Exception {
        try (Instance it = kind.make(); ExecutorService other = Executors.newSingleThreadExecutor()) {
            Allocator allocator = it.allocator();
            MemorySegment theirs = other.submit(() -> allocator.allocate(8, 1)).get();
            assertThat(theirs.isAccessibleBy(Thread.currentThread())).isFalse();
            refusedAndUnchanged(it, WrongThreadException.class, () -> allocator.free(theirs))
                    .hasMessageContaining("confined to the thread that allocated it");
            refusedAndUnchanged(it, WrongThreadException.class, () -> allocator.reallocate(theirs, 16, 1))
                    .hasMessageContaining("confined to the thread that allocated it");
            other.submit(() -> allocator.free(theirs)).get();
        }
    }

    @ForKinds(SCOPED_UNTIL_FREED)
    void aFreedOrMovedBlockThrowsWhenUsedInsteadOfTouchingMemoryGivenBack(AllocatorKind kind) {
        try (Instance it = kind.make(256)) {
            MemorySegment kept = it.allocate(8, 8);
            MemorySegment freed = it.allocate(8, 8);
            MemorySegment moved = it.allocate(8, 8);
            it.allocate(8, 8);   // so that none of them is the most recent block
            it.free(freed);
            MemorySegment grown = it.reallocate(moved, 64, 8);
            assertThatThrownBy(() -> freed.get(JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> moved.set(JAVA_BYTE, 0, (byte) 1)).isInstanceOf(IllegalStateException.class);
            assertThat(freed.scope().isAlive()).isFalse();
            kept.set(JAVA_LONG, 0, 7L);   // the others are live
            grown.set(JAVA_LONG, 56, 7L);
        }
    }

    @ForKinds(ZEROING)
    void aZeroingKindHandsOutZerosEvenWhereItHandedOutDataBefore(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            MemorySegment used = it.allocate(32, 8);
            assertThat(used.toArray(JAVA_BYTE)).containsOnly((byte) 0);
            used.fill((byte) 7);
            if (!kind.isAllocator()) {   // an Arena view: nothing to free or reallocate
                assertThat(it.allocate(32, 8).toArray(JAVA_BYTE)).containsOnly((byte) 0);
                return;
            }
            it.free(used);
            assertThat(it.allocate(32, 8).toArray(JAVA_BYTE)).containsOnly((byte) 0);
            MemorySegment small = it.allocate(3, 1);
            small.fill((byte) 7);
            MemorySegment grown = it.reallocate(small, 32, 1);
            assertThat(grown.asSlice(3).toArray(JAVA_BYTE)).as("the bytes a reallocation adds").containsOnly((byte) 0);
        }
    }

    // ---- every kind: no byte handed out twice ------------------------------------------------

    /** Which bytes of which memory belong to which live block: claiming one that is taken fails. */
    static final class Ownership {
        private static final Object NATIVE = new Object();
        private final Map<Object, TreeMap<Long, long[]>> claims = new IdentityHashMap<>();   // start -> {end, owner}

        void claim(MemorySegment block, int owner) {
            if (block.byteSize() == 0) {
                return;
            }
            TreeMap<Long, long[]> ranges = claims.computeIfAbsent(block.heapBase().orElse(NATIVE), _ -> new TreeMap<>());
            long start = block.address();
            long end = start + block.byteSize();
            Map.Entry<Long, long[]> before = ranges.lowerEntry(end);
            if (before != null && before.getValue()[0] > start) {
                throw new AssertionError("block " + owner + " " + block + " shares bytes with live block "
                        + before.getValue()[1] + " at [" + before.getKey() + ", " + before.getValue()[0] + ")");
            }
            ranges.put(start, new long[] {end, owner});
        }

        void release(MemorySegment block) {
            if (block.byteSize() > 0) {
                claims.get(block.heapBase().orElse(NATIVE)).remove(block.address());
            }
        }
    }

    private record Owned(MemorySegment block, int owner) {}

    @ForKinds(EVERY_KIND)
    void randomSequencesNeverHandOutAByteThatALiveBlockHolds(AllocatorKind kind) {
        for (int sequence = 0; sequence < 20; sequence++) {
            long seed = 0xC0FFEEL * (kind.ordinal() + 1) + sequence;
            try (Instance it = kind.make(512)) {
                runSequence(it, new SplittableRandom(seed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(kind + ", seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    private static void runSequence(Instance it, SplittableRandom random) {
        AllocatorKind kind = it.kind();
        Ownership ownership = new Ownership();
        List<Owned> live = new ArrayList<>();
        int owners = 0;
        int maxShift = Long.numberOfTrailingZeros(Math.min(64, kind.maxAlignment()));
        for (int step = 0; step < 150; step++) {
            int dice = random.nextInt(100);
            long size = random.nextInt(4) == 0 ? 0 : random.nextLong(1, 120);
            long alignment = 1L << random.nextInt(maxShift + 1);
            if (!live.isEmpty() && kind.isAllocator() && dice >= 75) {
                Owned freed = live.remove(random.nextInt(live.size()));
                it.free(freed.block());
                ownership.release(freed.block());
            } else {
                boolean reallocate = !live.isEmpty() && kind.isAllocator() && dice >= 50;
                int index = reallocate ? random.nextInt(live.size()) : live.size();
                Owned old = reallocate ? live.get(index) : null;
                MemorySegment block;
                try {
                    block = reallocate ? it.reallocate(old.block(), size, alignment) : it.allocate(size, alignment);
                } catch (IndexOutOfBoundsException full) {
                    assertThat(kind.isBounded()).as("only a bounded kind runs out of room").isTrue();
                    continue;
                }
                assertThat(block.byteSize()).isEqualTo(size);
                assertThat(block.maxByteAlignment()).isGreaterThanOrEqualTo(alignment);
                if (reallocate) {
                    assertHolds(block, Math.min(size, old.block().byteSize()), old.owner());
                    ownership.release(old.block());
                    live.remove(index);
                }
                owners++;
                ownership.claim(block, owners);
                fill(block, owners);
                live.add(index, new Owned(block, owners));
            }
            for (Owned owned : live) {
                assertHolds(owned.block(), owned.block().byteSize(), owned.owner());
            }
        }
        if (kind.isAllocator()) {
            for (Owned owned : live.reversed()) {
                it.free(owned.block());
            }
        }
    }

    @ForKinds(ALLOCATORS)
    void allocateZeroedGivesZerosWhereAnOlderBlockLeftData(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            MemorySegment dirty = it.allocate(24, 1);
            fill(dirty, 7);
            it.free(dirty);   // a buffer's most recent block comes back dirty; malloc may hand its memory out again
            MemorySegment zeroed = it.keep(it.allocator().allocateZeroed(24, 1));
            assertThat(zeroed.byteSize()).isEqualTo(24);
            assertThat(zeroed.toArray(JAVA_BYTE)).containsOnly((byte) 0);
        }
    }

    // ---- every Allocator: reallocate and free ------------------------------------------------

    @ForKinds(ALLOCATORS)
    void reallocateKeepsTheFirstMinOfOldAndNewSizeBytesAtTheAlignmentAsked(AllocatorKind kind) {
        long[][] cases = {   // old alignment, new alignment, old size, new size
                {1, 1, 40, 5000}, {8, 8, 40, 5000}, {16, 16, 40, 5000}, {32, 32, 40, 5000}, {4096, 4096, 40, 5000},
                {1, 1, 300, 7}, {8, 8, 300, 7}, {16, 16, 300, 7}, {32, 32, 300, 7}, {4096, 4096, 300, 7},
                {8, 256, 64, 128}, {4096, 8, 64, 128}};
        try (Instance it = kind.make(1 << 18)) {
            for (long[] c : cases) {
                long oldAlignment = Math.min(c[0], kind.maxAlignment());
                long alignment = Math.min(c[1], kind.maxAlignment());
                MemorySegment block = it.allocate(c[2], oldAlignment);
                fill(block, 11);
                MemorySegment resized = it.reallocate(block, c[3], alignment);
                assertThat(resized.byteSize()).isEqualTo(c[3]);
                assertThat(resized.maxByteAlignment()).isGreaterThanOrEqualTo(alignment);
                assertHolds(resized, Math.min(c[2], c[3]), 11);
                it.free(resized);
            }
        }
    }

    @ForKinds(ALLOCATORS)
    void reallocateToZeroBytesGivesAnEmptyBlockThatCanBeFreed(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            MemorySegment block = it.allocate(32, Math.min(8, kind.maxAlignment()));
            MemorySegment empty = it.reallocate(block, 0, 1);
            assertThat(empty.byteSize()).isZero();
            it.free(empty);
        }
    }

    @ForKinds(ALLOCATORS)
    void aNullSegmentGetsNullPointerExceptionNamingIt(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            Allocator allocator = it.allocator();
            assertThatThrownBy(() -> allocator.free(null)).isInstanceOf(NullPointerException.class).hasMessage("segment");
            assertThatThrownBy(() -> allocator.reallocate(null, 8, 1))
                    .isInstanceOf(NullPointerException.class).hasMessage("segment");
        }
    }

    @ForKinds(ALLOCATORS)
    void aSegmentFromElsewhereIsRefusedAndChangesNothing(AllocatorKind kind) {
        try (Instance it = kind.make(); Arena other = Arena.ofConfined()) {
            Allocator allocator = it.allocator();
            MemorySegment mine = it.allocate(8, 1);
            MemorySegment foreign = other.allocate(8);
            refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.free(foreign))
                    .hasMessageContaining(kind.refusal());
            refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.reallocate(foreign, 16, 1))
                    .hasMessageContaining(kind.refusal());
            MemorySegment heap = MemorySegment.ofArray(new byte[8]);
            refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.free(heap))
                    .hasMessageContaining(kind.refusal()).hasMessageContaining("heap");
            refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.reallocate(heap, 16, 1))
                    .hasMessageContaining(kind.refusal()).hasMessageContaining("heap");
            it.free(mine);
        }
    }

    @ForKinds(ALLOCATORS)
    void aBadReallocationIsRefusedAndTheBlockStaysAsItWas(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            Allocator allocator = it.allocator();
            MemorySegment block = it.allocate(16, 1);
            fill(block, 5);
            refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.reallocate(block, -1, 1))
                    .hasMessageContaining("size");
            refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.reallocate(block, 8, 3))
                    .hasMessageContaining("power of two");
            if (kind.maxAlignment() < 4096) {
                refusedAndUnchanged(it, IllegalArgumentException.class,
                        () -> allocator.reallocate(block, 8, kind.maxAlignment() * 2))
                        .hasMessageContaining("at most " + kind.maxAlignment() + " bytes");
            }
            assertHolds(block, 16, 5);
            it.free(block);   // still live
        }
    }

    @ForKinds(ALLOCATORS)
    void aReallocationTooLargeToHaveFailsAsTheKindSaysAndTheBlockStays(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            Allocator allocator = it.allocator();
            long alignment = Math.min(8, kind.maxAlignment());
            MemorySegment block = it.allocate(16, alignment);
            fill(block, 3);
            refusedAndUnchanged(it, kind.tooLarge(), () -> allocator.reallocate(block, Long.MAX_VALUE, alignment));
            if (kind.maxAlignment() >= 64) {   // malloc: aligned_alloc rather than realloc
                refusedAndUnchanged(it, kind.tooLarge(), () -> allocator.reallocate(block, Long.MAX_VALUE / 2, 64));
            }
            assertHolds(block, 16, 3);
            it.free(block);   // still live
        }
    }

    @ForKinds(REFUSING_STALE_BLOCKS)
    void aBlockFreedOnceIsRefusedWhenFreedOrReallocatedAgain(AllocatorKind kind) {
        try (Instance it = kind.make()) {
            Allocator allocator = it.allocator();
            MemorySegment block = allocator.allocate(8, 1);
            allocator.free(block);
            refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.free(block))
                    .hasMessageContaining(kind.refusal());
            refusedAndUnchanged(it, IllegalArgumentException.class, () -> allocator.reallocate(block, 16, 1))
                    .hasMessageContaining(kind.refusal());
        }
    }
}
