package dev.bufalloc.examples;

import dev.bufalloc.BufferAllocator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.spi.ToolProvider;

/**
 * What the tests that work outside this JVM need: the repository's files, the core as a jar, the JDK's
 * tools, and child processes. The POM hands the paths over as system properties.
 */
final class Build {

    private Build() {}

    /** The repository's root directory. */
    static Path root() {
        return Path.of(property("bufalloc.root"));
    }

    /** The version of bufalloc being built. */
    static String version() {
        return property("bufalloc.version");
    }

    /** The local repository of the Maven that runs these tests. */
    static Path mavenLocalRepository() {
        return Path.of(property("bufalloc.maven.repo.local"));
    }

    /** The {@code mvn} that runs these tests. */
    static Path mvn() {
        return Path.of(property("bufalloc.maven.home"), "bin", "mvn");
    }

    /** The {@code java} of the JDK 25 these tests run on. */
    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank() || value.startsWith("${")) {
            throw new IllegalStateException(name + " is not set: run the tests with Maven (examples/pom.xml sets it)");
        }
        return value;
    }

    /**
     * Makes the core's jar, as {@code mvn package} would, from the classes these tests run against: in a
     * {@code mvn test} reactor they are the core's target/classes, which no jar holds yet.
     */
    static Path coreJar(Path directory) throws IOException {
        Path classes;
        try {
            classes = Path.of(BufferAllocator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Path jar = directory.resolve("bufalloc-" + version() + ".jar");
        if (Files.isRegularFile(classes)) {
            return Files.copy(classes, jar);
        }
        Files.createDirectories(directory);
        tool("jar", "--create", "--file", jar.toString(), "-C", classes.toString(), ".");
        return jar;
    }

    /** Runs one of the JDK's tools in this JVM; returns what it printed, or throws if it failed. */
    static String tool(String name, String... args) {
        ToolProvider tool = ToolProvider.findFirst(name).orElseThrow(() -> new IllegalStateException("no " + name));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status;
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            status = tool.run(print, print, args);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        if (status != 0) {
            throw new AssertionError(name + " " + String.join(" ", args) + " failed (" + status + "):\n" + printed);
        }
        return printed;
    }

    /** Runs a command in a directory; returns its output (stdout and stderr), or throws if it failed. */
    static String run(Path directory, List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        return run(directory, command, _ -> {}, timeoutSeconds);
    }

    /** Runs a command as {@link #run(Path, List, long)} does, with its environment changed first. */
    static String run(Path directory, List<String> command, Consumer<Map<String, String>> environment,
                      long timeoutSeconds) throws IOException, InterruptedException {
        Path output = Files.createTempFile(directory, "output", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command);
        environment.accept(builder.environment());
        Process process = builder
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        process.getOutputStream().close();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError(command + " took more than " + timeoutSeconds + " s:\n" + read(output));
        }
        String printed = read(output);
        if (process.exitValue() != 0) {
            throw new AssertionError(command + " failed (" + process.exitValue() + "):\n" + printed);
        }
        return printed.replace(System.lineSeparator(), "\n");
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
