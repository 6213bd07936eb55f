package dev.bufalloc.snippets;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.NoLeaks;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Runs the Javadoc's snippets (compiling them is the test compile's job): none throws, none leaks C heap
 * memory, and those that print print what their comments say. The one snippet not run is
 * {@code AddressArray}'s, which would {@code execvp} over the JVM.
 */
@NoLeaks
class SnippetsTest {

    /** A piece of code that may throw anything, as a snippet with a downcall does. */
    interface Snippet {
        void run() throws Throwable;
    }

    /** {@return what {@code snippet} printed on {@code System.out}, lines separated by \n} */
    private static String printed(Snippet snippet) throws Throwable {
        PrintStream out = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            snippet.run();
        } finally {
            System.setOut(out);
        }
        return bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n");
    }

    // ---- dev.bufalloc ---------------------------------------------------------------------------

    @Test
    void corePackage() throws Throwable {
        CoreSnippets.packageOverview();
    }

    @Test
    void allocatorImplementation() {
        assertThat(CoreSnippets.allocator(HeapAllocator.instance())).containsExactly(48, 0);
        assertThat(CoreSnippets.allocator(MallocAllocator.instance())).containsExactly(48, 0);
    }

    @Test
    void bufferAllocator() throws Throwable {
        assertThat((long) CoreSnippets.STRLEN.invokeExact(Arena.global().allocateFrom("four"))).isEqualTo(4);
        CoreSnippets.bufferAllocator(List.of("a line", "another line", "x".repeat(5000)));
    }

    @Test
    void ofGrowing() {
        String big = "word ".repeat(2_000);   // 10 KB of small strings: beyond the 1 KiB buffer
        assertThat(CoreSnippets.ofGrowing(List.of(big, big, big, "small", big))).containsExactly(2, 0, 0, 0, 0);
    }

    @Test
    void ofShared() {
        CoreSnippets.ofShared(IntStream.range(0, 100).mapToObj(i -> new CoreSnippets.Item("item " + i)).toList());
    }

    @Test
    void push() {
        try (Arena arena = Arena.ofConfined(); BufferAllocator allocator = BufferAllocator.of(arena.allocate(1024))) {
            MemorySegment before = allocator.allocate(8);
            CoreSnippets.push(allocator);
            assertThat(allocator.usedBytes()).isEqualTo(8);
            allocator.free(before);
        }
    }

    @Test
    void bufferStatistics() throws Throwable {
        assertThat(printed(() -> CoreSnippets.bufferStatistics(List.of(new CoreSnippets.Request("small")))))
                .isEmpty();
        assertThat(printed(() -> CoreSnippets.bufferStatistics(List.of(new CoreSnippets.Request("x".repeat(5000))))))
                .isEqualTo("buffer too small: try 8192 bytes\n");
    }

    @Test
    void overflowSite() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(printed(() -> CoreSnippets.overflowSite(arena)))
                    .matches("dev\\.bufalloc\\.snippets\\.CoreSnippets\\.runWorkload\\(CoreSnippets\\.java:\\d+\\):"
                            + " 1 blocks, 3000 bytes\n");
        }
    }

    @Test
    void frame() {
        try (Arena arena = Arena.ofConfined()) {
            CoreSnippets.frame(arena, List.of("one", "two", "three"));
        }
    }

    @Test
    void asArena() {
        try (Arena arena = Arena.ofConfined(); BufferAllocator allocator = BufferAllocator.of(arena.allocate(1024))) {
            CoreSnippets.asArena(allocator);
            assertThat(allocator.usedBytes()).isZero();
        }
    }

    @Test
    void scratch() throws Throwable {
        CoreSnippets.scratch();   // /tmp/data need not exist: open(2) then returns -1
    }

    @Test
    void scratchStatistics() {
        assertThat(CoreSnippets.scratchStatistics()).matches("\\d+ of \\d+ scratch buffers idle, \\d+ made since start");
    }

    @Test
    void scratchBurst() throws InterruptedException {
        assertThat(CoreSnippets.scratchBurst(4)).as("buffers made for 4 threads at once").isBetween(0L, 4L);
    }

    // ---- dev.bufalloc.system --------------------------------------------------------------------

    @Test
    void heapAllocator() {
        assertThat(SystemSnippets.heapAllocator().getAtIndex(ValueLayout.JAVA_LONG, 3)).isEqualTo(42L);
    }

    @Test
    void mallocAllocator() {
        MemorySegment freed = SystemSnippets.mallocAllocator();
        assertThatThrownBy(() -> freed.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void unscopedMallocAllocator() {
        SystemSnippets.unscopedMallocAllocator();
    }

    // ---- dev.bufalloc.context -------------------------------------------------------------------

    @Test
    void contextPackage() {
        ContextSnippets.packageOverview();   // an IntArray of malloc's, never closed, would fail @NoLeaks
    }

    @Test
    void contextAllocator() {
        ContextSnippets.contextAllocator();
    }

    // ---- dev.bufalloc.array ---------------------------------------------------------------------

    @Test
    void arrayPackage() throws Throwable {
        assertThat(printed(ArraySnippets::packageOverview)).isEqualTo("[{x = 3, y = 4}] [7]\n");
    }

    @Test
    void dynamicArray() throws Throwable {
        assertThat(printed(ArraySnippets::dynamicArray)).isEqualTo("[{x = 3, y = 4}, {x = 3, y = 4}]\n");
        assertThat(printed(ArraySnippets::typedSubclass)).isEqualTo("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n");
    }

    @Test
    void typedArrays() throws Throwable {
        assertThat(printed(TypedArraySnippets::byteArray)).isEqualTo("[7, 7]\n");
        assertThat(printed(TypedArraySnippets::shortArray)).isEqualTo("[7, 7]\n");
        assertThat(printed(TypedArraySnippets::charArray)).isEqualTo("[x, x]\n");
        assertThat(printed(TypedArraySnippets::intArray)).isEqualTo("[7, 7]\n");
        assertThat(printed(TypedArraySnippets::longArray)).isEqualTo("[7, 7]\n");
        assertThat(printed(TypedArraySnippets::floatArray)).isEqualTo("[1.5, 1.5]\n");
        assertThat(printed(TypedArraySnippets::doubleArray)).isEqualTo("[1.5, 1.5]\n");
        assertThat(printed(TypedArraySnippets::booleanArray)).isEqualTo("[true, true]\n");
    }
}
