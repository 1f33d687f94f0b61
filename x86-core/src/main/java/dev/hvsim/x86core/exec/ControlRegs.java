package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;

/**
 * MOV to/from control registers and debug registers, and the control-register write rules shared with
 * LMSW and CLTS.
 *
 * <ul>
 *   <li>SDM Vol. 2B "MOV—Move to/from Control Registers", "MOV—Move to/from Debug Registers", LMSW, CLTS.</li>
 *   <li>SDM Vol. 3A 2.5 (control registers, reserved bits, Table 2-2 for EM/TS/MP), 4.1.1-4.1.3 (paging-mode
 *       changes), 4.4.1 (PDPTE loading), 4.10.4.1 (operations that invalidate TLBs), 10.8.5 (IA-32e
 *       activation: EFER.LMA), 18.2 (debug registers; 18.2.4 DR6, 18.2.4 DR7.GD general detect).</li>
 *   <li>AMD APM Vol. 2 3.1 (system-control registers), 5.1, 13.1.</li>
 * </ul>
 *
 * <p>The software TLB caches permissions computed with CR0.WP, CR4.SMEP/SMAP/PKE and EFER.NXE; changing
 * any of them therefore flushes it (the architecture permits over-invalidation, 4.10.4).
 */
final class ControlRegs {
    /** CR0 bits that exist (SDM Vol. 3A 2.5, Figure 2-7); the other low bits are ignored, ET reads 1. */
    static final long CR0_DEFINED = Cpu.CR0_PE | Cpu.CR0_MP | Cpu.CR0_EM | Cpu.CR0_TS | Cpu.CR0_ET | Cpu.CR0_NE
            | Cpu.CR0_WP | Cpu.CR0_AM | Cpu.CR0_NW | Cpu.CR0_CD | Cpu.CR0_PG;
    private static final long CR4_FLUSH = Cpu.CR4_PGE | Cpu.CR4_PAE | Cpu.CR4_PSE | Cpu.CR4_PCIDE | Cpu.CR4_SMEP
            | Cpu.CR4_SMAP | Cpu.CR4_PKE | Cpu.CR4_LA57;
    private static final long DR6_FIXED1 = 0xffff0ff0L, DR6_WRITABLE = 0xe00fL;
    private static final long DR7_FIXED1 = 0x400L, DR7_WRITABLE = 0xffff23ffL, DR7_GD = 1L << 13, DR6_BD = 1L << 13;

    private ControlRegs() {}

    /** CR0, CR2, CR3, CR4, and CR8 in 64-bit mode; anything else is #UD (SDM Vol. 2B MOV CR). */
    private static int crNumber(Cpu cpu, DecodedInsn d) {
        int cr = d.reg;
        if (cr == 0 || cr == 2 || cr == 3 || cr == 4 || cr == 8 && cpu.mode64()) {
            return cr;
        }
        throw ArchFault.ud();
    }

    /** MOV Rd/q, Cr (0F 20). */
    static void movFromCr(Cpu cpu, DecodedInsn d) {
        int cr = crNumber(cpu, d);
        if (cpu.guestMode().active()) {
            cpu.guestMode().interceptCr(cr, false, 0, cpu);
        }
        CpuState s = cpu.state();
        long v;
        switch (cr) {
            case 0: v = crRead(cpu, 0, s.cr0); break;
            case 2: v = s.cr2; break;
            case 3: v = s.cr3; break;
            case 4: v = crRead(cpu, 4, s.cr4); break;
            default: v = crRead(cpu, 8, s.cr8); break;
        }
        cpu.writeReg(d, d.rm, d.opSize, v);
    }

    /** A CR write the core found valid: the guest mode's late intercept point (GuestMode.interceptCrWrite). */
    private static void validCrWrite(Cpu cpu, int cr, long v) {
        if (cpu.guestMode().active()) {
            cpu.guestMode().interceptCrWrite(cr, v, cpu);
        }
    }

