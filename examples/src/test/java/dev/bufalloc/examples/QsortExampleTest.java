package dev.bufalloc.examples;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class QsortExampleTest {

    @Test
    void qsortWithAJavaComparatorSortsTheIntsWhereTheyLieInTheBuffer() throws Throwable {
        int[] sorted = QsortExample.INPUT.clone();
        Arrays.sort(sorted);

        assertThat(ExampleRunner.run(QsortExample::main)).isEqualTo("""
                before = %s
                after  = %s
                sorted in the buffer at offset 0, %d of 1024 bytes used, fallbacks = 0
                """.formatted(Arrays.toString(QsortExample.INPUT), Arrays.toString(sorted),
                QsortExample.INPUT.length * Integer.BYTES));
    }
}
