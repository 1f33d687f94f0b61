package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Cache, TLB, monitor, performance-counter, segment-base and XCR instructions of the SYSTEM family:
 * WBINVD, INVD, LFENCE/MFENCE/SFENCE, CLFLUSH/CLFLUSHOPT, MONITOR/MWAIT, SWAPGS, RDPMC, INVLPG, INVPCID,
 * XGETBV/XSETBV, RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (SDM Vol. 2A-2C pages of those names; Vol. 3A
 * 4.10.4.1 (INVLPG, INVPCID), 8.10 (MONITOR/MWAIT), 13.3 (XCR0 rules); AMD APM Vol. 3). Caches are not
 * modelled, so the cache instructions are no-ops after their fault checks; MWAIT returns at once, as a
 * wake-up may architecturally happen at any time (DEVIATIONS.md).
 */
final class CacheTlbInsns {
    private CacheTlbInsns() {}

    static void register(OpcodeTable.Builder b) {
        int sys = Family.SYSTEM;
        int cpl0 = OpcodeRow.A_CPL0;
        int none = OpcodeRow.NONE;
        b.row(1, 0x09, "WBINVD", sys, SystemInsns.WBINVD).attrs(cpl0).intercept(InterceptPoint.WBINVD).cost("wbinvd").add();
        b.row(1, 0x08, "INVD", sys, SystemInsns.INVD).attrs(cpl0).intercept(InterceptPoint.INVD).cost("wbinvd").add();
        b.row(1, 0xAE, "LFENCE", sys, SystemInsns.FENCE).reg(5).regOnly().prefix(none).feature(Feature.SSE2).cost("nop").add();
        b.row(1, 0xAE, "MFENCE", sys, SystemInsns.FENCE).reg(6).regOnly().prefix(none).feature(Feature.SSE2).cost("nop").add();
        b.row(1, 0xAE, "SFENCE", sys, SystemInsns.FENCE).reg(7).regOnly().prefix(none).feature(Feature.SSE2).cost("nop").add();
        b.row(1, 0xAE, "CLFLUSH Mb", sys, SystemInsns.CLFLUSH).reg(7).prefix(none).feature(Feature.CLFLUSH).add();
        b.row(1, 0xAE, "CLFLUSHOPT Mb", sys, SystemInsns.CLFLUSH).reg(7).prefix(0x66).feature(Feature.CLFLUSHOPT).add();
        b.row(1, 0x01, "MONITOR", sys, SystemInsns.MONITOR).reg(1).rm(0).feature(Feature.MONITOR).cost("system").add();
        b.row(1, 0x01, "MWAIT", sys, SystemInsns.MWAIT).reg(1).rm(1).feature(Feature.MONITOR).cost("system").add();
        b.row(1, 0x01, "XGETBV", sys, SystemInsns.XGETBV).reg(2).rm(0).feature(Feature.XSAVE).cost("system").add();
        b.row(1, 0x01, "XSETBV", sys, SystemInsns.XSETBV).reg(2).rm(1).feature(Feature.XSAVE).cost("system").add();
        b.row(1, 0x01, "SWAPGS", sys, SystemInsns.SWAPGS).reg(7).rm(0).attrs(cpl0 | OpcodeRow.A_O64).cost("system").add();
        b.row(1, 0x01, "INVLPG Mb", sys, SystemInsns.INVLPG).reg(7).attrs(cpl0).intercept(InterceptPoint.INVLPG)
                .cost("invlpg").add();
        b.row(1, 0x33, "RDPMC", sys, SystemInsns.RDPMC).cost("system").add();
        b.row(2, 0x82, "INVPCID Gy,Mdq", sys, SystemInsns.INVPCID).prefix(0x66).feature(Feature.INVPCID).cost("invlpg").add();
        String[] base = {"RDFSBASE Ry", "RDGSBASE Ry", "WRFSBASE Ry", "WRGSBASE Ry"};
        for (int r = 0; r < 4; r++) {
            b.row(1, 0xAE, base[r], sys, SystemInsns.RDFSBASE + r).reg(r).prefix(0xF3).attrs(OpcodeRow.A_O64)
                    .feature(Feature.FSGSBASE).cost("mov").add();
        }
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case SystemInsns.WBINVD: case SystemInsns.INVD: case SystemInsns.FENCE: break;
            case SystemInsns.CLFLUSH: cpu.read(d.seg, cpu.ea(d), 1); break; // faults as a byte read (SDM CLFLUSH)
            case SystemInsns.MONITOR: monitor(cpu, d); break;
            case SystemInsns.MWAIT: mwait(cpu, d); break;
            case SystemInsns.SWAPGS: swapgs(cpu); break;
            case SystemInsns.RDPMC: rdpmc(cpu, d); break;
            case SystemInsns.INVLPG: cpu.mmu().flushPage(linearOf(cpu, d)); break;
            case SystemInsns.INVPCID: invpcid(cpu, d); break;
            case SystemInsns.XGETBV: xgetbv(cpu); break;
            case SystemInsns.XSETBV: xsetbv(cpu, d); break;
            case SystemInsns.RDFSBASE: case SystemInsns.RDGSBASE: case SystemInsns.WRFSBASE: case SystemInsns.WRGSBASE:
                fsgsbase(cpu, d);
                break;
            default: throw ArchFault.ud();
        }
    }

    private static void intercept(Cpu cpu, InterceptPoint p, DecodedInsn d) {
        if (cpu.guestMode().active()) {
            cpu.guestMode().interceptInstruction(p, d, cpu);
        }
    }

    /** Linear address of the memory operand without access checks (INVLPG never faults on it). */
    private static long linearOf(Cpu cpu, DecodedInsn d) {
        long ea = cpu.ea(d);
        if (cpu.mode64()) {
            return d.seg >= Reg.FS ? cpu.state().seg[d.seg].base + ea : ea;
        }
        return (cpu.state().seg[d.seg].base + ea) & 0xffffffffL;
    }

    /** MONITOR/MWAIT are #UD at CPL &gt; 0 (SDM Vol. 2A MONITOR "#UD ... if CPL &gt; 0"); no ECX extensions. */
    private static void monitorCommon(Cpu cpu, DecodedInsn d, InterceptPoint p) {
        if (cpu.cpl() > 0) {
            throw ArchFault.ud();
        }
        intercept(cpu, p, d);
        if (cpu.gpr(Reg.RCX, 4) != 0) {
            throw ArchFault.gp0();
        }
    }

    /** MONITOR: DS:rAX (segment override allowed) is checked like a byte read. */
    private static void monitor(Cpu cpu, DecodedInsn d) {
        monitorCommon(cpu, d, InterceptPoint.MONITOR);
        int seg = d.segOverride >= 0 ? d.segOverride : Reg.DS;
        cpu.read(seg, cpu.gpr(Reg.RAX, d.addrSize), 1);
    }

    /** MWAIT: CPUID leaf 5 advertises no extensions, so any ECX != 0 is #GP(0); returns at once. */
    private static void mwait(Cpu cpu, DecodedInsn d) {
        monitorCommon(cpu, d, InterceptPoint.MWAIT);
    }

    /** SWAPGS (64-bit mode, CPL 0): exchanges GS.base and IA32_KERNEL_GS_BASE. */
    private static void swapgs(Cpu cpu) {
        CpuState s = cpu.state();
        long k = s.msr(Msr.IA32_KERNEL_GS_BASE);
        s.msr.put(Msr.IA32_KERNEL_GS_BASE, s.seg[Reg.GS].base);
        s.seg[Reg.GS].base = k;
    }

    /**
     * RDPMC: #GP(0) at CPL &gt; 0 without CR4.PCE, and for a counter index the model does not know.
     * Counters are not modelled and read 0 (Intel: general 0-3, fixed 0x40000000-2; AMD: 0-5).
     */
    private static void rdpmc(Cpu cpu, DecodedInsn d) {
        if (cpu.protectedMode() && cpu.cpl() > 0 && !cpu.cr4(Cpu.CR4_PCE)) {
            throw ArchFault.gp0();
        }
        intercept(cpu, InterceptPoint.RDPMC, d);
        long ecx = cpu.gpr(Reg.RCX, 4);
        boolean ok = cpu.vendor() == Vendor.AMD ? ecx <= 5 : ecx <= 3 || ecx >= 0x40000000L && ecx <= 0x40000002L;
        if (!ok) {
            throw ArchFault.gp0();
        }
        cpu.setGpr(Reg.RAX, 4, 0);
        cpu.setGpr(Reg.RDX, 4, 0);
    }

    /**
     * INVPCID (SDM Vol. 2A): #UD in virtual-8086 mode, #GP(0) at CPL &gt; 0; descriptor bits 63:12 must be
     * 0; type 0 needs a canonical address; types 0/1 with PCID != 0 need CR4.PCIDE; type &gt; 3 #GP(0).
     * The TLB is not PCID-tagged: types 1 and 3 drop all non-global entries, type 2 everything.
     */
    private static void invpcid(Cpu cpu, DecodedInsn d) {
        if (cpu.v86()) {
            throw ArchFault.ud();
        }
        if (cpu.cpl() > 0) {
            throw ArchFault.gp0();
        }
        intercept(cpu, InterceptPoint.INVPCID, d);
        long type = cpu.readReg(d, d.reg, cpu.mode64() ? 8 : 4);
        long ea = cpu.ea(d);
        long lo = cpu.read(d.seg, ea, 8);
        long addr = cpu.read(d.seg, (ea + 8) & dev.hvsim.x86core.Flags.mask(d.addrSize), 8);
        long pcid = lo & 0xfff;
        if (Long.compareUnsigned(type, 3) > 0 || (lo >>> 12) != 0) {
            throw ArchFault.gp0();
        }
        if (type <= 1 && pcid != 0 && !cpu.cr4(Cpu.CR4_PCIDE)) {
            throw ArchFault.gp0();
        }
        switch ((int) type) {
            case 0:
                if (!cpu.canonical(addr)) {
                    throw ArchFault.gp0();
                }
                cpu.mmu().flushPage(addr);
                break;
            case 2: cpu.mmu().flushAll(); break;
            default: cpu.mmu().flushNonGlobal(); break;
        }
    }

    /** XGETBV: #UD without CR4.OSXSAVE; ECX = 0 reads XCR0; XINUSE (ECX = 1) is not advertised: #GP(0). */
    private static void xgetbv(Cpu cpu) {
        if (!cpu.cr4(Cpu.CR4_OSXSAVE)) {
            throw ArchFault.ud();
        }
        if (cpu.gpr(Reg.RCX, 4) != 0) {
            throw ArchFault.gp0();
        }
        long x = cpu.state().xcr0;
        cpu.setGpr(Reg.RAX, 4, x);
        cpu.setGpr(Reg.RDX, 4, x >>> 32);
    }

    /**
     * XSETBV (SDM Vol. 2C, Vol. 1 13.3): #UD without CR4.OSXSAVE; #GP(0) at CPL &gt; 0, for ECX != 0, for
     * XCR0[0] = 0, for bits CPUID.(EAX=0DH,ECX=0):EDX:EAX does not report, and for AVX without SSE.
     */
    private static void xsetbv(Cpu cpu, DecodedInsn d) {
        if (!cpu.cr4(Cpu.CR4_OSXSAVE)) {
            throw ArchFault.ud();
        }
        if (cpu.cpl() > 0) {
            throw ArchFault.gp0();
        }
        intercept(cpu, InterceptPoint.XSETBV, d);
        long v = cpu.gpr(Reg.RDX, 4) << 32 | cpu.gpr(Reg.RAX, 4);
        int[] leaf = cpu.profile().cpuidExact(0xd, 0);
        long supported = leaf == null ? 1 : (leaf[0] & 0xffffffffL) | (long) leaf[3] << 32;
        if (cpu.gpr(Reg.RCX, 4) != 0 || (v & 1) == 0 || (v & ~supported) != 0 || (v & 6) == 4) {
            throw ArchFault.gp0();
        }
        cpu.state().xcr0 = v;
    }

    /**
     * RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (64-bit mode): #UD unless CR4.FSGSBASE; 32-bit forms read the
     * low half / write a zero-extended base; a non-canonical 64-bit base is #GP(0).
     */
    private static void fsgsbase(Cpu cpu, DecodedInsn d) {
        if (!cpu.cr4(Cpu.CR4_FSGSBASE)) {
            throw ArchFault.ud();
        }
        int h = d.handler;
        int seg = h == SystemInsns.RDFSBASE || h == SystemInsns.WRFSBASE ? Reg.FS : Reg.GS;
        if (h <= SystemInsns.RDGSBASE) {
            cpu.writeReg(d, d.rm, d.opSize, cpu.state().seg[seg].base);
            return;
        }
        long v = cpu.readReg(d, d.rm, d.opSize);
        if (!cpu.canonical(v)) {
            throw ArchFault.gp0();
        }
        cpu.state().seg[seg].base = v;
    }
}
