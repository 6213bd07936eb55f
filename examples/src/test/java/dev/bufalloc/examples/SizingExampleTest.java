package dev.bufalloc.examples;

import dev.bufalloc.BufferStatistics;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SizingExampleTest {

    @Test
    void theSuggestedSizeIsAPowerOfTwoThatServesTheWorkloadWithoutFallback() throws Throwable {
        BufferStatistics small = SizingExample.run(SizingExample.SMALL_BUFFER);
        long suggested = SizingExample.suggestedSize(small);
        BufferStatistics sized = SizingExample.run(suggested);

        assertThat(small.fallbackCount()).as("the small buffer overflows").isPositive();
        assertThat(Long.bitCount(suggested)).as("a power of two").isEqualTo(1);
        assertThat(suggested).isGreaterThanOrEqualTo(small.peakDemand()).isLessThan(2 * small.peakDemand());
        assertThat(sized.fallbackCount()).as("the suggested buffer is big enough").isZero();
        assertThat(sized.usedBytes()).isZero();

        assertThat(ExampleRunner.run(SizingExample::main)).isEqualTo(
                "run 1, buffer of " + SizingExample.SMALL_BUFFER + " bytes:\n"
                        + Statistics.describe(small)
                        + "suggested buffer: " + suggested + " bytes (peakDemand " + small.peakDemand()
                        + " rounded up to a power of two)\n"
                        + "run 2, buffer of " + suggested + " bytes:\n"
                        + Statistics.describe(sized)
                        + "no fallback: the buffer is big enough\n");
    }

    @Test
    void suggestedSizeRoundsUpToAPowerOfTwo() {
        assertThat(SizingExample.suggestedSize(statisticsWithPeak(2544))).isEqualTo(4096);
        assertThat(SizingExample.suggestedSize(statisticsWithPeak(4096))).isEqualTo(4096);
        assertThat(SizingExample.suggestedSize(statisticsWithPeak(4097))).isEqualTo(8192);
        assertThat(SizingExample.suggestedSize(statisticsWithPeak(0))).isEqualTo(1);
    }

    private static BufferStatistics statisticsWithPeak(long peakDemand) {
        return new BufferStatistics(512, 0, peakDemand, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }
}
