package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** NOP family, UD0/UD1/UD2 (SDM Vol. 2B NOP, UD). */
final class Misc {
    static final int NOP = 0;

    private Misc() {}

    static void register(OpcodeTable.Builder b) {
        b.row(0, 0x90, "NOP", Family.MISC, NOP).cost("nop").add();
        b.row(1, 0x1F, "NOP Ev", Family.MISC, NOP).reg(0).cost("nop").add();
        b.row(1, 0x0B, "UD2", Family.MISC, NOP).attrs(OpcodeRow.A_UD).add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case NOP: break;
            default: throw ArchFault.ud();
        }
    }
}
