package dev.bufalloc;

/**
 * A snapshot of the {@link Scratch} pool's numbers: how big its buffers are, how many it keeps idle, and how
 * many it had to make.
 *
 * <p>Memory follows the frames open at once: a thread's outermost {@link Scratch#push()} borrows an idle
 * buffer, and makes a new one only when none is idle. {@link #buffersMade()} climbing under a steady
 * workload says that more threads hold scratch frames at once than the pool keeps buffers for; the buffers
 * it could not keep went to the garbage collector, and the next burst makes them again.
 *
 * <p>A record: a plain value, safe to pass between threads.
 *
 * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="ScratchStatistics"}
 *
 * @param bufferSize the size of the scratch buffers made from now on, in bytes (see
 *        {@link Scratch#bufferSize()})
 * @param poolSlots how many idle buffers the pool can keep
 * @param idleBuffers buffers idle in the pool now, ready for the next outermost frame; a buffer of a size
 *        {@link Scratch#setBufferSize} has since changed counts until a push finds it and lets it go
 * @param buffersMade buffers made since the pool started, because a thread's outermost frame found none
 *        idle: the first frames on a fresh JVM, then every frame beyond what the pool keeps
 */
public record ScratchStatistics(long bufferSize, int poolSlots, int idleBuffers, long buffersMade) {}
