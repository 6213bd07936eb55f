package dev.bufalloc.examples;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StructByValueExampleTest {

    @Test
    void divReturnsItsStructIntoTheBufferAndFreeingItGivesTheBytesBack() throws Throwable {
        long structSize = StructByValueExample.DIV_T.byteSize();
        long arrayBytes = StructByValueExample.DIVISIONS.length * structSize;
        StringBuilder expected = new StringBuilder();
        List<String> results = new ArrayList<>();
        for (int[] d : StructByValueExample.DIVISIONS) {
            // C99's div truncates toward zero, as Java's / and % do.
            String result = "{quot = %d, rem = %d}".formatted(d[0] / d[1], d[0] % d[1]);
            results.add(result);
            expected.append("div(%d, %d) = %s, %d buffer bytes used\n"
                    .formatted(d[0], d[1], result, arrayBytes + structSize));
        }
        expected.append("results = [").append(String.join(", ", results)).append("]\n");
        expected.append(arrayBytes).append(" buffer bytes used, fallbacks = 0\n");

        assertThat(ExampleRunner.run(StructByValueExample::main)).isEqualTo(expected.toString());
    }
}
