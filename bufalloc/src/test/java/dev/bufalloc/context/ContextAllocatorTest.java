package dev.bufalloc.context;

import dev.bufalloc.Allocator;
import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.BufferAllocator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/*
 * Not covered: a thread forked in a StructuredTaskScope inside runWith sees the binding (as the
 * Javadoc says). StructuredTaskScope is a preview API in Java 25 and the build does not enable
 * preview features.
 */
class ContextAllocatorTest {

    /** An allocator that is only itself: heap blocks under a name, to tell bindings apart. */
    private record Named(String name) implements Allocator {
        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            return HeapAllocator.instance().allocate(byteSize, byteAlignment);
        }

        @Override
        public MemorySegment reallocate(MemorySegment segment, long newByteSize, long byteAlignment) {
            return HeapAllocator.instance().reallocate(segment, newByteSize, byteAlignment);
        }

        @Override
        public void free(MemorySegment segment) {
            HeapAllocator.instance().free(segment);
        }
    }

    private static final Allocator OUTER = new Named("outer");
    private static final Allocator INNER = new Named("inner");

    /** Returns what {@link ContextAllocator#current()} is on a new platform thread started now. */
    private static Allocator currentOnANewThread() throws InterruptedException {
        AtomicReference<Allocator> seen = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> seen.set(ContextAllocator.current()));
        thread.join();
        return seen.get();
    }

    @Test
    void theDefaultIsTheMallocAllocator() {
        assertThat(ContextAllocator.getDefault()).isSameAs(MallocAllocator.instance());
        assertThat(ContextAllocator.current()).isSameAs(MallocAllocator.instance());
    }

    @Nested
    class RunWith {

        @Test
        void bindsTheAllocatorForTheActionOnly() {
            List<Allocator> seen = new ArrayList<>();
            ContextAllocator.runWith(OUTER, () -> seen.add(ContextAllocator.current()));
            assertThat(seen).containsExactly(OUTER);
            assertThat(ContextAllocator.current()).isSameAs(ContextAllocator.getDefault());
        }

        @Test
        void nestedBindingsAreInnermostFirst() {
            List<Allocator> seen = new ArrayList<>();
            ContextAllocator.runWith(OUTER, () -> {
                seen.add(ContextAllocator.current());
                ContextAllocator.runWith(INNER, () -> seen.add(ContextAllocator.current()));
                seen.add(ContextAllocator.current());
            });
            assertThat(seen).containsExactly(OUTER, INNER, OUTER);
        }

        @Test
        void unbindsWhenTheActionThrows() {
            assertThatThrownBy(() -> ContextAllocator.runWith(OUTER, () -> {
                throw new IllegalStateException("boom");
            })).isInstanceOf(IllegalStateException.class).hasMessage("boom");
            assertThat(ContextAllocator.current()).isSameAs(ContextAllocator.getDefault());
        }

        @Test
        void aThreadStartedInsideDoesNotSeeTheBinding() throws Exception {
            AtomicReference<Allocator> onOtherThread = new AtomicReference<>();
            ContextAllocator.runWith(OUTER, () -> {
                try {
                    onOtherThread.set(currentOnANewThread());
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(onOtherThread.get()).isSameAs(ContextAllocator.getDefault());
        }

        @Test
        void throwsNullPointerExceptionForANullArgument() {
            assertThatThrownBy(() -> ContextAllocator.runWith(null, () -> { }))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("allocator");
            assertThatThrownBy(() -> ContextAllocator.runWith(OUTER, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("action");
        }
    }

    @Nested
    class CallWith {

        @Test
        void returnsTheResultComputedWithTheBinding() {
            Allocator seen = ContextAllocator.callWith(OUTER, ContextAllocator::current);
            assertThat(seen).isSameAs(OUTER);
            assertThat(ContextAllocator.current()).isSameAs(ContextAllocator.getDefault());
        }

        @Test
        void nestsWithRunWith() {
            Allocator seen = ContextAllocator.callWith(OUTER,
                    () -> ContextAllocator.callWith(INNER, ContextAllocator::current));
            assertThat(seen).isSameAs(INNER);
        }

        @Test
        void throwsWhatTheOperationThrowsAndUnbinds() {
            assertThatThrownBy(() -> ContextAllocator.<Void, IOException>callWith(OUTER, () -> {
                throw new IOException("disk");
            })).isInstanceOf(IOException.class).hasMessage("disk");
            assertThat(ContextAllocator.current()).isSameAs(ContextAllocator.getDefault());
        }

        @Test
        void throwsNullPointerExceptionForANullArgument() {
            assertThatThrownBy(() -> ContextAllocator.callWith(null, () -> 1))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("allocator");
            assertThatThrownBy(() -> ContextAllocator.callWith(OUTER, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("operation");
        }
    }

    @Nested
    class SetDefault {

        @Test
        void replacesTheDefaultForEveryThreadAndReturnsThePreviousOne() throws Exception {
            Allocator before = ContextAllocator.getDefault();
            Allocator previous = ContextAllocator.setDefault(OUTER);
            try {
                assertThat(previous).isSameAs(before);
                assertThat(ContextAllocator.getDefault()).isSameAs(OUTER);
                assertThat(ContextAllocator.current()).isSameAs(OUTER);
                assertThat(currentOnANewThread()).isSameAs(OUTER);
                assertThat(ContextAllocator.callWith(INNER, ContextAllocator::current))
                        .as("a binding still wins over the default").isSameAs(INNER);
            } finally {
                assertThat(ContextAllocator.setDefault(previous)).isSameAs(OUTER);
            }
            assertThat(ContextAllocator.getDefault()).isSameAs(before);
        }

        @Test
        void throwsNullPointerExceptionForNullAndKeepsTheDefault() {
            Allocator before = ContextAllocator.getDefault();
            assertThatThrownBy(() -> ContextAllocator.setDefault(null)).isInstanceOf(NullPointerException.class);
            assertThat(ContextAllocator.getDefault()).isSameAs(before);
        }
    }

    @Nested
    class WhatCapturesTheContext {

        @Test
        void aBufferAllocatorMadeInsideRunWithFallsBackToThatAllocatorEvenOutside() {
            BufferAllocator buffer = ContextAllocator.callWith(HeapAllocator.instance(),
                    () -> BufferAllocator.of(MemorySegment.ofArray(new long[2])));
            try {
                MemorySegment tooBig = buffer.allocate(64, 8);   // the buffer holds 16 bytes
                assertThat(tooBig.isNative()).as("from the heap allocator, not malloc").isFalse();
                assertThat(tooBig.heapBase()).containsInstanceOf(long[].class);
                assertThat(tooBig.byteSize()).isEqualTo(64);
                assertThat(buffer.statistics().fallbackCount()).isEqualTo(1);
            } finally {
                buffer.close();
            }
        }

        @Test
        void aBufferAllocatorMadeOutsideUsesTheDefaultEvenInsideRunWith() {
            long mallocBlocks = MallocAllocator.instance().liveBlocks();
            try (BufferAllocator buffer = BufferAllocator.of(new byte[8])) {
                ContextAllocator.runWith(HeapAllocator.instance(), () -> {
                    MemorySegment tooBig = buffer.allocate(64, 1);
                    assertThat(tooBig.isNative()).as("from malloc, the default when the buffer was made").isTrue();
                });
                assertThat(MallocAllocator.instance().liveBlocks()).isEqualTo(mallocBlocks + 1);
            }
            assertThat(MallocAllocator.instance().liveBlocks()).as("close frees the fallback block").isEqualTo(mallocBlocks);
        }
    }
}
