package dev.bufalloc.system;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The safe malloc allocator at scale: many live blocks, many threads, threads that end without freeing. Each
 * thread keeps its blocks in a table of its own; these check that the table neither loses nor leaks blocks.
 */
class MallocAllocatorScaleTest {

    private static final MallocAllocator MALLOC = MallocAllocator.instance();

    @Test
    void aQuarterMillionLiveBlocksFreedInRandomOrderAllGoBackAndEachStaleOneThrows() {
        long baseline = MALLOC.liveBlocks();
        List<MemorySegment> blocks = new ArrayList<>();
        for (int i = 0; i < 250_000; i++) {
            MemorySegment block = MALLOC.allocate(8 + i % 64, 8);
            block.set(JAVA_LONG, 0, i);
            blocks.add(block);
        }
        assertThat(MALLOC.liveBlocks() - baseline).isEqualTo(250_000);
        Collections.shuffle(blocks, new Random(20261204));
        for (MemorySegment block : blocks) {
            MALLOC.free(block);
        }
        assertThat(MALLOC.liveBlocks()).isEqualTo(baseline);
        for (MemorySegment block : blocks.subList(0, 1_000)) {
            assertThatThrownBy(() -> block.get(JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> MALLOC.free(block)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void threadsThatEndWithoutFreeingTheirBlocksGiveThemBackThroughTheGarbageCollector() throws Exception {
        long baseline = MALLOC.liveBlocks();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int wave = 0; wave < 10; wave++) {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        for (int b = 0; b < 3; b++) {
                            MALLOC.allocate(64, 8).fill((byte) b);   // never freed
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
        }
        assertThat(failure.get()).isNull();
        long deadline = System.currentTimeMillis() + 20_000;
        while (MALLOC.liveBlocks() > baseline && System.currentTimeMillis() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        assertThat(MALLOC.liveBlocks()).as("blocks of 10,000 ended threads, after GC").isLessThanOrEqualTo(baseline);
    }

    @Test
    void eachThreadFreesItsOwnBlocksAndAnotherThreadsBlockIsRefusedAsConfined() throws Exception {
        MemorySegment mine = MALLOC.allocate(16, 8);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread other = Thread.ofPlatform().start(() -> {
            MemorySegment theirs = MALLOC.allocate(16, 8);
            try {
                MALLOC.free(mine);
            } catch (Throwable e) {
                thrown.set(e);
            }
            MALLOC.free(theirs);
        });
        other.join();
        assertThat(thrown.get()).isInstanceOf(WrongThreadException.class);
        MALLOC.free(mine);
        assertThatThrownBy(() -> MALLOC.free(mine)).isInstanceOf(IllegalArgumentException.class);
    }
}
