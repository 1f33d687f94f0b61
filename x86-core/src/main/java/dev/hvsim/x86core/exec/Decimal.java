package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Decimal arithmetic: SDM Vol. 2A "DAA", "DAS", "AAA", "AAS", "AAM", "AAD" (all invalid in 64-bit
 * mode); Vol. 1 7.3.2.3-7.3.2.4 (decimal arithmetic); AMD APM Vol. 3 ch. 3 (same). AAA/AAS use the
 * current SDM operation "AX + 106H" / "AX - 6, AH - 1" (a carry out of AL reaches AH), which AMD Zen
 * does (measured).
 *
 * <p>Undefined flags (DEVIATIONS.md "ALU families"): measured on AMD Zen, after sandpile.org's P4/Core
 * column for the Intel profile.
 */
final class Decimal {
    static final int DAA = 0, DAS = 1, AAA = 2, AAS = 3, AAM = 4, AAD = 5;

    private Decimal() {}

    static void register(OpcodeTable.Builder b) {
        int i64 = OpcodeRow.A_I64;
        b.row(0, 0x27, "DAA", Family.DECIMAL, DAA).attrs(i64).cost("decimal").add();
        b.row(0, 0x2F, "DAS", Family.DECIMAL, DAS).attrs(i64).cost("decimal").add();
        b.row(0, 0x37, "AAA", Family.DECIMAL, AAA).attrs(i64).cost("decimal").add();
        b.row(0, 0x3F, "AAS", Family.DECIMAL, AAS).attrs(i64).cost("decimal").add();
        b.row(0, 0xD4, "AAM Ib", Family.DECIMAL, AAM).attrs(i64).cost("decimal").add();
        b.row(0, 0xD5, "AAD Ib", Family.DECIMAL, AAD).attrs(i64).cost("decimal").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case DAA: case DAS: daa(cpu, d.handler == DAS); break;
            case AAA: case AAS: aaa(cpu, d.handler == AAS); break;
            case AAM: aam(cpu, (int) d.imm & 0xff); break;
            case AAD: aad(cpu, (int) d.imm & 0xff); break;
            default: throw ArchFault.ud();
        }
    }

    /** DAA/DAS (SDM "Operation"); OF: AMD sets it on a sign change 0->1 (DAA) / 1->0 (DAS), Intel clears it. */
    private static void daa(Cpu cpu, boolean sub) {
        CpuState s = cpu.state();
        long old = s.oszapc();
        int al = (int) cpu.gpr(Reg.RAX, 1);
        int oldAl = al;
        boolean oldCf = (old & Flags.CF) != 0;
        long cf = 0;
        long af = 0;
        if ((al & 0xf) > 9 || (old & Flags.AF) != 0) {
            int t = sub ? al - 6 : al + 6;
            cf = oldCf || (t & ~0xff) != 0 ? Flags.CF : 0;
            al = t & 0xff;
            af = Flags.AF;
        }
        if (oldAl > 0x99 || oldCf) {
            al = (sub ? al - 0x60 : al + 0x60) & 0xff;
            cf = Flags.CF;
        } else if (!sub) {
            cf = 0;
        }
        cpu.setGpr(Reg.RAX, 1, al);
        long of = 0;
        if (cpu.vendor() == Vendor.AMD) {
            int changed = sub ? oldAl & ~al : ~oldAl & al;
            of = (changed & 0x80) != 0 ? Flags.OF : 0;
        }
        s.setOszapc(Flags.szp(al, 1) | cf | af | of);
    }

    /**
     * AAA/AAS: when AL's low nibble exceeds 9 or AF is set, AX += 106H (AAS: AX -= 106H) and AF = CF = 1;
     * AL keeps its low nibble. OF/SF/ZF/PF are undefined: AMD gives the flags of that 16-bit addition
     * (of AX + 0 when no adjustment is made); Intel: OF = SF = 0, ZF/PF of AL before masking.
     */
    private static void aaa(Cpu cpu, boolean sub) {
        CpuState s = cpu.state();
        int ax = (int) cpu.gpr(Reg.RAX, 2);
        boolean adjust = (ax & 0xf) > 9 || s.af();
        int addend = adjust ? 0x106 : 0;
        int r = (sub ? ax - addend : ax + addend) & 0xffff;
        cpu.setGpr(Reg.RAX, 2, r & 0xff0f);
        long f = adjust ? Flags.AF | Flags.CF : 0;
        if (cpu.vendor() == Vendor.AMD) {
            boolean of = sub ? ((ax ^ addend) & (ax ^ r) & 0x8000) != 0 : ((ax ^ r) & (addend ^ r) & 0x8000) != 0;
            f |= Flags.szp(r, 2) | (of ? Flags.OF : 0);
        } else {
            f |= Flags.szp(r, 1) & (Flags.ZF | Flags.PF);
        }
        s.setOszapc(f);
    }

    /** AAM: AH = AL / imm8, AL = AL mod imm8; #DE for imm8 = 0; OF = AF = CF = 0 on both vendors. */
    private static void aam(Cpu cpu, int base) {
        if (base == 0) {
            throw ArchFault.de();
        }
        int al = (int) cpu.gpr(Reg.RAX, 1);
        int r = al % base;
        cpu.setGpr(Reg.RAX, 2, (al / base) << 8 | r);
        cpu.state().setOszapc(Flags.szp(r, 1));
    }

    /** AAD: AL = AL + AH * imm8, AH = 0; OF/AF/CF are those of the 8-bit addition (both vendors). */
    private static void aad(Cpu cpu, int base) {
        int ax = (int) cpu.gpr(Reg.RAX, 2);
        int al = ax & 0xff;
        int prod = ((ax >>> 8) * base) & 0xff;
        int r = (al + prod) & 0xff;
        cpu.setGpr(Reg.RAX, 2, r);
        long f = Flags.szp(r, 1) | (al + prod > 0xff ? Flags.CF : 0) | ((al ^ prod ^ r) & 0x10)
                | (((al ^ r) & (prod ^ r) & 0x80) != 0 ? Flags.OF : 0);
        cpu.state().setOszapc(f);
    }
}
