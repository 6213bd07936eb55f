package dev.bufalloc.internal.jfr;

import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;

import java.util.List;

/**
 * Registers bufalloc's events with JFR once a Flight Recorder exists: at once if one does already (a
 * recording started with {@code -XX:StartFlightRecording}, or before bufalloc's first event point), or
 * when the first recording starts (from JDK Mission Control, {@code jcmd JFR.start}, the API).
 *
 * <p>Why not let JFR register them as it does by default: the first use of a registered event class sets
 * up JFR's metadata, some hundreds of milliseconds, in every process, recording or not. Unregistered,
 * an event class is not instrumented, and {@code isEnabled()} is a constant {@code false}.
 *
 * <p>Deadlocks (netty#15742, JDK-8368670, fixed in JDK 26): JFR registers events and calls listeners under
 * its own locks, and a thread that defines an event class waits for one of them. So the event classes
 * are loaded by {@link Once}'s initializer <em>before</em> the listener is added: the callback never loads
 * or initializes a class that another thread may be loading or initializing; it touches no static state
 * of bufalloc's; and event classes have no initializers.
 */
final class Registration implements FlightRecorderListener {

    private final List<Class<? extends Event>> events;

    private Registration(List<Class<? extends Event>> events) {
        this.events = events;
    }

    @Override
    public void recorderInitialized(FlightRecorder recorder) {
        try {
            for (Class<? extends Event> event : events) {
                FlightRecorder.register(event);
            }
        } catch (RuntimeException | Error e) {
            // never break the recording that starts: bufalloc's events just stay off
        } finally {
            FlightRecorder.removeListener(this);   // at most one recorder per JVM; keep no class loader alive
        }
    }

    /** The registration, done once, by the initializer, the first time bufalloc reaches an event point. */
    static final class Once {

        static {
            // Class literals load the classes (without initializing them) before the listener exists.
            Registration registration = new Registration(List.of(OverflowEvent.class, SizingEvent.class,
                    ScratchExhaustedEvent.class, ScratchGrownEvent.class));
            try {
                FlightRecorder.addListener(registration);   // calls it at once if a recorder exists
            } catch (RuntimeException | Error e) {
                // JFR unusable here: the events stay off
            }
        }

        private Once() {}

        /** Makes sure the events are registered, or will be when a recorder starts. Free once done. */
        static void ensure() {}
    }
}
