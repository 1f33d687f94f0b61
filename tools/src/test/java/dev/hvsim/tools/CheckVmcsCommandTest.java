package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code hvsim check-vmcs} (issue 4 item 6): bases enter, failures name their rule, bad input is status 6. */
class CheckVmcsCommandTest {
    @TempDir
    Path dir;

    private Path file(String json) throws Exception {
        Path p = dir.resolve("vmcs.json");
        Files.writeString(p, json);
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"long-mode-guest", "protected-mode-guest", "real-mode-guest"})
    void eachBaseEnters(String base) throws Exception {
        Cli c = Cli.run("check-vmcs", file("{\"base\": \"" + base + "\"}").toString());
        assertThat(c.status).as(c.toString()).isZero();
        assertThat(c.out.trim()).isEqualTo("outcome: entered");
        Cli j = Cli.run("check-vmcs", "--json", file("{\"base\": \"" + base + "\"}").toString());
        JsonNode n = new ObjectMapper().readTree(j.out);
        assertThat(n.get("outcome").asText()).isEqualTo("entered");
        assertThat(n.get("vm_instruction_error").isNull()).isTrue();
        assertThat(n.get("exit_reason").isNull()).isTrue();
        assertThat(n.get("exit_qualification").isNull()).isTrue();
        assertThat(n.get("violations").size()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"long-mode-guest", "protected-mode-guest", "real-mode-guest"})
    void printedBasesEnterOnTheirOwn(String base) throws Exception {
        Cli p = Cli.run("check-vmcs", "--print-base", base);
        assertThat(p.status).isZero();
        Cli c = Cli.run("check-vmcs", file(p.out).toString());
        assertThat(c.out.trim()).as(c.toString()).isEqualTo("outcome: entered");
    }

    @Test
    void guestStateFailureNamesTheRuleInTextAndJson() throws Exception {
        Path f = file("{\"base\": \"long-mode-guest\", \"vmcs\": {\"GUEST_TR_SELECTOR\": \"0x1c\"}}");
        Cli c = Cli.run("check-vmcs", f.toString());
        assertThat(c.status).isZero();
        assertThat(c.out).startsWith("outcome: entry-failure (VM exit with exit reason 33")
                .contains("GUEST-TR-TI (SDM Vol. 3C 28.3.1.2), fields: GUEST_TR_SELECTOR")
                .contains("Clear the TI flag");
        JsonNode n = new ObjectMapper().readTree(Cli.run("check-vmcs", "--json", f.toString()).out);
        assertThat(n.get("outcome").asText()).isEqualTo("entry-failure");
        assertThat(n.get("exit_reason").asInt()).isEqualTo(33);
        assertThat(n.get("exit_qualification").asInt()).isZero();
        assertThat(n.get("violations").get(0).get("rule").asText()).isEqualTo("GUEST-TR-TI");
        assertThat(n.get("violations").get(0).get("section").asText()).isEqualTo("28.3.1.2");
        assertThat(n.get("violations").get(0).get("fields").get(0).asText()).isEqualTo("GUEST_TR_SELECTOR");
    }

    @Test
    void setClearHexEncodingsAndAll() throws Exception {
        // pin-based bit 8 (reserved) by encoding, host CS null, guest TR TI: VMfailValid 7 first, --all lists all
        Path f = file("{\"base\": \"long-mode-guest\", \"vmcs\": {\"0x4000\": {\"set\": \"0x100\"}, "
                + "\"HOST_CS_SELECTOR\": 0, \"GUEST_TR_SELECTOR\": {\"set\": 4}}}");
        JsonNode n = new ObjectMapper().readTree(Cli.run("check-vmcs", "--json", f.toString()).out);
        assertThat(n.get("outcome").asText()).isEqualTo("vmfail-valid");
        assertThat(n.get("vm_instruction_error").asInt()).isEqualTo(7);
        assertThat(n.get("violations").size()).isEqualTo(1);
        JsonNode a = new ObjectMapper().readTree(Cli.run("check-vmcs", "--json", "--all", f.toString()).out);
        assertThat(a.get("violations").size()).isEqualTo(3);
        assertThat(a.get("violations").get(1).get("rule").asText()).isEqualTo("HOST-CS-NONNULL");
    }

    @Test
    void msrLoadAndProcessorOverrides() throws Exception {
        Path f = file("{\"base\": \"long-mode-guest\", \"vmcs\": {\"VM_ENTRY_MSR_LOAD_ADDR\": \"0x5000\", "
                + "\"VM_ENTRY_MSR_LOAD_COUNT\": 1}, \"memory\": [{\"address\": \"0x5000\", \"qwords\": "
                + "[\"0xc0000100\", \"0x0\"]}]}");
        JsonNode n = new ObjectMapper().readTree(Cli.run("check-vmcs", "--json", f.toString()).out);
        assertThat(n.get("exit_reason").asInt()).isEqualTo(34);
        assertThat(n.get("exit_qualification").asInt()).isEqualTo(1);
        Path g = file("{\"base\": \"long-mode-guest\", \"processor\": {\"EFER\": \"0x0\", \"CR4\": \"0x2000\"}}");
        JsonNode m = new ObjectMapper().readTree(Cli.run("check-vmcs", "--json", g.toString()).out);
        assertThat(m.get("vm_instruction_error").asInt()).isEqualTo(8);
        assertThat(m.get("violations").get(0).get("rule").asText()).isEqualTo("ASZ-OUTSIDE-IA32E");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"base\": \"v86-mode-guest\"}",
        "{\"base\": \"long-mode-guest\", \"vmcs\": {\"NO_SUCH_FIELD\": 1}}",
        "{\"base\": \"long-mode-guest\", \"vmcs\": {\"0x9999\": 1}}",
        "{\"base\": \"long-mode-guest\", \"vmcs\": {\"GUEST_RIP\": \"0xzz\"}}",
        "{\"base\": \"long-mode-guest\", \"vmcs\": {\"GUEST_CS_SELECTOR\": \"0x10000\"}}",
        "{\"base\": \"long-mode-guest\", \"vmcs\": {\"GUEST_RIP\": {\"toggle\": 1}}}",
        "{\"profile\": \"amd-zen\", \"base\": \"long-mode-guest\"}",
        "{\"profile\": \"nope\"}",
        "{\"instruction\": \"vmrun\"}",
        "{\"bogus\": 1}",
        "{\"memory\": [{\"address\": \"0x5001\", \"qwords\": [\"0x1\"]}]}",
        "{\"processor\": {\"CR0\": \"0x1\"}}",
        "not json",
        "[]"})
    void badInputIsOneLineAndStatus6(String json) throws Exception {
        Cli c = Cli.run("check-vmcs", file(json).toString());
        assertThat(c.status).as(c.toString()).isEqualTo(6);
        assertThat(c.oneErrorLine()).as(c.toString()).isTrue();
        assertThat(c.out).isEmpty();
    }

    @Test
    void missingFileAndUnknownBaseToPrint() {
        Cli c = Cli.run("check-vmcs", dir.resolve("absent.json").toString());
        assertThat(c.status).isEqualTo(6);
        assertThat(c.oneErrorLine()).isTrue();
        Cli p = Cli.run("check-vmcs", "--print-base", "v86-mode-guest");
        assertThat(p.status).isEqualTo(6);
        assertThat(p.oneErrorLine()).as(p.toString()).isTrue();
    }
}
