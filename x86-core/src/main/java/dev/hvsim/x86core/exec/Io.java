package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** Port I/O (SDM Vol. 2A IN, Vol. 2B OUT; Vol. 1 ch. 19 for protection). */
final class Io {
    static final int IN_IMM = 0, IN_DX = 1, OUT_IMM = 2, OUT_DX = 3;

    private Io() {}

    static void register(OpcodeTable.Builder b) {
        b.row(0, 0xE4, "IN AL,Ib", Family.IO, IN_IMM).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0xE5, "IN eAX,Ib", Family.IO, IN_IMM).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0xEC, "IN AL,DX", Family.IO, IN_DX).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0xED, "IN eAX,DX", Family.IO, IN_DX).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0xE6, "OUT Ib,AL", Family.IO, OUT_IMM).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0xE7, "OUT Ib,eAX", Family.IO, OUT_IMM).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0xEE, "OUT DX,AL", Family.IO, OUT_DX).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0xEF, "OUT DX,eAX", Family.IO, OUT_DX).intercept(InterceptPoint.IO).cost("io").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        int size = d.opSize == 8 ? 4 : d.opSize;
        int port;
        switch (d.handler) {
            case IN_IMM: case OUT_IMM: port = (int) (d.imm & 0xff); break;
            case IN_DX: case OUT_DX: port = (int) cpu.gpr(Reg.RDX, 2); break;
            default: throw ArchFault.ud();
        }
        boolean in = d.handler == IN_IMM || d.handler == IN_DX;
        cpu.checkIo(port, size, in, d);
        if (in) {
            cpu.setGpr(Reg.RAX, size, cpu.ioIn(port, size));
        } else {
            cpu.ioOut(port, size, cpu.gpr(Reg.RAX, size));
        }
    }
}
