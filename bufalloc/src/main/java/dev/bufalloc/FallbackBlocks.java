package dev.bufalloc;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;

/**
 * The live blocks a buffer allocator took from its fallback, oldest first, so that each is freed
 * through the fallback exactly once: on {@code free}, on {@code reset()} or on {@code close()}.
 *
 * <p>Lookups scan from the newest block, so freeing in reverse order of allocation is O(1).
 */
final class FallbackBlocks {

    private final ArrayList<MemorySegment> blocks = new ArrayList<>();
    private long liveBytes;

    int size() {
        return blocks.size();
    }

    long liveBytes() {
        return liveBytes;
    }

    void add(MemorySegment block) {
        blocks.add(block);
        liveBytes += block.byteSize();
    }

    /** Returns the index of {@code block} (the exact segment handed out), or -1. */
    int indexOf(MemorySegment block) {
        for (int i = blocks.size() - 1; i >= 0; i--) {
            if (blocks.get(i).equals(block)) {
                return i;
            }
        }
        return -1;
    }

    void replace(int index, MemorySegment block) {
        liveBytes += block.byteSize() - blocks.set(index, block).byteSize();
    }

    void remove(int index) {
        liveBytes -= blocks.remove(index).byteSize();
    }

    /**
     * Frees every block from {@code index} on through {@code fallback}, newest first. Every block is
     * attempted; the first exception is rethrown after all the others were tried.
     */
    void freeFrom(int index, Allocator fallback) {
        RuntimeException failure = null;
        for (int i = blocks.size() - 1; i >= index; i--) {
            try {
                fallback.free(blocks.get(i));
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
            remove(i);
        }
        if (failure != null) {
            throw failure;
        }
    }
}
