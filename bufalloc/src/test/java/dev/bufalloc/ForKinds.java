package dev.bufalloc;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.support.AnnotationConsumer;
import org.junit.jupiter.params.support.ParameterDeclarations;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Arrays;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A rule of a contract suite, run once for each {@link AllocatorKind} that has what the rule needs:
 * {@code @ForKinds(ALLOCATORS) void rule(AllocatorKind kind)}. A kind added to the enum runs every
 * rule its capabilities select.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0}")
@ArgumentsSource(ForKinds.Provider.class)
@interface ForKinds {

    Which value();

    /** Which kinds a rule is for, by what they promise. */
    enum Which {
        EVERY_KIND(_ -> true),
        /** Every {@link Allocator}: all kinds but the Arena view, a SegmentAllocator only. */
        ALLOCATORS(AllocatorKind::isAllocator),
        LIMITED_ALIGNMENT(kind -> kind.maxAlignment() < 4096),
        REFUSING_STALE_BLOCKS(kind -> kind.isAllocator() && kind.refusesStaleBlocks()),
        ZEROING(AllocatorKind::zeroes),
        /** Allocators any thread may call, whose blocks only the thread that allocated them may use or free. */
        BLOCKS_CONFINED_TO_THEIR_THREAD(AllocatorKind::confinesBlocksToTheirThread),
        /** Allocators whose every block has a scope that ends when it is freed or moved: a stale use throws. */
        SCOPED_UNTIL_FREED(kind -> kind.confinesBlocksToTheirThread() || kind.scopesBufferBlocks()),
        /** Allocators that bump through a buffer: the buffer allocators, frames, scratch. */
        BUMP_ALLOCATORS(kind -> kind.isBump() && kind.isAllocator()),
        /** Bump allocators a test can make over a buffer of its own, and see that buffer. */
        OVER_A_GIVEN_BUFFER(kind -> BUMP_ALLOCATORS.test(kind) && kind.canBeMadeOver()),
        /** Bump allocators a test can make over native memory of its own. */
        OVER_NATIVE_MEMORY(kind -> BUMP_ALLOCATORS.test(kind) && kind.canBeMadeOver() && kind.memory.isNative()),
        /** Those of them that give back the bytes of, and resize in place, exactly their most recent block. */
        REWINDING_OVER_NATIVE_MEMORY(kind -> OVER_NATIVE_MEMORY.test(kind) && kind.rewinds()),
        EIGHT_BYTE_ALIGNED(kind -> BUMP_ALLOCATORS.test(kind) && kind.maxAlignment() >= 8),
        /** Bump allocators that send each request their buffer cannot hold to the fallback, a block of its own. */
        WITH_FALLBACK(kind -> BUMP_ALLOCATORS.test(kind) && kind.hasFallback() && !kind.bumpsInChunks()),
        /** Bump allocators that bump on in chunks of their own when the buffer is full. */
        GROWING(kind -> BUMP_ALLOCATORS.test(kind) && kind.bumpsInChunks()),
        /** Those a test can make over a buffer of its own, with a fallback it can count. */
        GROWING_OVER_A_GIVEN_BUFFER(kind -> GROWING.test(kind) && kind.canBeMadeOver()),
        /** With a fallback the test makes, so can count and fail (scratch's is malloc itself). */
        WITH_COUNTED_FALLBACK(kind -> WITH_FALLBACK.test(kind) && kind.canBeMadeOver()),
        BOUNDED(kind -> BUMP_ALLOCATORS.test(kind) && kind.isBounded()),
        /** The buffer allocators themselves, with reset(), close() and statistics of their own. */
        BUFFERS(AllocatorKind::isBuffer),
        BUFFERS_WITH_FALLBACK(kind -> kind.isBuffer() && kind.hasFallback() && !kind.bumpsInChunks()),
        /** The buffer allocators only the thread that made them may use. */
        CONFINED_BUFFERS(kind -> kind.isBuffer() && kind.isConfined()),
        /** The buffer allocators that bump on in chunks, with no frame of the test's open on them. */
        GROWING_BUFFERS(kind -> kind.isBuffer() && kind.bumpsInChunks()),
        NATIVE_BUFFERS(kind -> kind.isBuffer() && kind.memory.isNative()),
        HEAP_BUFFERS(kind -> kind.isBuffer() && !kind.memory.isNative());

        private final Predicate<AllocatorKind> filter;

        Which(Predicate<AllocatorKind> filter) {
            this.filter = filter;
        }

        boolean test(AllocatorKind kind) {
            return filter.test(kind);
        }
    }

    /** The kinds {@link ForKinds#value()} selects, in declaration order. */
    final class Provider implements ArgumentsProvider, AnnotationConsumer<ForKinds> {
        private Which which;

        @Override
        public void accept(ForKinds annotation) {
            which = annotation.value();
        }

        @Override
        public Stream<? extends Arguments> provideArguments(ParameterDeclarations parameters, ExtensionContext context) {
            return Arrays.stream(AllocatorKind.values()).filter(which::test).map(Arguments::of);
        }
    }
}
