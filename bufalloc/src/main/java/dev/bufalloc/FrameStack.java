package dev.bufalloc;

import java.util.Arrays;

/**
 * The open frames of a buffer allocator, innermost last, kept in arrays so that pushing and closing a
 * frame allocates nothing: the {@link Frame} handle holds only its depth and id, and the JIT can
 * remove it where it does not escape. An id is never reused, so a handle whose frame was closed or
 * ended is recognized even when a new frame opens at the same depth.
 *
 * <p>Invariant: {@code 0 <= depth}; for d < depth, frame d+1 opened at cursor {@code marks[d]}, at or
 * above the mark of frame d, and its fallback blocks are those from sequence {@code fallbackMarks[d]} on.
 */
final class FrameStack {

    private long[] marks = new long[4];
    private long[] fallbackMarks = new long[4];
    private long[] ids = new long[4];
    private FrameArena[] arenas = new FrameArena[4];
    private int depth;
    private long lastId;

    /** Opens a frame at {@code cursor}; returns its id. Its depth is then {@link #depth()}. */
    long push(long cursor, long fallbackMark) {
        if (depth == ids.length) {
            int length = depth * 2;
            marks = Arrays.copyOf(marks, length);
            fallbackMarks = Arrays.copyOf(fallbackMarks, length);
            ids = Arrays.copyOf(ids, length);
            arenas = Arrays.copyOf(arenas, length);
        }
        marks[depth] = cursor;
        fallbackMarks[depth] = fallbackMark;
        ids[depth] = ++lastId;
        depth++;
        return lastId;
    }

    int depth() {
        return depth;
    }

    boolean isEmpty() {
        return depth == 0;
    }

    /** The innermost frame's mark, below which nothing is given back or grown into; 0 with no frame. */
    long floor() {
        return depth == 0 ? 0 : marks[depth - 1];
    }

    boolean isOpen(int frameDepth, long id) {
        return frameDepth <= depth && ids[frameDepth - 1] == id;
    }

    boolean isInnermost(int frameDepth, long id) {
        return frameDepth == depth && ids[frameDepth - 1] == id;
    }

    long mark(int frameDepth) {
        return marks[frameDepth - 1];
    }

    long fallbackMark(int frameDepth) {
        return fallbackMarks[frameDepth - 1];
    }

    FrameArena arena(int frameDepth) {
        return arenas[frameDepth - 1];
    }

    void setArena(int frameDepth, FrameArena arena) {
        arenas[frameDepth - 1] = arena;
    }

    /** Closes the innermost frame, ending its Arena view's scope if it has one. */
    void pop() {
        depth--;
        FrameArena arena = arenas[depth];
        if (arena != null) {
            arenas[depth] = null;
            arena.endScope();
        }
    }

    /** Ends every open frame (reset, close). */
    void popAll() {
        while (depth > 0) {
            pop();
        }
    }
}