    /** CR0/CR4 as the installed extension lets software read them (e.g. read shadows); SMSW uses it too. */
    static long crRead(Cpu cpu, int cr, long v) {
        CpuExtension x = cpu.extension();
        return x == null ? v : x.crReadValue(cpu, cr, v);
    }

    /** MOV Cr, Rd/q (0F 22). Outside 64-bit mode the value is 32 bits (the upper half becomes 0). */
    static void movToCr(Cpu cpu, DecodedInsn d) {
        int cr = crNumber(cpu, d);
        long v = cpu.readReg(d, d.rm, d.opSize);
        if (cpu.guestMode().active()) {
            cpu.guestMode().interceptCr(cr, true, v, cpu);
        }
        switch (cr) {
            case 0: writeCr0(cpu, v); break;
            case 2: validCrWrite(cpu, 2, v); cpu.state().cr2 = v; break;
            case 3: writeCr3(cpu, v); break;
            case 4: writeCr4(cpu, v); break;
            default: writeCr8(cpu, v); break;
        }
    }

    /**
     * CR0 write with every #GP(0) of SDM Vol. 2B MOV CR and Vol. 3A 2.5: bits 63:32 set; PG without PE;
     * NW without CD; activating IA-32e mode (PG with EFER.LME) without CR4.PAE or with CS.L = 1; clearing
     * PG in 64-bit mode or with CR4.PCIDE = 1; reserved PDPTEs when PAE paging results (4.4.1).
     */
    static void writeCr0(Cpu cpu, long v) {
        CpuState s = cpu.state();
        if (cpu.extension() != null) {
            v = cpu.extension().crWriteValue(cpu, 0, s.cr0, v);
        }
        if ((v >>> 32) != 0) {
            throw ArchFault.gp0();
        }
        v = (v & CR0_DEFINED) | Cpu.CR0_ET;
        if ((v & Cpu.CR0_PG) != 0 && (v & Cpu.CR0_PE) == 0 || (v & Cpu.CR0_NW) != 0 && (v & Cpu.CR0_CD) == 0) {
            throw ArchFault.gp0();
        }
        long old = s.cr0;
        long changed = old ^ v;
        boolean pgOn = (changed & Cpu.CR0_PG) != 0 && (v & Cpu.CR0_PG) != 0;
        boolean pgOff = (changed & Cpu.CR0_PG) != 0 && (v & Cpu.CR0_PG) == 0;
        boolean lme = (s.efer & Cpu.EFER_LME) != 0;
        if (pgOff && (cpu.mode64() || cpu.cr4(Cpu.CR4_PCIDE))) {
            throw ArchFault.gp0();
        }
        if (pgOn && lme && (!cpu.cr4(Cpu.CR4_PAE) || s.seg[Reg.CS].longMode())) {
            throw ArchFault.gp0();
        }
        validCrWrite(cpu, 0, v);
        if (cpu.extension() != null) {
            cpu.extension().checkCrWrite(cpu, 0, old, v);
        }
        boolean paePaging = (v & Cpu.CR0_PG) != 0 && cpu.cr4(Cpu.CR4_PAE) && !lme;
        if (paePaging && (changed & (Cpu.CR0_PG | Cpu.CR0_CD | Cpu.CR0_NW)) != 0) {
            cpu.mmu().loadPdptes(s.cr3);
        }
        s.cr0 = v;
        if (pgOn && lme) {
            s.efer |= Cpu.EFER_LMA; // SDM Vol. 3A 10.8.5
        } else if (pgOff) {
            s.efer &= ~Cpu.EFER_LMA; // 10.8.5.4
        }
        if ((changed & (Cpu.CR0_PG | Cpu.CR0_WP | Cpu.CR0_PE)) != 0) {
            cpu.mmu().flushAll();
        }
        cpu.modeChanged();
    }

