package com.example.consumer;

import dev.bufalloc.BufferAllocator;
import dev.bufalloc.BufferStatistics;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Marshals a string into a 64-byte native buffer, overflows it once, and prints what happened. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        System.out.println("bufalloc is the module " + BufferAllocator.class.getModule().getName());
        try (Arena arena = Arena.ofConfined();
             BufferAllocator scratch = BufferAllocator.of(arena.allocate(64))) {
            MemorySegment greeting = scratch.allocateFrom("Hello from a consumer module");
            System.out.println(greeting.getString(0) + " (" + greeting.byteSize() + " bytes in the buffer)");
            scratch.allocate(1024);   // does not fit in 64 bytes: falls back to malloc, freed by close()
            BufferStatistics statistics = scratch.statistics();
            System.out.println("fallbacks: " + statistics.fallbackCount() + ", " + statistics.fallbackBytes() + " bytes");
        }
    }
}
