package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.CountingAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random sequences of allocate / reallocate / free / reset / resetAndZero / push / pop, checked after
 * every step against a simple model of the buffer allocator: where its cursor is, which blocks are live
 * and what they hold, and how far buffer blocks reached since the last resetAndZero (every byte below
 * that must read zero after the next one). A failure names the seed, which replays the sequence exactly.
 *
 * <p>By default a fixed set of seeds runs; {@code -Dbufalloc.soak.seconds=N} keeps drawing new
 * sequences for N seconds in all, shared by the setups (the {@code soak} profile).
 */
class BufferAllocatorModelTest {

    private static final int SEQUENCES = 150;
    private static final int STEPS = 250;

    /** The kinds of buffer and fallback the model runs over. */
    enum Setup {
        NATIVE_WITH_FALLBACK(true, 0, true, false),
        NATIVE_WITHOUT_FALLBACK(true, 0, false, false),
        HEAP_LONGS_WITH_FALLBACK(false, 8, true, false),
        HEAP_BYTES_WITH_FALLBACK(false, 1, true, false),
        HEAP_LONGS_WITHOUT_FALLBACK(false, 8, false, false),
        NATIVE_CHECKED(true, 0, true, true),
        HEAP_LONGS_CHECKED(false, 8, true, true);

        final boolean nativeBuffer;
        final int heapElementSize;
        final boolean withFallback;
        final boolean checked;

        Setup(boolean nativeBuffer, int heapElementSize, boolean withFallback, boolean checked) {
            this.nativeBuffer = nativeBuffer;
            this.heapElementSize = heapElementSize;
            this.withFallback = withFallback;
            this.checked = checked;
        }

        BufferAllocator allocator(MemorySegment buffer, Allocator fallback) {
            return checked ? BufferAllocator.ofChecked(buffer, fallback)
                    : withFallback ? BufferAllocator.of(buffer, fallback) : BufferAllocator.withoutFallback(buffer);
        }

        long alignmentLimit() {
            return nativeBuffer ? Long.MAX_VALUE : heapElementSize;
        }

        /** A native buffer starts {@code skew} bytes past a 4096-byte boundary: any base alignment occurs. */
        MemorySegment buffer(Arena arena, int capacity, int skew) {
            if (nativeBuffer) {
                return arena.allocate(skew + capacity, 4096).asSlice(skew, capacity);
            }
            return heapElementSize == 8
                    ? MemorySegment.ofArray(new long[(capacity + 7) / 8]).asSlice(0, capacity)
                    : MemorySegment.ofArray(new byte[capacity]);
        }
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void randomSequencesAgreeWithTheModel(Setup setup) {
        long soakSeconds = Long.getLong("bufalloc.soak.seconds", 0);
        // The soak's time is shared by all setups, so the whole soak takes the seconds asked for.
        long deadline = System.nanoTime() + soakSeconds * 1_000_000_000L / Setup.values().length;
        long seed = 0x5EED_0000L + setup.ordinal() * 1_000_003L;
        int sequences = 0;
        long operations = 0;
        while (sequences < SEQUENCES || System.nanoTime() < deadline) {
            operations += runSequence(setup, seed + sequences);
            sequences++;
        }
        if (soakSeconds > 0) {
            System.out.printf("soak %s: %d sequences, %d operations%n", setup, sequences, operations);
        }
        assertThat(operations).isGreaterThanOrEqualTo((long) SEQUENCES * STEPS);
    }

    private static long runSequence(Setup setup, long seed) {
        Model model = new Model(setup, seed);
        try {
            return model.run();
        } catch (Throwable failure) {
            throw new AssertionError("Model check failed: setup=" + setup + " seed=" + seed + " step="
                    + model.step + " (" + model.lastOperation + ")", failure);
        } finally {
            model.arena.close();
        }
    }

    /** A live block as the model knows it. */
    private record Block(MemorySegment segment, boolean inBuffer, long birth, byte pattern) {}

    /** An open frame as the model knows it. */
    private record OpenFrame(Frame frame, long cursor, long floor, long lastStart, long spill, long birth) {}

