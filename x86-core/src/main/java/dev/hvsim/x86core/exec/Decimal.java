package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** DAA, DAS, AAA, AAS, AAM, AAD (SDM Vol. 2A); invalid in 64-bit mode. */
final class Decimal {
    private Decimal() {}

    static void register(OpcodeTable.Builder b) {
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        throw ArchFault.ud();
    }
}
