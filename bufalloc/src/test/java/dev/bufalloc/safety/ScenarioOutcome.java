package dev.bufalloc.safety;

/**
 * How a child-JVM scenario ends and what its parent reads: a line per finding on standard output, and the
 * exit status (0 normal, {@link #EXIT_SETUP_FAILED} when the scenario could not set itself up,
 * {@link #EXIT_WRONG} when it found wrong behaviour; a crash exits otherwise).
 */
final class ScenarioOutcome {

    static final int EXIT_WRONG = 3;
    static final int EXIT_SETUP_FAILED = 2;

    private ScenarioOutcome() {}

    static void correct(String message) {
        System.out.println("CORRECT: " + message);
    }

    static void wrong(String message) {
        System.out.println("WRONG: " + message);
        System.out.flush();
        System.exit(EXIT_WRONG);
    }

    static void setupFailed(String message) {
        System.out.println("SETUP FAILED: " + message);
        System.out.flush();
        System.exit(EXIT_SETUP_FAILED);
    }
}
