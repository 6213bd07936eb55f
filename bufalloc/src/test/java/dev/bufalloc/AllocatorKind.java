package dev.bufalloc;

import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.system.UnscopedMallocAllocator;
import dev.bufalloc.testing.CountingAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Every kind of allocator bufalloc makes, each able to make a fresh one, with what its contract
 * promises: the list that {@code AllocatorContractTest} and {@code BufferAllocatorContractTest} run
 * their rules against and that the rows of {@code docs/ERRORS.md} are expanded over, as Zig runs
 * {@code std.heap.testAllocator} against every allocator and the JDK's {@code TestSegmentAllocators}
 * drives every allocator from one enum.
 *
 * <p>This is the one place in the shared test code that calls the APIs which make allocators (the
 * factories of {@link BufferAllocator}, {@code push()}, {@code asArena()}, {@link Scratch#push()},
 * {@code instance()}, {@link ContextAllocator#current()}): a factory renamed or moved is a change to
 * {@link Factory} and {@link #make}, not to the suites. A kind added later is a constant here; every
 * rule its capabilities select then runs against it.
 */
public enum AllocatorKind {

    /** {@code BufferAllocator.of(buffer, fallback)} over native memory of a confined arena. */
    BUFFER(Type.BUFFER_ALLOCATOR, Memory.NATIVE, Factory.OF_WITH_FALLBACK, Factory.OF),
    /** {@code BufferAllocator.of(buffer, fallback)} over a {@code byte[]}: byte-aligned blocks only. */
    BUFFER_OVER_BYTES(Type.BUFFER_ALLOCATOR, Memory.BYTES, Factory.OF_WITH_FALLBACK, Factory.OF),
    /** {@code BufferAllocator.of(buffer, fallback)} over a {@code long[]}: up to 8-byte alignment. */
    BUFFER_OVER_LONGS(Type.BUFFER_ALLOCATOR, Memory.LONGS, Factory.OF_WITH_FALLBACK, Factory.OF),
    /** {@code BufferAllocator.withoutFallback(buffer)}: a full buffer throws. */
    BUFFER_WITHOUT_FALLBACK(Type.BUFFER_ALLOCATOR, Memory.NATIVE, Factory.WITHOUT_FALLBACK, Factory.WITHOUT_FALLBACK),
    /** {@code BufferAllocator.ofGrowing(buffer, fallback)}: a full buffer bumps on in chunks from the fallback. */
    GROWING(Type.BUFFER_ALLOCATOR, Memory.NATIVE, Factory.OF_GROWING_WITH_FALLBACK, Factory.OF_GROWING),
    /** {@code BufferAllocator.ofGrowing(buffer, fallback)} over a {@code byte[]}: native chunks, byte-aligned buffer. */
    GROWING_OVER_BYTES(Type.BUFFER_ALLOCATOR, Memory.BYTES, Factory.OF_GROWING_WITH_FALLBACK, Factory.OF_GROWING),
    /**
     * {@code BufferAllocator.ofChecked(buffer, fallback)} over a buffer of an arena its owner may close:
     * buffer blocks keep the buffer's scope and are poisoned when given back.
     */
    CHECKED(Type.CHECKED, Memory.NATIVE, Factory.OF_CHECKED_WITH_FALLBACK, Factory.OF_CHECKED),
    /**
     * {@code BufferAllocator.ofChecked(buffer, fallback)} over a buffer of {@code Arena.ofAuto()}: every
     * buffer block has a scope of its own, which ends when the block is given back.
     */
    CHECKED_OVER_AUTO(Type.CHECKED, Memory.AUTO, Factory.OF_CHECKED_WITH_FALLBACK, Factory.OF_CHECKED),
    /** A {@link Frame} pushed on a fresh buffer allocator with a fallback. */
    FRAME(Type.FRAME, Memory.NATIVE, Factory.OF_WITH_FALLBACK, Factory.OF),
    /** A {@link Frame} pushed on a fresh growing buffer allocator. */
    FRAME_GROWING(Type.FRAME, Memory.NATIVE, Factory.OF_GROWING_WITH_FALLBACK, Factory.OF_GROWING),
    /** A {@link Frame} pushed on a fresh buffer allocator without fallback. */
    FRAME_WITHOUT_FALLBACK(Type.FRAME, Memory.NATIVE, Factory.WITHOUT_FALLBACK, Factory.WITHOUT_FALLBACK),
    /**
     * A frame's {@link Frame#asArena() Arena view} over a buffer of an arena its owner may close: a
     * {@link SegmentAllocator}, not an {@link Allocator}, which serves every request from its own arena.
     */
    FRAME_ARENA(Type.ARENA_VIEW, Memory.NATIVE, Factory.OF_WITH_FALLBACK, Factory.OF),
    /**
     * A frame's {@link Frame#asArena() Arena view} over a buffer of {@code Arena.ofAuto()}: it serves from
     * the buffer, seen through its own scope, what fits there, and the rest from its own arena.
     */
    FRAME_ARENA_OVER_AUTO(Type.ARENA_VIEW, Memory.AUTO, Factory.OF_WITH_FALLBACK, Factory.OF),
    /** {@link Scratch#push()}: a frame on the scratch allocator this thread borrows. */
    SCRATCH(Type.SCRATCH, Memory.AUTO, null, null),
    /** {@code BufferAllocator.ofShared(buffer, fallback)} over native memory of a shared arena. */
    SHARED(Type.SHARED, Memory.NATIVE, Factory.SHARED_OF_WITH_FALLBACK, Factory.SHARED_OF),
    /** {@code BufferAllocator.ofShared(buffer, fallback)} over a {@code byte[]}. */
    SHARED_OVER_BYTES(Type.SHARED, Memory.BYTES, Factory.SHARED_OF_WITH_FALLBACK, Factory.SHARED_OF),
    /** {@code BufferAllocator.sharedWithoutFallback(buffer)}. */
    SHARED_WITHOUT_FALLBACK(Type.SHARED, Memory.NATIVE, Factory.SHARED_WITHOUT_FALLBACK, Factory.SHARED_WITHOUT_FALLBACK),
    /** {@link MallocAllocator#instance()}: every block in a confined scope of its own, ended by {@code free}. */
    MALLOC(Type.MALLOC, Memory.NATIVE, null, null),
    /** {@link UnscopedMallocAllocator#instance()}: the C library's blocks in the global scope. */
    UNSCOPED_MALLOC(Type.UNSCOPED_MALLOC, Memory.NATIVE, null, null),
    /** {@link HeapAllocator#instance()}: {@code long[]} blocks, zeroed. */
    HEAP(Type.HEAP, Memory.LONGS, null, null),
    /** {@link ContextAllocator#current()}: whatever the context allocator is (the malloc allocator unless bound). */
    CONTEXT(Type.CONTEXT, Memory.NATIVE, null, null);

    /** The buffer size of {@link #make()}: what {@code docs/ERRORS.md} shows, and enough for most rules. */
    public static final long CAPACITY = 64;

    /** What a kind is, for the errors table: the receiver of its methods and the prefix of its rows. */
    public enum Type {
        BUFFER_ALLOCATOR("BufferAllocator", "BA"),
        CHECKED("BufferAllocator", "CK"),
        FRAME("Frame", "FR"),
        ARENA_VIEW("Frame.asArena()", "AV"),
        SCRATCH("Scratch.push()", "SC"),
        SHARED("BufferAllocator.ofShared(...)", "SB"),
        MALLOC("MallocAllocator", "MA"),
        UNSCOPED_MALLOC("UnscopedMallocAllocator", "UM"),
        HEAP("HeapAllocator", "HA"),
        CONTEXT("ContextAllocator.current()", "CA");

        /** How a method of this type is written in the table, e.g. {@code Frame.asArena()}. */
        public final String receiver;
        /** The prefix of the table's row ids for this type. */
        public final String family;

        Type(String receiver, String family) {
            this.receiver = receiver;
            this.family = family;
        }
    }

    /** The memory a kind's buffer (or, for the heap allocator, its blocks) is. */
    public enum Memory {
        /** Native memory of an arena the test closes. */
        NATIVE(Long.MAX_VALUE),
        /** Native memory of {@code Arena.ofAuto()}: only the garbage collector frees it. */
        AUTO(Long.MAX_VALUE),
        BYTES(1),
        LONGS(Long.BYTES);

        /** The largest alignment blocks of this memory have: what a request may ask at most. */
        public final long maxAlignment;

        Memory(long maxAlignment) {
            this.maxAlignment = maxAlignment;
        }

        /** Whether it is native memory. */
        public boolean isNative() {
            return this == NATIVE || this == AUTO;
        }

        /** A new buffer of {@code capacity} bytes of this memory; native memory 16-aligned, from {@code arena} if {@link #NATIVE}. */
        public MemorySegment newBuffer(Arena arena, long capacity) {
            return newBuffer(arena, capacity, 16);
        }

        /** A new buffer of {@code capacity} bytes of this memory; native memory {@code alignment}-aligned. */
        public MemorySegment newBuffer(Arena arena, long capacity, long alignment) {
            return switch (this) {
                case NATIVE -> arena.allocate(capacity, alignment);
                case AUTO -> Arena.ofAuto().allocate(capacity, alignment);
                case BYTES -> MemorySegment.ofArray(new byte[Math.toIntExact(capacity)]);
                case LONGS -> MemorySegment.ofArray(new long[Math.toIntExact((capacity + 7) / 8)]).asSlice(0, capacity);
            };
        }
    }

    /** Every public factory of the buffer allocators, as the errors table names it. */
    public enum Factory {
        OF("BufferAllocator.of(MemorySegment)", Type.BUFFER_ALLOCATOR, (buffer, _) -> BufferAllocator.of(buffer)),
        OF_BYTES("BufferAllocator.of(byte[])", Type.BUFFER_ALLOCATOR,
                (buffer, _) -> BufferAllocator.of(buffer == null ? null : (byte[]) buffer.heapBase().orElseThrow())),
        OF_WITH_FALLBACK("BufferAllocator.of(MemorySegment, Allocator)", Type.BUFFER_ALLOCATOR, BufferAllocator::of),
        WITHOUT_FALLBACK("BufferAllocator.withoutFallback(MemorySegment)", Type.BUFFER_ALLOCATOR,
                (buffer, _) -> BufferAllocator.withoutFallback(buffer)),
        OF_GROWING("BufferAllocator.ofGrowing(MemorySegment)", Type.BUFFER_ALLOCATOR,
                (buffer, _) -> BufferAllocator.ofGrowing(buffer)),
        OF_GROWING_WITH_FALLBACK("BufferAllocator.ofGrowing(MemorySegment, Allocator)", Type.BUFFER_ALLOCATOR,
                BufferAllocator::ofGrowing),
        OF_CHECKED("BufferAllocator.ofChecked(MemorySegment)", Type.CHECKED, (buffer, _) -> BufferAllocator.ofChecked(buffer)),
        OF_CHECKED_WITH_FALLBACK("BufferAllocator.ofChecked(MemorySegment, Allocator)", Type.CHECKED,
                BufferAllocator::ofChecked),
        SHARED_OF("BufferAllocator.ofShared(MemorySegment)", Type.SHARED, (buffer, _) -> BufferAllocator.ofShared(buffer)),
        SHARED_OF_WITH_FALLBACK("BufferAllocator.ofShared(MemorySegment, Allocator)", Type.SHARED,
                BufferAllocator::ofShared),
        SHARED_WITHOUT_FALLBACK("BufferAllocator.sharedWithoutFallback(MemorySegment)", Type.SHARED,
                (buffer, _) -> BufferAllocator.sharedWithoutFallback(buffer));

        /** The factory as the errors table writes it. */
        public final String signature;
        public final Type type;
        private final BiFunction<MemorySegment, Allocator, BufferAllocator> factory;

        Factory(String signature, Type type, BiFunction<MemorySegment, Allocator, BufferAllocator> factory) {
            this.signature = signature;
            this.type = type;
            this.factory = factory;
        }

        /**
         * Calls the factory: over {@code buffer}, with {@code fallback} if it takes one (otherwise the
         * argument is ignored: the factory takes the context allocator, or none).
         */
        public BufferAllocator make(MemorySegment buffer, Allocator fallback) {
            return factory.apply(buffer, fallback);
        }

        /** Whether the factory has a fallback parameter. */
        public boolean takesFallback() {
            return signature.endsWith(", Allocator)");
        }

        /** Whether the allocator it makes may be used by any thread. */
        public boolean isShared() {
            return type == Type.SHARED;
        }
    }

    public final Type type;
    public final Memory memory;
    /** How {@link #make} and {@link #over} make the buffer allocator (null: the kind has no buffer of its own). */
    public final Factory factory;
    /** The factory that takes the context allocator as fallback (or none, for the kinds without fallback). */
    public final Factory contextFactory;

    AllocatorKind(Type type, Memory memory, Factory factory, Factory contextFactory) {
        this.type = type;
        this.memory = memory;
        this.factory = factory;
        this.contextFactory = contextFactory;
    }

    // ---- what the kind promises ----------------------------------------------------------------

    /** Whether it is an {@link Allocator} (reallocate, free); the Arena view is only a {@link SegmentAllocator}. */
    public boolean isAllocator() {
        return type != Type.ARENA_VIEW;
    }

    /** Whether it bumps through a buffer: the buffer allocators, frames, their views and scratch. */
    public boolean isBump() {
        return type != Type.MALLOC && type != Type.UNSCOPED_MALLOC && type != Type.HEAP && type != Type.CONTEXT;
    }

    /** Whether it is a frame, or a view or scratch frame: ended by its own {@code close()}. */
    public boolean isFrame() {
        return type == Type.FRAME || type == Type.ARENA_VIEW || type == Type.SCRATCH;
    }

    /** Whether it is a buffer allocator itself, with {@code reset()}, {@code close()} and statistics of its own. */
    public boolean isBuffer() {
        return type == Type.BUFFER_ALLOCATOR || type == Type.CHECKED || type == Type.SHARED;
    }

    /** Whether any thread may use it at once: the shared buffer allocator. */
    public boolean isShared() {
        return type == Type.SHARED;
    }

    /** Whether requests its buffer cannot hold go to a fallback allocator (or, for a view, to its own arena). */
    public boolean hasFallback() {
        return type == Type.SCRATCH || factory != null && factory != Factory.WITHOUT_FALLBACK
                && factory != Factory.SHARED_WITHOUT_FALLBACK;
    }

    /**
     * Whether requests the buffer cannot hold (and that are not oversized) are bumped in chunks taken from the
     * fallback, kept until the allocator closes: the growing allocators, their frames, and scratch.
     */
    public boolean bumpsInChunks() {
        return type == Type.SCRATCH || factory == Factory.OF_GROWING_WITH_FALLBACK;
    }

    /** Whether a request the buffer cannot hold gets {@link IndexOutOfBoundsException}. */
    public boolean isBounded() {
        return isBump() && !hasFallback();
    }

    /** Whether it can be made over a buffer the test gives ({@link #over}). */
    public boolean canBeMadeOver() {
        return factory != null;
    }

    /** Whether only the thread that made it may use it ({@link WrongThreadException} on any other). */
    public boolean isConfined() {
        return isBump() && !isShared();
    }

    /**
     * Whether each block is confined to the thread that allocated it, though any thread may allocate:
     * the malloc allocator's (and the context allocator's, which is it unless bound).
     */
    public boolean confinesBlocksToTheirThread() {
        return type == Type.MALLOC || type == Type.CONTEXT;
    }

    /**
     * Whether freeing exactly the most recent block gives its bytes back, and the most recent block is
     * resized in place: the confined buffer allocators and their frames. A shared one never rewinds, and
     * moves every block it reallocates (another thread may have allocated right after the block, and a
     * stale block from before a reset may lie over live ones).
     */
    public boolean rewinds() {
        return isBump() && isAllocator() && !isShared();
    }

    /**
     * Whether every buffer block has a scope of its own that ends when it is given back, so that a stale
     * block throws on access and is refused as "not a live block" wherever it lies: checked mode over a
     * buffer only the garbage collector frees.
     */
    public boolean scopesBufferBlocks() {
        return type == Type.CHECKED && memory == Memory.AUTO;
    }

    /**
     * Whether it serves every request from an arena of its own, never from the buffer: the Arena view
     * over a buffer its owner may close. Its requests are checked by the JDK's arena, in its words.
     */
    public boolean servesFromItsOwnArena() {
        return type == Type.ARENA_VIEW && memory != Memory.AUTO;
    }

    /** Whether new blocks (and the bytes a reallocation adds) are zero. */
    public boolean zeroes() {
        return type == Type.HEAP || servesFromItsOwnArena();
    }

    /** Whether bytes given back are overwritten with a poison byte (checked mode). */
    public boolean poisons() {
        return type == Type.CHECKED;
    }

    /** The largest alignment it gives; more gets {@link IllegalArgumentException}. */
    public long maxAlignment() {
        return memory.maxAlignment;
    }

    /**
     * Whether freeing or reallocating a block it gave back is refused. A heap block is never given back
     * (the garbage collector takes it); a shared allocator's freed buffer block still lies below its
     * cursor, so freeing it again is ignored as any older block's free is.
     */
    public boolean refusesStaleBlocks() {
        return isAllocator() && type != Type.HEAP && (!isBump() || rewinds());
    }

    /** What a request for {@code Long.MAX_VALUE} bytes gets: no room, no memory, or no such array. */
    public Class<? extends Throwable> tooLarge() {
        return isBounded() ? IndexOutOfBoundsException.class
                : type == Type.HEAP ? IllegalArgumentException.class : OutOfMemoryError.class;
    }

    /** How the message for a segment that is not one of its blocks starts. */
    public String refusal() {
        return type == Type.HEAP ? "Not a block of the heap allocator" : "Not a live block";
    }

    /** The kinds that {@code filter} accepts, in declaration order: a source of parameters. */
    public static Stream<AllocatorKind> where(Predicate<AllocatorKind> filter) {
        return Arrays.stream(values()).filter(filter);
    }

    // ---- making one --------------------------------------------------------------------------

    /** A fresh one over a new buffer of {@link #CAPACITY} bytes (scratch: this thread's own buffer). */
    public Instance make() {
        return make(CAPACITY);
    }

    /** A fresh one over a new buffer of {@code capacity} bytes (scratch: this thread's own buffer). */
    public Instance make(long capacity) {
        return switch (type) {
            case MALLOC -> new Instance(this, MallocAllocator.instance(), null, null, null, null, null);
            case UNSCOPED_MALLOC -> new Instance(this, UnscopedMallocAllocator.instance(), null, null, null, null, null);
            case HEAP -> new Instance(this, HeapAllocator.instance(), null, null, null, null, null);
            case CONTEXT -> new Instance(this, ContextAllocator.current(), null, null, null, null, null);
            case SCRATCH -> {
                Frame frame = Scratch.push();
                yield new Instance(this, frame, frame, frame.allocator(), null, null, null);
            }
            default -> {
                Arena arena = memory != Memory.NATIVE ? null : factory.isShared() ? Arena.ofShared() : Arena.ofConfined();
                try {
                    yield over(memory.newBuffer(arena, capacity), fallbackFor(factory), arena);
                } catch (RuntimeException | Error e) {
                    if (arena != null) {
                        arena.close();
                    }
                    throw e;
                }
            }
        };
    }

    /**
     * A fresh one over {@code buffer}, with a {@link CountingAllocator} over the malloc allocator as
     * fallback if the kind has one. The buffer stays the caller's.
     */
    public Instance over(MemorySegment buffer) {
        requireBuffer();
        return over(buffer, fallbackFor(factory), null);
    }

    /** A fresh one over {@code buffer} made by the factory that takes the context allocator current now. */
    public Instance overUsingContext(MemorySegment buffer) {
        requireBuffer();
        return wrap(contextFactory.make(buffer, null), buffer, null, null);
    }

    /** The kind of the same type without fallback (over native memory): where a buffer of the peak demand goes. */
    public AllocatorKind withoutFallback() {
        return switch (type) {
            case BUFFER_ALLOCATOR, CHECKED -> BUFFER_WITHOUT_FALLBACK;
            case FRAME, ARENA_VIEW -> FRAME_WITHOUT_FALLBACK;
            case SHARED -> SHARED_WITHOUT_FALLBACK;
            default -> throw new UnsupportedOperationException(this + " has no form without fallback");
        };
    }

    private Instance over(MemorySegment buffer, Allocator fallback, Arena arena) {
        return wrap(factory.make(buffer, fallback), buffer, fallback instanceof CountingAllocator c ? c : null, arena);
    }

    private Instance wrap(BufferAllocator made, MemorySegment buffer, CountingAllocator fallback, Arena arena) {
        return switch (type) {
            case FRAME -> {
                Frame frame = made.push();
                yield new Instance(this, frame, frame, made, fallback, buffer, arena);
            }
            case ARENA_VIEW -> {
                Frame frame = made.push();
                yield new Instance(this, frame.asArena(), frame, made, fallback, buffer, arena);
            }
            default -> new Instance(this, made, null, made, fallback, buffer, arena);
        };
    }

    private static CountingAllocator fallbackFor(Factory factory) {
        return factory.takesFallback() ? new CountingAllocator(MallocAllocator.instance()) : null;
    }

    private void requireBuffer() {
        if (!canBeMadeOver()) {
            throw new UnsupportedOperationException(this + " is not made over a buffer");
        }
    }

    /** What the C heap holds now: blocks and bytes bufalloc took from the C library and did not give back. */
    public static List<Long> mallocOutstanding() {
        return List.of(MallocAllocator.instance().liveBlocks(), MallocAllocator.instance().liveBytes());
    }

    /** The process-wide malloc allocator, the fallback every kind's counting fallback passes its calls to. */
    public static Allocator malloc() {
        return MallocAllocator.instance();
    }

    /** Whether {@code allocator} was closed: its {@code toString()} says so. */
    public static boolean isClosed(BufferAllocator allocator) {
        return allocator.toString().endsWith("closed]");
    }

    /** Whether {@code frame} is open: neither closed nor ended by its allocator's reset or close. */
    public static boolean isOpen(Frame frame) {
        return ((ConfinedBufferAllocator) frame.allocator()).isOpen(frame);
    }

    /**
     * One allocator of a kind and what it needs: the buffer allocator under it, the frame it is,
     * its fallback, and the memory and arena to close after it. Closing it frees all it made.
     */
    public static final class Instance implements AutoCloseable {
        private final AllocatorKind kind;
        private final SegmentAllocator target;
        private final Frame frame;                 // the frame it is or views; null if none
        private final BufferAllocator buffer;      // the buffer allocator under it; null for the system allocators
        private final CountingAllocator fallback;  // null: none, or not counted (scratch, context factories)
        private final MemorySegment memory;        // the buffer's memory; null for scratch and the system kinds
        private final Arena arena;                 // the memory's arena if this instance made it
        private final long usedAtStart;
        private final long base;                   // where the buffer starts (an offset, for heap memory)
        private final BufferStatistics start;      // the buffer's numbers when this instance was made
        private final List<MemorySegment> kept = new ArrayList<>();

        Instance(AllocatorKind kind, SegmentAllocator target, Frame frame, BufferAllocator buffer,
                 CountingAllocator fallback, MemorySegment memory, Arena arena) {
            this.kind = kind;
            this.target = target;
            this.frame = frame;
            this.buffer = buffer;
            this.fallback = fallback;
            this.memory = memory;
            this.arena = arena;
            this.usedAtStart = buffer == null ? 0 : buffer.usedBytes();
            this.start = buffer == null ? null : buffer.statistics();
            // Scratch's buffer is not in sight: an empty block, which moves nothing, starts at its cursor.
            this.base = memory != null ? memory.address()
                    : buffer != null ? target.allocate(0, 1).address() - usedAtStart : 0;
        }

        public AllocatorKind kind() {
            return kind;
        }

        /** It, as every kind is: a {@link SegmentAllocator}. */
        public SegmentAllocator segmentAllocator() {
            return target;
        }

        /** It, as an {@link Allocator}. */
        public Allocator allocator() {
            if (!(target instanceof Allocator allocator)) {
                throw new UnsupportedOperationException(kind + " is a SegmentAllocator only");
            }
            return allocator;
        }

        /** The Arena view ({@link #FRAME_ARENA}). */
        public Arena arena() {
            return (Arena) target;
        }

        /** The frame it is, or whose view it is. */
        public Frame frame() {
            return Objects.requireNonNull(frame, () -> kind + " is no frame");
        }

        /** The buffer allocator it is, or is a frame of. */
        public BufferAllocator buffer() {
            return Objects.requireNonNull(buffer, () -> kind + " has no buffer");
        }

        /** Its fallback, which counts what it hands out; null if it has none or it is not counted. */
        CountingAllocator fallback() {   // not public: dev.bufalloc.testing is not exported
            return fallback;
        }

        /** The memory its buffer is (null for scratch and the system allocators). */
        public MemorySegment memory() {
            return memory;
        }

        /** The buffer's bytes in use since it was made (scratch may have been in use before). */
        public long usedBytes() {
            return buffer().usedBytes() - usedAtStart;
        }

        /**
         * The buffer's statistics since it was made: the counters (used bytes, fallbacks, in-place
         * reallocations, copied bytes, resets) count from then; the capacity and the peak demand are
         * the buffer's own. For all kinds but scratch, which is older than the test, that is all of them.
         */
        public BufferStatistics statistics() {
            BufferStatistics now = buffer().statistics();
            return new BufferStatistics(now.capacity(), now.usedBytes() - start.usedBytes(), now.peakDemand(),
                    now.fallbackCount() - start.fallbackCount(), now.fallbackBytes() - start.fallbackBytes(),
                    now.liveFallbackBlocks() - start.liveFallbackBlocks(),
                    now.liveFallbackBytes() - start.liveFallbackBytes(),
                    now.inPlaceReallocations() - start.inPlaceReallocations(),
                    now.copiedBytes() - start.copiedBytes(), now.resets() - start.resets(),
                    now.chunks() - start.chunks(), now.chunkBytes() - start.chunkBytes());
        }

        /** The bytes its buffer still has free. */
        public long remainingBytes() {
            return buffer().capacity() - buffer().usedBytes();
        }

        /** Where its buffer starts: an address, or for heap memory an offset in the array. */
        public long base() {
            return base;
        }

        /** Where its first block starts, if it asks no alignment: {@link #base()} plus what was in use before. */
        public long origin() {
            return base + usedAtStart;
        }

        /** Whether {@code block} lies in its buffer (a fallback block does not). */
        public boolean inBuffer(MemorySegment block) {
            if (buffer == null) {
                return false;
            }
            Object array = memory == null ? null : memory.heapBase().orElse(null);
            boolean sameMemory = block.isNative() ? array == null : block.heapBase().orElse(null) == array;
            long offset = block.address() - base;
            long capacity = buffer.capacity();
            return sameMemory && offset >= 0 && offset <= capacity && block.byteSize() <= capacity - offset;
        }

        /** Allocates through it and, for the system allocators, keeps the block to free on {@link #close()}. */
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            return keep(target.allocate(byteSize, byteAlignment));
        }

        /** Reallocates through it, keeping the moved block in place of the old one. */
        public MemorySegment reallocate(MemorySegment block, long newByteSize, long byteAlignment) {
            MemorySegment moved = allocator().reallocate(block, newByteSize, byteAlignment);
            kept.remove(block);
            return keep(moved);
        }

        /** Frees through it and forgets the block. */
        public void free(MemorySegment block) {
            allocator().free(block);
            kept.remove(block);
        }

        /** Keeps a block allocated some other way (e.g. {@code allocateFrom}) to free on {@link #close()}. */
        public MemorySegment keep(MemorySegment block) {
            if (!kind.isBump()) {
                kept.add(block);
            }
            return block;
        }

        /** Ends it: closes the buffer allocator, the frame or the view. */
        public void closeItself() {
            switch (kind.type) {
                case BUFFER_ALLOCATOR, CHECKED, SHARED -> buffer.close();
                case FRAME, SCRATCH -> frame.close();
                case ARENA_VIEW -> arena().close();
                default -> throw new UnsupportedOperationException(kind + " cannot be closed");
            }
        }

        /** Whether it can still be used: not closed, and its frame (if any) not ended. */
        public boolean isOpen() {
            return (buffer == null || !isClosed(buffer)) && (frame == null || AllocatorKind.isOpen(frame));
        }

        /**
         * What it shows of itself, to compare before and after a call that must change nothing: the
         * frame and the buffer's statistics, the fallback's outstanding blocks, and the C heap's.
         */
        public List<Object> state() {
            List<Object> state = new ArrayList<>();
            if (frame != null) {
                state.add(frame + (AllocatorKind.isOpen(frame) ? " open" : " ended"));
            }
            if (buffer != null) {
                state.add(buffer.statistics());
            }
            if (fallback != null) {
                state.add(fallback.outstanding());
            }
            state.add(mallocOutstanding());
            return state;
        }

        /** Frees what it kept, ends its frame and its buffer allocator if still open, and closes its arena. */
        @Override
        public void close() {
            try {
                for (int i = kept.size() - 1; i >= 0; i--) {
                    allocator().free(kept.get(i));
                }
                kept.clear();
                if (frame != null && AllocatorKind.isOpen(frame)) {
                    frame.close();
                }
                if (buffer != null && kind.type != Type.SCRATCH && !isClosed(buffer)) {
                    buffer.close();
                }
            } finally {
                if (arena != null) {
                    arena.close();
                }
            }
        }

        @Override
        public String toString() {
            return kind + "[" + (buffer == null ? target : buffer) + "]";
        }
    }
}
