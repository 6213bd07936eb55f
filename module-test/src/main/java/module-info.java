/**
 * A client of bufalloc on the module path, whose tests check the core's module descriptor.
 */
module dev.bufalloc.moduletest {
    requires dev.bufalloc;
    requires jdk.jfr;   // the tests read bufalloc's events back
}
