package dev.bufalloc.examples;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class StrlenExampleTest {

    @Test
    void strlenCountsTheUtf8BytesOfEveryStringMarshalledAtTheStartOfTheBuffer() throws Throwable {
        StringBuilder expected = new StringBuilder();
        for (String word : StrlenExample.WORDS) {
            int utf8 = word.getBytes(StandardCharsets.UTF_8).length;
            expected.append("strlen(\"%s\") = %d (%d Java chars; C string at buffer offset 0, %d bytes)%n"
                    .formatted(word, utf8, word.length(), utf8 + 1));
        }
        expected.append("resets = ").append(StrlenExample.WORDS.size()).append(", fallbacks = 0\n");

        assertThat(ExampleRunner.run(StrlenExample::main)).isEqualTo(expected.toString().replace("\r\n", "\n"));
    }
}
