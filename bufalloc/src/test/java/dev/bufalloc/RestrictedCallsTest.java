package dev.bufalloc;

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
 * No input can crash the JVM, because the core has nothing that could: no {@code sun.misc.Unsafe},
 * no JNI, and the restricted FFM calls (which can read or write any address) only in
 * {@code internal/LibC.java}, whose callers check every argument first (see docs/ERRORS.md).
 */
class RestrictedCallsTest {

    private static final Path SOURCES = Path.of("src", "main", "java");
    private static final Path LIBC = SOURCES.resolve(Path.of("dev", "bufalloc", "internal", "LibC.java"));

    /** Restricted methods of Java 25 and the types that lead to them, as words in code. */
    private static final Pattern RESTRICTED = Pattern.compile("\\b(Linker|reinterpret|downcallHandle|upcallStub"
            + "|withTargetLayout|libraryLookup|enableNativeAccess|loadLibrary|System\\.load|Runtime\\.getRuntime\\(\\)\\.load)\\b");
    private static final Pattern UNSAFE = Pattern.compile("\\b(sun\\.misc|jdk\\.internal|Unsafe)\\b");
    private static final Pattern JNI = Pattern.compile("\\bnative\\b(?=[^;{]*\\()");
    /** Comments, and string and character literals: words there are not code. */
    private static final Pattern NOT_CODE = Pattern.compile(
            "//[^\\n]*|/\\*.*?\\*/|\"\"\"(?s:.*?)\"\"\"|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'", Pattern.DOTALL);

    @Test
    void restrictedCallsAreOnlyInLibC() throws IOException {
        assertThat(uses(RESTRICTED)).allSatisfy(use -> assertThat(use).startsWith(LIBC + ":"));
        assertThat(uses(RESTRICTED)).as("LibC still makes its downcalls").anyMatch(use -> use.contains("downcallHandle"));
    }

    @Test
    void noUnsafeAndNoJni() throws IOException {
        assertThat(uses(UNSAFE)).isEmpty();
        assertThat(uses(JNI)).isEmpty();
    }

    @Test
    void theScanSeesCodeAndSkipsCommentsAndStrings() {
        assertThat(code("x.reinterpret(8); // Linker\n/* downcallHandle */ \"upcallStub\"")).contains("reinterpret")
                .doesNotContain("Linker", "downcallHandle", "upcallStub");
        assertThat(RESTRICTED.matcher(code("seg.withoutTargetLayout()")).find()).isFalse();
        assertThat(JNI.matcher("private static native long f(int x);").find()).isTrue();
        assertThat(JNI.matcher("boolean isNative = buffer.isNative();").find()).isFalse();
    }

    /** Every match of {@code pattern} in the code of the core's sources, as "file:line: match". */
    private static List<String> uses(Pattern pattern) throws IOException {
        List<String> uses = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                String code = code(Files.readString(file));
                Matcher m = pattern.matcher(code);
                while (m.find()) {
                    long line = code.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
                    uses.add(file + ":" + line + ": " + m.group());
                }
            }
        }
        assertThat(uses).as("scan of %s", SOURCES.toAbsolutePath()).isNotNull();
        return uses;
    }

    /** The source with comments and literals blanked out, line breaks kept. */
    private static String code(String source) {
        return NOT_CODE.matcher(source).replaceAll(m -> m.group().replaceAll("[^\\n]", " "));
    }
}
