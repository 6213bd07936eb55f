package dev.bufalloc.array;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_CHAR;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

class LayoutFormatTest {

    @Test
    void noElementsPrintAsEmptyBracketsWithoutReadingMemory() {
        assertThat(LayoutFormat.elements(JAVA_INT, null, 0)).isEqualTo("[]");
        assertThat(LayoutFormat.elements(JAVA_INT, MemorySegment.ofArray(new int[] {1}), 0)).isEqualTo("[]");
    }

    @Test
    void elementsAreSeparatedByACommaAndASpace() {
        assertThat(LayoutFormat.elements(JAVA_INT, MemorySegment.ofArray(new int[] {1, -2, 3}), 3))
                .isEqualTo("[1, -2, 3]");
    }

    @Test
    void onlyTheFirstCountElementsArePrinted() {
        assertThat(LayoutFormat.elements(JAVA_INT, MemorySegment.ofArray(new int[] {1, 2, 3}), 2)).isEqualTo("[1, 2]");
    }

    @Test
    void eachPrimitiveLayoutPrintsAsJavaPrintsItsValue() {
        assertThat(LayoutFormat.elements(JAVA_BYTE, MemorySegment.ofArray(new byte[] {-1, 127}), 2))
                .as("bytes are signed").isEqualTo("[-1, 127]");
        assertThat(LayoutFormat.elements(JAVA_SHORT, MemorySegment.ofArray(new short[] {-300}), 1)).isEqualTo("[-300]");
        assertThat(LayoutFormat.elements(JAVA_CHAR, MemorySegment.ofArray(new char[] {'a', 'Z'}), 2)).isEqualTo("[a, Z]");
        assertThat(LayoutFormat.elements(JAVA_LONG, MemorySegment.ofArray(new long[] {Long.MIN_VALUE}), 1))
                .isEqualTo("[-9223372036854775808]");
        assertThat(LayoutFormat.elements(JAVA_FLOAT, MemorySegment.ofArray(new float[] {1.5f, -0.25f}), 2))
                .isEqualTo("[1.5, -0.25]");
        assertThat(LayoutFormat.elements(JAVA_DOUBLE, MemorySegment.ofArray(new double[] {Math.PI, 1e300}), 2))
                .isEqualTo("[3.141592653589793, 1.0E300]");
        assertThat(LayoutFormat.elements(JAVA_BOOLEAN, MemorySegment.ofArray(new byte[] {1, 0}), 2))
                .isEqualTo("[true, false]");
    }

    @Test
    void addressesPrintInHex() {
        MemorySegment memory = MemorySegment.ofArray(new long[] {0x1234, 0xCAFE0, 0});
        assertThat(LayoutFormat.elements(ADDRESS, memory, 3)).isEqualTo("[0x1234, 0xcafe0, 0x0]");
    }

    @Test
    void valuesAreReadInTheLayoutsByteOrder() {
        ValueLayout.OfInt bigEndian = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
        MemorySegment memory = MemorySegment.ofArray(new byte[] {0, 0, 1, 2});
        assertThat(LayoutFormat.elements(bigEndian, memory, 1)).isEqualTo("[258]");
    }

    @Test
    void valuesAreReadWhateverTheirAlignment() {
        MemorySegment bytes = MemorySegment.ofArray(new byte[9]);   // a byte[]: no int is aligned in it
        bytes.set(JAVA_LONG.withByteAlignment(1), 1, 42L);
        assertThat(LayoutFormat.elements(JAVA_LONG, bytes.asSlice(1), 1)).isEqualTo("[42]");
    }

    @Test
    void structsPrintTheirNamedMembersAndSkipPadding() {
        StructLayout tagged = MemoryLayout.structLayout(
                JAVA_BYTE.withName("tag"), MemoryLayout.paddingLayout(7), JAVA_LONG.withName("value"));
        MemorySegment memory = MemorySegment.ofArray(new long[4]);
        memory.set(JAVA_BYTE, 0, (byte) 1);
        memory.set(JAVA_LONG, 8, 2L);
        memory.set(JAVA_BYTE, 16, (byte) -3);
        assertThat(LayoutFormat.elements(tagged, memory, 2)).isEqualTo("[{tag = 1, value = 2}, {tag = -3, value = 0}]");
    }

    @Test
    void anUnnamedMemberPrintsAsAQuestionMark() {
        StructLayout pair = MemoryLayout.structLayout(JAVA_INT.withName("x"), JAVA_INT);
        assertThat(LayoutFormat.elements(pair, MemorySegment.ofArray(new int[] {5, 6}), 1)).isEqualTo("[{x = 5, ? = 6}]");
    }

    @Test
    void theMembersOfAUnionAllStartAtItsStart() {
        UnionLayout union = MemoryLayout.unionLayout(JAVA_INT.withName("i"), JAVA_FLOAT.withName("f"));
        MemorySegment memory = MemorySegment.ofArray(new float[] {1.0f});
        assertThat(LayoutFormat.elements(union, memory, 1)).isEqualTo("[{i = 1065353216, f = 1.0}]");
    }

    @Test
    void sequencesNestAsBrackets() {
        MemoryLayout grid = MemoryLayout.sequenceLayout(2, MemoryLayout.sequenceLayout(2, JAVA_SHORT));
        MemorySegment memory = MemorySegment.ofArray(new short[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertThat(LayoutFormat.elements(grid, memory, 2)).isEqualTo("[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]");
        assertThat(LayoutFormat.elements(MemoryLayout.sequenceLayout(0, JAVA_INT), memory, 2)).isEqualTo("[[], []]");
    }

    @Test
    void aPaddingElementPrintsAsAnUnderscore() {
        assertThat(LayoutFormat.elements(MemoryLayout.paddingLayout(4), MemorySegment.ofArray(new int[2]), 2))
                .isEqualTo("[_, _]");
    }
}
