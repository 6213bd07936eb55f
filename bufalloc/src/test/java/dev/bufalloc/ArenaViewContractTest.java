package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_CHAR;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@link Frame#asArena()} held to the JDK's {@link Arena} contract, with the assertions OpenJDK's own tests
 * make of {@code Arena.ofConfined()} (test/jdk/java/foreign: TestScopedOperations, TestSegments, TestScope,
 * TestMemorySession, TestSegmentAllocators): every segment is in the arena's scope, native, writable; the
 * scope is alive until close and dead after; a second close, and every allocation after close, throws
 * {@link IllegalStateException} (whose message says "closed"); every operation from another thread throws
 * {@link WrongThreadException} (whose message says "outside"); allocations never overlap, honour any
 * alignment, may be empty; {@code allocateFrom} round-trips; bad sizes and alignments are
 * {@link IllegalArgumentException}.
 *
 * <p>Each over three buffers: one of {@code Arena.ofAuto()} (the view serves requests from the buffer), one of
 * {@code Arena.ofConfined()} and a heap array (the view serves them from its own confined arena).
 *
 * <p>Where the view deliberately differs from a JDK arena, a test named {@code deviation…} asserts the
 * difference, so that it is known and stays as documented.
 */
@NoLeaks
class ArenaViewContractTest {

    private static final long BUFFER_BYTES = 64 * 1024;

    enum Buffer {
        /** Freed by the garbage collector only: the view serves requests from it. */
        AUTO,
        /** Of an arena its owner may close: the view serves requests from its own arena. */
        CONFINED,
        /** A {@code long[]}: the view serves requests from its own arena, since an Arena's segments are native. */
        HEAP;

        boolean servedFromBuffer() {
            return this == AUTO;
        }

        Setup open() {
            Arena arena = this == CONFINED ? Arena.ofConfined() : null;
            MemorySegment buffer = switch (this) {
                case AUTO -> Arena.ofAuto().allocate(BUFFER_BYTES, 16);
                case CONFINED -> arena.allocate(BUFFER_BYTES, 16);
                case HEAP -> MemorySegment.ofArray(new long[(int) (BUFFER_BYTES / Long.BYTES)]);
            };
            BufferAllocator allocator = BufferAllocator.of(buffer, MallocAllocator.instance());
            return new Setup(this, arena, buffer, allocator, allocator.push());
        }
    }

    /** An allocator over a buffer, with one frame open; {@link #view()} is the frame's Arena view. */
    record Setup(Buffer kind, Arena bufferArena, MemorySegment buffer, BufferAllocator allocator, Frame frame)
            implements AutoCloseable {

        Arena view() {
            return frame.asArena();
        }

        @Override
        public void close() {
            try {
                allocator.close();
            } catch (IllegalStateException e) {
                if (!e.getMessage().startsWith("Already closed")) {   // a test closed it: fine; anything else is not
                    throw e;
                }
            } finally {
                if (bufferArena != null) {
                    bufferArena.close();
                }
            }
        }
    }

