package dev.bufalloc.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs an example's {@code main} and returns what it printed. */
final class ExampleRunner {

    interface Main {
        void main(String[] args) throws Throwable;
    }

    private ExampleRunner() {}

    static synchronized String run(Main main, String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            main.main(args);
        } catch (Throwable e) {
            throw new AssertionError("The example failed", e);
        } finally {
            System.setOut(original);
        }
        return printed.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n");
    }
}
