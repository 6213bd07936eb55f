package dev.bufalloc.safety;

import dev.bufalloc.Allocator;
import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;
import dev.bufalloc.Frame;
import dev.bufalloc.Scratch;
import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;

/**
 * Every kind of allocator the safety tests attack, and the ONLY file of this package that names
 * bufalloc's factories and concrete types. The core is being rewritten (BufferAllocator may become an
 * interface with {@code ofShared(...)}, MallocAllocator may move to {@code dev.bufalloc.system}, a raw
 * unscoped malloc may become an explicit opt-in): when a name changes, only the lines between the
 * "API coupling" markers below change, and {@link SafetySourceScanTest} fails if another file of the
 * package starts naming bufalloc types. Everything else sees an allocator through {@link Subject},
 * {@link Allocator} and {@link LongArray}.
 *
 * <p>{@link #MALLOC} is the default, safe malloc-based allocator (the context allocator's default),
 * never a raw opt-in one: the guarantee under test does not hold for an explicitly unsafe allocator.
 */
enum Kind {

    /** A buffer allocator over the caller's buffer, falling back to the context allocator (malloc). */
    BUFFER(true, true, true, false, Fallback.NATIVE),
    /** A buffer allocator whose fallback is the Java heap allocator. */
    BUFFER_HEAP_FALLBACK(true, true, true, false, Fallback.HEAP),
    /** A buffer allocator with no fallback: a full buffer throws IndexOutOfBoundsException. */
    BUFFER_NO_FALLBACK(true, true, true, false, Fallback.NONE),
    /** A checked buffer allocator (falling back to the context allocator): every stale use must throw. */
    CHECKED(true, true, true, true, Fallback.NATIVE),
    /**
     * A growing buffer allocator: a full buffer bumps on in chunks taken from the context allocator (malloc),
     * kept until close; oversized requests get C-library blocks of their own.
     */
    GROWING(true, true, true, false, Fallback.NATIVE, true),
    /** A growing buffer allocator whose chunks (and oversized blocks) come from the Java heap allocator. */
    GROWING_HEAP_FALLBACK(true, true, true, false, Fallback.HEAP, true),
    /** The thread-safe buffer allocator, falling back to the context allocator. */
    SHARED(true, false, false, false, Fallback.NATIVE),
    /** The default malloc allocator. */
    MALLOC(false, false, false, false, Fallback.NONE),
    /** The Java heap allocator. */
    HEAP(false, false, false, false, Fallback.NONE),
    /**
     * This thread's scratch allocator: frames come from {@code Scratch.push()}. It grows: its chunks are
     * automatic memory, never freed while a block can reach them.
     */
    SCRATCH(false, true, true, false, Fallback.NATIVE, true);

    /** Where a buffer allocator's requests go when its buffer is full. */
    enum Fallback { NATIVE, HEAP, NONE }

    /** Whether the kind is made over a caller's buffer. */
    final boolean overBuffer;
    /** Whether it has frames (push). */
    final boolean frames;
    /** Whether it is confined to the thread that made it (other threads get WrongThreadException). */
    final boolean confined;
    /** Whether it is in checked mode. */
    final boolean checked;
    final Fallback fallback;
    /** Whether a full buffer bumps on in chunks it takes from the fallback and keeps (see {@link Subject#chunkProbe}). */
    final boolean growing;

    Kind(boolean overBuffer, boolean frames, boolean confined, boolean checked, Fallback fallback) {
        this(overBuffer, frames, confined, checked, fallback, false);
    }

    Kind(boolean overBuffer, boolean frames, boolean confined, boolean checked, Fallback fallback, boolean growing) {
        this.overBuffer = overBuffer;
        this.frames = frames;
        this.confined = confined;
        this.checked = checked;
        this.fallback = fallback;
        this.growing = growing;
    }

    /**
     * What the model may read of a growing allocator, without keeping it reachable: {@link #read()} gives
     * {@code {usedBytes, chunks, chunkBytes}} (the bytes in use in the buffer and the chunks, and the chunks it
     * holds, from its statistics), or null once the allocator was collected.
     */
    interface ChunkProbe {
        long[] read();
    }

