package dev.bufalloc.array;

import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What {@link AddressArray} adds to {@link TypedArraysTest}'s rows: addresses come only from native segments. */
class AddressArrayTest {

    private static final HeapAllocator HEAP = HeapAllocator.instance();

    @Test
    void pushAddressOfAHeapSegmentThrowsIllegalArgumentExceptionAndAddsNothing() {
        AddressArray array = AddressArray.of(0, HEAP);
        assertThatThrownBy(() -> array.pushAddress(MemorySegment.ofArray(new byte[4])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("A heap segment has no address to store: [heap byte[] offset 0, 4 bytes]");
        assertThat(array.size()).isZero();
        assertThat(array.capacity()).as("checked before growing").isZero();
    }

    @Test
    void setAddressOfAHeapSegmentThrowsIllegalArgumentException() {
        AddressArray array = AddressArray.of(0, HEAP);
        array.pushAddress(MemorySegment.ofAddress(8));
        assertThatThrownBy(() -> array.setAddress(0, MemorySegment.ofArray(new byte[4])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(array.getAddress(0).address()).isEqualTo(8);
    }

    @Test
    void aNullSegmentThrowsNullPointerException() {
        AddressArray array = AddressArray.of(1, HEAP);
        assertThatThrownBy(() -> array.pushAddress(null)).isInstanceOf(NullPointerException.class).hasMessage("segment");
        array.pushAddress(MemorySegment.NULL);
        assertThatThrownBy(() -> array.setAddress(0, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void theNullSegmentStoresZero() {
        AddressArray array = AddressArray.of(0, HEAP);
        array.pushAddress(MemorySegment.ofAddress(16));
        array.setAddress(0, MemorySegment.NULL);
        assertThat(array.element(0).get(JAVA_LONG, 0)).isZero();
        assertThat(array.getAddress(0)).isEqualTo(MemorySegment.NULL);
    }

    @Test
    void anAddressReadsBackAsAZeroLengthNativeSegment() {
        try (Arena arena = Arena.ofConfined(); AddressArray array = AddressArray.of(2, MallocAllocator.instance())) {
            MemorySegment text = arena.allocateFrom("hello");
            array.pushAddress(text);
            MemorySegment address = array.getAddress(0);
            assertThat(address.address()).isEqualTo(text.address());
            assertThat(address.byteSize()).isZero();
            assertThat(address.isNative()).isTrue();
        }
    }

    @Test
    void theInheritedPushCopiesAnElementsBytesRatherThanStoringTheSegmentsAddress() {
        AddressArray array = AddressArray.of(0, HEAP);
        array.push(MemorySegment.ofArray(new long[] {0x40}));   // a heap segment: its bytes, not its address
        assertThat(array.getAddress(0).address()).isEqualTo(0x40);
        assertThat(array).hasToString("[0x40]");
    }
}
