package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * The SVM instructions (AMD APM Vol. 3 "VMRUN", "VMLOAD", "VMSAVE", "STGI", "CLGI", "VMMCALL", "INVLPGA"; Vol. 2
 * 15.5, 15.17). Order of checks as the instruction pages give it: #UD when EFER.SVME = 0 (real mode: the row), then
 * the intercept when a guest runs, then #GP(0) for CPL > 0, then #GP(0) for a bad rAX.
 */
final class SvmInstructions {
    private final SvmExtension x;

    SvmInstructions(SvmExtension x) {
        this.x = x;
    }

    /**
     * #UD unless EFER.SVME; in a guest, #VMEXIT when {@code misc2Bit} is intercepted; #GP(0) at CPL > 0. Returns
     * false after an intercepted #VMEXIT, taken without unwinding (the instruction handlers return at once to the
     * core's step, {@link Transitions#exitWithoutUnwinding}); true when the instruction goes on.
     */
    private boolean common(DecodedInsn d, int misc2Bit, long exitCode) {
        return common(d, misc2Bit, exitCode, false);
    }

    /** As above; {@code withoutSvme}: the instruction is also available while EFER.SVME = 0. */
    private boolean common(DecodedInsn d, int misc2Bit, long exitCode, boolean withoutSvme) {
        Cpu c = x.cpu();
        if ((c.state().efer & Cpu.EFER_SVME) == 0 && !withoutSvme) {
            throw ArchFault.ud();
        }
        if (x.guestActive && x.guest.intercepted(V.MISC2, misc2Bit)) {
            x.transitions.exitWithoutUnwinding(exitCode, 0, 0, c.nextRip);
            return false;
        }
        if (c.cpl() != 0) {
            throw ArchFault.gp0();
        }
        return true;
    }

    /** rAX as a physical address: 4 KiB aligned and below 2^MAXPHYADDR, else #GP(0). */
    private long pageAddress(Cpu c) {
        long a = c.mode64() ? c.state().gpr[Reg.RAX] : c.state().gpr[Reg.RAX] & 0xffffffffL;
        if ((a & 0xfff) != 0 || (a >>> c.profile().maxPhysAddr()) != 0) {
            throw ArchFault.gp0();
        }
        return a;
    }

    void vmrun(DecodedInsn d) {
        if (common(d, V.M2_VMRUN, ExitCode.VMRUN)) {
            x.transitions.vmrun(pageAddress(x.cpu()));
        }
    }

    /** VMMCALL: #VMEXIT when intercepted, otherwise #UD (APM Vol. 3 "VMMCALL"); EFER.SVME is not required. */
    void vmmcall(DecodedInsn d) {
        if (x.guestActive && x.guest.intercepted(V.MISC2, V.M2_VMMCALL)) {
            x.transitions.exitWithoutUnwinding(ExitCode.VMMCALL, 0, 0, x.cpu().nextRip); // the handler returns at once
            return;
        }
        throw ArchFault.ud();
    }

    /**
     * STGI / CLGI: set / clear the global interrupt flag. APM Vol. 2 15.4: STGI (like SKINIT) is also available with
     * EFER.SVME = 0 when CPUID Fn8000_0001 ECX[SKINIT] = 1 (a secure loader runs with EFER = 0 and ends with STGI).
     */
    void gif(DecodedInsn d, boolean set) {
        if (!common(d, set ? V.M2_STGI : V.M2_CLGI, set ? ExitCode.STGI : ExitCode.CLGI,
                set && x.cpu().has(Feature.SKINIT))) {
            return;
        }
        if (x.guestActive && x.vintr.setVirtualGif(x.cpu(), set)) {
            return; // VGIF (15.33.2): a guest's STGI/CLGI acts on V_GIF (VirtualInterrupts)
        }
        x.gif = set;
        if (set) {
            x.cpu().signalEvent(); // 15.17: interrupts held by GIF = 0 are taken at the next boundary
        }
    }

    /**
     * INVLPGA rAX, ECX (APM Vol. 3 "INVLPGA"): invalidates the TLB mapping of the page at linear address rAX (RAX in
     * 64-bit mode, EAX otherwise) for the ASID in ECX, in every context of that ASID; other ASIDs keep theirs.
     */
    void invlpga(DecodedInsn d) {
        Cpu c = x.cpu();
        if ((c.state().efer & Cpu.EFER_SVME) == 0) {
            throw ArchFault.ud();
        }
        if (x.guestActive && x.guest.intercepted(V.MISC1, V.M1_INVLPGA)) {
            x.transitions.exitWithoutUnwinding(ExitCode.INVLPGA, 0, 0, c.nextRip); // 15.8.3: address in rAX
            return;
        }
        if (c.cpl() != 0) {
            throw ArchFault.gp0();
        }
        long linear = c.mode64() ? c.state().gpr[Reg.RAX] : c.state().gpr[Reg.RAX] & 0xffffffffL;
        x.paging.invlpga(linear, c.state().gpr[Reg.RCX] & 0xffffffffL);
    }

    /**
     * VMLOAD / VMSAVE (APM Vol. 2 15.5.2): FS, GS, TR, LDTR with their hidden state, KernelGsBase, STAR, LSTAR,
     * CSTAR, SFMASK, SYSENTER_CS/ESP/EIP between the CPU and the VMCB at rAX.
     */
    void vmload(DecodedInsn d, boolean load) {
        if (!common(d, load ? V.M2_VMLOAD : V.M2_VMSAVE, load ? ExitCode.VMLOAD : ExitCode.VMSAVE)) {
            return;
        }
        Cpu c = x.cpu();
        long pa = pageAddress(c);
        CpuState s = c.state();
        VmcbSnapshot v = load ? VmcbSnapshot.read(c.bus(), pa) : null;
        segment(c, pa, v, V.FS, s.seg[Reg.FS]);
        segment(c, pa, v, V.GS, s.seg[Reg.GS]);
        segment(c, pa, v, V.TR, s.tr);
        segment(c, pa, v, V.LDTR, s.ldtr);
        int[] offs = {V.KERNEL_GS_BASE, V.STAR, V.LSTAR, V.CSTAR, V.SFMASK, V.SYSENTER_CS, V.SYSENTER_ESP,
            V.SYSENTER_EIP};
        long[] msrs = {Msr.IA32_KERNEL_GS_BASE, Msr.IA32_STAR, Msr.IA32_LSTAR, Msr.IA32_CSTAR, Msr.IA32_FMASK,
            Msr.IA32_SYSENTER_CS, Msr.IA32_SYSENTER_ESP, Msr.IA32_SYSENTER_EIP};
        for (int i = 0; i < offs.length; i++) {
            if (load) {
                s.msr.put(msrs[i], v.q(offs[i]));
            } else {
                c.bus().write(pa + offs[i], 8, s.msr(msrs[i]));
            }
        }
        if (load) {
            c.modeChanged();
        }
    }

    private static void segment(Cpu c, long pa, VmcbSnapshot v, int off, Segment sg) {
        if (v != null) {
            Transitions.loadSegment(v, off, sg);
        } else {
            Transitions.storeSegment(c, pa, off, sg);
        }
    }
}
