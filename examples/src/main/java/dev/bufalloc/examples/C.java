package dev.bufalloc.examples;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

/**
 * The examples' one door to the C library: looks functions up with the FFM {@link Linker} and
 * turns Java methods into C function pointers. Both are restricted methods, so the examples run
 * with {@code --enable-native-access=ALL-UNNAMED} (the examples module's {@code exec} and
 * surefire configurations pass it).
 */
@SuppressWarnings("restricted")   // calling C is what the examples show
final class C {

    private static final Linker LINKER = Linker.nativeLinker();

    private C() {}

    /**
     * Returns a method handle that calls the C library function {@code name}. When the function
     * returns a struct by value, the handle takes a {@link java.lang.foreign.SegmentAllocator}
     * first: the memory for the returned struct comes from it.
     */
    static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    /**
     * Returns a C function pointer that calls the static method {@code name} of {@code owner},
     * valid as long as {@code arena} is open.
     */
    static MemorySegment upcall(Class<?> owner, String name, FunctionDescriptor descriptor, Arena arena) {
        try {
            MethodHandle target = MethodHandles.lookup().findStatic(owner, name, descriptor.toMethodType());
            return LINKER.upcallStub(target, descriptor, arena);
        } catch (NoSuchMethodException | IllegalAccessException e) {
            throw new IllegalArgumentException("No static method " + name + descriptor.toMethodType()
                    + " in " + owner, e);
        }
    }
}
