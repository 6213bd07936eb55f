package dev.bufalloc.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What bufalloc may do with the lifetime of memory it did not allocate. Giving a segment a new scope
 * ({@code reinterpret}) is only safe when nothing but the garbage collector can free the memory under it:
 * the global scope (memory nobody frees through a scope) and automatic arenas (kept reachable by the new
 * segment). Memory of an arena its owner can {@code close()} is never re-scoped: its own scope is the only
 * one that knows when it is freed.
 */
public final class Scopes {

    private static final MemorySegment.Scope GLOBAL = Arena.global().scope();
    private static final Class<?> AUTOMATIC = Arena.ofAuto().scope().getClass();

    private Scopes() {}

    /**
     * {@return whether {@code segment}'s memory can be seen through another scope without risk: native
     * memory that no one can free while a segment keeps its owner reachable}
     *
     * @param segment any segment
     */
    public static boolean canRescope(MemorySegment segment) {
        return segment.isNative() && (isGlobal(segment) || segment.scope().getClass() == AUTOMATIC);
    }

    /**
     * {@return whether {@code segment} is native memory in the global scope: memory no JDK scope tracks,
     * such as a raw {@code malloc} block, which bufalloc must scope itself before handing it out}
     *
     * @param segment any segment
     */
    public static boolean isGlobal(MemorySegment segment) {
        return segment.isNative() && segment.scope().equals(GLOBAL);
    }
}
