package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import jdk.jfr.consumer.RecordingStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The JFR events, read back from recordings: their fields, their stack traces, when they are emitted and
 * when not; the shipped settings file; the allocator names they show.
 */
class JfrEventsTest {

    private static final String OVERFLOW = "dev.bufalloc.Overflow";
    private static final String SIZING = "dev.bufalloc.Sizing";
    private static final String SCRATCH_EXHAUSTED = "dev.bufalloc.ScratchExhausted";
    private static final String SCRATCH_GROWN = "dev.bufalloc.ScratchGrown";
    private static final Set<String> MAIN_CLASSES = Set.of(ConfinedCursor.class.getName(), ConfinedBufferAllocator.class.getName(),
            SharedBufferAllocator.class.getName(), CheckedBufferAllocator.class.getName(), Scratch.class.getName(),
            Frame.class.getName());
    private static final List<String> ALL = List.of(OVERFLOW, SIZING, SCRATCH_EXHAUSTED, SCRATCH_GROWN);

    @TempDir
    Path dir;

    /** Something to run while a recording records. */
    interface Workload {
        void run() throws Exception;
    }

    /** {@return the bufalloc events {@code workload} emitted while the given events were on, unthrottled} */
    private List<RecordedEvent> record(List<String> enabled, Workload workload) throws Exception {
        Path file = dir.resolve("events.jfr");
        try (Recording recording = new Recording()) {
            for (String event : enabled) {
                recording.enable(event).withStackTrace().with("throttle", "off");
            }
            recording.start();
            workload.run();
            recording.stop();
            recording.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("dev.bufalloc.")).toList();
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }

    /** {@return the first frame of {@code event}'s stack trace outside bufalloc's main code} */
    private static RecordedFrame caller(RecordedEvent event) {
        return event.getStackTrace().getFrames().stream()
                .filter(f -> !f.getMethod().getType().getName().startsWith("dev.bufalloc.internal.")
                        && !MAIN_CLASSES.contains(f.getMethod().getType().getName()))
                .findFirst().orElseThrow();
    }

    private void overflowOnce(BufferAllocator allocator) {
        allocator.allocate(40, 8);
        allocator.allocate(100, 16);   // 24 bytes left: overflows
    }

