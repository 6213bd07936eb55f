package dev.bufalloc.snippets;

import dev.bufalloc.array.BooleanArray;
import dev.bufalloc.array.ByteArray;
import dev.bufalloc.array.CharArray;
import dev.bufalloc.array.DoubleArray;
import dev.bufalloc.array.FloatArray;
import dev.bufalloc.array.IntArray;
import dev.bufalloc.array.LongArray;
import dev.bufalloc.array.ShortArray;

/**
 * The snippets of the typed arrays' Javadoc, one region per array, named as the array: the template
 * (src/main/templates/dev/bufalloc/array/TypedArray.java.template) refers to region {@code $Name$Array}.
 * Compiled with the tests and run by {@link SnippetsTest}, which checks that they print what their
 * comments say. See {@link CoreSnippets} for how regions are shown.
 */
final class TypedArraySnippets {

    private TypedArraySnippets() {}

    /** {@link ByteArray}. */
    static void byteArray() {
        // @start region="ByteArray"
        try (ByteArray values = ByteArray.of()) {   // memory of the context allocator
            values.push((byte) 7);
            values.push(values.get(0));
            System.out.println(values);   // [7, 7]
        }
        // @end
    }

    /** {@link ShortArray}. */
    static void shortArray() {
        // @start region="ShortArray"
        try (ShortArray values = ShortArray.of()) {   // memory of the context allocator
            values.push((short) 7);
            values.push(values.get(0));
            System.out.println(values);   // [7, 7]
        }
        // @end
    }

    /** {@link CharArray}. */
    static void charArray() {
        // @start region="CharArray"
        try (CharArray values = CharArray.of()) {   // memory of the context allocator
            values.push('x');
            values.push(values.get(0));
            System.out.println(values);   // [x, x]
        }
        // @end
    }

    /** {@link IntArray}. */
    static void intArray() {
        // @start region="IntArray"
        try (IntArray values = IntArray.of()) {   // memory of the context allocator
            values.push(7);
            values.push(values.get(0));
            System.out.println(values);   // [7, 7]
        }
        // @end
    }

    /** {@link LongArray}. */
    static void longArray() {
        // @start region="LongArray"
        try (LongArray values = LongArray.of()) {   // memory of the context allocator
            values.push(7L);
            values.push(values.get(0));
            System.out.println(values);   // [7, 7]
        }
        // @end
    }

    /** {@link FloatArray}. */
    static void floatArray() {
        // @start region="FloatArray"
        try (FloatArray values = FloatArray.of()) {   // memory of the context allocator
            values.push(1.5f);
            values.push(values.get(0));
            System.out.println(values);   // [1.5, 1.5]
        }
        // @end
    }

    /** {@link DoubleArray}. */
    static void doubleArray() {
        // @start region="DoubleArray"
        try (DoubleArray values = DoubleArray.of()) {   // memory of the context allocator
            values.push(1.5);
            values.push(values.get(0));
            System.out.println(values);   // [1.5, 1.5]
        }
        // @end
    }

    /** {@link BooleanArray}. */
    static void booleanArray() {
        // @start region="BooleanArray"
        try (BooleanArray values = BooleanArray.of()) {   // memory of the context allocator
            values.push(true);
            values.push(values.get(0));
            System.out.println(values);   // [true, true]
        }
        // @end
    }
}
