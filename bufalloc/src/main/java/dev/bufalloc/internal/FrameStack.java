package dev.bufalloc.internal;

import java.util.Arrays;

/**
 * The open frames of a buffer allocator, innermost last, kept in arrays so that pushing and closing a
 * frame allocates nothing: a frame handle holds only its depth and id, and the JIT can remove it where it
 * does not escape. An id is never reused, so a handle whose frame was closed or ended is recognized even
 * when a new frame opens at the same depth.
 *
 * <p>Invariant: {@code 0 <= depth}; for d < depth, frame d+1 opened with the cursor in its {@code MARK}
 * slot, at or above the mark of frame d; its fallback blocks are those from the sequence number in its
 * {@code FALLBACK_MARK} slot on; {@code innermostId} is the id of frame {@code depth}, or 0.
 */
public final class FrameStack {

    /** A frame's Arena view, whose scope must end before the frame's memory is given back. */
    public interface View {
        /** Ends the view's scope. */
        void endScope();

        /** {@return whether the view's scope is alive} */
        boolean isAlive();
    }

    private static final int MARK = 0;
    private static final int FALLBACK_MARK = 1;
    private static final int ID = 2;
    private static final int LAST_START = 3;
    private static final int SPILL = 4;
    private static final int REGION = 5;
    private static final int SLOTS = 6;

    // Frame d+1 (depth d+1) is slots[SLOTS*d .. SLOTS*d+SLOTS-1]: one array, so push and pop touch one object.
    private long[] slots = new long[SLOTS * 4];
    private View[] arenas = new View[4];
    private int depth;
    private long lastId;
    private long innermostId;   // 0: no frame open

    /**
     * Opens a frame; its depth is then {@link #depth()}.
     *
     * @param region the region the cursor is in (a growing allocator's: 0 for the buffer)
     * @param cursor the buffer's cursor now
     * @param lastStart where the most recent buffer block starts, or -1
     * @param fallbackMark the fallback ledger's mark now
     * @param spill the counters' spill now
     * @return the frame's id
     */
    public long push(int region, long cursor, long lastStart, long fallbackMark, long spill) {
        int slot = SLOTS * depth;
        if (slot + SLOTS > slots.length) {
            slots = Arrays.copyOf(slots, slots.length * 2);
            arenas = Arrays.copyOf(arenas, arenas.length * 2);
        }
        long id = ++lastId;
        slots[slot + MARK] = cursor;
        slots[slot + FALLBACK_MARK] = fallbackMark;
        slots[slot + ID] = id;
        slots[slot + LAST_START] = lastStart;
        slots[slot + SPILL] = spill;
        slots[slot + REGION] = region;
        assert depth == 0 || ((region > slots[slot - SLOTS + REGION] || cursor >= slots[slot - SLOTS + MARK])
                && fallbackMark >= slots[slot - SLOTS + FALLBACK_MARK])
                : "a frame opens at or above the one outside it";
        depth++;
        innermostId = id;
        return id;
    }

    /** {@return the number of open frames} */
    public int depth() {
        return depth;
    }

    /** {@return the fallback mark of the innermost frame: older fallback blocks give no demand back; 0 with no frame} */
    public long fallbackFloor() {
        return depth == 0 ? 0 : slots[SLOTS * (depth - 1) + FALLBACK_MARK];
    }

    /**
     * {@return the counters' spill when the frame of this depth opened}
     *
     * @param frameDepth an open frame's depth
     */
    public long spill(int frameDepth) {
        return slots[SLOTS * (frameDepth - 1) + SPILL];
    }

    /** {@return the cursor of the innermost frame: nothing below it is given back or grown into; 0 with no frame} */
    public long floor() {
        return depth == 0 ? 0 : slots[SLOTS * (depth - 1) + MARK];
    }

    /**
     * {@return whether the frame of this depth and id is open}
     *
     * @param frameDepth the frame's depth, from 1
     * @param id its id
     */
    public boolean isOpen(int frameDepth, long id) {
        return frameDepth <= depth && slots[SLOTS * (frameDepth - 1) + ID] == id;
    }

