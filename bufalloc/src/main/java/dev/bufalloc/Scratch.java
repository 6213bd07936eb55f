package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;

import java.lang.foreign.Arena;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-thread scratch memory, like LWJGL's {@code MemoryStack.stackPush()}, sound for millions of virtual
 * threads: {@link #push()} opens a {@link Frame} on a scratch buffer the thread borrows from a pool for as
 * long as it has a frame open.
 *
 * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="Scratch"}
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Borrowing:</b> a thread's outermost frame borrows a buffer allocator from a pool of a few per
 *       processor; frames pushed inside it use the same one; when the outermost frame closes, everything is
 *       given back and the allocator returns to the pool. Memory is proportional to the frames open at once,
 *       never to the threads ever made. When every pooled allocator is busy, a new one is made, and kept
 *       only if the pool has room when it comes back.</li>
 *   <li><b>Size:</b> every buffer holds {@value #DEFAULT_SIZE} bytes, or what the system property
 *       {@value #SIZE_PROPERTY} says when this class is initialized (bytes, or with a {@code k}/{@code m}
 *       suffix: {@code -Dbufalloc.scratch.size=256k}), or what {@link #setBufferSize} set last.</li>
 *   <li><b>Full buffer:</b> requests that do not fit go to {@link MallocAllocator} and are freed when their
 *       frame closes; nothing fails for lack of room.</li>
 *   <li><b>Threads:</b> a frame, and the allocator behind it, are confined to the thread that pushed it;
 *       two threads never share a buffer at once. A virtual thread may move between carriers inside a frame.</li>
 *   <li><b>Lifetime:</b> buffers are native memory of automatic arenas, freed by the garbage collector when
 *       the pool lets them go. A thread that ends with a frame open (a leak) strands nothing: its allocator,
 *       buffer and fallback blocks are freed by the garbage collector once nothing can use them.</li>
 *   <li><b>Misuse:</b> closing an outer frame while inner ones are open closes them too, then throws
 *       {@link IllegalStateException}; the thread's next frame works as usual.</li>
 *   <li><b>Alignment and zeroing</b> are those of {@link BufferAllocator}: any alignment, not zeroed.</li>
 * </ul>
 */
public final class Scratch {

    /** The system property that sets the buffer size when this class is initialized. */
    public static final String SIZE_PROPERTY = "bufalloc.scratch.size";
    /** The buffer size when the property is not set: 64 KiB. */
    public static final long DEFAULT_SIZE = 64 * 1024;

    private static final int SLOTS = Integer.highestOneBit(Math.max(8, 4 * Runtime.getRuntime().availableProcessors() - 1));
    /** Idle allocators; a thread looks first in the slot its id picks, then in the next ones. */
    private static final AtomicReferenceArray<ConfinedBufferAllocator> POOL = new AtomicReferenceArray<>(SLOTS);
    /** Allocators made because the pool had none idle: counted off the hot path, where one is made. */
    private static final LongAdder MADE = new LongAdder();
    /** The allocator a thread has borrowed, while it has a frame open. */
    private static final ThreadLocal<ConfinedBufferAllocator> BORROWED = new ThreadLocal<>();

    /** The property as it was when this class was initialized. */
    private static final String SIZE_SETTING = System.getProperty(SIZE_PROPERTY);
    private static volatile long bufferSize = -1;   // -1: not parsed yet (an invalid setting throws on every push)

    private Scratch() {}

    /**
     * Opens a frame on this thread's scratch allocator, borrowing one if the thread has no frame open.
     *
     * @return a new frame; close it on this thread, innermost first
     * @throws IllegalArgumentException if {@value #SIZE_PROPERTY} was set to an invalid size, and
     *         {@link #setBufferSize} was not called
     */
    public static Frame push() {
        ConfinedBufferAllocator allocator = BORROWED.get();
        if (allocator == null || allocator.isClosed()) {
            allocator = borrow();
        }
        return allocator.push();
    }

    /**
     * Sets the size of the scratch buffers made from now on; idle buffers of another size are let go.
     *
     * @param bytes the size of each buffer, at least one byte
     * @throws IllegalArgumentException if {@code bytes < 1}
     */
    public static void setBufferSize(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("Invalid scratch buffer size: " + bytes + " (must be >= 1)");
        }
        bufferSize = bytes;
    }

    /**
     * {@return the size of the scratch buffers made from now on}
     *
     * @throws IllegalArgumentException if {@value #SIZE_PROPERTY} was set to an invalid size, and
     *         {@link #setBufferSize} was not called
     */
    public static long bufferSize() {
        long size = bufferSize;
        if (size < 0) {
            size = parseSize(SIZE_SETTING);
            bufferSize = size;
        }
        return size;
    }

    /**
     * {@return a snapshot of the scratch pool's numbers} Any thread may call this, at any time: it counts the
     * idle buffers by looking at each slot of the pool, so the numbers are each exact when read but, while
     * other threads push and close frames, not one instant's. It costs a look at each of the pool's
     * {@linkplain ScratchStatistics#poolSlots() slots} (a few per processor), and {@link #push()} pays nothing
     * for it.
     *
     * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="Scratch.statistics"}
     *
     * @throws IllegalArgumentException if {@value #SIZE_PROPERTY} was set to an invalid size, and
     *         {@link #setBufferSize} was not called
     */
    public static ScratchStatistics statistics() {
        long size = bufferSize();
        int idle = 0;
        for (int i = 0; i < SLOTS; i++) {
            idle += POOL.get(i) != null ? 1 : 0;
        }
        return new ScratchStatistics(size, SLOTS, idle, MADE.sum());
    }

    private static ConfinedBufferAllocator borrow() {
        Thread thread = Thread.currentThread();
        long size = bufferSize();
        ConfinedBufferAllocator allocator = null;
        int first = (int) thread.threadId();
        for (int i = 0; i < SLOTS && allocator == null; i++) {
            int slot = (first + i) & (SLOTS - 1);
            // Read before taking: an empty slot costs a shared read, not an atomic write that pulls the pool's
            // cache line away from the other carriers.
            ConfinedBufferAllocator idle = POOL.get(slot);
            if (idle != null && POOL.compareAndSet(slot, idle, null) && idle.capacity() == size) {
                allocator = idle;
            }   // an idle allocator of an old size is let go
        }
        if (allocator == null) {
            allocator = new ConfinedBufferAllocator(Arena.ofAuto().allocate(size, 16), MallocAllocator.instance(), true,
                    Scratch::giveBack);
            allocator.named("Scratch");
            MADE.increment();
            allocator.diagnostics.scratchExhausted(allocator, size, SLOTS);
        }
        allocator.lendTo(thread);
        BORROWED.set(allocator);
        return allocator;
    }

    /** The outermost frame of {@code allocator} closed: it holds nothing; put it back in the pool. */
    private static void giveBack(ConfinedBufferAllocator allocator) {
        BORROWED.set(null);   // not remove(): the next push would make a new map entry (garbage per request)
        allocator.reset();   // also the blocks allocated through it outside any frame
        allocator.lendTo(ConfinedBufferAllocator.POOLED);
        if (allocator.capacity() != bufferSize) {
            return;
        }
        int first = (int) Thread.currentThread().threadId();
        boolean fresh = allocator.diagnostics.takeFresh();   // before the pool publishes it to other threads
        for (int i = 0; i < SLOTS; i++) {
            int slot = (first + i) & (SLOTS - 1);
            if (POOL.get(slot) == null && POOL.compareAndSet(slot, null, allocator)) {
                allocator.diagnostics.scratchGrown(fresh, allocator, allocator.capacity(), POOL);
                return;
            }
        }   // the pool is full: let the garbage collector have it
    }

    /** Parses a size such as {@code 65536}, {@code 64k} or {@code 1m}; null gives the default. */
    static long parseSize(String text) {
        if (text == null) {
            return DEFAULT_SIZE;
        }
        String value = text.strip().toLowerCase(Locale.ROOT);
        long unit = value.endsWith("k") ? 1024 : value.endsWith("m") ? 1024 * 1024 : 1;
        try {
            long size = Math.multiplyExact(Long.parseLong(unit == 1 ? value : value.substring(0, value.length() - 1)), unit);
            if (size > 0) {
                return size;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below
        }
        throw new IllegalArgumentException("Invalid " + SIZE_PROPERTY + ": '" + text
                + "' (a positive number of bytes, optionally with k or m)");
    }
}
