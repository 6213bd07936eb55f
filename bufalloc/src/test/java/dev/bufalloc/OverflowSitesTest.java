package dev.bufalloc;

import dev.bufalloc.system.MallocAllocator;
import dev.bufalloc.testing.NoLeaks;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ObjLongConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link BufferAllocator#overflowSites()} may be called from any thread. The old checked allocator iterated
 * its map of call sites while the owner added to it, and a reader on another thread got
 * {@link java.util.ConcurrentModificationException}. Here a reader thread calls it in a tight loop while the
 * owner overflows the buffer 100,000 times from 1,000 call sites that keep appearing during the run (the same
 * code, loaded by 1,000 named class loaders, so that every one is a new site, a new entry in the map, while
 * the reader iterates it): the reader never throws and sees totals that only grow, and the end totals are
 * exact.
 */
@NoLeaks
class OverflowSitesTest {

    private static final int OVERFLOWS = 100_000;
    private static final int PER_SITE = 100;
    private static final int SITES = OVERFLOWS / PER_SITE;

    @Test
    void readFromAnotherThreadWhileTheOwnerOverflowsItNeverThrowsAndEndsWithExactTotals() throws Exception {
        List<ObjLongConsumer<BufferAllocator>> sites = new ArrayList<>();
        for (int i = 0; i < SITES; i++) {
            sites.add(newSite("site-" + i));
        }

        try (BufferAllocator allocator = BufferAllocator.ofChecked(Arena.ofAuto().allocate(16), MallocAllocator.instance())) {
            allocator.allocate(16);                                     // the buffer is full: every request overflows
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> readerFailure = new AtomicReference<>();
            AtomicLong reads = new AtomicLong();
            AtomicLong partialReads = new AtomicLong();
            CountDownLatch readerStarted = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().name("overflow-sites-reader").start(() -> {
                long lastCount = 0;
                long lastBytes = 0;
                try {
                    while (!done.get()) {
                        List<OverflowSite> snapshot = allocator.overflowSites();
                        long count = snapshot.stream().mapToLong(OverflowSite::count).sum();
                        long bytes = snapshot.stream().mapToLong(OverflowSite::bytes).sum();
                        if (count < lastCount || bytes < lastBytes || count > OVERFLOWS || snapshot.size() > SITES) {
                            throw new AssertionError("inconsistent snapshot after (" + lastCount + ", " + lastBytes
                                    + "): " + count + " overflows, " + bytes + " bytes, " + snapshot.size() + " sites");
                        }
                        if (!isMostBytesFirst(snapshot)) {
                            throw new AssertionError("not most bytes first: " + snapshot);
                        }
                        allocator.statistics();                         // the other read-only methods, too
                        allocator.usedBytes();
                        lastCount = count;
                        lastBytes = bytes;
                        reads.incrementAndGet();
                        if (count > 0 && count < OVERFLOWS) {
                            partialReads.incrementAndGet();
                        }
                        readerStarted.countDown();
                    }
                } catch (Throwable t) {
                    readerFailure.set(t);
                    readerStarted.countDown();
                }
            });
            assertThat(readerStarted.await(30, TimeUnit.SECONDS)).isTrue();

            Map<Integer, Long> expectedBytes = new HashMap<>();
            try {
                for (int i = 0; i < OVERFLOWS; i++) {
                    int site = i / PER_SITE;
                    long size = sizeAt(site);
                    sites.get(site).accept(allocator, size);
                    expectedBytes.merge(site, size, Long::sum);
                }
            } finally {
                done.set(true);
                reader.join();
            }

            assertThat(readerFailure.get()).as("what the reader thread threw").isNull();
            assertThat(reads.get()).isPositive();
            List<OverflowSite> end = allocator.overflowSites();
            assertThat(end).hasSize(SITES);
            assertThat(end.stream().mapToLong(OverflowSite::count).sum()).isEqualTo(OVERFLOWS);
            long totalBytes = expectedBytes.values().stream().mapToLong(Long::longValue).sum();
            assertThat(end.stream().mapToLong(OverflowSite::bytes).sum()).isEqualTo(totalBytes);
            for (int site = 0; site < SITES; site++) {
                String name = "site-" + site + "/";
                List<OverflowSite> matching = end.stream().filter(s -> s.callSite().startsWith(name)).toList();
                assertThat(matching).as("the site of %s", name).hasSize(1);
                assertThat(matching.getFirst().count()).isEqualTo(PER_SITE);
                assertThat(matching.getFirst().bytes()).isEqualTo(expectedBytes.get(site));
                assertThat(matching.getFirst().callSite()).contains(SiteOverflower.class.getName() + ".accept(");
            }
            assertThat(isMostBytesFirst(end)).isTrue();
            BufferStatistics statistics = allocator.statistics();
            assertThat(statistics.fallbackCount()).isEqualTo(OVERFLOWS);
            assertThat(statistics.fallbackBytes()).isEqualTo(totalBytes);
            assertThat(statistics.liveFallbackBlocks()).isZero();
            System.out.printf("overflowSites(): %d reads on another thread, %d of them mid-run%n",
                    reads.get(), partialReads.get());
        }
    }

