package dev.bufalloc;

import java.util.Arrays;

/**
 * The open frames of a buffer allocator, innermost last, kept in arrays so that pushing and closing a
 * frame allocates nothing: the {@link Frame} handle holds only its depth and id, and the JIT can
 * remove it where it does not escape. An id is never reused, so a handle whose frame was closed or
 * ended is recognized even when a new frame opens at the same depth.
 *
 * <p>Invariant: {@code 0 <= depth}; for d < depth, frame d+1 opened at the cursor in its {@code MARK} slot,
 * at or above the mark of frame d, and its fallback blocks are those from the sequence number in its
 * {@code FALLBACK_MARK} slot on; {@code innermostId} is the id of frame {@code depth}, or 0.
 */
final class FrameStack {

    private static final int MARK = 0;
    private static final int FALLBACK_MARK = 1;
    private static final int ID = 2;
    private static final int SLOTS = 3;

    // Frame d+1 (depth d+1) is slots[SLOTS*d .. SLOTS*d+2]: one array, so push and pop touch one object.
    private long[] slots = new long[SLOTS * 4];
    private FrameArena[] arenas = new FrameArena[4];
    private int depth;
    private long lastId;
    private long innermostId;   // 0: no frame open

    /** Opens a frame at {@code cursor}; returns its id. Its depth is then {@link #depth()}. */
    long push(long cursor, long fallbackMark) {
        int slot = SLOTS * depth;
        if (slot + SLOTS > slots.length) {
            grow();
        }
        long id = ++lastId;
        slots[slot + MARK] = cursor;
        slots[slot + FALLBACK_MARK] = fallbackMark;
        slots[slot + ID] = id;
        depth++;
        innermostId = id;
        return id;
    }

    private void grow() {
        slots = Arrays.copyOf(slots, slots.length * 2);
        arenas = Arrays.copyOf(arenas, arenas.length * 2);
    }

    int depth() {
        return depth;
    }

    boolean isEmpty() {
        return depth == 0;
    }

    /** The cursor of the innermost frame: nothing below it is given back or grown into; 0 with no frame. */
    long floor() {
        return depth == 0 ? 0 : slots[SLOTS * (depth - 1) + MARK];
    }

    boolean isOpen(int frameDepth, long id) {
        return frameDepth <= depth && slots[SLOTS * (frameDepth - 1) + ID] == id;
    }

    /** Ids are never reused, so one compare tells the innermost open frame from every other handle. */
    boolean isInnermost(long id) {
        return id == innermostId;
    }

    long mark(int frameDepth) {
        return slots[SLOTS * (frameDepth - 1) + MARK];
    }

    long fallbackMark(int frameDepth) {
        return slots[SLOTS * (frameDepth - 1) + FALLBACK_MARK];
    }

    FrameArena arena(int frameDepth) {
        return arenas[frameDepth - 1];
    }

    void setArena(int frameDepth, FrameArena arena) {
        arenas[frameDepth - 1] = arena;
    }

    /** Closes the innermost frame, and ends its arena view if it has one. */
    void pop() {
        depth--;
        innermostId = depth == 0 ? 0 : slots[SLOTS * (depth - 1) + ID];
        FrameArena arena = arenas[depth];
        if (arena != null) {
            arenas[depth] = null;
            arena.endScope();
        }
    }

    /** Closes every open frame, innermost first. */
    void popAll() {
        while (depth > 0) {
            pop();
        }
    }
}
