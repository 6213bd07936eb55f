package dev.bufalloc.safety;

import static dev.bufalloc.safety.ScenarioOutcome.correct;
import static dev.bufalloc.safety.ScenarioOutcome.setupFailed;
import static dev.bufalloc.safety.ScenarioOutcome.wrong;

import dev.bufalloc.Allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;

/**
 * Stale uses of segments that bufalloc handed out, one per scenario, each run by {@link StaleUseTest} in a
 * child JVM of its own because on a broken allocator it crashes the JVM (SIGSEGV on unmapped memory) or
 * corrupts the C heap (the next malloc aborts). The correct behaviour is that the stale use throws
 * {@link IllegalStateException}, as a closed {@code Arena}'s segments do (or, where the memory is the
 * caller's own buffer, reads that buffer).
 *
 * <p>Run one: {@code java --enable-native-access=ALL-UNNAMED -cp <test class path>
 * dev.bufalloc.safety.StaleUseScenarios NAME}. Exit status: 0 correct ("CORRECT: ..." on stdout), 3 wrong
 * ("WRONG: ..."), 2 the scenario could not set itself up; a crash exits with 1 and a fatal error report
 * (core dumps off) or 134 (abort).
 *
 * <p>Blocks of 1 MiB are above glibc's mmap threshold: once freed they are unmapped, so a read that
 * wrongly succeeds crashes instead of returning stale bytes.
 */
public final class StaleUseScenarios {

    static final int EXIT_WRONG = ScenarioOutcome.EXIT_WRONG;
    static final int EXIT_SETUP_FAILED = ScenarioOutcome.EXIT_SETUP_FAILED;
    private static final long BIG = 1 << 20;
    private static final long SMALL = 200;

    /** The scenarios, by the item they reproduce. */
    enum Scenario {
        // Item 2: crashes through stale segments, no restricted call in user code.
        ARRAY_DATA_AFTER_GROWTH("2", "DynamicArray.data() kept across a growth, then read"),
        SCRATCH_FALLBACK_AFTER_FRAME_CLOSE("2", "a Scratch frame's fallback block read after the frame closed"),
        MALLOC_BLOCK_AFTER_FREE("2", "a MallocAllocator block read after free"),
        FALLBACK_BLOCK_AFTER_RESET("2", "a BufferAllocator fallback block read after reset()"),
        ARENA_VIEW_OVER_COLLECTED_AUTO_BUFFER("2", "a frame.asArena() segment read after its Arena.ofAuto() buffer was"
                + " collected"),
        // Item 3: checked mode.
        CHECKED_FALLBACK_WRITE_AFTER_FRAME_CLOSE("3", "checked mode: a fallback block allocated in a frame, written"
                + " after the frame's close freed it, then malloc"),
        CHECKED_BUFFER_BLOCK_AFTER_FRAME_CLOSE("3", "checked mode: a buffer block read after its frame closed"),
        CHECKED_FALLBACK_AFTER_FREE("3", "checked mode: a fallback block read after free"),
        CHECKED_FREE_OF_PREVIOUS_GENERATION("3", "checked mode: free() of a fallback block from before reset(), whose"
                + " address a live block of the new generation has"),
        CHECKED_REALLOCATE_OF_PREVIOUS_GENERATION("3", "checked mode: reallocate() of a fallback block from before"
                + " reset(), whose address a live block of the new generation has"),
        CHECKED_ARRAY_VIEW_AFTER_GROWTH("3", "checked mode: a DynamicArray data() view read after the array grew");

        final String item;
        final String description;

        Scenario(String item, String description) {
            this.item = item;
            this.description = description;
        }

        String argument() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private StaleUseScenarios() {}

