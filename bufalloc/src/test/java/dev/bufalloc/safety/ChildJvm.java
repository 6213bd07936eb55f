package dev.bufalloc.safety;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs a {@code main} class of the test class path in a child JVM, so that a test can watch a crash
 * (SIGSEGV, an abort of the C library's malloc) from the outside instead of dying of it. The child is
 * the JVM running the tests ({@code ProcessHandle.current().info().command()}), on the same class path,
 * with native access enabled, a small heap, no core dump, and its crash log (hs_err) and output under
 * {@code target/safety-children/}.
 */
final class ChildJvm {

    /** The first line of the JVM's fatal error report. */
    static final String FATAL_ERROR = "A fatal error has been detected by the Java Runtime Environment";

    /** What glibc prints before it aborts on a corrupted heap: "malloc(): ...", "free(): ...", "double free or ...". */
    private static final Pattern C_LIBRARY_ABORT = Pattern.compile(
            "(?:[a-z_]+\\(\\)(?: [a-z_]+)?: .*|double free or corruption.*|corrupted .*|Fatal glibc error: .*)");

    /** Where children write their output files and crash logs. */
    static final Path DIRECTORY = Path.of("target", "safety-children");

    private ChildJvm() {}

    /** How a child ended. */
    record Result(String name, int exitCode, boolean timedOut, String stdout, String stderr, Duration time) {

        boolean succeeded() {
            return !timedOut && exitCode == 0;
        }

        /** Whether the JVM died of a fatal error (it then prints a report on stdout and exits with 1, core dumps off). */
        boolean crashed() {
            return !timedOut && (stdout.contains(FATAL_ERROR) || exitCode == 134 || exitCode == 139);
        }

        /** What the exit code means, in words. */
        String meaning() {
            if (timedOut) {
                return "timed out and was killed";
            }
            if (stdout.contains(FATAL_ERROR)) {
                return "exit " + exitCode + ": the JVM CRASHED (" + crashKind() + ")";
            }
            return switch (exitCode) {
                case 0 -> "exit 0 (correct behaviour)";
                case 3 -> "exit 3 (ran to the end and found wrong behaviour)";
                case 2 -> "exit 2 (the test program itself failed)";
                case 134 -> "exit 134 = SIGABRT: the process ABORTED (" + crashKind() + ")";
                case 139 -> "exit 139 = SIGSEGV outside the JVM's handler";
                default -> exitCode > 128 ? "exit " + exitCode + " = killed by signal " + (exitCode - 128)
                        : "exit " + exitCode;
            };
        }

        /** The first line of the JVM's fatal error report, or what the C library printed before aborting. */
        String crashKind() {
            String[] lines = (stdout + "\n" + stderr).split("\n");
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].startsWith("#  SIGSEGV") || lines[i].startsWith("#  SIGBUS") || lines[i].startsWith("#  SIGILL")
                        || lines[i].startsWith("#  Internal Error")) {
                    String frame = "";
                    for (int j = i + 1; j < Math.min(lines.length, i + 8); j++) {
                        if (lines[j].startsWith("# Problematic frame:") && j + 1 < lines.length) {
                            frame = " in " + lines[j + 1].substring(1).strip();
                        }
                    }
                    return lines[i].substring(1).strip() + frame;
                }
            }
            for (String line : stderr.split("\n")) {
                if (C_LIBRARY_ABORT.matcher(line).matches()) {
                    return "the C library aborted: " + line.strip();
                }
            }
            return "no fatal error report: e.g. the C library's heap checks";
        }

        /** A report for a failure message: the meaning, the output's tail and the crash line. */
        String report() {
            return name + ": " + meaning() + " after " + time.toMillis() + " ms\n"
                    + "--- stdout (tail) ---\n" + tail(stdout, 25)
                    + "--- stderr (tail) ---\n" + tail(stderr, 25);
        }

        static String tail(String text, int lines) {
            String[] all = text.split("\n");
            StringBuilder out = new StringBuilder();
            for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
                if (!all[i].isEmpty()) {
                    out.append("    ").append(all[i]).append('\n');
                }
            }
            return out.toString();
        }
    }

    /** The file's text; bytes that are not UTF-8 (a crash log may hold some) become replacement characters. */
    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    /**
     * Runs {@code main} with {@code systemProperties} ("-Dname=value" entries or other JVM options)
     * and {@code args}, waits at most {@code timeout}, and returns how it ended.
     */
    static Result run(String name, Class<?> main, List<String> jvmOptions, List<String> args, Duration timeout) {
        try {
            Files.createDirectories(DIRECTORY);
            Path out = DIRECTORY.resolve(name + ".out");
            Path err = DIRECTORY.resolve(name + ".err");
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add("-Xmx256m");
            command.add("-Xss1m");
            command.add("-XX:+UseSerialGC");
            command.add("-Xshare:auto");
            command.add("-XX:-CreateCoredumpOnCrash");
            command.add("-XX:ErrorLogTimeout=10");   // a crash report on a corrupted C heap can hang in malloc
            command.add("-XX:ErrorFile=" + DIRECTORY.toAbsolutePath().resolve(name + "-hs_err_pid%p.log"));
            command.add("-XX:ReplayDataFile=" + DIRECTORY.toAbsolutePath().resolve(name + "-replay_pid%p.log"));
            command.addAll(jvmOptions);
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(main.getName());
            command.addAll(args);
            long start = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor();
            }
            Duration time = Duration.ofNanos(System.nanoTime() - start);
            return new Result(name, finished ? process.exitValue() : -1, !finished,
                    read(out), read(err), time);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
    }
}
