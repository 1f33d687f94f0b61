package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** CLC, STC, CMC, CLD, STD, LAHF, SAHF (SDM Vol. 2A/2B). */
final class FlagOps {
    private FlagOps() {}

    static void register(OpcodeTable.Builder b) {
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        throw ArchFault.ud();
    }
}
