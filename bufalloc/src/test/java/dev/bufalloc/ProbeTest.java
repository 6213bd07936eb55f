package dev.bufalloc;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;
class ProbeTest { @Test void runsOn25() { assertThat(Runtime.version().feature()).isGreaterThanOrEqualTo(25); } }
