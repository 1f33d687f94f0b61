package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.GuestMode;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.Segmentation;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.TripleFault;

/**
 * Far JMP and far CALL (SDM Vol. 2A CALL "far call" and JMP "far jump" pseudo-code; Vol. 3A 5.8.1-5.8.6
 * direct transfers, call gates, stack switching with parameter copy; 5.8.3.1 IA-32e 64-bit call gates;
 * 20.1 real-address mode; AMD APM Vol. 2 4.11.2-4.11.4). A transfer to a TSS or task gate is hardware
 * task switching, which is not modelled: the CPU shuts down naming the feature (legacy mode), or raises
 * #GP(selector) in IA-32e mode where task switching is architecturally absent (DEVIATIONS.md).
 *
 * <p>Order: every check happens first, then the pushes, then CS (and SS) load; a fault leaves no state
 * changed except memory below the stack pointer.
 */
final class FarTransfer {
    private FarTransfer() {}

    /** JMP ptr16:16/32, JMP m16:16/32/64. */
    static void jmp(Cpu cpu, int sel, long offset, int opSize) {
        if (!cpu.protectedMode() || cpu.v86()) {
            realMode(cpu, sel, offset, opSize, false);
            return;
        }
        long desc = descriptorOf(cpu, sel);
        int attr = Segmentation.attr(desc);
        if ((attr & Segment.ATTR_S) != 0) {
            TransferChecks.directCode(cpu, sel, attr);
            long target = TransferChecks.target(cpu, mask(offset, opSize), attr, Segmentation.limit(desc));
            cpu.segmentation().loadCs(sel, desc, cpu.cpl());
            cpu.nextRip = target;
            return;
        }
        Gate g = gate(cpu, sel, desc, GuestMode.TASK_SWITCH_JMP);
        // JMP through a call gate: no privilege change; non-conforming target needs DPL = CPL (5.8.6)
        if (!TransferChecks.conforming(g.csAttr) && TransferChecks.dpl(g.csAttr) != cpu.cpl()) {
            throw ArchFault.gp(g.csSel & 0xfffc);
        }
        TransferChecks.present(g.csAttr, g.csSel & 0xfffc);
        long target = TransferChecks.target(cpu, g.offset, g.csAttr, Segmentation.limit(g.csDesc));
        cpu.segmentation().loadCs(g.csSel, g.csDesc, cpu.cpl());
        cpu.nextRip = target;
    }

    /** CALL ptr16:16/32, CALL m16:16/32/64. */
    static void call(Cpu cpu, int sel, long offset, int opSize) {
        if (!cpu.protectedMode() || cpu.v86()) {
            realMode(cpu, sel, offset, opSize, true);
            return;
        }
        long desc = descriptorOf(cpu, sel);
        int attr = Segmentation.attr(desc);
        if ((attr & Segment.ATTR_S) != 0) {
            TransferChecks.directCode(cpu, sel, attr);
            long target = TransferChecks.target(cpu, mask(offset, opSize), attr, Segmentation.limit(desc));
            pushReturn(cpu, opSize);
            cpu.segmentation().loadCs(sel, desc, cpu.cpl());
            cpu.nextRip = target;
            return;
        }
        Gate g = gate(cpu, sel, desc, GuestMode.TASK_SWITCH_CALL);
        TransferChecks.present(g.csAttr, g.csSel & 0xfffc);
        long target = TransferChecks.target(cpu, g.offset, g.csAttr, Segmentation.limit(g.csDesc));
        int dpl = TransferChecks.dpl(g.csAttr);
        if (!TransferChecks.conforming(g.csAttr) && dpl < cpu.cpl()) {
            if (g.width == 8) {
                callGateInner64(cpu, g, dpl, target);
            } else {
                callGateInner(cpu, g, dpl, target);
            }
            return;
        }
        pushReturn(cpu, g.width);
        cpu.segmentation().loadCs(g.csSel, g.csDesc, cpu.cpl());
        cpu.nextRip = target;
    }

    /** Real-address and virtual-8086 mode: CS = selector, base = selector * 16; EIP checked against the CS limit. */
    private static void realMode(Cpu cpu, int sel, long offset, int opSize, boolean call) {
        long target = opSize == 2 ? offset & 0xffff : offset & 0xffffffffL;
        if (Long.compareUnsigned(target, cpu.state().seg[Reg.CS].limit) > 0) {
            throw ArchFault.gp0();
        }
        if (call) {
            pushReturn(cpu, opSize);
        }
        cpu.segmentation().loadRealCs(sel);
        cpu.nextRip = target;
    }