    private static final class Model {
        final Setup setup;
        final SplittableRandom random;
        final Arena arena = Arena.ofConfined();
        final int capacity;
        final MemorySegment buffer;
        final long base;
        final CountingAllocator fallback = new CountingAllocator(MallocAllocator.instance());
        final BufferAllocator allocator;
        final List<Block> live = new ArrayList<>();
        final ArrayDeque<OpenFrame> frames = new ArrayDeque<>();
        long cursor;
        long floor;
        long births;
        long fallbackCount;
        long fallbackBytes;
        long lastStart = -1;   // the most recent buffer block's start: only it gives bytes back or grows in place
        long reached;          // the highest buffer offset a block reached since the last resetAndZero (or start)
        long spill;            // the fallback's blocks as one big enough buffer would hold them
        long peakDemand;
        int step;
        String lastOperation = "start";

        Model(Setup setup, long seed) {
            this.setup = setup;
            this.random = new SplittableRandom(seed);
            this.capacity = 1 + random.nextInt(random.nextBoolean() ? 64 : 4096);
            this.buffer = setup.buffer(arena, capacity, random.nextBoolean() ? 0 : random.nextInt(4096));
            this.base = buffer.address();
            this.allocator = setup.allocator(buffer, fallback);
        }

        long run() {
            for (step = 0; step < STEPS; step++) {
                int choice = random.nextInt(100);
                if (choice < 42) {
                    allocate();
                } else if (choice < 62) {
                    reallocate();
                } else if (choice < 79) {
                    free();
                } else if (choice < 87) {
                    push();
                } else if (choice < 94) {
                    pop();
                } else if (choice < 97) {
                    reset();
                } else {
                    resetAndZero();
                }
                check();
            }
            allocator.close();
            assertThat(fallback.outstanding()).as("fallback blocks after close").isEmpty();
            return STEPS;
        }

        long size() {
            return random.nextInt(4) == 0 ? 0 : random.nextLong(2L * capacity + 1);
        }

        long alignment() {
            return 1L << random.nextInt(13);   // 1 to 4096
        }

        void allocate() {
            long size = size();
            long alignment = alignment();
            lastOperation = "allocate(" + size + ", " + alignment + ")";
            if (alignment > setup.alignmentLimit()) {
                expectUnchanged(IllegalArgumentException.class, () -> allocator.allocate(size, alignment));
                return;
            }
            long start = alignUp(base + cursor, alignment) - base;
            if (size <= capacity - start) {
                MemorySegment block = allocator.allocate(size, alignment);
                assertThat(block.address() - buffer.address()).as("offset: only needed padding").isEqualTo(start);
                blockEndsAt(start + size);
                lastStart = start;
                adopt(block, true);
            } else if (setup.withFallback) {
                MemorySegment block = allocator.allocate(size, alignment);
                countFallback(size);
                adopt(block, false);
            } else {
                expectUnchanged(IndexOutOfBoundsException.class, () -> allocator.allocate(size, alignment));
            }
        }

        void reallocate() {
            if (live.isEmpty()) {
                allocate();
                return;
            }
            int index = random.nextInt(live.size());
            Block old = live.get(index);
            long size = size();
            long alignment = alignment();
            lastOperation = "reallocate(" + describe(old) + ", " + size + ", " + alignment + ")";
            if (alignment > setup.alignmentLimit()) {
                expectUnchanged(IllegalArgumentException.class, () -> allocator.reallocate(old.segment, size, alignment));
                return;
            }
            long kept = Math.min(old.segment.byteSize(), size);
            if (!old.inBuffer) {
                boolean newest = isNewestFallback(old);
                notePeak();
                MemorySegment moved = allocator.reallocate(old.segment, size, alignment);
                countFallback(size);
                if (newest) {   // resized where it stands, as in a buffer
                    spill -= old.segment.byteSize();
                }
                live.set(index, new Block(moved, false, old.birth, old.pattern));
                checkPattern(moved, kept, old.pattern);
                fill(live.get(index));
                return;
            }
            long offset = old.segment.address() - buffer.address();
            long end = offset + old.segment.byteSize();
            boolean newest = isNewest(offset, old.segment.byteSize());
            if (newest && (base + offset) % alignment == 0 && size <= capacity - offset) {
                MemorySegment grown = allocator.reallocate(old.segment, size, alignment);
                assertThat(grown.address()).as("in place").isEqualTo(old.segment.address());
                notePeak();
                blockEndsAt(offset + size);
                live.set(index, new Block(grown, true, old.birth, old.pattern));
                checkPattern(grown, kept, old.pattern);
                fill(live.get(index));
                return;
            }
            long start = alignUp(base + cursor, alignment) - base;
            boolean fits = size <= capacity - start;
            if (!fits && !setup.withFallback) {
                expectUnchanged(IndexOutOfBoundsException.class, () -> allocator.reallocate(old.segment, size, alignment));
                return;
            }
            MemorySegment moved = allocator.reallocate(old.segment, size, alignment);
            checkPattern(moved, kept, old.pattern);
            if (fits) {
                blockEndsAt(start + size);
                lastStart = start;
            } else {
                countFallback(size);
                if (newest) {   // the old block was the most recent: given back, once the new one holds its bytes
                    notePeak();
                    cursor = offset;
                    lastStart = -1;
                }
            }
            live.remove(index);
            Block block = new Block(moved, fits, births++, (byte) random.nextInt());
            live.add(block);
            fill(block);
        }

