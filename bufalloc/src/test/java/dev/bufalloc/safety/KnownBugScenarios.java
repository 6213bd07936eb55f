package dev.bufalloc.safety;

import static dev.bufalloc.safety.ScenarioOutcome.correct;
import static dev.bufalloc.safety.ScenarioOutcome.setupFailed;
import static dev.bufalloc.safety.ScenarioOutcome.wrong;

import dev.bufalloc.Allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * Minimal reproducers of bugs the crash fuzzer found in the core, one per scenario, each run by
 * {@link KnownBugsTest} in a child JVM of its own (a broken core crashes it). Each scenario uses the public
 * API only, with no restricted call. The shared allocator's scenarios breach the guarantee (a stale segment
 * must throw {@link IllegalStateException} or read memory that is still the caller's or the allocator's,
 * never freed memory); the claim scenario lets two live allocators hand out the same bytes; the checked
 * scenarios make a live block unusable (it throws: safe, but against the contract); the growing heap scenarios
 * refuse valid requests, and pile up chunks until the heap runs out.
 *
 * <p>Run one: {@code java --enable-native-access=ALL-UNNAMED -cp <test class path>
 * dev.bufalloc.safety.KnownBugScenarios NAME}. Exit status: 0 correct ("CORRECT: ..." on stdout), 3 wrong
 * ("WRONG: ..."), 2 the scenario could not set itself up; a crash exits with 1 and a fatal error report
 * (core dumps off) or 134 (abort).
 */
public final class KnownBugScenarios {

    static final int EXIT_WRONG = ScenarioOutcome.EXIT_WRONG;
    static final int EXIT_SETUP_FAILED = ScenarioOutcome.EXIT_SETUP_FAILED;
    /** Above glibc's mmap threshold: once freed, the block is unmapped and a read of it crashes. */
    private static final long BIG = 1 << 20;
    private static final long SMALL = 200;

    enum Scenario {
        /**
         * A shared allocator's fallback block, moved by reallocate, then read through the old segment. The
         * shared ledger hands C-library blocks out in the generation's shared scope, which stays alive until
         * the next reset or close, and ERRORS.md says a shared allocator holds the memory of a freed fallback
         * block until then; but {@code FallbackLedger.reallocate} gives the old block's memory back to the C
         * library at once ({@code memory.release(raw)}), where {@code free} defers it. The old segment, still
         * alive, then reads freed (here: unmapped) memory.
         */
        SHARED_FALLBACK_BLOCK_AFTER_REALLOCATE("a shared allocator's fallback block read after reallocate moved it"),
        /** The same through a dynamic array: a data() view kept across a growth of storage in the fallback. */
        SHARED_ARRAY_DATA_AFTER_GROWTH("a data() view of an array over a shared allocator read after the array grew"),
        /**
         * The same, then a free of the old segment: the C library hands the freed address to the next fallback
         * block of that size, and the ledger, which finds blocks by address and size, takes the stale segment
         * (whose generation scope is alive) for the live block and frees it.
         */
        SHARED_STALE_FREE_AFTER_REALLOCATE("free() of a shared allocator's fallback block after reallocate moved it,"
                + " while a new block has its address"),
        /**
         * An allocator over a buffer whose arena the caller closed (its claim is dead), a new buffer at the same
         * address and of the same size, an allocator over it (the dead claim is dropped, a new one added), then
         * the first allocator's close (or its collection): it releases its claim with
         * {@code ranges.remove(start, claim)}, and the live claim is an equal record ({@code Claim} is a record
         * whose {@code MemorySegment} component compares by address only), so the live claim goes. A second
         * allocator over the live one's buffer is then accepted, and both hand out the same bytes.
         */
        CLAIM_RELEASED_BY_AN_EQUAL_DEAD_CLAIM("a live allocator's claim released by the close of an older allocator"
                + " whose buffer, freed, had the same address and size"),
        /**
         * Checked mode, over a buffer only the garbage collector frees: a block grown in place keeps its scope, so
         * the old segment (stale) is still "the block" for a free, which ends the live block's scope.
         */
        CHECKED_STALE_HANDLE_ENDS_THE_RESIZED_BLOCK("checked mode: free() of the segment from before an in-place"
                + " reallocate ends the live, resized block"),
        /**
         * Checked mode, over a buffer only the garbage collector frees: a free of a slice at a block's start (not a
         * block: to be ignored) ends the block's scope, found by start and scope.
         */
        CHECKED_SLICE_FREE_ENDS_THE_BLOCK("checked mode: free() of a slice at a live block's start ends the block"),
        /**
         * Checked mode, over a buffer only the garbage collector frees: an empty block's scope ends with the free of
         * a later block at its offset (the rewind closes every scope at or above it), and survives a frame close
         * that does not move the cursor.
         */
        CHECKED_EMPTY_BLOCK_ENDED_BY_ANOTHER_FREE("checked mode: an empty block is ended by the free of the next"
                + " block, which starts at its offset"),
        /**
         * A growing allocator whose fallback is the heap allocator, its buffer full: every request is refused with
         * IllegalArgumentException, because {@code ChunkChain} asks the fallback for chunks aligned to 16 bytes,
         * and the heap allocator aligns to at most 8. The allocator cannot grow at all.
         */
        GROWING_HEAP_CHUNK_REFUSED("a growing allocator over the heap allocator refuses a valid request once its"
                + " buffer is full"),
        /**
         * A growing allocator whose chunks are heap memory (at most 8-byte aligned), its buffer full: a request
         * aligned to 16 fits no chunk, so {@code ChunkChain.next} takes a new one, twice the last, finds that it
         * cannot align it either, and the request is refused; the chunk stays until close. Each such request
         * takes another chunk: a few dozen hold gigabytes, and the heap runs out.
         */
        GROWING_HEAP_CHUNKS_PILE_UP("a growing allocator over the heap allocator takes a new chunk for every"
                + " over-aligned request it refuses");

