package dev.bufalloc;

import dev.bufalloc.AllocatorKind.Instance;
import dev.bufalloc.ErrorRows.Op;

import java.lang.foreign.MemorySegment;

import static dev.bufalloc.AllocatorKind.BUFFER;
import static dev.bufalloc.AllocatorKind.BUFFER_OVER_BYTES;
import static dev.bufalloc.AllocatorKind.BUFFER_WITHOUT_FALLBACK;
import static dev.bufalloc.AllocatorKind.FRAME;
import static dev.bufalloc.AllocatorKind.FRAME_ARENA;
import static dev.bufalloc.AllocatorKind.FRAME_WITHOUT_FALLBACK;
import static dev.bufalloc.AllocatorKind.HEAP;
import static dev.bufalloc.AllocatorKind.MALLOC;
import static dev.bufalloc.AllocatorKind.SCRATCH;
import static dev.bufalloc.AllocatorKind.SHARED;
import static dev.bufalloc.AllocatorKind.SHARED_OVER_BYTES;
import static dev.bufalloc.AllocatorKind.SHARED_WITHOUT_FALLBACK;

/**
 * Rows of {@code docs/ERRORS.md}: bad calls of the allocator methods ({@code allocate},
 * {@code reallocate}, {@code free}, {@code reset()}, {@code close()}, {@code push()}), each declared
 * once and expanded to the kinds of allocator the table shows it for. A kind whose row describes the
 * same bad input in its own words (the heap allocator's "native segment" for a foreign one) says so
 * with {@code to(kind, input)}.
 */
final class AllocatorErrorRows {

    private static final String[] BAD_ALIGNMENTS = {"0", "3", "-8", "Long.MIN_VALUE"};
    private static final long[] BAD_ALIGNMENT_VALUES = {0, 3, -8, Long.MIN_VALUE};

    private AllocatorErrorRows() {}

    /** "byteAlignment 2 over a byte[] (beyond the heap limit)": the least alignment the kind refuses. */
    private static String beyondTheHeapLimit(AllocatorKind kind) {
        return "byteAlignment " + kind.maxAlignment() * 2
                + (kind.memory == AllocatorKind.Memory.BYTES ? " over a byte[]" : "") + " (beyond the heap limit)";
    }

    static void declare(ErrorRows rows) {
        allocate(rows);
        reallocate(rows);
        free(rows);
        resetClosePush(rows);
    }

    private static void allocate(ErrorRows rows) {
        rows.onSegmentAllocator(Op.ALLOCATE, "byteSize -1", a -> a.allocate(-1, 1)).to(BUFFER, SHARED, MALLOC, HEAP);
        for (int i = 0; i < BAD_ALIGNMENTS.length; i++) {
            long alignment = BAD_ALIGNMENT_VALUES[i];
            rows.onSegmentAllocator(Op.ALLOCATE, "byteAlignment " + BAD_ALIGNMENTS[i], a -> a.allocate(8, alignment))
                    .to(alignment == 3 ? new AllocatorKind[] {BUFFER, SHARED, MALLOC, HEAP, FRAME}
                            : new AllocatorKind[] {BUFFER, SHARED, MALLOC, HEAP});
        }
        for (AllocatorKind kind : new AllocatorKind[] {BUFFER_OVER_BYTES, SHARED_OVER_BYTES, HEAP}) {
            rows.onSegmentAllocator(Op.ALLOCATE, beyondTheHeapLimit(kind), a -> a.allocate(8, kind.maxAlignment() * 2))
                    .to(kind);
        }
        rows.onSegmentAllocator(Op.ALLOCATE, "byteSize Long.MAX_VALUE (malloc fallback)", a -> a.allocate(Long.MAX_VALUE, 1))
                .to(BUFFER, SHARED).to(MALLOC, "byteSize Long.MAX_VALUE")
                .to(HEAP, "byteSize Long.MAX_VALUE (more than a long[] holds)");
        rows.onSegmentAllocator(Op.ALLOCATE, "byteSize Long.MAX_VALUE, byteAlignment 2^62 (overflowing size + alignment)",
                a -> a.allocate(Long.MAX_VALUE, 1L << 62)).to(BUFFER, SHARED, MALLOC);
        rows.onSegmentAllocator(Op.ALLOCATE, "byteAlignment 2^62", a -> a.allocate(8, 1L << 62)).to(MALLOC);
        rows.onSegmentAllocator(Op.ALLOCATE, "65 bytes from a 64-byte buffer without fallback", a -> a.allocate(65, 1))
                .to(BUFFER_WITHOUT_FALLBACK, FRAME_WITHOUT_FALLBACK, SHARED_WITHOUT_FALLBACK);
        rows.on(Op.ALLOCATE, "on another thread", (f, kind) -> {
            var allocator = f.segmentAllocator(kind);
            return () -> f.onOtherThread(() -> allocator.allocate(8, 1));
        }).to(BUFFER, SCRATCH, FRAME_ARENA);
        rows.on(Op.ALLOCATE, "after close()", (f, kind) -> {
            var closed = f.closed(kind).segmentAllocator();
            return () -> closed.allocate(8, 1);
        }).to(BUFFER, SHARED, FRAME_ARENA);
    }