        void free() {
            if (live.isEmpty()) {
                lastOperation = "free(foreign)";
                expectUnchanged(IllegalArgumentException.class, () -> allocator.free(arena.allocate(8)));
                return;
            }
            Block block = live.remove(random.nextInt(live.size()));
            lastOperation = "free(" + describe(block) + ")";
            allocator.free(block.segment);
            if (block.inBuffer) {
                long offset = block.segment.address() - buffer.address();
                if (isNewest(offset, block.segment.byteSize())) {
                    notePeak();
                    cursor = offset;
                    lastStart = -1;
                }
            } else {
                live.add(block);
                if (isNewestFallback(block)) {   // a buffer would rewind it
                    notePeak();
                    spill = Math.max(0, spill - block.segment.byteSize());
                }
                live.remove(block);
                // Freeing it again is a double free: refused, nothing changes.
                expectUnchanged(IllegalArgumentException.class, () -> allocator.free(block.segment));
            }
        }

        void push() {
            lastOperation = "push()";
            Frame frame = allocator.push();
            frames.push(new OpenFrame(frame, cursor, floor, lastStart, spill, births));
            floor = cursor;
            lastStart = -1;
        }

        void pop() {
            if (frames.isEmpty()) {
                push();
                return;
            }
            OpenFrame open = frames.pop();
            lastOperation = "pop(" + open.frame + ")";
            open.frame.close();
            notePeak();
            cursor = open.cursor;
            floor = open.floor;
            lastStart = open.lastStart;
            spill = Math.min(spill, open.spill);
            live.removeIf(b -> b.birth >= open.birth);
        }

        void reset() {
            lastOperation = "reset()";
            allocator.reset();
            afterReset();
        }

        /**
         * Every byte of the buffer that a block reached since the last resetAndZero (blocks in use, and blocks
         * given back by free, a frame's close or a reset) reads zero after it, whatever checked mode wrote over
         * bytes given back; then the allocator is as after a reset. The buffer was zero when made (an Arena's
         * memory, or a new array), so no byte below the mark may keep data.
         */
        void resetAndZero() {
            lastOperation = "resetAndZero() with blocks reached up to buffer+" + reached + ", cursor " + cursor
                    + ", " + frames.size() + " frames open";
            allocator.resetAndZero();
            afterReset();
            long nonZero = buffer.asSlice(0, reached).mismatch(MemorySegment.ofArray(new byte[(int) reached]));
            if (nonZero >= 0) {
                throw new AssertionError("after resetAndZero, byte buffer+" + nonZero + " reads 0x"
                        + String.format("%02X", buffer.get(java.lang.foreign.ValueLayout.JAVA_BYTE, nonZero))
                        + ", not 0: blocks reached buffer+" + reached + " since the last resetAndZero, and every"
                        + " byte below must be zeroed");
            }
            reached = 0;
        }

        /** The model's state after a reset, or a resetAndZero: the cursor at 0, no live block, no open frame. */
        void afterReset() {
            notePeak();
            cursor = 0;
            floor = 0;
            lastStart = -1;
            spill = 0;
            live.clear();
            for (OpenFrame open : frames) {
                org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, open.frame::close);
            }
            frames.clear();
            assertThat(fallback.outstanding()).as("fallback blocks after reset").isEmpty();
        }

        /** Only the most recent buffer block grows in place or gives bytes back; an empty one at the floor may be older. */
        boolean isNewest(long offset, long size) {
            return offset == lastStart && offset + size == cursor && (size > 0 || offset > floor);
        }

        /** The newest live fallback block, and allocated in the innermost frame. */
        boolean isNewestFallback(Block block) {
            long frameBirth = frames.isEmpty() ? 0 : frames.peek().birth;
            return block.birth >= frameBirth
                    && live.stream().filter(b -> !b.inBuffer && b != block).allMatch(b -> b.birth < block.birth);
        }

