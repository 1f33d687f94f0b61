package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;
import java.util.function.Consumer;

/** The opcode map (every family's rows) and the dispatch from a decoded row to its family's handler. */
public final class Exec {
    private static final OpcodeTable TABLE = build();

    private Exec() {}

    /** The complete, immutable opcode table of the core (no extension rows). */
    public static OpcodeTable table() {
        return TABLE;
    }

    /** The core rows plus {@code ext}'s rows (a new table per installing CPU); the core table when null. */
    public static OpcodeTable table(CpuExtension ext) {
        return ext == null ? TABLE : table(ext::contributeRows);
    }

    /**
     * The core rows plus the rows an extension contributes; an extension whose rows do not depend on the CPU
     * builds its table once with this ({@code Exec.table(MyExtension::rows)}).
     */
    public static OpcodeTable table(Consumer<OpcodeTable.Builder> extensionRows) {
        OpcodeTable.Builder b = coreRows();
        extensionRows.accept(b);
        return b.build();
    }

    private static OpcodeTable build() {
        return coreRows().build();
    }

    private static OpcodeTable.Builder coreRows() {
        OpcodeTable.Builder b = new OpcodeTable.Builder();
        Arith.register(b);
        ShiftRotate.register(b);
        MulDiv.register(b);
        BitOps.register(b);
        Decimal.register(b);
        Move.register(b);
        Stack.register(b);
        Branch.register(b);
        StringOps.register(b);
        Misc.register(b);
        SystemInsns.register(b);
        SegmentInsns.register(b);
        Io.register(b);
        Fpu.register(b);
        FlagOps.register(b);
        return b;
    }

    public static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.family) {
            case Family.ARITH: Arith.execute(cpu, d); break;
            case Family.SHIFT: ShiftRotate.execute(cpu, d); break;
            case Family.MULDIV: MulDiv.execute(cpu, d); break;
            case Family.BITOPS: BitOps.execute(cpu, d); break;
            case Family.DECIMAL: Decimal.execute(cpu, d); break;
            case Family.MOVE: Move.execute(cpu, d); break;
            case Family.STACK: Stack.execute(cpu, d); break;
            case Family.BRANCH: Branch.execute(cpu, d); break;
            case Family.STRING: StringOps.execute(cpu, d); break;
            case Family.MISC: Misc.execute(cpu, d); break;
            case Family.SYSTEM: SystemInsns.execute(cpu, d); break;
            case Family.SEGMENT: SegmentInsns.execute(cpu, d); break;
            case Family.IO: Io.execute(cpu, d); break;
            case Family.FPU: Fpu.execute(cpu, d); break;
            case Family.FLAGS: FlagOps.execute(cpu, d); break;
            case Family.EXTENSION: extension(cpu, d); break;
            default: throw ArchFault.ud();
        }
    }

    private static void extension(Cpu cpu, DecodedInsn d) {
        CpuExtension x = cpu.extension();
        if (x == null) {
            throw ArchFault.ud();
        }
        x.execute(cpu, d);
    }
}
