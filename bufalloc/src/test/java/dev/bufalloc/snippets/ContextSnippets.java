package dev.bufalloc.snippets;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.array.IntArray;
import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.system.HeapAllocator;

import java.lang.foreign.Arena;

/**
 * The snippets of the Javadoc of package {@code dev.bufalloc.context}, compiled with the tests and run by
 * {@link SnippetsTest}. See {@link CoreSnippets} for how regions are shown.
 */
final class ContextSnippets {

    private ContextSnippets() {}

    /**
     * The package's overview. The array is not closed: were it in memory of the default context allocator
     * ({@code malloc}), the test's leak check would see it.
     */
    static void packageOverview() {
        // @start region="package"
        try (Arena arena = Arena.ofConfined();
             BufferAllocator scratch = BufferAllocator.of(arena.allocate(1024))) {
            ContextAllocator.runWith(scratch, () -> {
                // Code that allocates through the context now allocates from the buffer.
                IntArray ints = IntArray.of();
                ints.push(7);
            });
        }
        // @end
    }

    /** {@link ContextAllocator}. The array is not closed either: on the heap, the garbage collector takes it back. */
    static void contextAllocator() {
        // @start region="ContextAllocator"
        // Everything in this call that allocates through the context uses the heap.
        ContextAllocator.runWith(HeapAllocator.instance(), () -> {
            IntArray ints = IntArray.of();   // heap-backed
            ints.push(42);
        });
        // @end
    }
}
