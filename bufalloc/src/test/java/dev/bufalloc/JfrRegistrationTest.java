package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the events are registered, each in a JVM of its own (the test JVM's JFR state depends on the tests
 * run before): a process that overflows but never records never sets JFR up; a recording started after
 * bufalloc's first event point still gets the events; so does one started with the JVM.
 */
class JfrRegistrationTest {

    @TempDir
    Path dir;

    /** The child JVM's program: overflows a buffer, and records it or not, as its argument says. */
    static final class Child {

        public static void main(String[] args) throws Exception {
            overflowAndReset();   // the first event point: before any recording exists in "late"
            if (args[0].equals("late")) {
                Path file = Path.of(args[1]);
                try (Recording recording = new Recording()) {
                    recording.enable("dev.bufalloc.Overflow");
                    recording.enable("dev.bufalloc.Sizing");
                    recording.start();
                    overflowAndReset();
                    recording.stop();
                    recording.dump(file);
                }
                System.out.println("events=" + RecordingFile.readAllEvents(file).stream()
                        .filter(e -> e.getEventType().getName().startsWith("dev.bufalloc.")).count());
            }
            System.out.println("done");
        }

        private static void overflowAndReset() {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.of(arena.allocate(16), MallocAllocator.instance())) {
                allocator.allocate(64);
                allocator.reset();
            }
        }
    }

    private String run(List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Child.class.getName());
        command.addAll(List.of(args));
        Path out = dir.resolve("child.out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("the child ends").isTrue();
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    @Test
    void aProcessThatNeverRecordsNeverSetsUpFlightRecorderMetadata() throws Exception {
        String output = run(List.of("-Xlog:class+load=info"), "off");
        assertThat(output).contains("dev.bufalloc.internal.jfr.OverflowEvent").contains("done")
                .doesNotContain("jdk.jfr.internal.MetadataRepository");
    }

    @Test
    void aRecordingStartedAfterTheFirstOverflowGetsTheEvents() throws Exception {
        String output = run(List.of(), "late", dir.resolve("late.jfr").toString());
        assertThat(output).contains("events=2");
    }

    @Test
    void aRecordingStartedWithTheJvmGetsTheEvents() throws Exception {
        Path file = dir.resolve("startup.jfr");
        run(List.of("-XX:StartFlightRecording:settings=" + Path.of("src/main/resources/META-INF/bufalloc.jfc")
                .toAbsolutePath() + ",filename=" + file, "-Xlog:jfr+startup=warning"), "off");
        assertThat(RecordingFile.readAllEvents(file)).extracting(e -> e.getEventType().getName())
                .containsExactly("dev.bufalloc.Overflow", "dev.bufalloc.Sizing");
    }
}
