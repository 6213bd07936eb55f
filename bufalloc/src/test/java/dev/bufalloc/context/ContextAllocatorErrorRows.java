package dev.bufalloc.context;

import dev.bufalloc.ErrorRows;

/** Rows of {@code docs/ERRORS.md}: binding or setting the context allocator with a null argument. */
public final class ContextAllocatorErrorRows {

    private ContextAllocatorErrorRows() {}

    public static void declare(ErrorRows rows) {
        rows.section("CA", ErrorRows.MAKE)
                .row("ContextAllocator.runWith", "null allocator", _ -> () -> ContextAllocator.runWith(null, () -> {}))
                .row("ContextAllocator.runWith", "null action", f -> () -> ContextAllocator.runWith(f.malloc, null))
                .row("ContextAllocator.callWith", "null allocator", _ -> () -> ContextAllocator.callWith(null, () -> 1))
                .row("ContextAllocator.callWith", "null operation", f -> () -> ContextAllocator.callWith(f.malloc, null))
                .row("ContextAllocator.setDefault", "null", _ -> () -> ContextAllocator.setDefault(null));
    }
}
