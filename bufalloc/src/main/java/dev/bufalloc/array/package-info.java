/**
 * Allocator-aware dynamic arrays: {@link dev.bufalloc.array.DynamicArray} keeps elements of any
 * memory layout in memory taken from an {@link dev.bufalloc.Allocator}, and grows through
 * {@link dev.bufalloc.Allocator#reallocate reallocate}, in place when the allocator can.
 *
 * {@snippet :
 * StructLayout point = MemoryLayout.structLayout(
 *         ValueLayout.JAVA_INT.withName("x"), ValueLayout.JAVA_INT.withName("y"));
 * try (BufferAllocator allocator = BufferAllocator.of(MemorySegment.ofArray(new long[16]));
 *      DynamicArray points = DynamicArray.of(point, 4, allocator)) {
 *     MemorySegment p = points.pushSlot();
 *     p.set(ValueLayout.JAVA_INT, 0, 3);
 *     p.set(ValueLayout.JAVA_INT, 4, 4);
 *     System.out.println(points);   // [{x = 3, y = 4}]
 * }
 * }
 */
package dev.bufalloc.array;
