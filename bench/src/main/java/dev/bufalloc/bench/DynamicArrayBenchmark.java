package dev.bufalloc.bench;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;
import dev.bufalloc.array.IntArray;
import dev.bufalloc.system.MallocAllocator;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Scenario (e): pushing {@value #COUNT} ints into an empty growable array: an {@link IntArray}
 * in a buffer large enough for every growth step (each growth is then in place), fastutil's
 * {@link IntArrayList}, and the same {@code IntArray} over the malloc allocator (realloc).
 */
@State(Scope.Thread)
@Scenario(letter = "e", title = "Push 1,000,000 ints into a growable array",
        operation = "1,000,000 pushes into an empty array, then free it",
        notes = "fastutil allocates a new list per operation and grows by copying (hence its B/op);"
                + " bufalloc reuses its 16 MiB buffer, where every growth is in place (see the copied-bytes"
                + " target); `malloc` grows through `realloc`.")
public class DynamicArrayBenchmark extends NativeMemoryBenchmark {

    static final int COUNT = 1_000_000;
    /** Growth doubles the needed capacity from 32 elements: the last block is < 2.2 M ints. */
    private static final long BUFFER_BYTES = 16L << 20;

    private BufferAllocator buffer;

    /** Makes the 16 MiB buffer. */
    @Setup
    public void setUp() {
        buffer = nativeBuffer(BUFFER_BYTES);
    }

    /**
     * @param counters where the copied bytes and in-place growths are counted
     * @return the last element
     */
    @Benchmark
    public int bufalloc(GrowthCounters counters) {
        BufferStatistics before = buffer.statistics();
        int last;
        try (IntArray array = IntArray.of(0, buffer)) {
            for (int i = 0; i < COUNT; i++) {
                array.push(i);
            }
            last = array.get(COUNT - 1);
        }
        buffer.reset();
        BufferStatistics after = buffer.statistics();
        counters.copiedBytes += after.copiedBytes() - before.copiedBytes();
        counters.inPlaceReallocations += after.inPlaceReallocations() - before.inPlaceReallocations();
        return last;
    }

    /** @return the last element */
    @Benchmark
    public int fastutil() {
        IntArrayList list = new IntArrayList();
        for (int i = 0; i < COUNT; i++) {
            list.add(i);
        }
        return list.getInt(COUNT - 1);
    }

    /** @return the last element */
    @Benchmark
    public int malloc() {
        try (IntArray array = IntArray.of(0, MallocAllocator.instance())) {
            for (int i = 0; i < COUNT; i++) {
                array.push(i);
            }
            return array.get(COUNT - 1);
        }
    }
}
