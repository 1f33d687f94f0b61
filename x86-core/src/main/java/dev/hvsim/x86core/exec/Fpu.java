package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** The x87/SSE state area only: FNINIT, FNOP, FNSTSW, FNSTCW, FXSAVE, FXRSTOR (SDM Vol. 2A). */
final class Fpu {
    private Fpu() {}

    static void register(OpcodeTable.Builder b) {
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        throw ArchFault.ud();
    }
}
