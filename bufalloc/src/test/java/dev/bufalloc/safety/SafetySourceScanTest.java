package dev.bufalloc.safety;

import org.junit.jupiter.api.Tag;
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
 * The rules of this package, checked on its sources: (1) no restricted FFM call (the guarantee under test
 * is about callers that make none: a test that calls {@code reinterpret} could crash the JVM by itself);
 * (2) only {@link Kind} names bufalloc's types and factories, besides the {@code Allocator} interface, so
 * that the core's rewrite changes one file of these tests.
 */
@Tag("safety")
class SafetySourceScanTest {

    private static final Path PACKAGE = Path.of("src", "test", "java", "dev", "bufalloc", "safety");
    private static final Pattern RESTRICTED = Pattern.compile("\\b(Linker|reinterpret|downcallHandle|upcallStub"
            + "|withTargetLayout|libraryLookup|enableNativeAccess|loadLibrary|System\\.load|Runtime\\.getRuntime\\(\\)\\.load"
            + "|sun\\.misc|jdk\\.internal|Unsafe)\\b");
    /** A bufalloc type other than Allocator and this package's own. */
    private static final Pattern BUFALLOC_TYPE = Pattern.compile("\\bdev\\.bufalloc\\.(?!Allocator\\b|safety\\b)[\\w.]+");
    private static final Pattern NOT_CODE = Pattern.compile(
            "//[^\\n]*|/\\*.*?\\*/|\"\"\"(?s:.*?)\"\"\"|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'", Pattern.DOTALL);

    @Test
    void noTestOfThisPackageMakesARestrictedCall() throws IOException {
        assertThat(uses(RESTRICTED, false)).as("restricted calls in %s", PACKAGE.toAbsolutePath()).isEmpty();
    }

    @Test
    void onlyKindNamesBufallocsTypesAndFactories() throws IOException {
        assertThat(uses(BUFALLOC_TYPE, true)).as("bufalloc types named outside Kind.java").isEmpty();
        assertThat(uses(BUFALLOC_TYPE, false)).as("Kind.java still names them").isNotEmpty();
    }

    /** Every match in the package's code (comments and literals blanked), as "file:line: match"; Kind.java too unless skipped. */
    private static List<String> uses(Pattern pattern, boolean skipKind) throws IOException {
        List<String> uses = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> listing = Files.list(PACKAGE)) {
            files = listing.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        assertThat(files).as("sources of %s", PACKAGE.toAbsolutePath()).isNotEmpty();
        for (Path file : files) {
            if (skipKind && file.getFileName().toString().equals("Kind.java")) {
                continue;
            }
            String code = NOT_CODE.matcher(Files.readString(file)).replaceAll(m -> m.group().replaceAll("[^\\n]", " "));
            Matcher m = pattern.matcher(code);
            while (m.find()) {
                long line = code.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
                uses.add(file.getFileName() + ":" + line + ": " + m.group());
            }
        }
        return uses;
    }
}
