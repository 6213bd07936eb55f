package dev.bufalloc.examples;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.array.IntArray;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Sorts ints with C's {@code qsort} and a comparator written in Java. The ints live in an
 * {@link IntArray} whose memory comes from a native buffer through a {@link BufferAllocator};
 * {@code qsort} sorts them where they are and calls back into Java (an upcall stub made by
 * {@link java.lang.foreign.Linker#upcallStub}) for every comparison.
 */
public final class QsortExample {

    /** The ints sorted. */
    static final int[] INPUT = {42, -7, 1000, 0, 13, -7, 5, 99, Integer.MIN_VALUE, Integer.MAX_VALUE};

    /** A pointer to one {@code int}: what the comparator gets, twice. */
    @SuppressWarnings("restricted")   // the layout says what the pointer points to
    private static final AddressLayout INT_POINTER = ADDRESS.withTargetLayout(JAVA_INT);
    /** {@code int (*)(const void *, const void *)}. */
    private static final FunctionDescriptor COMPARE = FunctionDescriptor.of(JAVA_INT, INT_POINTER, INT_POINTER);
    /** {@code void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *))}. */
    private static final MethodHandle QSORT = C.downcall("qsort",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));

    private QsortExample() {}

    /** The comparator C calls: compares the ints its two arguments point to, without overflow. */
    static int compare(MemorySegment a, MemorySegment b) {
        return Integer.compare(a.get(JAVA_INT, 0), b.get(JAVA_INT, 0));
    }

    public static void main(String[] args) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(1024);
            MemorySegment comparator = C.upcall(QsortExample.class, "compare", COMPARE, arena);
            try (BufferAllocator allocator = BufferAllocator.of(buffer);
                 IntArray ints = IntArray.of(INPUT.length, allocator)) {
                for (int value : INPUT) {
                    ints.push(value);
                }
                System.out.println("before = " + ints);

                MemorySegment data = ints.data();
                QSORT.invokeExact(data, ints.size(), JAVA_INT.byteSize(), comparator);

                System.out.println("after  = " + ints);
                System.out.println("sorted in the buffer at offset " + (data.address() - buffer.address())
                        + ", " + allocator.usedBytes() + " of " + allocator.capacity() + " bytes used, fallbacks = "
                        + allocator.statistics().fallbackCount());
            }
        }
    }
}
