package dev.bufalloc.examples;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.array.IntArray;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-request scratch memory. A server-like loop handles requests whose bodies are lines of
 * {@code name,number,number,...}; each line's numbers are parsed into an {@link IntArray} whose
 * memory comes from one 4 KiB native buffer through a {@link BufferAllocator}. When a request is
 * done, {@link BufferAllocator#reset()} releases everything it allocated at once: the arrays are
 * not closed one by one, and the next request reuses the same bytes. The statistics at the end
 * show that the buffer was big enough: no request went to the fallback.
 */
public final class PerRequestScratchExample {

    /** The request bodies. */
    static final List<String> REQUESTS = List.of(
            """
            alice,3,1,4
            bob,1,5,9,2,6
            """,
            """
            carol,5,3,5,8,9,7,9,3,2,3,8,4,6,2,6,4,3,3,8,3,2,7,9,5,0,2,8,8,4,1,9,7,1,6,9,3,9,9
            dave,0
            """,
            """
            erin,2,7,1,8,2,8,1,8,2,8,4,5,9,0,4,5,2,3,5,3,6,0,2,8,7,4,7,1,3,5,2,6,6,2,4,9,7,7,5,7,2,4,7,0,9,3,6,9,9,9,5,7,5,9,5,7,4,9,6,6,9,6,7,6,7,7
            frank,-1,-2,-3
            grace,1000000,2000000
            """);

    private PerRequestScratchExample() {}

    public static void main(String[] args) {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator scratch = BufferAllocator.of(arena.allocate(4096, 16))) {
            int number = 0;
            for (String request : REQUESTS) {
                number++;
                System.out.println("request " + number + ":");
                List<String> names = new ArrayList<>();
                List<IntArray> rows = new ArrayList<>();
                for (String line : request.strip().split("\n")) {
                    String[] fields = line.split(",");
                    IntArray numbers = IntArray.of(0, scratch);   // memory from the buffer
                    for (int i = 1; i < fields.length; i++) {
                        numbers.push(Integer.parseInt(fields[i]));
                    }
                    names.add(fields[0]);
                    rows.add(numbers);
                }
                int top = 0;
                for (int row = 0; row < rows.size(); row++) {
                    long sum = sum(rows.get(row));
                    System.out.printf("  %-6s count %3d, sum %8d%n", names.get(row), rows.get(row).size(), sum);
                    top = sum > sum(rows.get(top)) ? row : top;
                }
                System.out.println("  top: " + names.get(top) + ", " + scratch.usedBytes() + " buffer bytes used");
                scratch.reset();   // every array of this request is gone; the buffer is free again
            }
            System.out.println("statistics after " + REQUESTS.size() + " requests:");
            System.out.print(Statistics.describe(scratch.statistics()));
        }
    }

    private static long sum(IntArray ints) {
        long sum = 0;
        for (long i = 0; i < ints.size(); i++) {
            sum += ints.get(i);
        }
        return sum;
    }
}