    private static void reallocate(ErrorRows rows) {
        rows.onAllocator(Op.REALLOCATE, "null segment", a -> a.reallocate(null, 8, 1)).to(BUFFER, SHARED, MALLOC, HEAP, FRAME);
        rows.onBlock(Op.REALLOCATE, "newByteSize -1", (a, block) -> a.reallocate(block, -1, 1)).to(BUFFER, SHARED, MALLOC, HEAP);
        rows.onBlock(Op.REALLOCATE, "byteAlignment 3", (a, block) -> a.reallocate(block, 8, 3)).to(BUFFER, SHARED, MALLOC);
        for (AllocatorKind kind : new AllocatorKind[] {BUFFER_OVER_BYTES, HEAP}) {
            rows.onBlock(Op.REALLOCATE, beyondTheHeapLimit(kind), (a, block) -> a.reallocate(block, 16, kind.maxAlignment() * 2))
                    .to(kind);
        }
        rows.on(Op.REALLOCATE, "foreign segment (another arena's)", (f, kind) -> {
            Allocator allocator = f.allocator(kind);
            return () -> allocator.reallocate(f.arena.allocate(8), 16, 1);
        }).to(BUFFER, SHARED, MALLOC).to(HEAP, "native segment");
        rows.onAllocator(Op.REALLOCATE, "heap segment", a -> a.reallocate(MemorySegment.ofArray(new long[1]), 16, 1))
                .to(MALLOC);
        rows.onAllocator(Op.REALLOCATE, "heap segment over a byte[]", a -> a.reallocate(MemorySegment.ofArray(new byte[8]), 16, 1))
                .to(HEAP);
        rows.onBlock(Op.REALLOCATE, "read-only block", (a, block) -> a.reallocate(block.asReadOnly(), 16, 1)).to(HEAP);
        // A shared allocator never gives a freed buffer block's bytes back: it is no stale block there.
        rows.on(Op.REALLOCATE, "stale block (the last block, freed)", (f, kind) -> {
            MemorySegment block = f.block(kind);
            f.instance(kind).free(block);
            return () -> f.allocator(kind).reallocate(block, 16, 1);
        }).to(BUFFER).to(MALLOC, "freed block");
        rows.on(Op.REALLOCATE, "stale block (from before reset())", (f, kind) -> {
            MemorySegment block = f.block(kind);
            f.instance(kind).buffer().reset();
            return () -> f.allocator(kind).reallocate(block, 16, 1);
        }).to(BUFFER, SHARED);
        rows.on(Op.REALLOCATE, "freed fallback block", (f, kind) -> {
            MemorySegment block = f.instance(kind).allocate(100, 1);
            f.instance(kind).free(block);
            return () -> f.allocator(kind).reallocate(block, 16, 1);
        }).to(BUFFER, SHARED);
        rows.on(Op.REALLOCATE, "growing past the buffer without fallback", (f, kind) -> {
            f.instance(kind).allocate(8, 1);
            MemorySegment block = f.instance(kind).allocate(8, 1);
            return () -> f.allocator(kind).reallocate(block, 64, 1);
        }).to(BUFFER_WITHOUT_FALLBACK, SHARED_WITHOUT_FALLBACK);
        rows.onBlock(Op.REALLOCATE, "newByteSize Long.MAX_VALUE (malloc fallback)", (a, block) -> a.reallocate(block, Long.MAX_VALUE, 1))
                .to(BUFFER).to(MALLOC, "newByteSize Long.MAX_VALUE");
        rows.on(Op.REALLOCATE, "on another thread", (f, kind) -> {
            MemorySegment block = f.block(kind);
            return () -> f.onOtherThread(() -> f.allocator(kind).reallocate(block, 16, 1));
        }).to(BUFFER, MALLOC);
        rows.on(Op.REALLOCATE, "after close()", (f, kind) -> {
            Allocator closed = f.closed(kind).allocator();
            return () -> closed.reallocate(f.arena.allocate(8), 16, 1);
        }).to(BUFFER, SHARED);
    }

