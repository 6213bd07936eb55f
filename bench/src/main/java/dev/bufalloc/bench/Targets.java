package dev.bufalloc.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The targets of issues 3 and 11, checked against one run's results. Each target is met, missed, or not
 * run (when its benchmarks were left out of the run).
 */
public final class Targets {

    /**
     * One target's verdict.
     *
     * @param target what is asked
     * @param measured the figure of this run, with how it was computed
     * @param verdict {@code met}, {@code MISSED} or {@code not run}
     */
    public record Check(String target, String measured, String verdict) {}

    private static final double ZERO_BYTES = 0.5;   // B/op below this is 0: JMH's norm has rounding noise

    private final ResultSet results;
    private final List<Check> checks = new ArrayList<>();

    private Targets(ResultSet results) {
        this.results = results;
    }

    /**
     * Checks every target.
     *
     * @param results one run's results
     * @return one verdict per target, in the order
     */
    public static List<Check> check(ResultSet results) {
        Targets targets = new Targets(results);
        targets.atMost("(a) escaping: bufalloc <= 1.0x slicingAllocator",
                "SingleAllocationBenchmark", "bufalloc_escaping", "slicing_escaping", 1.0);
        targets.atMost("(a) not escaping: bufalloc <= 1.0x slicingAllocator",
                "SingleAllocationBenchmark", "bufalloc_local", "slicing_local", 1.0);
        // Not in the issue: the same comparison with the slicing allocator held in a field, as a caller
        // holds an allocator it reuses (bufalloc's cursor is always in memory; a local's may sit in a register).
        // Issue 11 asks the same of the not-escaping row.
        targets.atMost("(a') escaping: bufalloc <= 1.0x slicingAllocator held in a field",
                "SingleAllocationBenchmark", "bufalloc_escaping", "slicingField_escaping", 1.0);
        targets.atMost("(a', issue 11) not escaping: bufalloc <= 1.0x slicingAllocator held in a field",
                "SingleAllocationBenchmark", "bufalloc_local", "slicingField_local", 1.0);
        targets.atMost("(c) bufalloc frame <= 1.0x LWJGL push/10 nmalloc/pop",
                "FrameBenchmark", "bufalloc_frame", "lwjgl", 1.0);
        targets.atMost("(c) bufalloc reset <= 1.0x LWJGL push/10 nmalloc/pop",
                "FrameBenchmark", "bufalloc", "lwjgl", 1.0);
        targets.atLeast("(c) bufalloc frame >= 20x faster than Arena.ofConfined() + 10 allocations",
                "FrameBenchmark", "arena", "bufalloc_frame", 20.0);
        targets.atMost("(d, issue 11) strlen: bufalloc <= 1.05x prefixAllocator",
                "StrlenBenchmark", "bufalloc", "prefix", 1.05);
        targets.atLeast("(d) strlen: bufalloc >= 1.9x faster than an Arena per call",
                "StrlenBenchmark", "arena", "bufalloc", 1.9);
        targets.atMost("(e) 1M pushes: bufalloc DynamicArray <= 1.0x fastutil IntArrayList",
                "DynamicArrayBenchmark", "bufalloc", "fastutil", 1.0);
        targets.copiesNothing();
        targets.fallbackOverhead(15.0);
        targets.atMost("(g) heap (long[]) buffer within 1.1x of native",
                "HeapBufferBenchmark", "heap", "bufalloc", 1.1);
        // Issue 11: LWJGL 3.4's SegmentStack, an FFM stack of segments, is the frame peer.
        targets.atMost("(c, issue 11) bufalloc frame <= 0.9x LWJGL SegmentStack push/10 allocate/pop",
                "FrameBenchmark", "bufalloc_frame", "segmentStack", 0.9);
        targets.atMost("(h) allocate(JAVA_INT, 16) in a frame: bufalloc <= 1.0x SegmentStack",
                "TypedAllocationBenchmark", "bufalloc_ints", "segmentStack_ints", 1.0);
        targets.atMost("(h) allocateFrom(JAVA_BYTE, byte[48]) in a frame: bufalloc <= 1.0x SegmentStack",
                "TypedAllocationBenchmark", "bufalloc_bytes", "segmentStack_bytes", 1.0);
        targets.atMost("(h) the same passed to strlen: bufalloc <= 1.0x SegmentStack",
                "TypedAllocationBenchmark", "bufalloc_downcall", "segmentStack_downcall", 1.0);
        targets.atMost("(j, issue 11) an allocation that overflows (growing buffer) <= 1.5x one that fits",
                "OverflowBenchmark", "bufalloc_growing", "bufalloc_fits", 1.5);
        targets.atMost("(j, issue 11) a one-block scope through a full growing buffer <= 1.0x an Arena.ofConfined() one",
                "OverflowBenchmark", "bufalloc_growingFrame", "peer_arenaScope", 1.0);
        targets.atMost("(j) the same through a full buffer without chunks (a fallback block) <= 1.0x the Arena one",
                "OverflowBenchmark", "bufalloc_perBlockFrame", "peer_arenaScope", 1.0);
        targets.ratio("(f, issue 11) the safe MallocAllocator's allocate+free <= 1.0x an Arena.ofConfined() one-block scope",
                "FallbackBenchmark", "fallbackAlone", "OverflowBenchmark", "peer_arenaScope", 1.0, true);
        // Each of two threads' operations may cost up to twice one thread's: the total throughput is then kept.
        targets.atMost("(l, issue 11) the malloc allocator keeps its total throughput at 2 threads (2-thread time <= 2.0x 1-thread)",
                "MallocThreadsBenchmark", "malloc_2threads", "malloc_1thread", 2.0);
        targets.noAllocation("OverflowBenchmark", "bufalloc_growing");
        targets.noAllocation("OverflowBenchmark", "bufalloc_growingFrame");
        targets.noAllocation("FallbackBenchmark", "fallbackAlone");
        targets.noAllocationInAny("(h) typed and array allocations: 0 B/op through every bufalloc allocator",
                "TypedAllocationBenchmark");
        targets.noAllocationInAny("(i) crc32 and stat workloads: 0 B/op through every bufalloc allocator",
                "NativeCallWorkloadBenchmark");
        targets.noAllocation("SingleAllocationBenchmark", "bufalloc_local");
        targets.noAllocation("FrameBenchmark", "bufalloc");
        targets.noAllocation("FrameBenchmark", "bufalloc_frame");
        targets.noAllocation("HeapBufferBenchmark", "bufalloc");
        targets.noAllocation("HeapBufferBenchmark", "heap");
        return List.copyOf(targets.checks);
    }

