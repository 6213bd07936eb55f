/**
 * Adversarial tests of bufalloc's safety guarantee: no sequence of calls to the public API, with no
 * restricted method in the caller's code, crashes the JVM or corrupts native memory. A segment bufalloc
 * handed out, used after its memory was given back, must throw {@link java.lang.IllegalStateException}
 * (as a closed {@code Arena}'s segments do) or read bytes of the caller's own buffer; never freed memory.
 *
 * <ul>
 *   <li>{@link dev.bufalloc.safety.CrashFuzzerTest}: random call sequences over every allocator kind, stale
 *       uses included, in child JVMs ({@link dev.bufalloc.safety.CrashFuzzer}, checked against a model of
 *       every segment it got);</li>
 *   <li>{@link dev.bufalloc.safety.ChurnTest}: allocators made and dropped by the hundred thousand over
 *       addresses malloc reuses (stale buffer claims), and what ending threads leave behind;</li>
 *   <li>{@link dev.bufalloc.safety.StaleUseTest}: one child JVM per stale use that crashed or corrupted
 *       the C heap ({@link dev.bufalloc.safety.StaleUseScenarios});</li>
 *   <li>{@link dev.bufalloc.safety.FreeRulesTest}: only exactly the most recent block may give bytes back;</li>
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
