package dev.bufalloc;

import dev.bufalloc.AllocatorKind.Instance;
import dev.bufalloc.ErrorRows.Op;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.bufalloc.AllocatorKind.FRAME;
import static dev.bufalloc.AllocatorKind.FRAME_ARENA;
import static dev.bufalloc.AllocatorKind.SCRATCH;

/**
 * Rows of {@code docs/ERRORS.md}: a {@link Frame} in each state it cannot be used in, declared once
 * and expanded to each of its methods; its {@code Arena} view; and scratch frames. The bad calls every
 * allocator shares (a bad alignment, a foreign segment) are in {@link AllocatorErrorRows}.
 */
final class FrameErrorRows {

    private FrameErrorRows() {}

    /** A call through a frame in a bad state, with a block it allocated before. */
    @FunctionalInterface
    interface FrameCall {
        void call(Frame frame, MemorySegment block) throws Throwable;
    }

    /** A frame in a state it cannot be used in, and the block it allocated before it got there. */
    private record Prepared(Frame frame, MemorySegment block) {}

    /** The bad states, in the table's order. */
    private static final String[] STATES = {"closed frame", "frame ended by reset()", "not the innermost open frame",
            "on another thread", "after the allocator's close()"};

    private static Prepared inState(ErrorFixture f, String state) {
        Instance it = state.equals("after the allocator's close()") ? f.fresh(FRAME) : f.instance(FRAME);
        Frame frame = it.frame();
        MemorySegment block = frame.allocate(8);
        switch (state) {
            case "closed frame" -> frame.close();
            case "frame ended by reset()" -> it.buffer().reset();
            case "not the innermost open frame" -> f.push(it);
            case "after the allocator's close()" -> it.buffer().close();
            default -> { }
        }
        return new Prepared(frame, block);
    }

    static void declare(ErrorRows rows) {
        frameStates(rows, Op.ALLOCATE, (frame, _) -> frame.allocate(8, 1));
        frameStates(rows, Op.REALLOCATE, (frame, block) -> frame.reallocate(block, 16, 1));
        frameStates(rows, Op.FREE, Frame::free);
        frameStates(rows, Op.CLOSE, (frame, _) -> frame.close());

        ErrorRows.Section asArena = rows.section("FR", Op.AS_ARENA.base);
        String method = "Frame." + Op.AS_ARENA.signature;
        asArena.row(method, "closed frame", f -> {
            Frame frame = f.instance(FRAME).frame();
            frame.close();
            return frame::asArena;
        });
        asArena.row(method, "frame ended by reset()", f -> {
            Frame frame = f.instance(FRAME).frame();
            f.instance(FRAME).buffer().reset();
            return frame::asArena;
        });
        asArena.row(method, "on another thread", f -> {
            Frame frame = f.instance(FRAME).frame();
            return () -> f.onOtherThread(frame::asArena);
        });
        asArena.row(method, "after the allocator's close()", f -> {
            Instance it = f.fresh(FRAME);
            it.buffer().close();
            return it.frame()::asArena;
        });

        rows.on(Op.ALLOCATE, "view of a frame that is not the innermost", (f, kind) -> {
            Instance it = f.instance(kind);
            f.push(it);
            return () -> it.arena().allocate(8, 1);
        }).to(FRAME_ARENA);
        rows.section("AV", ErrorRows.USE).row("MemorySegment.get (a block of the view)", "after the view's close()", f -> {
            Arena view = f.instance(FRAME_ARENA).arena();
            MemorySegment block = view.allocate(8, 1);
            view.close();
            return () -> block.get(ValueLayout.JAVA_BYTE, 0);
        });

        rows.section("SC", Op.ALLOCATE.base)
                .row("Scratch.push().allocator().allocate(long, long)", "another thread's scratch allocator", f -> {
                    Allocator mine = f.instance(SCRATCH).buffer();
                    return () -> f.onOtherThread(() -> mine.allocate(8, 1));
                });
    }

    /** The note of the row that closes a frame while frames pushed after it are open: it changes state by design. */
    private static final String CLOSES_THE_INNER_FRAMES = "**accepted**: closing an outer frame closes the frames"
            + " pushed after it too, gives back all they held, then reports the misuse, so that a forgotten frame cannot"
            + " keep the allocator's memory forever";

    /** Rows for one method of {@link Frame}: the frame in each of its bad {@link #STATES}. */
    private static void frameStates(ErrorRows rows, Op op, FrameCall call) {
        ErrorRows.Section section = rows.section("FR", op.base);
        for (String state : STATES) {
            ErrorRows.Case action = f -> {
                Prepared prepared = inState(f, state);
                return state.equals("on another thread")
                        ? () -> f.onOtherThread(() -> call.call(prepared.frame(), prepared.block()))
                        : () -> call.call(prepared.frame(), prepared.block());
            };
            if (op == Op.CLOSE && state.equals("not the innermost open frame")) {
                section.rowChangingState("Frame." + op.signature, state, action, CLOSES_THE_INNER_FRAMES);
            } else {
                section.row("Frame." + op.signature, state, action);
            }
        }
    }
}