    /** {@code numerator / denominator <= limit}, as times. */
    private void atMost(String target, String benchmarkClass, String numerator, String denominator, double limit) {
        ratio(target, benchmarkClass, numerator, benchmarkClass, denominator, limit, true);
    }

    /** {@code slower / faster >= limit}, as times. */
    private void atLeast(String target, String benchmarkClass, String slower, String faster, double limit) {
        ratio(target, benchmarkClass, slower, benchmarkClass, faster, limit, false);
    }

    /** {@code numerator / denominator} against {@code limit}, the two rows maybe of different classes. */
    private void ratio(String target, String numeratorClass, String numerator, String denominatorClass,
                       String denominator, double limit, boolean atMost) {
        Optional<BenchmarkResult> top = results.find(numeratorClass, numerator);
        Optional<BenchmarkResult> bottom = results.find(denominatorClass, denominator);
        if (top.isEmpty() || bottom.isEmpty()) {
            notRun(target);
            return;
        }
        double ratio = top.get().score() / bottom.get().score();
        add(target, String.format(Locale.ROOT, "%.2fx (%s %.2f ns / %s %.2f ns)", ratio, numerator,
                top.get().score(), denominator, bottom.get().score()), atMost ? ratio <= limit : ratio >= limit);
    }

    private void copiesNothing() {
        String target = "(e) growth in the buffer copies 0 bytes";
        Optional<Double> copied = results.find("DynamicArrayBenchmark", "bufalloc")
                .map(r -> r.secondary().get("copiedBytes"));
        Optional<Double> inPlace = results.find("DynamicArrayBenchmark", "bufalloc")
                .map(r -> r.secondary().get("inPlaceReallocations"));
        if (copied.isEmpty() || inPlace.isEmpty()) {
            notRun(target);
            return;
        }
        add(target, String.format(Locale.ROOT, "%.0f bytes copied, %.0f in-place growths per iteration",
                copied.get(), inPlace.get()), copied.get() == 0 && inPlace.get() > 0);
    }

    private void fallbackOverhead(double limitNs) {
        String target = "(f) fallback path <= fallback allocator alone + 15 ns";
        Optional<BenchmarkResult> through = results.find("FallbackBenchmark", "bufalloc");
        Optional<BenchmarkResult> alone = results.find("FallbackBenchmark", "fallbackAlone");
        if (through.isEmpty() || alone.isEmpty()) {
            notRun(target);
            return;
        }
        double extra = through.get().score() - alone.get().score();
        add(target, String.format(Locale.ROOT, "%+.2f ns (bufalloc %.2f ns, alone %.2f ns)", extra,
                through.get().score(), alone.get().score()), extra <= limitNs);
    }

    private void noAllocation(String benchmarkClass, String method) {
        String target = "-prof gc: 0 B/op, " + benchmarkClass + "." + method;
        Optional<BenchmarkResult> result = results.find(benchmarkClass, method);
        if (result.isEmpty() || Double.isNaN(result.get().bytesPerOp())) {
            notRun(target);
            return;
        }
        double bytes = result.get().bytesPerOp();
        add(target, String.format(Locale.ROOT, "%.3f B/op", bytes), bytes < ZERO_BYTES);
    }

    /** Every bufalloc row of a class ({@code bufalloc} and {@code bufalloc_<variant>}) allocates 0 B/op. */
    private void noAllocationInAny(String target, String benchmarkClass) {
        Optional<BenchmarkResult> worst = results.results().stream()
                .filter(r -> r.simpleClassName().equals(benchmarkClass) && r.peer().equals("bufalloc")
                        && !Double.isNaN(r.bytesPerOp()))
                .max(Comparator.comparingDouble(BenchmarkResult::bytesPerOp));
        if (worst.isEmpty()) {
            notRun(target);
            return;
        }
        double bytes = worst.get().bytesPerOp();
        add(target, String.format(Locale.ROOT, "at most %.3f B/op (%s)", bytes, worst.get().method()),
                bytes < ZERO_BYTES);
    }

    private void add(String target, String measured, boolean met) {
        checks.add(new Check(target, measured, met ? "met" : "MISSED"));
    }

    private void notRun(String target) {
        checks.add(new Check(target, "-", "not run"));
    }
}
