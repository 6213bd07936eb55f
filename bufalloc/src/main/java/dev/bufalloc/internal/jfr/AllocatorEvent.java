package dev.bufalloc.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Registered;

/**
 * What every bufalloc event says: which allocator it is about.
 *
 * <p>Disabled by default, and not registered until a Flight Recorder exists ({@link Registration}): a
 * process that never records never sets up JFR's metadata for them, and an unregistered event class is
 * not instrumented, so {@link Event#shouldCommit()} is a constant {@code false} that the JIT folds away.
 *
 * <p>No event class has static state: an event class whose initializer loads another event class can
 * deadlock with JFR registering events on JDKs before 26 (netty#15742, JDK-8368670).
 */
@Enabled(false)
@Registered(false)
@Category("bufalloc")
abstract class AllocatorEvent extends Event {

    @Label("Allocator")
    @Description("The allocator's name, if it was given one")
    String allocator;

    @Label("Allocator Type")
    @Description("The class of the allocator: confined, checked or shared")
    Class<?> allocatorType;

    @Label("Allocator Identity")
    @Description("The allocator's identity hash code: tells apart the events of allocators without a name")
    int allocatorId;

    /** Fills the allocator's fields. */
    final void about(Object allocator, String name) {
        this.allocator = name;
        this.allocatorType = allocator.getClass();
        this.allocatorId = System.identityHashCode(allocator);
    }
}
