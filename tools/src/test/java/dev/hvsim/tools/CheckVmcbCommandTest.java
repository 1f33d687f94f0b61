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

/** {@code hvsim check-vmcb} (issue 6 item 7): bases enter, failures name their rule, bad input is status 6. */
class CheckVmcbCommandTest {
    @TempDir
    Path dir;

    private Path file(String json) throws Exception {
        Path p = dir.resolve("vmcb.json");
        Files.writeString(p, json);
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"long-mode-guest", "protected-mode-guest", "nested-paging-guest"})
    void eachBaseEnters(String base) throws Exception {
        Cli c = Cli.run("check-vmcb", file("{\"base\": \"" + base + "\"}").toString());
        assertThat(c.status).as(c.toString()).isZero();
        assertThat(c.out.trim()).isEqualTo("outcome: entered");
        JsonNode n = new ObjectMapper().readTree(Cli.run("check-vmcb", "--json", file("{\"base\": \"" + base + "\"}")
                .toString()).out);
        assertThat(n.get("outcome").asText()).isEqualTo("entered");
        assertThat(n.get("exit_code").isNull()).isTrue();
        assertThat(n.get("violations").size()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"long-mode-guest", "protected-mode-guest", "nested-paging-guest"})
    void printedBasesEnterOnTheirOwn(String base) throws Exception {
        Cli p = Cli.run("check-vmcb", "--print-base", base);
        assertThat(p.status).isZero();
        Cli c = Cli.run("check-vmcb", file(p.out).toString());
        assertThat(c.out.trim()).as(c.toString()).isEqualTo("outcome: entered");
    }

    @Test
    void failureNamesTheRuleInTextAndJsonByNameOrOffset() throws Exception {
        Path f = file("{\"base\": \"long-mode-guest\", \"vmcb\": {\"save.CR0\": {\"set\": \"0x20000000\"}}}");
        Cli c = Cli.run("check-vmcb", f.toString());
        assertThat(c.status).isZero();
        assertThat(c.out).startsWith("outcome: vmexit-invalid (#VMEXIT with EXITCODE VMEXIT_INVALID, -1)")
                .contains("SVM-VMRUN-CR0-CDNW (APM Vol. 2 15.5.1), fields: save.CR0");
        Path g = file("{\"base\": \"long-mode-guest\", \"vmcb\": {\"0x058:4\": 0}}");
        JsonNode n = new ObjectMapper().readTree(Cli.run("check-vmcb", "--json", g.toString()).out);
        assertThat(n.get("outcome").asText()).isEqualTo("vmexit-invalid");
        assertThat(n.get("exit_code").asLong()).isEqualTo(-1);
        assertThat(n.get("violations").get(0).get("rule").asText()).isEqualTo("SVM-VMRUN-ASID0");
        assertThat(n.get("violations").get(0).get("section").asText()).isEqualTo("15.5.1");
        assertThat(n.get("violations").get(0).get("fields").get(0).asText()).isEqualTo("control.GUEST_ASID");
        assertThat(n.get("violations").get(0).get("message").asText()).isNotEmpty();
    }

    @Test
    void allListsEveryViolatedRule() throws Exception {
        Path f = file("{\"base\": \"long-mode-guest\", \"vmcb\": {\"control.GUEST_ASID\": 0, "
                + "\"control.INTERCEPT_MISC2\": 0}}");
        assertThat(Cli.run("check-vmcb", f.toString()).out).contains("SVM-VMRUN-INTERCEPT")
                .doesNotContain("SVM-VMRUN-ASID0");
        JsonNode n = new ObjectMapper().readTree(Cli.run("check-vmcb", "--json", "--all", f.toString()).out);
        assertThat(n.get("violations").size()).isEqualTo(2);
    }

    @Test
    void badInputIsOneLineAndStatus6() throws Exception {
        for (String bad : new String[] {"not json", "{\"vmcb\": {\"save.NOPE\": 1}}", "{\"vmcb\": {\"0x58\": 1}}",
            "{\"base\": \"long-mode-guest\", \"vmcb\": {\"control.GUEST_ASID\": \"0x100000000\"}}",
            "{\"oops\": 1}", "{\"profile\": \"intel-core\"}", "{\"base\": \"nope\"}"}) {
            Cli c = Cli.run("check-vmcb", file(bad).toString());
            assertThat(c.status).as(bad).isEqualTo(6);
            assertThat(c.err.trim().lines().count()).as(c.toString()).isEqualTo(1);
        }
        assertThat(Cli.run("check-vmcb", "--print-base", "nope").status).isEqualTo(6);
    }
}
