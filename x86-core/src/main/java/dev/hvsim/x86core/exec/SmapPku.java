package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * STAC/CLAC (SDM Vol. 2A CLAC, Vol. 2B STAC: set/clear RFLAGS.AC for SMAP, Vol. 3A 4.6.1) and
 * RDPKRU/WRPKRU (SDM Vol. 2B RDPKRU, WRPKRU; Vol. 3A 4.6.2 protection keys). Part of the SYSTEM family.
 */
final class SmapPku {
    static final int CLAC = 45, STAC = 46, RDPKRU = 47, WRPKRU = 48;

    private SmapPku() {}

    static void register(OpcodeTable.Builder b) {
        int sys = Family.SYSTEM;
        b.row(1, 0x01, "CLAC", sys, CLAC).reg(1).rm(2).feature(Feature.SMAP).cost("flags").add();
        b.row(1, 0x01, "STAC", sys, STAC).reg(1).rm(3).feature(Feature.SMAP).cost("flags").add();
        b.row(1, 0x01, "RDPKRU", sys, RDPKRU).reg(5).rm(6).feature(Feature.PKU).cost("system").add();
        b.row(1, 0x01, "WRPKRU", sys, WRPKRU).reg(5).rm(7).feature(Feature.PKU).cost("system").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        switch (d.handler) {
            case CLAC: case STAC:
                // #UD at CPL > 0 and in virtual-8086 mode (SDM Vol. 2A CLAC "Protected Mode Exceptions").
                if (cpu.cpl() > 0 || cpu.v86()) {
                    throw ArchFault.ud();
                }
                if (d.handler == STAC) {
                    s.flagsRest |= Flags.AC;
                } else {
                    s.flagsRest &= ~Flags.AC;
                }
                break;
            case RDPKRU:
                // #UD unless CR4.PKE; #GP(0) unless ECX = 0 (SDM Vol. 2B RDPKRU).
                pkeEnabled(cpu);
                if (cpu.gpr(Reg.RCX, 4) != 0) {
                    throw ArchFault.gp0();
                }
                cpu.setGpr(Reg.RAX, 4, s.pkru & 0xffffffffL);
                cpu.setGpr(Reg.RDX, 4, 0);
                break;
            case WRPKRU:
                // #UD unless CR4.PKE; #GP(0) unless ECX = EDX = 0 (SDM Vol. 2B WRPKRU). The TLB caches
                // permissions computed with PKRU, so a write drops it.
                pkeEnabled(cpu);
                if (cpu.gpr(Reg.RCX, 4) != 0 || cpu.gpr(Reg.RDX, 4) != 0) {
                    throw ArchFault.gp0();
                }
                s.pkru = (int) cpu.gpr(Reg.RAX, 4);
                cpu.mmu().flushAll();
                break;
            default: throw ArchFault.ud();
        }
    }

    private static void pkeEnabled(Cpu cpu) {
        if (!cpu.cr4(Cpu.CR4_PKE)) {
            throw ArchFault.ud();
        }
    }
}
