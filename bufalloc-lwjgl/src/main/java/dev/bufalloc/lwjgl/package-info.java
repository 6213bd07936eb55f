/**
 * bufalloc as the stack allocator of LWJGL 3.4's FFM bindings.
 *
 * <p>A binding that LWJGL's {@code org.lwjgl.system.ffm.FFM.ffmGenerate} makes from an interface method whose
 * first parameter is an {@code org.lwjgl.system.ffm.StackAllocator} pushes a frame on it, marshals its
 * arguments (strings, arrays, structs) into it and pops the frame after the call. Without one, it uses the
 * thread's {@code SegmentStack}, a fixed buffer (64 KiB by default) that throws
 * {@code OutOfMemoryError("Out of stack space.")} when full. {@link dev.bufalloc.lwjgl.BufallocStack} is
 * such a parameter over a {@link dev.bufalloc.BufferAllocator} or {@link dev.bufalloc.Scratch}: a request
 * that does not fit goes to the allocator's fallback, and is freed when its frame is popped.
 */
package dev.bufalloc.lwjgl;
