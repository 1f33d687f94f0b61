package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Exit traces (issue 7 items 3 and 6): one JSON object per line with the public keys; byte-identical across runs. */
class ExitTraceTest {
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"hello, VMX", "hello, SVM", "smp, VMX", "smp, SVM", "apic, VMX", "apic, SVM", "exits, VMX", "exits, SVM",
        "svm-hv, SVM", "svm-npt-walk, SVM"})
    void traceIsDeterministicAndWellFormed(String guest, Virt virt) throws Exception {
        String profile = virt == Virt.VMX ? "intel-core" : "amd-zen";
        GuestRun a = GuestRun.run(guest, profile, virt);
        GuestRun b = GuestRun.run(guest, profile, virt);
        assertThat(a.trace).isNotEmpty();
        assertThat(b.trace).as("same guest, same trace, byte for byte").isEqualTo(a.trace);
        List<String> lines = new String(a.trace, StandardCharsets.UTF_8).lines().toList();
        assertThat((long) lines.size()).isEqualTo(a.vmm.exits());
        ObjectMapper json = new ObjectMapper();
        long seq = 0, lastCycle = -1;
        for (String line : lines) {
            JsonNode n = json.readTree(line);
            if (n.has("level")) { // an exit of a nested guest (nested SVM): one key more, at the end
                assertThat(iterable(n.fieldNames())).containsExactly("seq", "vcpu", "cycle", "vendor", "kind", "raw",
                        "rip", "handled", "level");
                assertThat(n.get("level").asInt()).isEqualTo(2);
            } else {
                assertThat(iterable(n.fieldNames())).containsExactly("seq", "vcpu", "cycle", "vendor", "kind", "raw",
                        "rip", "handled");
            }
            assertThat(n.get("seq").asLong()).isEqualTo(++seq);
            assertThat(n.get("vendor").asText()).isEqualTo(virt == Virt.VMX ? "intel" : "amd");
            assertThat(ExitKind.valueOf(n.get("kind").asText().toUpperCase())).isNotNull();
            assertThat(Handled.valueOf(n.get("handled").asText().toUpperCase())).isNotNull();
            assertThat(n.get("rip").asText()).matches("0x[0-9a-f]+");
            assertThat(n.get("raw").has(virt == Virt.VMX ? "reason" : "exitcode")).isTrue();
            if (GuestRun.cpusFor(guest) == 1) {
                assertThat(n.get("cycle").asLong()).isGreaterThanOrEqualTo(lastCycle);
                lastCycle = n.get("cycle").asLong();
            }
        }
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