    private static long descriptorOf(Cpu cpu, int sel) {
        if ((sel & 0xfffc) == 0) {
            throw ArchFault.gp0();
        }
        return cpu.segmentation().descriptor(sel);
    }

    /** The offset of a direct far transfer: operand-size truncation; zero-extension into 64-bit code. */
    private static long mask(long offset, int opSize) {
        switch (opSize) {
            case 2: return offset & 0xffff;
            case 4: return offset & 0xffffffffL;
            default: return offset;
        }
    }

    /** Pushes CS then the return (E/R)IP with the given width, checking both stores before either. */
    private static void pushReturn(Cpu cpu, int width) {
        CpuState s = cpu.state();
        int sas = cpu.stackAddrSize();
        long m = Flags.mask(sas);
        long sp1 = (s.gpr[Reg.RSP] - width) & m;
        long sp2 = (s.gpr[Reg.RSP] - 2L * width) & m;
        long lin1 = cpu.linear(Reg.SS, sp1, width, Mmu.WRITE);
        long lin2 = cpu.linear(Reg.SS, sp2, width, Mmu.WRITE);
        cpu.probeWrite(lin1, width);
        cpu.probeWrite(lin2, width);
        cpu.writeLinear(lin1, width, s.seg[Reg.CS].selector);
        cpu.writeLinear(lin2, width, cpu.nextRip);
        cpu.setGpr(Reg.RSP, sas, sp2);
    }

    /** A call gate and the code segment it names, checked as SDM Vol. 2A CALL "CALL-GATE" requires. */
    private static final class Gate {
        int csSel;
        long csDesc;
        int csAttr;
        long offset;
        /** Push width: 2 (16-bit gate), 4 (32-bit gate), 8 (64-bit gate). */
        int width;
        int params;
    }

    private static Gate gate(Cpu cpu, int sel, long desc, int taskSwitchSource) {
        int attr = Segmentation.attr(desc);
        int type = attr & 0xf;
        int err = sel & 0xfffc;
        boolean ia32e = cpu.longMode();
        if (type == 1 || type == 9 || type == 5) {
            if (ia32e) {
                throw ArchFault.gp(err); // no task switching in IA-32e mode (SDM Vol. 3A 8.7)
            }
            if (cpu.guestMode().active()) { // a guest mode may exit before the task switch (VMX reason 9)
                cpu.guestMode().interceptTaskSwitch(type == 5 ? (int) (desc >>> 16) & 0xffff : sel, taskSwitchSource,
                        cpu);
            }
            throw new TripleFault("far JMP/CALL to a TSS or task gate (selector " + Integer.toHexString(sel)
                    + "): hardware task switching is not modelled");
        }
        if (ia32e ? type != 0xc : type != 4 && type != 0xc) {
            throw ArchFault.gp(err);
        }
        int gdpl = TransferChecks.dpl(attr);
        if (gdpl < cpu.cpl() || gdpl < (sel & 3)) {
            throw ArchFault.gp(err);
        }
        TransferChecks.present(attr, err);
        Gate g = new Gate();
        g.offset = (desc & 0xffff) | ((desc >>> 32) & 0xffff0000L);
        g.params = (int) (desc >>> 32) & 0x1f;
        g.width = type == 4 ? 2 : 4;
        if (type == 4) {
            g.offset &= 0xffff;
        }
        if (ia32e) {
            long high = cpu.readSystem(cpu.segmentation().descriptorAddress(sel, 15) + 8, 8);
            if (((high >>> 40) & 0x1f) != 0) {
                throw ArchFault.gp(err); // 5.8.3.1: the upper type field must be 0
            }
            g.offset |= (high & 0xffffffffL) << 32;
            g.width = 8;
            g.params = 0;
        }
        g.csSel = (int) (desc >>> 16) & 0xffff;
        if ((g.csSel & 0xfffc) == 0) {
            throw ArchFault.gp0();
        }
        g.csDesc = cpu.segmentation().descriptor(g.csSel);
        g.csAttr = Segmentation.attr(g.csDesc);
        if (!TransferChecks.isCode(g.csAttr) || TransferChecks.dpl(g.csAttr) > cpu.cpl()) {
            throw ArchFault.gp(g.csSel & 0xfffc);
        }
        if (ia32e && ((g.csAttr & Segment.ATTR_L) == 0 || (g.csAttr & Segment.ATTR_DB) != 0)) {
            throw ArchFault.gp(g.csSel & 0xfffc); // 64-bit call gates must name 64-bit code
        }
        return g;
    }

