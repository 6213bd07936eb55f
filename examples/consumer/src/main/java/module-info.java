/** A program that uses bufalloc as a module. */
module com.example.consumer {
    requires dev.bufalloc;
}