    private static void free(ErrorRows rows) {
        rows.onAllocator(Op.FREE, "null", a -> a.free(null)).to(BUFFER, SHARED, MALLOC, HEAP);
        rows.on(Op.FREE, "foreign segment (another arena's)", (f, kind) -> {
            Allocator allocator = f.allocator(kind);
            return () -> allocator.free(f.arena.allocate(8));
        }).to(BUFFER, SHARED, MALLOC, FRAME).to(HEAP, "native segment");
        rows.onAllocator(Op.FREE, "foreign segment (a heap array's)", a -> a.free(MemorySegment.ofArray(new byte[8])))
                .to(BUFFER, SHARED).to(MALLOC, "heap segment").to(HEAP, "heap segment over a byte[]");
        rows.on(Op.FREE, "stale block (the last block, freed twice)", (f, kind) -> {
            MemorySegment block = f.block(kind);
            f.instance(kind).free(block);
            return () -> f.allocator(kind).free(block);
        }).to(BUFFER).to(MALLOC, "double free");
        rows.on(Op.FREE, "double free of a fallback block", (f, kind) -> {
            MemorySegment block = f.instance(kind).allocate(100, 1);
            f.instance(kind).free(block);
            return () -> f.allocator(kind).free(block);
        }).to(BUFFER, SHARED);
        rows.on(Op.FREE, "fallback block released by reset()", (f, kind) -> {
            MemorySegment block = f.instance(kind).allocate(100, 1);
            f.instance(kind).buffer().reset();
            return () -> f.allocator(kind).free(block);
        }).to(BUFFER, SHARED);
        rows.on(Op.FREE, "slice of a fallback block", (f, kind) -> {
            MemorySegment block = f.instance(kind).allocate(100, 1);
            return () -> f.allocator(kind).free(block.asSlice(0, 50));
        }).to(BUFFER, SHARED);
        rows.on(Op.FREE, "interior slice of a live block", (f, kind) -> {
            MemorySegment block = f.instance(kind).allocate(16, 16);
            return () -> f.allocator(kind).free(block.asSlice(8));
        }).to(MALLOC);
        rows.on(Op.FREE, "first half of a live block", (f, kind) -> {
            MemorySegment block = f.instance(kind).allocate(16, 16);
            return () -> f.allocator(kind).free(block.asSlice(0, 8));
        }).to(MALLOC);
        rows.on(Op.FREE, "on another thread", (f, kind) -> {
            MemorySegment block = f.block(kind);
            return () -> f.onOtherThread(() -> f.allocator(kind).free(block));
        }).to(BUFFER, MALLOC);
        rows.on(Op.FREE, "after close()", (f, kind) -> {
            Allocator closed = f.closed(kind).allocator();
            return () -> closed.free(f.arena.allocate(8));
        }).to(BUFFER, SHARED);
    }

    private static void resetClosePush(ErrorRows rows) {
        rows.on(Op.RESET, "on another thread", (f, kind) -> {
            Instance it = f.instance(kind);
            return () -> f.onOtherThread(it.buffer()::reset);
        }).to(BUFFER);
        rows.on(Op.RESET, "after close()", (f, kind) -> f.closed(kind).buffer()::reset).to(BUFFER, SHARED);
        rows.on(Op.CLOSE, "on another thread", (f, kind) -> {
            Instance it = f.instance(kind);
            return () -> f.onOtherThread(it::closeItself);
        }).to(BUFFER, SCRATCH);
        rows.on(Op.CLOSE, "closed twice", (f, kind) -> f.closed(kind)::closeItself).to(BUFFER, SHARED, FRAME_ARENA);
        rows.on(Op.PUSH, "on another thread", (f, kind) -> {
            Instance it = f.instance(kind);
            return () -> f.onOtherThread(it.buffer()::push);
        }).to(BUFFER);
        rows.on(Op.PUSH, "after close()", (f, kind) -> f.closed(kind).buffer()::push).to(BUFFER);
    }
}
