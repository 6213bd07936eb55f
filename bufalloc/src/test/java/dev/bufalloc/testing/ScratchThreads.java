package dev.bufalloc.testing;

import dev.bufalloc.Frame;
import dev.bufalloc.Scratch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * Fresh virtual threads using {@link Scratch}, for tests of the scratch pool and of what reports on it:
 * threads that hold frames at once, and one thread that pushes a frame and ends.
 */
public final class ScratchThreads {

    private ScratchThreads() {
    }

    /**
     * Starts {@code threads} virtual threads, each pushing a scratch frame and filling {@code bytes} of it;
     * once all hold their frame, calls {@code whileHeld}, then lets them close their frames and joins them,
     * whether or not {@code whileHeld} threw.
     *
     * @return what {@code whileHeld} returned
     */
    public static <T> T holdingFrames(int threads, long bytes, Supplier<T> whileHeld) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(threads);
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                workers.add(Thread.ofVirtual().start(() -> {
                    try (Frame frame = Scratch.push()) {
                        frame.allocate(bytes).fill((byte) 1);
                        holding.countDown();
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            holding.await();
            return whileHeld.get();
        } finally {
            release.countDown();
            for (Thread worker : workers) {
                worker.join();
            }
        }
    }

    /** Pushes a scratch frame on a new virtual thread, allocates {@code bytes} in it, closes it and joins the thread. */
    public static void pushOnNewThread(long bytes) throws InterruptedException {
        Thread.ofVirtual().start(() -> {
            try (Frame frame = Scratch.push()) {
                frame.allocate(bytes);
            }
        }).join();
    }
}
