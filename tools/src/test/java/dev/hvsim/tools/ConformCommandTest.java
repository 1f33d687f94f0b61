package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.gen.GuestMode;
import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.conformance.gen.VmcbGenerator;
import dev.hvsim.conformance.gen.VmcsGenerator;
import dev.hvsim.conformance.gen.VmrunEvaluator;
import dev.hvsim.conformance.gen.VmrunMutators;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import dev.hvsim.conformance.gen.VmxEvaluator;
import dev.hvsim.conformance.gen.VmxMutators;
import dev.hvsim.svm.VmrunRule;
import dev.hvsim.svm.VmrunRules;
import dev.hvsim.vmx.EntryChecks;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.EntryRule;
import dev.hvsim.x86core.CpuProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hvsim conform}, and the reproduction files of the conformance suite read back by check-vmcs / check-vmcb. */
class ConformCommandTest {
    @TempDir
    Path dir;

    @Test
    void aShortCampaignWritesItsSummaryAndReportsUncoveredRules() throws Exception {
        Cli c = Cli.run("conform", "--vendor", "amd", "--cases", "12", "--seed", "5", "--threads", "2", "--out",
                dir.toString());
        // 12 cases cannot violate each of the 19 VMRUN rules: the command says so and fails
        assertThat(c.status).as(c.toString()).isEqualTo(ExitStatus.CONFORMANCE_FAILED);
        assertThat(c.out).contains("seed 5").contains("SVM-VMRUN-ASID0").contains("NEVER VIOLATED amd");
        assertThat(c.err).contains("12/12 cases");
        JsonNode s = new ObjectMapper().readTree(Files.readString(dir.resolve("summary.json")));
        assertThat(s.get("cases_run").asLong()).isEqualTo(12);
        assertThat(s.get("seed").asLong()).isEqualTo(5);
        assertThat(s.get("passed").asBoolean()).isFalse();
        assertThat(s.get("failures").size()).isZero();
    }

    @Test
    void aCampaignLongEnoughCoversEveryVmrunRuleAndPasses() {
        Cli c = Cli.run("conform", "--vendor", "amd", "--cases", String.valueOf(4 * VmrunRules.ALL.size()), "--seed", "9",
                "--threads", "2");
        assertThat(c.status).as(c.toString()).isEqualTo(ExitStatus.HALTED);
        assertThat(c.out).contains("0 failure(s), 0 rule(s) never violated, seed 9");
        // cases 4, 20, 36, 52, 68 of the 76 ran the SVM executed properties in turn; 12, 28, 44, 60 intercept snippets
        assertThat(c.out).contains("conform: executed properties: svm-intercepts 4 svm-isolation 1 svm-protocol 2 "
                + "svm-round-trip 2");
    }

    /**
     * The SVM round trip's reproduction file (the shrunk image: VMCB under nested paging with its guest and nested
     * tables as memory) is a check-vmcb input, and check-vmcb finds the runnable VMCB valid.
     */
    @Test
    void svmRoundTripReproductionFileIsACheckVmcbInput() throws Exception {
        CpuProfile amd = CpuProfile.load("amd-zen");
        for (int i = 0; i < 3; i++) {
            VmcbCase c = new VmcbGenerator(amd).valid(new SplittableRandom(30 + i));
            VmcbCase placed = dev.hvsim.conformance.campaign.SvmRoundTrip.placed(c, 17 + i).vmcbCase();
            assertThat(placed.memory()).hasSizeGreaterThan(3);
            Path f = Repro.write(dir, "rt" + i + ".json", Repro.checkVmcb(placed));
            Cli r = Cli.run("check-vmcb", "--json", f.toString());
            JsonNode j = new ObjectMapper().readTree(r.out);
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(j.get("violations").size()).as(r.toString()).isZero();
            assertThat(j.toString()).contains("entered");
        }
    }

    /**
     * Intercept reproduction files replay: a trial of each property that holds gives status 0; a file whose snippet
     * name no longer matches its bytes (HLT's expectation for CPUID's bytes) fails with status 8 and the problem; files
     * that are not reproduction files are one line and status 6.
     */
    @Test
    void interceptReproductionFilesReplay() throws Exception {
        var vmx = dev.hvsim.conformance.campaign.VmxIntercepts.generate(VmxCpu.intelCore(), new SplittableRandom(3),
                dev.hvsim.conformance.campaign.VmxIntercepts.CATALOGUE.get(0));
        Path f = Repro.write(dir, "vmx.json", dev.hvsim.conformance.campaign.VmxIntercepts.repro(vmx, null));
        Cli c = Cli.run("conform", "--replay", f.toString());
        assertThat(c.status).as(c.toString()).isEqualTo(ExitStatus.HALTED);
        assertThat(c.out).contains("replay vmx-intercepts").contains("reason 10").contains("the property holds");
        var svm = dev.hvsim.conformance.campaign.SvmIntercepts.generate(new SplittableRandom(4),
                dev.hvsim.conformance.campaign.SvmIntercepts.CATALOGUE.get(0));
        f = Repro.write(dir, "svm.json", dev.hvsim.conformance.campaign.SvmIntercepts.repro(svm, null));
        c = Cli.run("conform", "--replay", f.toString());
        assertThat(c.status).as(c.toString()).isEqualTo(ExitStatus.HALTED);
        var cross = dev.hvsim.conformance.campaign.CrossVendorIntercepts.generate(new SplittableRandom(5), "CPUID");
        f = Repro.write(dir, "cross.json", dev.hvsim.conformance.campaign.CrossVendorIntercepts.repro(cross));
        c = Cli.run("conform", "--replay", f.toString());
        assertThat(c.status).as(c.toString()).isEqualTo(ExitStatus.HALTED);
        assertThat(c.out).contains("Intel CPUID at +0, AMD CPUID at +0");
        var wrong = dev.hvsim.conformance.campaign.VmxIntercepts.repro(vmx, null).put("snippet", "HLT");
        f = Repro.write(dir, "wrong.json", wrong);
        c = Cli.run("conform", "--replay", f.toString());
        assertThat(c.status).as(c.toString()).isEqualTo(ExitStatus.CONFORMANCE_FAILED);
        assertThat(c.out).contains("FAIL HLT: reason 10");
        Files.writeString(dir.resolve("bad.json"), "{\"property\": \"single-rule\"}");
        Files.writeString(dir.resolve("broken.json"), "{\"property\": \"vmx-intercepts\"}");
        for (String name : new String[] {"bad.json", "broken.json", "missing.json"}) {
            c = Cli.run("conform", "--replay", dir.resolve(name).toString());
            assertThat(c.status).as(c.toString()).isEqualTo(ExitStatus.BAD_INPUT);
            assertThat(c.oneErrorLine()).as(c.toString()).isTrue();
        }
    }

