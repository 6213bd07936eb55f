package dev.bufalloc.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's code does what the README says: its Java blocks compile and run, the Quick start's
 * command runs as written and prints what the README shows, and so on. Cheap: javac and the JDK's tools
 * run in this JVM; only the Quick start's own {@code java} command is a child process.
 */
class ReadmeTest {

    private static final Readme README = Readme.read();

    /** What the README's fragments (Java blocks that are not whole classes) may use without declaring it. */
    private static final String FRAGMENT = """
            import dev.bufalloc.*;
            import dev.bufalloc.array.*;
            import dev.bufalloc.context.*;
            import dev.bufalloc.system.*;
            import java.lang.foreign.*;
            import java.lang.invoke.MethodHandle;
            import java.util.*;
            import static java.lang.foreign.ValueLayout.*;

            public class %s {
                static final Arena arena = Arena.ofAuto();
                static final List<String> names = List.of("alpha", "beta", "gamma");
                static final MethodHandle STRLEN = Linker.nativeLinker().downcallHandle(
                        Linker.nativeLinker().defaultLookup().find("strlen").orElseThrow(),
                        FunctionDescriptor.of(JAVA_LONG, ADDRESS));
                static void use(MemorySegment... segments) {}

                public static void main(String[] args) throws Throwable {
            %s
                }
            }
            """;

    /** {@code System.out.println(...);   // what it prints} */
    private static final Pattern PRINTS = Pattern.compile("System\\.out\\.println\\(.*\\);\\s*// (.*)$");

    @Test
    void theQuickStartRunsAsWrittenAndPrintsWhatTheReadmeShows(@TempDir Path temp) throws Exception {
        Files.writeString(temp.resolve("QuickStart.java"), README.block("java", "public class QuickStart").text());
        Readme.Block commands = README.block("sh", "QuickStart.java");
        String readmeJar = "bufalloc/target/bufalloc-" + Build.version() + ".jar";
        assertThat(commands.text()).contains("mvn -q -pl bufalloc -am install -DskipTests");

        List<String> command = command(commands, "QuickStart.java", readmeJar, Build.coreJar(temp).toString());
        assertThat(command.getFirst()).isEqualTo("$JAVA25/bin/java");
        command.set(0, Build.java().toString());

        assertThat(Build.run(temp, command, 120)).isEqualTo(README.after(commands).text());
    }

    @Test
    void jnativescanReportsWhatTheReadmeShows(@TempDir Path temp) throws Exception {
        Readme.Block commands = README.block("sh", "jnativescan");
        String readmeJar = "bufalloc/target/bufalloc-" + Build.version() + ".jar";
        String jar = Build.coreJar(temp).toString();
        List<String> command = command(commands, "jnativescan", readmeJar, jar);
        assertThat(command.getFirst()).isEqualTo("$JAVA25/bin/jnativescan");

        String printed = Build.tool("jnativescan", command.subList(1, command.size()).toArray(String[]::new));
        assertThat(printed.replace(jar, readmeJar).replace(System.lineSeparator(), "\n"))
                .as("jnativescan's report (README, Native access): update the README if the core's restricted calls changed")
                .isEqualTo(README.after(commands).text());
    }

    @Test
    void theSeedExamplesOutputIsTheOneTheReadmeShows() {
        String printed = ExampleRunner.run(SeedExample::main);
        assertThat(README.blocks("")).extracting(Readme.Block::text).contains(printed);
    }

    @Test
    void theConsumerPomSnippetsAreTheExampleProjects() {
        String pom = normalized(Build.read(Build.root().resolve("examples/consumer/pom.xml")));
        List<Readme.Block> xml = README.blocks("xml").stream()
                .filter(block -> INTEGRATIONS.stream().noneMatch(module -> block.text().contains(artifact(module))))
                .toList();
        assertThat(xml).isNotEmpty();
        for (Readme.Block block : xml) {
            assertThat(pom).as("examples/consumer/pom.xml").contains(normalized(block.text()));
        }
    }

    /** The optional modules with a README section of their own, which the consumer project does not use. */
    private static final List<String> INTEGRATIONS = List.of("bufalloc-lwjgl", "bufalloc-micrometer");

