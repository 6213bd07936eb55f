package dev.bufalloc.bench;

import dev.bufalloc.Frame;
import dev.bufalloc.Scratch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The per-request server workload on virtual threads: each request runs on a fresh virtual thread and
 * takes temporary native memory for four C strings, with {@link Scratch} or with an {@code Arena} per
 * request; each thread then serves a second request, to compare its first push with a later one. A third mode,
 * {@code threads}, serves the same requests with strings converted once, up front: the threads alone, the floor
 * of the other two's wall time. Each mode
 * runs in a JVM of its own, so that its peak RSS is its own; the parent prints the figures and, given the docs
 * folder, writes them with the section-1 targets of issue 11 to {@code docs/benchmarks/virtual-threads.md},
 * which the benchmark report includes.
 *
 * <p>Run: {@code mvn -q -pl bench -am compile exec:exec -Dbench.main=VirtualThreadWorkload} (optionally
 * {@code -Dbench=100000} for the requests per batch). Timing is wall-clock on a shared machine: read the
 * ratios of runs made side by side, not the absolute figures.
 */
public final class VirtualThreadWorkload {

    private static final int BATCHES = 10;
    private static final String[] WORDS = {"GET", "/index.html", "HTTP/1.1", "bufalloc"};

    private VirtualThreadWorkload() {}

