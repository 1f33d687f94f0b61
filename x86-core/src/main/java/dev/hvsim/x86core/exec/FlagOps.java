package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Flag control: SDM Vol. 2A "CLC", "CLD", "CMC", "LAHF", Vol. 2B "SAHF", "STC", "STD"; Vol. 1 7.3.13
 * (flag control instructions); AMD APM Vol. 3 ch. 3 (same) and the undocumented SALC (D6: AL = CF ? FFh
 * : 0, flags unchanged), which Intel and AMD silicon execute outside 64-bit mode and treat as #UD in it
 * (DEVIATIONS.md "ALU families"). LAHF/SAHF in 64-bit mode need CPUID.80000001H:ECX.LAHF-SAHF[bit 0].
 */
final class FlagOps {
    static final int CLC = 0, STC = 1, CMC = 2, CLD = 3, STD = 4, LAHF = 5, SAHF = 6, SALC = 7;

    private FlagOps() {}

    static void register(OpcodeTable.Builder b) {
        b.row(0, 0xF8, "CLC", Family.FLAGS, CLC).cost("flags").add();
        b.row(0, 0xF9, "STC", Family.FLAGS, STC).cost("flags").add();
        b.row(0, 0xF5, "CMC", Family.FLAGS, CMC).cost("flags").add();
        b.row(0, 0xFC, "CLD", Family.FLAGS, CLD).cost("flags").add();
        b.row(0, 0xFD, "STD", Family.FLAGS, STD).cost("flags").add();
        // SDM LAHF/SAHF "64-Bit Mode Exceptions": #UD if CPUID.80000001H:ECX.LAHF-SAHF[bit 0] = 0
        b.row(0, 0x9F, "LAHF", Family.FLAGS, LAHF).attrs(OpcodeRow.A_I64).cost("flags").add();
        b.row(0, 0x9F, "LAHF", Family.FLAGS, LAHF).attrs(OpcodeRow.A_O64).feature(Feature.LAHF_LM).cost("flags").add();
        b.row(0, 0x9E, "SAHF", Family.FLAGS, SAHF).attrs(OpcodeRow.A_I64).cost("flags").add();
        b.row(0, 0x9E, "SAHF", Family.FLAGS, SAHF).attrs(OpcodeRow.A_O64).feature(Feature.LAHF_LM).cost("flags").add();
        b.row(0, 0xD6, "SALC", Family.FLAGS, SALC).attrs(OpcodeRow.A_I64).cost("flags").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        switch (d.handler) {
            case CLC: s.setOszapc(s.oszapc() & ~Flags.CF); break;
            case STC: s.setOszapc(s.oszapc() | Flags.CF); break;
            case CMC: s.setOszapc(s.oszapc() ^ Flags.CF); break;
            case CLD: s.flagsRest &= ~Flags.DF; break;
            case STD: s.flagsRest |= Flags.DF; break;
            case LAHF: {
                // AH = SF:ZF:0:AF:0:PF:1:CF (SDM LAHF "Operation")
                long ah = s.oszapc() & (Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF) | Flags.FIXED1;
                s.gpr[Reg.RAX] = s.gpr[Reg.RAX] & ~0xff00L | ah << 8;
                break;
            }
            case SAHF: {
                long ah = (s.gpr[Reg.RAX] >>> 8) & (Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF);
                s.setOszapc(s.oszapc() & Flags.OF | ah);
                break;
            }
            case SALC: cpu.setGpr(Reg.RAX, 1, s.cf() ? 0xff : 0); break;
            default: throw ArchFault.ud();
        }
    }
}
