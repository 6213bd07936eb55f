package dev.bufalloc.array;

import dev.bufalloc.Allocator;
import dev.bufalloc.AllocatorKind;
import dev.bufalloc.ErrorRows;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.bufalloc.AllocatorKind.BUFFER;
import static dev.bufalloc.AllocatorKind.BUFFER_WITHOUT_FALLBACK;

/** Rows of {@code docs/ERRORS.md}: every bad input of {@link DynamicArray} and its typed arrays. */
public final class DynamicArrayErrorRows {

    private DynamicArrayErrorRows() {}

    public static void declare(ErrorRows rows) {
        rows.section("DA", ErrorRows.MAKE)
                .row("DynamicArray.of(MemoryLayout)", "null", _ -> () -> DynamicArray.of(null))
                .row("DynamicArray.of(MemoryLayout, long, Allocator)", "null allocator",
                        _ -> () -> DynamicArray.of(ValueLayout.JAVA_INT, 0, null))
                .row("DynamicArray.of(MemoryLayout)", "zero-size layout (empty struct)",
                        _ -> () -> DynamicArray.of(MemoryLayout.structLayout()))
                .row("DynamicArray.of(MemoryLayout)", "size not a multiple of the alignment (struct {int; byte})",
                        _ -> () -> DynamicArray.of(MemoryLayout.structLayout(ValueLayout.JAVA_INT, ValueLayout.JAVA_BYTE)))
                .row("DynamicArray.of(MemoryLayout, long)", "initialCapacity -1",
                        _ -> () -> DynamicArray.of(ValueLayout.JAVA_INT, -1))
                .row("DynamicArray.of(MemoryLayout, long)", "initialCapacity Long.MAX_VALUE of ints (bytes overflow)",
                        _ -> () -> DynamicArray.of(ValueLayout.JAVA_INT, Long.MAX_VALUE))
                .row("DynamicArray.of(MemoryLayout, long, Allocator)", "initialCapacity Long.MAX_VALUE of bytes (malloc)",
                        f -> () -> DynamicArray.of(ValueLayout.JAVA_BYTE, Long.MAX_VALUE, f.malloc))
                .row("DynamicArray.of(MemoryLayout, long, Allocator)", "65 bytes from a 64-byte buffer without fallback",
                        f -> {
                            Allocator bounded = f.allocator(BUFFER_WITHOUT_FALLBACK);
                            return () -> DynamicArray.of(ValueLayout.JAVA_BYTE, 65, bounded);
                        });

        rows.section("DA", 10)   // sizes and indexes
                .row("DynamicArray.reserve", "-1", f -> () -> f.ints.reserve(-1))
                .row("DynamicArray.reserve", "Long.MAX_VALUE ints (bytes overflow)", f -> () -> f.ints.reserve(Long.MAX_VALUE))
                .row("DynamicArray.resize", "-1", f -> () -> f.ints.resize(-1))
                .row("DynamicArray.resize", "2^62 ints (capacity doubling overflows)", f -> () -> f.ints.resize(1L << 62))
                .row("DynamicArray.resize", "2^60 bytes (malloc cannot)", f -> {
                    DynamicArray bytes = f.track(DynamicArray.of(ValueLayout.JAVA_BYTE, 1, f.malloc));
                    return () -> bytes.resize(1L << 60);
                })
                .row("DynamicArray.pop()", "empty array", f -> {
                    DynamicArray empty = f.track(DynamicArray.of(ValueLayout.JAVA_INT, 0, f.malloc));
                    return empty::pop;
                })
                .row("DynamicArray.erase", "index -1", f -> () -> f.ints.erase(-1))
                .row("DynamicArray.erase", "index size()", f -> () -> f.ints.erase(2))
                .row("DynamicArray.element", "index size()", f -> () -> f.ints.element(2))
                .row("IntArray.get", "index -1", f -> () -> f.ints.get(-1))
                .row("IntArray.set(long, int)", "index Long.MAX_VALUE", f -> () -> f.ints.set(Long.MAX_VALUE, 1));

        rows.section("DA", 28)   // element types and segments
                .row("DynamicArray.push(MemorySegment)", "null", f -> () -> f.ints.push((MemorySegment) null))
                .row("DynamicArray.push(MemorySegment)", "segment smaller than an element",
                        f -> () -> f.ints.push(MemorySegment.ofArray(new byte[3])))
                .row("DynamicArray.pushAll", "null", f -> () -> f.ints.pushAll(null))
                .row("DynamicArray.pushAll", "3 bytes into an int array",
                        f -> () -> f.ints.pushAll(MemorySegment.ofArray(new byte[3])))
                .row("AddressArray.pushAddress", "null", f -> () -> f.addresses.pushAddress(null))
                .row("AddressArray.pushAddress", "heap segment",
                        f -> () -> f.addresses.pushAddress(MemorySegment.ofArray(new byte[8])))
                .row("DynamicArray.push(MemorySegment)", "segment of a closed arena", f -> {
                    MemorySegment closed = f.closedSegment();
                    return () -> f.ints.push(closed);
                })
                .row("AddressArray.setAddress", "null", f -> () -> f.addresses.setAddress(0, null))
                .row("AddressArray.setAddress", "heap segment",
                        f -> () -> f.addresses.setAddress(0, MemorySegment.ofArray(new byte[8])));

        rows.section("DA", 40)   // its allocator, and use after close
                .row("ByteArray.push(byte)", "growing past a buffer without fallback", f -> {
                    AllocatorKind.Instance bounded = f.instance(BUFFER_WITHOUT_FALLBACK);
                    ByteArray bytes = ByteArray.of(32, bounded.allocator());
                    f.track(bytes);
                    bounded.allocate(1, 1);   // the array is no longer the last block: it must move, and cannot
                    bytes.resize(32);
                    return () -> bytes.push((byte) 1);
                })
                .row("IntArray.push(int)", "growing a BufferAllocator's array on another thread", f -> {
                    IntArray ints = IntArray.of(0, f.allocator(BUFFER));
                    f.track(ints);
                    return () -> f.onOtherThread(() -> ints.push(1));
                })
                .row("IntArray.push(int)", "growing after its BufferAllocator was closed", f -> {
                    IntArray ints = IntArray.of(0, f.closed(BUFFER).allocator());
                    f.track(ints);
                    return () -> ints.push(1);
                })
                .row("IntArray.push(int)", "after close()", afterClose(closed -> closed.push(1)))
                .row("IntArray.get", "after close()", afterClose(closed -> closed.get(0)))
                .row("DynamicArray.data()", "after close()", afterClose(IntArray::data))
                .row("DynamicArray.reserve", "after close()", afterClose(closed -> closed.reserve(8)))
                .row("DynamicArray.pushSlot()", "after close()", afterClose(IntArray::pushSlot))
                .row("DynamicArray.clear()", "after close()", afterClose(IntArray::clear));
    }

    /** A call on an int array over malloc, closed before the call. */
    private static ErrorRows.Case afterClose(ErrorRows.Call<IntArray> call) {
        return f -> {
            IntArray closed = f.closedInts();
            return () -> call.call(closed);
        };
    }
}
