package dev.bufalloc.internal.jfr;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parts of {@link Diagnostics} that need no recording: the name, and the suggested size. */
class DiagnosticsTest {

    @Test
    void theSuggestedCapacityIsThePeakRoundedUpToAPowerOfTwo() {
        assertThat(Diagnostics.suggestedCapacity(0)).isEqualTo(1);
        assertThat(Diagnostics.suggestedCapacity(1)).isEqualTo(1);
        assertThat(Diagnostics.suggestedCapacity(2)).isEqualTo(2);
        assertThat(Diagnostics.suggestedCapacity(3)).isEqualTo(4);
        assertThat(Diagnostics.suggestedCapacity(4096)).isEqualTo(4096);
        assertThat(Diagnostics.suggestedCapacity(4097)).isEqualTo(8192);
        assertThat(Diagnostics.suggestedCapacity(1L << 62)).isEqualTo(1L << 62);
        assertThat(Diagnostics.suggestedCapacity((1L << 62) + 1)).isEqualTo((1L << 62) + 1);   // no power of two above
        assertThat(Diagnostics.suggestedCapacity(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aNameIsOptionalAndShowsInDescriptions() {
        Diagnostics diagnostics = new Diagnostics();
        assertThat(diagnostics.name()).isEmpty();
        assertThat(diagnostics.describe("A", "buf", 8, ", x")).isEqualTo("A[buf, used=8, x]");
        assertThat(diagnostics.quotedName()).isEmpty();
        diagnostics.name("parser");
        assertThat(diagnostics.name()).contains("parser");
        assertThat(diagnostics.describe("A", "buf", 8, "")).isEqualTo("A[name=parser, buf, used=8]");
        assertThat(diagnostics.quotedName()).isEqualTo("'parser' ");
        assertThatThrownBy(() -> diagnostics.name(null)).isInstanceOf(NullPointerException.class);
        assertThat(diagnostics.name()).contains("parser");
    }
}