        void adopt(MemorySegment segment, boolean inBuffer) {
            Block block = new Block(segment, inBuffer, births++, (byte) random.nextInt());
            live.add(block);
            fill(block);
        }

        void countFallback(long size) {
            fallbackCount++;
            fallbackBytes += size;
            spill += size;
        }

        /** The newest buffer block ends at {@code end}: so does the cursor, and blocks reached at least there. */
        void blockEndsAt(long end) {
            cursor = end;
            reached = Math.max(reached, end);
        }

        void notePeak() {
            peakDemand = Math.max(peakDemand, cursor + spill);
        }

        long liveFallbackBytes() {
            return live.stream().filter(b -> !b.inBuffer).mapToLong(b -> b.segment.byteSize()).sum();
        }

        /** The invariants, after every step. */
        void check() {
            assertThat(allocator.usedBytes()).as("cursor").isEqualTo(cursor);
            assertThat(cursor).isBetween(0L, (long) capacity);
            assertThat(reached).as("blocks reached, since the last resetAndZero").isBetween(cursor, (long) capacity);
            BufferStatistics stats = allocator.statistics();
            assertThat(stats.capacity()).isEqualTo(capacity);
            assertThat(stats.fallbackCount()).as("fallback count").isEqualTo(fallbackCount);
            assertThat(stats.fallbackBytes()).as("fallback bytes").isEqualTo(fallbackBytes);
            assertThat(stats.peakDemand()).as("peak demand")
                    .isEqualTo(Math.max(peakDemand, cursor + spill));
            long liveFallback = live.stream().filter(b -> !b.inBuffer).count();
            assertThat(stats.liveFallbackBlocks()).as("live fallback blocks").isEqualTo(liveFallback);
            assertThat(fallback.outstanding()).as("the fallback's own live blocks").hasSize((int) liveFallback);
            assertThat(stats.liveFallbackBytes()).isEqualTo(
                    live.stream().filter(b -> !b.inBuffer).mapToLong(b -> b.segment.byteSize()).sum());
            for (Block block : live) {
                checkPattern(block.segment, block.segment.byteSize(), block.pattern);
                if (block.inBuffer) {
                    long offset = block.segment.address() - buffer.address();
                    assertThat(offset).as("in buffer: " + describe(block)).isBetween(0L, (long) capacity);
                    if (block.segment.byteSize() > 0) {   // an empty block may lie past a rewound cursor
                        assertThat(offset + block.segment.byteSize()).as("in use: " + describe(block))
                                .isLessThanOrEqualTo(cursor);
                    }
                    assertThat(block.segment.isNative()).isEqualTo(setup.nativeBuffer);
                } else {
                    assertThat(fallback.outstanding()).as("tracked fallback block").contains(block.segment);
                }
            }
            List<Block> inBuffer = live.stream().filter(Block::inBuffer).filter(b -> b.segment.byteSize() > 0)
                    .sorted((a, b) -> Long.compare(a.segment.address(), b.segment.address())).toList();
            for (int i = 1; i < inBuffer.size(); i++) {
                MemorySegment previous = inBuffer.get(i - 1).segment;
                assertThat(previous.address() + previous.byteSize()).as("blocks never overlap")
                        .isLessThanOrEqualTo(inBuffer.get(i).segment.address());
            }
        }

        void fill(Block block) {
            block.segment.fill(block.pattern);
        }

        void checkPattern(MemorySegment segment, long length, byte pattern) {
            for (long i = 0; i < length; i++) {
                if (segment.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != pattern) {
                    throw new AssertionError("byte " + i + " of " + segment + " changed");
                }
            }
        }

        /** The call must throw {@code type} and leave the allocator exactly as it was. */
        void expectUnchanged(Class<? extends Throwable> type, Runnable call) {
            BufferStatistics before = allocator.statistics();
            long fallbackCalls = fallback.calls();
            org.junit.jupiter.api.Assertions.assertThrows(type, call::run);
            assertThat(allocator.statistics()).isEqualTo(before);
            assertThat(fallback.calls()).isEqualTo(fallbackCalls);
        }

        String describe(Block block) {
            return (block.inBuffer ? "buffer+" + (block.segment.address() - buffer.address()) : "fallback")
                    + "/" + block.segment.byteSize();
        }

        static long alignUp(long value, long alignment) {
            return (value + alignment - 1) / alignment * alignment;
        }
    }
}
