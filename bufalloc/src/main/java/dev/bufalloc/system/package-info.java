/**
 * The allocators a program has without a buffer: the C library's {@code malloc}, made safe
 * ({@link dev.bufalloc.system.MallocAllocator}, the default context allocator), the same without scopes for
 * code that opts in to its risk ({@link dev.bufalloc.system.UnscopedMallocAllocator}), and the Java heap
 * ({@link dev.bufalloc.system.HeapAllocator}).
 *
 * <p>The malloc allocators make restricted FFM calls: they need {@code --enable-native-access=dev.bufalloc}
 * on the module path, or {@code --enable-native-access=ALL-UNNAMED} on the class path.
 */
package dev.bufalloc.system;
