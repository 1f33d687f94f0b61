package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** Segment-register loads, far JMP/CALL/RET (also through call gates), IRET (SDM Vol. 2A/2B; Vol. 3A 5.8). */
final class SegmentInsns {
    private SegmentInsns() {}

    static void register(OpcodeTable.Builder b) {
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        throw ArchFault.ud();
    }
}
