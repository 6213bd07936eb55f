/**
 * bufalloc for LWJGL: a bufalloc allocator, or per-thread scratch, as the stack allocator of LWJGL 3.4's FFM
 * bindings ({@link dev.bufalloc.lwjgl.BufallocStack}).
 *
 * LWJGL's FFM bindings make downcalls: enable native access for {@code org.lwjgl} and {@code dev.bufalloc}
 * on the module path ({@code --enable-native-access=org.lwjgl,dev.bufalloc}), or for
 * {@code ALL-UNNAMED} on the class path.
 */
module dev.bufalloc.lwjgl {
    requires transitive dev.bufalloc;
    // org.lwjgl.system.ffm.StackAllocator is in the API: BufallocStack implements it.
    requires transitive org.lwjgl;

    exports dev.bufalloc.lwjgl;
}
