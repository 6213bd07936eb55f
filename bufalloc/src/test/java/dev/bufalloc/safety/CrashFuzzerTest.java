package dev.bufalloc.safety;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Runs {@link CrashFuzzer} in child JVMs, two batches at a time, and fails if any batch crashed, found a
 * violation, or did not finish. By default 1,000,000 operations in batches of 125,000 (about 30 s on two
 * cores), drawn from a fixed master seed so that CI is repeatable ({@code -Dbufalloc.fuzz.master=N} picks
 * another); {@code -Dbufalloc.fuzz.ops=N} sets the total, {@code -Dbufalloc.soak.seconds=N} keeps starting
 * batches for N seconds ({@code mvn -B -Psoak -pl bufalloc test -Dtest=CrashFuzzerTest}), and
 * {@code -Dbufalloc.fuzz.seed=S} replays one batch (with {@code -Dbufalloc.fuzz.ops} its size, default
 * 125,000). A failing batch names its seed, its exit status and what it means, its violations and the
 * tail of its output; its files are in {@code target/safety-children/}.
 */
@Tag("safety")
class CrashFuzzerTest {

    private static final long DEFAULT_OPS = 1_000_000;
    private static final long OPS_PER_BATCH = 125_000;
    private static final int PARALLEL_CHILDREN = 2;
    private static final Duration BATCH_TIMEOUT = Duration.ofMinutes(2);
    private static final Pattern SUMMARY = Pattern.compile(Pattern.quote(CrashFuzzer.SUMMARY)
            + " seed=(-?\\d+) ops=(\\d+) staleAccesses=(\\d+) staleThrows=(\\d+) documentedThrows=(\\d+)"
            + " violations=(\\d+)");

    /** One batch: its seed and size, and how its child ended. */
    private record Batch(int index, long seed, long ops, ChildJvm.Result result) {

        Matcher summary() {
            Matcher matcher = SUMMARY.matcher(result.stdout());
            return matcher.find() ? matcher : null;
        }

        boolean passed() {
            Matcher summary = summary();
            return result.succeeded() && summary != null && Long.parseLong(summary.group(6)) == 0;
        }

        String report() {
            StringBuilder text = new StringBuilder("batch " + index + ", seed " + seed + ", " + ops + " ops: "
                    + result.meaning() + " after " + result.time().toMillis() + " ms\n");
            for (String line : result.stdout().split("\n")) {
                if (line.startsWith(CrashFuzzer.SUMMARY) || line.startsWith(CrashFuzzer.CATEGORIES)) {
                    text.append("  ").append(line).append('\n');
                }
            }
            int shown = 0;
            for (String line : result.stderr().split("\n")) {
                if (line.startsWith(CrashFuzzer.VIOLATION) && shown++ < 8) {
                    text.append("  ").append(line.length() > 600 ? line.substring(0, 600) + "..." : line).append('\n');
                }
            }
            text.append("  stderr tail:\n").append(ChildJvm.Result.tail(result.stderr(), 12).indent(2));
            if (result.crashed()) {
                text.append("  stdout tail (the JVM's fatal error report):\n")
                        .append(ChildJvm.Result.tail(result.stdout(), 14).indent(2));
            }
            text.append("  replay: mvn -o -q -B -pl bufalloc test -Dtest=CrashFuzzerTest -D").append(CrashFuzzer.SEED_PROPERTY)
                    .append('=').append(seed).append(" -D").append(CrashFuzzer.OPS_PROPERTY).append('=').append(ops)
                    .append("\n  (add -D").append(CrashFuzzer.TRACE_PROPERTY)
                    .append("=true to a direct run of dev.bufalloc.safety.CrashFuzzer to log every operation)\n");
            return text.toString();
        }
    }

