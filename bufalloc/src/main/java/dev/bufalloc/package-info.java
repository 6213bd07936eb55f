/**
 * The allocator contract and the buffer allocator.
 *
 * <p>{@link dev.bufalloc.Allocator} is a {@link java.lang.foreign.SegmentAllocator} that can also
 * {@linkplain dev.bufalloc.Allocator#reallocate reallocate} and
 * {@linkplain dev.bufalloc.Allocator#free free}, so it can be handed to any FFM API that takes a
 * {@code SegmentAllocator}. {@link dev.bufalloc.BufferAllocator} bump-allocates from a buffer the
 * caller owns, sends what does not fit to a fallback allocator, and makes the whole buffer free
 * again on {@link dev.bufalloc.BufferAllocator#reset() reset()}; its
 * {@link dev.bufalloc.BufferStatistics statistics} tell how big the buffer should be.
 *
 * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="package"}
 *
 * <p>Unless a class says otherwise, allocators here do not zero memory and are used by one
 * thread at a time; a {@code BufferAllocator} is confined to the thread that made it.
 *
 * <h2 id="biscuit">Biscuit</h2>
 * bufalloc ports the buffer allocator of the standard library of Biscuit (BL), a small systems
 * programming language, and keeps its model: an allocator handle with allocate, reallocate and free, a
 * program-wide context allocator, and dynamic arrays that take an allocator. Where this Javadoc names
 * Biscuit's own words, they are for readers who know Biscuit: {@code std/buffer_allocator} is the
 * Biscuit library module that {@link dev.bufalloc.BufferAllocator} ports; {@code [..]T} is Biscuit's
 * type "dynamic array of {@code T}", which {@link dev.bufalloc.array.DynamicArray} ports;
 * {@code array_init}, {@code array_push_all}, {@code array_erase} and {@code array_terminate} are
 * Biscuit's functions on such arrays (make one, append many, remove one, free it);
 * {@code application_context.allocator} is Biscuit's context allocator; {@code print} is its print
 * function. Nothing in the API needs Biscuit to be understood.
 */
package dev.bufalloc;