    /**
     * {@return whether {@code id} is the innermost open frame's: ids are never reused, so one compare tells}
     *
     * @param id a frame's id
     */
    public boolean isInnermost(long id) {
        return id == innermostId;
    }

    /**
     * {@return the cursor when the frame of this depth opened}
     *
     * @param frameDepth an open frame's depth
     */
    public long mark(int frameDepth) {
        return slots[SLOTS * (frameDepth - 1) + MARK];
    }

    /**
     * {@return the region the cursor was in when the frame of this depth opened}
     *
     * @param frameDepth an open frame's depth
     */
    public int region(int frameDepth) {
        return (int) slots[SLOTS * (frameDepth - 1) + REGION];
    }

    /**
     * {@return where the most recent buffer block started when the frame of this depth opened}
     *
     * @param frameDepth an open frame's depth
     */
    public long lastStart(int frameDepth) {
        return slots[SLOTS * (frameDepth - 1) + LAST_START];
    }

    /**
     * {@return the fallback ledger's mark when the frame of this depth opened}
     *
     * @param frameDepth an open frame's depth
     */
    public long fallbackMark(int frameDepth) {
        return slots[SLOTS * (frameDepth - 1) + FALLBACK_MARK];
    }

    /**
     * {@return the Arena view of the frame of this depth, or null}
     *
     * @param frameDepth an open frame's depth
     */
    public View arena(int frameDepth) {
        return arenas[frameDepth - 1];
    }

    /**
     * {@return whether the frame of this depth has an Arena view}
     *
     * @param frameDepth an open frame's depth
     */
    public boolean hasView(int frameDepth) {
        return arenas[frameDepth - 1] != null;
    }

    /**
     * Sets the Arena view of the frame of this depth: its scope ends before the frame closes.
     *
     * @param frameDepth an open frame's depth
     * @param arena the view
     */
    public void setArena(int frameDepth, View arena) {
        arenas[frameDepth - 1] = arena;
    }

    /**
     * Ends the scopes of the Arena views of the frames from {@code frameDepth} in, innermost first, so that
     * no segment of theirs can see memory about to be given back.
     *
     * @param frameDepth the outermost frame whose view ends
     * @return what a view's cleanup action threw (its scope ended all the same), or null: rethrow it once
     *         the frames are closed
     * @throws IllegalStateException if a view's scope cannot end now (a native call holds it): the views
     *         inside it have ended, it and those outside have not, and no frame was closed
     */
    public Throwable endArenas(int frameDepth) {
        Throwable failure = null;
        for (int d = depth; d >= frameDepth; d--) {
            View arena = arenas[d - 1];
            if (arena != null) {
                try {
                    arena.endScope();
                } catch (RuntimeException | Error e) {
                    if (arena.isAlive()) {
                        throw e;   // nothing given back yet: the caller may try again
                    }
                    failure = Checks.addFailure(failure, e);   // a cleanup action failed: the scope did end
                }
                arenas[d - 1] = null;
            }
        }
        return failure;
    }

    /**
     * {@return whether the frames from {@code frameDepth} in have no view left} For an {@code assert}: a loop
     * with an assert inside, left in the code with assertions off, cost a frame's close 8 ns.
     */
    private boolean viewsEnded(int frameDepth) {
        for (int d = depth; d >= frameDepth; d--) {
            if (arenas[d - 1] != null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Closes the frames from {@code frameDepth} in. End their views first ({@link #endArenas}).
     *
     * @param frameDepth the outermost frame to close, from 1
     */
    public void popTo(int frameDepth) {
        assert frameDepth >= 1 && frameDepth <= depth && viewsEnded(frameDepth) : "a frame's view must end before the frame";
        depth = frameDepth - 1;
        innermostId = depth == 0 ? 0 : slots[SLOTS * (depth - 1) + ID];
    }
}
