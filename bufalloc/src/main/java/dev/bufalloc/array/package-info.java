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
 * {@snippet class="dev.bufalloc.snippets.ArraySnippets" region="package"}
 */
package dev.bufalloc.array;
