package dev.bufalloc;

import dev.bufalloc.internal.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checked buffer allocator: the confined one, plus a scope per buffer block that ends when the block
 * is given back, poisoning of bytes given back, and the call sites of fallbacks. Chosen once, at creation
 * ({@link BufferAllocator#ofChecked}); the plain allocator carries none of it.
 *
 * <p>Buffer blocks get scopes of their own only over a buffer that {@link dev.bufalloc.internal.Scopes#canRescope
 * can be re-scoped}: the scope of a buffer its owner may free is the only one that knows when it is freed.
 *
 * <p>Invariant: {@code offsets[0, count)} are the starts of the scoped live buffer blocks, in increasing
 * order (blocks are bumped upwards and given back from the top), {@code sizes} their sizes and
 * {@code scopes} their open arenas.
 */
final class CheckedBufferAllocator extends ConfinedBufferAllocator {

    /** The byte written over memory that was given back, so stale reads show as 0xDB bytes. */
    static final byte POISON = (byte) 0xDB;

    /** Stack frames that are bufalloc's own or the FFM API's, not a caller's. */
    private static final Set<String> INTERNAL_CLASSES = Set.of(ConfinedCursor.class.getName(), ConfinedBufferAllocator.class.getName(),
            CheckedBufferAllocator.class.getName(), Frame.class.getName(), FrameArena.class.getName());

    private long[] offsets = new long[16];
    private long[] sizes = new long[16];
    private Arena[] scopes = new Arena[16];
    private int count;
    private final Map<String, long[]> overflows = new LinkedHashMap<>();   // site -> {count, bytes}; guarded by itself

    CheckedBufferAllocator(MemorySegment buffer, Allocator fallback) {
        super(buffer, fallback);
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        return scoped(super.allocate(byteSize, byteAlignment));
    }

    @Override
    MemorySegment allocate(Frame frame, long byteSize, long byteAlignment) {
        return scoped(super.allocate(frame, byteSize, byteAlignment));
    }

    /** {@return a new buffer block in a scope of its own, if the buffer can be re-scoped; else {@code block}} */
    private MemorySegment scoped(MemorySegment block) {
        if (!region.rescopable || region.offsetOf(block) < 0) {
            return block;   // a fallback block is scoped by the ledger already
        }
        if (count == offsets.length) {
            offsets = Arrays.copyOf(offsets, count * 2);
            sizes = Arrays.copyOf(sizes, count * 2);
            scopes = Arrays.copyOf(scopes, count * 2);
        }
        Arena scope = Arena.ofConfined();
        offsets[count] = region.offsetOf(block);
        sizes[count] = block.byteSize();
        scopes[count++] = scope;
        return LibC.withScope(block, scope, region.segment);
    }

    @Override
    MemorySegment onResized(MemorySegment old, MemorySegment resized) {
        int i = indexOf(old);
        if (i < 0) {
            return resized;
        }
        sizes[i] = resized.byteSize();
        return LibC.withScope(resized, scopes[i], region.segment);
    }

    @Override
    void onFree(MemorySegment block) {
        int i = indexOf(block);
        if (i >= 0) {
            scopes[i].close();   // its bytes stay where they are until a rewind reaches them
            System.arraycopy(offsets, i + 1, offsets, i, count - i - 1);
            System.arraycopy(sizes, i + 1, sizes, i, count - i - 1);
            System.arraycopy(scopes, i + 1, scopes, i, count - i - 1);
            scopes[--count] = null;
        }
    }

    @Override
    void onRewind(long to, long from) {
        // An empty block at the new cursor may be older than what is given back: it touches no byte, so it stays.
        while (count > 0 && (offsets[count - 1] > to || (offsets[count - 1] == to && sizes[count - 1] > 0))) {
            scopes[--count].close();
            scopes[count] = null;
        }
        assert count == 0 || offsets[count - 1] < to || sizes[count - 1] == 0 : "no scoped block above the cursor";
        if (region.segment.scope().isAlive()) {   // the caller may have freed the buffer first
            region.segment.asSlice(to, from - to).fill(POISON);
        }
    }

    @Override
    void onClose() {
        onRewind(0, usedBytes());
    }

    @Override
    void onFallback(long byteSize) {
        String site = StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !INTERNAL_CLASSES.contains(f.getClassName())
                        && !f.getClassName().startsWith("dev.bufalloc.array.")
                        && !f.getClassName().startsWith("java.lang.foreign.")
                        && !f.getClassName().startsWith("jdk.internal.foreign."))
                .findFirst()
                .map(f -> f.toStackTraceElement().toString())
                .orElse("unknown"));
        synchronized (overflows) {
            long[] totals = overflows.computeIfAbsent(site, _ -> new long[2]);
            totals[0]++;
            totals[1] += byteSize;
        }
    }

    @Override
    public List<OverflowSite> overflowSites() {
        List<OverflowSite> sites = new ArrayList<>();
        synchronized (overflows) {
            overflows.forEach((site, totals) -> sites.add(new OverflowSite(site, totals[0], totals[1])));
        }
        sites.sort(Comparator.comparingLong(OverflowSite::bytes).reversed());
        return List.copyOf(sites);
    }

    @Override
    public boolean isChecked() {
        return true;
    }

    /** {@return the index of the live scoped block {@code block} is (same start, size and scope), or -1} */
    private int indexOf(MemorySegment block) {
        long offset = region.offsetOf(block);
        int i = Arrays.binarySearch(offsets, 0, count, offset);
        if (i < 0) {
            return -1;
        }
        while (i > 0 && offsets[i - 1] == offset) {   // empty blocks may share a start
            i--;
        }
        for (; i < count && offsets[i] == offset; i++) {
            if (sizes[i] == block.byteSize() && scopes[i].scope().equals(block.scope())) {   // not a slice of it
                return i;
            }
        }
        return -1;
    }
}
