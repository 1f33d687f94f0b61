package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** MOVS, CMPS, SCAS, LODS, STOS with REP/REPE/REPNE (SDM Vol. 2B; Vol. 1 7.3.9). */
final class StringOps {
    private StringOps() {}

    static void register(OpcodeTable.Builder b) {
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        throw ArchFault.ud();
    }
}