    public static void main(String[] args) {
        Scenario scenario = Scenario.valueOf(args[0].toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        System.out.println("scenario " + scenario.argument() + " (item " + scenario.item + "): " + scenario.description);
        try {
            run(scenario);
        } catch (Throwable t) {
            System.out.println("ERROR: the scenario threw " + t);
            t.printStackTrace(System.out);
            System.exit(EXIT_SETUP_FAILED);
        }
        System.out.flush();
        System.exit(0);
    }

    private static void run(Scenario scenario) throws Exception {
        switch (scenario) {
            case ARRAY_DATA_AFTER_GROWTH -> arrayDataAfterGrowth(Kind.MALLOC.open().allocator(), BIG / Long.BYTES);
            case SCRATCH_FALLBACK_AFTER_FRAME_CLOSE -> {
                Kind.Subject frame = Kind.scratchPush();
                MemorySegment block = frame.allocator().allocate(BIG, 8);
                block.fill((byte) 1);
                frame.close();
                expectIllegalState("reading the fallback block after its frame closed", () -> read(block));
            }
            case MALLOC_BLOCK_AFTER_FREE -> {
                Allocator malloc = Kind.MALLOC.open().allocator();
                MemorySegment block = malloc.allocate(BIG, 8);
                block.fill((byte) 1);
                malloc.free(block);
                expectIllegalState("reading the malloc block after free", () -> read(block));
            }
            case FALLBACK_BLOCK_AFTER_RESET -> {
                Kind.Subject allocator = Kind.BUFFER.open(Arena.ofConfined().allocate(64));
                MemorySegment block = allocator.allocator().allocate(BIG, 8);
                block.fill((byte) 1);
                allocator.reset();
                expectIllegalState("reading the fallback block after reset()", () -> read(block));
            }
            case ARENA_VIEW_OVER_COLLECTED_AUTO_BUFFER -> arenaViewOverCollectedAutoBuffer();
            case CHECKED_FALLBACK_WRITE_AFTER_FRAME_CLOSE -> {
                Allocator malloc = Kind.MALLOC.open().allocator();
                MemorySegment other = malloc.allocate(SMALL, 8);
                Kind.Subject allocator = Kind.CHECKED.open(Arena.ofConfined().allocate(64));
                Kind.Subject frame = allocator.push();
                MemorySegment block = frame.allocator().allocate(SMALL, 8);   // does not fit: a fallback block
                malloc.free(other);   // the program frees a block of that size, as programs do
                frame.close();        // frees the fallback block: the first of malloc's free list of that size
                try {
                    block.fill((byte) 0x77);
                } catch (IllegalStateException e) {
                    correct("writing the fallback block after its frame closed threw " + e);
                    return;
                }
                System.out.println("the write into the freed block returned; now malloc, as the program goes on:");
                System.out.flush();
                for (int i = 0; i < 1000; i++) {
                    MemorySegment next = malloc.allocate(SMALL, 8);
                    malloc.allocate(SMALL, 8);
                    malloc.free(next);
                }
                wrong("writing the fallback block after its frame closed returned normally: it wrote into memory the"
                        + " frame's close had given back to malloc (the C heap survived this time)");
            }
            case CHECKED_BUFFER_BLOCK_AFTER_FRAME_CLOSE -> {
                Kind.Subject allocator = Kind.CHECKED.open(Arena.ofAuto().allocate(64));
                Kind.Subject frame = allocator.push();
                MemorySegment block = frame.allocator().allocate(16, 8);
                block.set(ValueLayout.JAVA_LONG, 0, 42);
                frame.close();
                expectIllegalState("reading the buffer block after its frame closed", () -> read(block));
            }
            case CHECKED_FALLBACK_AFTER_FREE -> {
                Kind.Subject allocator = Kind.CHECKED.open(Arena.ofConfined().allocate(64));
                MemorySegment block = allocator.allocator().allocate(SMALL, 8);
                block.fill((byte) 1);
                allocator.allocator().free(block);
                expectIllegalState("reading the fallback block after free", () -> read(block));
            }
            case CHECKED_FREE_OF_PREVIOUS_GENERATION -> previousGeneration(false);
            case CHECKED_REALLOCATE_OF_PREVIOUS_GENERATION -> previousGeneration(true);
            case CHECKED_ARRAY_VIEW_AFTER_GROWTH -> {
                Kind.Subject allocator = Kind.CHECKED.open(Arena.ofAuto().allocate(4096));
                Kind.LongArray array = Kind.longArray(allocator.allocator(), 8);
                for (int i = 0; i < 8; i++) {
                    array.push(i);
                }
                MemorySegment view = array.data();
                allocator.allocator().allocate(8, 8);   // a block after the array: it cannot grow in place
                array.push(8);
                if (array.data().address() == view.address()) {
                    setupFailed("the array grew in place; the scenario needs it to move");
                }
                expectIllegalState("reading the data() view from before the growth", () -> read(view));
            }
        }
    }

    /** Grows an array over {@code allocator} until its storage moves, then reads a data() view from before. */
    static void arrayDataAfterGrowth(Allocator allocator, long capacity) {
        for (int attempt = 0; attempt < 20; attempt++) {
            Kind.LongArray array = Kind.longArray(allocator, capacity);
            for (long i = 0; i < capacity; i++) {
                array.push(i);
            }
            MemorySegment view = array.data();
            array.push(-1);   // full: grows by reallocate
            if (array.data().address() != view.address()) {
                expectIllegalState("reading the data() view from before the growth", () -> read(view));
                return;
            }
            // Grown in place: keep it (it blocks the space after the next one) and try again.
        }
        setupFailed("the array grew in place 20 times; the scenario needs it to move");
    }

    private static void arenaViewOverCollectedAutoBuffer() throws InterruptedException {
        ViewBlock view = viewBlockOverAutoBuffer();
        MemorySegment block = view.block();
        for (int i = 0; i < 100 && view.bufferScope().get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        boolean collected = view.bufferScope().get() == null;   // else the view keeps its buffer alive: fine
        System.out.println("the automatic buffer was " + (collected ? "" : "not ") + "collected");
        Thread.sleep(300);   // its Cleaner frees (unmaps) the memory
        System.gc();
        Thread.sleep(100);
        byte value;
        try {
            value = block.get(ValueLayout.JAVA_BYTE, 0);
        } catch (IllegalStateException e) {
            correct("reading the view's segment threw " + e);
            return;
        }
        for (long offset = 0; offset < block.byteSize(); offset += 4096) {
            if (block.get(ValueLayout.JAVA_BYTE, offset) != 0x5A) {
                wrong("the view's segment read 0x" + Integer.toHexString(value & 0xFF) + " at offset " + offset
                        + ", not the 0x5A written: it reads memory freed with the collected buffer");
            }
        }
        correct("the view's segment kept its buffer alive and read what was written");
    }

    /** A segment of a frame's Arena view, and the scope of the automatic buffer under it, weakly. */
    private record ViewBlock(MemorySegment block, WeakReference<MemorySegment.Scope> bufferScope) {}

    /** Returns a segment of a frame's Arena view over an automatic buffer; nothing else stays reachable. */
    private static ViewBlock viewBlockOverAutoBuffer() {
        MemorySegment buffer = Arena.ofAuto().allocate(BIG, 16);
        WeakReference<MemorySegment.Scope> bufferScope = new WeakReference<>(buffer.scope());
        Kind.Subject allocator = Kind.BUFFER.open(buffer);
        Kind.Subject frame = allocator.push();   // never closed: the program dropped it
        MemorySegment block = frame.asArena().allocate(BIG / 2, 8);
        block.fill((byte) 0x5A);
        return new ViewBlock(block, bufferScope);
    }

    /**
     * A checked allocator's fallback block from before a reset, freed (or reallocated) while a block of the new
     * generation has its address and size: the call must be refused, and the live block stay live.
     */
    private static void previousGeneration(boolean reallocate) {
        Kind.Subject allocator = Kind.CHECKED.open(Arena.ofConfined().allocate(64));
        Allocator blocks = allocator.allocator();
        for (int attempt = 0; attempt < 50; attempt++) {
            MemorySegment old = blocks.allocate(SMALL, 8);   // does not fit: a fallback block
            allocator.reset();                              // frees it
            MemorySegment current = blocks.allocate(SMALL, 8);
            if (current.address() != old.address()) {
                allocator.reset();
                continue;
            }
            current.fill((byte) 3);
            long liveBefore = Kind.mallocLiveBlocks();
            String call = (reallocate ? "reallocate" : "free") + "() of the block from before reset()";
            try {
                if (reallocate) {
                    blocks.reallocate(old, 2 * SMALL, 8);
                } else {
                    blocks.free(old);
                }
            } catch (IllegalArgumentException | IllegalStateException e) {
                if (Kind.mallocLiveBlocks() != liveBefore) {
                    wrong(call + " threw " + e + " but changed the live malloc blocks from " + liveBefore + " to "
                            + Kind.mallocLiveBlocks());
                }
                correct(call + " threw " + e + "; the new generation's block at the same address is still live");
                return;
            } catch (RuntimeException | Error e) {
                wrong(call + " threw the undocumented " + e + ", after it reached the live block of the new"
                        + " generation at the same address (live malloc blocks " + liveBefore + " -> "
                        + Kind.mallocLiveBlocks() + ")");
            }
            wrong(call + " returned normally: it " + (reallocate ? "moved" : "freed") + " the live block of the new"
                    + " generation at the same address (live malloc blocks " + liveBefore + " -> "
                    + Kind.mallocLiveBlocks() + ")");
        }
        // malloc never put the new generation's block at the old address: the call must still be refused.
        MemorySegment old = blocks.allocate(SMALL, 8);
        allocator.reset();
        blocks.allocate(SMALL, 8);
        String call = (reallocate ? "reallocate" : "free") + "() of a block from before reset()";
        try {
            if (reallocate) {
                blocks.reallocate(old, 2 * SMALL, 8);
            } else {
                blocks.free(old);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            correct(call + " threw " + e + " (malloc never reused the address, so no live block was at stake)");
            return;
        } catch (RuntimeException | Error e) {
            wrong(call + " threw the undocumented " + e);
        }
        wrong(call + " returned normally");
    }

    private static void read(MemorySegment segment) {
        long sum = 0;
        for (long offset = 0; offset < segment.byteSize(); offset += 4096) {
            sum += segment.get(ValueLayout.JAVA_BYTE, offset);
        }
        System.out.println("read returned (byte sum " + sum + ")");
    }

    private static void expectIllegalState(String what, Runnable access) {
        try {
            access.run();
        } catch (IllegalStateException e) {
            correct(what + " threw " + e);
            return;
        }
        wrong(what + " returned normally: it read memory that was given back");
    }
}
