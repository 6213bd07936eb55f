package dev.bufalloc.internal;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Argument checks and alignment arithmetic shared by every allocator of the module, so that the
 * same bad input gets the same exception and message everywhere.
 */
public final class Checks {

    private Checks() {}

    /**
     * Returns whether {@code value} is a positive power of two.
     *
     * @param value any number
     * @return whether {@code value} is 1, 2, 4, ...
     */
    public static boolean isPowerOfTwo(long value) {
        return value > 0 && (value & (value - 1)) == 0;
    }

    /**
     * Rounds {@code value} up to a multiple of {@code alignment}.
     *
     * @param value a non-negative number small enough not to overflow when rounded
     * @param alignment a power of two
     * @return the least multiple of {@code alignment} that is {@code >= value}
     */
    public static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    /**
     * Checks a request's size and alignment as {@code SegmentAllocator} does.
     *
     * @param byteSize the requested size, in bytes
     * @param byteAlignment the requested alignment, in bytes
     * @throws IllegalArgumentException if {@code byteSize < 0} or {@code byteAlignment} is not a
     *         power of two
     */
    public static void checkSizeAndAlignment(long byteSize, long byteAlignment) {
        if (byteSize < 0) {
            throw new IllegalArgumentException("Invalid allocation size: " + byteSize + " (must be >= 0)");
        }
        checkAlignment(byteAlignment);
    }

    /**
     * Checks an alignment as {@code SegmentAllocator} does.
     *
     * @param byteAlignment the requested alignment, in bytes
     * @throws IllegalArgumentException if {@code byteAlignment} is not a power of two
     */
    public static void checkAlignment(long byteAlignment) {
        if (!isPowerOfTwo(byteAlignment)) {
            throw new IllegalArgumentException(
                    "Invalid alignment: " + byteAlignment + " (must be a power of two)");
        }
    }

    /**
     * Checks that a segment argument is not null.
     *
     * @param segment the argument
     * @return {@code segment}
     * @throws NullPointerException naming the parameter, if {@code segment} is null
     */
    public static MemorySegment requireSegment(MemorySegment segment) {
        return Objects.requireNonNull(segment, "segment");
    }

    /**
     * Describes a segment for an exception message: where it is and how big.
     *
     * @param segment any segment
     * @return e.g. {@code [native 0x7f001000, 64 bytes]} or {@code [heap byte[] offset 0, 64 bytes]}
     */
    public static String describe(MemorySegment segment) {
        String where = segment.isNative()
                ? "native 0x" + Long.toHexString(segment.address())
                : "heap " + segment.heapBase().map(b -> b.getClass().getSimpleName()).orElse("(read-only)")
                        + " offset " + segment.address();
        return "[" + where + ", " + segment.byteSize() + " bytes]";
    }

    /**
     * Adds {@code e} to the failures of an operation that goes on after it: the first is kept, the others
     * are suppressed in it.
     *
     * @param failure the first failure so far, or null
     * @param e the new one
     * @return the first failure
     */
    public static Throwable addFailure(Throwable failure, Throwable e) {
        if (failure == null) {
            return e;
        }
        if (e != failure) {   // a fallback may throw one instance again and again
            failure.addSuppressed(e);
        }
        return failure;
    }

    /**
     * Rethrows the first failure of an operation that went on after it, if any.
     *
     * @param failure a RuntimeException, an Error, or null
     */
    public static void rethrow(Throwable failure) {
        switch (failure) {
            case null -> { }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new AssertionError(failure);
        }
    }
}
