package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** BT/BTS/BTR/BTC, BSF/BSR, LZCNT/TZCNT/POPCNT, BMI1/BMI2, ADCX/ADOX (SDM Vol. 2A/2B). */
final class BitOps {
    private BitOps() {}

    static void register(OpcodeTable.Builder b) {
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        throw ArchFault.ud();
    }
}
