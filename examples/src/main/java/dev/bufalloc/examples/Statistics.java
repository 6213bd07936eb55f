package dev.bufalloc.examples;

import dev.bufalloc.BufferStatistics;

/** How the examples print a {@link BufferStatistics}: one number a line, named as in the record. */
final class Statistics {

    private Statistics() {}

    /** Returns the statistics as indented lines, each ending with a line break. */
    static String describe(BufferStatistics s) {
        return """
                  capacity             %d bytes
                  peakDemand           %d bytes
                  fallbackCount        %d
                  fallbackBytes        %d bytes
                  liveFallbackBlocks   %d
                  inPlaceReallocations %d
                  copiedBytes          %d bytes
                  resets               %d
                """.formatted(s.capacity(), s.peakDemand(), s.fallbackCount(), s.fallbackBytes(),
                s.liveFallbackBlocks(), s.inPlaceReallocations(), s.copiedBytes(), s.resets());
    }
}
