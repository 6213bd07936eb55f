/**
 * Allocator-aware dynamic arrays: {@link dev.bufalloc.array.DynamicArray} keeps elements of any
 * memory layout in memory taken from an {@link dev.bufalloc.Allocator}, and grows through
 * {@link dev.bufalloc.Allocator#reallocate reallocate}, in place when the allocator can. Its
 * subclasses {@link dev.bufalloc.array.ByteArray}, {@link dev.bufalloc.array.ShortArray},
 * {@link dev.bufalloc.array.CharArray}, {@link dev.bufalloc.array.IntArray},
 * {@link dev.bufalloc.array.LongArray}, {@link dev.bufalloc.array.FloatArray},
 * {@link dev.bufalloc.array.DoubleArray}, {@link dev.bufalloc.array.BooleanArray} and
 * {@link dev.bufalloc.array.AddressArray} hold one value layout each, and push, get and set Java values.
 *
 * {@snippet :
 * StructLayout point = MemoryLayout.structLayout(
 *         ValueLayout.JAVA_INT.withName("x"), ValueLayout.JAVA_INT.withName("y"));
 * try (BufferAllocator allocator = BufferAllocator.of(MemorySegment.ofArray(new long[16]));
 *      DynamicArray points = DynamicArray.of(point, 4, allocator);
 *      IntArray ids = IntArray.of(4, allocator)) {
 *     MemorySegment p = points.pushSlot();
 *     p.set(ValueLayout.JAVA_INT, 0, 3);
 *     p.set(ValueLayout.JAVA_INT, 4, 4);
 *     ids.push(7);
 *     System.out.println(points + " " + ids);   // [{x = 3, y = 4}] [7]
 * }
 * }
 */
package dev.bufalloc.array;