    private static String artifact(String module) {
        return "<artifactId>" + module + "</artifactId>";
    }

    @ParameterizedTest
    @FieldSource("INTEGRATIONS")
    void anIntegrationsDependencySnippetIsItsModulesCoordinates(String module) {
        String artifact = artifact(module);
        assertThat(Build.read(Build.root().resolve(module + "/pom.xml"))).contains(artifact);
        assertThat(normalized(README.block("xml", artifact).text())).isEqualTo(normalized("""
                <dependency>
                  <groupId>dev.bufalloc</groupId>
                  %s
                  <version>%s</version>
                </dependency>
                """.formatted(artifact, Build.version())));
    }

    @Test
    void everyJavaBlockCompilesAndRunsAndPrintsWhatItsCommentsSay(@TempDir Path temp) throws Exception {
        Path sources = Files.createDirectories(temp.resolve("src"));
        Path classes = Files.createDirectories(temp.resolve("classes"));
        List<String> programs = new ArrayList<>();
        List<List<String>> expected = new ArrayList<>();
        List<Readme.Block> blocks = README.blocks("java");
        assertThat(blocks).hasSizeGreaterThanOrEqualTo(5);
        for (int i = 0; i < blocks.size(); i++) {
            String text = blocks.get(i).text();
            Matcher program = Pattern.compile("(?m)^public class (\\w+)").matcher(text);
            boolean compact = Pattern.compile("(?m)^void main\\(\\)").matcher(text).find();
            String name;
            String source;
            if (program.find()) {
                name = program.group(1);
                source = text;
            } else if (compact) {   // a compact source file (JEP 512): its class is named after its file
                name = "ReadmeProgram" + (i + 1);
                source = text;
            } else {
                name = "ReadmeFragment" + (i + 1);
                source = FRAGMENT.formatted(name, text.indent(8));
            }
            Files.writeString(sources.resolve(name + ".java"), source);
            programs.add(name);
            // A whole program's output is shown below its command (the Quick start's, checked above).
            expected.add(program.hasMatch() || compact ? List.of()
                    : text.lines().map(PRINTS::matcher).filter(Matcher::find).map(m -> m.group(1)).toList());
        }

        List<String> javac = new ArrayList<>(List.of("-d", classes.toString(), "-encoding", "UTF-8", "-proc:none",
                "-cp", System.getProperty("java.class.path")));
        for (String name : programs) {
            javac.add(sources.resolve(name + ".java").toString());
        }
        Build.tool("javac", javac.toArray(String[]::new));

        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ReadmeTest.class.getClassLoader())) {
            for (int i = 0; i < programs.size(); i++) {
                Class<?> type = loader.loadClass(programs.get(i));
                String printed = ExampleRunner.run(args -> invoke(type, args));
                assertThat(printed.lines().toList()).as("what README Java block %d prints", i + 1)
                        .containsAll(expected.get(i));
            }
        }
    }

    /** Runs a class's {@code static main(String[])}, or a compact source file's instance {@code main()}. */
    private static void invoke(Class<?> type, String[] args) throws Throwable {
        try {
            if (Arrays.stream(type.getDeclaredMethods()).anyMatch(m -> m.getName().equals("main")
                    && m.getParameterCount() == 0)) {
                var constructor = type.getDeclaredConstructor();
                constructor.setAccessible(true);
                Method main = type.getDeclaredMethod("main");
                main.setAccessible(true);
                main.invoke(constructor.newInstance());
            } else {
                type.getMethod("main", String[].class).invoke(null, (Object) args);
            }
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The command of the block's line that contains the marker, with the README's jar replaced. */
    private static List<String> command(Readme.Block commands, String marker, String readmeJar, String jar) {
        String line = commands.text().lines().filter(l -> l.contains(marker) && !l.startsWith("#"))
                .reduce((first, second) -> second).orElseThrow();
        List<String> words = new ArrayList<>(Arrays.asList(line.trim().split("\\s+")));
        assertThat(words).as(line).contains(readmeJar);
        words.replaceAll(word -> word.equals(readmeJar) ? jar : word);
        return words;
    }

    private static String normalized(String xml) {
        return xml.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce("", (a, b) -> a + b + "\n");
    }

}
