/**
 * Adversarial tests of bufalloc's safety guarantee: no sequence of calls to the public API, with no
 * restricted method in the caller's code, crashes the JVM or corrupts native memory. A segment bufalloc
 * handed out, used after its memory was given back, must throw {@link java.lang.IllegalStateException}
 * (as a closed {@code Arena}'s segments do) or read bytes of the caller's own buffer; never freed memory.
 *
 * <ul>
 *   <li>{@link dev.bufalloc.safety.CrashFuzzerTest}: random call sequences over every allocator kind, stale
 *       uses included, in child JVMs ({@link dev.bufalloc.safety.CrashFuzzer}), checked against a model of the
 *       documented design (BufferAllocator's contract and factories, Frame and its Arena view, Scratch,
 *       MallocAllocator, docs/ERRORS.md's guarantee and deviations). Every segment has a lifetime that says
 *       what a stale use must do: a buffer block reads the caller's buffer until its arena is closed; a frame
 *       view's segment throws once the frame is closed, reset or closed with its allocator; a block with a
 *       scope of its own (malloc's, a confined allocator's C-library fallback blocks, checked blocks over a
 *       buffer only the garbage collector frees) throws once freed, moved or released; a shared allocator's
 *       C-library fallback block is held until the next reset or close (no one else may get that memory),
 *       then throws; a growing allocator's (and scratch's) block in one of its chunks reads the chunk, which the
 *       allocator keeps, until the allocator closes, then throws; heap memory is always safe. It checks,
 *       besides crashes and undocumented exceptions:
 *       no stale segment that must throw is usable; no new block overlaps a live one (nor a shared
 *       allocator's freed buffer block before its reset, nor held memory, nor a chunk its allocator keeps); no
 *       memory is freed under a live block; a growing allocator puts a request that overflows its buffer in a
 *       chunk unless it is oversized, takes chunks of the documented sizes, and takes none for an oversized
 *       or refused request; a valid call on a live allocator, or through the innermost frame, succeeds; a call that must be
 *       refused is (a closed allocator or frame, a frame with frames open inside it, a block whose scope is
 *       dead, a view's own memory, a buffer slice beyond the cursor, malloc freeing memory it never handed
 *       out, a thread a block or allocator is not confined to); closing an outer frame closes the inner ones
 *       and throws; a shared allocator never resizes in place; two live allocators never claim one buffer,
 *       and a claim never outlives its allocator's close or its buffer's memory;</li>
 *   <li>{@link dev.bufalloc.safety.KnownBugsTest}: reproducers of the core bugs the fuzzer found, regression
 *       tests now, each in a child JVM ({@link dev.bufalloc.safety.KnownBugScenarios});</li>
 *   <li>{@link dev.bufalloc.safety.ChurnTest}: allocators made and dropped by the hundred thousand over
 *       addresses malloc reuses (stale buffer claims), and what ending threads leave behind;</li>
 *   <li>{@link dev.bufalloc.safety.StaleUseTest}: one child JVM per stale use that crashed or corrupted
 *       the C heap ({@link dev.bufalloc.safety.StaleUseScenarios});</li>
 *   <li>{@link dev.bufalloc.safety.FreeRulesTest}: only exactly the most recent block may give bytes back, and
 *       a never-allocated slice below the cursor is moved by reallocate, giving nothing back;</li>
 *   <li>{@link dev.bufalloc.safety.SafetySourceScanTest}: this package makes no restricted call, and only
 *       {@link dev.bufalloc.safety.Kind} names bufalloc's types and factories (the core's rewrite changes
 *       one file here).</li>
 * </ul>
 *
 * Every class is tagged {@code safety}. Run them:
 * {@code mvn -o -q -B -pl bufalloc test -Dtest='dev.bufalloc.safety.*Test' -Dsurefire.failIfNoSpecifiedTests=false}.
 * Children write their output, crash reports and compiler replay files under {@code bufalloc/target/safety-children/}.
 */
package dev.bufalloc.safety;
