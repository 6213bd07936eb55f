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
 */
package dev.bufalloc;
