package dev.bufalloc.examples;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.array.DynamicArray;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Calls C's {@code div}, which returns a struct by value: {@code div_t div(int numer, int denom)}.
 * The FFM API gives such a downcall handle a {@link SegmentAllocator} as first parameter, for the
 * memory of the returned struct; here that allocator is a {@link BufferAllocator}, so the results
 * land in a native buffer. Each result is copied into a {@link DynamicArray} of {@code div_t} in the
 * same buffer, then freed: it is the most recent block, so freeing it gives its bytes back and the
 * next result reuses them.
 */
public final class StructByValueExample {

    /** {@code typedef struct { int quot; int rem; } div_t;} */
    static final StructLayout DIV_T = MemoryLayout.structLayout(
            JAVA_INT.withName("quot"),
            JAVA_INT.withName("rem")).withName("div_t");

    /** The (numerator, denominator) pairs divided. */
    static final int[][] DIVISIONS = {{17, 5}, {-17, 5}, {17, -5}, {100, 7}, {6, 3}};

    private static final VarHandle QUOT = DIV_T.varHandle(MemoryLayout.PathElement.groupElement("quot"));
    private static final VarHandle REM = DIV_T.varHandle(MemoryLayout.PathElement.groupElement("rem"));
    private static final MethodHandle DIV = C.downcall("div", FunctionDescriptor.of(DIV_T, JAVA_INT, JAVA_INT));

    private StructByValueExample() {}

    public static void main(String[] args) throws Throwable {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(256));
             DynamicArray results = DynamicArray.of(DIV_T, DIVISIONS.length, allocator)) {
            for (int[] division : DIVISIONS) {
                // The returned div_t is allocated by the BufferAllocator, after the array.
                MemorySegment result = (MemorySegment) DIV.invokeExact((SegmentAllocator) allocator,
                        division[0], division[1]);
                System.out.printf("div(%d, %d) = {quot = %d, rem = %d}, %d buffer bytes used%n",
                        division[0], division[1], (int) QUOT.get(result, 0L), (int) REM.get(result, 0L),
                        allocator.usedBytes());
                results.push(result);
                allocator.free(result);   // the most recent block: its 8 bytes go back to the buffer
            }
            System.out.println("results = " + results);
            System.out.println(allocator.usedBytes() + " buffer bytes used, fallbacks = "
                    + allocator.statistics().fallbackCount());
        }
    }
}
