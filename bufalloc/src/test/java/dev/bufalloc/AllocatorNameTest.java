package dev.bufalloc;

import dev.bufalloc.snippets.DiagnosticsSnippets;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Allocator names: where they show, and that an unnamed allocator says what it said before names. */
class AllocatorNameTest {

    @Test
    void aNameShowsInToStringAndInTheWrongThreadMessage() throws Exception {
        assertThat(DiagnosticsSnippets.named()).startsWith("BufferAllocator[name=parser, [native ");
        try (Arena arena = Arena.ofShared();
             BufferAllocator allocator = BufferAllocator.of(arena.allocate(64)).named("mine")) {
            assertThat(allocator.name()).contains("mine");
            Thread other = Thread.ofPlatform().unstarted(() -> assertThatThrownBy(() -> allocator.allocate(8, 1))
                    .isInstanceOf(WrongThreadException.class).hasMessageContaining("BufferAllocator[name=mine, "));
            other.start();
            other.join();
            assertThat(allocator.named("renamed").name()).contains("renamed");
        }
        try (Arena arena = Arena.ofShared()) {
            BufferAllocator shared = BufferAllocator.ofShared(arena.allocate(64)).named("pool");
            assertThat(shared.toString()).startsWith("SharedBufferAllocator[name=pool, [native ");
            assertThatThrownBy(() -> shared.named(null)).isInstanceOf(NullPointerException.class);
            shared.close();
            assertThatThrownBy(() -> shared.allocate(8, 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("name=pool");
            assertThatThrownBy(() -> shared.named("late")).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aFullBufferSaysWhoseItIs() {
        try (Arena arena = Arena.ofShared();
             BufferAllocator confined = BufferAllocator.withoutFallback(arena.allocate(64)).named("fixed");
             BufferAllocator shared = BufferAllocator.sharedWithoutFallback(arena.allocate(64)).named("both")) {
            assertThatThrownBy(() -> confined.allocate(65, 1)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessage("The buffer of 'fixed' is full: asked 65 bytes aligned to 1, 64 of 64 bytes left,"
                            + " and this allocator has no fallback");
            assertThatThrownBy(() -> shared.allocate(65, 1)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessage("The buffer of 'both' is full: asked 65 bytes aligned to 1, 64 of 64 bytes left,"
                            + " and this allocator has no fallback");
        }
    }

    @Test
    void anUnnamedAllocatorsToStringAndMessagesAreAsBefore() {
        try (Arena arena = Arena.ofConfined();
             BufferAllocator allocator = BufferAllocator.withoutFallback(arena.allocate(64))) {
            assertThat(allocator.name()).isEmpty();
            assertThat(allocator.toString()).startsWith("BufferAllocator[[native ");
            assertThatThrownBy(() -> allocator.allocate(65, 1)).hasMessage("The buffer is full: asked 65 bytes"
                    + " aligned to 1, 64 of 64 bytes left, and this allocator has no fallback");
        }
    }
}
