/**
 * The context allocator: Biscuit's {@code application_context.allocator}.
 *
 * <p>{@link dev.bufalloc.context.ContextAllocator#current()} is the allocator code uses when
 * nobody handed it one: {@link dev.bufalloc.system.MallocAllocator} by default, or the allocator bound for the duration of a
 * call with {@link dev.bufalloc.context.ContextAllocator#runWith runWith} or
 * {@link dev.bufalloc.context.ContextAllocator#callWith callWith}.
 *
 * {@snippet class="dev.bufalloc.snippets.ContextSnippets" region="package"}
 */
package dev.bufalloc.context;
