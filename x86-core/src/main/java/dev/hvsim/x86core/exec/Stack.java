package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** PUSH, POP, PUSHA/POPA, PUSHF/POPF, ENTER, LEAVE (SDM Vol. 2B; Vol. 1 6.2-6.5). */
final class Stack {
    private Stack() {}

    static void register(OpcodeTable.Builder b) {
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        throw ArchFault.ud();
    }
}
