package dev.bufalloc.safety;

import dev.bufalloc.safety.StaleUseScenarios.Scenario;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.fail;

/**
 * The items 2 and 3, one regression test per failure found: each stale use runs in a child JVM
 * ({@link StaleUseScenarios}), which must exit 0, having seen the stale use throw
 * {@link IllegalStateException}. A broken allocator crashes that JVM (SIGSEGV on memory that was unmapped),
 * aborts it (the C library finds its heap corrupted) or lets the stale use return (exit 3): the failure
 * message says which, with the child's output.
 */
@Tag("safety")
class StaleUseTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static ExecutorService children;
    private static final Map<Scenario, Future<ChildJvm.Result>> RESULTS = new EnumMap<>(Scenario.class);

    /** Starts every scenario's child, two at a time, so that the tests below only wait for their own. */
    @BeforeAll
    static void startChildren() {
        children = Executors.newFixedThreadPool(2);
        for (Scenario scenario : Scenario.values()) {
            RESULTS.put(scenario, children.submit(() -> ChildJvm.run("stale-" + scenario.argument(),
                    StaleUseScenarios.class, List.of(), List.of(scenario.argument()), TIMEOUT)));
        }
    }

    @AfterAll
    static void stopChildren() {
        children.shutdownNow();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Scenario.class)
    void aStaleUseThrowsInsteadOfUsingFreedMemory(Scenario scenario) throws Exception {
        ChildJvm.Result result = RESULTS.get(scenario).get();
        if (!result.succeeded()) {
            fail("item " + scenario.item + ", " + scenario.description + ": " + result.report()
                    + "replay: java --enable-native-access=ALL-UNNAMED -cp <test class path> "
                    + StaleUseScenarios.class.getName() + " " + scenario.argument());
        }
    }
}
