package dev.bufalloc.array;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Prints memory the way Biscuit's {@code print} prints arrays: {@code [a, b, c]}, {@code []} when empty.
 * Numbers print as Java prints them ({@code byte}s signed), {@code char}s as characters, addresses in
 * hex ({@code 0x1f}), structs and unions as {@code {name = value, ...}} (an unnamed member as {@code ?};
 * padding is skipped), nested sequences as nested brackets, and a padding element as {@code _}.
 * Values are read whatever their alignment, in the layout's byte order.
 */
final class LayoutFormat {

    private LayoutFormat() {}

    /**
     * {@return {@code count} elements of {@code layout}, one after another from the start of {@code memory}}
     * {@code memory} is not read when {@code count} is 0, so it may then be {@code null}.
     */
    static String elements(MemoryLayout layout, MemorySegment memory, long count) {
        StringBuilder text = new StringBuilder();
        appendSequence(text, layout, count, memory, 0);
        return text.toString();
    }

    private static void appendSequence(StringBuilder text, MemoryLayout element, long count,
                                       MemorySegment memory, long offset) {
        text.append('[');
        for (long i = 0; i < count; i++) {
            text.append(i > 0 ? ", " : "");
            append(text, element, memory, offset + i * element.byteSize());
        }
        text.append(']');
    }

    private static void append(StringBuilder text, MemoryLayout layout, MemorySegment memory, long offset) {
        switch (layout) {
            case AddressLayout l -> text.append("0x").append(Long.toHexString(
                    memory.get(l.withByteAlignment(1).withoutTargetLayout(), offset).address()));
            // The carrier boxed: Byte, Character, ... print as the primitive would.
            case ValueLayout l -> text.append(l.withByteAlignment(1).varHandle().get(memory, offset));
            case SequenceLayout l -> appendSequence(text, l.elementLayout(), l.elementCount(), memory, offset);
            case GroupLayout l -> appendGroup(text, l, memory, offset);
            case PaddingLayout _ -> text.append('_');
        }
    }

    private static void appendGroup(StringBuilder text, GroupLayout group, MemorySegment memory, long offset) {
        text.append('{');
        long at = offset;
        String separator = "";
        for (MemoryLayout member : group.memberLayouts()) {
            if (!(member instanceof PaddingLayout)) {
                text.append(separator).append(member.name().orElse("?")).append(" = ");
                append(text, member, memory, at);
                separator = ", ";
            }
            if (group instanceof StructLayout) {
                at += member.byteSize();   // a union's members all start at its start
            }
        }
        text.append('}');
    }
}
