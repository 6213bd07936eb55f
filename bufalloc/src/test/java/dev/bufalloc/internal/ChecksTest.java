package dev.bufalloc.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class ChecksTest {

    @ParameterizedTest(name = "alignUp({0}, {1}) = {2}")
    @CsvSource({
            "0, 1, 0", "0, 2, 0", "0, 16, 0",
            "1, 2, 2", "1, 16, 16", "15, 16, 16", "16, 16, 16", "17, 16, 32",
            "7, 8, 8", "8, 8, 8", "4097, 4096, 8192"})
    void alignUpGivesTheLeastMultipleOfTheAlignmentAtOrAboveTheValue(long value, long alignment, long expected) {
        assertThat(Checks.alignUp(value, alignment)).isEqualTo(expected);
    }

    @Test
    void onlyPositivePowersOfTwoAreAlignments() {
        assertThat(Checks.isPowerOfTwo(1)).isTrue();
        assertThat(Checks.isPowerOfTwo(1L << 62)).isTrue();
        assertThat(Checks.isPowerOfTwo(0)).isFalse();
        assertThat(Checks.isPowerOfTwo(6)).isFalse();
        assertThat(Checks.isPowerOfTwo(Long.MIN_VALUE)).isFalse();
    }
}
