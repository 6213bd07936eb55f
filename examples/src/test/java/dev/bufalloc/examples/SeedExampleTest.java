package dev.bufalloc.examples;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SeedExampleTest {

    @Test
    void printsTheThreeLinesOfTheSeedDocument() {
        String zeros54 = ", 0".repeat(54);
        assertThat(ExampleRunner.run(SeedExample::main)).isEqualTo("""
                arr = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
                buf = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9%s]
                true
                """.formatted(zeros54));
    }
}
