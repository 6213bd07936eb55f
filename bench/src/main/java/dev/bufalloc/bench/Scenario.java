package dev.bufalloc.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the scenario of issue 3 that a benchmark class measures, for the report: its letter, a
 * title, and what one operation is. The report generator reads it from the class named in JMH's
 * JSON.
 *
 * <p>In every benchmark class, the method named {@code bufalloc} (or {@code bufalloc_<variant>})
 * is the reference: a method {@code peer_<variant>} is compared with {@code bufalloc_<variant>}
 * when there is one, else with {@code bufalloc}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Scenario {

    /** @return the scenario's letter in issue 3, e.g. {@code "a"} */
    String letter();

    /** @return a short title */
    String title();

    /** @return what one JMH operation is */
    String operation();

    /** @return what a reader should know to compare the rows fairly, in Markdown */
    String notes() default "";
}