    @Test
    void anyThreadMayReadItAndGetsAnUnmodifiableSnapshot() throws Exception {
        try (BufferAllocator allocator = BufferAllocator.ofChecked(Arena.ofAuto().allocate(16), MallocAllocator.instance())) {
            allocator.allocate(16);
            MemorySegment block = allocator.allocate(40, 8);
            AtomicReference<Object> seen = new AtomicReference<>();
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    seen.set(allocator.overflowSites());
                } catch (Throwable t) {
                    seen.set(t);
                }
            });
            other.join();

            assertThat(seen.get()).isInstanceOf(List.class);
            List<?> sites = (List<?>) seen.get();
            assertThat(sites).hasSize(1);
            OverflowSite site = (OverflowSite) sites.getFirst();
            assertThat(site.count()).isEqualTo(1);
            assertThat(site.bytes()).isEqualTo(40);
            assertThat(site.callSite()).contains("OverflowSitesTest.anyThreadMayReadItAndGetsAnUnmodifiableSnapshot(");
            assertThatThrownBy(() -> allocator.overflowSites().clear()).isInstanceOf(UnsupportedOperationException.class);
            allocator.free(block);
            assertThat(allocator.overflowSites()).as("over the allocator's life: a free takes nothing off")
                    .singleElement().extracting(OverflowSite::count).isEqualTo(1L);
        }
    }

    private static long sizeAt(int site) {
        return 8L * (1 + site % 13);
    }

    private static boolean isMostBytesFirst(List<OverflowSite> sites) {
        for (int i = 1; i < sites.size(); i++) {
            if (sites.get(i - 1).bytes() < sites.get(i).bytes()) {
                return false;
            }
        }
        return true;
    }

    /** {@return {@link SiteOverflower} loaded afresh by a class loader named {@code name}: a call site of its own} */
    @SuppressWarnings("unchecked")
    private static ObjLongConsumer<BufferAllocator> newSite(String name) throws ReflectiveOperationException {
        Class<?> site = new OneClassLoader(name, SiteOverflower.class).loadClass(SiteOverflower.class.getName());
        assertThat(site).isNotSameAs(SiteOverflower.class);
        Constructor<?> constructor = site.getDeclaredConstructor();
        constructor.setAccessible(true);
        return (ObjLongConsumer<BufferAllocator>) constructor.newInstance();
    }

    /** A class loader that defines one class itself, from the bytes of a class of the test class path. */
    private static final class OneClassLoader extends ClassLoader {
        private final String className;
        private final byte[] bytes;

        OneClassLoader(String name, Class<?> template) {
            super(name, template.getClassLoader());
            this.className = template.getName();
            String resource = template.getName().replace('.', '/') + ".class";
            try (InputStream in = template.getClassLoader().getResourceAsStream(resource)) {
                this.bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(className)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                return loaded != null ? loaded : defineClass(name, bytes, 0, bytes.length);
            }
        }
    }
}

/** Overflows the buffer from one line: loaded by a named class loader, that line is a call site per loader. */
final class SiteOverflower implements ObjLongConsumer<BufferAllocator> {
    @Override
    public void accept(BufferAllocator allocator, long byteSize) {
        MemorySegment block = allocator.allocate(byteSize, 8);
        allocator.free(block);
    }
}
