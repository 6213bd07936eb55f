package dev.bufalloc.internal;

import java.lang.foreign.MemorySegment;

/**
 * The hash index of {@link FallbackLedger}'s slots: finds the slot of a block from its address, size and
 * memory in O(1), so frees in any order cost O(1) amortised. Open addressing with linear probing over slot
 * numbers; removed entries leave tombstones until the next rebuild.
 *
 * <p>Invariant: every live slot of the ledger's blocks is in {@code table} exactly once, as slot + 1;
 * {@code deleted} counts the tombstones; the table is never more than half full.
 */
final class BlockIndex {

    private static final int EMPTY = 0;
    private static final int DELETED = -1;

    private int[] table = new int[16];
    private int deleted;

    /** {@return the slot of the live block of the same memory and size as {@code block}, or -1} */
    int find(MemorySegment[] blocks, MemorySegment block) {
        int mask = table.length - 1;
        for (int i = hash(block) & mask; ; i = (i + 1) & mask) {
            int entry = table[i];
            if (entry == EMPTY) {
                return -1;
            }
            if (entry != DELETED && sameBlock(blocks[entry - 1], block)) {
                return entry - 1;
            }
        }
    }

    /** Indexes {@code blocks[slot]}; {@code live} counts it, and the ledger's slots are {@code [0, size)}. */
    void insert(MemorySegment[] blocks, int slot, int live, int size) {
        if ((live + deleted) * 2 >= table.length) {
            rebuild(blocks, size, Math.max(16, Integer.highestOneBit(Math.max(live, 1)) * 4));
            return;   // the rebuild indexed every live slot, this one too
        }
        int mask = table.length - 1;
        int i = hash(blocks[slot]) & mask;
        while (table[i] > 0) {
            i = (i + 1) & mask;
        }
        if (table[i] == DELETED) {
            deleted--;
        }
        table[i] = slot + 1;
    }

    /** Forgets {@code blocks[slot]}, which is still there to hash. */
    void remove(MemorySegment[] blocks, int slot) {
        int mask = table.length - 1;
        for (int i = hash(blocks[slot]) & mask; ; i = (i + 1) & mask) {
            if (table[i] == slot + 1) {
                table[i] = DELETED;
                deleted++;
                return;
            }
            assert table[i] != EMPTY : "a live slot is missing from the index";
        }
    }

    /** Indexes the live slots of {@code blocks[0, size)} anew, after the ledger moved them. */
    void rebuild(MemorySegment[] blocks, int size) {
        rebuild(blocks, size, table.length);
    }

    private void rebuild(MemorySegment[] blocks, int size, int length) {
        table = new int[length];
        deleted = 0;
        int mask = length - 1;
        for (int slot = 0; slot < size; slot++) {
            if (blocks[slot] != null) {
                int i = hash(blocks[slot]) & mask;
                while (table[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                table[i] = slot + 1;
            }
        }
    }

    private static int hash(MemorySegment block) {
        long h = block.address() * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) ^ (block.isNative() ? 0 : System.identityHashCode(block.heapBase().orElse(null)));
    }

    private static boolean sameBlock(MemorySegment raw, MemorySegment block) {
        return raw.address() == block.address() && raw.byteSize() == block.byteSize()
                && (raw.isNative() ? block.isNative() : raw.heapBase().orElse(null) == block.heapBase().orElse(null));
    }
}