    /**
     * CALL through a 16/32-bit call gate to a more privileged non-conforming segment (SDM Vol. 3A 5.8.5,
     * Figure 5-13): new SS:ESP from the TSS, push old SS, old ESP, the gate's parameter count of
     * parameters copied from the old stack, old CS, old EIP.
     */
    private static void callGateInner(Cpu cpu, Gate g, int newCpl, long target) {
        CpuState s = cpu.state();
        long t = cpu.segmentation().tssStack(newCpl);
        int ssSel = (int) (t >>> 32) & 0xffff;
        long ssDesc = TransferChecks.tssSs(cpu, ssSel, newCpl);
        int ssAttr = Segmentation.attr(ssDesc);
        long ssBase = Segmentation.base(ssDesc), ssLimit = Segmentation.limit(ssDesc);
        boolean big = (ssAttr & Segment.ATTR_DB) != 0;
        long spMask = big ? 0xffffffffL : 0xffffL;
        int w = g.width;
        long sp = t & spMask;
        int total = (4 + g.params) * w;
        int err = ssSel & 0xfffc;
        TransferChecks.stackLinear(ssBase, ssLimit, ssAttr, (sp - total) & spMask, total, err);
        long oldSp = s.gpr[Reg.RSP];
        int oldSas = cpu.stackAddrSize();
        sp = pushTo(cpu, ssBase, ssLimit, ssAttr, sp, spMask, w, s.seg[Reg.SS].selector, err);
        sp = pushTo(cpu, ssBase, ssLimit, ssAttr, sp, spMask, w, oldSp, err);
        for (int i = g.params - 1; i >= 0; i--) {
            long v = cpu.read(Reg.SS, (oldSp + (long) i * w) & Flags.mask(oldSas), w);
            sp = pushTo(cpu, ssBase, ssLimit, ssAttr, sp, spMask, w, v, err);
        }
        sp = pushTo(cpu, ssBase, ssLimit, ssAttr, sp, spMask, w, s.seg[Reg.CS].selector, err);
        sp = pushTo(cpu, ssBase, ssLimit, ssAttr, sp, spMask, w, cpu.nextRip, err);
        cpu.segmentation().loadSs(ssSel, ssDesc);
        s.gpr[Reg.RSP] = big ? sp : (s.gpr[Reg.RSP] & ~0xffffL) | sp;
        cpu.segmentation().loadCs(g.csSel, g.csDesc, newCpl);
        cpu.nextRip = target;
    }

    private static long pushTo(Cpu cpu, long base, long limit, int attr, long sp, long mask, int w, long v, int err) {
        sp = (sp - w) & mask;
        long lin = TransferChecks.stackLinear(base, limit, attr, sp, w, err);
        cpu.writeLinearAs(lin, w, v, false);
        return sp;
    }

    /**
     * CALL through a 64-bit call gate to a more privileged level (SDM Vol. 3A 5.8.3.1, Figure 5-14): RSP
     * from the 64-bit TSS, SS becomes a null selector with RPL = new CPL, 8-byte pushes of SS, RSP, CS,
     * RIP; no parameter copy.
     */
    private static void callGateInner64(Cpu cpu, Gate g, int newCpl, long target) {
        CpuState s = cpu.state();
        long rsp = cpu.segmentation().tssStack(newCpl);
        long[] vals = {s.seg[Reg.SS].selector, s.gpr[Reg.RSP], s.seg[Reg.CS].selector, cpu.nextRip};
        long sp = rsp;
        for (long v : vals) {
            sp -= 8;
            if (!cpu.canonical(sp)) {
                throw ArchFault.ss(0);
            }
        }
        sp = rsp;
        for (long v : vals) {
            sp -= 8;
            cpu.writeLinearAs(sp, 8, v, false);
        }
        cpu.segmentation().loadNullSs(newCpl);
        s.gpr[Reg.RSP] = sp;
        cpu.segmentation().loadCs(g.csSel, g.csDesc, newCpl);
        cpu.nextRip = target;
    }
}
