package dev.bufalloc.examples;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;
import dev.bufalloc.array.DoubleArray;
import dev.bufalloc.array.IntArray;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A sizing run: how big should the scratch buffer be? Run a representative workload on a
 * deliberately small buffer and read the allocator's {@link BufferStatistics}: {@code peakDemand}
 * is the most bytes the workload needed at once, buffer and fallback together. It is an estimate,
 * not a bound: in a bigger buffer, arrays that grow by moving leave holes behind them that the
 * fallback did not have, so the suggestion rounds it up to a power of two for slack, and the rerun
 * with the suggested size checks that nothing went to the fallback.
 */
public final class SizingExample {

    /** The deliberately small first buffer. */
    static final long SMALL_BUFFER = 512;
    /** How many requests the workload handles. */
    static final int REQUESTS = 20;

    private SizingExample() {}

    public static void main(String[] args) {
        BufferStatistics small = run(SMALL_BUFFER);
        System.out.println("run 1, buffer of " + SMALL_BUFFER + " bytes:");
        System.out.print(Statistics.describe(small));

        long suggested = suggestedSize(small);
        System.out.println("suggested buffer: " + suggested + " bytes (peakDemand " + small.peakDemand()
                + " rounded up to a power of two)");

        BufferStatistics sized = run(suggested);
        System.out.println("run 2, buffer of " + suggested + " bytes:");
        System.out.print(Statistics.describe(sized));
        System.out.println(sized.fallbackCount() == 0 ? "no fallback: the buffer is big enough"
                : "still " + sized.fallbackCount() + " fallbacks");
    }

    /** Returns {@code peakDemand} rounded up to a power of two. */
    static long suggestedSize(BufferStatistics statistics) {
        long peak = Math.max(statistics.peakDemand(), 1);
        return Long.bitCount(peak) == 1 ? peak : Long.highestOneBit(peak) << 1;
    }

    /** Runs the workload over a native buffer of {@code bufferSize} bytes and returns the statistics. */
    static BufferStatistics run(long bufferSize) {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator scratch = BufferAllocator.of(arena.allocate(bufferSize, 16))) {
            for (int request = 0; request < REQUESTS; request++) {
                handle(request, scratch);
                scratch.reset();
            }
            return scratch.statistics();
        }
    }

    /**
     * One request: a label as a C string and two arrays that grow in turns (ids and prices), so
     * that neither can always grow in place. Returns the total price, which the workload needs but
     * this example does not print.
     */
    static double handle(int request, BufferAllocator scratch) {
        MemorySegment label = scratch.allocateFrom("request " + request);
        IntArray ids = IntArray.of(0, scratch);
        DoubleArray prices = DoubleArray.of(0, scratch);
        int items = 10 + request * 7 % 60;
        for (int i = 0; i < items; i++) {
            ids.push(request * 1000 + i);
            prices.push(i * 0.25);
        }
        double total = 0;
        for (long i = 0; i < prices.size(); i++) {
            total += prices.get(i);
        }
        return total + label.byteSize();
    }
}
