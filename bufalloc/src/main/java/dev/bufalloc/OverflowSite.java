package dev.bufalloc;

/**
 * A place in the program whose allocations did not fit in a checked buffer allocator's buffer and
 * went to the fallback: the answer to "who overflowed my buffer, and by how much?".
 *
 * {@snippet class="dev.bufalloc.snippets.CoreSnippets" region="OverflowSite"}
 *
 * @param callSite the first stack frame outside bufalloc and the FFM API, as
 *        {@link StackTraceElement#toString()} prints it
 * @param count allocations and reallocations from there that the fallback served
 * @param bytes bytes the fallback served for them
 */
public record OverflowSite(String callSite, long count, long bytes) {}
