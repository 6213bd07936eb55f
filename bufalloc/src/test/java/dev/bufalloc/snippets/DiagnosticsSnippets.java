package dev.bufalloc.snippets;

import dev.bufalloc.BufferAllocator;

import java.lang.foreign.Arena;

/**
 * The snippets of bufalloc's diagnostics (allocator names), compiled with the tests and run by
 * {@code dev.bufalloc.AllocatorNameTest}.
 */
public final class DiagnosticsSnippets {

    private DiagnosticsSnippets() {}

    /**
     * {@link BufferAllocator#named}: a named allocator whose 64-byte buffer a 100-byte request overflows.
     * {@return the allocator's {@code toString()}, taken before it closes}
     */
    public static String named() {
        // @start region="BufferAllocator.named"
        try (Arena arena = Arena.ofConfined();
             BufferAllocator parser = BufferAllocator.of(arena.allocate(64)).named("parser")) {
            parser.allocate(100);   // overflows: JFR's dev.bufalloc.Overflow event says "parser"
            String description = parser.toString();   // "BufferAllocator[name=parser, ..."
            // @end
            return description;
        }
    }
}
