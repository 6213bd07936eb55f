package dev.bufalloc.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The results of one JMH run, read from its JSON output, with what the run says of itself (JVM,
 * flags, iterations).
 *
 * @param results every benchmark, in the order JMH ran them
 * @param jdk the forked JVM's {@code jdkVersion}, {@code vmName} and {@code vmVersion}
 * @param jvmArgs the forked JVM's arguments
 * @param settings forks, warm-up and measurement iterations, as one line
 */
public record ResultSet(List<BenchmarkResult> results, String jdk, List<String> jvmArgs, String settings) {

    /**
     * Reads JMH's JSON output.
     *
     * @param json the file written with {@code -rf json}
     * @return its results
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException if it holds no result
     */
    public static ResultSet read(Path json) throws IOException {
        JsonArray runs = JsonParser.parseString(Files.readString(json)).getAsJsonArray();
        if (runs.isEmpty()) {
            throw new IllegalArgumentException(json + " holds no benchmark result");
        }
        List<BenchmarkResult> results = new ArrayList<>();
        for (JsonElement element : runs) {
            results.add(result(element.getAsJsonObject()));
        }
        JsonObject first = runs.get(0).getAsJsonObject();
        List<String> jvmArgs = new ArrayList<>();
        first.getAsJsonArray("jvmArgs").forEach(arg -> jvmArgs.add(arg.getAsString()));
        String jdk = first.get("jdkVersion").getAsString() + " (" + first.get("vmName").getAsString() + " "
                + first.get("vmVersion").getAsString() + ")";
        String settings = first.get("forks").getAsInt() + " fork(s), " + first.get("warmupIterations").getAsInt()
                + " x " + first.get("warmupTime").getAsString() + " warm-up, "
                + first.get("measurementIterations").getAsInt() + " x "
                + first.get("measurementTime").getAsString() + " measurement, mode avgt";
        return new ResultSet(List.copyOf(results), jdk, List.copyOf(jvmArgs), settings);
    }

    private static BenchmarkResult result(JsonObject run) {
        String name = run.get("benchmark").getAsString();
        int dot = name.lastIndexOf('.');
        JsonObject primary = run.getAsJsonObject("primaryMetric");
        Map<String, Double> secondary = new LinkedHashMap<>();
        JsonObject metrics = run.getAsJsonObject("secondaryMetrics");
        if (metrics != null) {
            for (Map.Entry<String, JsonElement> metric : metrics.entrySet()) {
                secondary.put(metric.getKey(), number(metric.getValue().getAsJsonObject().get("score")));
            }
        }
        return new BenchmarkResult(name.substring(0, dot), name.substring(dot + 1), number(primary.get("score")),
                number(primary.get("scoreError")), secondary.getOrDefault("gc.alloc.rate.norm", Double.NaN),
                Map.copyOf(secondary));
    }

    /** JMH writes "NaN" as a string where a number is unknown. */
    private static double number(JsonElement value) {
        return value == null || value.isJsonNull() ? Double.NaN : Double.parseDouble(value.getAsString());
    }

    /**
     * Finds a benchmark by class simple name and method.
     *
     * @param simpleClassName e.g. {@code FrameBenchmark}
     * @param method e.g. {@code lwjgl}
     * @return the result, if that benchmark ran
     */
    public Optional<BenchmarkResult> find(String simpleClassName, String method) {
        return results.stream()
                .filter(r -> r.simpleClassName().equals(simpleClassName) && r.method().equals(method))
                .findFirst();
    }

    /**
     * Returns the bufalloc benchmark a result is compared with: {@code bufalloc_<variant>} of the
     * same class if it ran, else {@code bufalloc}.
     *
     * @param result a result of this set
     * @return its reference, if one ran
     */
    public Optional<BenchmarkResult> referenceOf(BenchmarkResult result) {
        String variant = result.variant();
        Optional<BenchmarkResult> same = variant.isEmpty() ? Optional.empty()
                : find(result.simpleClassName(), "bufalloc_" + variant);
        return same.or(() -> find(result.simpleClassName(), "bufalloc"));
    }
}