    /**
     * CR3 write (SDM Vol. 3A 4.10.4.1, 4.5 PCIDs): bits 63:MAXPHYADDR are reserved (#GP(0)); with
     * CR4.PCIDE = 1, bit 63 = 1 means "do not invalidate" and is not stored; PAE paging reloads the PDPTEs.
     */
    static void writeCr3(Cpu cpu, long v) {
        CpuState s = cpu.state();
        boolean noFlush = false;
        if (cpu.cr4(Cpu.CR4_PCIDE) && v < 0) {
            noFlush = true;
            v &= Long.MAX_VALUE;
        }
        if ((v & ~cpu.mmu().physAddrMask()) != 0) {
            throw ArchFault.gp0();
        }
        validCrWrite(cpu, 3, v);
        if (cpu.pagingEnabled() && cpu.cr4(Cpu.CR4_PAE) && !cpu.longMode()) {
            cpu.mmu().loadPdptes(v);
        }
        s.cr3 = v;
        if (!noFlush) {
            cpu.mmu().flushNonGlobal();
        }
    }

    /** The CR4 bits the profile's CPUID makes writable (SDM Vol. 3A 2.5, Figure 2-7 and the CPUID flags). */
    static long cr4Allowed(Cpu cpu) {
        long a = Cpu.CR4_PCE;
        int edx = cpu.cpuidTable().value(1, 0, 3), ecx = cpu.cpuidTable().value(1, 0, 2);
        a |= (edx & 2) != 0 ? Cpu.CR4_VME | Cpu.CR4_PVI : 0;
        a |= (edx & (1 << 7)) != 0 ? Cpu.CR4_MCE : 0;
        a |= (edx & (1 << 25)) != 0 ? Cpu.CR4_OSXMMEXCPT : 0;
        a |= (ecx & (1 << 6)) != 0 ? Cpu.CR4_SMXE : 0;
        a |= cpu.has(Feature.TSC) ? Cpu.CR4_TSD : 0;
        a |= cpu.has(Feature.DE) ? Cpu.CR4_DE : 0;
        a |= cpu.has(Feature.PSE) ? Cpu.CR4_PSE : 0;
        a |= cpu.has(Feature.PAE) ? Cpu.CR4_PAE : 0;
        a |= cpu.has(Feature.PGE) ? Cpu.CR4_PGE : 0;
        a |= cpu.has(Feature.FXSR) ? Cpu.CR4_OSFXSR : 0;
        a |= cpu.has(Feature.UMIP) ? Cpu.CR4_UMIP : 0;
        a |= cpu.has(Feature.LA57) ? Cpu.CR4_LA57 : 0;
        a |= cpu.has(Feature.FSGSBASE) ? Cpu.CR4_FSGSBASE : 0;
        a |= cpu.has(Feature.PCID) ? Cpu.CR4_PCIDE : 0;
        a |= cpu.has(Feature.XSAVE) ? Cpu.CR4_OSXSAVE : 0;
        a |= cpu.has(Feature.SMEP) ? Cpu.CR4_SMEP : 0;
        a |= cpu.has(Feature.SMAP) ? Cpu.CR4_SMAP : 0;
        a |= cpu.has(Feature.PKU) ? Cpu.CR4_PKE : 0;
        CpuExtension x = cpu.extension();
        return x == null ? a : a | x.cr4Bits(cpu); // e.g. VMXE: only with an extension that owns it

    }