    /**
     * What a test does to an allocator of any kind, whatever bufalloc calls its type: a buffer allocator,
     * a frame, the scratch allocator, malloc or the heap. Operations a kind does not have throw
     * {@link UnsupportedOperationException} from this interface (never from bufalloc), so callers check
     * the kind first.
     */
    interface Subject {
        /** The allocator itself, to allocate, reallocate and free through, or to hand to an array. */
        Allocator allocator();

        /** Makes the whole buffer free again (buffer allocators). */
        default void reset() {
            throw new UnsupportedOperationException("no reset: " + allocator());
        }

        /** Closes the allocator or the frame. */
        default void close() {
            throw new UnsupportedOperationException("no close: " + allocator());
        }

        /** Opens a frame (buffer allocators with frames, and the scratch allocator). */
        default Subject push() {
            throw new UnsupportedOperationException("no frames: " + allocator());
        }

        /** The frame's Arena view (frames). */
        default Arena asArena() {
            throw new UnsupportedOperationException("not a frame: " + allocator());
        }

        /** The bytes of the buffer in use (buffer allocators). */
        default long usedBytes() {
            throw new UnsupportedOperationException("no buffer: " + allocator());
        }

        /** The buffer's size (buffer allocators). */
        default long capacity() {
            throw new UnsupportedOperationException("no buffer: " + allocator());
        }

        /** What the model may read of the allocator's chunks ({@linkplain Kind#growing growing} kinds). */
        default ChunkProbe chunkProbe() {
            throw new UnsupportedOperationException("no chunks: " + allocator());
        }
    }

    /** A growable array of {@code long}s over an allocator: bufalloc's dynamic array, as the tests use it. */
    interface LongArray extends AutoCloseable {
        void push(long value);

        long get(long index);

        /** The elements as one segment: a view valid until the array grows or closes. */
        MemorySegment data();

        long size();

        long capacity();

        void reserve(long minCapacity);

        @Override
        void close();
    }

    /**
     * Returns a new allocator of this kind over {@code buffer} (kinds {@linkplain #overBuffer over a
     * buffer}), or the allocator of this kind (the others; {@code buffer} is ignored).
     *
     * @throws IllegalStateException if a live allocator manages part of {@code buffer}
     * @throws IllegalArgumentException if {@code buffer} is of a closed arena, or empty
     */
    Subject open(MemorySegment buffer) {
        // ---- API coupling: constructions (begin) ----
        return switch (this) {
            case BUFFER -> bufferAllocator(BufferAllocator.of(buffer));
            case BUFFER_HEAP_FALLBACK -> bufferAllocator(BufferAllocator.of(buffer, HeapAllocator.instance()));
            case BUFFER_NO_FALLBACK -> bufferAllocator(BufferAllocator.withoutFallback(buffer));
            case CHECKED -> bufferAllocator(BufferAllocator.ofChecked(buffer));
            case GROWING -> bufferAllocator(BufferAllocator.ofGrowing(buffer));
            case GROWING_HEAP_FALLBACK -> bufferAllocator(BufferAllocator.ofGrowing(buffer, HeapAllocator.instance()));
            case SHARED -> sharedAllocator(BufferAllocator.ofShared(buffer));
            case MALLOC -> MallocAllocator::instance;
            case HEAP -> HeapAllocator::instance;
            case SCRATCH -> scratch();
        };
        // ---- API coupling: constructions (end) ----
    }

    /** Returns the allocator of a kind not made over a buffer. */
    Subject open() {
        if (overBuffer) {
            throw new IllegalArgumentException(this + " needs a buffer");
        }
        return open(null);
    }

    // ---- API coupling: everything below names bufalloc's types ----

