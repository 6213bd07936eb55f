package dev.bufalloc;

import dev.bufalloc.internal.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@link Arena} view of a {@link Frame}: its segments live in a scope of their own that ends
 * when the frame closes, so a segment used after its frame closed throws instead of reading memory
 * that a later allocation may have reused.
 *
 * <p>Invariant: {@code scope} is alive exactly while the frame is open.
 */
final class FrameArena implements Arena {

    private final Frame frame;
    private final Arena scope = Arena.ofConfined();

    FrameArena(Frame frame) {
        this.frame = frame;
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        MemorySegment block = frame.allocate(byteSize, byteAlignment);
        return block.isNative() ? LibC.withScope(block, scope, null) : block;
    }

    @Override
    public MemorySegment.Scope scope() {
        return scope.scope();
    }

    /** Closes the frame, which ends the scope. */
    @Override
    public void close() {
        frame.close();
    }

    /** Called by the frame as it closes. */
    void endScope() {
        scope.close();
    }

    @Override
    public String toString() {
        return "FrameArena[" + frame + "]";
    }
}
