package dev.bufalloc.bench;

import java.util.Map;

/**
 * One benchmark's figures, as read from JMH's JSON.
 *
 * @param className the benchmark class's fully qualified name
 * @param method the benchmark method's name, e.g. {@code bufalloc_local}
 * @param score the mean time of one operation, in ns
 * @param error the half-width of its 99.9% confidence interval, in ns ({@code NaN} with too few samples)
 * @param bytesPerOp {@code gc.alloc.rate.norm}: bytes allocated on the Java heap per operation
 *        ({@code NaN} without {@code -prof gc})
 * @param secondary every secondary metric's score by name (GC figures, aux counters)
 */
public record BenchmarkResult(String className, String method, double score, double error, double bytesPerOp,
                              Map<String, Double> secondary) {

    /** @return the class's simple name */
    public String simpleClassName() {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /** @return the part of the method's name after its first {@code _}, or "" */
    public String variant() {
        int underscore = method.indexOf('_');
        return underscore < 0 ? "" : method.substring(underscore + 1);
    }

    /** @return the part of the method's name before its first {@code _} */
    public String peer() {
        int underscore = method.indexOf('_');
        return underscore < 0 ? method : method.substring(0, underscore);
    }
}
