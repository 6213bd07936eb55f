package dev.bufalloc.snippets;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code {@snippet}} in the core's Javadoc shows a region of a compiled file of this package, and
 * that region exists: the Javadoc's snippets are code the build compiles (and {@link SnippetsTest} runs),
 * never text nobody compiled. javac's doclint does not resolve external snippets (javadoc does, with
 * {@code --snippet-path src/test/java}: see bufalloc/pom.xml), so without this test a wrong region name
 * would fail only the javadoc build.
 */
class SnippetTagsTest {

    private static final Path MAIN = Path.of("src", "main");
    private static final Path SNIPPETS = Path.of("src", "test", "java", "dev", "bufalloc", "snippets");
    private static final String PACKAGE = "dev.bufalloc.snippets.";

    private static final Pattern SNIPPET = Pattern.compile("\\{@snippet\\b([^}]*)");
    private static final Pattern ATTRIBUTE = Pattern.compile("(\\w+)\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern REGION = Pattern.compile("//\\s*@start\\s+region\\s*=\\s*\"([^\"]+)\"");
    /** The typed arrays the build generates from the template, as bufalloc/pom.xml lists them. */
    private static final Pattern TYPED_ARRAY = Pattern.compile("<typed-array\\s+name=\"(\\w+)\"");

    /** One {@code {@snippet}} tag: where it is, and its attributes. */
    record Tag(String where, Map<String, String> attributes) {}

    @Test
    void everySnippetIsARegionOfACompiledFile() throws IOException {
        List<Tag> tags = tags();
        assertThat(tags).as("snippet tags in %s", MAIN.toAbsolutePath()).hasSizeGreaterThanOrEqualTo(20);
        List<String> typedArrays = typedArrays();
        assertThat(typedArrays).hasSize(8);
        for (Tag tag : tags) {
            assertThat(tag.attributes()).as("%s: an inline snippet, which nothing compiles; show a region of a"
                    + " file in %s instead", tag.where(), SNIPPETS).containsKeys("class", "region")
                    .doesNotContainKey("file");
            String type = tag.attributes().get("class");
            assertThat(type).as(tag.where()).startsWith(PACKAGE);
            Path file = SNIPPETS.resolve(type.substring(PACKAGE.length()) + ".java");
            assertThat(file).as(tag.where()).exists();
            String region = tag.attributes().get("region");
            List<String> names = region.contains("$Name$")
                    ? typedArrays.stream().map(name -> region.replace("$Name$", name)).toList() : List.of(region);
            assertThat(regions(file)).as("%s: regions of %s", tag.where(), file).containsAll(names);
        }
    }

    @Test
    void everyRegionIsShownOnce() throws IOException {
        List<String> shown = new ArrayList<>();
        List<String> typedArrays = typedArrays();
        for (Tag tag : tags()) {
            String region = tag.attributes().get("class") + "#" + tag.attributes().get("region");
            if (region.contains("$Name$")) {
                typedArrays.forEach(name -> shown.add(region.replace("$Name$", name)));
            } else {
                shown.add(region);
            }
        }
        List<String> defined = new ArrayList<>();
        try (Stream<Path> files = Files.list(SNIPPETS)) {
            for (Path file : files.sorted().toList()) {
                String type = PACKAGE + file.getFileName().toString().replace(".java", "");
                regions(file).forEach(region -> defined.add(type + "#" + region));
            }
        }
        assertThat(defined).as("regions no Javadoc shows, or shown twice").doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(shown);
    }

    /** Every {@code {@snippet}} tag in the main sources and the templates. */
    private static List<Tag> tags() throws IOException {
        List<Tag> tags = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String text = Files.readString(file);
                Matcher m = SNIPPET.matcher(text);
                while (m.find()) {
                    long line = text.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
                    Map<String, String> attributes = new LinkedHashMap<>();
                    Matcher a = ATTRIBUTE.matcher(m.group(1).split(":", 2)[0]);
                    while (a.find()) {
                        attributes.put(a.group(1), a.group(2));
                    }
                    tags.add(new Tag(file + ":" + line, attributes));
                }
            }
        }
        return tags;
    }

    /** The regions {@code file} defines, in order. */
    private static List<String> regions(Path file) throws IOException {
        return REGION.matcher(Files.readString(file)).results().map(r -> r.group(1)).toList();
    }

    private static List<String> typedArrays() throws IOException {
        List<String> names = TYPED_ARRAY.matcher(Files.readString(Path.of("pom.xml"))).results()
                .map(r -> r.group(1)).toList();
        assertThat(new TreeSet<>(names)).hasSameSizeAs(names);
        return names;
    }
}
