package dev.bufalloc;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which memory is managed by a live buffer allocator, so that no buffer, or part of one, is
 * managed by two at a time. A claim ends on {@code close()}, or when its allocator becomes
 * unreachable (a {@link Cleaner} ends it), so a dropped allocator does not hold its buffer forever.
 *
 * <p>Invariant: the claimed ranges of one memory (one heap array, or native memory) never overlap.
 */
final class BufferClaims {

    private static final Cleaner CLEANER = Cleaner.create();
    /** Key for native memory; heap memory is keyed by its array. */
    private static final Object NATIVE = new Object();
    /** memory -> (start -> claim); guarded by the class lock. */
    private static final Map<Object, TreeMap<Long, Claim>> CLAIMS = new IdentityHashMap<>();

    private BufferClaims() {}

    /** A claimed range [start, end) of one memory. Holds no reference to its allocator. */
    record Claim(Object memory, long start, long end, String owner) implements Runnable {
        @Override
        public void run() {
            release(this);
        }

        @Override
        public String toString() {
            return (memory == NATIVE ? "native [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                    : memory.getClass().getSimpleName() + " [" + start + ", " + end) + ") managed by " + owner;
        }
    }

    /**
     * Claims {@code buffer} for {@code allocator} until the returned cleanable is run or the
     * allocator is unreachable.
     *
     * @throws IllegalStateException if a live allocator manages any byte of {@code buffer}
     */
    static Cleaner.Cleanable claim(Object allocator, MemorySegment buffer, String owner) {
        Object memory = buffer.heapBase().orElse(NATIVE);
        Claim claim = new Claim(memory, buffer.address(), buffer.address() + buffer.byteSize(), owner);
        synchronized (BufferClaims.class) {
            TreeMap<Long, Claim> ranges = CLAIMS.computeIfAbsent(memory, _ -> new TreeMap<>());
            Map.Entry<Long, Claim> before = ranges.floorEntry(claim.start);
            Map.Entry<Long, Claim> after = ranges.ceilingEntry(claim.start);
            Claim conflict = before != null && before.getValue().end > claim.start ? before.getValue()
                    : after != null && after.getValue().start < claim.end ? after.getValue()
                    : null;
            if (conflict != null) {
                if (ranges.isEmpty()) {
                    CLAIMS.remove(memory);
                }
                throw new IllegalStateException("Buffer " + rangeOf(claim)
                        + " overlaps a buffer that a live allocator manages: " + conflict
                        + ". One buffer, one allocator at a time: close() the other allocator first.");
            }
            ranges.put(claim.start, claim);
        }
        return CLEANER.register(allocator, claim);
    }

    private static String rangeOf(Claim claim) {
        String text = claim.toString();
        return text.substring(0, text.indexOf(" managed by"));
    }

    private static void release(Claim claim) {
        synchronized (BufferClaims.class) {
            TreeMap<Long, Claim> ranges = CLAIMS.get(claim.memory);
            if (ranges != null && ranges.remove(claim.start, claim) && ranges.isEmpty()) {
                CLAIMS.remove(claim.memory);
            }
        }
    }
}
