package dev.bufalloc;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

/**
 * Linearizability of a shared {@link BufferAllocator}'s allocate / free / reallocate / usedBytes
 * against a sequential model of a bump allocator over a 64-byte buffer without fallback. Lincheck
 * runs the operations on several threads (model checking explores the interleavings of the
 * allocator's shared-memory accesses; stress runs them for real) and checks that every outcome is
 * one some sequential order of the same operations gives.
 *
 * <p>Operations return plain values: the offset of a block or -1 when the buffer is full; whether a
 * free was accepted; the cursor. {@code free} and {@code reallocate} name the block by offset and
 * size: the allocator decides from those alone (a block is live while it lies below the cursor; a
 * free gives nothing back, since another thread may have allocated right after the block; a
 * reallocation always moves), so the model needs no per-thread bookkeeping.
 */
@Param(name = "units", gen = IntGen.class, conf = "1:2")       // block sizes 8 and 16
@Param(name = "alignShift", gen = IntGen.class, conf = "0:1")  // alignment 1 and 8
@Param(name = "slot", gen = IntGen.class, conf = "0:3")        // block offsets 0, 8, 16, 24
public class SharedBufferAllocatorLincheckTest {

    static final int CAPACITY = 64;

    private final MemorySegment buffer = MemorySegment.ofArray(new long[CAPACITY / 8]);
    private final BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(buffer);

    /** Lincheck makes a fresh instance, so a fresh allocator over a fresh buffer, per scenario. */
    public SharedBufferAllocatorLincheckTest() {}

    static long size(int units) {
        return 8L * units;
    }

    static long alignment(int alignShift) {
        return alignShift == 0 ? 1 : 8;
    }

    @Operation
    public long allocate(@Param(name = "units") int units, @Param(name = "alignShift") int alignShift) {
        return offsetOrFull(allocator, buffer, units, alignShift);
    }

    /** Allocates; returns the block's offset, -1 when the buffer is full, -2 when the allocator is closed. */
    static long offsetOrFull(BufferAllocator allocator, MemorySegment buffer, int units, int alignShift) {
        try {
            return allocator.allocate(size(units), alignment(alignShift)).address() - buffer.address();
        } catch (IndexOutOfBoundsException full) {
            return -1;
        } catch (IllegalStateException closed) {
            return -2;
        }
    }

    @Operation
    public boolean free(@Param(name = "slot") int slot, @Param(name = "units") int units) {
        try {
            allocator.free(buffer.asSlice(8L * slot, size(units)));
            return true;
        } catch (IllegalArgumentException notLive) {
            return false;
        }
    }

    /** Reallocates a byte-aligned block: its new offset, -1 when it must move and the buffer is full, -3 if not live. */
    @Operation
    public long reallocate(@Param(name = "slot") int slot, @Param(name = "units") int units,
                           @Param(name = "units") int newUnits) {
        try {
            return allocator.reallocate(buffer.asSlice(8L * slot, size(units)), size(newUnits), 1).address()
                    - buffer.address();
        } catch (IndexOutOfBoundsException full) {
            return -1;
        } catch (IllegalArgumentException notLive) {
            return -3;
        }
    }

    @Operation
    public long usedBytes() {
        return allocator.usedBytes();
    }

    /** The sequential specification: a cursor over 64 bytes that only a reset could move back. */
    public static final class Model {
        private long used;

        public Model() {}

        public long allocate(int units, int alignShift) {
            long a = alignment(alignShift);
            long start = (used + a - 1) / a * a;
            if (start + size(units) > CAPACITY) {
                return -1;
            }
            used = start + size(units);
            return start;
        }

        public boolean free(int slot, int units) {
            // Beyond the cursor: not live. Below it: accepted, and nothing comes back, not even for the
            // block that ends at the cursor.
            return 8L * slot + size(units) <= used;
        }

        public long reallocate(int slot, int units, int newUnits) {
            long offset = 8L * slot;
            if (offset + size(units) > used) {
                return -3;                          // not live
            }
            return allocate(newUnits, 0);           // every reallocation moves, even a shrink at the cursor
        }

        public long usedBytes() {
            return used;
        }
    }

    @Test
    void allocateFreeReallocateAndUsedBytesAreLinearizable() {
        // 3 threads x 3 operations (+ up to 5 before and after): 10 scenarios, 100 interleavings each.
        new ModelCheckingOptions()
                .sequentialSpecification(Model.class)
                .iterations(10)
                .invocationsPerIteration(100)
                .threads(3)
                .actorsPerThread(3)
                .check(SharedBufferAllocatorLincheckTest.class);
    }

    /**
     * close() racing with allocate and usedBytes: allocations either complete before the close or get
     * IllegalStateException (-2 here), and usedBytes() reads the cursor before or at the close.
     */
    @Param(name = "units", gen = IntGen.class, conf = "1:2")
    @Param(name = "alignShift", gen = IntGen.class, conf = "0:1")
    public static class WithClose {
        private final MemorySegment buffer = MemorySegment.ofArray(new long[CAPACITY / 8]);
        private final BufferAllocator allocator = BufferAllocator.sharedWithoutFallback(buffer);

        public WithClose() {
            allocator.allocate(8, 1);   // so that the cursor at the close is not 0
        }

        @Operation
        public long allocate(@Param(name = "units") int units, @Param(name = "alignShift") int alignShift) {
            return offsetOrFull(allocator, buffer, units, alignShift);
        }

        @Operation
        public long usedBytes() {
            return allocator.usedBytes();
        }

        @Operation(runOnce = true)
        public void close() {
            allocator.close();
        }
    }

    /** The sequential specification of {@link WithClose}. */
    public static final class ModelWithClose {
        private final Model open = new Model();
        private boolean closed;

        public ModelWithClose() {
            open.allocate(1, 0);
        }

        public long allocate(int units, int alignShift) {
            return closed ? -2 : open.allocate(units, alignShift);
        }

        public long usedBytes() {
            return open.usedBytes();
        }

        public void close() {
            closed = true;
        }
    }

    @Test
    void closeIsLinearizableWithAllocateAndUsedBytes() {
        new ModelCheckingOptions()
                .sequentialSpecification(ModelWithClose.class)
                .iterations(10)
                .invocationsPerIteration(100)
                .threads(2)
                .actorsPerThread(2)
                .check(WithClose.class);
    }
}
