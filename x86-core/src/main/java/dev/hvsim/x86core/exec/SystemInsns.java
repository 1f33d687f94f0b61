package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** System instructions (SDM Vol. 2 HLT, CLI, STI; Vol. 3A 2.8). */
final class SystemInsns {
    static final int HLT = 0, CLI = 1, STI = 2;

    private SystemInsns() {}

    static void register(OpcodeTable.Builder b) {
        b.row(0, 0xF4, "HLT", Family.SYSTEM, HLT).attrs(OpcodeRow.A_CPL0).intercept(InterceptPoint.HLT).cost("hlt").add();
        b.row(0, 0xFA, "CLI", Family.SYSTEM, CLI).cost("flags").add();
        b.row(0, 0xFB, "STI", Family.SYSTEM, STI).cost("flags").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case HLT:
                cpu.state().halted = true;
                cpu.signalEvent();
                break;
            case CLI: case STI: {
                // SDM Vol. 2A CLI / Vol. 2B STI: IOPL-sensitive (VME/PVI not modelled)
                if (cpu.protectedMode() && cpu.cpl() > cpu.state().iopl()) {
                    throw ArchFault.gp0();
                }
                if (d.handler == CLI) {
                    cpu.state().flagsRest &= ~Flags.IF;
                } else {
                    if ((cpu.state().flagsRest & Flags.IF) == 0) {
                        cpu.beginStiShadow();
                    }
                    cpu.state().flagsRest |= Flags.IF;
                    cpu.signalEvent();
                }
                break;
            }
            default: throw ArchFault.ud();
        }
    }
}