        final String description;

        Scenario(String description) {
            this.description = description;
        }

        String argument() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private KnownBugScenarios() {}

    public static void main(String[] args) {
        Scenario scenario = Scenario.valueOf(args[0].toUpperCase(Locale.ROOT).replace('-', '_'));
        System.out.println("scenario " + scenario.argument() + ": " + scenario.description);
        try {
            run(scenario);
        } catch (Throwable t) {
            System.out.println("ERROR: the scenario threw " + t);
            t.printStackTrace(System.out);
            System.exit(EXIT_SETUP_FAILED);
        }
        System.out.flush();
        System.exit(0);
    }

    private static void run(Scenario scenario) {
        switch (scenario) {
            case SHARED_FALLBACK_BLOCK_AFTER_REALLOCATE -> {
                Kind.Subject shared = Kind.SHARED.open(Arena.ofAuto().allocate(64));
                MemorySegment block = shared.allocator().allocate(BIG, 8);   // does not fit: a C-library block
                block.fill((byte) 0x5A);
                MemorySegment moved = shared.allocator().reallocate(block, 2 * BIG, 8);
                System.out.println("moved from 0x" + Long.toHexString(block.address()) + " to 0x"
                        + Long.toHexString(moved.address()) + "; the old segment's scope is "
                        + (block.scope().isAlive() ? "alive" : "closed") + "; reading it:");
                System.out.flush();
                expectThrowsOrHeld("reading the old segment", block, (byte) 0x5A);
            }
            case SHARED_ARRAY_DATA_AFTER_GROWTH -> {
                Kind.Subject shared = Kind.SHARED.open(Arena.ofAuto().allocate(64));
                long capacity = BIG / Long.BYTES;
                Kind.LongArray array = Kind.longArray(shared.allocator(), capacity);   // storage in the fallback
                for (long i = 0; i < capacity; i++) {
                    array.push(0x5A5A5A5A5A5A5A5AL);
                }
                MemorySegment view = array.data();
                array.push(-1);   // full: grows by reallocate, which moves a C-library block
                System.out.println("the array moved from 0x" + Long.toHexString(view.address()) + " to 0x"
                        + Long.toHexString(array.data().address()) + "; the old view's scope is "
                        + (view.scope().isAlive() ? "alive" : "closed") + "; reading it:");
                System.out.flush();
                expectThrowsOrHeld("reading the data() view from before the growth", view, (byte) 0x5A);
            }
            case SHARED_STALE_FREE_AFTER_REALLOCATE -> staleFreeAfterReallocate();
            case CLAIM_RELEASED_BY_AN_EQUAL_DEAD_CLAIM -> claimReleasedByAnEqualDeadClaim();
            case CHECKED_STALE_HANDLE_ENDS_THE_RESIZED_BLOCK -> {
                Allocator checked = Kind.CHECKED.open(Arena.ofAuto().allocate(64)).allocator();
                MemorySegment old = checked.allocate(8, 1);
                MemorySegment grown = checked.reallocate(old, 16, 1);   // the most recent block: grows in place
                if (grown.address() != old.address()) {
                    setupFailed("the block moved; the scenario needs it to grow in place");
                }
                freeThenUse("free() of the segment from before the in-place reallocate", checked, old, grown);
            }
            case CHECKED_SLICE_FREE_ENDS_THE_BLOCK -> {
                Allocator checked = Kind.CHECKED.open(Arena.ofAuto().allocate(64)).allocator();
                MemorySegment block = checked.allocate(16, 1);
                checked.allocate(8, 1);   // the slice is not at the cursor either
                freeThenUse("free() of the block's first 8 bytes, a slice", checked, block.asSlice(0, 8), block);
            }
            case CHECKED_EMPTY_BLOCK_ENDED_BY_ANOTHER_FREE -> {
                Allocator checked = Kind.CHECKED.open(Arena.ofAuto().allocate(64)).allocator();
                checked.allocate(8, 1);
                MemorySegment empty = checked.allocate(0, 1);   // at offset 8
                MemorySegment next = checked.allocate(8, 1);    // at offset 8 too: the most recent block
                checked.free(next);                             // gives its bytes back: the cursor goes to 8
                try {
                    checked.free(empty);
                } catch (IllegalArgumentException | IllegalStateException e) {
                    wrong("free() of the live empty block threw " + e + ": the free of the next block ended it");
                }
                correct("the empty block is still a live block");
            }
            case GROWING_HEAP_CHUNK_REFUSED -> {
                Kind.Subject growing = Kind.GROWING_HEAP_FALLBACK.open(Arena.ofAuto().allocate(64));
                growing.allocator().allocate(64, 1);   // the buffer is full
                MemorySegment block;
                try {
                    block = growing.allocator().allocate(8, 8);
                } catch (IllegalArgumentException e) {
                    wrong("allocate(8, 8) on the full buffer threw " + e + ": the heap allocator gives 8-byte alignment");
                    return;
                }
                block.set(ValueLayout.JAVA_LONG, 0, 42);
                correct("allocate(8, 8) on the full buffer gave " + block + ", in a chunk of "
                        + growing.chunkProbe().read()[2] + " bytes");
            }
            case GROWING_HEAP_CHUNKS_PILE_UP -> {
                Kind.Subject growing = Kind.GROWING_HEAP_FALLBACK.open(Arena.ofAuto().allocate(64));
                growing.allocator().allocate(64, 1);   // the buffer is full
                int refused = 0;
                for (int i = 0; i < 12; i++) {
                    try {
                        growing.allocator().allocate(8, 16);   // more than a heap chunk aligns
                    } catch (IllegalArgumentException e) {
                        refused++;
                    }
                }
                long[] state = growing.chunkProbe().read();
                if (state[1] > 1) {
                    wrong(refused + " of 12 requests aligned to 16 were refused, and the allocator now holds " + state[1]
                            + " chunks of " + state[2] + " bytes in all: each refused request took a chunk");
                }
                growing.allocator().allocate(8, 8);
                correct(refused + " of 12 requests aligned to 16 were refused; the allocator holds " + state[1]
                        + " chunk(s), " + state[2] + " bytes");
            }
        }
    }

