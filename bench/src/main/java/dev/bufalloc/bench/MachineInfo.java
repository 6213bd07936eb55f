package dev.bufalloc.bench;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The machine a run was made on, saved beside its JSON (JMH's JSON does not say), so that the
 * report can be regenerated anywhere.
 *
 * @param processors the processors available to the JVM (what {@code nproc} prints)
 * @param cpuModel the first {@code model name} of {@code /proc/cpuinfo}
 * @param memory {@code MemTotal} of {@code /proc/meminfo}
 * @param os the operating system's name, version and architecture
 */
public record MachineInfo(int processors, String cpuModel, String memory, String os) {

    /** @return this machine */
    public static MachineInfo current() {
        return new MachineInfo(Runtime.getRuntime().availableProcessors(), procField("/proc/cpuinfo", "model name"),
                procField("/proc/meminfo", "MemTotal"), System.getProperty("os.name") + " "
                + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    }

    private static String procField(String file, String field) {
        try {
            return Files.readAllLines(Path.of(file)).stream()
                    .filter(line -> line.startsWith(field))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /**
     * Saves this as a properties file.
     *
     * @param file where to write
     * @throws IOException if it cannot be written
     */
    public void write(Path file) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("processors", Integer.toString(processors));
        properties.setProperty("cpuModel", cpuModel);
        properties.setProperty("memory", memory);
        properties.setProperty("os", os);
        try (Writer out = Files.newBufferedWriter(file)) {
            properties.store(out, "The machine of the benchmark run beside this file");
        }
    }

    /**
     * Reads what {@link #write} saved.
     *
     * @param file the properties file
     * @return the machine it describes
     * @throws IOException if it cannot be read
     */
    public static MachineInfo read(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            properties.load(in);
        }
        return new MachineInfo(Integer.parseInt(properties.getProperty("processors", "0")),
                properties.getProperty("cpuModel", "unknown"), properties.getProperty("memory", "unknown"),
                properties.getProperty("os", "unknown"));
    }
}
