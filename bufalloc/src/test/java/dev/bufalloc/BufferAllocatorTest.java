package dev.bufalloc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What {@link BufferAllocator} alone does: its confinement to one thread, call by call. The contract
 * it shares with every allocator, and with the shared allocator and frames, is checked against it by
 * {@link AllocatorContractTest} and {@link BufferAllocatorContractTest}.
 */
class BufferAllocatorTest {

    private Arena arena;

    @BeforeEach
    void openArena() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    @Test
    void everyCallButTheReadOnlyOnesGetsWrongThreadExceptionOnAnotherThread() throws Exception {
        try (BufferAllocator allocator = BufferAllocator.of(arena.allocate(64))) {
            assertThat(onAnotherThread(allocator::reset)).isInstanceOf(WrongThreadException.class);
            assertThat(onAnotherThread(allocator::close)).isInstanceOf(WrongThreadException.class);
            assertThat(onAnotherThread(() -> allocator.free(MemorySegment.NULL))).isInstanceOf(WrongThreadException.class);
            assertThat(onAnotherThread(() -> allocator.reallocate(MemorySegment.NULL, 1, 1))).isInstanceOf(WrongThreadException.class);
            assertThat(onAnotherThread(allocator::push)).isInstanceOf(WrongThreadException.class);
            assertThat(onAnotherThread(allocator::usedBytes)).as("read-only calls work anywhere").isNull();
            assertThat(onAnotherThread(allocator::capacity)).isNull();
            assertThat(onAnotherThread(allocator::statistics)).isNull();
            assertThat(allocator.allocate(8, 1).byteSize()).isEqualTo(8);
        }
    }

    @Test
    void pushAfterCloseIsRefused() {
        BufferAllocator allocator = BufferAllocator.of(arena.allocate(64));
        allocator.close();
        assertThatThrownBy(allocator::push).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    private Throwable onAnotherThread(Runnable call) throws InterruptedException, ExecutionException {
        return CompletableFuture.supplyAsync(() -> {
            try {
                call.run();
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, r -> new Thread(r).start()).get();
    }
}