    private static void claimReleasedByAnEqualDeadClaim() {
        for (int attempt = 0; attempt < 50; attempt++) {
            Arena confined = Arena.ofConfined();
            MemorySegment first = confined.allocate(4096, 16);
            Kind.Subject old = Kind.BUFFER.open(first);
            confined.close();   // the caller frees the buffer under its allocator: that claim is dead
            MemorySegment second = Arena.ofAuto().allocate(4096, 16);
            if (second.address() != first.address()) {
                old.close();
                continue;   // the memory went elsewhere: try again
            }
            Kind.Subject live = Kind.BUFFER.open(second);   // drops the dead claim, adds its own
            old.close();                                      // releases the old claim
            Kind.Subject other;
            try {
                other = Kind.BUFFER.open(second);
            } catch (IllegalStateException e) {
                correct("a second allocator over the live allocator's buffer was refused: " + e.getMessage());
                return;
            }
            MemorySegment a = live.allocator().allocate(8, 8);
            MemorySegment b = other.allocator().allocate(8, 8);
            wrong("a second allocator over the live allocator's buffer was accepted: both handed out 8 bytes at 0x"
                    + Long.toHexString(a.address()) + " and 0x" + Long.toHexString(b.address())
                    + " (the old allocator's close released the live claim, an equal record)");
        }
        setupFailed("the new buffer never got the freed buffer's address");
    }

