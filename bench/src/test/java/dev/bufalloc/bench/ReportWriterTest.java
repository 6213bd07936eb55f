package dev.bufalloc.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the report generator working without running a benchmark: it reads a small JMH JSON
 * (four results of a real quick run) and must write the report, the CSV and the chart.
 */
class ReportWriterTest {

    @TempDir
    Path docs;

    @Test
    void writesTheReportFromJmhJson() throws IOException {
        Files.createDirectories(docs.resolve("benchmarks"));
        try (InputStream sample = getClass().getResourceAsStream("/sample-results.json")) {
            Files.copy(sample, docs.resolve("benchmarks/results-sample.json"));
        }

        ReportWriter.write(docs, "sample");

        String report = Files.readString(docs.resolve("BENCHMARKS.md"));
        assertThat(report)
                .contains("## Targets", "## Where bufalloc is behind, and why", "(c) Temporary frame", "| **bufalloc** |", "| lwjgl |", "JVM flags")
                .contains("(e) growth in the buffer copies 0 bytes | 0 bytes copied")
                .contains("(d, issue 11) strlen: bufalloc <= 1.05x prefixAllocator | - | **not run**")
                .contains("(h) typed and array allocations: 0 B/op through every bufalloc allocator | - | **not run**");
        assertThat(Files.readAllLines(docs.resolve("benchmarks/results-sample.csv"))).hasSize(5);
        assertThat(Files.size(docs.resolve("benchmarks/chart-sample.png"))).isPositive();
    }

    @Test
    void comparesEachPeerWithTheBufallocOfItsVariant() throws IOException {
        Path json = docs.resolve("results.json");
        try (InputStream sample = getClass().getResourceAsStream("/sample-results.json")) {
            Files.copy(sample, json);
        }
        ResultSet results = ResultSet.read(json);

        BenchmarkResult lwjgl = results.find("FrameBenchmark", "lwjgl").orElseThrow();
        assertThat(results.referenceOf(lwjgl)).map(BenchmarkResult::method).contains("bufalloc");
        assertThat(results.jvmArgs()).contains("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch");
        List<Targets.Check> checks = Targets.check(results);
        assertThat(checks).extracting(Targets.Check::verdict).contains("not run").doesNotContainNull();
    }
}