    /**
     * This thread's scratch memory: an outermost {@code Scratch.push()} frame held open (so the thread keeps
     * its borrowed allocator); it allocates through the borrowed allocator, {@code frame.allocator()}, which
     * allocates in the innermost open frame, as application code that holds the allocator does (through the
     * outer frame itself, it would be refused while inner frames are open). {@code push()} is
     * {@code Scratch.push()}, and {@code reset()} closes the outer frame (giving everything back, inner
     * frames too) and pushes a new one.
     */
    static Subject scratch() {
        Frame[] outer = {Scratch.push()};
        return new Subject() {
            @Override public Allocator allocator() { return outer[0].allocator(); }
            @Override public void reset() {
                try {
                    outer[0].close();
                } catch (IllegalStateException forgottenInnerFrames) {
                    // closed all the same, inner frames with it: the misuse is the fuzzer's own
                }
                outer[0] = Scratch.push();
            }
            @Override public Subject push() { return frame(Scratch.push()); }
            @Override public long usedBytes() { return outer[0].allocator().usedBytes(); }
            @Override public long capacity() { return outer[0].allocator().capacity(); }
            @Override public ChunkProbe chunkProbe() { return () -> chunkState(outer[0].allocator()); }
        };
    }

    /** {@code {usedBytes, chunks, chunkBytes}} of {@code allocator}, or null. */
    private static long[] chunkState(BufferAllocator allocator) {
        if (allocator == null) {
            return null;
        }
        BufferStatistics statistics = allocator.statistics();
        return new long[] {allocator.usedBytes(), statistics.chunks(), statistics.chunkBytes()};
    }

    /** A frame on this thread's scratch allocator: {@code Scratch.push()}. */
    static Subject scratchPush() {
        return frame(Scratch.push());
    }

    /** The size of every thread's scratch buffer: {@code Scratch.bufferSize()}. */
    static long scratchBufferSize() {
        return Scratch.bufferSize();
    }

    /** The blocks the malloc allocator has handed out and not had back, across all threads. */
    static long mallocLiveBlocks() {
        return MallocAllocator.instance().liveBlocks();
    }

    /** An array of {@code long}s over {@code allocator}, with room for {@code initialCapacity} elements. */
    static LongArray longArray(Allocator allocator, long initialCapacity) {
        dev.bufalloc.array.LongArray array = dev.bufalloc.array.LongArray.of(initialCapacity, allocator);
        return new LongArray() {
            @Override public void push(long value) { array.push(value); }
            @Override public long get(long index) { return array.get(index); }
            @Override public MemorySegment data() { return array.data(); }
            @Override public long size() { return array.size(); }
            @Override public long capacity() { return array.capacity(); }
            @Override public void reserve(long minCapacity) { array.reserve(minCapacity); }
            @Override public void close() { array.close(); }
            @Override public String toString() { return "LongArray[size=" + array.size() + "]"; }
        };
    }

    private static Subject bufferAllocator(BufferAllocator allocator) {
        return new Subject() {
            @Override public Allocator allocator() { return allocator; }
            @Override public void reset() { allocator.reset(); }
            @Override public void close() { allocator.close(); }
            @Override public Subject push() { return frame(allocator.push()); }
            @Override public long usedBytes() { return allocator.usedBytes(); }
            @Override public long capacity() { return allocator.capacity(); }
            @Override public ChunkProbe chunkProbe() {
                WeakReference<BufferAllocator> weak = new WeakReference<>(allocator);
                return () -> chunkState(weak.get());
            }
        };
    }

    private static Subject sharedAllocator(BufferAllocator allocator) {
        return new Subject() {
            @Override public Allocator allocator() { return allocator; }
            @Override public void reset() { allocator.reset(); }
            @Override public void close() { allocator.close(); }
            @Override public long usedBytes() { return allocator.usedBytes(); }
            @Override public long capacity() { return allocator.capacity(); }
        };
    }

    private static Subject frame(Frame frame) {
        return new Subject() {
            @Override public Allocator allocator() { return frame; }
            @Override public void close() { frame.close(); }
            @Override public Arena asArena() { return frame.asArena(); }
        };
    }
}