    // ---- scope ----------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void everySegmentIsInTheArenasScopeAndDerivedSegmentsToo(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            List<MemorySegment> segments = List.of(
                    view.allocate(10), view.allocate(10, 8), view.allocate(0), view.allocate(JAVA_INT),
                    view.allocate(JAVA_LONG, 10), view.allocateFrom("scope"), view.allocateFrom(JAVA_INT, 1, 2, 3),
                    view.allocateFrom(JAVA_LONG, 5L), view.allocate(2 * BUFFER_BYTES, 8));   // the last one fits no buffer

            for (MemorySegment segment : segments) {
                assertThat(segment.scope()).isEqualTo(view.scope());
                assertThat(segment.asSlice(0).scope()).isEqualTo(view.scope());
                assertThat(segment.asReadOnly().scope()).isEqualTo(view.scope());
                assertThat(MemorySegment.ofBuffer(segment.asByteBuffer()).scope()).isEqualTo(view.scope());
            }
            assertThat(s.frame().asArena()).as("every call returns the same view").isSameAs(view);
            try (Frame inner = s.allocator().push()) {
                assertThat(inner.asArena().scope()).as("another frame, another scope").isNotEqualTo(view.scope());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void theScopeIsAliveUntilCloseAndDeadAfterAndSoAreTheSegments(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            MemorySegment segment = view.allocate(100);
            MemorySegment.Scope scope = view.scope();
            assertThat(scope.isAlive()).isTrue();

            view.close();

            assertThat(scope.isAlive()).isFalse();
            assertThat(view.scope().isAlive()).isFalse();
            assertThat(segment.scope().isAlive()).isFalse();
            for (Consumer<MemorySegment> op : segmentOperations()) {
                assertThatThrownBy(() -> op.accept(segment)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("closed");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void closingTwiceThrowsIllegalStateException(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            view.allocate(8);
            view.close();

            assertThatThrownBy(view::close).isInstanceOf(IllegalStateException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void closingAViewThatAllocatedNothingWorks(Buffer kind) {
        try (Setup s = kind.open()) {
            s.view().close();

            assertThat(s.allocator().usedBytes()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void everyAllocationAfterCloseThrowsIllegalStateException(Buffer kind, @TempDir Path dir) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            view.close();

            for (Map.Entry<String, Consumer<Arena>> op : arenaOperations(dir.resolve("mapped")).entrySet()) {
                assertThatThrownBy(() -> op.getValue().accept(view)).as(op.getKey())
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            }
        }
    }

    // ---- threads --------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void everyOperationFromAnotherThreadThrowsWrongThreadException(Buffer kind, @TempDir Path dir) throws Exception {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            MemorySegment segment = view.allocate(16);

            for (Map.Entry<String, Consumer<Arena>> op : arenaOperations(dir.resolve("mapped")).entrySet()) {
                assertThat(onAnotherThread(() -> op.getValue().accept(view))).as(op.getKey())
                        .isInstanceOf(WrongThreadException.class).hasMessageContaining("outside");
            }
            for (Consumer<MemorySegment> op : segmentOperations()) {
                assertThat(onAnotherThread(() -> op.accept(segment))).isInstanceOf(WrongThreadException.class)
                        .hasMessageContaining("outside");
            }
            assertThat(onAnotherThread(view::close)).as("close, as a JDK confined arena's")
                    .isInstanceOf(WrongThreadException.class);
            assertThat(onAnotherThread(s.frame()::asArena)).isInstanceOf(WrongThreadException.class);
            assertThat(segment.isAccessibleBy(Thread.currentThread())).isTrue();
            assertThat(segment.isAccessibleBy(new Thread(() -> { }))).isFalse();

            assertThat(view.scope().isAlive()).as("nothing the other thread did closed it").isTrue();
            segment.fill((byte) 1);
            view.close();
        }
    }

    // ---- allocation -----------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void allocationsNeverOverlapEachOtherTheFramesOrOlderBlocks(Buffer kind) {
        try (Setup s = kind.open()) {
            MemorySegment older = s.allocator().allocate(100);          // through the allocator, before the view
            List<MemorySegment> segments = new ArrayList<>(List.of(older));
            Arena view = s.view();
            Random random = new Random(7);
            for (int i = 0; i < 600; i++) {
                long size = random.nextInt(300);
                long alignment = 1L << random.nextInt(7);
                segments.add(i % 3 == 2
                        ? s.frame().allocate(size, kind == Buffer.HEAP ? Math.min(alignment, 8) : alignment)
                        : view.allocate(size, alignment));
            }
            for (int i = 0; i < segments.size(); i++) {
                segments.get(i).fill((byte) i);
            }

            for (int i = 0; i < segments.size(); i++) {
                MemorySegment a = segments.get(i);
                assertThat(a.mismatch(MemorySegment.ofArray(filled(a.byteSize(), (byte) i)))).as("segment %d", i)
                        .isEqualTo(-1);
                for (int j = i + 1; j < segments.size(); j++) {
                    MemorySegment b = segments.get(j);
                    if (a.byteSize() > 0 && b.byteSize() > 0) {
                        assertThat(a.asOverlappingSlice(b)).as("segments %d and %d", i, j).isEmpty();
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void everyAlignmentFrom1To4096IsHonoured(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            for (long alignment = 1; alignment <= 4096; alignment *= 2) {
                for (long size : new long[] {0, 1, alignment, 3 * alignment + 1}) {
                    MemorySegment segment = view.allocate(size, alignment);
                    assertThat(segment.byteSize()).isEqualTo(size);
                    assertThat(segment.address() % alignment).as("%d bytes aligned to %d", size, alignment).isZero();
                    assertThat(segment.maxByteAlignment()).isGreaterThanOrEqualTo(alignment);
                    view.allocate(1, 1);                                // leaves the cursor unaligned again
                }
            }
            MemoryLayout empty = MemoryLayout.sequenceLayout(0, JAVA_INT);
            MemorySegment segment = view.allocate(empty);
            assertThat(segment.byteSize()).isZero();
            assertThat(segment.address() % empty.byteAlignment()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void allocateZeroWorks(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            MemorySegment zero = view.allocate(0, 1);
            MemorySegment zeroAligned = view.allocate(0, 4);
            MemorySegment zeroAgain = view.allocate(0);

            for (MemorySegment segment : List.of(zero, zeroAligned, zeroAgain)) {
                assertThat(segment.byteSize()).isZero();
                assertThat(segment.scope()).isEqualTo(view.scope());
                assertThat(segment.isNative()).isTrue();
            }
            assertThat(zeroAligned.address() % 4).isZero();
            view.close();
            assertThat(zero.scope().isAlive()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void allocateFromRoundTripsStringsScalarsAndArraysInBothByteOrders(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            assertThat(view.allocateFrom("héllo, wörld").getString(0)).isEqualTo("héllo, wörld");
            assertThat(view.allocateFrom("utf-16", StandardCharsets.UTF_16LE).getString(0, StandardCharsets.UTF_16LE))
                    .isEqualTo("utf-16");
            assertThat(view.allocateFrom("").getString(0)).isEmpty();
            assertThat(view.allocateFrom(JAVA_BYTE, (byte) 42).get(JAVA_BYTE, 0)).isEqualTo((byte) 42);
            assertThat(view.allocateFrom(JAVA_CHAR, 'x').get(JAVA_CHAR, 0)).isEqualTo('x');
            assertThat(view.allocateFrom(JAVA_SHORT, (short) 42).get(JAVA_SHORT, 0)).isEqualTo((short) 42);
            assertThat(view.allocateFrom(JAVA_INT, 42).get(JAVA_INT, 0)).isEqualTo(42);
            assertThat(view.allocateFrom(JAVA_FLOAT, 42f).get(JAVA_FLOAT, 0)).isEqualTo(42f);
            assertThat(view.allocateFrom(JAVA_LONG, 42L).get(JAVA_LONG, 0)).isEqualTo(42L);
            assertThat(view.allocateFrom(JAVA_DOUBLE, 42d).get(JAVA_DOUBLE, 0)).isEqualTo(42d);
            assertThat(view.allocateFrom(ValueLayout.ADDRESS, MemorySegment.ofAddress(42)).get(ValueLayout.ADDRESS, 0).address())
                    .isEqualTo(42);

            for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                byte[] bytes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
                assertThat(view.allocateFrom(JAVA_BYTE, bytes).toArray(JAVA_BYTE)).isEqualTo(bytes);
                char[] chars = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
                assertThat(view.allocateFrom(JAVA_CHAR.withOrder(order), chars).toArray(JAVA_CHAR.withOrder(order)))
                        .isEqualTo(chars);
                short[] shorts = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
                assertThat(view.allocateFrom(JAVA_SHORT.withOrder(order), shorts).toArray(JAVA_SHORT.withOrder(order)))
                        .isEqualTo(shorts);
                int[] ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
                assertThat(view.allocateFrom(JAVA_INT.withOrder(order), ints).toArray(JAVA_INT.withOrder(order)))
                        .isEqualTo(ints);
                float[] floats = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
                assertThat(view.allocateFrom(JAVA_FLOAT.withOrder(order), floats).toArray(JAVA_FLOAT.withOrder(order)))
                        .isEqualTo(floats);
                long[] longs = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
                assertThat(view.allocateFrom(JAVA_LONG.withOrder(order), longs).toArray(JAVA_LONG.withOrder(order)))
                        .isEqualTo(longs);
                double[] doubles = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
                assertThat(view.allocateFrom(JAVA_DOUBLE.withOrder(order), doubles).toArray(JAVA_DOUBLE.withOrder(order)))
                        .isEqualTo(doubles);
            }
            MemorySegment source = MemorySegment.ofArray(new int[] {7, 8, 9});
            assertThat(view.allocateFrom(JAVA_INT, source, JAVA_INT, 4, 2).toArray(JAVA_INT)).containsExactly(8, 9);
            assertThatThrownBy(() -> view.allocateFrom(ValueLayout.ADDRESS, MemorySegment.ofArray(new int[] {1})))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Heap segment not allowed");
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void segmentsAreNativeWritableAndNotMapped(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            for (MemorySegment segment : List.of(view.allocate(16), view.allocateFrom(JAVA_INT, 1, 2),
                    view.allocate(2 * BUFFER_BYTES))) {
                assertThat(segment.isNative()).isTrue();
                assertThat(segment.heapBase()).isEmpty();
                assertThat(segment.isReadOnly()).isFalse();
                assertThat(segment.isMapped()).isFalse();
                assertThatThrownBy(segment::load).isInstanceOf(UnsupportedOperationException.class);
                assertThatThrownBy(segment::unload).isInstanceOf(UnsupportedOperationException.class);
                assertThatThrownBy(segment::isLoaded).isInstanceOf(UnsupportedOperationException.class);
                assertThatThrownBy(segment::force).isInstanceOf(UnsupportedOperationException.class);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void badSizesAndAlignmentsAreIllegalArgumentsAndChangeNothing(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            view.allocate(3);
            long used = s.allocator().usedBytes();

            assertThatThrownBy(() -> view.allocate(-1, 8)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> view.allocate(1, 15)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> view.allocate(1, -15)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> view.allocate(1, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> view.allocate(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> view.allocate(JAVA_BYTE, -1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> view.allocate(JAVA_LONG, Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
            assertThat(catchThrowable(() -> view.allocate(Long.MAX_VALUE, 1)))
                    .isInstanceOfAny(OutOfMemoryError.class, IllegalArgumentException.class);

            assertThat(s.allocator().usedBytes()).isEqualTo(used);
            assertThat(view.scope().isAlive()).isTrue();
            view.allocate(8).fill((byte) 1);
        }
    }

    /** TestScope.testZeroed: what a JDK arena allocates is zeroed. So is what the view takes from its own arena. */
    @ParameterizedTest
    @EnumSource(Buffer.class)
    void segmentsFromTheViewsOwnArenaAreZeroed(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            MemorySegment zeros = MemorySegment.ofArray(new byte[8102]);
            if (kind.servedFromBuffer()) {
                view.allocate(BUFFER_BYTES - 100).fill((byte) 0x5A);    // what is left of the buffer is too small
            }

            MemorySegment segment = view.allocate(zeros.byteSize(), Long.BYTES);

            assertThat(zeros.mismatch(segment)).isEqualTo(-1);
        }
    }

    /** FileChannel.map takes an Arena: given the view, the mapping lives in the view's scope and ends with it. */
    @ParameterizedTest
    @EnumSource(Buffer.class)
    void aFileMappedIntoTheViewIsUnmappedWhenTheViewCloses(Buffer kind, @TempDir Path dir) throws IOException {
        try (Setup s = kind.open();
             FileChannel channel = FileChannel.open(dir.resolve("mapped"), StandardOpenOption.CREATE,
                     StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Arena view = s.view();
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, 16, view);
            assertThat(mapped.scope()).isEqualTo(view.scope());
            assertThat(mapped.isMapped()).isTrue();
            mapped.set(JAVA_LONG, 0, 42);

            view.close();

            assertThatThrownBy(() -> mapped.get(JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
            try (Arena arena = Arena.ofConfined()) {
                assertThat(channel.map(FileChannel.MapMode.READ_ONLY, 0, 16, arena).get(JAVA_LONG, 0)).isEqualTo(42);
            }
        }
    }

    // ---- where the view deliberately differs from a JDK arena -----------------------------------------

    /**
     * Deviation: a segment the view serves from the buffer is not zeroed (the contract's "Zeroing: none"): it
     * holds what the buffer held, here the bytes of a segment of an earlier frame's view at the same place.
     */
    @Test
    void deviationSegmentsServedFromTheBufferAreNotZeroed() {
        try (Setup s = Buffer.AUTO.open()) {
            MemorySegment first = s.view().allocate(64);
            first.fill((byte) 0x5A);
            s.view().close();

            try (Arena view = s.allocator().push().asArena()) {
                MemorySegment second = view.allocate(64);

                assertThat(second.address()).isEqualTo(first.address());
                assertThat(second.get(JAVA_BYTE, 0)).as("not zeroed").isEqualTo((byte) 0x5A);
                assertThat(second.mismatch(MemorySegment.ofArray(filled(64, (byte) 0x5A)))).isEqualTo(-1);
            }
        }
    }

    /**
     * Deviation: the view's segments can be the caller's buffer, seen through the view's scope, and the
     * allocator's cursor moves for them. A JDK arena's segments are memory of its own. (From its own arena,
     * over a buffer its owner may close or a heap buffer, the view leaves the buffer alone.)
     */
    @ParameterizedTest
    @EnumSource(Buffer.class)
    void deviationSegmentsServedFromTheBufferAliasTheCallersBuffer(Buffer kind) {
        try (Setup s = kind.open()) {
            MemorySegment segment = s.view().allocate(64, 8);
            segment.fill((byte) 0x11);

            if (kind.servedFromBuffer()) {
                assertThat(s.allocator().usedBytes()).isGreaterThanOrEqualTo(64);
                MemorySegment alias = s.buffer().asOverlappingSlice(segment).orElseThrow();
                assertThat(alias.byteSize()).isEqualTo(64);
                alias.set(JAVA_BYTE, 0, (byte) 0x22);
                assertThat(segment.get(JAVA_BYTE, 0)).isEqualTo((byte) 0x22);
            } else {
                assertThat(s.allocator().usedBytes()).isZero();
                assertThat(s.buffer().asOverlappingSlice(segment)).isEmpty();
            }
        }
    }

    /**
     * Deviation: a JDK arena ends only by its own close. The view also ends when its allocator is reset or
     * closed, or its frame closed: its scope is dead, and closing or using the view afterwards throws.
     */
    @ParameterizedTest
    @EnumSource(Buffer.class)
    void deviationResetOfTheAllocatorEndsTheView(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            MemorySegment segment = view.allocate(16);

            s.allocator().reset();

            assertThat(view.scope().isAlive()).isFalse();
            assertThatThrownBy(() -> segment.get(JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> view.allocate(8)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(view::close).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(s.frame()::asArena).as("an ended frame has no view").isInstanceOf(IllegalStateException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(Buffer.class)
    void deviationCloseOfTheAllocatorOrOfTheFrameEndsTheView(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            s.frame().close();
            assertThat(view.scope().isAlive()).as("frame closed").isFalse();
            assertThatThrownBy(view::close).isInstanceOf(IllegalStateException.class);

            Arena next = s.allocator().push().asArena();
            next.allocate(8);
            s.allocator().close();
            assertThat(next.scope().isAlive()).as("allocator closed").isFalse();
            assertThatThrownBy(() -> next.allocate(8)).isInstanceOf(IllegalStateException.class);
        }
    }

    /**
     * Deviation: a JDK arena whose scope is alive can always allocate. The view allocates only while its frame
     * is the innermost open one: with an inner frame open, its scope is alive but allocating throws.
     */
    @ParameterizedTest
    @EnumSource(Buffer.class)
    void deviationTheViewAllocatesOnlyWhileItsFrameIsTheInnermost(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena view = s.view();
            try (Frame inner = s.allocator().push()) {
                inner.allocate(8);
                assertThat(view.scope().isAlive()).isTrue();
                assertThatThrownBy(() -> view.allocate(8)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("not the innermost");
            }
            view.allocate(8).fill((byte) 1);
        }
    }

    /**
     * Deviation: when a JDK arena's close throws IllegalStateException, nothing was closed. Closing the view
     * of an outer frame while inner frames are open closes them all (their views too), and then throws
     * IllegalStateException to report the misuse: the view is closed although close threw.
     */
    @ParameterizedTest
    @EnumSource(Buffer.class)
    void deviationClosingAnOuterViewWithInnerFramesOpenClosesEverythingThenThrows(Buffer kind) {
        try (Setup s = kind.open()) {
            Arena outer = s.view();
            MemorySegment outerSegment = outer.allocate(8);
            Frame inner = s.allocator().push();
            Arena innerView = inner.asArena();
            MemorySegment innerSegment = innerView.allocate(8);

            assertThatThrownBy(outer::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("were open");

            assertThat(outer.scope().isAlive()).isFalse();
            assertThat(innerView.scope().isAlive()).isFalse();
            assertThat(outerSegment.scope().isAlive()).isFalse();
            assertThat(innerSegment.scope().isAlive()).isFalse();
            assertThat(s.allocator().usedBytes()).isZero();
            assertThatThrownBy(inner::close).isInstanceOf(IllegalStateException.class);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------

    /** TestScopedOperations' segment operations. */
    private static List<Consumer<MemorySegment>> segmentOperations() {
        return List.of(
                segment -> segment.toArray(JAVA_BYTE),
                segment -> segment.copyFrom(segment),
                segment -> segment.mismatch(segment),
                segment -> segment.fill((byte) 0),
                segment -> segment.get(JAVA_BYTE, 0),
                segment -> segment.set(JAVA_BYTE, 0, (byte) 1));
    }

    /** TestScopedOperations' arena operations, by name. */
    private static Map<String, Consumer<Arena>> arenaOperations(Path file) {
        Map<String, Consumer<Arena>> ops = new LinkedHashMap<>();
        ops.put("allocate(size, align)", a -> a.allocate(100, 1));
        ops.put("allocate(size)", a -> a.allocate(1));
        ops.put("allocate(layout)", a -> a.allocate(JAVA_BYTE));
        ops.put("allocate(layout, count)", a -> a.allocate(JAVA_BYTE, 1L));
        ops.put("allocateFrom(byte)", a -> a.allocateFrom(JAVA_BYTE, (byte) 0));
        ops.put("allocateFrom(char)", a -> a.allocateFrom(JAVA_CHAR, (char) 0));
        ops.put("allocateFrom(short)", a -> a.allocateFrom(JAVA_SHORT, (short) 0));
        ops.put("allocateFrom(int)", a -> a.allocateFrom(JAVA_INT, 0));
        ops.put("allocateFrom(float)", a -> a.allocateFrom(JAVA_FLOAT, 0f));
        ops.put("allocateFrom(long)", a -> a.allocateFrom(JAVA_LONG, 0L));
        ops.put("allocateFrom(double)", a -> a.allocateFrom(JAVA_DOUBLE, 0d));
        ops.put("allocateFrom(byte[])", a -> a.allocateFrom(JAVA_BYTE, new byte[] {0}));
        ops.put("allocateFrom(char[])", a -> a.allocateFrom(JAVA_CHAR, new char[] {0}));
        ops.put("allocateFrom(short[])", a -> a.allocateFrom(JAVA_SHORT, new short[] {0}));
        ops.put("allocateFrom(int[])", a -> a.allocateFrom(JAVA_INT, new int[] {0}));
        ops.put("allocateFrom(float[])", a -> a.allocateFrom(JAVA_FLOAT, new float[] {0}));
        ops.put("allocateFrom(long[])", a -> a.allocateFrom(JAVA_LONG, new long[] {0}));
        ops.put("allocateFrom(double[])", a -> a.allocateFrom(JAVA_DOUBLE, new double[] {0}));
        ops.put("allocateFrom(String)", a -> a.allocateFrom("x"));
        ops.put("allocateFrom(5 args)", a -> a.allocateFrom(JAVA_INT, MemorySegment.ofArray(new byte[] {}), JAVA_BYTE, 0, 1));
        ops.put("FileChannel.map", a -> {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                channel.map(FileChannel.MapMode.READ_WRITE, 0, 10, a);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return ops;
    }

    private static Throwable onAnotherThread(Runnable action) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                action.run();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        thread.join();
        return thrown.get();
    }

    private static byte[] filled(long size, byte value) {
        byte[] bytes = new byte[(int) size];
        java.util.Arrays.fill(bytes, value);
        return bytes;
    }
}