    @Test
    void anOverflowSaysWhoOverflowedWhatWasAskedAndWhatServedIt() throws Exception {
        List<RecordedEvent> events = record(List.of(OVERFLOW), () -> {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.of(arena.allocate(64, 16), MallocAllocator.instance())
                         .named("parser")) {
                overflowOnce(allocator);
            }
        });
        assertThat(events).hasSize(1);
        RecordedEvent event = events.getFirst();
        assertThat(event.getEventType().getName()).isEqualTo(OVERFLOW);
        assertThat(event.getEventType().getCategoryNames()).containsExactly("bufalloc");
        assertThat(event.getString("allocator")).isEqualTo("parser");
        assertThat(event.getClass("allocatorType").getName()).isEqualTo(ConfinedBufferAllocator.class.getName());
        assertThat(event.getLong("requestedBytes")).isEqualTo(100);
        assertThat(event.getLong("alignment")).isEqualTo(16);
        assertThat(event.getLong("capacity")).isEqualTo(64);
        assertThat(event.getLong("usedBytes")).isEqualTo(40);
        assertThat(event.getString("servedBy")).isEqualTo("block");
        RecordedFrame caller = caller(event);
        assertThat(caller.getMethod().getType().getName()).isEqualTo(JfrEventsTest.class.getName());
        assertThat(caller.getMethod().getName()).isEqualTo("overflowOnce");
    }

    @Test
    void aGrowingAllocatorsOverflowIsServedByAChunkAndItsSizingCountsTheChunks() throws Exception {
        List<RecordedEvent> events = record(List.of(OVERFLOW, SIZING), () -> {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.ofGrowing(arena.allocate(64, 16), MallocAllocator.instance())
                         .named("growing")) {
                overflowOnce(allocator);
                allocator.allocate(16, 8);   // bumped in the same chunk: no overflow
                allocator.reset();
            }
        });
        assertThat(events).filteredOn(event -> event.getEventType().getName().equals(OVERFLOW)).singleElement()
                .satisfies(event -> {
                    assertThat(event.getString("servedBy")).isEqualTo("chunk");
                    assertThat(event.getLong("capacity")).isEqualTo(64);
                    assertThat(event.getLong("usedBytes")).isEqualTo(40);
                });
        assertThat(events).filteredOn(event -> event.getEventType().getName().equals(SIZING)).first()
                .satisfies(event -> {
                    assertThat(event.getLong("chunks")).isEqualTo(1);
                    assertThat(event.getLong("chunkBytes")).isEqualTo(4096);
                    assertThat(event.getLong("peakDemand")).as("40 in the buffer, 100 + 4 padding + 16 in the chunk").isEqualTo(40 + 104 + 16);
                });
    }

    @Test
    void aRefusedRequestIsAnOverflowServedByNothingAndItsMessageNamesTheAllocator() throws Exception {
        List<RecordedEvent> events = record(List.of(OVERFLOW), () -> {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.withoutFallback(arena.allocate(64, 16)).named("fixed")) {
                assertThatThrownBy(() -> overflowOnce(allocator)).isInstanceOf(IndexOutOfBoundsException.class)
                        .hasMessage("The buffer of 'fixed' is full: asked 100 bytes aligned to 16, 24 of 64 bytes"
                                + " left, and this allocator has no fallback");
            }
        });
        assertThat(events).singleElement().satisfies(event -> {
            assertThat(event.getString("servedBy")).isEqualTo("none");
            assertThat(event.getString("allocator")).isEqualTo("fixed");
        });
    }

    @Test
    void aSharedAllocatorOverflowsTooAndAnUnnamedOneHasNoName() throws Exception {
        List<RecordedEvent> events = record(List.of(OVERFLOW), () -> {
            try (Arena arena = Arena.ofShared();
                 BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(64, 16), MallocAllocator.instance())) {
                overflowOnce(allocator);
                assertThat(allocator.name()).isEmpty();
            }
        });
        assertThat(events).singleElement().satisfies(event -> {
            assertThat(event.getClass("allocatorType").getName()).isEqualTo(SharedBufferAllocator.class.getName());
            assertThat(event.getString("allocator")).isNull();
            assertThat(event.getLong("usedBytes")).isEqualTo(40);
            assertThat(event.getString("servedBy")).isEqualTo("block");
        });
    }

    @Test
    void aSizingEventComesOnResetOrCloseOnlyAfterAnOverflow() throws Exception {
        List<RecordedEvent> events = record(List.of(SIZING), () -> {
            try (Arena arena = Arena.ofConfined()) {
                BufferAllocator allocator = BufferAllocator.of(arena.allocate(64, 16), MallocAllocator.instance())
                        .named("sized");
                allocator.allocate(10);
                allocator.reset();           // no overflow: no event
                overflowOnce(allocator);
                allocator.reset();           // event 1: peak 140
                allocator.allocate(8);
                allocator.reset();           // no overflow since event 1: no event
                allocator.allocate(200);
                allocator.close();           // event 2
            }
        });
        assertThat(events).hasSize(2);
        RecordedEvent first = events.get(0);
        assertThat(first.getString("allocator")).isEqualTo("sized");
        assertThat(first.getString("when")).isEqualTo("reset");
        assertThat(first.getLong("capacity")).isEqualTo(64);
        assertThat(first.getLong("peakDemand")).isEqualTo(140);
        assertThat(first.getLong("fallbackCount")).isEqualTo(1);
        assertThat(first.getLong("fallbackBytes")).isEqualTo(100);
        assertThat(first.getLong("resets")).isEqualTo(2);
        assertThat(first.getLong("suggestedCapacity")).isEqualTo(256);
        RecordedEvent second = events.get(1);
        assertThat(second.getString("when")).isEqualTo("close");
        assertThat(second.getLong("peakDemand")).isEqualTo(200);
        assertThat(second.getLong("fallbackCount")).isEqualTo(2);
        assertThat(second.getLong("fallbackBytes")).isEqualTo(300);
        assertThat(second.getLong("resets")).isEqualTo(3);
    }

    @Test
    void aSharedAllocatorSizesOnResetToo() throws Exception {
        List<RecordedEvent> events = record(List.of(SIZING), () -> {
            try (Arena arena = Arena.ofShared();
                 BufferAllocator allocator = BufferAllocator.ofShared(arena.allocate(64, 16), MallocAllocator.instance())) {
                overflowOnce(allocator);
                allocator.reset();
            }
        });
        assertThat(events).singleElement().satisfies(event -> {
            assertThat(event.getString("when")).isEqualTo("reset");
            assertThat(event.getLong("peakDemand")).isEqualTo(140);
            assertThat(event.getLong("suggestedCapacity")).isEqualTo(256);
        });
    }

    @Test
    void theScratchPoolSaysWhenItRunsOutAndWhenItGrows() throws Exception {
        long size = Scratch.bufferSize();
        try {
            Scratch.setBufferSize(size + 16);   // no idle buffer of this size: the first push gets a new one
            List<RecordedEvent> events = record(ALL, () -> {
                try (Frame frame = Scratch.push()) {
                    frame.allocate(size + 100);   // overflows the scratch buffer, named Scratch
                }
            });
            assertThat(named(events, SCRATCH_EXHAUSTED)).singleElement().satisfies(event -> {
                assertThat(event.getLong("bufferSize")).isEqualTo(size + 16);
                assertThat(event.getInt("poolSlots")).isPositive();
                assertThat(caller(event).getMethod().getType().getName()).startsWith(JfrEventsTest.class.getName());
                assertThat(event.getString("allocator")).isEqualTo("Scratch");
            });
            assertThat(named(events, SCRATCH_GROWN)).singleElement().satisfies(event -> {
                assertThat(event.getLong("bufferSize")).isEqualTo(size + 16);
                assertThat(event.getInt("pooledBuffers")).isPositive();
            });
            assertThat(named(events, OVERFLOW)).singleElement().satisfies(event ->
                    assertThat(event.getString("allocator")).isEqualTo("Scratch"));
            assertThat(named(events, SIZING)).singleElement().satisfies(event ->
                    assertThat(event.getString("allocator")).isEqualTo("Scratch"));
            List<RecordedEvent> again = record(ALL, () -> {
                try (Frame frame = Scratch.push()) {   // the pooled buffer: neither exhausted nor grown
                    frame.allocate(8);
                }
            });
            assertThat(again).isEmpty();
        } finally {
            Scratch.setBufferSize(size);
        }
    }

    @Test
    void nothingIsRecordedUnlessEnabled() throws Exception {
        List<RecordedEvent> events = record(List.of("jdk.ThreadSleep"), () -> {
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.of(arena.allocate(64, 16), MallocAllocator.instance())) {
                overflowOnce(allocator);
                allocator.reset();
            }
        });
        assertThat(events).isEmpty();
    }

    @Test
    void aRecordingStreamSeesTheEventsAsTheyHappen() throws Exception {
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        try (RecordingStream stream = new RecordingStream()) {
            stream.enable(OVERFLOW).with("throttle", "off");
            stream.onEvent(OVERFLOW, seen::add);
            stream.startAsync();
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.of(arena.allocate(64, 16), MallocAllocator.instance())
                         .named("streamed")) {
                overflowOnce(allocator);
            }
            stream.stop();   // waits until every event recorded so far was consumed
        }
        assertThat(seen).singleElement().satisfies(event -> {
            assertThat(event.getString("allocator")).isEqualTo("streamed");
            assertThat(event.getLong("requestedBytes")).isEqualTo(100);
        });
    }

    @Test
    void theSettingsFileParsesAndRecordsBufallocsEventsAndNoOthers() throws IOException, ParseException {
        Configuration configuration;
        try (InputStream in = BufferAllocator.class.getResourceAsStream("/META-INF/bufalloc.jfc");
             Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            configuration = Configuration.create(reader);
        }
        Configuration fromFile = Configuration.create(Path.of("src/main/resources/META-INF/bufalloc.jfc"));
        assertThat(fromFile.getSettings()).isEqualTo(configuration.getSettings());
        assertThat(configuration.getLabel()).isEqualTo("bufalloc");
        Map<String, String> settings = configuration.getSettings();
        assertThat(settings.keySet()).allSatisfy(key -> assertThat(key).startsWith("dev.bufalloc."));
        for (String event : ALL) {
            assertThat(settings).containsEntry(event + "#enabled", "true");
            assertThat(settings).containsKey(event + "#throttle");
        }
        assertThat(settings).containsEntry(OVERFLOW + "#stackTrace", "true");
    }

    @Test
    void theSettingsFileRecordsAnOverflowWithItsStackTrace() throws Exception {
        Configuration configuration;
        try (InputStream in = BufferAllocator.class.getResourceAsStream("/META-INF/bufalloc.jfc");
             Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            configuration = Configuration.create(reader);
        }
        Path file = dir.resolve("settings.jfr");
        try (Recording recording = new Recording(configuration)) {
            recording.start();
            try (Arena arena = Arena.ofConfined();
                 BufferAllocator allocator = BufferAllocator.of(arena.allocate(64, 16), MallocAllocator.instance())) {
                overflowOnce(allocator);
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals(OVERFLOW)).singleElement()
                .satisfies(event -> assertThat(caller(event).getMethod().getName()).isEqualTo("overflowOnce"));
        assertThat(events).allSatisfy(e -> assertThat(e.getEventType().getName()).startsWith("dev.bufalloc."));
    }
}
