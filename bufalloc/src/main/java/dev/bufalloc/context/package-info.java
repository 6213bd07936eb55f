/**
 * The context allocator and the allocators a program has without asking: C's
 * {@code malloc} ({@link dev.bufalloc.context.MallocAllocator}) and the Java heap
 * ({@link dev.bufalloc.context.HeapAllocator}).
 *
 * <p>{@link dev.bufalloc.context.ContextAllocator#current()} is the allocator code uses when
 * nobody handed it one: {@code malloc} by default, or the allocator bound for the duration of a
 * call with {@link dev.bufalloc.context.ContextAllocator#runWith runWith} or
 * {@link dev.bufalloc.context.ContextAllocator#callWith callWith}.
 *
 * {@snippet :
 * try (Arena arena = Arena.ofConfined();
 *      BufferAllocator scratch = BufferAllocator.of(arena.allocate(1024))) {
 *     ContextAllocator.runWith(scratch, () -> {
 *         // Code that allocates through the context now allocates from the buffer.
 *         DynamicArray ints = DynamicArray.of(ValueLayout.JAVA_INT);
 *         ints.push(7);
 *     });
 * }
 * }
 *
 * <p>{@code MallocAllocator} makes restricted FFM calls: it needs
 * {@code --enable-native-access=dev.bufalloc} on the module path, or
 * {@code --enable-native-access=ALL-UNNAMED} on the class path.
 */
package dev.bufalloc.context;
