package dev.bufalloc.examples;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Builds examples/consumer, a Maven project of its own, as a user would after {@code mvn install}: a child
 * {@code mvn compile exec:exec}, with the Maven and the JDK Maven runs on that run these tests, against
 * bufalloc installed in a local repository of its own. That repository holds what {@code mvn install}
 * puts there (the core's jar and POM, and the parent POM), and takes everything else (plugins, the
 * parent's imports) from the local repository of the Maven running the tests, as a mirror: nothing is
 * downloaded, and nothing is written to that repository. The program runs on the module path.
 *
 * <p>A child Maven costs some 15 to 30 seconds: the test runs in the {@code consumer} profile
 * ({@code mvn -B -Pconsumer -pl examples -am test}), which CI runs, not in the default test run.
 */
@Tag("consumer")
class ConsumerProjectTest {

    @Test
    void buildsAndRunsOnTheModulePathAgainstTheInstalledArtifact(@TempDir Path temp) throws Exception {
        Path repository = temp.resolve("repository");
        install(repository);

        Path project = temp.resolve("consumer");
        copy(Build.root().resolve("examples/consumer"), project);
        Path settings = temp.resolve("settings.xml");
        Files.writeString(settings, """
                <settings>
                  <mirrors>
                    <mirror>
                      <id>tests-maven-local-repository</id>
                      <mirrorOf>*</mirrorOf>
                      <url>%s</url>
                    </mirror>
                  </mirrors>
                </settings>
                """.formatted(Build.mavenLocalRepository().toUri()));

        List<String> command = new ArrayList<>(List.of(Build.mvn().toString(), "-B", "-q",
                "-Dstyle.color=never", "-s", settings.toString(), "-Dmaven.repo.local=" + repository,
                "compile", "exec:exec"));
        // Maven runs on the JDK a user's shell has (surefire sets JAVA_HOME to the test JVM's JDK 25).
        // Maven 3.8 prints colour resets even in batch mode, and on a JDK 24+ warnings about its own use
        // of sun.misc.Unsafe: neither is the program's.
        String printed = Build.run(project, command, environment -> environment.remove("JAVA_HOME"), 300)
                .replaceAll("\u001B\\[[0-9;]*m", "")
                .lines().filter(line -> !line.startsWith("WARNING: ")).map(line -> line + "\n")
                .collect(java.util.stream.Collectors.joining());

        assertThat(printed).isEqualTo("""
                bufalloc is the module dev.bufalloc
                Hello from a consumer module (29 bytes in the buffer)
                fallbacks: 1, 1024 bytes
                """);
        assertThat(project.resolve("target/classes/module-info.class")).isRegularFile();
        Readme readme = Readme.read();
        assertThat(readme.after(readme.block("sh", "cd examples/consumer")).text())
                .as("what README.md says the consumer prints").isEqualTo(printed);
    }

    /** What {@code mvn install} of the core puts in a local repository, in the same layout. */
    private static void install(Path repository) throws IOException {
        String version = Build.version();
        Path core = repository.resolve("dev/bufalloc/bufalloc/" + version);
        Files.createDirectories(core);
        Build.coreJar(core);
        Files.copy(Build.root().resolve("bufalloc/pom.xml"), core.resolve("bufalloc-" + version + ".pom"));
        Path parent = repository.resolve("dev/bufalloc/bufalloc-parent/" + version);
        Files.createDirectories(parent);
        Files.copy(Build.root().resolve("pom.xml"), parent.resolve("bufalloc-parent-" + version + ".pom"));
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path relative = from.relativize(file);
                if (relative.startsWith("target")) {
                    continue;
                }
                Path target = to.resolve(relative.toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
