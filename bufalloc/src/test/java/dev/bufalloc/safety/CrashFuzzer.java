package dev.bufalloc.safety;

import dev.bufalloc.Allocator;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * Random sequences of calls to bufalloc's public API over every allocator kind ({@link Kind}), stale
 * uses included, in a JVM of its own: {@link CrashFuzzerTest} starts it as a child and watches it from
 * outside, so that a crash is a failed test, not a dead test run.
 *
 * <p>The guarantee under test: no sequence of calls to bufalloc's public API, with no restricted method
 * in the caller's code, crashes the JVM or corrupts native memory. A segment bufalloc handed out, used
 * after its memory was given back, must throw {@link IllegalStateException} (as a closed
 * {@code Arena}'s segments do) or read bytes of the caller's own buffer; never freed memory.
 *
 * <p>The fuzzer keeps a model of every segment it got, and of the scope it lives in ({@link Lifetime}),
 * which says what a use after it went stale must do, as docs/ERRORS.md and the factories' Javadoc say:
 * <ul>
 *   <li><b>buffer</b>: a slice of the caller's buffer in the buffer's own scope. Used after a free, reset,
 *       close or frame close it reads the caller's buffer; once the buffer's arena is closed it throws.
 *       Checked mode over a buffer an owner can close (or a heap buffer) gives such blocks too (poisoned);</li>
 *   <li><b>view</b>: a segment of a frame's {@code asArena()} view, from the buffer when only the garbage
 *       collector frees it, else from the view's own arena: it throws once its frame is closed or ended by a
 *       reset or close. The view's own memory is not a block of the allocator: free and reallocate refuse it;</li>
 *   <li><b>own</b>: a scope of its own that ends when the block is freed, moved or released (malloc's blocks,
 *       a confined allocator's C-library fallback blocks, checked blocks over a buffer only the garbage
 *       collector frees): stale, it throws;</li>
 *   <li><b>generation</b>: a shared allocator's C-library fallback blocks, in one scope per reset: the
 *       allocator holds a freed block's memory until its next reset or close (a documented deviation), so a
 *       stale use reads memory it still owns, and nothing else may be handed that memory, until then; after
 *       it, the use throws;</li>
 *   <li><b>chunk</b>: a block of a growing allocator (scratch's too) that did not fit its buffer and is not
 *       oversized (over half the next chunk, by the documented sizing: the buffer's size, at least 4 KiB,
 *       doubling, at most 64 MiB): a slice of a chunk the allocator took from its fallback, in the chunk's
 *       scope, with buffer rules. Used after a free, reset or frame close it reads the chunk, which the
 *       allocator keeps; after the allocator's close (which frees its chunks) it throws. The model learns each
 *       chunk (where it starts, from the cursor's move, and its size, from the sizing rule, checked against
 *       the allocator's statistics) from the first block it sees in it, and checks that a request lands in a
 *       chunk exactly when it is not oversized; memory of a chunk the allocator still holds handed out again
 *       (as another block, or by the JDK) is a violation. A chunk of Java heap memory is of the lifetime
 *       below, but its blocks may no more overlap a live one of the same chunk than a buffer's may;</li>
 *   <li><b>heap</b>: a Java array's memory, which the garbage collector never frees under a reference:
 *       any outcome is safe.</li>
 * </ul>
 * The rest of the design is modelled exactly: frames close innermost first (a call through a frame that is
 * not the innermost open one is refused with {@link IllegalStateException}; closing an outer frame closes
 * the inner ones too, then throws {@link IllegalStateException}); an allocation through the allocator itself
 * lands in the innermost frame; a reset or close ends every frame; only exactly the most recent block gives
 * bytes back (a stale segment with exactly its offset and size is the same memory, and acts on it); a
 * segment of the buffer below the cursor that was never allocated is ignored by free and moved by
 * reallocate, one beyond the cursor is refused; a shared allocator never resizes a buffer block in place
 * nor gives its bytes back before a reset; a moved C-library fallback block is a new block of the innermost
 * frame, a heap fallback block keeps its frame; malloc's blocks are confined to the allocating thread; a
 * claim on a buffer ends when its allocator is closed, collected, or the buffer's memory is freed. Only
 * after a violation (an outcome the model did not foresee) does it mark the allocator concerned
 * <em>uncertain</em>, so that one finding does not cascade.
 *
 * <p>A <b>violation</b> is: an operation that ends in an exception other than {@link IllegalStateException},
 * {@link IllegalArgumentException}, {@link IndexOutOfBoundsException}, {@link WrongThreadException} or
 * {@link UnsupportedOperationException}; a stale access that must throw but returns (found before reading:
 * its scope is alive); a new block that overlaps a live one, a shared allocator's freed buffer block before
 * the reset, or memory a shared allocator holds (or fresh memory from the JDK that overlaps a live block:
 * its memory was freed under it), or memory of a chunk a growing allocator keeps; a growing allocator's request
 * that left the buffer and is not oversized but did not land in a chunk, an oversized request that took a
 * chunk, a refused one that took one (but the first), or chunks whose sizes break the documented rule; a valid
 * request on a live allocator that fails; a call that must be refused and succeeds (on a closed allocator or
 * frame, through a frame that is not the innermost, on a block whose scope is dead, on a view's own memory,
 * of a buffer slice beyond the cursor, by malloc of memory it did not hand out, from a thread a block or
 * allocator is not confined to); a second allocator
 * accepted over a buffer a live allocator manages, or one refused when no claim can be alive (the old
 * allocators closed, or their buffers' memory freed). A crash is a violation too, seen by the parent as the
 * exit status.
 *
 * <p>The core bugs it found are reproduced, one scenario each, by {@link KnownBugsTest}: regression tests
 * now that the core is fixed.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp <test class path> dev.bufalloc.safety.CrashFuzzer},
 * with {@code -Dbufalloc.fuzz.seed=N} (replays a batch exactly), {@code -Dbufalloc.fuzz.ops=N} and
 * {@code -Dbufalloc.fuzz.trace=true} (every operation on stderr, for a batch that crashes),
 * {@code -Dbufalloc.fuzz.cautious=true} (a diagnostic: the fuzzer itself then writes into, frees and
 * reallocates only blocks it knows to be live, so that a crash left comes from bufalloc's own writes). The last
 * line on stdout is the summary ({@value #SUMMARY} seed=... ops=... staleAccesses=... staleThrows=...
 * documentedThrows=... violations=... millis=...); the exit status is 0 without
 * violations, 3 with, 2 if the fuzzer itself failed (a JVM crash exits with 1 and a fatal error report on
 * stdout, or with 134 when the C library aborts).
 */
public final class CrashFuzzer {

    static final String SEED_PROPERTY = "bufalloc.fuzz.seed";
    static final String OPS_PROPERTY = "bufalloc.fuzz.ops";
    static final String TRACE_PROPERTY = "bufalloc.fuzz.trace";
    static final String CAUTIOUS_PROPERTY = "bufalloc.fuzz.cautious";
    static final String SUMMARY = "bufalloc-fuzz summary:";
    static final String CATEGORIES = "bufalloc-fuzz violations:";
    static final String REFUSALS = "bufalloc-fuzz refusals checked:";
    static final String VIOLATION = "VIOLATION";
    /** The exit status when violations were found (1 is what the JVM exits with after a fatal error, core dumps off). */
    static final int EXIT_VIOLATIONS = 3;
    /** The exit status when the fuzzer itself failed. */
    static final int EXIT_FUZZER_ERROR = 2;

    /** The memory key of native memory; heap memory is keyed by its array. */
    private static final Object NATIVE = new Object();
    private static final int MAX_BUFS = 20;
    private static final int MAX_ROOTS = 16;
    private static final int MAX_BLOCKS = 300;
    private static final int MAX_ARRAYS = 10;
    private static final int MAX_CLOSED_FRAMES = 8;
    private static final int MAX_PRINTED_PER_CATEGORY = 3;
    private static final int MAX_VIOLATIONS = 2_000;
    /** Above glibc's mmap threshold: such a block, once freed, is unmapped, and reading it crashes. */
    private static final long BIG = 300 * 1024;
    /** A growing allocator's smallest chunk, as documented. */
    private static final long MIN_CHUNK = 4096;
    /** A growing allocator's largest chunk, as documented. */
    private static final long MAX_CHUNK = 64L << 20;
    /** The largest alignment the fuzzer asks ({@link #pickAlignment}). */
    private static final long MAX_PICKED_ALIGNMENT = 4096;
    /** The alignment of a chunk's start: at least what malloc and the JDK's arenas give. */
    private static final long CHUNK_START_ALIGNMENT = 16;

    public static void main(String[] args) {
        long seed = Long.getLong(SEED_PROPERTY, System.nanoTime());
        long ops = Long.getLong(OPS_PROPERTY, 100_000);
        CrashFuzzer fuzzer = new CrashFuzzer(seed, Boolean.getBoolean(TRACE_PROPERTY), System.err);
        fuzzer.cautious = Boolean.getBoolean(CAUTIOUS_PROPERTY);
        int status;
        try {
            fuzzer.run(ops);
            status = fuzzer.violations == 0 ? 0 : EXIT_VIOLATIONS;
        } catch (Throwable t) {
            System.err.println("FUZZER ERROR at op " + fuzzer.op + " (seed " + seed + "): the fuzzer itself failed");
            t.printStackTrace();
            fuzzer.printRecent();
            status = EXIT_FUZZER_ERROR;
        }
        System.out.println(fuzzer.refusals());
        System.out.println(fuzzer.categories());
        System.out.println(fuzzer.summary());
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    // ---- the model -------------------------------------------------------------------------------

    /** A caller's buffer: a JDK arena's segment, a Java array, or a part of one. */
    private static final class Buf {
        final int id;
        final String memory;          // confined, shared, auto, global, byte[], long[], scratch
        MemorySegment segment;        // null once dropped
        final Arena arena;            // confined and shared: ours to close
        final Buf top;                // the whole buffer a sub-buffer is a part of; itself otherwise
        final Object mem;
        final long start;
        final long size;
        boolean arenaClosed;          // on the top buffer
        boolean dropped;
        /** On the top buffer: the roots made over it or a part of it, whose claims may be alive. */
        final List<Owner> claimants = new ArrayList<>();

        Buf(int id, String memory, MemorySegment segment, Arena arena, Buf top) {
            this.id = id;
            this.memory = memory;
            this.segment = segment;
            this.arena = arena;
            this.top = top == null ? this : top;
            this.mem = memOf(segment);
            this.start = segment.address();
            this.size = segment.byteSize();
        }

        /** The scratch buffer, seen only through its address range. */
        Buf(int id, long start, long size) {
            this.id = id;
            this.memory = "scratch";
            this.arena = null;
            this.top = this;
            this.mem = NATIVE;
            this.start = start;
            this.size = size;
        }

        boolean closed() {
            return top.arenaClosed;
        }

        /** Whether only the garbage collector can free its memory: bufalloc may then see it through scopes of its own. */
        boolean rescopable() {
            return mem == NATIVE && (memory.equals("auto") || memory.equals("global") || memory.equals("scratch"));
        }

        boolean contains(Object m, long address, long bytes) {
            return m == mem && address >= start && address - start <= size && bytes <= size - (address - start);
        }

        boolean overlaps(Buf other) {
            return other.mem == mem && other.start < start + size && start < other.start + other.size;
        }

        @Override
        public String toString() {
            return "buf#" + id + "(" + memory + ", " + size + " B" + (top != this ? ", part of buf#" + top.id : "")
                    + (closed() ? ", arena closed" : "") + (dropped ? ", dropped" : "") + ")";
        }
    }

    /** An allocator the fuzzer holds: a root (made by a factory), a frame, or a frame's Arena view. */
    private static final class Owner {
        final int id;
        final Kind kind;
        Kind.Subject subject;         // null once dropped
        Arena arena;                  // a view's Arena
        final Owner root;
        final Owner frame;            // a view's frame
        final Buf buf;                // the root's buffer, or null
        /**
         * A root's: its buffer's scope, held weakly so that the model keeps no buffer alive (a segment in that
         * scope keeps it reachable, so it is there whenever a segment is compared with it).
         */
        WeakReference<MemorySegment.Scope> bufferScope;
        final boolean isFrame;
        final boolean isView;
        final int depth;              // frames: 1 for the outermost
        final boolean permanent;      // scratch, malloc, heap: never closed or dropped
        boolean closed;               // certainly closed (or ended by a reset or close)
        boolean uncertain;            // state unknown after an unforeseen outcome
        boolean dropped;
        final List<Owner> frames = new ArrayList<>();   // a root's open frames, outermost first
        boolean framesUncertain;      // a root whose open frames the model no longer knows exactly
        boolean fallbackTampered;     // a root one of whose fallback blocks was freed behind its back
        Owner view;                   // a frame's Arena view, once made
        Kind.ChunkProbe chunkProbe;   // a growing root's: its usedBytes, chunks and chunkBytes, read weakly
        final List<Chunk> chunks = new ArrayList<>();   // a growing root's chunks the model has seen, oldest first
        boolean chunksFreed;          // a growing root that closed: its chunks were given back
        boolean chunkSizesReported;   // a growing root whose chunk sizes broke the rule once: not reported again

        Owner(int id, Kind kind, Kind.Subject subject, Owner root, Owner frame, Buf buf, boolean isFrame,
              boolean isView, int depth, boolean permanent) {
            this.id = id;
            this.kind = kind;
            this.subject = subject;
            this.root = root == null ? this : root;
            this.frame = frame;
            this.buf = buf;
            this.isFrame = isFrame;
            this.isView = isView;
            this.depth = depth;
            this.permanent = permanent;
        }

        boolean isRoot() {
            return root == this;
        }

        Allocator allocator() {
            return subject.allocator();
        }

        @Override
        public String toString() {
            String name = isView ? "view" : isFrame ? "frame" : kind.name();
            return name + "#" + id + (isFrame || isView ? "@" + root.kind + "#" + root.id + "/d" + depth : "")
                    + (buf != null && isRoot() ? " over " + buf : "")
                    + (closed ? " closed" : "") + (uncertain ? " uncertain" : "") + (dropped ? " dropped" : "");
        }
    }

    private enum State { LIVE, STALE, UNCERTAIN }

    /** Why a block became stale. */
    private enum Why { FREE, MOVED, FRAME, RESET, CLOSE }

    /** The scope a segment lives in, which says what a use of it after it went stale must do (see the class comment). */
    private enum Lifetime { BUFFER, VIEW, OWN, GENERATION, CHUNK, HEAP }

    /**
     * A chunk of a growing allocator, as the model learnt it from the first block it saw in it: native memory
     * (whose start lies in {@code [low, high]}: exact when the model saw the cursor enter it), or a Java array,
     * held weakly, whose segment starts at offset 0.
     */
    private static final class Chunk {
        final int index;              // 1 for the first chunk the allocator took (0 if not known exactly)
        final long size;
        final WeakReference<Object> array;   // null for native memory
        final long low;
        final long high;

        Chunk(int index, long size, Object mem, long low, long high) {
            this.index = index;
            this.size = size;
            this.array = mem == NATIVE ? null : new WeakReference<>(mem);
            this.low = low;
            this.high = high;
        }

        boolean contains(Object mem, long start, long bytes) {
            boolean sameMemory = array == null ? mem == NATIVE : array.get() == mem;
            return sameMemory && start >= low && bytes <= high + size - start;
        }

        @Override
        public String toString() {
            return "chunk" + (index > 0 ? " " + index : "") + " (" + size + " B at 0x" + Long.toHexString(low)
                    + (high != low ? "..0x" + Long.toHexString(high) : "") + (array != null ? ", heap" : "") + ")";
        }
    }

    /** A segment bufalloc handed out, or the storage of a dynamic array (no segment: reached through the array). */
    private static final class Block {
        final int id;
        final MemorySegment segment;  // null for an array's storage
        final Owner via;
        final Owner root;
        final Buf buf;                // in a caller's buffer: the buffer; null otherwise
        final Object mem;
        final long start;
        long size;
        final Lifetime lifetime;
        /** A checked buffer block's own scope (an old handle of a block resized in place shares it). */
        final MemorySegment.Scope ownScope;
        final Arr array;              // an array's storage or data view: the array
        Chunk chunk;                  // a growing allocator's block in one of its chunks (native or heap)
        int depthLow;                 // the frames it may belong to: it is freed by closing frame depthLow..depthHigh
        int depthHigh;
        boolean framesUnknown;        // allocated while the root's frames were uncertain
        State state = State.LIVE;
        Why why;
        boolean ended;                // its frame closed, or its allocator was reset or closed
        boolean held;                 // a shared allocator's buffer block, freed or moved: its bytes come back on reset
        boolean memoryFreed;          // its memory was seen handed out again: it must throw
        String origin = "";           // the operation that handed it out, for reports

        Block(int id, MemorySegment segment, Owner via, Buf buf, Object mem, long start, long size, Lifetime lifetime,
              MemorySegment.Scope scope, Arr array) {
            this.id = id;
            this.segment = segment;
            this.via = via;
            this.root = via.root;
            this.buf = buf;
            this.mem = mem;
            this.start = start;
            this.size = size;
            this.lifetime = lifetime;
            this.ownScope = lifetime == Lifetime.OWN && buf != null ? scope : null;
            this.array = array;
        }

        boolean heap() {
            return lifetime == Lifetime.HEAP;
        }

        boolean overlaps(Block other) {
            return other.mem == mem && size > 0 && other.size > 0
                    && other.start < start + size && start < other.start + other.size;
        }

        boolean sameMemory(Block other) {
            return other.mem == mem && other.start == start && other.size == size;
        }

        @Override
        public String toString() {
            return (array != null && segment == null ? "storage" : "block") + "#" + id + "[" + size + " B at 0x"
                    + Long.toHexString(start) + ", " + lifetime.name().toLowerCase(java.util.Locale.ROOT)
                    + (buf != null ? " in " + buf : "") + (chunk != null ? " in " + chunk : "") + ", via " + via + ", " + state + (why != null ? " by " + why : "")
                    + (ended ? ", ended" : "") + (held ? ", held" : "")
                    + (memoryFreed ? ", memory handed out again" : "") + (origin.isEmpty() ? "" : ", from " + origin) + "]";
        }
    }

    /** A dynamic array of longs. */
    private static final class Arr {
        final int id;
        Kind.LongArray array;         // null once dropped
        final Owner owner;
        Block storage;
        final List<Block> views = new ArrayList<>();
        boolean closed;
        boolean dropped;

        Arr(int id, Kind.LongArray array, Owner owner) {
            this.id = id;
            this.array = array;
            this.owner = owner;
        }

        @Override
        public String toString() {
            return "array#" + id + " over " + owner;
        }
    }

    private static Object memOf(MemorySegment segment) {
        return segment.isNative() ? NATIVE : segment.heapBase().orElseThrow();
    }

    // ---- state -----------------------------------------------------------------------------------

    private final long seed;
    private final SplittableRandom random;
    private final boolean trace;
    private final PrintStream log;
    /** Diagnostic: no writes into, and no free or reallocate of, a block not known to be live. */
    private boolean cautious;
    private final List<Buf> bufs = new ArrayList<>();
    private final List<Buf> globals = new ArrayList<>();
    private final List<Owner> roots = new ArrayList<>();
    private final List<Owner> closedFrames = new ArrayList<>();
    private final List<Block> blocks = new ArrayList<>();
    private final List<Arr> arrays = new ArrayList<>();
    private final List<Owner> candidates = new ArrayList<>();
    private final Map<String, Integer> categories = new TreeMap<>();
    /** The calls that had to be refused and were, by the violation a success would have been. */
    private final Map<String, Long> refusals = new TreeMap<>();
    private final String[] recent = new String[32];
    private Owner scratch;
    private Owner malloc;
    private Owner heap;
    private Buf scratchBuf;
    private int nextId;
    private long op;
    private long staleAccesses;
    private long staleThrows;
    private long documentedThrows;
    private long violations;
    private long startNanos;
    /** A growing root's chunk state just before the call whose block is tracked next ({@link #beforeCall}). */
    private Owner callRoot;
    private long[] callProbe;

    CrashFuzzer(long seed, boolean trace, PrintStream log) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        this.trace = trace;
        this.log = log;
    }

    String summary() {
        return SUMMARY + " seed=" + seed + " ops=" + op + " staleAccesses=" + staleAccesses + " staleThrows="
                + staleThrows + " documentedThrows=" + documentedThrows + " violations=" + violations
                + " millis=" + (System.nanoTime() - startNanos) / 1_000_000;
    }

    String refusals() {
        return REFUSALS + " " + refusals;
    }

    String categories() {
        return CATEGORIES + " " + (categories.isEmpty() ? "none" : categories.toString());
    }

    // ---- the run ---------------------------------------------------------------------------------

    void run(long ops) {
        startNanos = System.nanoTime();
        setUp();
        while (op < ops && violations < MAX_VIOLATIONS) {
            op++;
            step(random.nextInt(1000));
        }
    }

    private void setUp() {
        // The scratch buffer's range: the first block of a fresh thread's first frame starts the buffer.
        Kind.Subject scratchRoot = Kind.SCRATCH.open();
        Kind.Subject first = scratchRoot.push();
        long base = first.allocator().allocate(1, 1).address();
        first.close();
        scratchBuf = new Buf(++nextId, base, scratchRoot.capacity());
        scratch = new Owner(++nextId, Kind.SCRATCH, scratchRoot, null, null, scratchBuf, false, false, 0, true);
        scratch.chunkProbe = scratchRoot.chunkProbe();
        malloc = new Owner(++nextId, Kind.MALLOC, Kind.MALLOC.open(), null, null, null, false, false, 0, true);
        heap = new Owner(++nextId, Kind.HEAP, Kind.HEAP.open(), null, null, null, false, false, 0, true);
        roots.add(scratch);
        roots.add(malloc);
        roots.add(heap);
        for (long size : new long[] {64, 256, 4096, 65536}) {
            MemorySegment segment = Arena.global().allocate(size, 16);
            globals.add(new Buf(++nextId, "global", segment, null, null));
        }
    }

    private void step(int dice) {
        if (dice < 230) {
            allocate(pickOwner());
        } else if (dice < 450) {
            access(pickBlock());
        } else if (dice < 520) {
            free(pickBlock());
        } else if (dice < 570) {
            reallocate(pickBlock());
        } else if (dice < 610) {
            push(pickFrameRoot());
        } else if (dice < 650) {
            closeFrame();
        } else if (dice < 675) {
            arenaView();
        } else if (dice < 700) {
            newRoot();
        } else if (dice < 715) {
            reset(pickRoot());
        } else if (dice < 730) {
            close(pickRoot());
        } else if (dice < 735) {
            dropRoot(pickRoot());
        } else if (dice < 745) {
            closeArena();
        } else if (dice < 750) {
            dropBuffer();
        } else if (dice < 765) {
            newArray(pickOwner());
        } else if (dice < 815) {
            arrayPush(pickArray());
        } else if (dice < 835) {
            arrayView(pickArray());
        } else if (dice < 855) {
            arrayRead(pickArray());
        } else if (dice < 865) {
            arrayClose(pickArray());
        } else if (dice < 868) {
            arrayDrop(pickArray());
        } else if (dice < 890) {
            foreignFree(pickBlock());
        } else if (dice < 910) {
            sliceCall();
        } else if (dice < 925) {
            mallocFreesFallbackBlock(pickBlock());
        } else if (dice < 930) {
            otherThread();
        } else if (dice < 935) {
            otherThreadAccess(pickBlock());
        } else if (dice < 955) {
            invalidRequest(pickOwner());
        } else if (dice < 970) {
            dropFrame();
        } else if (dice < 999) {
            allocate(innermostOrRoot());
        } else if (random.nextInt(20) == 0) {
            gc();
        }
    }

    // ---- picking -----------------------------------------------------------------------------------

    private Owner pickOwner() {
        candidates.clear();
        for (Owner root : roots) {
            if (root.subject != null) {
                candidates.add(root);
            }
            for (Owner frame : root.frames) {
                if (frame.subject != null) {
                    candidates.add(frame);
                }
                if (frame.view != null && frame.view.arena != null) {
                    candidates.add(frame.view);
                }
            }
        }
        for (Owner frame : closedFrames) {
            candidates.add(frame);
            if (frame.view != null && frame.view.arena != null) {
                candidates.add(frame.view);
            }
        }
        return candidates.get(random.nextInt(candidates.size()));
    }

    private Owner innermostOrRoot() {
        Owner root = pickRoot();
        if (root == null) {
            return malloc;
        }
        for (int i = root.frames.size() - 1; i >= 0; i--) {
            Owner frame = root.frames.get(i);
            if (frame.subject != null) {
                return random.nextInt(4) == 0 && frame.view != null && frame.view.arena != null ? frame.view : frame;
            }
        }
        return root;
    }

    private Owner pickRoot() {
        return roots.get(random.nextInt(roots.size()));
    }

    private Owner pickFrameRoot() {
        for (int tries = 0; tries < 4; tries++) {
            Owner root = pickRoot();
            if (root.kind.frames) {
                return root;
            }
        }
        return scratch;
    }

    private Block pickBlock() {
        if (blocks.isEmpty()) {
            return null;
        }
        return blocks.get(random.nextInt(blocks.size()));
    }

    private Arr pickArray() {
        return arrays.isEmpty() ? null : arrays.get(random.nextInt(arrays.size()));
    }

    private long pickSize() {
        int dice = random.nextInt(100);
        if (dice < 3) {
            return 0;
        } else if (dice < 55) {
            return 1 + random.nextInt(64);
        } else if (dice < 85) {
            return 65 + random.nextInt(960);
        } else if (dice < 97) {
            return 1025 + random.nextInt(15_360);
        }
        return 65_536 + random.nextLong(BIG);
    }

    private long pickAlignment() {
        int dice = random.nextInt(100);
        if (dice < 30) {
            return 1;
        } else if (dice < 70) {
            return 1L << (1 + random.nextInt(3));   // 2, 4, 8
        } else if (dice < 88) {
            return 16;
        }
        return 1L << (5 + random.nextInt(8));      // 32 .. 4096
    }

    // ---- expectations --------------------------------------------------------------------------------

    private enum Expect { SUCCEED, FAIL, ANY }

    /**
     * What a call through {@code owner} must do: a live allocator, or the innermost open frame, must serve; a
     * closed allocator or frame, or a frame with frames open inside it, must refuse.
     */
    private static Expect usability(Owner owner) {
        Owner root = owner.root;
        Owner frame = owner.isView ? owner.frame : owner.isFrame ? owner : null;
        if (owner.uncertain || root.uncertain || (frame != null && frame.uncertain)) {
            return Expect.ANY;
        }
        if (owner.closed || root.closed || (frame != null && frame.closed)) {
            return Expect.FAIL;
        }
        if (frame != null) {
            if (root.framesUncertain || root.frames.isEmpty()) {
                return Expect.ANY;
            }
            if (root.frames.getLast() != frame) {
                return Expect.FAIL;   // not the innermost open frame
            }
        }
        return root.fallbackTampered ? Expect.ANY : Expect.SUCCEED;
    }

    /** The violation when a call that {@link #usability} says must fail succeeds. */
    private static String unusableCategory(Owner owner) {
        Owner frame = owner.isView ? owner.frame : owner.isFrame ? owner : null;
        return owner.closed || owner.root.closed || (frame != null && frame.closed) ? "closed-but-served"
                : "outer-frame-served";
    }

    /** Whether a valid request may still be refused with {@code thrown} by a live allocator. */
    private static boolean acceptableRefusal(Owner owner, Throwable thrown, long alignment) {
        Owner root = owner.root;
        if (thrown instanceof IndexOutOfBoundsException) {
            return root.kind.fallback == Kind.Fallback.NONE && root.kind.overBuffer && !owner.isView;
        }
        if (thrown instanceof IllegalArgumentException) {
            return alignment > maxAlignment(owner);
        }
        return false;
    }

    /**
     * The largest alignment an owner can give for any request: heap buffers give their array's, the heap
     * allocator 8; a frame's Arena view serves native memory, of any alignment.
     */
    private static long maxAlignment(Owner owner) {
        if (owner.isView) {
            return Long.MAX_VALUE;
        }
        Owner root = owner.root;
        long limit = Long.MAX_VALUE;
        if (root.kind == Kind.HEAP || root.kind.fallback == Kind.Fallback.HEAP) {
            limit = 8;
        }
        if (root.buf != null && root.buf.mem != NATIVE) {
            long element = root.buf.mem instanceof long[] ? 8 : 1;
            long offset = root.buf.start;   // a heap segment's address is its offset in the array
            limit = Math.min(limit, offset == 0 ? element : Math.min(element, Long.lowestOneBit(offset)));
        }
        return limit;
    }

    /** Blocks of an allocator or frame whose state the model lost after an unforeseen outcome: either outcome is fine. */
    private static boolean lenient(Block block) {
        return block.root.uncertain || block.via.uncertain || (block.via.frame != null && block.via.frame.uncertain);
    }

    /** Whether a use of {@code block} must throw: its memory was given back and is not the caller's buffer. */
    private static boolean mustThrow(Block block) {
        if (block.heap()) {
            return false;   // the garbage collector frees no array we hold
        }
        if (block.memoryFreed || (block.buf != null && block.buf.closed())) {
            return true;
        }
        if (block.state != State.STALE) {
            return false;
        }
        return switch (block.lifetime) {
            case BUFFER, HEAP -> false;        // the caller's buffer
            case VIEW, GENERATION -> block.ended;   // the view's scope ends with its frame; a generation's on reset
            case CHUNK -> block.root.chunksFreed;   // the allocator keeps its chunks until it closes
            case OWN -> true;
        };
    }

    private static boolean mayThrow(Block block) {
        return block.state != State.LIVE || lenient(block) || mustThrow(block);
    }

    /**
     * Why a free or reallocate of {@code block} through {@code owner} must be refused, as the violation if it
     * is not; null if it need not be.
     */
    private static String refusalRequired(Owner owner, Block block) {
        if (usability(owner) == Expect.FAIL) {
            return unusableCategory(owner);
        }
        if (lenient(block) || inClosedBufferRange(block)) {
            return null;
        }
        if (block.ownScope != null && block.size == 0) {
            return null;   // checked mode keeps an empty block at the cursor a rewind goes back to (it has no byte)
        }
        if (mustThrow(block)) {
            return "stale-block-accepted";      // its scope is dead: not a live block
        }
        if (block.lifetime == Lifetime.GENERATION && block.state == State.STALE) {
            return "stale-block-accepted";      // forgotten by the ledger, its memory held: not a live block
        }
        if (block.lifetime == Lifetime.VIEW && block.buf == null) {
            return "view-segment-accepted";     // the view's own arena's memory: not a block of the allocator
        }
        return null;
    }

    /** What a free or reallocate of {@code block} through {@code owner} must do. */
    private static Expect blockCall(Owner owner, Block block) {
        if (refusalRequired(owner, block) != null) {
            return Expect.FAIL;
        }
        if (usability(owner) == Expect.ANY || block.state != State.LIVE || lenient(block) || inClosedBufferRange(block)) {
            return Expect.ANY;
        }
        if (block.array != null && block.segment != null) {
            return Expect.ANY;   // a data view: a slice of the storage, unless the array is full
        }
        return Expect.SUCCEED;
    }

    /**
     * Whether {@code block} is memory handed out again (a fallback block, a view's) at an address of its
     * allocator's buffer after the caller closed the buffer's arena (a misuse): the allocator takes it for a
     * segment of its buffer, so a free ignores it and a reallocate copies it, freeing nothing.
     */
    private static boolean inClosedBufferRange(Block block) {
        Buf buf = block.root.buf;
        return block.buf == null && buf != null && buf.closed() && buf.contains(block.mem, block.start, block.size);
    }

    private static boolean documented(Throwable thrown) {
        return thrown instanceof IllegalStateException || thrown instanceof IllegalArgumentException
                || thrown instanceof IndexOutOfBoundsException || thrown instanceof WrongThreadException
                || thrown instanceof UnsupportedOperationException;
    }

    /** Runs a call and returns what it threw, or null. */
    private static Throwable attempt(Runnable call) {
        try {
            call.run();
            return null;
        } catch (Throwable thrown) {
            return thrown;
        }
    }

    /**
     * Checks a call's outcome against what it must do; returns whether it succeeded. An undocumented
     * exception is always a violation; a success where the call must fail is one of {@code failCategory}.
     */
    private boolean judge(String call, Throwable thrown, Expect expect, String failCategory, Supplier<String> refusal) {
        if (thrown == null) {
            if (expect == Expect.FAIL) {
                violation(failCategory, call + " succeeded, but must be refused (" + failCategory + ")");
            }
            return true;
        }
        if (!documented(thrown)) {
            violation("undocumented-exception", call + " threw an undocumented " + describe(thrown));
            return false;
        }
        documentedThrows++;
        if (expect == Expect.FAIL) {
            refusals.merge(failCategory, 1L, Long::sum);
        }
        if (expect == Expect.SUCCEED) {
            String why = refusal.get();
            if (why != null) {
                violation(why, call + " was refused by a live allocator: " + describe(thrown));
            }
        }
        return false;
    }

    // ---- operations --------------------------------------------------------------------------------

    private void allocate(Owner owner) {
        long size = pickSize();
        long alignment = pickAlignment();
        note("allocate " + size + "/" + alignment + " via " + owner);
        MemorySegment[] result = new MemorySegment[1];
        long[] before = beforeCall(owner);
        Throwable thrown = attempt(() -> result[0] = owner.isView
                ? owner.arena.allocate(size, alignment) : owner.allocator().allocate(size, alignment));
        Expect expect = usability(owner);
        if (thrown != null) {
            checkRefusalTookNoChunk(owner, before, "allocate(" + size + ", " + alignment + ")");
        }
        if (judge("allocate(" + size + ", " + alignment + ") via " + owner, thrown, expect, unusableCategory(owner),
                () -> acceptableRefusal(owner, thrown, alignment) ? null : "valid-request-refused")) {
            if (expect == Expect.FAIL) {
                makeUncertain(owner.root);
                return;
            }
            if (result[0].byteSize() != size) {
                violation("wrong-size", "allocate(" + size + ") returned " + result[0].byteSize() + " bytes");
            }
            if (result[0].byteSize() > 0 && result[0].address() % alignment != 0 && result[0].isNative()) {
                violation("misaligned", "allocate(" + size + ", " + alignment + ") returned address 0x"
                        + Long.toHexString(result[0].address()));
            }
            if (owner.isView && !result[0].isNative()) {
                violation("heap-arena-segment", "the Arena view " + owner + " returned a heap segment " + result[0]);
            }
            if (owner.isView && !result[0].scope().equals(owner.arena.scope())) {
                violation("view-segment-out-of-scope", "the Arena view " + owner + " returned " + result[0]
                        + ", which is not in the view's scope");
            }
            Block block = track(result[0], owner, null, List.of());
            block.origin = "op " + op + ": allocate";
            Owner root = owner.root;
            checkChunkRule(block, owner, expect, before, size, alignment);
            if (block.buf != null && !owner.isView && root.kind.checked && block.buf.rescopable()
                    && block.lifetime != Lifetime.OWN && block.size > 0) {
                violation("checked-block-unscoped", "checked " + root + " handed out " + block + " in the buffer's own"
                        + " scope, though only the garbage collector frees that buffer: a stale use would not throw");
            }
        }
    }

    /** The buffer of {@code root} that a segment lies in, or null. */
    private static Buf bufferOf(Owner root, Object mem, long start, long size, MemorySegment segment) {
        Buf buf = root.buf;
        if (buf == null || !buf.contains(mem, start, size)) {
            return null;
        }
        if (buf.closed() && segment.scope().isAlive()) {
            return null;   // memory handed out again where a closed arena's buffer was
        }
        return buf;
    }

    /** The lifetime of a segment bufalloc handed out through {@code via}, in {@code buf} (or null). */
    private static Lifetime lifetimeOf(MemorySegment segment, Owner via, Buf buf) {
        if (!segment.isNative()) {
            return Lifetime.HEAP;
        }
        if (via.isView) {
            return Lifetime.VIEW;
        }
        Owner root = via.root;
        if (buf != null) {
            MemorySegment.Scope bufferScope = root.bufferScope != null ? root.bufferScope.get() : null;
            if (bufferScope != null) {
                return segment.scope().equals(bufferScope) ? Lifetime.BUFFER : Lifetime.OWN;
            }
            return root.kind.checked && buf.rescopable() ? Lifetime.OWN : Lifetime.BUFFER;
        }
        return root.kind == Kind.SHARED ? Lifetime.GENERATION : Lifetime.OWN;
    }

    /**
     * Notes a growing root's chunk state before a call that may hand out a block through {@code owner}, for
     * {@link #chunkOf} to learn a chunk the call takes; returns it (null for other kinds).
     */
    private long[] beforeCall(Owner owner) {
        Owner root = owner.root;
        callRoot = root;
        callProbe = root.kind.growing && !owner.isView && root.chunkProbe != null ? root.chunkProbe.read() : null;
        return callProbe;
    }

    /** The size of the {@code index}-th chunk (from 1) of a growing root, by the documented rule. */
    private static long chunkSize(Owner root, long index) {
        long size = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, root.buf.size));
        for (long i = 2; i <= index && size < MAX_CHUNK; i++) {
            size = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, size * 2));
        }
        return size;
    }

    /** The bytes of the first {@code count} chunks of a growing root, by the documented rule. */
    private static long chunkBytes(Owner root, long count) {
        long bytes = 0;
        for (long i = 1; i <= count; i++) {
            bytes += chunkSize(root, i);
        }
        return bytes;
    }

    /**
     * The chunk of a growing root that a segment handed out through {@code via} lies in, or null (a block of
     * the buffer, a view's, or a block of its own from the fallback). A segment in no chunk the model knows is
     * in a new one if the allocator's statistics count more chunks than the model knows, and the call that
     * handed it out took one (or the model did not see the state before it): the model learns the chunk then.
     * Where the chunk starts follows from the cursor's move, if the call took exactly that chunk: the block
     * starts the chunk, after the padding its alignment needs.
     */
    private Chunk chunkOf(Owner via, Object mem, long start, long size, Buf buf) {
        Owner root = via.root;
        if (!root.kind.growing || via.isView || buf != null) {
            return null;
        }
        for (Chunk chunk : root.chunks) {
            if (chunk.contains(mem, start, size)) {
                return chunk;
            }
        }
        long[] now = root.chunkProbe == null ? null : root.chunkProbe.read();
        long[] before = callRoot == root ? callProbe : null;
        if (now == null || now[1] <= root.chunks.size()) {
            return null;   // no chunk the model has not seen: a block of its own
        }
        if (before != null && before[1] >= now[1]) {
            // Not taken by this call: a block of its own, unless a refused request took the first chunk (heap
            // chunks cannot align what it asked) and this block is the first to land in it.
            return mem == NATIVE || now[1] != 1 || heapBytes(mem) != chunkSize(root, 1) ? null
                    : untakenHeapChunk(root, mem, start, size);
        }
        if (now[2] != chunkBytes(root, now[1]) && !root.chunkSizesReported && !root.uncertain) {
            root.chunkSizesReported = true;
            violation("chunk-sizes", root + " holds " + now[1] + " chunks of " + now[2] + " bytes in all; the"
                    + " documented sizing (from " + root.buf.size + " B, at least " + MIN_CHUNK + ", doubling, at most "
                    + MAX_CHUNK + ") gives " + chunkBytes(root, now[1]));
        }
        boolean exact = before != null && before[1] == now[1] - 1;
        long chunkSize = chunkSize(root, now[1]);   // the newest chunk, the biggest of those it may lie in
        long low;
        long high;
        if (mem != NATIVE) {
            low = 0;       // the fallback's own array
            high = 0;
        } else {
            long padding = exact ? now[0] - before[0] - size : -1;
            if (padding >= 0 && padding < MAX_PICKED_ALIGNMENT && (start - padding) % CHUNK_START_ALIGNMENT == 0) {
                low = start - padding;
                high = low;
            } else {
                exact = false;
                low = start - MAX_PICKED_ALIGNMENT + CHUNK_START_ALIGNMENT;
                high = start;
            }
        }
        Chunk chunk = new Chunk(exact ? (int) now[1] : 0, chunkSize, mem, low, high);
        if (!chunk.contains(mem, start, size)) {
            violation("block-beyond-chunk", "a block of " + size + " B at 0x" + Long.toHexString(start) + " from "
                    + root + " does not fit in the " + chunk + " it opened");
        }
        root.chunks.add(chunk);
        if (trace) {
            log.println("  + " + chunk + " of " + root);
        }
        return chunk;
    }

    /**
     * {@return the first chunk, taken by a request it could not align, for a heap block that lies in an array of
     * its size; null if the block could as well be a fallback block of its own (it fills its array), which makes
     * the root's blocks uncertain}
     */
    private Chunk untakenHeapChunk(Owner root, Object mem, long start, long size) {
        if (start == 0 && size > heapBytes(mem) - Long.BYTES) {
            makeUncertain(root);
            return null;
        }
        Chunk chunk = new Chunk(1, chunkSize(root, 1), mem, 0, 0);
        root.chunks.add(chunk);
        if (trace) {
            log.println("  + " + chunk + " of " + root + ", taken by a refused request");
        }
        return chunk;
    }

    /** {@return the size in bytes of a heap segment's array} */
    private static long heapBytes(Object array) {
        return switch (array) {
            case byte[] a -> a.length;
            case short[] a -> 2L * a.length;
            case char[] a -> 2L * a.length;
            case int[] a -> 4L * a.length;
            case float[] a -> 4L * a.length;
            case long[] a -> 8L * a.length;
            case double[] a -> 8L * a.length;
            default -> -1;
        };
    }

    /**
     * A request through a live growing allocator that did not land in its buffer must land in a chunk when it is
     * not oversized (over half the next chunk in size, alignment, or the two together); an oversized one may land
     * in the chunk the cursor is in, if it fits there (as in the buffer), but must not take a new chunk.
     */
    private void checkChunkRule(Block block, Owner owner, Expect expect, long[] before, long size, long alignment) {
        Owner root = owner.root;
        if (!root.kind.growing || owner.isView || expect != Expect.SUCCEED || before == null || block.buf != null
                || lenient(block) || inClosedBufferRange(block) || root.chunks.size() < before[1]) {
            return;
        }
        long half = chunkSize(root, before[1] + 1) / 2;
        boolean oversized = size > half || alignment > half || size + alignment > half;
        long[] now = root.chunkProbe.read();
        boolean tookChunk = now != null && now[1] > before[1];
        if (oversized ? tookChunk : block.chunk == null) {
            violation("chunk-rule", "allocate(" + size + ", " + alignment + ") via " + owner + " gave " + block
                    + (tookChunk ? " and took a chunk" : "") + ", but the request is " + (oversized ? "" : "not ")
                    + "oversized (half the next chunk: " + half + " B)");
        }
    }

    /**
     * A request a growing allocator refused must leave its chunks as they were ("if it fails, nothing changes"),
     * but for its first chunk, which it may take to learn that the fallback's chunks cannot align the request
     * (heap memory), and keeps for later requests: otherwise every refused request could take another chunk.
     */
    private void checkRefusalTookNoChunk(Owner owner, long[] before, String call) {
        Owner root = owner.root;
        long[] now = before == null || root.chunkProbe == null ? null : root.chunkProbe.read();
        if (now != null && before[1] > 0 && now[1] > before[1] && !root.uncertain) {
            violation("refused-request-took-chunk", call + " via " + owner + " was refused, but the allocator went from "
                    + before[1] + " to " + now[1] + " chunks (" + now[2] + " bytes)");
        }
    }

    /** Starts tracking a segment bufalloc handed out; checks that it overlaps no live block but those it replaces. */
    private Block track(MemorySegment segment, Owner via, Arr array, List<Block> replaced) {
        Owner root = via.root;
        Object mem = memOf(segment);
        Buf buf = bufferOf(root, mem, segment.address(), segment.byteSize(), segment);
        Chunk chunk = chunkOf(via, mem, segment.address(), segment.byteSize(), buf);
        Block block = new Block(++nextId, segment, via, buf, mem, segment.address(), segment.byteSize(),
                chunk != null && mem == NATIVE ? Lifetime.CHUNK : lifetimeOf(segment, via, buf), segment.scope(), array);
        block.chunk = chunk;
        if (buf != null && !buf.rescopable() && block.lifetime != Lifetime.BUFFER && block.lifetime != Lifetime.HEAP
                && !lenient(block)) {
            // A scope of bufalloc's over memory its owner may free: the segment could outlive the memory.
            violation("closable-buffer-rescoped", block + " sees " + buf + ", whose owner may close its arena,"
                    + " through a scope other than the buffer's own");
        }
        block.depthLow = root.frames.size();
        block.depthHigh = root.frames.size();
        block.framesUnknown = root.framesUncertain;
        checkFresh(block, replaced);
        add(block);
        if (trace) {
            log.println("  = " + block);
        }
        return block;
    }

    private void add(Block block) {
        if (blocks.size() >= MAX_BLOCKS) {
            evictBlock();
        }
        blocks.add(block);
    }

    private void evictBlock() {
        int index = random.nextInt(blocks.size());
        Block victim = blocks.get(index);
        if (victim.array != null && victim.segment == null) {
            return;   // an array's storage stays while the array is tracked
        }
        if (victim.root == malloc && victim.state == State.LIVE && victim.segment != null && victim.array == null) {
            attempt(() -> malloc.allocator().free(victim.segment));   // no leak for the forgotten block
        }
        blocks.set(index, blocks.getLast());
        blocks.removeLast();
    }

    /**
     * Checks fresh memory from bufalloc against every tracked block: overlapping a live block (or a shared
     * allocator's freed buffer block before its reset, or memory a shared allocator holds) is a violation;
     * overlapping another buffer's stale block, or a freed fallback block, shows that the old block's memory
     * was given back, so using it must throw from now on.
     */
    private void checkFresh(Block fresh, List<Block> replaced) {
        if (fresh.buf != null && fresh.buf.closed()) {
            return;   // a slice of a closed arena's buffer: no memory is handed out (using it must throw)
        }
        boolean heapAllocatorBlock = fresh.heap() && fresh.buf == null;   // its own array: only a stale input aliases
        for (Block other : blocks) {
            if (other == fresh || !other.overlaps(fresh) || (other.buf != null && other.buf.closed())
                    || replaced.contains(other)) {
                continue;
            }
            boolean sameArray = fresh.array != null && fresh.array == other.array;
            boolean sameBuffer = other.buf != null && fresh.buf != null && other.buf.top == fresh.buf.top;
            boolean sameChunk = other.chunk != null && other.chunk == fresh.chunk;
            if (sameBuffer || sameChunk) {
                // The buffer's (or chunk's) bytes may be handed out again after a free, reset or frame close; but
                // not while a block is live, nor a shared allocator's before its reset. A dropped allocator's claim
                // may have been collected, and another allocator now manages the buffer.
                boolean otherAllocator = other.root != fresh.root && other.root.dropped;
                if ((other.state == State.LIVE || other.held) && !lenient(other) && !sameArray && !otherAllocator) {
                    violation("overlap", "new " + fresh + " overlaps " + (other.held ? "freed but held " : "live ")
                            + other);
                }
                continue;
            }
            if (other.state == State.LIVE && !lenient(other) && !sameArray && !heapAllocatorBlock) {
                violation("overlap", "new " + fresh + " overlaps live " + other);
            }
            heldMemoryHandedOut(other, "new " + fresh);
            if (!other.heap()) {
                other.memoryFreed = true;
            }
        }
    }

    /**
     * Memory a shared allocator holds until its next reset or close, or a chunk a growing allocator holds until
     * it closes, was handed out again: a violation.
     */
    private void heldMemoryHandedOut(Block other, String by) {
        if (other.state != State.STALE || lenient(other)) {
            return;   // a live block overlapped is a violation of its own
        }
        if (other.lifetime == Lifetime.GENERATION && !other.ended) {
            violation("held-memory-reused", by + " overlaps " + other + ", whose memory its shared allocator holds"
                    + " until its next reset or close: a stale use of it would read another block");
        } else if (other.lifetime == Lifetime.CHUNK && !other.root.chunksFreed) {
            violation("chunk-memory-reused", by + " overlaps " + other + " (from " + other.origin + "), whose chunk"
                    + " its allocator holds until it closes: a stale use of it would read another block");
        }
    }

    /** Checks fresh memory from the JDK against every tracked block: if it overlaps one, that block's memory was freed. */
    private void checkFreshJdkMemory(Buf fresh) {
        for (Block block : blocks) {
            if (block.heap() || block.mem != fresh.mem || block.size == 0
                    || block.start >= fresh.start + fresh.size || fresh.start >= block.start + block.size) {
                continue;
            }
            if (block.state == State.LIVE && !lenient(block) && !(block.buf != null && block.buf.closed())) {
                violation("freed-under-live-block", "the JDK handed out " + fresh + ", overlapping live " + block
                        + ": its memory was freed while it was live");
            }
            heldMemoryHandedOut(block, "the JDK's " + fresh);
            block.memoryFreed = true;
        }
    }

    private void access(Block block) {
        if (block == null || block.segment == null || block.size == 0) {
            return;
        }
        note("access " + block);
        boolean stale = block.state != State.LIVE || mustThrow(block);
        if (stale) {
            staleAccesses++;
        }
        if (mustThrow(block)) {
            if (usable(block.segment) && block.buf != null && block.lifetime == Lifetime.OWN) {
                // A checked block in the caller's buffer whose own scope should have ended: not a use of freed
                // memory (the memory is the caller's, kept reachable), but checked mode's promise broken.
                violation("checked-stale-block-usable", "a read of " + block + " (from " + block.origin + ") would"
                        + " return: checked mode must end a stale block's own scope");
                return;
            }
            if (usable(block.segment)) {
                // The read would return freed memory (or crash, if it was unmapped): report it and go on.
                violation("stale-segment-usable", "a read of " + block + " would return: its memory was given back"
                        + (block.lifetime == Lifetime.CHUNK && !block.memoryFreed ? " (its allocator closed, freeing"
                        + " its chunks)" : "") + " and is not the caller's buffer, but its segment's scope is alive");
                return;
            }
            long offset = random.nextLong(block.size);
            Throwable read = attempt(() -> block.segment.get(ValueLayout.JAVA_BYTE, offset));
            if (read == null) {
                violation("stale-read-succeeded", "a read of " + block + " returned: its memory was given back"
                        + " and is not the caller's buffer");
                return;   // writing there would corrupt the C heap and end the run
            }
            if (!(read instanceof IllegalStateException || read instanceof WrongThreadException)) {
                violation("stale-read-wrong-exception", "a read of " + block + " threw " + describe(read));
                return;
            }
            staleThrows++;
            Throwable write = attempt(() -> block.segment.set(ValueLayout.JAVA_BYTE, offset, (byte) 0x5A));
            if (write == null) {
                violation("stale-write-succeeded", "a write to " + block + " returned, though a read threw");
            } else if (!documented(write)) {
                violation("undocumented-exception", "a write to " + block + " threw " + describe(write));
            }
            return;
        }
        boolean readOnly = cautious && (block.state != State.LIVE || lenient(block));
        Throwable thrown = attempt(() -> {
            if (readOnly) {
                block.segment.get(ValueLayout.JAVA_BYTE, 0);
            } else {
                touch(block.segment);
            }
        });
        if (thrown == null) {
            return;
        }
        if (thrown instanceof IllegalStateException && mayThrow(block)) {
            if (stale) {
                staleThrows++;
            }
            return;
        }
        violation(documented(thrown) ? "live-block-unusable" : "undocumented-exception",
                "an access to " + block + " threw " + describe(thrown));
        if (thrown instanceof IllegalStateException) {
            uncertain(block);
        }
    }

    /**
     * Whether an access to {@code segment} on this thread would succeed: exactly when its scope is alive and
     * this thread may access it. Asked before reading a segment that must throw, so that a run that finds
     * one does not crash on it (its memory may be unmapped) but reports it and goes on.
     */
    private static boolean usable(MemorySegment segment) {
        return segment.scope().isAlive() && segment.isAccessibleBy(Thread.currentThread());
    }

    /** Reads or writes a few bytes of a segment. */
    private void touch(MemorySegment segment) {
        long size = segment.byteSize();
        switch (random.nextInt(5)) {
            case 0 -> segment.get(ValueLayout.JAVA_BYTE, random.nextLong(size));
            case 1 -> segment.set(ValueLayout.JAVA_BYTE, random.nextLong(size), (byte) random.nextInt());
            case 2 -> {
                if (size >= 8) {
                    segment.set(ValueLayout.JAVA_LONG_UNALIGNED, random.nextLong(size - 7), random.nextLong());
                } else {
                    segment.get(ValueLayout.JAVA_BYTE, 0);
                }
            }
            case 3 -> segment.asSlice(random.nextLong(size)).fill((byte) random.nextInt());
            default -> {
                long sum = 0;
                for (long i = 0; i < Math.min(size, 64); i++) {
                    sum += segment.get(ValueLayout.JAVA_BYTE, i);
                }
                if (sum == Long.MIN_VALUE) {
                    throw new AssertionError();   // keeps the reads
                }
            }
        }
    }

    /** The owner a block is freed or reallocated through: the one it came from, its root, or the innermost frame. */
    private Owner through(Block block) {
        Owner via = block.via.isView ? block.via.frame : block.via;
        int dice = random.nextInt(3);
        if (dice == 0 && block.root.subject != null) {
            return block.root;
        }
        if (dice == 1 && !block.root.frames.isEmpty() && block.root.frames.getLast().subject != null) {
            return block.root.frames.getLast();
        }
        if (via.subject != null) {
            return via;
        }
        return block.root.subject != null ? block.root : null;
    }

    private void free(Block block) {
        if (block == null || block.segment == null || (cautious && (block.state != State.LIVE || lenient(block)))) {
            return;
        }
        Owner owner = through(block);
        if (owner == null) {
            return;
        }
        note("free " + block + " through " + owner);
        List<Block> aliases = aliases(block);
        String mustRefuse = refusalRequired(owner, block);
        Expect expect = blockCall(owner, block);
        Throwable thrown = attempt(() -> owner.allocator().free(block.segment));
        if (!judge("free(" + block + ") through " + owner, thrown, expect, mustRefuse, () -> "live-free-refused")) {
            if (expect == Expect.SUCCEED) {
                uncertain(block);
            }
            return;
        }
        if (expect == Expect.FAIL || inClosedBufferRange(block)) {
            uncertain(block);
            return;
        }
        for (Block alias : aliases) {
            uncertain(alias);   // the same memory: given back if it was the most recent block
        }
        if (block.state == State.UNCERTAIN) {
            return;   // maybe not a block any more (an old handle of a block resized in place): maybe ignored
        }
        Block storage = block.array != null && block.segment != null ? block.array.storage : null;
        if (storage != null && block.mem == storage.mem && block.start == storage.start && block.size != storage.size) {
            return;   // a data view shorter than the storage: a slice of it, which a free ignores
        }
        freed(block, Why.FREE);
        checkScopeEnded(block, "free");
        storageFreedThrough(block);
    }

    /** A block freed or moved away: stale; a shared allocator's buffer block holds its bytes until the reset. */
    private static void freed(Block block, Why why) {
        if (block.state != State.STALE) {
            stale(block, why);
            block.held = block.root.kind == Kind.SHARED && block.buf != null && block.lifetime == Lifetime.BUFFER;
        }
        if (block.array != null && block.segment == null) {
            for (Block view : block.array.views) {
                if (view.sameMemory(block) || view.state == State.LIVE) {
                    stale(view, why);
                }
            }
        }
    }

    /**
     * The other tracked, not stale, blocks of the block's root with its memory, address and size: to the
     * allocator they are the same block (a stale handle identical to the most recent block is that block); with
     * the other handles of an array such a block is the storage of (its data views, which a resize or free of
     * the block reaches too).
     */
    private List<Block> aliases(Block block) {
        List<Block> aliases = new ArrayList<>();
        for (Block other : blocks) {
            if (other != block && other.root == block.root && other.state != State.STALE && other.sameMemory(block)) {
                aliases.add(other);
            }
        }
        for (int i = 0, n = aliases.size(); i < n; i++) {   // an array's storage or view: the array's other handles too
            Arr arr = aliases.get(i).array;
            if (arr != null && arr != block.array) {
                for (Block handle : arr.views) {
                    if (!aliases.contains(handle) && handle.state != State.STALE) {
                        aliases.add(handle);
                    }
                }
                if (arr.storage != null && !aliases.contains(arr.storage) && arr.storage.state != State.STALE) {
                    aliases.add(arr.storage);
                }
            }
        }
        return aliases;
    }

    /** A free of a data view frees the array's storage when it is exactly the storage (a slice is ignored). */
    private void storageFreedThrough(Block block) {
        Arr arr = block.array;
        if (arr == null || block.segment == null || arr.storage == null) {
            return;
        }
        Block storage = arr.storage;
        if (storage.mem != block.mem || storage.start != block.start) {
            return;
        }
        if (storage.size == block.size) {
            freed(storage, Why.FREE);
            for (Block view : arr.views) {
                stale(view, Why.FREE);
            }
        }
    }

    private void reallocate(Block block) {
        if (block == null || block.segment == null || block.array != null
                || (cautious && (block.state != State.LIVE || lenient(block)))) {
            return;
        }
        Owner owner = through(block);
        if (owner == null) {
            return;
        }
        long size = random.nextInt(4) == 0 ? block.size / 2 : pickSize();
        long alignment = random.nextInt(3) == 0 ? 1 : pickAlignment();
        note("reallocate " + block + " to " + size + "/" + alignment + " through " + owner);
        MemorySegment[] result = new MemorySegment[1];
        List<Block> aliases = aliases(block);
        String mustRefuse = refusalRequired(owner, block);
        Expect expect = blockCall(owner, block);
        beforeCall(owner);
        Throwable thrown = attempt(() -> result[0] = owner.allocator().reallocate(block.segment, size, alignment));
        if (!judge("reallocate(" + block + ", " + size + ", " + alignment + ") through " + owner, thrown, expect,
                mustRefuse, () -> acceptableRefusal(owner, thrown, alignment) ? null : "valid-request-refused")) {
            if (expect == Expect.SUCCEED && !acceptableRefusal(owner, thrown, alignment)) {
                uncertain(block);
            }
            return;
        }
        MemorySegment moved = result[0];
        if (moved.byteSize() != size) {
            violation("wrong-size", "reallocate to " + size + " returned " + moved.byteSize() + " bytes");
        }
        if (expect == Expect.FAIL) {
            uncertain(block);
            makeUncertain(block.root);
            return;
        }
        boolean inPlace = memOf(moved) == block.mem && moved.address() == block.start;
        if (inPlace && block.root.kind == Kind.SHARED && block.buf != null && block.size > 0 && moved.byteSize() > 0) {
            violation("shared-resized-in-place", "a shared allocator resized " + block + " in place: another thread"
                    + " may have allocated after it");
        }
        List<Block> replaced = new ArrayList<>(aliases);
        replaced.add(block);
        Block fresh = track(moved, owner, null, replaced);
        fresh.origin = "op " + op + ": reallocate of block#" + block.id + (inPlace ? " in place" : "") + " ("
                + block.state + ")";
        // A C-library block always moves (its old segment must be dead); a buffer or heap block may stay.
        boolean stays = inPlace && !(block.lifetime == Lifetime.OWN && block.buf == null);
        if (inClosedBufferRange(block)) {
            uncertain(block);   // taken for a segment of the closed buffer: copied, not freed
            return;
        }
        // A block resized in place is the most recent one, of the innermost frame (the default); a heap
        // fallback block that the heap allocator resized keeps its slot in the ledger, so its frame.
        if (block.heap() && block.buf == null && block.chunk == null && fresh.heap() && fresh.buf == null
                && fresh.chunk == null && block.root.kind.fallback == Kind.Fallback.HEAP) {
            fresh.depthLow = block.depthLow;
            fresh.depthHigh = block.depthHigh;
            fresh.framesUnknown = block.framesUnknown;
        }
        for (Block alias : aliases) {
            uncertain(alias);   // the same memory: resized or moved if it was the most recent block
        }
        if (stays) {
            uncertain(block);   // the old segment: the same memory (and, checked, the same scope), now the new block's
        } else if (block.state != State.UNCERTAIN) {
            freed(block, Why.MOVED);
            checkScopeEnded(block, "reallocate");
        }   // an uncertain handle (an old one of a block resized in place) is copied, maybe not given back
    }

    /** A block with a scope of its own that was just freed or moved: its scope must be over at once. */
    private void checkScopeEnded(Block block, String call) {
        if (mustThrow(block) && block.size > 0 && !lenient(block) && usable(block.segment)) {
            StringBuilder sharing = new StringBuilder();
            for (Block other : blocks) {
                if (other != block && other.segment != null && other.segment.scope().equals(block.segment.scope())) {
                    sharing.append("\n      shares its scope: ").append(other).append(" from ").append(other.origin);
                }
            }
            violation("freed-segment-alive", call + " of " + block + " (from " + block.origin + ") returned, but its"
                    + " segment is still usable: its memory was given back" + sharing);
        }
    }

    private void push(Owner root) {
        if (root == null || root.subject == null || !root.kind.frames) {
            return;
        }
        note("push on " + root);
        Kind.Subject[] frame = new Kind.Subject[1];
        Throwable thrown = attempt(() -> frame[0] = root.subject.push());
        Expect expect = usability(root);
        if (judge("push() on " + root, thrown, expect, unusableCategory(root), () -> "push-refused")) {
            Owner owner = new Owner(++nextId, root.kind, frame[0], root, null, root.buf, true, false,
                    root.frames.size() + 1, false);
            owner.uncertain = root.framesUncertain || root.uncertain;
            if (expect == Expect.FAIL) {
                owner.uncertain = true;
            }
            root.frames.add(owner);
        }
    }

    private void closeFrame() {
        Owner frame;
        int dice = random.nextInt(10);
        if (dice == 0 && !closedFrames.isEmpty()) {
            frame = closedFrames.get(random.nextInt(closedFrames.size()));
            if (frame.subject == null) {
                return;
            }
        } else {
            Owner root = pickFrameRoot();
            if (root.frames.isEmpty()) {
                return;
            }
            frame = dice <= 2 ? root.frames.get(random.nextInt(root.frames.size())) : root.frames.getLast();
            if (frame.subject == null) {
                return;
            }
        }
        boolean viaView = frame.view != null && frame.view.arena != null && random.nextBoolean();
        note("close " + frame + (viaView ? " through its view" : ""));
        Throwable thrown = attempt(() -> {
            if (viaView) {
                frame.view.arena.close();
            } else {
                frame.subject.close();
            }
        });
        Owner root = frame.root;
        int index = root.frames.indexOf(frame);
        boolean known = !(frame.uncertain || root.uncertain || root.framesUncertain);
        boolean innermost = index >= 0 && index == root.frames.size() - 1;
        Expect expect;
        String failCategory = "closed-but-served";
        if (!known) {
            expect = Expect.ANY;
        } else if (frame.closed || root.closed || index < 0) {
            expect = Expect.FAIL;
        } else if (!innermost) {
            expect = Expect.FAIL;   // closes the inner frames too, then reports the misuse
            failCategory = "outer-frame-close-unreported";
        } else {
            expect = Expect.SUCCEED;
        }
        judge("close() of " + frame, thrown, expect, failCategory, () -> "frame-close-refused");
        if (frame.closed || index < 0) {
            return;
        }
        if (known && (thrown == null || (!innermost && thrown instanceof IllegalStateException))) {
            closeFramesFrom(root, index);
        } else if (thrown == null) {
            closeFramesFrom(root, index);
            framesUncertain(root);
        } else {
            framesUncertain(root);
        }
    }

    /** Closes the frames of {@code root} from {@code index} on, and ends their blocks. */
    private void closeFramesFrom(Owner root, int index) {
        int depth = index + 1;
        while (root.frames.size() > index) {
            Owner frame = root.frames.removeLast();
            frame.closed = true;
            if (frame.view != null) {
                frame.view.closed = true;
            }
            if (frame.subject != null) {
                closedFrames.add(frame);
                if (closedFrames.size() > MAX_CLOSED_FRAMES) {
                    closedFrames.removeFirst();
                }
            }
        }
        for (Block block : blocks) {
            if (block.root != root) {
                continue;
            }
            if (block.framesUnknown && block.state != State.STALE) {
                uncertain(block);
            } else if (block.depthLow >= depth) {
                end(block, Why.FRAME);
            } else if (block.depthHigh >= depth) {
                uncertain(block);
            }
        }
    }

    /** The model no longer knows which of {@code root}'s frames are open: their blocks may be freed or not. */
    private void framesUncertain(Owner root) {
        root.framesUncertain = true;
        for (Owner frame : root.frames) {
            frame.uncertain = true;
            if (frame.view != null) {
                frame.view.uncertain = true;
            }
        }
        for (Block block : blocks) {
            if (block.root == root && (block.depthHigh >= 1 || block.framesUnknown)) {
                uncertain(block);
            }
        }
    }

    private void dropFrame() {
        Owner root = pickFrameRoot();
        if (root.frames.isEmpty()) {
            return;
        }
        Owner frame = root.frames.get(random.nextInt(root.frames.size()));
        note("drop " + frame);
        frame.subject = null;   // left open, as by an exception between push and try
        frame.dropped = true;
        if (frame.view != null) {
            frame.view.arena = null;
            frame.view.dropped = true;
        }
    }

    private void arenaView() {
        Owner root = pickFrameRoot();
        if (root.frames.isEmpty()) {
            return;
        }
        Owner frame = random.nextInt(4) == 0 ? root.frames.get(random.nextInt(root.frames.size())) : root.frames.getLast();
        if (frame.subject == null) {
            return;
        }
        note("asArena of " + frame);
        Arena[] view = new Arena[1];
        Throwable thrown = attempt(() -> view[0] = frame.subject.asArena());
        // Any open frame has a view, over any buffer (native memory of its own arena where the buffer cannot be
        // seen through another scope): innermost or not, heap buffer or not.
        Expect expect = frame.uncertain || root.uncertain || root.framesUncertain ? Expect.ANY
                : frame.closed || root.closed ? Expect.FAIL : Expect.SUCCEED;
        if (judge("asArena() of " + frame, thrown, expect, "closed-but-served", () -> "as-arena-refused")) {
            if (frame.view == null) {
                Owner owner = new Owner(++nextId, root.kind, frame.subject, root, frame, root.buf, false, true,
                        frame.depth, false);
                owner.arena = view[0];
                owner.uncertain = frame.uncertain;
                frame.view = owner;
            } else if (frame.view.arena != null && frame.view.arena != view[0]) {
                violation("another-arena-view", "asArena() of " + frame + " returned another view than before");
                frame.view.arena = view[0];
            }
        }
    }

    private void newRoot() {
        Kind kind = switch (random.nextInt(12)) {
            case 0, 1 -> Kind.BUFFER;
            case 2 -> Kind.BUFFER_HEAP_FALLBACK;
            case 3 -> Kind.BUFFER_NO_FALLBACK;
            case 4, 5 -> Kind.CHECKED;
            case 6, 7 -> Kind.GROWING;
            case 8 -> Kind.GROWING_HEAP_FALLBACK;
            default -> Kind.SHARED;
        };
        Buf buf = random.nextInt(10) < 7 ? newBuffer() : pickBuffer();
        if (buf == null || buf.segment == null) {
            return;
        }
        note("open " + kind + " over " + buf);
        Kind.Subject[] subject = new Kind.Subject[1];
        Throwable thrown = attempt(() -> subject[0] = kind.open(buf.segment));
        // A claim lives until its allocator is closed, collected (dropped: maybe not yet), or its buffer's memory
        // is freed (an arena closed; an automatic buffer is collected only after the claims on it).
        Owner certainOwner = null;
        boolean possibleOwner = false;
        Set<Buf> tops = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Buf other : allBuffers()) {
            tops.add(other.top);
        }
        for (Buf top : tops) {
            if (top.mem != buf.mem) {
                continue;
            }
            top.claimants.removeIf(owner -> owner.closed && !owner.uncertain);
            for (Owner owner : top.claimants) {
                if (owner.buf.closed() || !owner.buf.overlaps(buf)) {
                    continue;
                }
                if (owner.dropped || owner.uncertain) {
                    possibleOwner = true;
                } else {
                    certainOwner = owner;
                }
            }
        }
        String call = kind + ".open(" + buf + ")";
        if (buf.closed()) {
            if (thrown == null) {
                violation("closed-buffer-accepted", call + " succeeded over a closed arena's buffer");
            } else if (!(thrown instanceof IllegalArgumentException || thrown instanceof IllegalStateException)) {
                violation("undocumented-exception", call + " threw " + describe(thrown));
            } else {
                documentedThrows++;
            }
        } else if (certainOwner != null) {
            if (thrown == null) {
                violation("second-allocator-accepted", call + " succeeded, but live " + certainOwner
                        + " manages that memory");
            } else if (!(thrown instanceof IllegalStateException)) {
                violation(documented(thrown) ? "wrong-claim-exception" : "undocumented-exception",
                        call + " threw " + describe(thrown));
            } else {
                documentedThrows++;
            }
        } else if (thrown != null) {
            if (!documented(thrown)) {
                violation("undocumented-exception", call + " threw " + describe(thrown));
            } else if (possibleOwner && thrown instanceof IllegalStateException) {
                documentedThrows++;
            } else {
                violation("spurious-claim-refusal", call + " was refused though every allocator over that memory"
                        + " is closed or its buffer's memory freed (a claim outlived them): " + describe(thrown));
            }
        }
        if (thrown == null) {
            if (roots.size() >= MAX_ROOTS + 3) {
                retireRoot();
            }
            Owner root = new Owner(++nextId, kind, subject[0], null, null, buf, false, false, 0, false);
            root.bufferScope = new WeakReference<>(buf.segment.scope());
            if (kind.growing) {
                root.chunkProbe = subject[0].chunkProbe();
            }
            roots.add(root);
            buf.top.claimants.add(root);
        }
    }

    private List<Buf> allBuffers() {
        List<Buf> all = new ArrayList<>(bufs);
        all.addAll(globals);
        return all;
    }

    private Buf pickBuffer() {
        List<Buf> all = allBuffers();
        Buf buf = all.get(random.nextInt(all.size()));
        if (buf.segment != null && !buf.closed() && buf.size >= 64 && random.nextInt(3) == 0) {
            long offset = random.nextLong(buf.size / 2);
            long size = 1 + random.nextLong(buf.size - offset);
            Buf part = new Buf(++nextId, buf.memory, buf.segment.asSlice(offset, size), null, buf.top);
            addBuffer(part);
            return part;
        }
        return buf;
    }

    private Buf newBuffer() {
        long size = switch (random.nextInt(20)) {
            case 0 -> BIG;
            case 1, 2 -> 65_536;
            case 3, 4, 5, 6, 7, 8, 9 -> 16 + random.nextInt(496);
            default -> 512 + random.nextInt(7680);
        };
        long alignment = 1L << random.nextInt(13);
        Buf buf = switch (random.nextInt(7)) {
            case 0, 1 -> {
                Arena arena = Arena.ofConfined();
                yield new Buf(++nextId, "confined", arena.allocate(size, alignment), arena, null);
            }
            case 2 -> {
                Arena arena = Arena.ofShared();
                yield new Buf(++nextId, "shared", arena.allocate(size, alignment), arena, null);
            }
            case 3 -> new Buf(++nextId, "auto", Arena.ofAuto().allocate(size, alignment), null, null);
            case 4 -> globals.get(random.nextInt(globals.size()));
            case 5 -> new Buf(++nextId, "byte[]", MemorySegment.ofArray(new byte[(int) size]), null, null);
            default -> new Buf(++nextId, "long[]", MemorySegment.ofArray(new long[(int) (size + 7) / 8]), null, null);
        };
        if (buf.memory.equals("global")) {
            return buf;
        }
        if (buf.mem == NATIVE) {
            checkFreshJdkMemory(buf);
        }
        addBuffer(buf);
        return buf;
    }

    private void addBuffer(Buf buf) {
        if (bufs.size() >= MAX_BUFS) {
            Buf old = bufs.removeFirst();
            if (old.arena != null && !old.arenaClosed) {
                closeArena(old);      // its allocators, if any, are left over a closed buffer
            }
            old.segment = null;       // dropped: an automatic buffer's memory goes when it is unreachable
            old.dropped = true;
        }
        bufs.add(buf);
    }

    private void retireRoot() {
        for (Owner root : roots) {
            if (!root.permanent) {
                if (random.nextBoolean() && root.subject != null && !root.closed) {
                    close(root);
                }
                if (roots.contains(root)) {
                    dropRoot(root);
                }
                return;
            }
        }
    }

    private void reset(Owner root) {
        if (root == null || root.subject == null || root.kind == Kind.MALLOC || root.kind == Kind.HEAP) {
            return;
        }
        note("reset " + root);
        Throwable thrown = attempt(() -> root.subject.reset());
        Expect expect = root.uncertain ? Expect.ANY : root.closed ? Expect.FAIL : Expect.SUCCEED;
        boolean done = judge("reset() of " + root, thrown, expect, "closed-but-served", () -> "reset-refused");
        if (root.closed && !root.uncertain) {
            return;
        }
        if (done) {
            endAll(root, Why.RESET);
        } else if (thrown != null) {
            makeUncertain(root);
        }
    }

    private void close(Owner root) {
        if (root == null || root.subject == null || root.permanent) {
            return;
        }
        note("close " + root);
        Throwable thrown = attempt(() -> root.subject.close());
        Expect expect = root.uncertain ? Expect.ANY : root.closed ? Expect.FAIL : Expect.SUCCEED;
        boolean done = judge("close() of " + root, thrown, expect, "closed-but-served", () -> "close-refused");
        if (root.closed && !root.uncertain) {
            return;
        }
        if (done) {
            root.chunksFreed = true;
            endAll(root, Why.CLOSE);
            root.closed = true;
        } else if (thrown != null) {
            makeUncertain(root);
        }
    }

    /** A reset or close that returned: every frame ends, every block is stale, a shared allocator's generation ends. */
    private void endAll(Owner root, Why why) {
        for (Owner frame : root.frames) {
            frame.closed = true;
            if (frame.view != null) {
                frame.view.closed = true;
            }
            if (frame.subject != null) {
                closedFrames.add(frame);
            }
        }
        while (closedFrames.size() > MAX_CLOSED_FRAMES) {
            closedFrames.removeFirst();
        }
        root.frames.clear();
        root.framesUncertain = false;
        root.fallbackTampered = false;
        root.uncertain = false;
        for (Block block : blocks) {
            if (block.root == root) {
                end(block, why);
            }
        }
    }

    private void makeUncertain(Owner root) {
        root.uncertain = true;
        for (Block block : blocks) {
            if (block.root == root) {
                uncertain(block);
            }
        }
    }

    private void dropRoot(Owner root) {
        if (root == null || root.permanent) {
            return;
        }
        note("drop " + root);
        roots.remove(root);
        root.dropped = true;
        root.subject = null;
        if (random.nextBoolean()) {   // let go of everything that keeps the allocator reachable
            for (Owner frame : root.frames) {
                frame.subject = null;
                frame.dropped = true;
                if (frame.view != null) {
                    frame.view.arena = null;
                    frame.view.dropped = true;
                }
            }
            closedFrames.removeIf(frame -> frame.root == root);
            for (Arr array : List.copyOf(arrays)) {
                if (array.owner.root == root) {
                    dropArray(array);
                }
            }
        }
    }

    private void closeArena() {
        List<Buf> open = new ArrayList<>();
        for (Buf buf : bufs) {
            if (buf.arena != null && !buf.arenaClosed) {
                open.add(buf);
            }
        }
        if (!open.isEmpty()) {
            closeArena(open.get(random.nextInt(open.size())));
        }
    }

    private void closeArena(Buf buf) {
        note("close the arena of " + buf);
        Throwable thrown = attempt(buf.arena::close);
        if (thrown != null) {
            violation("arena-close-failed", "the caller's arena of " + buf + " could not be closed: " + describe(thrown)
                    + " (bufalloc keeps it acquired)");
            return;
        }
        buf.arenaClosed = true;
    }

    private void dropBuffer() {
        if (bufs.isEmpty()) {
            return;
        }
        Buf buf = bufs.get(random.nextInt(bufs.size()));
        if (buf.arena != null) {
            return;   // confined and shared buffers are closed, not dropped
        }
        note("drop " + buf);
        bufs.remove(buf);
        buf.segment = null;
        buf.dropped = true;
    }

    private void gc() {
        note("System.gc()");
        System.gc();
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- dynamic arrays ----------------------------------------------------------------------------

    private void newArray(Owner owner) {
        if (owner.isView || owner.subject == null) {
            return;
        }
        long capacity = random.nextBoolean() ? 0 : 1 + random.nextInt(64);
        note("new array of " + capacity + " over " + owner);
        Kind.LongArray[] array = new Kind.LongArray[1];
        beforeCall(owner);
        Throwable thrown = attempt(() -> array[0] = Kind.longArray(owner.allocator(), capacity));
        Expect expect = capacity == 0 ? Expect.SUCCEED : usability(owner);
        if (!judge("a new array over " + owner, thrown, expect, unusableCategory(owner),
                () -> acceptableRefusal(owner, thrown, 8) ? null : "valid-request-refused")) {
            return;
        }
        if (expect == Expect.FAIL) {
            makeUncertain(owner.root);
        }
        if (arrays.size() >= MAX_ARRAYS) {
            Arr old = arrays.getFirst();
            if (random.nextBoolean()) {
                arrayClose(old);
            }
            dropArray(old);
        }
        Arr arr = new Arr(++nextId, array[0], owner);
        arrays.add(arr);
        refresh(arr);
    }

    /** Whether a use of the array's storage must throw, checked by a read first (a write would corrupt). */
    private boolean staleStorageServed(Arr arr, String call) {
        Block storage = arr.storage;
        if (storage == null || !mustThrow(storage) || arr.closed) {
            return false;
        }
        staleAccesses++;
        MemorySegment[] data = new MemorySegment[1];
        Throwable failed = attempt(() -> data[0] = arr.array.data());
        if (failed == null && usable(data[0])) {
            violation("stale-array-usable", call + ": " + arr + " would use its " + storage
                    + ", whose memory was given back, but the array's segment is alive");
            return true;
        }
        long size = arr.array.size();
        if (size == 0) {
            return false;
        }
        Throwable read = attempt(() -> arr.array.get(0));
        if (read == null) {
            violation("stale-array-read-succeeded", call + ": " + arr + " read its " + storage
                    + ", whose memory was given back");
            return true;
        }
        if (!documented(read)) {
            violation("undocumented-exception", call + ": " + arr + " threw " + describe(read));
            return true;
        }
        staleThrows++;
        return false;
    }

    private void arrayPush(Arr arr) {
        if (arr == null || arr.array == null || (cautious && arr.storage != null
                && (arr.storage.state != State.LIVE || lenient(arr.storage) || mustThrow(arr.storage)))) {
            return;
        }
        int count = random.nextInt(20) == 0 ? 500 + random.nextInt(5000) : 1 + random.nextInt(40);
        note("push " + count + " onto " + arr);
        if (staleStorageServed(arr, "push")) {
            return;
        }
        for (int i = 0; i < count; i++) {
            long value = i;
            long capacityBefore = arr.closed ? 0 : arr.array.capacity();
            boolean grows = arr.closed || arr.array.size() == capacityBefore;
            Block storage = arr.storage;
            boolean staleWrite = !grows && storage != null && mustThrow(storage);
            if (staleWrite && staleStorageServed(arr, "push")) {
                return;
            }
            Owner root = arr.owner.root;
            if (grows && !arr.closed && root.buf != null && root.buf.closed()) {
                // Grow without writing: the new storage may be a slice of the closed buffer, checked before use.
                long capacity = Math.max(32, capacityBefore * 2);
                beforeCall(arr.owner);
                Throwable thrown = attempt(() -> arr.array.reserve(capacity));
                op++;
                if (!judge("reserve(" + capacity + ") of " + arr, thrown, Expect.ANY, "", () -> null)) {
                    break;
                }
                refresh(arr);
                continue;
            }
            Expect expect;
            String failCategory = "closed-but-served";
            if (arr.closed) {
                expect = Expect.FAIL;
            } else if (grows) {
                expect = arrayExpectation(arr);
                if (storage != null && refusalRequired(arr.owner, storage) != null) {
                    failCategory = refusalRequired(arr.owner, storage);
                } else if (storage == null) {
                    failCategory = unusableCategory(arr.owner);
                }
            } else {
                expect = storage != null && storage.state == State.LIVE && !mayThrow(storage) ? Expect.SUCCEED : Expect.ANY;
            }
            beforeCall(arr.owner);
            Throwable thrown = attempt(() -> arr.array.push(value));
            op++;
            if (staleWrite && thrown == null) {
                violation("stale-array-write-succeeded", "push onto " + arr + " wrote into its " + storage
                        + ", whose memory was given back");
                return;
            }
            if (!judge("push onto " + arr, thrown, expect, failCategory,
                    () -> acceptableRefusal(arr.owner, thrown, 8) ? null : "valid-request-refused")) {
                break;
            }
            if (expect == Expect.FAIL) {
                makeUncertain(root);
            }
            if (arr.array.capacity() != capacityBefore) {
                refresh(arr);
            }
        }
        refresh(arr);
    }

    /** What an array's growth must do: reallocate its storage (or allocate the first) through its owner. */
    private Expect arrayExpectation(Arr arr) {
        if (arr.closed) {
            return Expect.FAIL;
        }
        if (arr.storage == null) {
            return usability(arr.owner);
        }
        return blockCall(arr.owner, arr.storage);
    }

    private void arrayView(Arr arr) {
        if (arr == null || arr.array == null) {
            return;
        }
        note("data() of " + arr);
        MemorySegment[] data = new MemorySegment[1];
        Throwable thrown = attempt(() -> data[0] = arr.array.data());
        if (!judge("data() of " + arr, thrown, arr.closed ? Expect.FAIL : Expect.SUCCEED, "closed-but-served",
                () -> "data-refused")) {
            return;
        }
        if (data[0].byteSize() == 0 || arr.storage == null) {
            return;
        }
        Block storage = arr.storage;
        Block view = new Block(++nextId, data[0], storage.via, storage.buf, storage.mem, data[0].address(),
                data[0].byteSize(), storage.lifetime, data[0].scope(), arr);
        view.origin = "op " + op + ": data() of " + arr;
        view.chunk = storage.chunk;
        view.depthLow = storage.depthLow;
        view.depthHigh = storage.depthHigh;
        view.framesUnknown = storage.framesUnknown;
        view.state = storage.state;
        view.why = storage.why;
        view.ended = storage.ended;
        view.held = storage.held;
        view.memoryFreed = storage.memoryFreed;
        if (trace) {
            log.println("  = " + view);
        }
        arr.views.add(view);
        if (arr.views.size() > 8) {
            blocks.remove(arr.views.removeFirst());   // untracked views must not stay "live" across a growth
        }
        add(view);
    }

    private void arrayRead(Arr arr) {
        if (arr == null || arr.array == null || arr.closed) {
            return;
        }
        long size = arr.array.size();
        if (size == 0) {
            return;
        }
        long index = random.nextLong(size);
        note("get(" + index + ") of " + arr);
        Block storage = arr.storage;
        boolean must = storage != null && mustThrow(storage);
        if (must) {
            staleAccesses++;
            if (staleStorageServed(arr, "get(" + index + ")")) {
                return;
            }
        }
        Throwable thrown = attempt(() -> arr.array.get(index));
        if (thrown == null) {
            if (must) {
                violation("stale-array-read-succeeded", arr + " read its " + storage + ", whose memory was given back");
            }
            return;
        }
        if (thrown instanceof IllegalStateException && storage != null && mayThrow(storage)) {
            staleThrows++;
            return;
        }
        violation(documented(thrown) ? "live-block-unusable" : "undocumented-exception",
                "get(" + index + ") of " + arr + " threw " + describe(thrown));
        if (storage != null) {
            uncertain(storage);
        }
    }

    private void arrayClose(Arr arr) {
        if (arr == null || arr.array == null) {
            return;
        }
        note("close " + arr);
        boolean wasClosed = arr.closed;
        Throwable thrown = attempt(() -> arr.array.close());
        Block storage = arr.storage;
        Expect expect = wasClosed || storage == null ? Expect.SUCCEED : blockCall(arr.owner, storage);
        String failCategory = storage == null ? "" : String.valueOf(refusalRequired(arr.owner, storage));
        boolean freed = judge("close() of " + arr, thrown, expect, failCategory, () -> "array-close-refused");
        arr.closed = true;   // closed all the same
        if (wasClosed || storage == null) {
            return;
        }
        if (freed && inClosedBufferRange(storage)) {
            uncertain(storage);   // taken for a segment of the closed buffer: ignored, not freed
            for (Block view : arr.views) {
                uncertain(view);
            }
        } else if (freed && expect != Expect.FAIL) {
            for (Block alias : aliases(storage)) {
                uncertain(alias);
            }
            freed(storage, Why.FREE);
            for (Block view : arr.views) {
                stale(view, Why.FREE);
            }
        } else if (freed || expect == Expect.SUCCEED) {
            uncertain(storage);
        }
    }

    private void arrayDrop(Arr arr) {
        if (arr != null) {
            note("drop " + arr);
            dropArray(arr);
        }
    }

    private void dropArray(Arr arr) {
        arrays.remove(arr);
        arr.array = null;
        arr.dropped = true;
        if (arr.storage != null) {
            blocks.remove(arr.storage);   // its memory stays allocated until the allocator ends it
        }
    }

    /** Reads an array's storage after a call: a growth moves the storage, and ends the old data views. */
    private void refresh(Arr arr) {
        if (arr.array == null || arr.closed) {
            return;
        }
        long capacity = arr.array.capacity();
        MemorySegment data;
        try {
            data = arr.array.data();
        } catch (RuntimeException e) {
            violation("data-refused", "data() of open " + arr + " threw " + describe(e));
            return;
        }
        if (capacity == 0 || data.equals(MemorySegment.NULL)) {
            return;
        }
        Object mem = memOf(data);
        long start = data.address();
        long bytes = capacity * Long.BYTES;
        Block old = arr.storage;
        if (old != null && old.mem == mem && old.start == start && old.size == bytes) {
            return;
        }
        if (old != null && old.state == State.LIVE && old.mem == mem && old.start == start) {
            old.size = bytes;   // grown in place
            checkFresh(old, List.of());
            for (Block view : arr.views) {
                uncertain(view);   // views end when the array grows, but their memory is still the array's
            }
            return;
        }
        Owner root = arr.owner.root;
        Buf buf = bufferOf(root, mem, start, bytes, data);
        Chunk chunk = chunkOf(arr.owner, mem, start, bytes, buf);
        Block storage = new Block(++nextId, null, arr.owner, buf, mem, start, bytes,
                chunk != null && mem == NATIVE ? Lifetime.CHUNK : lifetimeOf(data, arr.owner, buf), data.scope(), arr);
        storage.chunk = chunk;
        storage.depthLow = root.frames.size();
        storage.depthHigh = root.frames.size();
        storage.framesUnknown = root.framesUncertain;
        storage.origin = "op " + op + ": storage of " + arr + (old != null ? " after storage#" + old.id + " (" + old.state
                + ")" : "");
        if (old != null && old.state == State.LIVE && old.heap() && old.buf == null && old.chunk == null
                && storage.heap() && buf == null && chunk == null && root.kind.fallback == Kind.Fallback.HEAP) {
            storage.depthLow = old.depthLow;   // a heap fallback block the fallback resized keeps its frame
            storage.depthHigh = old.depthHigh;
            storage.framesUnknown = old.framesUnknown;
        }
        List<Block> replaced = new ArrayList<>();
        if (old != null) {
            replaced.add(old);
            replaced.addAll(aliases(old));
        }
        checkFresh(storage, replaced);
        if (old != null) {
            boolean wasLive = old.state == State.LIVE;
            for (Block alias : replaced) {
                if (alias != old) {
                    uncertain(alias);
                }
            }
            boolean copied = inClosedBufferRange(old);   // taken for a segment of the closed buffer: not freed
            if (wasLive) {
                if (copied) {
                    uncertain(old);
                } else {
                    stale(old, Why.MOVED);
                }
            }
            blocks.remove(old);
            for (Block view : arr.views) {
                if (view.state == State.LIVE && copied) {
                    uncertain(view);
                } else if (view.state == State.LIVE) {
                    stale(view, Why.MOVED);
                }
                view.memoryFreed |= old.memoryFreed;
                view.ended |= old.ended;
            }
            arr.views.clear();
        }
        arr.storage = storage;
        add(storage);
        if (trace) {
            log.println("  = " + storage);
        }
    }

    // ---- foreign calls -----------------------------------------------------------------------------

    /** Frees a block through an allocator that did not hand it out: refused or ignored, never freed. */
    private void foreignFree(Block block) {
        if (block == null || block.segment == null || cautious) {
            return;
        }
        Owner other = pickRoot();
        if (other == block.root || other.subject == null || other.kind == Kind.MALLOC || other.kind == Kind.HEAP) {
            return;
        }
        for (Block own : blocks) {
            if (own.root == other && own.sameMemory(block)) {
                return;   // the same address and size as one of its own blocks: a legitimate free
            }
        }
        // Memory that is not in the other allocator's buffer is not its block: it must refuse it.
        boolean inItsBuffer = other.buf != null && other.buf.contains(block.mem, block.start, block.size);
        for (Chunk chunk : other.chunks) {
            inItsBuffer |= chunk.contains(block.mem, block.start, block.size);   // its chunks are its memory too
        }
        note("free " + block + " through foreign " + other);
        Throwable thrown = attempt(() -> other.allocator().free(block.segment));
        if (thrown == null) {
            if (!inItsBuffer && !block.heap() && !other.uncertain) {
                violation("foreign-free-accepted", "free(" + block + ") through foreign " + other + " returned, though"
                        + " the memory is not in its buffer");
            }
        } else if (!documented(thrown)) {
            violation("undocumented-exception", "free(" + block + ") through foreign " + other + " threw "
                    + describe(thrown));
        } else {
            documentedThrows++;
        }
    }

    /**
     * Frees or reallocates a segment of a root's buffer that is not a block: part of a block, a span of two
     * blocks, an empty slice, or the whole buffer. Only exactly the most recent block may give bytes back:
     * a slice below the cursor is ignored by free and moved by reallocate (a new block, nothing given back),
     * one beyond the cursor is refused. If the allocator rewinds anyway, the next allocation overlaps a live
     * block (checked by {@link #checkFresh}).
     */
    private void sliceCall() {
        if (cautious) {
            return;
        }
        Owner root = pickRoot();
        if (root.subject == null || root.buf == null || root.buf == scratchBuf || root.buf.segment == null) {
            return;
        }
        Buf buf = root.buf;
        MemorySegment slice;
        Block of = null;
        int dice = random.nextInt(3);
        if (dice == 0) {
            slice = buf.segment;
        } else if (dice == 1) {
            long from = random.nextLong(buf.size + 1);
            slice = buf.segment.asSlice(from, random.nextLong(buf.size - from + 1));
        } else {
            of = pickBlock();
            if (of == null || of.segment == null || of.size < 2 || of.root != root) {
                return;
            }
            slice = random.nextBoolean() ? of.segment.asSlice(1) : of.segment.asSlice(0, of.size - 1);
        }
        Object mem = memOf(slice);
        for (Block block : blocks) {
            if (block.mem == mem && block.start == slice.address() && block.size == slice.byteSize()) {
                return;   // exactly a block: a legitimate call
            }
        }
        Owner owner = root.frames.isEmpty() || root.frames.getLast().subject == null || random.nextBoolean()
                ? root : root.frames.getLast();
        boolean reallocate = random.nextInt(3) == 0;
        long size = pickSize();
        long alignment = random.nextInt(2) == 0 ? 1 : pickAlignment();
        long used = root.subject.usedBytes();
        long end = slice.address() - buf.start + slice.byteSize();
        // A growing allocator that went on to a chunk counts the chunks' bytes in usedBytes: what it left in use in
        // the buffer is not known, only that it is at most that.
        long[] chunkState = root.kind.growing ? root.chunkProbe.read() : null;
        boolean bufferUseUnknown = chunkState != null && chunkState[1] > 0;
        Expect expect;
        String failCategory = unusableCategory(owner);
        Expect usable = usability(owner);
        if (usable == Expect.FAIL) {
            expect = Expect.FAIL;
        } else if (dice == 2 || usable == Expect.ANY) {
            expect = Expect.ANY;   // a slice of a block is in the block's scope: whatever that allows
        } else if (buf.closed()) {
            expect = Expect.FAIL;  // the buffer's memory is freed: no block of it is live
            failCategory = "stale-block-accepted";
        } else if (end > used) {
            expect = Expect.FAIL;  // not below the cursor: cannot be a live block
            failCategory = "beyond-cursor-accepted";
        } else if (bufferUseUnknown) {
            expect = Expect.ANY;
        } else {
            expect = Expect.SUCCEED;
        }
        MemorySegment target = slice;
        String call = (reallocate ? "reallocate" : "free") + " of slice [0x" + Long.toHexString(target.address()) + ", "
                + target.byteSize() + " B] of " + (of != null ? of : buf) + " (" + used + " B in use)"
                + (reallocate ? " to " + size + "/" + alignment : "") + " through " + owner;
        note(call);
        MemorySegment[] result = new MemorySegment[1];
        beforeCall(owner);
        Throwable thrown = attempt(() -> {
            if (reallocate) {
                result[0] = owner.allocator().reallocate(target, size, alignment);
            } else {
                owner.allocator().free(target);
            }
        });
        if (!judge(call, thrown, expect, failCategory, () -> reallocate && acceptableRefusal(owner, thrown, alignment)
                ? null : reallocate ? "valid-request-refused" : "slice-free-refused")) {
            return;
        }
        if (expect == Expect.FAIL) {
            makeUncertain(root);
            return;
        }
        if (reallocate) {
            if (result[0].byteSize() != size) {
                violation("wrong-size", call + " returned " + result[0].byteSize() + " bytes");
            }
            track(result[0], owner, null, List.of()).origin = "op " + op + ": reallocate of a slice";
        }
    }

    /** Frees a buffer allocator's fallback block straight through malloc: malloc must refuse what it did not hand out. */
    private void mallocFreesFallbackBlock(Block block) {
        if (block == null || block.segment == null || block.root == malloc || cautious) {
            return;
        }
        note("malloc frees " + block);
        Throwable thrown = attempt(() -> malloc.allocator().free(block.segment));
        if (thrown != null) {
            if (!documented(thrown)) {
                violation("undocumented-exception", "malloc's free(" + block + ") threw " + describe(thrown));
            } else {
                documentedThrows++;
            }
            return;
        }
        violation("malloc-freed-foreign-memory", "malloc's free accepted " + block + ", which malloc never handed"
                + " out (a buffer allocator takes its fallback blocks from the C library and scopes them itself)");
        uncertain(block);
        block.root.fallbackTampered = true;
    }

    /** A call from another thread: a confined allocator must refuse it with WrongThreadException. */
    private void otherThread() {
        Owner owner = pickOwner();
        if (owner.subject == null && owner.arena == null) {
            return;
        }
        if (owner == malloc) {
            otherThreadMalloc();
            return;
        }
        note("allocate on another thread via " + owner);
        MemorySegment[] result = new MemorySegment[1];
        Throwable[] thrown = new Throwable[1];
        beforeCall(owner);
        Thread thread = Thread.ofVirtual().start(() -> thrown[0] = attempt(() -> result[0] = owner.isView
                ? owner.arena.allocate(16, 8) : owner.allocator().allocate(16, 8)));
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (thrown[0] != null) {
            if (!documented(thrown[0])) {
                violation("undocumented-exception", "allocate on another thread via " + owner + " threw "
                        + describe(thrown[0]));
            } else {
                documentedThrows++;
                if (!owner.root.kind.confined && usability(owner) == Expect.SUCCEED
                        && !acceptableRefusal(owner, thrown[0], 8)) {
                    violation("valid-request-refused", "allocate on another thread via " + owner + ", which any"
                            + " thread may use, threw " + describe(thrown[0]));
                }
            }
            return;
        }
        if (owner.root.kind.confined) {
            violation("confined-served-other-thread", owner + " served another thread");
            return;
        }
        if (usability(owner) == Expect.FAIL) {
            violation("closed-but-served", "allocate on another thread via closed " + owner + " succeeded");
            return;
        }
        track(result[0], owner, null, List.of());
    }

    /**
     * A read of a block from another thread: a block in a scope of bufalloc's own (malloc's, a confined
     * allocator's C-library or checked blocks, a frame view's) is confined to the allocator's thread and must
     * get WrongThreadException (or IllegalStateException, if stale); other memory is whatever its owner's scope
     * allows.
     */
    private void otherThreadAccess(Block block) {
        if (block == null || block.segment == null || block.size == 0 || (mustThrow(block) && usable(block.segment))) {
            return;   // a stale segment whose scope is alive is reported by access(), never read
        }
        note("read on another thread " + block);
        Throwable[] thrown = new Throwable[1];
        Thread thread = Thread.ofVirtual().start(() -> thrown[0] = attempt(() -> block.segment.get(ValueLayout.JAVA_BYTE, 0)));
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        boolean confined = block.lifetime == Lifetime.OWN || block.lifetime == Lifetime.VIEW;
        if (thrown[0] == null) {
            if (confined && !lenient(block)) {
                violation("confined-block-read-elsewhere", "another thread read " + block + ", whose scope is confined"
                        + " to the allocator's thread");
            } else if (mustThrow(block)) {
                violation("stale-read-succeeded", "another thread read " + block + ", whose memory was given back");
            }
        } else if (!(thrown[0] instanceof WrongThreadException || thrown[0] instanceof IllegalStateException)) {
            violation("undocumented-exception", "another thread's read of " + block + " threw " + describe(thrown[0]));
        } else if (confined && block.state == State.LIVE && !lenient(block) && !mustThrow(block)
                && !(thrown[0] instanceof WrongThreadException)) {
            violation("live-block-unusable", "another thread's read of live " + block + " threw " + describe(thrown[0])
                    + ", not WrongThreadException");
        } else {
            documentedThrows++;
        }
    }

    /**
     * A malloc block allocated on another thread is confined to it: this thread's access, free and reallocate
     * get WrongThreadException; the other thread frees it.
     */
    private void otherThreadMalloc() {
        note("malloc on another thread");
        MemorySegment[] block = new MemorySegment[1];
        Throwable[] thrown = new Throwable[2];
        CountDownLatch allocated = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Allocator allocator = malloc.allocator();
        Thread thread = Thread.ofVirtual().start(() -> {
            thrown[0] = attempt(() -> block[0] = allocator.allocate(16, 8));
            allocated.countDown();
            awaitUninterruptibly(release);
            if (block[0] != null) {
                thrown[1] = attempt(() -> allocator.free(block[0]));
            }
        });
        awaitUninterruptibly(allocated);
        try {
            if (thrown[0] != null) {
                violation(documented(thrown[0]) ? "valid-request-refused" : "undocumented-exception",
                        "malloc on another thread threw " + describe(thrown[0]));
                return;
            }
            MemorySegment segment = block[0];
            Throwable read = attempt(() -> segment.get(ValueLayout.JAVA_BYTE, 0));
            Throwable free = attempt(() -> allocator.free(segment));
            Throwable move = attempt(() -> allocator.reallocate(segment, 32, 8));
            for (Throwable outcome : new Throwable[] {read, free, move}) {
                if (outcome instanceof WrongThreadException) {
                    documentedThrows++;
                } else {
                    violation("malloc-block-not-confined", "this thread's use of a malloc block allocated on another"
                            + " thread " + (outcome == null ? "returned" : "threw " + describe(outcome))
                            + " (access, free, reallocate: " + read + ", " + free + ", " + move + ")");
                    return;   // the block may be gone: no free on its thread
                }
            }
        } finally {
            release.countDown();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (thrown[1] != null) {
            violation("live-free-refused", "malloc's free on the allocating thread threw " + describe(thrown[1]));
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void invalidRequest(Owner owner) {
        if (owner.subject == null && owner.arena == null) {
            return;
        }
        int dice = random.nextInt(4);
        long size = dice == 0 ? -1 - random.nextInt(100) : 8;
        long alignment = dice == 1 ? 3 : dice == 2 ? 0 : dice == 3 ? -8 : 8;
        note("invalid allocate(" + size + ", " + alignment + ") via " + owner);
        Throwable thrown = attempt(() -> {
            if (owner.isView) {
                owner.arena.allocate(size, alignment);
            } else {
                owner.allocator().allocate(size, alignment);
            }
        });
        if (thrown == null) {
            violation("invalid-request-accepted", "allocate(" + size + ", " + alignment + ") via " + owner + " returned");
        } else if (!documented(thrown)) {
            violation("undocumented-exception", "allocate(" + size + ", " + alignment + ") via " + owner + " threw "
                    + describe(thrown));
        } else {
            documentedThrows++;
        }
    }

    // ---- bookkeeping -----------------------------------------------------------------------------------

    private static void stale(Block block, Why why) {
        if (block.state != State.STALE) {
            block.state = State.STALE;
            block.why = why;
        }
    }

    /** Its frame closed, or its allocator was reset or closed: stale, and a view's or generation's scope is over. */
    private static void end(Block block, Why why) {
        stale(block, why);
        block.ended = true;
        block.held = false;
    }

    private static void uncertain(Block block) {
        if (block.state == State.LIVE) {
            block.state = State.UNCERTAIN;
        }
    }

    private void note(String what) {
        String line = op + ": " + what;
        recent[(int) (op % recent.length)] = line;
        if (trace) {
            log.println(line);
        }
    }

    private void printRecent() {
        log.println("  the operations before it, oldest first:");
        for (long i = op - recent.length + 1; i <= op; i++) {
            String line = i > 0 ? recent[(int) (i % recent.length)] : null;
            if (line != null && line.startsWith(i + ": ")) {
                log.println("    " + line);
            }
        }
    }

    private void violation(String category, String message) {
        violations++;
        int inCategory = categories.merge(category, 1, Integer::sum);
        if (inCategory <= MAX_PRINTED_PER_CATEGORY) {
            log.println(VIOLATION + " #" + violations + " [" + category + "] at op " + op + " (seed " + seed + "): "
                    + message);
            if (inCategory == 1) {
                printRecent();
            }
            log.flush();
        }
    }

    private static String describe(Throwable thrown) {
        StackTraceElement[] trace = thrown.getStackTrace();
        return thrown + (trace.length > 0 ? " at " + trace[0] : "");
    }
}
