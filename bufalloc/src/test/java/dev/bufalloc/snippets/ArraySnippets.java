package dev.bufalloc.snippets;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.array.AddressArray;
import dev.bufalloc.array.ByteArray;
import dev.bufalloc.array.DynamicArray;
import dev.bufalloc.array.IntArray;
import dev.bufalloc.system.MallocAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The snippets of the Javadoc of package {@code dev.bufalloc.array} (but the typed arrays': see
 * {@link TypedArraySnippets}), compiled with the tests and run by {@link SnippetsTest}, which checks that
 * they print what their comments say. See {@link CoreSnippets} for how regions are shown.
 */
@SuppressWarnings("restricted")
final class ArraySnippets {

    private ArraySnippets() {}

    /** C's {@code int execvp(const char *file, char *const argv[])}: never called by the tests. */
    static final MethodHandle EXECVP = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("execvp").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    /** The package's overview: a struct array and an int array in one buffer. */
    static void packageOverview() {
        // @start region="package"
        StructLayout point = MemoryLayout.structLayout(
                ValueLayout.JAVA_INT.withName("x"), ValueLayout.JAVA_INT.withName("y"));
        try (BufferAllocator allocator = BufferAllocator.of(MemorySegment.ofArray(new long[16]));
             DynamicArray points = DynamicArray.of(point, 4, allocator);
             IntArray ids = IntArray.of(4, allocator)) {
            MemorySegment p = points.pushSlot();
            p.set(ValueLayout.JAVA_INT, 0, 3);
            p.set(ValueLayout.JAVA_INT, 4, 4);
            ids.push(7);
            System.out.println(points + " " + ids);   // [{x = 3, y = 4}] [7]
        }
        // @end
    }

    /** {@link DynamicArray}'s class comment: an array of structs. */
    static void dynamicArray() {
        // @start region="DynamicArray"
        StructLayout point = MemoryLayout.structLayout(JAVA_INT.withName("x"), JAVA_INT.withName("y"));
        try (DynamicArray points = DynamicArray.of(point, 4, MallocAllocator.instance())) {
            MemorySegment p = points.pushSlot();
            p.set(JAVA_INT, 0, 3);
            p.set(JAVA_INT, 4, 4);
            points.push(points.element(0));   // a copy of the first point
            System.out.println(points);       // [{x = 3, y = 4}, {x = 3, y = 4}]
        }
        // @end
    }

    /** {@link DynamicArray}'s class comment: a typed subclass. */
    static void typedSubclass() {
        // @start region="DynamicArray.typed"
        try (BufferAllocator allocator = BufferAllocator.of(new byte[64]);
             ByteArray bytes = ByteArray.of(64, allocator)) {
            for (int i = 0; i < 10; i++) {
                bytes.push((byte) i);
            }
            System.out.println(bytes);   // [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        }
        // @end
    }

    /**
     * {@link AddressArray}: a {@code char **argv} for {@code execvp}. Compiled only: run, it would replace
     * the JVM with {@code ls}.
     */
    static void addressArray() throws Throwable {
        // @start region="AddressArray"
        try (Arena arena = Arena.ofConfined();
             AddressArray argv = AddressArray.of(3, MallocAllocator.instance())) {
            argv.pushAddress(arena.allocateFrom("ls"));
            argv.pushAddress(arena.allocateFrom("-l"));
            argv.pushAddress(MemorySegment.NULL);
            int status = (int) EXECVP.invokeExact(argv.getAddress(0), argv.data());
        }
        // @end
    }
}
