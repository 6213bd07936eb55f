package dev.bufalloc.snippets;

import dev.bufalloc.Allocator;
import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.system.UnscopedMallocAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The snippets of the Javadoc of package {@code dev.bufalloc.system}, compiled with the tests and run by
 * {@link SnippetsTest}. See {@link CoreSnippets} for how regions are shown.
 */
final class SystemSnippets {

    private SystemSnippets() {}

    /** {@link HeapAllocator}. {@return the block the snippet allocated and wrote} */
    static MemorySegment heapAllocator() {
        // @start region="HeapAllocator"
        MemorySegment block = HeapAllocator.instance().allocate(ValueLayout.JAVA_LONG, 4);
        block.setAtIndex(ValueLayout.JAVA_LONG, 3, 42L);
        // @end
        return block;
    }

    /** {@link MallocAllocator}. {@return the block the snippet freed} */
    static MemorySegment mallocAllocator() {
        // @start region="MallocAllocator"
        Allocator malloc = MallocAllocator.instance();
        MemorySegment block = malloc.allocate(256, 64);   // 256 bytes, 64-byte aligned
        block = malloc.reallocate(block, 1024, 64);        // first 256 bytes kept; the old block is dead
        malloc.free(block);                                // block.get(...) now throws IllegalStateException
        // @end
        return block;
    }

    /** {@link UnscopedMallocAllocator}; needs native access. */
    static void unscopedMallocAllocator() {
        // @start region="UnscopedMallocAllocator"
        Allocator malloc = UnscopedMallocAllocator.instance();   // needs --enable-native-access
        MemorySegment block = malloc.allocate(256, 64);           // 256 bytes, 64-byte aligned
        block = malloc.reallocate(block, 1024, 64);                // first 256 bytes kept
        malloc.free(block);                                        // block must not be used again
        // @end
    }
}
