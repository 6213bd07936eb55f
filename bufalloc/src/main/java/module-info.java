module dev.bufalloc {
    exports dev.bufalloc;
}
