/**
 * bufalloc: memory allocators for the Foreign Function &amp; Memory API.
 *
 * <ul>
 *   <li>{@link dev.bufalloc} — the allocator contract ({@link dev.bufalloc.Allocator}) and the
 *       buffer allocator ({@link dev.bufalloc.BufferAllocator});</li>
 *   <li>{@link dev.bufalloc.system} — the allocators a program has without a buffer: C's malloc
 *       made safe, the same unscoped (an opt-in), the Java heap;</li>
 *   <li>{@link dev.bufalloc.context} — the context allocator;</li>
 *   <li>{@link dev.bufalloc.array} — allocator-aware dynamic arrays.</li>
 * </ul>
 *
 * Restricted FFM calls (the C library's allocator) need {@code --enable-native-access=dev.bufalloc}
 * on the module path, or {@code --enable-native-access=ALL-UNNAMED} on the class path.
 */
module dev.bufalloc {
    // Flight Recorder events (dev.bufalloc.internal.jfr): they extend jdk.jfr.Event, so must load
    // wherever bufalloc does, on the class path and on the module path alike. Every JDK build has jdk.jfr.
    requires jdk.jfr;

    exports dev.bufalloc;
    exports dev.bufalloc.context;
    exports dev.bufalloc.system;
    exports dev.bufalloc.array;
}
