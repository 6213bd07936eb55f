package dev.bufalloc.safety;

import dev.bufalloc.safety.KnownBugScenarios.Scenario;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.fail;

/**
 * Reproducers of core bugs the crash fuzzer found, disabled until the core is fixed: each runs one
 * {@link KnownBugScenarios} scenario in a child JVM, which must exit 0. Enable a test when its bug is fixed,
 * and drop the matching exclusion from {@link CrashFuzzer} (its {@code knownBug} checks; a run with
 * {@code -Dbufalloc.fuzz.knownBugs=true} makes no exclusion).
 */
@Tag("safety")
class KnownBugsTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @Test
    @Disabled("bug: SharedBufferAllocator.reallocate of a C-library fallback block frees the old block at once"
            + " (FallbackLedger.reallocate releases it, where free defers it to the next reset), but the old segment"
            + " is in the generation's scope, alive until reset: reading it reads freed memory (SIGSEGV here)")
    void aSharedAllocatorsFallbackBlockMovedByReallocateIsHeldOrThrows() {
        run(Scenario.SHARED_FALLBACK_BLOCK_AFTER_REALLOCATE);
    }

    @Test
    @Disabled("bug: a DynamicArray over a shared allocator grows its fallback storage by reallocate, which frees"
            + " the old C-library block at once while a data() view from before keeps it in a live scope (SIGSEGV)")
    void aDataViewOfAnArrayOverASharedAllocatorKeptAcrossAGrowthIsHeldOrThrows() {
        run(Scenario.SHARED_ARRAY_DATA_AFTER_GROWTH);
    }

    @Test
    @Disabled("bug: after a shared allocator's reallocate freed the old fallback block at once, a new block gets its"
            + " address; free() of the stale old segment (scope alive) is accepted and frees the live block, found by"
            + " address and size")
    void aStaleFreeOfAMovedSharedFallbackBlockIsRefused() {
        run(Scenario.SHARED_STALE_FREE_AFTER_REALLOCATE);
    }

    @Test
    @Disabled("bug: BufferClaims.release removes its claim with ranges.remove(start, claim), and Claim is a record"
            + " whose MemorySegment component compares by address only: an allocator whose buffer was freed (its claim"
            + " dead, dropped when a new allocator claimed a buffer at the same address and size) releases the new"
            + " allocator's live claim on close() or collection; a second allocator is then accepted over the live"
            + " one's buffer, and both hand out the same bytes")
    void anOldAllocatorsCloseKeepsTheClaimOfALiveAllocatorOverMemoryAtTheSameAddress() {
        run(Scenario.CLAIM_RELEASED_BY_AN_EQUAL_DEAD_CLAIM);
    }

    @Test
    @Disabled("bug (checked mode, safe): a block grown in place keeps its scope, and the checked allocator finds blocks"
            + " by start and scope, so a free() of the stale segment from before the reallocate is accepted and ends"
            + " the live block")
    void aFreeOfTheSegmentFromBeforeAnInPlaceReallocateLeavesTheLiveBlock() {
        run(Scenario.CHECKED_STALE_HANDLE_ENDS_THE_RESIZED_BLOCK);
    }

    @Test
    @Disabled("bug (checked mode, safe): a free() of a slice at a live block's start, which the contract says is"
            + " ignored, ends the block: the checked allocator finds blocks by start and scope, whatever the size")
    void aFreeOfASliceAtABlocksStartLeavesTheBlock() {
        run(Scenario.CHECKED_SLICE_FREE_ENDS_THE_BLOCK);
    }

    @Test
    @Disabled("bug (checked mode, safe, empty blocks only): a rewind to an offset ends every scope at or above it,"
            + " the live empty block there too; a frame close that does not move the cursor ends none")
    void anEmptyBlockOutlivesTheFreeOfTheNextBlockAtItsOffset() {
        run(Scenario.CHECKED_EMPTY_BLOCK_ENDED_BY_ANOTHER_FREE);
    }

    private static void run(Scenario scenario) {
        ChildJvm.Result result = ChildJvm.run("known-bug-" + scenario.argument(), KnownBugScenarios.class,
                List.of(), List.of(scenario.argument()), TIMEOUT);
        if (!result.succeeded()) {
            fail(scenario.description + ": " + result.report() + "replay: java --enable-native-access=ALL-UNNAMED"
                    + " -cp <test class path> " + KnownBugScenarios.class.getName() + " " + scenario.argument());
        }
    }
}
