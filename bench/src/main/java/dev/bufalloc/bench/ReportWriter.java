package dev.bufalloc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Turns one run's JSON into {@code docs/BENCHMARKS.md}, a CSV beside the JSON and the chart.
 * Everything in the report comes from the JSON, the machine file saved with it, the
 * {@link Scenario} annotations of the benchmark classes, and {@code behind.md} beside this class (why
 * the missed targets are missed, read from the generated code, so it holds no run's figures).
 */
public final class ReportWriter {

    /** The virtual-thread server workload's section, written by {@link VirtualThreadWorkload}, if it was run. */
    private static final String WORKLOAD = "virtual-threads.md";

    private ReportWriter() {}

    /**
     * Writes the report of the run {@code mode} ({@code quick} or {@code full}) from
     * {@code docs/benchmarks/results-<mode>.json}.
     *
     * @param docs the repository's {@code docs} folder
     * @param mode the run whose results to report
     * @throws IOException if a file cannot be read or written
     */
    public static void write(Path docs, String mode) throws IOException {
        Path folder = docs.resolve("benchmarks");
        ResultSet results = ResultSet.read(folder.resolve("results-" + mode + ".json"));
        Path machineFile = folder.resolve("machine-" + mode + ".properties");
        MachineInfo machine = Files.exists(machineFile) ? MachineInfo.read(machineFile) : MachineInfo.current();
        Map<String, List<BenchmarkResult>> scenarios = byScenario(results);
        Files.writeString(folder.resolve("results-" + mode + ".csv"), csv(results));
        ChartWriter.write(scenarios, folder.resolve("chart-" + mode + ".png"));
        Path workload = folder.resolve(WORKLOAD);
        String server = Files.exists(workload) ? Files.readString(workload) : null;
        Files.writeString(docs.resolve("BENCHMARKS.md"), markdown(results, machine, scenarios, mode, server));
    }

    /** Groups the results by scenario title, in the order of the scenarios' letters. */
    private static Map<String, List<BenchmarkResult>> byScenario(ResultSet results) {
        Map<String, List<BenchmarkResult>> byLetter = new TreeMap<>(results.results().stream()
                .collect(Collectors.groupingBy(r -> scenario(r).letter() + "\u0000" + r.className())));
        Map<String, List<BenchmarkResult>> byTitle = new LinkedHashMap<>();
        byLetter.values().forEach(list -> byTitle.put(title(list.getFirst()), list));
        return byTitle;
    }

    private static String title(BenchmarkResult result) {
        Scenario scenario = scenario(result);
        return "(" + scenario.letter() + ") " + scenario.title();
    }

    private static Scenario scenario(BenchmarkResult result) {
        try {
            Scenario scenario = Class.forName(result.className()).getAnnotation(Scenario.class);
            if (scenario != null) {
                return scenario;
            }
        } catch (ClassNotFoundException e) {
            // a result of a class since renamed: report it under its name
        }
        return new Scenario() {
            @Override public String letter() { return "z"; }
            @Override public String title() { return result.simpleClassName(); }
            @Override public String operation() { return "?"; }
            @Override public String notes() { return ""; }
            @Override public Class<Scenario> annotationType() { return Scenario.class; }
        };
    }

    private static String csv(ResultSet results) {
        StringBuilder out = new StringBuilder("scenario,benchmark,ns_per_op,error_ns,bytes_per_op,bufalloc_over_this\n");
        for (BenchmarkResult r : results.results()) {
            out.append(scenario(r).letter()).append(',').append(r.simpleClassName()).append('.').append(r.method())
                    .append(',').append(number(r.score(), 3)).append(',').append(number(r.error(), 3))
                    .append(',').append(number(r.bytesPerOp(), 3)).append(',')
                    .append(ratio(results, r).map(x -> number(x, 3)).orElse("")).append('\n');
        }
        return out.toString();
    }

    /** bufalloc's time over this benchmark's: below 1, bufalloc is faster. */
    private static Optional<Double> ratio(ResultSet results, BenchmarkResult result) {
        return results.referenceOf(result).map(reference -> reference.score() / result.score());
    }

    private static String markdown(ResultSet results, MachineInfo machine,
                                   Map<String, List<BenchmarkResult>> scenarios, String mode, String server) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n")
                .append("<!-- Generated by dev.bufalloc.bench.ReportWriter from docs/benchmarks/results-")
                .append(mode).append(".json: edit the generator, not this file. -->\n\n")
                .append("JMH 1.37 benchmarks of the buffer allocator against its peers (issues 3 and 11). ")
                .append("These figures come from the **").append(mode).append("** run; ")
                .append("the raw results are in [`benchmarks/results-").append(mode).append(".json`](benchmarks/results-")
                .append(mode).append(".json) and [`.csv`](benchmarks/results-").append(mode).append(".csv).\n\n");
        howToRun(md);
        md.append("## Machine and JVM\n\n")
                .append("| | |\n|---|---|\n")
                .append("| `nproc` | ").append(machine.processors()).append(" |\n")
                .append("| CPU | ").append(machine.cpuModel()).append(" |\n")
                .append("| Memory | ").append(machine.memory()).append(" |\n")
                .append("| OS | ").append(machine.os()).append(" |\n")
                .append("| JDK | ").append(results.jdk()).append(" |\n")
                .append("| JVM flags | `").append(String.join(" ", results.jvmArgs())).append("` |\n")
                .append("| JMH | ").append(results.settings()).append(", `-prof gc` |\n\n");
        md.append("## Targets\n\n| Target | Measured | Verdict |\n|---|---|---|\n");
        for (Targets.Check check : Targets.check(results)) {
            md.append("| ").append(check.target()).append(" | ").append(check.measured()).append(" | ")
                    .append(check.verdict().equals("met") ? "met" : "**" + check.verdict() + "**").append(" |\n");
        }
        if (server != null) {
            md.append("\n## A server on virtual threads (issue 11, section 1)\n\n")
                    .append("Not JMH: `VirtualThreadWorkload` runs each request on a fresh virtual thread, which takes ")
                    .append("memory for four C strings, with `Scratch.push()` or with an `Arena.ofConfined()`, or (`threads`) ")
                    .append("uses strings converted once, up front: the threads alone, the floor of the other two. Each ")
                    .append("mode in a JVM of its own (`-Xms512m -Xmx512m -XX:+AlwaysPreTouch`: a heap of fixed size, so that RSS follows native memory), twice, in turn. Wall-clock on a shared ")
                    .append("machine: read the ratios. Written to `benchmarks/").append(WORKLOAD).append("` by ")
                    .append("`mvn -B -q -pl bench -am compile exec:exec -Dbench.main=VirtualThreadWorkload -Dbench=50000`.\n\n")
                    .append(server);
        }
        md.append('\n').append(resource("behind.md"));
        md.append("\n## Results\n\n")
                .append("Time per operation (mean, ± the 99.9% confidence half-width), Java-heap bytes allocated ")
                .append("per operation (`gc.alloc.rate.norm`), and **bufalloc ÷ this**: bufalloc's time over this ")
                .append("row's (below 1.00 bufalloc is faster; rows `peer_variant` compare with `bufalloc_variant`).\n\n")
                .append("![ns/op per scenario](benchmarks/chart-").append(mode).append(".png)\n\n");
        for (Map.Entry<String, List<BenchmarkResult>> scenario : scenarios.entrySet()) {
            List<BenchmarkResult> rows = scenario.getValue().stream()
                    .sorted(Comparator.comparing(BenchmarkResult::variant).thenComparing(BenchmarkResult::score))
                    .toList();
            md.append("### ").append(scenario.getKey()).append("\n\n")
                    .append("One operation: ").append(scenario(rows.getFirst()).operation()).append(".\n\n")
                    .append("| Benchmark | ns/op | ± error | B/op | bufalloc ÷ this |\n|---|---:|---:|---:|---:|\n");
            for (BenchmarkResult r : rows) {
                String name = r.peer().equals("bufalloc") ? "**" + r.method() + "**" : r.method();
                md.append("| ").append(name).append(" | ").append(number(r.score(), 2)).append(" | ")
                        .append(number(r.error(), 2)).append(" | ").append(number(r.bytesPerOp(), 1)).append(" | ")
                        .append(ratio(results, r).map(x -> number(x, 2)).orElse("-")).append(" |\n");
            }
            String notes = scenario(rows.getFirst()).notes();
            md.append(notes.isEmpty() ? "" : "\n" + notes + "\n").append('\n');
        }
        return md.toString();
    }

    private static void howToRun(StringBuilder md) {
        md.append("## How to run\n\n")
                .append("From the repository root, with Maven 3.8+ and a JDK 25 installed (the build finds it; ")
                .append("no `JAVA_HOME` needed). Each command compiles the bench module, runs JMH ")
                .append("through `dev.bufalloc.bench.RunBenchmarks`, and rewrites this file, the JSON, the CSV ")
                .append("and the chart:\n\n```sh\n")
                .append("# quick pass (about 4 minutes on 2 cores): 1 fork, 3 x 0.3 s warm-up, 3 x 0.3 s measurement\n")
                .append("mvn -B -q -pl bench -am compile exec:exec -Dbench=quick\n")
                .append("# full suite (about 35 minutes on 2 cores): 3 forks, 3 x 1 s warm-up, 4 x 1 s measurement\n")
                .append("mvn -B -q -pl bench -am compile exec:exec -Dbench=full\n")
                .append("# regenerate this report from the saved JSON, without running anything\n")
                .append("mvn -B -q -pl bench -am compile exec:exec -Dbench=report-full\n")
                .append("```\n\n")
                .append("Add `-Dbench.include=Strlen` (a JMH regular expression) to run some benchmarks only. ")
                .append("`mvn -B test` compiles the benchmarks but runs none. Run on a quiet machine: ")
                .append("the figures are only as good as the machine is idle.\n\n");
    }

    /** A text kept beside this class, for prose that does not belong in code. */
    private static String resource(String name) {
        try (InputStream in = ReportWriter.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("Missing resource " + name + " beside " + ReportWriter.class);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String number(double value, int decimals) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
