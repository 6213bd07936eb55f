package dev.bufalloc.moduletest;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.system.MallocAllocator;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bufalloc's JFR events on the module path: JFR registers and instruments the event classes of a package
 * the core does not export, and the settings file, META-INF/bufalloc.jfc, is a resource that no package encapsulates.
 */
class JfrOnModulePathTest {

    @TempDir
    Path dir;

    @Test
    void anOverflowIsRecordedWithTheShippedSettings() throws Exception {
        Configuration settings;
        try (InputStream in = BufferAllocator.class.getResourceAsStream("/META-INF/bufalloc.jfc");
             Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            settings = Configuration.create(reader);
        }
        Path file = dir.resolve("module-path.jfr");
        try (Recording recording = new Recording(settings)) {
            recording.start();
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.of(arena.allocate(16), MallocAllocator.instance())
                         .named("on the module path")) {
                allocator.allocate(64);
                allocator.reset();
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertThat(events).extracting(e -> e.getEventType().getName())
                .containsExactly("dev.bufalloc.Overflow", "dev.bufalloc.Sizing");
        assertThat(events).allSatisfy(e -> assertThat(e.getString("allocator")).isEqualTo("on the module path"));
        assertThat(events.getFirst().getStackTrace().getFrames()).anySatisfy(frame ->
                assertThat(frame.getMethod().getType().getName()).isEqualTo(JfrOnModulePathTest.class.getName()));
    }
}
