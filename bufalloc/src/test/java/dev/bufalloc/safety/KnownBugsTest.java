package dev.bufalloc.safety;

import dev.bufalloc.safety.KnownBugScenarios.Scenario;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.fail;

/**
 * Reproducers of core bugs the crash fuzzer found, regression tests now that the core is fixed: each runs
 * one {@link KnownBugScenarios} scenario in a child JVM, which must exit 0 (a crash, an abort or a wrong
 * outcome fails it, with the child's output).
 */
@Tag("safety")
class KnownBugsTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @Test
    void aSharedAllocatorsFallbackBlockMovedByReallocateIsHeldOrThrows() {
        run(Scenario.SHARED_FALLBACK_BLOCK_AFTER_REALLOCATE);
    }

    @Test
    void aDataViewOfAnArrayOverASharedAllocatorKeptAcrossAGrowthIsHeldOrThrows() {
        run(Scenario.SHARED_ARRAY_DATA_AFTER_GROWTH);
    }

    @Test
    void aStaleFreeOfAMovedSharedFallbackBlockIsRefused() {
        run(Scenario.SHARED_STALE_FREE_AFTER_REALLOCATE);
    }

    @Test
    void anOldAllocatorsCloseKeepsTheClaimOfALiveAllocatorOverMemoryAtTheSameAddress() {
        run(Scenario.CLAIM_RELEASED_BY_AN_EQUAL_DEAD_CLAIM);
    }

    @Test
    void aFreeOfTheSegmentFromBeforeAnInPlaceReallocateLeavesTheLiveBlock() {
        run(Scenario.CHECKED_STALE_HANDLE_ENDS_THE_RESIZED_BLOCK);
    }

    @Test
    void aFreeOfASliceAtABlocksStartLeavesTheBlock() {
        run(Scenario.CHECKED_SLICE_FREE_ENDS_THE_BLOCK);
    }

    @Test
    void anEmptyBlockOutlivesTheFreeOfTheNextBlockAtItsOffset() {
        run(Scenario.CHECKED_EMPTY_BLOCK_ENDED_BY_ANOTHER_FREE);
    }

    @Test
    void aGrowingAllocatorOverTheHeapAllocatorGrows() {
        run(Scenario.GROWING_HEAP_CHUNK_REFUSED);
    }

    @Test
    void refusedOverAlignedRequestsDoNotPileUpHeapChunks() {
        run(Scenario.GROWING_HEAP_CHUNKS_PILE_UP);
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
