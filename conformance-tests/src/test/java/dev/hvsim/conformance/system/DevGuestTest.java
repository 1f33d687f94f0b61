package dev.hvsim.conformance.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The dev guest (guests/DESIGN.md): AMD's Device Exclusion Vector seen from the inside. On the amd-zen
 * profile it finds the DEV capability at 00:18.3 and the DMA engine at 00:04.0 by a configuration-space scan,
 * protects a page, DMAs into it and shows it unchanged (with the DEV error log and the master abort), then
 * unprotects it and shows the DMA land. Then (svm-model is on the test class path, so amd-zen advertises SKINIT) it
 * executes SKINIT with EFER.SVME = 0: the secure loader checks the state SKINIT left, that GIF = 0 holds a self IPI,
 * that SL_DEV blocks a DMA into the secure loader block (DEV_EN = 0) while a DMA elsewhere lands, and leaves with
 * STGI; clearing SL_DEV_EN lets a DMA into the block land. The intel-core profile has no DEV (machine/DEVIATIONS.md): the guest
 * says so and shows an unprotected DMA landing. The whole console output is asserted.
 */
class DevGuestTest {

    static final String AMD = String.join("\n",
            "PASS dma engine found at 00:04.0",
            "INFO dma engine irq=0x0000000b",
            "PASS dev capability found at 00:18.3 offset 0xf0",
            "PASS dev_cap: rev 0 / 4 domains / 4 maps",
            "PASS dev_cr: enabled / cache invalidated",
            "PASS dma into a protected page: done / master abort",
            "PASS protected page unchanged",
            "PASS dev_err_status: valid / address valid / device write to dram",
            "PASS dev_err_addr: the protected page",
            "PASS dma engine pci status: received master abort",
            "PASS cpu write to a protected page lands",
            "PASS dma read of a protected page returns all ones",
            "PASS second violation: valid and overflow",
            "PASS dev_err_status cleared by writing 0",
            "PASS dma into the unprotected page: done",
            "PASS unprotected page: dma landed",
            "PASS page-crossing dma: master abort",
            "PASS page-crossing dma: lands in the unprotected page",
            "PASS page-crossing dma: protected page unchanged",
            "PASS dev disabled: dma lands in a marked page",
            "PASS one done interrupt per dma",
            "PASS skinit: entered at slb + the entry offset",
            "PASS skinit: eax = slb base (bits 15:0 cleared)",
            "PASS skinit: esp = slb + 64 KiB",
            "PASS skinit: edx = cpuid 1 eax",
            "PASS skinit: eflags = 2",
            "PASS skinit: cr0 = cd / nw / et / pe",
            "PASS skinit: efer = 0",
            "PASS skinit: cs = 0x08 / ss = 0x10",
            "PASS skinit: vm_cr = dpd / r_init / dis_a20m",
            "PASS gif = 0: a self ipi stays pending through sti",
            "PASS dev_cr: sl_dev_en set by skinit",
            "PASS dma into the slb: done / master abort",
            "PASS slb unchanged by the dma",
            "PASS dev_err_status: device write to dram",
            "PASS dev_err_addr: in the slb",
            "PASS dma outside the slb lands",
            "PASS stgi with efer.svme = 0: the pending ipi is taken",
            "PASS sl_dev_en = 0: dma into the slb: done",
            "PASS sl_dev_en = 0: dma into the slb lands",
            "DONE checks=0x00000027 failed=0x00000000",
            "");

    static final String INTEL = String.join("\n",
            "PASS dma engine found at 00:04.0",
            "INFO dma engine irq=0x0000000b",
            "INFO no DEV capability on any host bridge function: device DMA is unprotected",
            "PASS dma status: done",
            "PASS dma lands without a DEV",
            "PASS done interrupt",
            "DONE checks=0x00000004 failed=0x00000000",
            "");

    @Test
    void amdProfileBlocksDmaToAProtectedPageAndLetsItLandOnceUnprotectedAndSkinitProtectsTheSlb() throws LoadException {
        Run r = run("amd-zen");
        assertThat(r.console).isEqualTo(AMD);
        assertThat(r.outcome).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) r.outcome).status()).isEqualTo(1);
        // blocked: the 4 KiB write, the 64-byte read, the protected half of the page-crossing write, and the
        // secure loader's DMA into its own SLB after SKINIT (SL_DEV)
        assertThat(r.machine.platform().dev.blockedCount()).isEqualTo(4);
        assertThat(r.machine.platform().dma.blockedPages()).isEqualTo(4);
        assertThat(r.machine.platform().dev.control()).isZero(); // the guest cleared SL_DEV_EN at the end
    }

    @Test
    void intelProfileHasNoDevAndTheGuestSaysSo() throws LoadException {
        Run r = run("intel-core");
        assertThat(r.console).isEqualTo(INTEL);
        assertThat(((RunOutcome.GuestExit) r.outcome).status()).isEqualTo(1);
        assertThat(r.machine.platform().dev).isNull();
    }

    @Test
    void runsAreDeterministic() throws LoadException {
        Run a = run("amd-zen"), b = run("amd-zen");
        assertThat(b.outcome.stats().cycles()).isEqualTo(a.outcome.stats().cycles());
        assertThat(b.outcome.stats().instructions()).isEqualTo(a.outcome.stats().instructions());
    }

    private record Run(Machine machine, RunOutcome outcome, String console) {}

    private static Run run(String profile) throws LoadException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(profile), out));
        m.loadMultiboot(Guests.bytes("dev"), "dev.elf", "", List.of(), -1);
        RunOutcome o = m.run(RunLimits.instructions(20_000_000).withTimeout(Duration.ofSeconds(60)));
        return new Run(m, o, out.toString(StandardCharsets.ISO_8859_1));
    }
}
