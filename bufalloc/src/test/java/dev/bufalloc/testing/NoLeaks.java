package dev.bufalloc.testing;

import dev.bufalloc.system.MallocAllocator;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Fails a test that leaves C heap memory behind: after each test, {@link MallocAllocator#liveBytes()}
 * and {@link MallocAllocator#liveBlocks()} must be what they were before it, so every byte taken from
 * the system, directly or through a fallback, was given back.
 *
 * <p>Put it on a test class: {@code @NoLeaks class MyTest { ... }}. Tests run one at a time (JUnit's
 * default); a test that runs threads must join them before it returns.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(NoLeaks.Check.class)
public @interface NoLeaks {

    /** The extension behind {@link NoLeaks}. */
    final class Check implements BeforeEachCallback, AfterEachCallback {

        private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(Check.class);

        /** What the malloc allocator had outstanding at one moment. */
        record Outstanding(long blocks, long bytes) {
            static Outstanding now() {
                MallocAllocator malloc = MallocAllocator.instance();
                return new Outstanding(malloc.liveBlocks(), malloc.liveBytes());
            }
        }

        @Override
        public void beforeEach(ExtensionContext context) {
            context.getStore(NAMESPACE).put(Outstanding.class, Outstanding.now());
        }

        @Override
        public void afterEach(ExtensionContext context) {
            Outstanding before = context.getStore(NAMESPACE).get(Outstanding.class, Outstanding.class);
            Outstanding after = Outstanding.now();
            if (!after.equals(before)) {
                throw new AssertionError(context.getDisplayName() + " leaked C heap memory: before it "
                        + before + ", after it " + after + " (" + (after.blocks() - before.blocks())
                        + " blocks, " + (after.bytes() - before.bytes()) + " bytes)");
            }
        }
    }
}
