package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.bus.DmaProtectionHook;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.fault.ArchFault;

import java.util.Arrays;

/**
 * SKINIT EAX (0F 01 DE): secure init and jump with attestation (AMD APM Vol. 3 "SKINIT"; Vol. 2 15.27 "Secure Startup
 * with SKINIT", 15.24.8 "Secure Initialization Support").
 *
 * <p>Checks, in the order of the other SVM instructions (DEVIATIONS.md): #UD in real and virtual-8086 mode (the row);
 * #UD when EFER.SVME = 0 and CPUID Fn8000_0001 ECX[SKINIT] = 0 (15.4: SKINIT and STGI are available when either is
 * 1; SVM-Lock, the other way the Vol. 3 page names, is not advertised); in a guest, #VMEXIT(VMEXIT_SKINIT, 86H) when
 * the VMCB's word 4 bit 6 is set (EXITINFO1/2 = 0, NRIP = the next instruction); #GP(0) at CPL &gt; 0.
 *
 * <p>Operation (15.27.6, steps 1-8): the processor is reinitialised as for INIT and enters flat 32-bit protected
 * mode with paging off; the SLB base is EAX with bits 15:0 cleared (EAX is updated); the platform's SL_DEV
 * protection is enabled for the 64 KiB at the SLB ({@link DmaProtectionHook}, the DEV in machine); the SL image is
 * sent to the TPM, which hvsim does not model (the image is neither hashed nor sent anywhere, see DEVIATIONS.md);
 * GIF is cleared; ESP = SLB + 64 KiB; execution continues at SLB + the unsigned 16-bit entry offset stored in the
 * SLB's first word. The SLB's second word is the SL image length (at most 65535 bytes, 15.27.2).
 */
final class Skinit {
    /** VM_CR bits SKINIT sets unconditionally (15.27.6 step 1). */
    static final long VM_CR_SET = SvmExtension.VM_CR_DPD | SvmExtension.VM_CR_R_INIT | SvmExtension.VM_CR_DIS_A20M;
    /** The SLB is 64 KiB aligned (15.27.3); SKINIT clears EAX[15:0] (15.27.6 step 2). */
    static final long SLB_MASK = 0xffff0000L;
    /** CS: selector 8, base 0, limit 4 GiB, 32-bit execute/read code (accessed), DPL 0 (15.27.6 step 1). */
    static final int CS_SELECTOR = 0x08, CS_ATTR = 0x9b | Segment.ATTR_DB | Segment.ATTR_G;
    /** SS: selector 10H, base 0, limit 4 GiB, 32-bit read/write expand-up data (accessed), DPL 0 (15.27.6 step 1). */
    static final int SS_SELECTOR = 0x10, SS_ATTR = 0x93 | Segment.ATTR_DB | Segment.ATTR_G;

    private final SvmExtension x;
    private SkinitLaunch last;

    Skinit(SvmExtension x) {
        this.x = x;
    }

    /** The last SKINIT that reached its operation, or null. */
    SkinitLaunch last() {
        return last;
    }

    void execute(DecodedInsn d) {
        Cpu c = x.cpu();
        if ((c.state().efer & Cpu.EFER_SVME) == 0 && !c.has(Feature.SKINIT)) {
            throw ArchFault.ud(); // 15.4
        }
        if (x.guestActive && x.guest.intercepted(V.MISC2, V.M2_SKINIT)) {
            x.transitions.exit(ExitCode.SKINIT, 0, 0, c.nextRip); // Table B-1 word 4 bit 6; Appendix C 86H
        }
        if (c.cpl() != 0) {
            throw ArchFault.gp0();
        }
        long slb = c.state().gpr[Reg.RAX] & SLB_MASK; // step 2: EAX[15:0] cleared; the SLB lies below 4 GiB
        reinitialise(c, slb);
        c.dmaProtectionHook().protectSecureLoaderBlock(slb); // step 2: SL_DEV (15.24.8)
        // steps 4-5: the image (entry and length words included) would go to the TPM; no TPM is modelled
        int entry = (int) c.bus().read(slb, 2) & 0xffff;
        int length = (int) c.bus().read(slb + 2, 2) & 0xffff;
        last = new SkinitLaunch(slb, entry, length);
        x.gif = false; // step 6
        c.state().gpr[Reg.RSP] = slb + DmaProtectionHook.SLB_SIZE; // step 7
        c.state().rip = slb + entry; // step 8
        c.nextRip = slb + entry;
        c.suppressSingleStepTrap(); // no trace trap after SKINIT (15.27.6)
        c.signalEvent();
    }

    /**
     * Step 1: the state an INIT gives (APM Vol. 2 14.1.3, Table 14-1) with 15.27.6's differences: flat 32-bit
     * protected mode, paging off; CS = 8, SS = 10H (base 0, limit 4 GiB); DS, ES, FS, GS stay 16-bit real-mode
     * segments (selector 0, base 0, limit FFFFH); general-purpose registers cleared except EAX (the SLB base), EDX
     * (family, model and stepping: CPUID Fn0000_0001 EAX) and ESP (step 7); EFER = 0; VM_CR.DPD, R_INIT and DIS_A20M
     * set. x87/SSE state, CR8, PAT and the other MSRs keep their values (caches have nothing to keep).
     */
    private void reinitialise(Cpu c, long slb) {
        CpuState s = c.state();
        Arrays.fill(s.gpr, 0);
        s.gpr[Reg.RAX] = slb;
        int[] fms = c.profile().cpuidExact(1, 0);
        s.gpr[Reg.RDX] = fms == null ? 0 : fms[0] & 0xffffffffL;
        s.setRflags(Flags.FIXED1);
        s.cr0 = Cpu.CR0_CD | Cpu.CR0_NW | Cpu.CR0_ET | Cpu.CR0_PE; // INIT's CR0 (6000_0010H) plus PE
        s.cr2 = 0;
        s.cr3 = 0;
        s.cr4 = 0;
        s.efer = 0;
        s.xcr0 = 1;
        s.seg[Reg.CS].set(CS_SELECTOR, 0, 0xffffffffL, CS_ATTR);
        s.seg[Reg.SS].set(SS_SELECTOR, 0, 0xffffffffL, SS_ATTR);
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.FS, Reg.GS}) {
            s.seg[r].set(0, 0, 0xffff, 0x93);
        }
        s.ldtr.set(0, 0, 0xffff, 0x82);
        s.tr.set(0, 0, 0xffff, 0x8b);
        s.gdtrBase = 0;
        s.gdtrLimit = 0xffff;
        s.idtrBase = 0;
        s.idtrLimit = 0xffff;
        Arrays.fill(s.dr, 0, 4, 0);
        s.dr[6] = 0xffff0ff0L;
        s.dr[7] = 0x400;
        s.halted = false;
        s.stiShadow = false;
        s.movSsShadow = false;
        x.vmCr |= VM_CR_SET;
        c.setCpl(0);
        c.modeChanged();
        c.mmu().flushAll();
    }

    /** The last SKINIT's record. */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        SkinitLaunch l = last;
        return () -> last = l;
    }
}
