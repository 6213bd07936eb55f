package dev.bufalloc;

import dev.bufalloc.context.ContextAllocator;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A bump allocator over a buffer the caller preallocated, native or heap: the port of the module
 * {@code std/buffer_allocator} of the standard library of
 * <a href="package-summary.html#biscuit">Biscuit</a>, a systems language.
 * Allocation appends to the buffer; {@code free} costs nothing; when the buffer is full, requests go to
 * a fallback allocator (the context allocator by default), whose blocks are
 * tracked and given back on {@link #free}, {@link #reset()} and {@link #close()}. After {@code reset()} the
 * whole buffer is free again.
 *
 * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="BufferAllocator"}
 *
 * <p>Like {@link java.lang.foreign.Arena}, there are two kinds, with one contract:
 * {@link #of(MemorySegment) of}{@code (...)} makes an allocator confined to the thread that made it, with
 * {@linkplain #push() frames}; {@link #ofShared(MemorySegment) ofShared}{@code (...)} makes one that any
 * thread may use at once (a lock-free bump, a lock for the rest), without frames.
 * {@link #ofChecked(MemorySegment) ofChecked}{@code (...)} makes a confined allocator that turns misuse
 * into exceptions, for tests and debugging.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Ownership:</b> the allocator never owns or frees the buffer; the buffer must stay alive while the
 *       allocator is used. A buffer, or any part of one, is managed by one live allocator at a time: a second
 *       one over it gets {@link IllegalStateException} until the first is {@linkplain #close() closed}
 *       (or becomes unreachable, or the buffer's memory is freed).</li>
 *   <li><b>Alignment:</b> a block's address is a multiple of the requested alignment, and only the padding
 *       that alignment needs is skipped: a 64-byte buffer holds 64 one-byte blocks, or eight 8-byte-aligned
 *       ones. A native buffer gives any alignment. A heap buffer gives at most its array's element size
 *       ({@code byte[]}: 1, {@code short[]}/{@code char[]}: 2, {@code int[]}/{@code float[]}: 4,
 *       {@code long[]}/{@code double[]}: 8), as the JDK's heap segments do; a request for more gets
 *       {@link IllegalArgumentException}.</li>
 *   <li><b>Size:</b> a block is exactly the size requested; buffer blocks lie inside the buffer.</li>
 *   <li><b>Zeroing:</b> none. A buffer block holds what the buffer held (zeros for a fresh Java array or
 *       {@code Arena} segment; older data after a reset). Fallback blocks are as their allocator makes them.</li>
 *   <li><b>Free:</b> freeing a buffer block has no effect, except that freeing exactly the most recent block
 *       (the last one allocated or resized, and not freed) gives its bytes back. A segment that is not a
 *       block of the allocator (a slice of one, or a segment over several) is ignored if it lies in the
 *       buffer below the cursor, and refused otherwise. Freeing a fallback block gives it back to the
 *       fallback.</li>
 *   <li><b>Reallocate:</b> the most recent buffer block grows or shrinks in place when the buffer has room
 *       and its address suits the alignment: same address, nothing copied. Otherwise the bytes move to a
 *       new block (buffer or fallback). A segment in the buffer below the cursor that is not a block (a
 *       never-allocated slice, or one over several blocks) cannot be told from one: it moves too, copying
 *       bytes of the caller's buffer; nothing is given back.</li>
 *   <li><b>Full buffer:</b> a request that does not fit goes to the fallback; with {@link #withoutFallback}
 *       it gets {@link IndexOutOfBoundsException} saying how many bytes were asked and how many were left.
 *       Either way, if it fails, nothing changes.</li>
 *   <li><b>Lifetime and safety:</b> every block is valid until it is freed, until {@link #reset()} or until
 *       {@link #close()}. Used after that, a buffer block reads and writes the caller's buffer (whose bytes
 *       may have been handed out again), a block in a {@linkplain #ofGrowing growing} allocator's chunk
 *       reads and writes the chunk, which the allocator keeps until {@code close()}; a fallback block (or
 *       chunk) whose memory the allocator gave back throws
 *       {@link IllegalStateException}, as the segments of a closed {@code Arena} do. No use of a stale
 *       block can touch freed memory. After {@code close()}, every method but the read-only ones throws
 *       {@link IllegalStateException}.</li>
 *   <li><b>Threads:</b> an allocator from {@code of}, {@code withoutFallback} or {@code ofChecked} is
 *       confined to the thread that made it, like {@code Arena.ofConfined()}: every method but the
 *       read-only {@link #usedBytes()}, {@link #capacity()}, {@link #statistics()} and
 *       {@link #overflowSites()} throws {@link WrongThreadException} on another thread. An allocator from
 *       {@code ofShared} may be used by any thread; see {@link #ofShared(MemorySegment)}.</li>
 * </ul>
 *
 * <h2 id="factories">Factory conditions</h2>
 * Every factory takes a {@code buffer} that must be native or heap, writable, at least one byte long,
 * alive, and accessible from the calling thread; it throws {@link NullPointerException} if an argument is
 * null, {@link IllegalArgumentException} if the buffer is not such a segment, and
 * {@link IllegalStateException} if a live allocator already manages any byte of it.
 *
 * <h2 id="jfr">JFR events</h2>
 * Off the bump, buffer allocators emit JDK Flight Recorder events, all disabled by default, in the category
 * {@code bufalloc}: {@code dev.bufalloc.Overflow} for each request that did not fit the buffer (with its
 * stack trace: who overflowed), and {@code dev.bufalloc.Sizing} on reset or close when the buffer overflowed
 * since the allocator's last sizing event (its peak demand and a buffer size to try). The settings file
 * {@code META-INF/bufalloc.jfc} in the jar records them and nothing else; see the README. When no
 * recording enables them, they cost nothing.
 */
public sealed interface BufferAllocator extends Allocator, AutoCloseable
        permits ConfinedBufferAllocator, SharedBufferAllocator {

    /**
     * {@return a confined allocator over {@code buffer} whose fallback is the
     * {@linkplain ContextAllocator#current() context allocator} current now}
     *
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions})
     */
    static BufferAllocator of(MemorySegment buffer) {
        return new ConfinedBufferAllocator(buffer, ContextAllocator.current());
    }

    /**
     * {@return a confined allocator over a Java byte array, whose fallback is the
     * {@linkplain ContextAllocator#current() context allocator} current now} Its blocks are byte-aligned
     * only; for aligned heap data, pass {@code MemorySegment.ofArray(new long[n])}.
     *
     * @param buffer the memory to allocate from, at least one byte (see the {@linkplain ##factories factory
     *        conditions})
     */
    static BufferAllocator of(byte[] buffer) {
        return of(MemorySegment.ofArray(Objects.requireNonNull(buffer, "buffer")));
    }

    /**
     * {@return a confined allocator over {@code buffer} that takes what does not fit from {@code fallback}}
     *
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions})
     * @param fallback where requests go when the buffer is full
     */
    static BufferAllocator of(MemorySegment buffer, Allocator fallback) {
        return new ConfinedBufferAllocator(buffer, Objects.requireNonNull(fallback, "fallback"));
    }

    /**
     * {@return a confined allocator over {@code buffer} with no fallback} A request that does not fit gets
     * {@link IndexOutOfBoundsException}, as with {@link java.lang.foreign.SegmentAllocator#slicingAllocator}.
     *
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions})
     */
    static BufferAllocator withoutFallback(MemorySegment buffer) {
        return new ConfinedBufferAllocator(buffer, null);
    }

    /**
     * {@return a growing confined allocator over {@code buffer}, whose fallback is the
     * {@linkplain ContextAllocator#current() context allocator} current now} See
     * {@link #ofGrowing(MemorySegment, Allocator)}.
     *
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions})
     */
    static BufferAllocator ofGrowing(MemorySegment buffer) {
        return new ConfinedBufferAllocator(buffer, ContextAllocator.current(), true, null);
    }

    /**
     * {@return a growing confined allocator over {@code buffer}: when the buffer is full, it bumps in chunks it
     * takes from {@code fallback}, and keeps them}
     *
     * <p>The first chunk is as big as the buffer (at least 4 KiB); each further one is twice the one before,
     * up to 64 MiB. A request bigger than half the next chunk gets a block of its own from the fallback, as in
     * an allocator from {@link #of(MemorySegment, Allocator) of}, and does not make chunks grow.
     * {@link #reset()} rewinds into the buffer and keeps the chunks for what comes next, so a workload that
     * overflowed once stops calling the fallback. A frame rewinds to where it was pushed, but for one whose
     * blocks did not fit in the rest of the region it was pushed in and do fit in the chunk it moved to: it
     * leaves the cursor at that chunk's start, so the same frame again bumps there instead of overflowing every
     * time (the rest of the region is used again once an outer frame closes back into it, or after a reset).
     * The chunks go back to the fallback on {@link #close()} (or
     * with the allocator, through the garbage collector, once neither it nor any of its blocks is reachable).
     * A block in a chunk is a buffer block in every rule of this interface: freeing it gives bytes back only
     * if it is the most recent block; used after its frame closed or a reset, it reads and writes the chunk,
     * which the allocator still holds; used after {@code close()}, it throws {@link IllegalStateException}.
     * {@link #usedBytes()} counts the bytes in use in the buffer and the chunks; {@link #statistics()} also
     * says how many chunks it holds.
     *
     * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="ofGrowing"}
     *
     * @apiNote Use it where a buffer's right size is not known or varies, and the memory may stay with the
     * allocator until it closes: per-request scratch memory, parsers. An allocator from {@code of} gives each
     * overflowing block back as soon as it is freed, so holds less memory after a spike, at the cost of one
     * fallback call per overflowing request.
     *
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions})
     * @param fallback where chunks, and requests too big for them, come from
     */
    static BufferAllocator ofGrowing(MemorySegment buffer, Allocator fallback) {
        return new ConfinedBufferAllocator(buffer, Objects.requireNonNull(fallback, "fallback"), true, null);
    }

    /**
     * {@return a checked allocator over {@code buffer}, whose fallback is the
     * {@linkplain ContextAllocator#current() context allocator} current now} See
     * {@link #ofChecked(MemorySegment, Allocator)}.
     *
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions})
     */
    static BufferAllocator ofChecked(MemorySegment buffer) {
        return new CheckedBufferAllocator(buffer, ContextAllocator.current());
    }

    /**
     * {@return a checked, confined allocator over {@code buffer}: for tests and debugging, it turns the use
     * of stale blocks into exceptions and tells who overflowed the buffer}
     * <ul>
     *   <li>Every block, in the buffer or from the fallback, has a scope of its own that ends when the block
     *       is freed, moved by a reallocation, or released by a frame's close, a reset or close: a stale
     *       block throws {@link IllegalStateException} on access. This needs a buffer whose memory nothing
     *       but the garbage collector can free: {@code Arena.ofAuto()}, {@code Arena.global()} or memory the
     *       JDK does not track. Over a buffer of an arena its owner can close (or a heap buffer), buffer
     *       blocks keep the buffer's own scope, since the arena could free the memory under a scope of
     *       bufalloc's; they are poisoned instead. Scoped blocks are confined to the allocator's thread.</li>
     *   <li>Freeing or reallocating a stale block gets {@link IllegalArgumentException}.</li>
     *   <li>Bytes given back are overwritten with {@code 0xDB}, so stale reads through other paths stand out.</li>
     *   <li>Every fallback records the call site it came from: see {@link #overflowSites()}.</li>
     * </ul>
     *
     * @implNote The checks cost a JDK confined arena and a {@code reinterpret} per block, a stack walk per
     * fallback, and the poisoning writes.
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions})
     * @param fallback where requests go when the buffer is full
     */
    static BufferAllocator ofChecked(MemorySegment buffer, Allocator fallback) {
        return new CheckedBufferAllocator(buffer, Objects.requireNonNull(fallback, "fallback"));
    }

    /**
     * {@return an allocator over {@code buffer} that any thread may use at once, whose fallback is the
     * {@linkplain ContextAllocator#current() context allocator} current now}
     *
     * <p>The bump is a lock-free compare-and-set on one word; the fallback, frees and everything else take
     * a lock, so statistics are exact and any allocator can serve as the fallback. It differs from a
     * confined allocator in this:
     * <ul>
     *   <li><b>Threads:</b> any thread may call any method; the buffer must be accessible to all of them
     *       ({@code Arena.ofShared()}, {@code ofAuto()}, {@code global()}, or a heap array). No two live
     *       blocks ever overlap, whatever the interleaving.</li>
     *   <li><b>Free and reallocate:</b> buffer blocks never give bytes back before a reset, and a
     *       reallocation always moves them (another thread may have allocated after them, and a stale block
     *       from before a reset may lie over live ones). Fallback memory that the allocator scopes itself (the C library's) is held until the
     *       next reset or close even when its block is freed, so that one shared scope per reset serves
     *       every block.</li>
     *   <li><b>{@link #reset()} and {@link #close()}</b> may be called from any thread, but only when no
     *       other thread still uses a block handed out before (join the workers first). If that rule is
     *       broken, an allocation racing with the reset is linearized before it or after it: a block is
     *       never handed out twice.</li>
     *   <li>No frames and no checked mode: {@link #push()} throws {@link UnsupportedOperationException}.</li>
     *   <li>The buffer may hold at most 2<sup>48</sup> - 1 bytes: the cursor has 48 bits.</li>
     * </ul>
     *
     * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="BufferAllocator.ofShared"}
     *
     * @apiNote Use it where threads share one scratch buffer (the workers of one request); where each thread
     * can have its own buffer, a confined allocator or {@link Scratch} is faster.
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions}),
     *        accessible to every thread that will allocate; at most 2<sup>48</sup> - 1 bytes
     */
    static BufferAllocator ofShared(MemorySegment buffer) {
        return new SharedBufferAllocator(buffer, ContextAllocator.current());
    }

    /**
     * {@return an allocator over {@code buffer} that any thread may use at once, and that takes what does
     * not fit from {@code fallback}} See {@link #ofShared(MemorySegment)}.
     *
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions}),
     *        accessible to every thread that will allocate
     * @param fallback where requests go when the buffer is full; called under the allocator's lock
     */
    static BufferAllocator ofShared(MemorySegment buffer, Allocator fallback) {
        return new SharedBufferAllocator(buffer, Objects.requireNonNull(fallback, "fallback"));
    }

    /**
     * {@return an allocator over {@code buffer} that any thread may use at once, with no fallback} A request
     * that does not fit gets {@link IndexOutOfBoundsException}. See {@link #ofShared(MemorySegment)}.
     *
     * @param buffer the memory to allocate from (see the {@linkplain ##factories factory conditions}),
     *        accessible to every thread that will allocate
     */
    static BufferAllocator sharedWithoutFallback(MemorySegment buffer) {
        return new SharedBufferAllocator(buffer, null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>From the buffer when it fits, else from the fallback. The bytes are not zeroed.
     *
     * @throws IllegalArgumentException if {@code byteSize < 0}, if {@code byteAlignment} is not a power of
     *         two, or if it is more than a heap buffer's array gives
     * @throws IndexOutOfBoundsException if the request does not fit and there is no fallback
     * @throws WrongThreadException if the allocator is confined to another thread
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    MemorySegment allocate(long byteSize, long byteAlignment);

    /**
     * Makes the whole buffer free again and gives back every fallback block. Every block handed out before
     * is invalid afterwards (see the contract); every open frame is ended. Statistics that cover the
     * allocator's life (peak demand, fallback totals) are kept.
     *
     * @throws WrongThreadException if the allocator is confined to another thread
     * @throws IllegalStateException if the allocator is closed, or if a native call still holds a segment
     *         of an open frame's {@linkplain Frame#asArena() Arena view}: then no frame is closed and nothing
     *         is given back, but the views of frames pushed after that one have ended
     * @throws RuntimeException what the fallback's {@code free} threw, after every fallback block was
     *         released all the same
     */
    void reset();

    /**
     * Zeroes every byte of its buffer (and its chunks, if growing) that a block reached since the last
     * {@code resetAndZero()} (or since the allocator was made): blocks in use, and blocks given back since by
     * {@link #free}, a frame's close or {@link #reset()}. Then resets it. No data written through the allocator
     * since stays behind in its memory, and the next blocks read zeros where the buffer was zero when the
     * allocator was made (as an {@code Arena}'s memory is). Fallback blocks are given back unzeroed. It costs a
     * fill of as many bytes as the blocks reached, nothing when little was used; to zero one block only, fill it
     * ({@code block.fill((byte) 0)}). A shared allocator zeroes what blocks reached when the call began: blocks
     * allocated by other threads while it runs may be zeroed or not.
     *
     * @throws WrongThreadException if the allocator is confined to another thread
     * @throws IllegalStateException as {@link #reset()} does; then nothing was zeroed
     * @throws RuntimeException as {@link #reset()} does
     */
    void resetAndZero();

    /**
     * Gives back every fallback block and ends the allocator's claim on its buffer, so that another
     * allocator may manage it. The buffer itself is not freed: it is the caller's. Every block handed out
     * before is invalid afterwards.
     *
     * @throws WrongThreadException if the allocator is confined to another thread
     * @throws IllegalStateException if the allocator is already closed, or if a native call still holds a
     *         segment of an open frame's Arena view (then it is not closed; see {@link #reset()})
     * @throws RuntimeException what the fallback's {@code free} threw, after the allocator was closed all
     *         the same
     */
    @Override
    void close();

    /**
     * Opens a {@linkplain Frame frame}: everything allocated from now until the frame closes is freed when
     * it closes, buffer space and fallback blocks alike. Frames nest and close innermost first.
     *
     * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="BufferAllocator.push"}
     *
     * @return the new innermost frame
     * @throws WrongThreadException if the allocator is confined to another thread
     * @throws IllegalStateException if the allocator is closed
     * @throws UnsupportedOperationException if the allocator is {@linkplain #ofShared shared}
     */
    Frame push();

    /**
     * {@return the bytes of the buffer in use, alignment padding included} Fallback blocks are not counted,
     * as in Biscuit. Any thread may call this; the value may be stale on another thread than the owner.
     */
    long usedBytes();

    /** {@return the buffer's size, in bytes} Any thread may call this. */
    long capacity();

    /**
     * {@return a snapshot of the allocator's numbers} Any thread may call this; a confined allocator's values
     * may be stale on another thread than the owner, a shared allocator's are exact.
     */
    BufferStatistics statistics();

    /**
     * Names this allocator, for diagnostics, and returns it: the name shows in its {@code toString()}, in the
     * messages of its exceptions and in its {@linkplain ##jfr JFR events}. A name has no other effect; naming
     * the allocator again replaces it.
     *
     * {@snippet class="dev.bufalloc.snippets.DiagnosticsSnippets" region="BufferAllocator.named"}
     *
     * @param name the name, for people to read; any string
     * @return this allocator
     * @throws NullPointerException if {@code name} is null
     * @throws WrongThreadException if the allocator is confined to another thread
     * @throws IllegalStateException if the allocator is closed
     */
    BufferAllocator named(String name);

    /** {@return this allocator's name, if it was {@linkplain #named given one}} Any thread may call this. */
    Optional<String> name();

    /**
     * {@return where the fallback blocks of a {@linkplain #ofChecked checked} allocator were allocated from,
     * most bytes first, over the allocator's life: the call sites that overflowed the buffer} Empty if
     * nothing overflowed or the allocator is not checked. Any thread may call this.
     */
    default List<OverflowSite> overflowSites() {
        return List.of();
    }

    /** {@return whether this allocator was made by {@link #ofChecked}} */
    default boolean isChecked() {
        return false;
    }
}
