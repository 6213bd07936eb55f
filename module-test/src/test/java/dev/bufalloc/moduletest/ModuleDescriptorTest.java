package dev.bufalloc.moduletest;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.array.IntArray;
import dev.bufalloc.system.MallocAllocator;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleReader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The core's module descriptor as a client module sees it, at run time on the module path. The
 * exported packages are read from the descriptor itself, so module-info.java stays the one list of
 * them: a new export needs no change here. (The imports above check exports at compile time:
 * without one of them, this class does not compile.)
 */
class ModuleDescriptorTest {

    private static final Module CORE = BufferAllocator.class.getModule();
    private static final Module SELF = ModuleDescriptorTest.class.getModule();

    @Test
    void runsAsANamedModuleThatReadsTheCoresOwnDescriptor() {
        assertThat(SELF.getName()).as("this test runs on the module path").isEqualTo("dev.bufalloc.moduletest");
        assertThat(CORE.getName()).isEqualTo("dev.bufalloc");
        assertThat(CORE.getDescriptor().isAutomatic()).as("an explicit module-info, not an automatic module").isFalse();
        assertThat(CORE.getDescriptor().isOpen()).isFalse();
        assertThat(SELF.canRead(CORE)).isTrue();
    }

    @Test
    void exportedApiWorksWithNativeAccessGrantedByModuleName() {
        MallocAllocator malloc = MallocAllocator.instance();   // C's malloc: restricted calls in dev.bufalloc
        long liveBlocks = malloc.liveBlocks();
        try (Arena arena = Arena.ofConfined();
             BufferAllocator buffer = BufferAllocator.of(arena.allocate(16), malloc);
             IntArray array = IntArray.of(2, buffer)) {
            for (int i = 0; i < 16; i++) {
                array.push(i);                                  // outgrows the buffer: falls back to malloc
            }
            assertThat(array.get(15)).isEqualTo(15);
            assertThat(buffer.statistics().fallbackCount()).isPositive();
        }
        assertThat(malloc.liveBlocks()).isEqualTo(liveBlocks);
    }

    @Test
    void everyExportedPackageIsExportedToAllAndItsPublicTypesAreAccessible() throws Exception {
        Set<String> exported = exportedPackages();
        assertThat(exported).isNotEmpty();
        for (ModuleDescriptor.Exports export : CORE.getDescriptor().exports()) {
            assertThat(export.isQualified()).as("export of %s to chosen modules only", export.source()).isFalse();
        }
        for (String pkg : exported) {
            assertThat(CORE.isExported(pkg, SELF)).as(pkg).isTrue();
            List<Class<?>> types = publicTypesIn(pkg);
            assertThat(types).as("public types of %s", pkg).isNotEmpty();
            for (Class<?> type : types) {
                assertThat(MethodHandles.lookup().accessClass(type)).isSameAs(type);
            }
        }
    }

    @Test
    void everyOtherPackageInternalIncludedIsClosedToClients() throws Exception {
        Set<String> closed = new TreeSet<>(CORE.getPackages());
        closed.removeAll(exportedPackages());
        assertThat(closed).contains("dev.bufalloc.internal");
        for (String pkg : closed) {
            assertThat(CORE.isExported(pkg, SELF)).as(pkg).isFalse();
            assertThat(CORE.isOpen(pkg, SELF)).as(pkg).isFalse();
            List<Class<?>> types = publicTypesIn(pkg);
            assertThat(types).as("public types of %s", pkg).isNotEmpty();
            for (Class<?> type : types) {
                assertThatThrownBy(() -> MethodHandles.lookup().accessClass(type))
                        .as(type.getName()).isInstanceOf(IllegalAccessException.class);
                for (Method method : type.getDeclaredMethods()) {
                    if (Modifier.isPublic(method.getModifiers()) && Modifier.isStatic(method.getModifiers())) {
                        // Access is checked before the arguments: a public method of a public class, refused.
                        assertThatThrownBy(() -> method.invoke(null, new Object[method.getParameterCount()]))
                                .as(method.toString()).isInstanceOf(IllegalAccessException.class);
                        assertThat(method.trySetAccessible()).as(method.toString()).isFalse();
                    }
                }
            }
        }
    }

    private static Set<String> exportedPackages() {
        return CORE.getDescriptor().exports().stream()
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The public top-level types of one of the core's packages, found in the module's own content. */
    private static List<Class<?>> publicTypesIn(String pkg) throws IOException {
        String prefix = pkg.replace('.', '/') + '/';
        ModuleReader reader = ModuleLayer.boot().configuration().findModule(CORE.getName()).orElseThrow()
                .reference().open();
        try (reader) {
            return reader.list()
                    .filter(name -> name.startsWith(prefix) && name.endsWith(".class"))
                    .map(name -> name.substring(0, name.length() - ".class".length()))
                    .filter(name -> name.indexOf('/', prefix.length()) < 0
                            && name.indexOf('$') < 0 && !name.endsWith("package-info"))
                    .<Class<?>>map(name -> load(name.replace('/', '.')))
                    .filter(type -> Modifier.isPublic(type.getModifiers()))
                    .toList();
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, CORE.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(name + " is in the module's content but does not load", e);
        }
    }
}
