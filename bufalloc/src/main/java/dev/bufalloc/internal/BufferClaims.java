package dev.bufalloc.internal;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which memory is managed by a live buffer allocator, so that no buffer, or part of one, is managed by two
 * at a time. A claim ends on {@code close()}, when its allocator becomes unreachable (a {@link Cleaner}
 * ends it), or when the buffer's memory is freed (its scope is no longer alive): a claim never outlives the
 * memory it claims, so an address that the C library hands out again is never refused. A claim holds its
 * buffer, so memory of an automatic arena cannot be freed and reused while it is claimed.
 *
 * <p>Invariant: the claimed ranges of one memory (one heap array, or native memory) never overlap.
 */
public final class BufferClaims {

    private static final Cleaner CLEANER = Cleaner.create();
    /** Key for native memory; heap memory is keyed by its array. */
    private static final Object NATIVE = new Object();
    /** memory -> (start -> claim); guarded by the class lock. */
    private static final Map<Object, TreeMap<Long, Claim>> CLAIMS = new IdentityHashMap<>();

    private BufferClaims() {}

    /** A claimed range [start, end) of one memory. Holds its buffer, never its allocator. */
    private record Claim(Object memory, MemorySegment buffer, long start, long end, String owner) implements Runnable {
        @Override
        public void run() {
            release(this);
        }

        boolean isAlive() {
            return buffer.scope().isAlive();
        }

        String range() {
            return memory == NATIVE ? "native [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")"
                    : memory.getClass().getSimpleName() + " [" + start + ", " + end + ")";
        }

        @Override
        public String toString() {
            return range() + " managed by " + owner;
        }
    }

    /**
     * Claims {@code buffer} for {@code allocator} until the returned cleanable is run, the allocator is
     * unreachable, or the buffer's scope ends.
     *
     * @param allocator the allocator that will manage the buffer
     * @param buffer its buffer
     * @param owner who claims it, for messages
     * @return what ends the claim
     * @throws IllegalStateException if a live allocator manages any byte of {@code buffer}
     */
    public static Cleaner.Cleanable claim(Object allocator, MemorySegment buffer, String owner) {
        Object memory = buffer.heapBase().orElse(NATIVE);
        Claim claim = new Claim(memory, buffer, buffer.address(), buffer.address() + buffer.byteSize(), owner);
        synchronized (BufferClaims.class) {
            TreeMap<Long, Claim> ranges = CLAIMS.computeIfAbsent(memory, _ -> new TreeMap<>());
            Claim conflict;
            while ((conflict = conflict(ranges, claim)) != null && !conflict.isAlive()) {
                ranges.remove(conflict.start);   // its memory was freed: the claim ended with it
            }
            if (conflict != null) {
                throw new IllegalStateException("Buffer " + claim.range()
                        + " overlaps a buffer that a live allocator manages: " + conflict
                        + ". One buffer, one allocator at a time: close() the other allocator first.");
            }
            ranges.put(claim.start, claim);
        }
        return CLEANER.register(allocator, claim);
    }

    private static Claim conflict(TreeMap<Long, Claim> ranges, Claim claim) {
        Map.Entry<Long, Claim> before = ranges.floorEntry(claim.start);
        if (before != null && before.getValue().end > claim.start) {
            return before.getValue();
        }
        Map.Entry<Long, Claim> after = ranges.ceilingEntry(claim.start);
        return after != null && after.getValue().start < claim.end ? after.getValue() : null;
    }

    private static void release(Claim claim) {
        synchronized (BufferClaims.class) {
            TreeMap<Long, Claim> ranges = CLAIMS.get(claim.memory);
            // By identity: a dead claim may equal a live one (a new buffer at the same address, size and owner).
            if (ranges != null && ranges.get(claim.start) == claim) {
                ranges.remove(claim.start);
                if (ranges.isEmpty()) {
                    CLAIMS.remove(claim.memory);
                }
            }
        }
    }
}
