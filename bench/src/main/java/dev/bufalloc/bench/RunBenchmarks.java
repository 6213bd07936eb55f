package dev.bufalloc.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the benchmark suite through JMH's Runner API, then writes the report: JSON and CSV in
 * {@code docs/benchmarks/}, the chart, and {@code docs/BENCHMARKS.md}.
 *
 * <p>Arguments: {@code quick | full | report-quick | report-full}, the {@code docs} folder, and
 * optionally a JMH include pattern. {@code report-*} only regenerates the report from the saved JSON.
 * The build runs it with {@code mvn -pl bench -am compile exec:exec -Dbench=quick} (see
 * {@code docs/BENCHMARKS.md}).
 */
public final class RunBenchmarks {

    /**
     * The forked JVMs' flags, after the launching JVM's own: a fixed, pre-touched heap; native
     * access for the FFM downcalls and LWJGL; LWJGL's argument checks off (it then does what
     * a release build does); Netty's leak detector off (by default it records a stack trace for
     * one buffer in 128, which no production setup tuned for speed keeps); and
     * {@code sun.misc.Unsafe} memory access allowed, which LWJGL, Netty and JMH use and which
     * JDK 24+ otherwise warns about (Netty would also fall back to slower buffers without it).
     * Transparent huge pages for the Java heap: pre-touching 1 GiB in 4 KiB pages took 2-8 s per
     * fork on the 2-core machine (one fork per benchmark), with huge pages 0.3 s; every peer gets
     * the same heap, and native memory (malloc) is not affected.
     */
    static final List<String> JVM_ARGS = List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch",
            "-XX:+UseTransparentHugePages",
            "--enable-native-access=ALL-UNNAMED", "-Dorg.lwjgl.util.NoChecks=true",
            "-Dio.netty.leakDetection.level=disabled", "--sun-misc-unsafe-memory-access=allow");

    private RunBenchmarks() {}

    /**
     * Runs the suite.
     *
     * @param args {@code quick|full|report-quick|report-full}, the docs folder, [include pattern]
     * @throws RunnerException if JMH fails, or a benchmark does
     * @throws IOException if the report cannot be written
     */
    public static void main(String[] args) throws RunnerException, IOException {
        if (args.length < 2) {
            System.err.println("usage: RunBenchmarks quick|full|report-quick|report-full DOCS_FOLDER [INCLUDE_REGEX]");
            System.exit(2);
        }
        String mode = args[0];
        Path docs = Path.of(args[1]).toAbsolutePath().normalize();
        String include = args.length > 2 ? args[2] : RunBenchmarks.class.getPackageName() + ".*";
        if (mode.startsWith("report-")) {
            ReportWriter.write(docs, mode.substring("report-".length()));
            System.out.println("Report regenerated: " + docs.resolve("BENCHMARKS.md"));
            return;
        }
        Path folder = Files.createDirectories(docs.resolve("benchmarks"));
        Path json = folder.resolve("results-" + mode + ".json");
        ChainedOptionsBuilder options = profile(mode, new OptionsBuilder())
                .include(include)
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.NANOSECONDS)
                .jvmArgsAppend(JVM_ARGS.toArray(String[]::new))
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString());
        long start = System.nanoTime();
        new Runner(options.build()).run();
        MachineInfo.current().write(folder.resolve("machine-" + mode + ".properties"));
        ReportWriter.write(docs, mode);
        System.out.printf("%s run took %d s; report: %s%n", mode,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), docs.resolve("BENCHMARKS.md"));
    }

    /** The iteration counts and times of a run. */
    private static ChainedOptionsBuilder profile(String mode, ChainedOptionsBuilder options) {
        return switch (mode) {
            case "quick" -> options.forks(1)
                    .warmupIterations(3).warmupTime(TimeValue.milliseconds(300))
                    .measurementIterations(3).measurementTime(TimeValue.milliseconds(300));
            // Three forks: on this machine class one fork's JIT and object layout can move a row by a third.
            case "full" -> options.forks(3)
                    .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(4).measurementTime(TimeValue.seconds(1));
            default -> throw new IllegalArgumentException("Unknown mode " + mode + ": quick, full, report-quick or report-full");
        };
    }
}
