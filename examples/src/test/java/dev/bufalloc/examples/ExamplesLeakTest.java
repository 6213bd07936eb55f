package dev.bufalloc.examples;

import dev.bufalloc.context.ContextAllocator;
import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.CountingAllocator;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every example gives back all the memory it takes: run with a counting context allocator, it
 * leaves no block of it outstanding, and the C heap is as it was ({@link NoLeaks}).
 */
@NoLeaks
class ExamplesLeakTest {

    /** Every example's {@code main}: add a line for each new example. */
    static Stream<Arguments> examples() {
        return Stream.of(
                example("SeedExample", SeedExample::main),
                example("StrlenExample", StrlenExample::main),
                example("QsortExample", QsortExample::main),
                example("StructByValueExample", StructByValueExample::main),
                example("PerRequestScratchExample", PerRequestScratchExample::main),
                example("SizingExample", SizingExample::main));
    }

    private static Arguments example(String name, ExampleRunner.Main main) {
        return Arguments.of(name, main);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void givesBackEveryBlockItTakes(String name, ExampleRunner.Main main) {
        CountingAllocator context = new CountingAllocator(MallocAllocator.instance());

        ContextAllocator.runWith(context, () -> ExampleRunner.run(main));

        assertThat(context.outstanding()).as("%s: blocks of the context allocator still outstanding", name).isEmpty();
        assertThat(context.outstandingBytes()).isZero();
    }
}