    @Test
    void badOptionsAreOneLineAndStatus6() {
        for (String[] args : new String[][] {{"conform", "--vendor", "via"}, {"conform", "--cases", "0"},
                {"conform", "--threads", "0"}, {"conform", "--cases", "x"}}) {
            Cli c = Cli.run(args);
            assertThat(c.status).as(c.toString()).isEqualTo(ExitStatus.BAD_INPUT);
            assertThat(c.oneErrorLine()).as(c.toString()).isTrue();
        }
    }

    /**
     * Every VM-entry rule (on the richer capability set, written with check-vmcs's "capabilities" key; the guest-state
     * rules also on the profile's own set): a single-rule mutant's reproduction file gives check-vmcs the same
     * outcome and rules as the engine.
     */
    @Test
    void vmxReproductionFilesReproduce() throws Exception {
        List<String> problems = new ArrayList<>();
        for (VmxCpu cpu : List.of(VmxCpu.intelCore(), VmxCpu.intelCoreRich())) {
            VmxMutators mu = new VmxMutators(new VmxEvaluator(cpu));
            VmcsGenerator gen = new VmcsGenerator(cpu);
            for (EntryRule rule : EntryChecks.rules()) {
                if (cpu.inForce() && rule.kind() != EntryRule.Kind.GUEST) {
                    continue;   // the richer set isolates every rule; the profile's own set is sampled (guest state)
                }
                SplittableRandom r = new SplittableRandom(rule.id().hashCode());
                Optional<VmxCase> m = Optional.empty();
                for (GuestMode mode : GuestMode.values()) {
                    m = mu.breakOnly(rule, gen.valid(mode, r), r);
                    if (m.isPresent()) {
                        break;
                    }
                }
                if (m.isEmpty()) {
                    continue;   // a rule the profile's own capabilities cannot isolate: the rich set covers it
                }
                EntryOutcome o = m.get().check();
                Path f = Repro.write(dir, cpu.name() + "-" + rule.id() + ".json", Repro.checkVmcs(m.get()));
                Cli c = Cli.run("check-vmcs", "--json", "--all", f.toString());
                JsonNode j = new ObjectMapper().readTree(c.out);
                List<String> rules = new ArrayList<>();
                j.get("violations").forEach(v -> rules.add(v.get("rule").asText()));
                if (c.status != 0 || !rules.equals(VmxCase.ids(o.all()))
                        || !j.get("outcome").asText().equals(CheckVmcsCommand.outcomeName(o))) {
                    problems.add(rule.id() + " on " + cpu.name() + ": " + c);
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    /** Every VMRUN rule: the reproduction file gives check-vmcb VMEXIT_INVALID naming exactly that rule. */
    @Test
    void svmReproductionFilesReproduce() throws Exception {
        CpuProfile amd = CpuProfile.load("amd-zen");
        VmrunMutators mu = new VmrunMutators(new VmrunEvaluator(amd));
        VmcbGenerator gen = new VmcbGenerator(amd);
        for (VmrunRule rule : VmrunRules.ALL) {
            SplittableRandom r = new SplittableRandom(rule.id().hashCode());
            Optional<VmcbCase> m = Optional.empty();
            for (int i = 0; i < 6 && m.isEmpty(); i++) {
                m = mu.breakOnly(rule, gen.valid(r), r);
            }
            assertThat(m).as(rule.id()).isPresent();
            Path f = Repro.write(dir, rule.id() + ".json", Repro.checkVmcb(m.get()));
            Cli c = Cli.run("check-vmcb", "--json", f.toString());
            JsonNode j = new ObjectMapper().readTree(c.out);
            assertThat(c.status).as(c.toString()).isZero();
            assertThat(j.get("violations").size()).as(c.toString()).isEqualTo(1);
            assertThat(j.get("violations").get(0).get("rule").asText()).isEqualTo(rule.id());
        }
    }
}
