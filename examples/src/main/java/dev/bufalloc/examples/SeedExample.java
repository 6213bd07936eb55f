package dev.bufalloc.examples;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.array.ByteArray;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The seed document's example, in Java: a dynamic array of bytes whose memory comes from a
 * 64-byte buffer through a buffer allocator.
 *
 * <pre>
 * buffer: [64]u8;
 * allocator := std.buffer_allocator_make(buffer);
 * arr: [..]u8;
 * array_init(&amp;arr, buffer.len, &amp;allocator);
 * loop i := 0; i &lt; 10; i += 1 { array_push(&amp;arr, auto i); }
 * print("arr = %\n", arr);
 * print("buf = %\n", buffer);
 * print("%\n", buffer.ptr == arr.ptr);
 * </pre>
 */
public final class SeedExample {

    private SeedExample() {}

    public static void main(String[] args) {
        byte[] buffer = new byte[64];

        try (BufferAllocator allocator = BufferAllocator.of(buffer);
             // Initialize the array with our custom allocator: room for exactly buffer.length bytes.
             ByteArray arr = ByteArray.of(buffer.length, allocator)) {

            for (int i = 0; i < 10; i++) {
                // We're appending the array using our allocator.
                arr.push((byte) i);
            }

            // Print out the array content.
            System.out.println("arr = " + arr);

            // All allocations are done inside 'buffer': print out the buffer content.
            System.out.println("buf = " + Arrays.toString(buffer));

            // The address of the first element of the array is the first byte of the buffer.
            MemorySegment data = arr.data();
            MemorySegment first = MemorySegment.ofArray(buffer);
            System.out.println(data.heapBase().orElse(null) == buffer && data.address() == first.address());
        }
    }
}
