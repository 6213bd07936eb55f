package dev.bufalloc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A nested scope on a {@link BufferAllocator}: temporary work inside temporary work. Closing the
 * frame frees everything allocated since it was {@linkplain BufferAllocator#push() pushed} (buffer
 * space and fallback blocks) and nothing older, like LWJGL's {@code MemoryStack.push()}/{@code pop()}.
 *
 * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="Frame"}
 *
 * <p>A frame is an {@link Allocator} that allocates from its buffer allocator; it may be handed to
 * any API that takes a {@code SegmentAllocator}. Allocating through the buffer allocator itself while
 * the frame is open also allocates in the frame.
 *
 * <p>Rules:
 * <ul>
 *   <li>Frames close innermost first. Allocating, reallocating or freeing through a frame that is not the
 *       innermost open one gets {@link IllegalStateException}. Closing a frame while frames pushed after it
 *       are still open (forgotten, or left open by an exception) closes them too, gives back everything
 *       they held, and then reports the misuse with {@link IllegalStateException}.</li>
 *   <li>{@link BufferAllocator#reset()} and {@link BufferAllocator#close()} end every open frame:
 *       using or closing such a frame afterwards gets {@link IllegalStateException}.</li>
 *   <li>A block allocated before the frame never grows in place past the frame's start, and freeing
 *       it does not give its bytes back while the frame is open, so closing the frame cannot free it.
 *       But <em>reallocating</em> such a block while the frame is open moves it, and the moved block
 *       is allocated in the frame: it is freed when the frame closes. So grow a longer-lived block (a
 *       {@code DynamicArray} made outside the frame, say) before pushing the frame, or give it an
 *       allocator of its own.</li>
 *   <li>A frame is confined to its allocator's thread.</li>
 * </ul>
 */
public final class Frame implements Allocator, AutoCloseable {

    private final ConfinedBufferAllocator allocator;
    final int depth;               // 1 for the outermost frame
    final long id;                 // unique per allocator: tells this frame from a later one at its depth

    Frame(ConfinedBufferAllocator allocator, int depth, long id) {
        this.allocator = allocator;
        this.depth = depth;
        this.id = id;
    }

    /** {@return the buffer allocator this frame is on: the one that pushed it} */
    public BufferAllocator allocator() {
        return allocator;
    }

    /**
     * {@return this frame as an {@link Arena}, for APIs that want one} Its {@linkplain Arena#scope() scope}
     * ends when the frame closes, before the frame's memory is given back: a segment it allocated, used after
     * that, throws {@link IllegalStateException} instead of reading memory a later allocation may have
     * reused. Closing the arena closes the frame; if a native call still holds one of its segments, closing
     * throws {@link IllegalStateException} and the frame stays open with its memory, as a JDK arena stays
     * open (the views of frames pushed after it, if any, have ended by then). Every call returns the same
     * view. It is confined to the allocator's thread like the frame.
     *
     * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="Frame.asArena"}
     *
     * <p>Its segments are always native. They come from the buffer when its memory can only be freed by the
     * garbage collector (a buffer of {@code Arena.ofAuto()} or {@code Arena.global()}, such as
     * {@link Scratch}'s) and the request fits; otherwise from the view's own confined arena (zeroed, as
     * {@code Arena.ofConfined()}'s are), since a buffer of an arena its owner may close, or a heap buffer,
     * cannot be seen through another scope without risk. Buffer segments are not zeroed.
     *
     * @apiNote Use the view where an API needs an {@code Arena} or where use-after-free must be caught; use
     * the frame itself, a plain {@code SegmentAllocator}, on hot paths.
     * @implNote The view costs a JDK confined arena per frame and a {@code reinterpret} per allocation (see
     * docs/BENCHMARKS.md).
     * @throws IllegalStateException if the frame is closed or was ended by a reset
     * @throws WrongThreadException if called from a thread other than the allocator's owner
     */
    public Arena asArena() {
        return allocator.arenaOf(this);
    }

    /**
     * Allocates in this frame, as {@link BufferAllocator#allocate(long, long)} does.
     *
     * @throws IllegalStateException if this frame is closed, ended by a reset, or not the innermost
     *         open frame, or if the allocator is closed
     * @throws IllegalArgumentException if {@code byteSize < 0} or {@code byteAlignment} is not a power of
     *         two or is more than a heap buffer gives
     * @throws IndexOutOfBoundsException if the request does not fit and there is no fallback
     * @throws WrongThreadException if called from a thread other than the allocator's owner
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        return allocator.allocate(this, byteSize, byteAlignment);
    }

    /**
     * Reallocates a block, as {@link BufferAllocator#reallocate} does.
     *
     * @throws IllegalStateException if this frame is closed, ended by a reset, or not the innermost
     *         open frame, or if the allocator is closed
     * @throws IllegalArgumentException if {@code segment} is not a live block of the allocator, if
     *         {@code newByteSize < 0}, or if the alignment is not a power of two or more than a heap buffer gives
     * @throws IndexOutOfBoundsException if the block must move, does not fit, and there is no fallback
     * @throws WrongThreadException if called from a thread other than the allocator's owner
     */
    @Override
    public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
        allocator.checkInnermost(this);
        return allocator.reallocate(segment, newByteSize, byteAlignment);
    }

    /**
     * Frees a block, as {@link BufferAllocator#free} does.
     *
     * @throws IllegalStateException if this frame is closed, ended by a reset, or not the innermost
     *         open frame, or if the allocator is closed
     * @throws IllegalArgumentException if {@code segment} is not a live block of the allocator
     * @throws WrongThreadException if called from a thread other than the allocator's owner
     */
    @Override
    public void free(MemorySegment segment) {
        allocator.checkInnermost(this);
        allocator.free(segment);
    }

    /**
     * Frees everything allocated since this frame opened: the buffer's cursor goes back to where it
     * was, and fallback blocks allocated since are freed through the fallback.
     *
     * @throws IllegalStateException if this frame is already closed or was ended by a reset or by closing
     *         the allocator (nothing changes then), if a native call still holds a segment of its Arena view
     *         (no frame closes then; views of frames pushed after it have ended), or if frames pushed after
     *         it were still open (after closing them too)
     * @throws WrongThreadException if called from a thread other than the allocator's owner
     * @throws RuntimeException what the fallback's {@code free} threw, after the frame was closed all the same
     */
    @Override
    public void close() {
        allocator.pop(depth, id);
    }

    @Override
    public String toString() {
        return describe(depth, id);
    }

    /** {@return how {@link #toString()} names the frame {@code id} at {@code depth}} */
    static String describe(int depth, long id) {
        return "Frame[depth=" + depth + ", id=" + id + "]";
    }
}
