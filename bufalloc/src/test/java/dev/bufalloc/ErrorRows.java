package dev.bufalloc;

import dev.bufalloc.AllocatorKind.Factory;
import dev.bufalloc.array.DynamicArrayErrorRows;
import dev.bufalloc.context.ContextAllocatorErrorRows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The rows of {@code docs/ERRORS.md} as code. A row file declares each bad call once: a single row,
 * or a behaviour ({@link #on}) expanded to one row per allocator kind it applies to, or a way of
 * making a buffer allocator wrong ({@link #making}) expanded per factory. {@link ErrorsTableTest}
 * runs the rows and writes the table.
 *
 * <p>A row's id is its family (the prefix of its type, e.g. {@code BA} for {@link BufferAllocator})
 * and a number: each family numbers the rows of one section (making one, allocate, reallocate, ...)
 * from the section's base, in the order they are declared. The table lists the families in
 * {@link #FAMILIES} order, each by number.
 */
public final class ErrorRows {

    /** A bad call, ready to make: what it throws is what its row shows. */
    @FunctionalInterface
    public interface BadCall {
        void call() throws Throwable;
    }

    /** Makes what one row's bad call needs on a fresh fixture, and returns the call. */
    @FunctionalInterface
    public interface Case {
        BadCall prepare(ErrorFixture f) throws Throwable;
    }

    /** A {@link Case} for the kind or factory a bad call is expanded to. */
    @FunctionalInterface
    public interface SubjectCase<T> {
        BadCall prepare(ErrorFixture f, T subject) throws Throwable;
    }

    /** A bad call on the fixture's allocator of the kind, made before the call. */
    @FunctionalInterface
    public interface Call<T> {
        void call(T allocator) throws Throwable;
    }

    /** A bad call on the fixture's allocator of the kind and {@linkplain ErrorFixture#block its newest block}. */
    @FunctionalInterface
    public interface BlockCall {
        void call(Allocator allocator, MemorySegment block) throws Throwable;
    }

    /**
     * A row of the table. {@code changesState} marks a bad call that changes state on purpose, as its note
     * says: the table's test checks all the rest of its case, but not that the state stayed as it was.
     */
    public record Row(String id, String method, String input, Case action, String note, boolean changesState) {}

    /** The methods of an allocator a behaviour calls: how the table writes each, and where its rows are numbered from. */
    public enum Op {
        ALLOCATE("allocate(long, long)", 20),
        REALLOCATE("reallocate", 40),
        FREE("free", 60),
        RESET("reset()", 70),
        CLOSE("close()", 75),
        PUSH("push()", 80),
        AS_ARENA("asArena()", 85);

        public final String signature;
        public final int base;

        Op(String signature, int base) {
            this.signature = signature;
            this.base = base;
        }
    }

    /** Where a family's rows of making one start. */
    public static final int MAKE = 1;
    /** Where a family's rows of using a segment it handed out start. */
    public static final int USE = 90;

    /** The families, in the table's order. */
    static final List<String> FAMILIES = List.of("BA", "FR", "AV", "SC", "CK", "SB", "MA", "HA", "CA", "DA");

    private final Map<String, Row> rows = new HashMap<>();
    private final Map<String, Integer> declared = new HashMap<>();   // family and base -> rows so far

    private ErrorRows() {}

    /** Every row, in the table's order. */
    static List<Row> all() {
        ErrorRows rows = new ErrorRows();
        BufferFactoryErrorRows.declare(rows);
        AllocatorErrorRows.declare(rows);
        FrameErrorRows.declare(rows);
        ContextAllocatorErrorRows.declare(rows);
        DynamicArrayErrorRows.declare(rows);
        return rows.rows.values().stream()
                .sorted(Comparator.comparing((Row row) -> FAMILIES.indexOf(row.id().substring(0, 2)))
                        .thenComparing(Row::id))
                .toList();
    }

    private void add(String family, int base, String method, String input, Case action, String note,
                     boolean changesState) {
        if (!FAMILIES.contains(family)) {
            throw new IllegalArgumentException("Unknown family " + family + ": add it to FAMILIES");
        }
        int number = base + declared.merge(family + "-" + base, 1, Integer::sum) - 1;
        String id = String.format("%s-%02d", family, number);
        if (rows.put(id, new Row(id, method, input, action, note, changesState)) != null) {
            throw new IllegalStateException("Two rows " + id + ": a section of " + family + " runs into the next");
        }
    }

    /** Single rows of one family, numbered from {@code base}. */
    public Section section(String family, int base) {
        return new Section(family, base);
    }

    public final class Section {
        private final String family;
        private final int base;

        private Section(String family, int base) {
            this.family = family;
            this.base = base;
        }

        public Section row(String method, String input, Case action) {
            return row(method, input, action, "");
        }

        public Section row(String method, String input, Case action, String note) {
            add(family, base, method, input, action, note, false);
            return this;
        }

        /** A row whose bad call changes state on purpose, as {@code note} says. */
        public Section rowChangingState(String method, String input, Case action, String note) {
            add(family, base, method, input, action, note, true);
            return this;
        }
    }

    /**
     * A bad call of {@code op} described by {@code input}, declared once: {@link Expansion#to} adds a
     * row for each kind it is given, written {@code <its type>.<op>}.
     */
    public Expansion<AllocatorKind> on(Op op, String input, SubjectCase<AllocatorKind> action) {
        return new Expansion<>(input, (kind, words) -> add(kind.type.family, op.base,
                kind.type.receiver + "." + op.signature, words, f -> action.prepare(f, kind), "", false));
    }

    /** {@link #on}, for a call on the kind's allocator, which the fixture makes before the call. */
    public Expansion<AllocatorKind> onSegmentAllocator(Op op, String input, Call<SegmentAllocator> call) {
        return on(op, input, (f, kind) -> {
            SegmentAllocator allocator = f.segmentAllocator(kind);
            return () -> call.call(allocator);
        });
    }

    /** {@link #on}, for a call on the kind's allocator, which the fixture makes before the call. */
    public Expansion<AllocatorKind> onAllocator(Op op, String input, Call<Allocator> call) {
        return on(op, input, (f, kind) -> {
            Allocator allocator = f.allocator(kind);
            return () -> call.call(allocator);
        });
    }

    /** {@link #on}, for a call on the kind's allocator and an 8-byte block it allocated before the call. */
    public Expansion<AllocatorKind> onBlock(Op op, String input, BlockCall call) {
        return on(op, input, (f, kind) -> {
            MemorySegment block = f.block(kind);
            Allocator allocator = f.allocator(kind);
            return () -> call.call(allocator, block);
        });
    }

    /** A wrong way of making a buffer allocator, declared once: {@link Expansion#to} adds a row per factory. */
    public Expansion<Factory> making(String input, SubjectCase<Factory> action) {
        return new Expansion<>(input, (factory, words) -> add(factory.type.family, MAKE, factory.signature, words,
                f -> action.prepare(f, factory), "", false));
    }

    /** One bad call, expanded to a row for each kind or factory it is given. */
    public static final class Expansion<T> {
        private final String input;
        private final BiConsumer<T, String> addRow;

        private Expansion(String input, BiConsumer<T, String> addRow) {
            this.input = input;
            this.addRow = addRow;
        }

        /** Adds a row for each of {@code subjects}, in order. */
        @SafeVarargs
        public final Expansion<T> to(T... subjects) {
            for (T subject : subjects) {
                addRow.accept(subject, input);
            }
            return this;
        }

        /** Adds a row for {@code subject}, whose table words the same bad input as {@code input}. */
        public Expansion<T> to(T subject, String input) {
            addRow.accept(subject, input);
            return this;
        }
    }
}