    /** Frees {@code stale} (not a live block: refused or ignored), then uses the live {@code block}, which must work. */
    private static void freeThenUse(String what, Allocator allocator, MemorySegment stale, MemorySegment block) {
        try {
            allocator.free(stale);
            System.out.println(what + " returned");
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.out.println(what + " threw " + e);
        }
        try {
            block.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            allocator.free(block);
        } catch (IllegalArgumentException | IllegalStateException e) {
            wrong(what + " ended the live block " + block + ": using or freeing it now throws " + e);
        }
        correct("the live block is still usable");
    }

    private static void staleFreeAfterReallocate() {
        Kind.Subject shared = Kind.SHARED.open(Arena.ofAuto().allocate(64));
        Allocator allocator = shared.allocator();
        for (int attempt = 0; attempt < 50; attempt++) {
            MemorySegment old = allocator.allocate(SMALL, 8);   // does not fit: a C-library block
            allocator.reallocate(old, 2 * SMALL, 8);
            MemorySegment current = allocator.allocate(SMALL, 8);
            if (current.address() != old.address()) {
                continue;   // malloc put it elsewhere: try again
            }
            current.fill((byte) 3);
            System.out.println("a new block has the old block's address 0x" + Long.toHexString(old.address())
                    + "; the old segment's scope is " + (old.scope().isAlive() ? "alive" : "closed"));
            try {
                allocator.free(old);
            } catch (IllegalArgumentException | IllegalStateException e) {
                correct("free() of the moved block's old segment threw " + e);
                return;
            }
            Throwable liveFree = null;
            try {
                allocator.free(current);
            } catch (RuntimeException e) {
                liveFree = e;
            }
            wrong("free() of the moved block's old segment returned normally: it freed the live block at the"
                    + " same address" + (liveFree != null ? " (whose own free() now throws " + liveFree + ")" : ""));
        }
        // The allocator holds a moved block's old memory until its next reset, so malloc cannot hand the
        // address out again: the collision this scenario looks for cannot happen. A stale free is still refused.
        MemorySegment old = allocator.allocate(SMALL, 8);
        allocator.reallocate(old, 2 * SMALL, 8);
        try {
            allocator.free(old);
        } catch (IllegalArgumentException | IllegalStateException e) {
            correct("malloc never reused the held address, and free() of the moved block's old segment threw " + e);
            return;
        }
        wrong("free() of the moved block's old segment returned normally");
    }

    /**
     * A stale use that must throw IllegalStateException, or read what was written there (memory the allocator
     * still holds); a crash or other bytes mean it read freed memory.
     */
    private static void expectThrowsOrHeld(String what, MemorySegment stale, byte written) {
        try {
            for (long offset = 0; offset < stale.byteSize(); offset += 4096) {
                byte value = stale.get(ValueLayout.JAVA_BYTE, offset);
                if (value != written) {
                    wrong(what + " returned 0x" + Integer.toHexString(value & 0xFF) + " at offset " + offset
                            + ", not the 0x" + Integer.toHexString(written & 0xFF) + " written: it reads freed memory");
                }
            }
        } catch (IllegalStateException e) {
            correct(what + " threw " + e);
            return;
        }
        correct(what + " read the bytes written: the allocator still holds the memory");
    }
}
