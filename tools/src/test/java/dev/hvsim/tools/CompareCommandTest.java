package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hvsim compare}: text, --html, determinism, bad input. */
class CompareCommandTest {
    @TempDir
    Path dir;

    @Test
    void textShowsBothColumnsMarkersAndTheSummary() {
        Cli c = Cli.run("compare", "compare-demo");
        assertThat(c.status).as(c.toString()).isZero();
        assertThat(c.err).isEmpty();
        assertThat(c.out).startsWith("hvsim compare: compare-demo under the Java VMM, intercept policy io=true msr=false"
                + " hlt=true mmio=true\nvmx on intel-core: 60 exits, guest exit with value 0 (status 1)\n"
                + "svm on amd-zen: 60 exits, guest exit with value 0 (status 1)\nguest output: identical (39 bytes)\n");
        assertThat(c.out).contains("\n    1 = #1 @4 nested_page_fault page=0x100000            | #1 @4 nested_page_fault"
                + " page=0x100000\n");
        assertThat(c.out).containsPattern("\n +\\d+ ! #\\d+ @\\d+ cpuid leaf=0x0 +\\| #\\d+ @\\d+ cpuid leaf=0x0\n"
                + " +CPUID \\(10\\) vs VMEXIT_CPUID \\(0x72\\): guest-result\n +ebx: 0x756e6547 vs 0x68747541\n");
        assertThat(c.out).containsPattern("\n +\\d+ ! #\\d+ @\\d+ hypercall function=0x7f +\\| #\\d+ @\\d+ hypercall"
                + " function=0x7f\n +VMCALL \\(18\\) vs VMEXIT_VMMCALL \\(0x81\\): exit-info, cycles\n");
        assertThat(c.out).containsPattern("\n +\\d+ > +\\| #\\d+ @\\d+ msr_read msr=0xc0000080\n");
        assertThat(c.out).containsPattern("\n +\\d+ < #\\d+ @\\d+ cr_access cr=0 write=true +\\| \n");
        assertThat(c.out).endsWith("\nsummary: 62 rows, 9 with differences: only-intel 2, only-amd 2, exit-info 1,"
                + " guest-result 2, cycles 3\n");
    }

    @Test
    void sameGuestSameComparisonByteForByte() throws Exception {
        Path h1 = dir.resolve("a.html"), h2 = dir.resolve("b.html");
        Cli a = Cli.run("compare", "compare-demo", "--html", h1.toString());
        Cli b = Cli.run("compare", "compare-demo", "--html", h2.toString());
        assertThat(a.status).isZero();
        assertThat(a.out).isEqualTo(b.out);
        assertThat(Files.readAllBytes(h1)).isEqualTo(Files.readAllBytes(h2));
    }

    @Test
    void htmlIsSelfContainedWithTimelinesAndTheTable() throws Exception {
        Path html = dir.resolve("c.html");
        Cli c = Cli.run("compare", "compare-demo", "--html", html.toString());
        assertThat(c.status).as(c.toString()).isZero();
        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertThat(page).startsWith("<!DOCTYPE html>").contains("<style>").contains("<script>")
                .doesNotContain("http:").doesNotContain("https:").doesNotContain("src=").doesNotContain("<link")
                .doesNotContain("@import").doesNotContain("url(");
        assertThat(page).contains("<h3>intel (vmx)</h3>\n<svg").contains("<h3>amd (svm)</h3>\n<svg");
        // one timeline mark per exit per vendor, one table row per aligned row
        assertThat(page.split("<rect ", -1)).hasSize(60 + 60 + 1);
        assertThat(page.split("<tr class=", -1)).hasSize(62 + 1);
        assertThat(page).contains("EPT violation (48)").contains("VMEXIT_NPF (0x400)")
                .contains("summary: 62 rows, 9 with differences");
    }

    @Test
    void guestControlledTextIsEscaped() throws Exception {
        Path odd = dir.resolve("<img src=x onerror='y'>&.elf");
        Files.write(odd, Guests.bytes("compare-demo"));
        Path html = dir.resolve("e.html");
        Cli c = Cli.run("compare", odd.toString(), "--html", html.toString());
        assertThat(c.status).as(c.toString()).isZero();
        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertThat(page).doesNotContain("<img").contains("&lt;img src=x onerror=&#39;y&#39;&gt;&amp;.elf");
        assertThat(CompareReport.esc("a<b>\"c\"&'\u0001")).isEqualTo("a&lt;b&gt;&quot;c&quot;&amp;&#39;&#1;");
    }

    @Test
    void badInputIsOneLineAndStatus6() {
        Cli missing = Cli.run("compare", dir.resolve("nothing.elf").toString());
        assertThat(missing.status).isEqualTo(6);
        assertThat(missing.oneErrorLine()).as(missing.toString()).isTrue();
        Cli unknown = Cli.run("compare", "no-such-guest");
        assertThat(unknown.status).isEqualTo(6);
        assertThat(unknown.oneErrorLine()).isTrue();
        assertThat(unknown.err).contains("guest no-such-guest is not built");
        Cli insns = Cli.run("compare", "--max-insns", "0", "compare-demo");
        assertThat(insns.status).isEqualTo(6);
        assertThat(insns.err).isEqualTo("hvsim: --max-insns must be positive, not 0\n");
        Cli html = Cli.run("compare", "compare-demo", "--html", dir.resolve("no/such/dir/x.html").toString());
        assertThat(html.status).isEqualTo(6);
        assertThat(html.oneErrorLine()).as(html.toString()).isTrue();
        Cli mem = Cli.run("compare", "--mem", "0", "compare-demo");
        assertThat(mem.status).isEqualTo(6);
        assertThat(mem.oneErrorLine()).isTrue();
    }

    @Test
    void msrOptionTrapsEveryMsrOnBothVendors() {
        Cli c = Cli.run("compare", "--msr", "compare-demo");
        assertThat(c.status).as(c.toString()).isZero();
        assertThat(c.out).contains("intercept policy io=true msr=true hlt=true mmio=true\n");
        // the EFER read and write now exit on Intel too: the rows pair instead of being AMD-only
        assertThat(c.out).containsPattern("\n +\\d+ = #\\d+ @\\d+ msr_read msr=0xc0000080 +\\| #\\d+ @\\d+ msr_read msr=0xc0000080\n");
        assertThat(c.out).contains("only-amd 0");
    }

    @Test
    void anInstructionLimitStillCompares() {
        Cli c = Cli.run("compare", "--max-insns", "200", "compare-demo");
        assertThat(c.status).as(c.toString()).isZero();
        assertThat(c.out).contains("instruction limit of 200 reached");
    }
}
