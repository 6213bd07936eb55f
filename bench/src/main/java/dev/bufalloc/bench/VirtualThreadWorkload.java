package dev.bufalloc.bench;

import dev.bufalloc.Frame;
import dev.bufalloc.Scratch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The per-request server workload on virtual threads: each request runs on a fresh virtual thread and
 * takes temporary native memory for four C strings, with {@link Scratch} or with an {@code Arena} per
 * request; each thread then serves a second request, to compare its first push with a later one. Each mode runs in a JVM of its own, so that its peak RSS is its own; the parent prints a table.
 *
 * <p>Run: {@code mvn -q -pl bench -am compile exec:exec -Dbench.main=VirtualThreadWorkload} (optionally
 * {@code -Dbench=100000} for the requests per batch). Timing is wall-clock on a shared machine: read the
 * ratios of runs made side by side, not the absolute figures.
 */
public final class VirtualThreadWorkload {

    private static final int BATCHES = 10;
    private static final String[] WORDS = {"GET", "/index.html", "HTTP/1.1", "bufalloc"};

    private VirtualThreadWorkload() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("scratch") || args[0].equals("arena"))) {
            child(args[0], Integer.parseInt(args[1]));
            return;
        }
        int requests = args.length > 0 && args[0].matches("\\d+") ? Integer.parseInt(args[0]) : 50_000;
        for (String mode : List.of("arena", "scratch", "arena", "scratch")) {
            ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                    "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                    VirtualThreadWorkload.class.getName(), mode, Integer.toString(requests));
            builder.inheritIO();
            int status = builder.start().waitFor();
            if (status != 0) {
                throw new IllegalStateException(mode + " exited with " + status);
            }
        }
    }

    private static void child(String mode, int requests) throws Exception {
        boolean scratch = mode.equals("scratch");
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
                        firstPush[index] = scratch ? scratchRequest() : arenaRequest();
                        laterPush[index] = scratch ? scratchRequest() : arenaRequest();   // the same thread's next
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
        System.out.printf("%-8s %,d requests x %d batches: %,d ms total, %.2f us/request (last batch %.2f);"
                        + " peak RSS %,d MB; RSS per batch (MB) %s; first push/scope open p50 %,d ns p99 %,d ns;"
                        + " the thread's next one p50 %,d ns p99 %,d ns%n",
                mode, requests, BATCHES, total / 1_000_000, total / 1e3 / requests / BATCHES,
                batchNanos[BATCHES - 1] / 1e3 / requests, status("VmHWM") / 1024,
                Arrays.toString(Arrays.stream(rssKb).map(kb -> kb / 1024).toArray()),
                sorted[requests / 2], sorted[requests * 99 / 100], later[requests / 2], later[requests * 99 / 100]);
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
