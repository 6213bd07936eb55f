package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.system.UnscopedMallocAllocator;
import dev.bufalloc.testing.CountingAllocator;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A fallback that fails on its k-th call, for every k along random sequences of allocate,
 * reallocate, free and reset on a small buffer, for confined and shared allocators over fallbacks
 * whose blocks are scoped (the safe malloc allocator's, handed out as they are) or raw (the C
 * library's, which the allocator scopes itself): a failed allocate or reallocate reaches the caller,
 * the allocator's state and statistics are as before the call, the blocks' contents are intact,
 * nothing leaks, and the same call works when tried again.
 *
 * <p>A failed {@code free} of a fallback block does not undo itself: the allocator forgets the block
 * (it is no longer live, and a second free is refused) and the fallback keeps it, which the test then
 * gives back to the fallback itself. {@code reset()} and {@code close()} release every fallback block
 * even when one {@code free} fails, then throw; only the refused block stays with the fallback. A
 * shared allocator holds the C library's blocks until the reset, so their {@code free} fails there.
 *
 * <p>By default a few seeds run; with {@code -Dbufalloc.soak.seconds=N} (the {@code soak} profile)
 * new seeds run until N seconds have passed. A failure names its seed and k.
 */
@NoLeaks
class FallbackFaultTest {

    private static final long BUFFER_BYTES = 64;
    private static final int STEPS = 120;
    private static final long[] DEFAULT_SEEDS = {1, 2, 3, 0x5EED_F00DL};

    /** The buffers the allocator is tried over: both kinds of memory, and what alignment each gives. */
    enum Buffer {
        NATIVE(32) {
            @Override
            MemorySegment make(Arena arena) {
                // Aligned to the largest alignment asked, so that a seed makes the same calls every run.
                return arena.allocate(BUFFER_BYTES, 32);
            }
        },
        HEAP_LONGS(8) {
            @Override
            MemorySegment make(Arena arena) {
                return MemorySegment.ofArray(new long[(int) (BUFFER_BYTES / Long.BYTES)]);
            }
        };

        final long maxAlignment;

        Buffer(long maxAlignment) {
            this.maxAlignment = maxAlignment;
        }

        abstract MemorySegment make(Arena arena);
    }

    /** The allocator under test and the memory behind its fallback. */
    enum Setup {
        CONFINED_OVER_MALLOC {
            @Override
            BufferAllocator make(MemorySegment buffer, CountingAllocator fallback) {
                return BufferAllocator.of(buffer, fallback);
            }
        },
        CONFINED_OVER_RAW_MALLOC {
            @Override
            BufferAllocator make(MemorySegment buffer, CountingAllocator fallback) {
                return BufferAllocator.of(buffer, fallback);
            }

            @Override
            boolean raw() {
                return true;
            }

        },
        SHARED_OVER_MALLOC {
            @Override
            BufferAllocator make(MemorySegment buffer, CountingAllocator fallback) {
                return BufferAllocator.ofShared(buffer, fallback);
            }
        },
        SHARED_OVER_RAW_MALLOC {
            @Override
            BufferAllocator make(MemorySegment buffer, CountingAllocator fallback) {
                return BufferAllocator.ofShared(buffer, fallback);
            }

            @Override
            boolean raw() {
                return true;
            }
        };

        abstract BufferAllocator make(MemorySegment buffer, CountingAllocator fallback);

        /** {@return whether the fallback hands out the C library's blocks in the global scope} */
        boolean raw() {
            return false;
        }

        CountingAllocator fallback() {
            return new CountingAllocator(raw() ? UnscopedMallocAllocator.instance() : MallocAllocator.instance());
        }

    }

    /** The call of the sequence that made a fallback call. */
    enum Op { ALLOCATE, REALLOCATE, FREE, RESET, CLOSE }

    /** What a failing fallback throws, and on which of its calls. */
    enum Failure {
        RUNTIME_EXCEPTION_ON_ANY_CALL {
            @Override
            Throwable make(long k) {
                return new IllegalStateException("injected on call " + k);
            }
        },
        OUT_OF_MEMORY_ON_ALLOCATE_OR_REALLOCATE {
            @Override
            boolean injectedOn(CountingAllocator.Call call) {
                return call != CountingAllocator.Call.FREE;
            }
        },
        OUT_OF_MEMORY_ON_FREE {
            @Override
            boolean injectedOn(CountingAllocator.Call call) {
                return call == CountingAllocator.Call.FREE;
            }
        };

        Throwable make(long k) {
            return new OutOfMemoryError("injected on call " + k);
        }

        boolean injectedOn(CountingAllocator.Call call) {
            return true;
        }
    }

    /** Every setup over every buffer. */
    static Stream<Arguments> setupsAndBuffers() {
        return Stream.of(Setup.values()).flatMap(setup -> Stream.of(Buffer.values()).map(buffer -> Arguments.of(setup, buffer)));
    }

    @ParameterizedTest
    @MethodSource("setupsAndBuffers")
    void aFallbackThatThrowsARuntimeExceptionOnAnyCall(Setup setup, Buffer buffer) {
        tryEveryPosition(setup, buffer, Failure.RUNTIME_EXCEPTION_ON_ANY_CALL);
    }

    @ParameterizedTest
    @MethodSource("setupsAndBuffers")
    void aFallbackThatRunsOutOfMemoryOnAllocateOrReallocate(Setup setup, Buffer buffer) {
        tryEveryPosition(setup, buffer, Failure.OUT_OF_MEMORY_ON_ALLOCATE_OR_REALLOCATE);
    }

    @ParameterizedTest
    @MethodSource("setupsAndBuffers")
    void aFallbackWhoseFreeThrowsAnError(Setup setup, Buffer buffer) {
        tryEveryPosition(setup, buffer, Failure.OUT_OF_MEMORY_ON_FREE);
    }

    /**
     * {@link Allocator#reallocate}: "If this method throws, segment is unchanged and still allocated". A
     * confined allocator moves a block it scoped itself (the C library's) by allocating the new block, then
     * ending the old one's scope and freeing it; when that free throws, reallocate throws although the old
     * block's scope is already closed and the allocator has forgotten it, and the new block, which the
     * caller never gets, stays in the ledger until the next reset.
     */
    @Test
    void aFallbackWhoseFreeFailsInAReallocationOfAScopedBlockLosesNeitherBlock() {
        try (Arena arena = Arena.ofConfined()) {
            CountingAllocator fallback = new CountingAllocator(UnscopedMallocAllocator.instance());
            BufferAllocator allocator = BufferAllocator.of(arena.allocate(8), fallback);
            try {
                MemorySegment block = allocator.allocate(16, 8);   // from the fallback, scoped by the allocator
                block.fill((byte) 7);
                // The reallocation's first call allocates the new block, its second frees the old one.
                fallback.failOnCall(fallback.calls() + 2, () -> new IllegalStateException("free failed"));

                MemorySegment[] moved = new MemorySegment[1];
                Throwable thrown = catchThrowable(() -> moved[0] = allocator.reallocate(block, 32, 8));

                if (thrown == null) {   // the move happened: the caller has the new block, with the bytes
                    assertThat(moved[0].asSlice(0, 16).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 7);
                    assertThat(allocator.statistics().liveFallbackBlocks()).isEqualTo(1);
                } else {                // it did not: the old block is unchanged and still allocated
                    assertThat(thrown).isSameAs(fallback.lastInjected());
                    assertThat(block.scope().isAlive()).as("the old block is still usable").isTrue();
                    assertThat(block.toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 7);
                    assertThat(allocator.statistics().liveFallbackBlocks()).as("no block the caller lacks").isEqualTo(1);
                    assertThat(allocator.statistics().liveFallbackBytes()).isEqualTo(16);
                }
            } finally {
                catchThrowable(allocator::close);
                fallback.releaseOutstanding();
            }
        }
    }

    /** Runs each seed's sequence once per fallback call k that {@code failure} applies to, failing call k. */
    private static void tryEveryPosition(Setup setup, Buffer buffer, Failure failure) {
        long positions = 0;
        long injected = 0;
        long deadline = soakDeadline();
        SplittableRandom random = new SplittableRandom();
        int sequences = 0;
        for (; sequences < DEFAULT_SEEDS.length || System.nanoTime() < deadline; sequences++) {
            long seed = sequences < DEFAULT_SEEDS.length ? DEFAULT_SEEDS[sequences] : random.nextLong();
            try {
                // A run with no failure tells which fallback calls the sequence makes: each is a k to fail.
                Outcome plain = run(setup, buffer, seed, 0, failure);
                for (long k = 1; k <= plain.calls.size(); k++) {
                    CountingAllocator.Call call = plain.calls.get((int) k - 1);
                    if (!failure.injectedOn(call)) {
                        continue;
                    }
                    injected += run(setup, buffer, seed, k, failure).failures;
                    positions++;
                }
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + " (" + setup + ", " + buffer + ", " + failure + ")", e);
            }
        }
        System.out.printf("FallbackFaultTest %s, %s, %s: %d sequences, %d fault positions tried%n",
                setup, buffer, failure, sequences, positions);
        assertThat(positions).isPositive();
        assertThat(injected).isEqualTo(positions);   // each k was reached and failed once
    }

    /**
     * With {@code -Dbufalloc.soak.seconds=N}, when this run's share of N seconds ends: the soak's N
     * seconds are split evenly between the parameterized runs (each buffer with each failure), so the whole
     * test takes N. Without it, now: only the default seeds run. Seeds are drawn one at a time as the
     * runs go, never ahead.
     */
    private static long soakDeadline() {
        long seconds = Long.getLong("bufalloc.soak.seconds", 0);
        long runs = (long) Setup.values().length * Buffer.values().length * Failure.values().length;
        return System.nanoTime() + Math.max(0, seconds) * 1_000_000_000L / runs;
    }

    /** The fallback's calls, which call of the sequence made each, and how many injected failures were met. */
    record Outcome(List<CountingAllocator.Call> calls, List<Op> madeBy, long failures) {}

    /** A live block and the byte it is filled with. */
    record Block(MemorySegment segment, byte fill) {
        void check(String when) {
            for (long i = 0; i < segment.byteSize(); i++) {
                if (segment.get(ValueLayout.JAVA_BYTE, i) != fill) {
                    throw new AssertionError(when + ": byte " + i + " of " + segment + " is not " + fill);
                }
            }
        }
    }

    /** Everything the allocator shows, to compare before and after a failed call. */
    record State(BufferStatistics statistics, long usedBytes, long outstandingBytes, long outstandingBlocks) {
        static State of(BufferAllocator allocator, CountingAllocator fallback) {
            return new State(allocator.statistics(), allocator.usedBytes(), fallback.outstandingBytes(),
                    fallback.outstandingBlocks());
        }
    }

    /** Runs one random sequence with the fallback's call {@code k} failing (0: none). */
    private static Outcome run(Setup setup, Buffer kind, long seed, long k, Failure failure) {
        try (Arena arena = Arena.ofShared()) {
            CountingAllocator fallback = setup.fallback();
            if (k > 0) {
                fallback.failOnCall(k, () -> failure.make(k));
            }
            BufferAllocator allocator = setup.make(kind.make(arena), fallback);
            Sequence sequence = new Sequence(kind, new SplittableRandom(seed), allocator, fallback);
            long failures = sequence.run();
            failures += sequence.close();
            assertThat(fallback.outstanding()).as("outstanding after close").isEmpty();
            if (k > 0 && k <= fallback.calls()) {
                assertThat(failure.injectedOn(fallback.log().get((int) k - 1))).as("call k is of the kind to fail").isTrue();
            }
            return new Outcome(fallback.log(), sequence.madeBy, failures);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed=" + seed + ", " + setup + ", buffer=" + kind + ", " + failure + ", k=" + k
                    + ": " + e.getMessage(), e);
        }
    }

    /** One random sequence of calls, checking each against what it must do. */
    private static final class Sequence {
        private final Buffer kind;
        private final SplittableRandom random;
        private final BufferAllocator allocator;
        private final CountingAllocator fallback;
        private final List<Block> live = new ArrayList<>();
        /** For each fallback call so far, the call of the sequence that made it. */
        final List<Op> madeBy = new ArrayList<>();
        private byte nextFill = 1;

        Sequence(Buffer kind, SplittableRandom random, BufferAllocator allocator, CountingAllocator fallback) {
            this.kind = kind;
            this.random = random;
            this.allocator = allocator;
            this.fallback = fallback;
        }

        long run() {
            long failures = 0;
            for (int step = 0; step < STEPS; step++) {
                int dice = random.nextInt(100);
                String what = "step " + step;
                long callsBefore = fallback.calls();
                Op op;
                if (dice < 40) {
                    op = Op.ALLOCATE;
                    long size = random.nextLong(0, 48);
                    long alignment = 1L << random.nextInt(Long.numberOfTrailingZeros(kind.maxAlignment) + 1);
                    failures += undone(what + ": allocate(" + size + ", " + alignment + ")",
                            () -> live.add(fill(allocator.allocate(size, alignment))));
                } else if (dice < 65 && !live.isEmpty()) {
                    op = Op.REALLOCATE;
                    int index = random.nextInt(live.size());
                    long size = random.nextLong(0, 64);
                    long alignment = 1L << random.nextInt(Long.numberOfTrailingZeros(kind.maxAlignment) + 1);
                    Block block = live.get(index);
                    failures += undone(what + ": reallocate(" + block.segment() + ", " + size + ", " + alignment + ")",
                            () -> live.set(index, reallocated(block, size, alignment)));
                } else if (dice < 92 && !live.isEmpty()) {
                    op = Op.FREE;
                    int index = random.nextInt(live.size());
                    failures += freed(what + ": free(" + live.get(index).segment() + ")", index);
                } else {
                    op = Op.RESET;
                    failures += reset(what);
                }
                noteCalls(callsBefore, op);
                live.forEach(b -> b.check("after " + what));
            }
            return failures;
        }

        private void noteCalls(long callsBefore, Op op) {
            for (long call = callsBefore; call < fallback.calls(); call++) {
                madeBy.add(op);
            }
        }

        /** Runs {@code call}; if the fallback fails it, checks that nothing changed and that it works when retried. */
        private int undone(String what, Runnable call) {
            State before = State.of(allocator, fallback);
            Throwable injectedBefore = fallback.lastInjected();
            Throwable thrown = catchThrowable(call::run);
            if (thrown == null) {
                // A reallocation that moved a block the allocator scoped absorbs a failing free of the old
                // block: the move is done, and the allocator gives the old block back on reset or close.
                return fallback.lastInjected() != injectedBefore ? 1 : 0;
            }
            assertThat(thrown).as("%s threw", what).isSameAs(fallback.lastInjected());
            assertThat(State.of(allocator, fallback)).as("%s failed: state", what).isEqualTo(before);
            live.forEach(b -> b.check("after the failed " + what));
            call.run();   // the same call works now
            return 1;
        }

        /**
         * free(): a buffer block's free cannot fail. A fallback block's free that fails reaches the caller, and
         * the allocator forgets the block all the same: it is not live any more (a second free is refused),
         * nothing else changed, and the fallback keeps the block, which is given back to it here.
         */
        private int freed(String what, int index) {
            MemorySegment segment = live.get(index).segment();
            State before = State.of(allocator, fallback);
            Throwable thrown = catchThrowable(() -> allocator.free(segment));
            live.remove(index);
            if (thrown == null) {
                return 0;
            }
            assertThat(thrown).as("%s threw", what).isSameAs(fallback.lastInjected());
            BufferStatistics was = before.statistics();
            BufferStatistics forgotten = new BufferStatistics(was.capacity(), was.usedBytes(), was.peakDemand(),
                    was.fallbackCount(), was.fallbackBytes(), was.liveFallbackBlocks() - 1,
                    was.liveFallbackBytes() - segment.byteSize(), was.inPlaceReallocations(), was.copiedBytes(),
                    was.resets(), was.chunks(), was.chunkBytes());
            assertThat(State.of(allocator, fallback)).as("%s failed: the block is forgotten, and kept by the fallback", what)
                    .isEqualTo(new State(forgotten, before.usedBytes(), before.outstandingBytes(), before.outstandingBlocks()));
            assertThat(catchThrowable(() -> allocator.free(segment))).as("%s again", what)
                    .isInstanceOf(IllegalArgumentException.class);
            live.forEach(b -> b.check("after the failed " + what));
            MemorySegment kept = fallback.outstanding().stream().filter(segment::equals).findFirst().orElseThrow();
            fallback.free(kept);   // the fallback's own block, as it handed it out
            return 1;
        }

        /** reset(): on a failed free, every block is released all the same and only the refused one stays outstanding. */
        private int reset(String what) {
            long resets = allocator.statistics().resets();
            int failures = releasesAllEvenIfAFreeFails(what + ": reset()", allocator::reset);
            assertThat(allocator.usedBytes()).isZero();
            assertThat(allocator.statistics().resets()).isEqualTo(resets + 1);
            return failures;
        }

        /** close(): like reset(), and the allocator is closed even if a free fails. */
        int close() {
            long callsBefore = fallback.calls();
            int failures = releasesAllEvenIfAFreeFails("close()", allocator::close);
            noteCalls(callsBefore, Op.CLOSE);
            assertThat(catchThrowable(() -> allocator.allocate(1))).as("allocate after close()")
                    .isInstanceOf(IllegalStateException.class);
            return failures;
        }

        private int releasesAllEvenIfAFreeFails(String what, Runnable releaseAll) {
            List<MemorySegment> before = fallback.outstanding();
            Throwable thrown = catchThrowable(releaseAll::run);
            live.clear();
            assertThat(allocator.statistics().liveFallbackBlocks()).as("%s: fallback blocks still tracked", what).isZero();
            if (thrown == null) {
                assertThat(fallback.outstanding()).as("%s: outstanding afterwards", what).isEmpty();
                return 0;
            }
            assertThat(thrown).as("%s threw", what).isSameAs(fallback.lastInjected());
            assertThat(fallback.outstandingBlocks()).as("%s: only the refused block stays", what).isEqualTo(1);
            assertThat(before).contains(fallback.outstanding().getFirst());
            fallback.releaseOutstanding();
            return 1;
        }

        private Block fill(MemorySegment segment) {
            byte fill = nextFill++;
            if (nextFill == 0) {
                nextFill = 1;
            }
            segment.fill(fill);
            return new Block(segment, fill);
        }

        private Block reallocated(Block block, long size, long alignment) {
            MemorySegment moved = allocator.reallocate(block.segment(), size, alignment);
            assertThat(moved.byteSize()).isEqualTo(size);
            assertThat(moved.address() % alignment).isZero();
            new Block(moved.asSlice(0, Math.min(size, block.segment().byteSize())), block.fill()).check("reallocate kept");
            moved.fill(block.fill());
            return new Block(moved, block.fill());
        }
    }
}
