/**
 * A client of bufalloc on the module path, whose tests check the core's module descriptor.
 */
module dev.bufalloc.moduletest {
    requires dev.bufalloc;
}