    /**
     * Runs the threads, Arena and Scratch modes twice each, in turn, each in a JVM of its own, prints their lines,
     * and writes {@code docs/benchmarks/virtual-threads.md} (included in BENCHMARKS.md) when given the docs folder.
     *
     * @param args [requests per batch (default 50,000)] [docs folder]
     * @throws Exception if a child fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("scratch") || args[0].equals("arena") || args[0].equals("threads"))) {
            child(args[0], Integer.parseInt(args[1]));
            return;
        }
        int requests = args.length > 0 && args[0].matches("\\d+") ? Integer.parseInt(args[0]) : 50_000;
        List<Run> runs = new ArrayList<>();
        for (String mode : List.of("threads", "arena", "scratch", "threads", "arena", "scratch")) {
            ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                    // A heap of fixed size, touched up front: RSS then moves with native memory, not heap growth.
                    "--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch", "-cp", System.getProperty("java.class.path"),
                    VirtualThreadWorkload.class.getName(), mode, Integer.toString(requests));
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
            Process child = builder.start();
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (child.waitFor() != 0) {
                throw new IllegalStateException(mode + " exited with " + child.exitValue() + ": " + output);
            }
            Run run = Run.parse(output);
            System.out.println(run.describe());
            runs.add(run);
        }
        if (args.length > 1) {
            Path report = Path.of(args[1], "benchmarks", "virtual-threads.md");
            Files.writeString(report, report(runs, requests));
            System.out.println("Wrote " + report);
        }
    }

    /**
     * One child's figures.
     *
     * @param mode {@code arena}, {@code scratch} or {@code threads}
     * @param requests requests per batch
     * @param totalMillis wall time of all batches
     * @param peakRssMb the child's peak resident set
     * @param rssMb resident set after each batch
     * @param firstPush p50 and p99 of the first push (or Arena open) on a fresh thread, ns
     * @param laterPush p50 and p99 of the same thread's next one, ns
     */
    record Run(String mode, int requests, long totalMillis, long peakRssMb, long[] rssMb, long[] firstPush,
               long[] laterPush) {

        static Run parse(String output) {
            String[] f = output.strip().lines().filter(l -> l.startsWith("RESULT ")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no RESULT line in: " + output)).split(" ");
            return new Run(f[1], Integer.parseInt(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                    Arrays.stream(f[5].split(",")).mapToLong(Long::parseLong).toArray(),
                    new long[] {Long.parseLong(f[6]), Long.parseLong(f[7])},
                    new long[] {Long.parseLong(f[8]), Long.parseLong(f[9])});
        }

        String line() {
            return "RESULT " + mode + " " + requests + " " + totalMillis + " " + peakRssMb + " "
                    + String.join(",", Arrays.stream(rssMb).mapToObj(Long::toString).toList()) + " "
                    + firstPush[0] + " " + firstPush[1] + " " + laterPush[0] + " " + laterPush[1];
        }

        String describe() {
            return String.format(Locale.ROOT, "%-8s %,d requests x %d batches: %,d ms total, %.2f us/request;"
                            + " peak RSS %,d MB; RSS per batch (MB) %s; first push/scope open p50 %,d ns p99 %,d ns;"
                            + " the thread's next one p50 %,d ns p99 %,d ns",
                    mode, requests, BATCHES, totalMillis, totalMillis * 1e3 / requests / BATCHES, peakRssMb,
                    Arrays.toString(rssMb), firstPush[0], firstPush[1], laterPush[0], laterPush[1]);
        }

        /** {@return the spread of the RSS after each batch but the first, as a fraction of its mean} */
        double rssSpread() {
            long[] steady = Arrays.copyOfRange(rssMb, 1, rssMb.length);
            double mean = Arrays.stream(steady).average().orElse(0);
            return (Arrays.stream(steady).max().orElse(0) - Arrays.stream(steady).min().orElse(0)) / 2.0 / mean;
        }
    }

    /** The report section: every run, then issue 11's section-1 targets from the sums of the runs of each mode. */
    static String report(List<Run> runs, int requests) {
        StringBuilder md = new StringBuilder("| Mode | Wall time (ms) | µs/request | Peak RSS (MB) | RSS after each"
                + " batch (MB) | First push p50 / p99 (ns) | Next push p50 / p99 (ns) |\n|---|---:|---:|---:|---|---:|---:|\n");
        for (Run r : runs) {
            String pushes = r.mode.equals("threads") ? "- | -" : String.format(Locale.ROOT, "%,d / %,d | %,d / %,d",
                    r.firstPush[0], r.firstPush[1], r.laterPush[0], r.laterPush[1]);
            md.append(String.format(Locale.ROOT, "| %s | %,d | %.2f | %,d | %s | %s |%n", r.mode, r.totalMillis,
                    r.totalMillis * 1e3 / r.requests / BATCHES, r.peakRssMb, Arrays.toString(r.rssMb), pushes));
        }
        List<Run> scratch = runs.stream().filter(r -> r.mode.equals("scratch")).toList();
        List<Run> arena = runs.stream().filter(r -> r.mode.equals("arena")).toList();
        double wall = sum(scratch, Run::totalMillis) / sum(arena, Run::totalMillis);
        double rss = sum(scratch, Run::peakRssMb) / sum(arena, Run::peakRssMb);
        double spread = scratch.stream().mapToDouble(Run::rssSpread).max().orElse(Double.NaN);
        double firstOverNext = scratch.stream().mapToDouble(r -> (double) r.firstPush[0] / r.laterPush[0]).max()
                .orElse(Double.NaN);
        md.append(String.format(Locale.ROOT, "%nTargets (issue 11, section 1), %,d fresh virtual threads per batch,"
                        + " %d batches, each thread serving two requests:%n%n| Target | Measured | Verdict |%n|---|---|---|%n",
                requests, BATCHES));
        target(md, "wall time: Scratch <= 0.5x an Arena per request", "%.2fx", wall, wall <= 0.5);
        List<Run> threads = runs.stream().filter(r -> r.mode.equals("threads")).toList();
        if (!threads.isEmpty()) {   // not a target: what no allocator can go below
            double floor = sum(threads, Run::totalMillis) / sum(arena, Run::totalMillis);
            md.append(String.format(Locale.ROOT, "| (the floor: the threads alone, no memory taken, over the Arena run)"
                    + " | %.2fx | - |%n", floor));
        }
        target(md, "peak RSS: Scratch <= 1.1x an Arena per request", "%.2fx", rss, rss <= 1.1);
        target(md, "RSS flat (±10%) across the batches (after the first)", "±%.1f%%", spread * 100, spread <= 0.10);
        target(md, "first push on a fresh virtual thread <= 2x a later push (p50)", "%.2fx", firstOverNext,
                firstOverNext <= 2.0);
        return md.toString();
    }

    private static double sum(List<Run> runs, java.util.function.ToLongFunction<Run> figure) {
        return runs.stream().mapToLong(figure).sum();
    }

    private static void target(StringBuilder md, String target, String format, double measured, boolean met) {
        md.append("| ").append(target).append(" | ").append(String.format(Locale.ROOT, format, measured)).append(" | ")
                .append(met ? "met" : "**MISSED**").append(" |\n");
    }

    private static void child(String mode, int requests) throws Exception {
        boolean scratch = mode.equals("scratch");
        boolean threadsOnly = mode.equals("threads");
        long[] batchNanos = new long[BATCHES];
        long[] rssKb = new long[BATCHES];
        long[] firstPush = new long[requests];
        long[] laterPush = new long[requests];
        for (int batch = 0; batch < BATCHES; batch++) {
            long start = System.nanoTime();
            try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> results = new ArrayList<>(requests);
                for (int i = 0; i < requests; i++) {
                    int index = i;
                    results.add(executor.submit(() -> {
                        firstPush[index] = threadsOnly ? noMemoryRequest() : scratch ? scratchRequest() : arenaRequest();
                        laterPush[index] = threadsOnly ? noMemoryRequest()   // the same thread's next
                                : scratch ? scratchRequest() : arenaRequest();
                    }));
                }
                for (Future<?> result : results) {
                    result.get();
                }
            }
            batchNanos[batch] = System.nanoTime() - start;
            rssKb[batch] = status("VmRSS");
        }
        long[] sorted = firstPush.clone();
        Arrays.sort(sorted);
        long[] later = laterPush.clone();
        Arrays.sort(later);
        long total = Arrays.stream(batchNanos).sum();
        Run run = new Run(mode, requests, total / 1_000_000, status("VmHWM") / 1024,
                Arrays.stream(rssKb).map(kb -> kb / 1024).toArray(),
                new long[] {sorted[requests / 2], sorted[requests * 99 / 100]},
                new long[] {later[requests / 2], later[requests * 99 / 100]});
        System.out.println(run.line());
    }

    /** One request with Scratch; returns the nanoseconds the first push took. */
    private static long scratchRequest() {
        long start = System.nanoTime();
        try (Frame frame = Scratch.push()) {
            long pushed = System.nanoTime() - start;
            use(frame.allocateFrom(WORDS[0]), frame.allocateFrom(WORDS[1]),
                    frame.allocateFrom(WORDS[2]), frame.allocateFrom(WORDS[3]));
            return pushed;
        }
    }

    /** One request with an Arena; returns the nanoseconds opening it took. */
    private static long arenaRequest() {
        long start = System.nanoTime();
        try (Arena arena = Arena.ofConfined()) {
            long opened = System.nanoTime() - start;
            use(arena.allocateFrom(WORDS[0]), arena.allocateFrom(WORDS[1]),
                    arena.allocateFrom(WORDS[2]), arena.allocateFrom(WORDS[3]));
            return opened;
        }
    }

    /** The strings, converted once: what {@link #noMemoryRequest()} uses. */
    private static final MemorySegment[] CONVERTED = Arrays.stream(WORDS).map(Arena.global()::allocateFrom)
            .toArray(MemorySegment[]::new);

    /** One request with no memory taken: the strings were converted up front. Returns 0. */
    private static long noMemoryRequest() {
        use(CONVERTED[0], CONVERTED[1], CONVERTED[2], CONVERTED[3]);
        return 0;
    }

    private static void use(MemorySegment... strings) {
        long sum = 0;
        for (MemorySegment string : strings) {
            sum += string.byteSize();
        }
        if (sum != 34) {   // 4 + 12 + 9 + 9 bytes with their terminating zeros
            throw new AssertionError(sum);
        }
    }

    /** A field of /proc/self/status, in kB. */
    private static long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
