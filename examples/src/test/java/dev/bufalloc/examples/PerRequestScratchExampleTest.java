package dev.bufalloc.examples;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class PerRequestScratchExampleTest {

    @Test
    void everyRequestIsSummedInScratchMemoryAndNothingGoesToTheFallback() throws Throwable {
        String output = ExampleRunner.run(PerRequestScratchExample::main);

        // The per-request lines, computed from the request bodies with plain Java.
        StringBuilder expected = new StringBuilder();
        int number = 0;
        for (String request : PerRequestScratchExample.REQUESTS) {
            expected.append("request ").append(++number).append(":\n");
            String top = null;
            long topSum = Long.MIN_VALUE;
            for (String line : request.strip().split("\n")) {
                String[] fields = line.split(",");
                long[] values = Arrays.stream(fields).skip(1).mapToLong(Long::parseLong).toArray();
                long sum = Arrays.stream(values).sum();
                expected.append("  %-6s count %3d, sum %8d\n".formatted(fields[0], values.length, sum));
                if (sum > topSum) {
                    top = fields[0];
                    topSum = sum;
                }
            }
            expected.append("  top: ").append(top).append(", BYTES buffer bytes used\n");
        }
        String requests = output.substring(0, output.indexOf("statistics after"));
        assertThat(requests.replaceAll(", \\d+ buffer bytes used", ", BYTES buffer bytes used"))
                .isEqualTo(expected.toString());

        // The statistics agree with what the requests printed: the peak is the fullest request.
        List<Long> used = new ArrayList<>();
        Matcher m = Pattern.compile(", (\\d+) buffer bytes used").matcher(requests);
        while (m.find()) {
            used.add(Long.parseLong(m.group(1)));
        }
        assertThat(used).hasSize(PerRequestScratchExample.REQUESTS.size()).allMatch(bytes -> bytes > 0);
        String statistics = output.substring(output.indexOf("statistics after"));
        assertThat(statistics)
                .startsWith("statistics after " + PerRequestScratchExample.REQUESTS.size() + " requests:\n")
                .contains("  capacity             4096 bytes\n")
                .contains("  peakDemand           " + used.stream().mapToLong(Long::longValue).max().orElseThrow()
                        + " bytes\n")
                .contains("  fallbackCount        0\n")
                .contains("  resets               " + PerRequestScratchExample.REQUESTS.size() + "\n");
    }
}
