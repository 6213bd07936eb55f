package dev.bufalloc.lwjgl.snippets;

import dev.bufalloc.Scratch;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module's Javadoc snippets are regions of {@link LwjglSnippets}, which compiles, and they run. The
 * module's Javadoc is not built (only the core's is published), so this test is what keeps a snippet tag
 * pointing at code that exists, as the core's SnippetTagsTest does for the core.
 */
@NoLeaks
class LwjglSnippetsTest {

    private static final Path MAIN = Path.of("src", "main");
    private static final Path SNIPPETS = Path.of("src", "test", "java", "dev", "bufalloc", "lwjgl", "snippets");
    private static final Pattern SNIPPET = Pattern.compile("\\{@snippet\\s+class=\"([\\w.]+)\"\\s+region=\"([^\"]+)\"");
    private static final Pattern REGION = Pattern.compile("//\\s*@start\\s+region\\s*=\\s*\"([^\"]+)\"");

    @Test
    void theBufallocStackSnippetCallsStrlenThroughLwjgl() {
        assertThat(LwjglSnippets.length("hello")).isEqualTo(5);
        assertThat(LwjglSnippets.length("Grüße")).isEqualTo(7);   // UTF-8 bytes
        String big = "x".repeat((int) Scratch.bufferSize() + 1);    // more than the scratch buffer: malloc
        assertThat(LwjglSnippets.length(big)).isEqualTo(big.length());
    }

    @Test
    void everySnippetTagShowsARegionOfACompiledFile() throws IOException {
        List<String> shown = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String text = Files.readString(file);
                assertThat(text.split("\\{@snippet", -1).length - 1).as("%s: a {@snippet} without a class and"
                        + " region, which nothing compiles", file).isEqualTo((int) SNIPPET.matcher(text).results().count());
                Matcher m = SNIPPET.matcher(text);
                while (m.find()) {
                    assertThat(m.group(1)).as(file.toString()).startsWith("dev.bufalloc.lwjgl.snippets.");
                    Path source = SNIPPETS.resolve(m.group(1).substring("dev.bufalloc.lwjgl.snippets.".length()) + ".java");
                    assertThat(source).as(file.toString()).exists();
                    assertThat(REGION.matcher(Files.readString(source)).results().map(r -> r.group(1)))
                            .as("regions of %s", source).contains(m.group(2));
                    shown.add(m.group(2));
                }
            }
        }
        assertThat(shown).containsExactly("BufallocStack");
    }
}