    /**
     * CR4 write (SDM Vol. 2B MOV CR, Vol. 3A 2.5, 4.10.4.1): reserved or unsupported bits #GP(0); setting
     * PCIDE outside IA-32e mode or with CR3[11:0] != 0; clearing PAE or changing LA57 while IA-32e mode
     * is active. PAE paging reloads the PDPTEs when PAE, PGE, PSE or SMEP change (4.4.1).
     */
    static void writeCr4(Cpu cpu, long v) {
        CpuState s = cpu.state();
        if (cpu.extension() != null) {
            v = cpu.extension().crWriteValue(cpu, 4, s.cr4, v);
        }
        if ((v & ~cr4Allowed(cpu)) != 0) {
            throw ArchFault.gp0();
        }
        long old = s.cr4;
        long changed = old ^ v;
        boolean lma = cpu.longMode();
        if ((changed & v & Cpu.CR4_PCIDE) != 0 && (!lma || (s.cr3 & 0xfff) != 0)) {
            throw ArchFault.gp0();
        }
        if (lma && ((v & Cpu.CR4_PAE) == 0 || (changed & Cpu.CR4_LA57) != 0)) {
            throw ArchFault.gp0();
        }
        validCrWrite(cpu, 4, v);
        if (cpu.extension() != null) {
            cpu.extension().checkCrWrite(cpu, 4, old, v);
        }
        boolean paePaging = cpu.pagingEnabled() && (v & Cpu.CR4_PAE) != 0 && !lma;
        if (paePaging && (changed & (Cpu.CR4_PAE | Cpu.CR4_PGE | Cpu.CR4_PSE | Cpu.CR4_SMEP)) != 0) {
            cpu.mmu().loadPdptes(s.cr3);
        }
        s.cr4 = v;
        if ((changed & CR4_FLUSH) != 0) {
            cpu.mmu().flushAll();
        }
    }

    /** CR8 (TPR): bits 63:4 are reserved (SDM Vol. 3A 2.5, 11.8.6.1). A lower TPR may unmask an interrupt. */
    static void writeCr8(Cpu cpu, long v) {
        if ((v & ~0xfL) != 0) {
            throw ArchFault.gp0();
        }
        validCrWrite(cpu, 8, v);
        if (cpu.extension() != null && cpu.extension().virtualCr8Write(cpu, v)) {
            return; // e.g. VMX TPR shadow, AMD V_INTR_MASKING: the physical TPR is unchanged
        }
        cpu.state().cr8 = v;
        cpu.interruptSource().cr8Written(v);
        cpu.signalEvent();
    }

    // ------------------------------------------------------------------ debug registers

    /**
     * The debug register a MOV DR names: DR4/DR5 alias DR6/DR7 unless CR4.DE = 1 (#UD); DR8-15 #UD; with
     * DR7.GD = 1 the access is a #DB fault with DR6.BD set and GD cleared (SDM Vol. 3A 18.2.2, 18.2.4).
     */
    private static int drNumber(Cpu cpu, DecodedInsn d) {
        int dr = d.reg;
        if (dr > 7) {
            throw ArchFault.ud();
        }
        if (dr == 4 || dr == 5) {
            if (cpu.cr4(Cpu.CR4_DE)) {
                throw ArchFault.ud();
            }
            dr += 2;
        }
        CpuState s = cpu.state();
        if ((s.dr[7] & DR7_GD) != 0) {
            s.dr[6] |= DR6_BD;
            s.dr[7] &= ~DR7_GD;
            throw ArchFault.of(Vectors.DB);
        }
        return dr;
    }

    /** MOV Rd/q, DRn (0F 21). */
    static void movFromDr(Cpu cpu, DecodedInsn d) {
        int dr = drNumber(cpu, d);
        cpu.writeReg(d, d.rm, d.opSize, cpu.state().dr[dr]);
    }

    /** MOV DRn, Rd/q (0F 23): DR6/DR7 bits 63:32 set is #GP(0); fixed bits are forced (18.2.4, 18.2.5). */
    static void movToDr(Cpu cpu, DecodedInsn d) {
        int dr = drNumber(cpu, d);
        long v = cpu.readReg(d, d.rm, d.opSize);
        CpuState s = cpu.state();
        if (dr < 4) {
            s.dr[dr] = v;
            return;
        }
        if ((v >>> 32) != 0) {
            throw ArchFault.gp0();
        }
        if (dr == 6) {
            s.dr[6] = (v & DR6_WRITABLE) | DR6_FIXED1;
        } else {
            s.dr[7] = (v & DR7_WRITABLE) | DR7_FIXED1;
        }
    }
}
