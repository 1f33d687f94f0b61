package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** Shifts and rotates (SDM Vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD; BMI2 SARX/SHLX/SHRX/RORX). */
final class ShiftRotate {
    private ShiftRotate() {}

    static void register(OpcodeTable.Builder b) {
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        throw ArchFault.ud();
    }
}
