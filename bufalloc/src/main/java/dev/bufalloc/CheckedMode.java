package dev.bufalloc;

import dev.bufalloc.internal.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a checked buffer allocator does beyond the plain one: every generation of the buffer (from
 * one reset to the next) gets its own scope, so a segment from an earlier generation throws on
 * access; memory given back is poisoned; fallbacks remember their call sites.
 *
 * <p>The plain allocator's bump path is untouched: it slices {@code BufferAllocator.buffer}, which in
 * checked mode is the caller's buffer seen through the current generation's scope.
 */
final class CheckedMode {

    /** The byte written over memory that was given back, so stale reads show as 0xDB bytes. */
    static final byte POISON = (byte) 0xDB;

    /** Stack frames that are the allocator's own, not a caller's. */
    private static final Set<String> INTERNAL_CLASSES = Set.of(
            BufferAllocator.class.getName(), Frame.class.getName(), FrameArena.class.getName(),
            CheckedMode.class.getName(), "dev.bufalloc.array.DynamicArray");

    private final MemorySegment memory;
    private final boolean confined;
    private Arena generation;
    private final Map<String, long[]> overflows = new LinkedHashMap<>();   // site -> {count, bytes}

    CheckedMode(MemorySegment memory) {
        this.memory = memory;
        // A buffer only its owner may touch gets generations only its owner may touch (and cheap to close).
        this.confined = memory.isNative() && !memory.isAccessibleBy(Thread.ofVirtual().unstarted(() -> {}));
    }

    /** Ends the current generation, if any, and returns the buffer seen through a new one. */
    MemorySegment newGeneration() {
        endGeneration();
        if (!memory.isNative()) {
            return memory;   // the JDK cannot end a heap segment's scope: poisoning only
        }
        generation = confined ? Arena.ofConfined() : Arena.ofShared();
        return LibC.withScope(memory, generation, memory);
    }

    /** Returns a fallback block seen through the current generation's scope. */
    MemorySegment scoped(MemorySegment block) {
        return generation != null && block.isNative() ? LibC.withScope(block, generation, block) : block;
    }

    void endGeneration() {
        if (generation != null) {
            generation.close();
            generation = null;
        }
    }

    /** Writes {@link #POISON} over the buffer's bytes {@code [from, to)}. */
    void poison(long from, long to) {
        if (to > from) {
            memory.asSlice(from, to - from).fill(POISON);
        }
    }

    void recordOverflow(long bytes) {
        String site = StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !INTERNAL_CLASSES.contains(f.getClassName())
                        && !f.getClassName().startsWith("java.lang.foreign.")
                        && !f.getClassName().startsWith("jdk.internal.foreign."))
                .findFirst()
                .map(f -> f.toStackTraceElement().toString())
                .orElse("unknown"));
        long[] totals = overflows.computeIfAbsent(site, _ -> new long[2]);
        totals[0]++;
        totals[1] += bytes;
    }

    List<OverflowSite> overflowSites() {
        List<OverflowSite> sites = new ArrayList<>();
        overflows.forEach((site, totals) -> sites.add(new OverflowSite(site, totals[0], totals[1])));
        sites.sort(Comparator.comparingLong(OverflowSite::bytes).reversed());
        return List.copyOf(sites);
    }
}
