package dev.bufalloc.internal;

import dev.bufalloc.Allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * The blocks a buffer allocator took from its fallback, so that each is given back exactly once: on
 * {@code free}, when the frame it was allocated in closes, on {@code reset()} or {@code close()}, or, if
 * the allocator and every block it handed out become unreachable, by the garbage collector.
 *
 * <p><b>Safety.</b> A block whose memory no JDK scope tracks (the C library's, or any global-scope segment a
 * fallback returns) is never handed out as it is: the caller gets it in a scope of the ledger's own, which
 * ends before the memory is freed, so a stale block throws {@link IllegalStateException} instead of touching
 * freed memory. A confined ledger gives each block an arena of its own, closed when the block is freed; a
 * shared ledger gives them the arena of the current generation, closed on {@link #freeAll()}, and holds the
 * memory of blocks freed before that until then. Every scoped block keeps {@code keepAlive} (its allocator)
 * reachable, so memory is freed by the garbage collector only when no block can be used any more.
 *
 * <p><b>Cost.</b> Frees in any order are O(1) amortised: slots are found through a hash index; freed slots
 * become holes that are squeezed out when they outnumber live ones.
 *
 * <p>Invariant: slots {@code [0, size)} hold the blocks in order of allocation, {@code seqs} increasing;
 * a slot is live iff {@code memory.blocks[slot] != null}; {@code index} maps every live slot's block to it;
 * {@code liveBytes} is the sum of live blocks' sizes.
 */
public final class FallbackLedger {

    private final Allocator fallback;          // null: none
    private final boolean fromCLibrary;        // take raw blocks from the C library and scope them here
    private final boolean shared;
    private final Object keepAlive;
    private static final Cleaner CLEANER = Cleaner.create();

    private final Memory memory;               // what the garbage collector may free: reaches no scope
    private boolean registered;                // memory registered with the cleaner: on the first block
    private Arena[] arenas = new Arena[8];     // confined: each scoped block's own arena
    private long[] seqs = new long[8];
    private final BlockIndex index = new BlockIndex();
    private int size;
    private int live;
    private long nextSeq;
    private long liveBytes;
    private Arena generation;                  // shared: the scope of this generation's scoped blocks

    /**
     * Makes a ledger over {@code fallback}.
     *
     * @param fallback where blocks come from; null for none
     * @param fromCLibrary whether to take raw blocks from the C library instead of calling {@code fallback}
     *        (which must then be the default malloc allocator, whose blocks these are)
     * @param shared whether handed-out blocks must be usable from any thread
     * @param keepAlive what every scoped block keeps reachable: once it is unreachable, the garbage collector
     *        frees the memory the ledger still holds
     */
    public FallbackLedger(Allocator fallback, boolean fromCLibrary, boolean shared, Object keepAlive) {
        this.fallback = fallback;
        this.fromCLibrary = fromCLibrary;
        this.shared = shared;
        this.keepAlive = keepAlive;
        this.memory = new Memory(fromCLibrary ? null : fallback);
    }

    /** {@return whether there is a fallback} */
    public boolean exists() {
        return fallback != null;
    }

    /**
     * {@return whether the ledger holds nothing: no slot, no generation scope, no memory held over} Then
     * {@link #freeAll()} has nothing to do.
     */
    public boolean isEmpty() {
        return size == 0 && generation == null && memory.deferredCount == 0;
    }

    /** {@return the live blocks} */
    public int liveBlocks() {
        return live;
    }

    /** {@return the bytes of the live blocks} */
    public long liveBytes() {
        return liveBytes;
    }

    /** {@return the sequence number of the next block: blocks allocated from now on are at or above it} */
    public long mark() {
        return nextSeq;
    }

    /**
     * Takes a block from the fallback. If it throws, nothing changed.
     *
     * @param byteSize the size, checked
     * @param byteAlignment the alignment, checked
     * @return the block as the caller may see it
     */
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        MemorySegment raw = fromCLibrary ? LibC.allocate(byteSize, byteAlignment) : fallback.allocate(byteSize, byteAlignment);
        return add(raw);
    }

    private MemorySegment add(MemorySegment raw) {
        if (!registered) {   // the memory, which reaches nothing that keeps keepAlive reachable, is freed after it
            registered = true;
            CLEANER.register(keepAlive, memory);
        }
        Arena arena = null;
        MemorySegment handed = raw;
        if (Scopes.isGlobal(raw)) {
            if (shared) {
                if (generation == null) {
                    generation = Arena.ofShared();
                }
                handed = LibC.withScope(raw, generation, keepAlive);
            } else {
                arena = Arena.ofConfined();
                handed = LibC.withScope(raw, arena, keepAlive);
            }
        }
        if (size == seqs.length) {
            makeRoom();
        }
        int slot = size++;
        memory.blocks[slot] = raw;
        arenas[slot] = arena;
        seqs[slot] = nextSeq++;
        live++;
        liveBytes += raw.byteSize();
        index.insert(memory.blocks, slot, live, size);
        assert slot == 0 || seqs[slot - 1] < seqs[slot] : "sequence numbers increase with the slots";
        return handed;
    }

    /**
     * {@return the slot of {@code block}, a live block of this ledger (the segment handed out, or one of the
     * same memory and size), or -1}
     *
     * @param block any segment
     */
    public int find(MemorySegment block) {
        return index.find(memory.blocks, block);
    }

    /**
     * {@return whether {@code segment} is the block in {@code slot} as the ledger handed it out: in its scope}
     *
     * @param slot a live slot, found for {@code segment}
     * @param segment a segment of the block's memory and size
     */
    public boolean isBlock(int slot, MemorySegment segment) {
        Arena arena = arenas[slot];
        return (arena != null ? arena.scope() : memory.blocks[slot].scope()).equals(segment.scope());
    }

    /**
     * {@return the slot of {@code block}, a live block of the allocator: alive, in the buffer or the ledger}
     *
     * @param block a segment the caller says is a live fallback block
     * @throws IllegalArgumentException if it is not one
     */
    public int liveSlot(MemorySegment block) {
        int slot = find(block);
        if (slot < 0) {
            throw notLive(block);
        }
        return slot;
    }

    /**
     * {@return {@code block}, after checking that its scope is alive}
     *
     * @param block a segment passed to free or reallocate
     * @throws NullPointerException if it is null
     * @throws IllegalArgumentException if its scope ended: a block given back, or from a closed arena
     */
    public static MemorySegment requireAlive(MemorySegment block) {
        if (!Checks.requireSegment(block).scope().isAlive()) {
            throw notLive(block);
        }
        return block;
    }

    private static IllegalArgumentException notLive(MemorySegment block) {
        return new IllegalArgumentException("Not a live block of this allocator: " + Checks.describe(block)
                + " is neither in its buffer nor a live fallback block (freed, released by a frame's close or a"
                + " reset, or from another allocator)");
    }

    /**
     * {@return the sequence number of the block in {@code slot}: blocks allocated later have higher ones}
     *
     * @param slot a live slot
     */
    public long sequence(int slot) {
        return seqs[slot];
    }

    /**
     * {@return whether the block in {@code slot} is the newest live block}
     *
     * @param slot a live slot
     */
    public boolean isNewest(int slot) {
        int last = size - 1;
        while (memory.blocks[last] == null) {
            last--;
        }
        return slot == last;
    }

    /**
     * Resizes the block in {@code slot}. A block the fallback resizes keeps its age; a block scoped here moves,
     * and the moved block is as new as any allocated now. If it throws, nothing changed.
     *
     * @param slot a live slot
     * @param newByteSize the new size, checked
     * @param byteAlignment the alignment, checked
     * @return the block as the caller may see it
     */
    public MemorySegment reallocate(int slot, long newByteSize, long byteAlignment) {
        MemorySegment raw = memory.blocks[slot];
        if (fromCLibrary || Scopes.isGlobal(raw)) {
            // A scoped block cannot be resized under its scope: move it (a new block, of the innermost frame),
            // then end the old one. Adding may squeeze the slots: find the old block again.
            MemorySegment moved = allocate(newByteSize, byteAlignment);
            MemorySegment.copy(raw, 0, moved, 0, Math.min(raw.byteSize(), newByteSize));
            int old = find(raw);
            try {
                endScope(old);
            } catch (RuntimeException | Error e) {   // a native call holds the old block: undo the move
                free(find(moved));
                throw e;
            }
            forget(old);
            try {
                giveBack(raw);
            } catch (RuntimeException | Error e) {
                memory.defer(raw);   // the move is done; the fallback gets the old block again on freeAll()
            }
            return moved;
        }
        MemorySegment moved = fallback.reallocate(raw, newByteSize, byteAlignment);
        index.remove(memory.blocks, slot);
        memory.blocks[slot] = moved;
        liveBytes += moved.byteSize() - raw.byteSize();
        index.insert(memory.blocks, slot, live, size);
        return moved;
    }

    /**
     * Gives the block in {@code slot} back: its scope ends, then its memory goes back to the fallback (a
     * shared ledger keeps the memory of a scoped block until {@link #freeAll()}). The block is forgotten
     * even if the fallback's {@code free} throws.
     *
     * @param slot a live slot
     * @throws IllegalStateException if the block's scope cannot end now (a native call holds it); nothing changed
     * @throws RuntimeException what the fallback's {@code free} threw
     */
    public void free(int slot) {
        MemorySegment raw = memory.blocks[slot];
        endScope(slot);
        forget(slot);
        giveBack(raw);
    }

    /**
     * Gives a forgotten block's memory back, or holds it until {@link #freeAll()} if its scope outlives it (a
     * shared ledger's generation scope, which only ends there).
     */
    private void giveBack(MemorySegment raw) {
        if (shared && Scopes.isGlobal(raw)) {
            memory.defer(raw);
        } else {
            memory.release(raw);
        }
    }

    /** Ends the scope of the block in {@code slot}, if it has one of its own: it throws if a native call holds it. */
    private void endScope(int slot) {
        Arena arena = arenas[slot];
        if (arena != null) {
            arena.close();
            arenas[slot] = null;
        }
    }

    /**
     * {@return the bytes of the live blocks allocated at or after {@code mark}}
     *
     * @param mark a value of {@link #mark()}
     */
    public long bytesSince(long mark) {
        long bytes = 0;
        for (int slot = size - 1; slot >= 0 && seqs[slot] >= mark; slot--) {
            MemorySegment raw = memory.blocks[slot];
            bytes += raw == null ? 0 : raw.byteSize();
        }
        return bytes;
    }

    /**
     * Frees every live block allocated at or after {@code mark}, newest first. Every block is tried; the first
     * exception is rethrown after all were.
     *
     * @param mark a value of {@link #mark()}
     */
    public void freeSince(long mark) {
        Throwable failure = null;
        for (int slot = size - 1; slot >= 0 && seqs[slot] >= mark; slot--) {
            if (memory.blocks[slot] != null) {
                try {
                    free(slot);
                } catch (RuntimeException | Error e) {
                    failure = Checks.addFailure(failure, e);
                }
            }
        }
        trimTail();
        Checks.rethrow(failure);
    }

    /**
     * Frees every block, ends the shared generation's scope (a new generation starts), and gives back the
     * memory held over: freed blocks of that generation, and old blocks of moves whose free failed.
     */
    public void freeAll() {
        Throwable failure = null;
        try {
            freeSince(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        try {
            if (generation != null) {
                generation.close();
                generation = null;
            }
            memory.releaseDeferred();
        } catch (RuntimeException | Error e) {
            failure = Checks.addFailure(failure, e);
        }
        Checks.rethrow(failure);
    }

    // ---- slots and index -------------------------------------------------------------------------

    private void forget(int slot) {
        index.remove(memory.blocks, slot);
        liveBytes -= memory.blocks[slot].byteSize();
        memory.blocks[slot] = null;
        live--;
        if (slot == size - 1) {
            trimTail();
        }
        assert live >= 0 && liveBytes >= 0 && (live > 0 || liveBytes == 0) : "live blocks and bytes agree";
    }

    /** Drops freed slots at the end, so that the newest live block is last again. */
    private void trimTail() {
        while (size > 0 && memory.blocks[size - 1] == null) {
            size--;
        }
    }

    private void makeRoom() {
        if (live < size / 2) {   // more holes than blocks: squeeze them out
            int to = 0;
            for (int from = 0; from < size; from++) {
                if (memory.blocks[from] != null) {
                    memory.blocks[to] = memory.blocks[from];
                    arenas[to] = arenas[from];
                    seqs[to] = seqs[from];
                    to++;
                }
            }
            Arrays.fill(memory.blocks, to, size, null);
            Arrays.fill(arenas, to, size, null);
            size = to;
            index.rebuild(memory.blocks, size);
            return;
        }
        int capacity = seqs.length * 2;
        memory.blocks = Arrays.copyOf(memory.blocks, capacity);
        arenas = Arrays.copyOf(arenas, capacity);
        seqs = Arrays.copyOf(seqs, capacity);
    }

    /**
     * The memory itself: live blocks by slot, and freed blocks a shared ledger keeps until its generation
     * ends. Run by a {@code Cleaner} once the allocator is unreachable, it frees what is left; it holds no
     * scope, so it never keeps the allocator reachable.
     */
    private static final class Memory implements Runnable {
        private final Allocator fallback;   // null: the C library
        MemorySegment[] blocks = new MemorySegment[8];
        private MemorySegment[] deferred = new MemorySegment[0];
        private int deferredCount;

        Memory(Allocator fallback) {
            this.fallback = fallback;
        }

        void release(MemorySegment raw) {
            if (fallback == null) {
                LibC.free(raw);
            } else {
                fallback.free(raw);
            }
        }

        void defer(MemorySegment raw) {
            if (deferredCount == deferred.length) {
                deferred = Arrays.copyOf(deferred, Math.max(8, deferredCount * 2));
            }
            deferred[deferredCount++] = raw;
        }

        void releaseDeferred() {
            Throwable failure = null;
            for (int i = 0; i < deferredCount; i++) {
                try {
                    release(deferred[i]);
                } catch (RuntimeException | Error e) {
                    failure = Checks.addFailure(failure, e);
                }
                deferred[i] = null;
            }
            deferredCount = 0;
            Checks.rethrow(failure);
        }

        /** The allocator and every block it handed out are unreachable: free what was never given back. */
        @Override
        public void run() {
            for (MemorySegment raw : blocks) {
                if (raw != null && (fallback == null || Scopes.isGlobal(raw))) {
                    try {
                        release(raw);
                    } catch (RuntimeException e) {
                        // nobody to tell: the fallback refused its own block
                    }
                }
            }
            try {
                releaseDeferred();
            } catch (RuntimeException e) {
                // as above
            }
        }
    }
}
