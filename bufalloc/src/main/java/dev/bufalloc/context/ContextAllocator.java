package dev.bufalloc.context;

import dev.bufalloc.Allocator;
import dev.bufalloc.system.HeapAllocator;
import dev.bufalloc.system.MallocAllocator;

import java.util.Objects;

/**
 * The context allocator: the allocator that code uses when nobody handed it one, as Biscuit's
 * {@code application_context.allocator}. Dynamic arrays and buffer allocators made without an
 * explicit allocator take the context allocator current when they are made.
 *
 * <p>Which allocator is current, for a thread:
 * <ol>
 *   <li>inside {@link #runWith} or {@link #callWith} on that thread, the allocator given there
 *       (the innermost, when they nest). The binding is a {@link ScopedValue}: it is seen by the
 *       code the call runs, on its thread, and by threads forked in a
 *       {@link java.util.concurrent.StructuredTaskScope} inside it; not by other threads, nor by
 *       threads started with {@code Thread.start} or executors;</li>
 *   <li>everywhere else, the process-wide default: {@link MallocAllocator#instance()} unless a
 *       program {@linkplain #setDefault replaced it}, for every thread.</li>
 * </ol>
 *
 * {@snippet class="dev.bufalloc.snippets.ContextSnippets" region="ContextAllocator"}
 */
public final class ContextAllocator {

    private static final ScopedValue<Allocator> SCOPED = ScopedValue.newInstance();
    private static volatile Allocator defaultAllocator = MallocAllocator.instance();

    private ContextAllocator() {}

    /**
     * {@return the allocator current on this thread: the innermost {@link #runWith}/{@link #callWith}
     * binding, else the process-wide default} Never null.
     */
    public static Allocator current() {
        return SCOPED.orElse(defaultAllocator);
    }

    /**
     * Runs {@code action} with {@code allocator} as the context allocator of this thread.
     *
     * @param allocator the allocator {@link #current()} returns inside the action
     * @param action what to run
     * @throws NullPointerException if an argument is null
     */
    public static void runWith(Allocator allocator, Runnable action) {
        Objects.requireNonNull(action, "action");
        ScopedValue.where(SCOPED, Objects.requireNonNull(allocator, "allocator")).run(action);
    }

    /**
     * Calls {@code operation} with {@code allocator} as the context allocator of this thread and
     * returns its result.
     *
     * @param allocator the allocator {@link #current()} returns inside the operation
     * @param operation what to call
     * @param <T> the result type
     * @param <X> what the operation may throw
     * @return the operation's result
     * @throws X what the operation throws
     * @throws NullPointerException if an argument is null
     */
    public static <T, X extends Throwable> T callWith(Allocator allocator, ScopedValue.CallableOp<T, X> operation)
            throws X {
        Objects.requireNonNull(operation, "operation");
        return ScopedValue.where(SCOPED, Objects.requireNonNull(allocator, "allocator")).call(operation);
    }

    /**
     * {@return the process-wide default context allocator: the allocator current outside any
     * {@link #runWith}/{@link #callWith}}
     */
    public static Allocator getDefault() {
        return defaultAllocator;
    }

    /**
     * Replaces the process-wide default context allocator, for every thread, from now on.
     * Blocks already allocated keep belonging to the allocator that made them, so code that
     * frees them must still use that one.
     *
     * @apiNote Meant for a program's start-up, as in Biscuit.
     * @param allocator the new default
     * @return the previous default, so that a caller can put it back
     * @throws NullPointerException if {@code allocator} is null
     */
    public static synchronized Allocator setDefault(Allocator allocator) {
        Allocator previous = defaultAllocator;
        defaultAllocator = Objects.requireNonNull(allocator, "allocator");
        return previous;
    }
}
