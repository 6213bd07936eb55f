package dev.bufalloc;

import dev.bufalloc.internal.BufferRegion;
import dev.bufalloc.internal.FrameStack;
import dev.bufalloc.internal.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@link Arena} view of a {@link Frame}: its segments live in a scope of their own that ends when the
 * frame closes, before the frame's memory is given back, so a segment used after its frame closed throws
 * instead of reading memory that a later allocation may have reused.
 *
 * <p>A request is served from the buffer, seen through the view's scope, when the buffer's memory can be
 * re-scoped without risk ({@link dev.bufalloc.internal.Scopes#canRescope}) and the request fits; otherwise
 * from the view's own confined arena, so every segment is native and in the view's scope, as an
 * {@code Arena}'s must be. Fallback blocks are never re-scoped: the allocator may free them by address.
 *
 * <p>Invariant: {@code scope} is alive exactly while the frame is open.
 */
final class FrameArena implements Arena, FrameStack.View {

    private final Frame frame;
    private final ConfinedBufferAllocator allocator;
    private final BufferRegion region;
    private final Arena scope = Arena.ofConfined();

    FrameArena(Frame frame, ConfinedBufferAllocator allocator, BufferRegion region) {
        this.frame = frame;
        this.allocator = allocator;
        this.region = region;
        if (region.rescopable) {
            LibC.keepAlive(scope, region.segment);   // an automatic buffer lives as long as any segment of the view
        }
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        allocator.checkInnermost(frame);
        if (region.rescopable) {
            MemorySegment block = allocator.allocateInBuffer(byteSize, byteAlignment);
            if (block != null) {
                return LibC.withScope(block, scope, null);   // the scope keeps the buffer reachable
            }
        }
        return scope.allocate(byteSize, byteAlignment);
    }

    @Override
    public MemorySegment.Scope scope() {
        return scope.scope();
    }

    /**
     * Closes the frame: the view's scope ends first; if it cannot (a native call holds one of its segments),
     * this throws {@link IllegalStateException} and the frame stays open (inner views may have ended).
     */
    @Override
    public void close() {
        frame.close();
    }

    @Override
    public void endScope() {
        scope.close();
    }

    @Override
    public boolean isAlive() {
        return scope.scope().isAlive();
    }

    @Override
    public String toString() {
        return "FrameArena[" + frame + "]";
    }
}
