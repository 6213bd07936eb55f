package dev.bufalloc.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The README's fenced code blocks, in order. */
record Readme(List<Block> blocks) {

    /** A fenced block: its info string ({@code java}, {@code sh}, or empty) and its text. */
    record Block(String language, String text) {}

    private static final Pattern FENCE = Pattern.compile("(?m)^( *)```(\\w*)\\n(.*?)^\\1```$", Pattern.DOTALL);

    static Readme read() {
        String markdown = Build.read(Build.root().resolve("README.md"));
        List<Block> blocks = new ArrayList<>();
        Matcher matcher = FENCE.matcher(markdown);
        while (matcher.find()) {
            String indent = matcher.group(1);
            String text = matcher.group(3).lines()
                    .map(line -> line.startsWith(indent) ? line.substring(indent.length()) : line)
                    .reduce("", (a, b) -> a + b + "\n");
            blocks.add(new Block(matcher.group(2), text));
        }
        return new Readme(blocks);
    }

    List<Block> blocks(String language) {
        return blocks.stream().filter(block -> block.language().equals(language)).toList();
    }

    /** The first block of the language that contains the text. */
    Block block(String language, String containing) {
        return blocks(language).stream().filter(block -> block.text().contains(containing)).findFirst()
                .orElseThrow(() -> new AssertionError("README.md has no " + language + " block with " + containing));
    }

    /** The block right after the given one: what the README says a command prints. */
    Block after(Block block) {
        int index = blocks.indexOf(block);
        if (index < 0 || index + 1 >= blocks.size()) {
            throw new AssertionError("README.md has no block after " + block.text());
        }
        return blocks.get(index + 1);
    }
}
