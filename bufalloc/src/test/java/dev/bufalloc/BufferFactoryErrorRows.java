package dev.bufalloc;

import dev.bufalloc.AllocatorKind.Factory;
import dev.bufalloc.AllocatorKind.Instance;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;

import static dev.bufalloc.AllocatorKind.BUFFER;
import static dev.bufalloc.AllocatorKind.BUFFER_OVER_BYTES;
import static dev.bufalloc.AllocatorKind.CHECKED;
import static dev.bufalloc.AllocatorKind.CHECKED_OVER_AUTO;
import static dev.bufalloc.AllocatorKind.Factory.OF;
import static dev.bufalloc.AllocatorKind.Factory.OF_BYTES;
import static dev.bufalloc.AllocatorKind.Factory.OF_CHECKED;
import static dev.bufalloc.AllocatorKind.Factory.OF_CHECKED_WITH_FALLBACK;
import static dev.bufalloc.AllocatorKind.Factory.SHARED_OF;
import static dev.bufalloc.AllocatorKind.Factory.SHARED_OF_WITH_FALLBACK;
import static dev.bufalloc.AllocatorKind.Factory.SHARED_WITHOUT_FALLBACK;
import static dev.bufalloc.AllocatorKind.SHARED;

/**
 * Rows of {@code docs/ERRORS.md}: making a buffer allocator (plain, checked or shared) over a buffer it
 * cannot take, each wrong buffer declared once for the factories that refuse it; and using a checked
 * allocator's segment after its generation ended.
 */
final class BufferFactoryErrorRows {

    private BufferFactoryErrorRows() {}

    static void declare(ErrorRows rows) {
        // A null argument: the fallback of a factory that takes one, else the buffer.
        var nullArgument = rows.making("null", (f, factory) -> {
            if (factory.takesFallback()) {
                MemorySegment buffer = f.arena.allocate(8);
                return () -> factory.make(buffer, null);
            }
            return () -> factory.make(null, f.malloc);
        });
        for (Factory factory : Factory.values()) {
            nullArgument.to(factory, factory.takesFallback() ? "null fallback" : "null");
        }
        rows.making("empty segment", (f, factory) -> () -> factory.make(MemorySegment.ofArray(new byte[0]), f.malloc))
                .to(OF, OF_CHECKED, SHARED_OF, SHARED_WITHOUT_FALLBACK)
                .to(OF_BYTES, "empty array");
        rows.making("read-only segment", (f, factory) -> {
            MemorySegment readOnly = f.arena.allocate(64).asReadOnly();
            return () -> factory.make(readOnly, f.malloc);
        }).to(OF, OF_CHECKED, SHARED_OF);
        rows.making("segment of a closed arena", (f, factory) -> {
            MemorySegment closed = f.closedSegment();
            return () -> factory.make(closed, f.malloc);
        }).to(OF, OF_CHECKED, SHARED_OF);
        rows.making("segment confined to another thread", (f, factory) -> {
            MemorySegment buffer = f.arena.allocate(64);
            return () -> f.onOtherThread(() -> factory.make(buffer, f.malloc));
        }).to(OF, OF_CHECKED, SHARED_OF);
        rows.making("buffer a live allocator manages", (f, factory) -> {
            MemorySegment managed = f.instance(BUFFER).memory();
            return () -> factory.make(managed, f.malloc);
        }).to(OF, OF_CHECKED, SHARED_OF);
        rows.making("part of a buffer a live allocator manages", (f, factory) -> {
            MemorySegment part = f.instance(BUFFER).memory().asSlice(32, 8);
            return () -> factory.make(part, f.malloc);
        }).to(OF, OF_CHECKED_WITH_FALLBACK, SHARED_OF_WITH_FALLBACK);
        rows.making("array a live allocator manages", (f, factory) -> {
            MemorySegment managed = f.instance(BUFFER_OVER_BYTES).memory();
            return () -> factory.make(managed, f.malloc);
        }).to(OF_BYTES, SHARED_WITHOUT_FALLBACK);
        rows.section("SB", ErrorRows.MAKE).row(OF.signature, "buffer a live BufferAllocator manages", f -> {
            MemorySegment managed = f.instance(SHARED).memory();
            return () -> OF.make(managed, f.malloc);
        });

        // Over a buffer only the garbage collector frees, every block has a scope of its own.
        String block = "MemorySegment.get (a checked allocator's block)";
        rows.section("CK", ErrorRows.USE)
                .row(block, "after reset()", f -> staleRead(f.instance(CHECKED_OVER_AUTO), 8, BufferAllocator::reset))
                .row("MemorySegment.get (a checked allocator's fallback block)", "after reset()",
                        f -> staleRead(f.instance(CHECKED_OVER_AUTO), 100, BufferAllocator::reset))
                .row(block, "after close()", f -> staleRead(f.instance(CHECKED_OVER_AUTO), 8, BufferAllocator::close))
                .row(block, "after reset(), heap buffer",
                        f -> staleRead(f.track(CHECKED.over(MemorySegment.ofArray(new byte[64]))), 8, BufferAllocator::reset),
                        "**accepted**: the JDK cannot end a heap segment's scope; the stale read sees the 0xDB poison");
    }

    /** Reading a block of {@code size} bytes of {@code checked} after {@code end} ended its generation. */
    private static ErrorRows.BadCall staleRead(Instance checked, long size, Consumer<BufferAllocator> end) {
        MemorySegment stale = checked.allocate(size, 1);
        end.accept(checked.buffer());
        return () -> stale.get(ValueLayout.JAVA_BYTE, 0);
    }
}