    @Test
    void randomCallSequencesOverEveryAllocatorKindNeverCrashNorUseFreedMemory() throws Exception {
        Long replay = Long.getLong(CrashFuzzer.SEED_PROPERTY);
        long soakSeconds = Long.getLong("bufalloc.soak.seconds", 0);
        long totalOps = Long.getLong(CrashFuzzer.OPS_PROPERTY, replay != null ? OPS_PER_BATCH : DEFAULT_OPS);
        // The default run draws the same batches every time, so that CI is repeatable; the soak draws new ones
        // (-Dbufalloc.fuzz.master=N picks the master seed of either).
        long masterSeed = Long.getLong("bufalloc.fuzz.master", soakSeconds > 0 ? System.nanoTime() : 20_261_204L);
        SplittableRandom seeds = new SplittableRandom(masterSeed);
        long deadline = System.nanoTime() + Duration.ofSeconds(soakSeconds).toNanos();
        long start = System.nanoTime();

        List<Batch> batches = new ArrayList<>();
        try (ExecutorService children = Executors.newFixedThreadPool(PARALLEL_CHILDREN)) {
            List<Future<Batch>> running = new ArrayList<>();
            if (replay != null) {
                running.add(children.submit(() -> batch(0, replay, totalOps)));
            } else if (soakSeconds > 0) {
                // Keep two children busy until the deadline.
                int index = 0;
                while (System.nanoTime() < deadline) {
                    while (running.size() < PARALLEL_CHILDREN) {
                        int batchIndex = index++;
                        long seed = seeds.nextLong();
                        running.add(children.submit(() -> batch(batchIndex, seed, OPS_PER_BATCH)));
                    }
                    Thread.sleep(200);
                    for (int i = running.size() - 1; i >= 0; i--) {
                        if (running.get(i).isDone()) {
                            batches.add(running.remove(i).get());
                        }
                    }
                }
            } else {
                int index = 0;
                for (long done = 0; done < totalOps; done += OPS_PER_BATCH) {
                    int batchIndex = index++;
                    long seed = seeds.nextLong();
                    long ops = Math.min(OPS_PER_BATCH, totalOps - done);
                    running.add(children.submit(() -> batch(batchIndex, seed, ops)));
                }
            }
            for (Future<Batch> batch : running) {
                batches.add(batch.get());
            }
        }

        long ops = 0;
        long stale = 0;
        long staleThrows = 0;
        long documented = 0;
        List<Batch> failed = new ArrayList<>();
        for (Batch batch : batches) {
            Matcher summary = batch.summary();
            if (summary != null) {
                ops += Long.parseLong(summary.group(2));
                stale += Long.parseLong(summary.group(3));
                staleThrows += Long.parseLong(summary.group(4));
                documented += Long.parseLong(summary.group(5));
            }
            if (!batch.passed()) {
                failed.add(batch);
            }
        }
        String totals = batches.size() + " batches (master seed " + masterSeed + "), " + ops + " operations, " + stale
                + " stale accesses of which " + staleThrows + " threw, " + documented + " documented exceptions, in "
                + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms";
        System.out.println("CrashFuzzerTest: " + totals);
        if (!failed.isEmpty()) {
            StringBuilder message = new StringBuilder(failed.size() + " of " + batches.size()
                    + " fuzz batches failed (" + totals + "):\n");
            for (int i = 0; i < failed.size(); i++) {
                Batch batch = failed.get(i);
                message.append(i < 3 ? batch.report() : "batch " + batch.index() + ", seed " + batch.seed() + ": "
                        + batch.result().meaning() + "\n");
            }
            fail(message.toString());
        }
        if (replay == null) {
            assertThat(ops).as("operations run: %s", totals).isGreaterThanOrEqualTo(Math.min(totalOps, OPS_PER_BATCH));
            if (soakSeconds == 0) {
                assertThat(ops).as("operations run: %s", totals).isGreaterThanOrEqualTo(totalOps);
            }
        }
    }

    private static Batch batch(int index, long seed, long ops) {
        ChildJvm.Result result = ChildJvm.run("fuzz-" + index + "-seed" + seed, CrashFuzzer.class,
                List.of("-D" + CrashFuzzer.SEED_PROPERTY + "=" + seed, "-D" + CrashFuzzer.OPS_PROPERTY + "=" + ops),
                List.of(), BATCH_TIMEOUT);
        return new Batch(index, seed, ops, result);
    }
}
