package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Port I/O (SDM Vol. 2A IN, INS/INSB/INSW/INSD; Vol. 2B OUT, OUTS/OUTSB/OUTSW/OUTSD, REP; Vol. 1 19.5
 * I/O protection: IOPL and the TSS I/O permission bitmap via {@link Cpu#checkIo}; AMD APM Vol. 2 13.3).
 *
 * <p>REP INS/OUTS run at most {@link #CHUNK} iterations per step and then re-execute (RIP stays at the
 * instruction), as an interruptible string instruction does on hardware (SDM Vol. 2B REP): a guest-chosen
 * RCX cannot keep the interpreter inside one instruction.
 */
final class Io {
    static final int IN_IMM = 0, IN_DX = 1, OUT_IMM = 2, OUT_DX = 3, INS = 4, OUTS = 5;
    static final int CHUNK = 4096;

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
        b.row(0, 0x6C, "INSB Yb,DX", Family.IO, INS).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0x6D, "INS Yz,DX", Family.IO, INS).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0x6E, "OUTSB DX,Xb", Family.IO, OUTS).intercept(InterceptPoint.IO).cost("io").add();
        b.row(0, 0x6F, "OUTS DX,Xz", Family.IO, OUTS).intercept(InterceptPoint.IO).cost("io").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        int size = d.opSize == 8 ? 4 : d.opSize;
        int port;
        switch (d.handler) {
            case IN_IMM: case OUT_IMM: port = (int) (d.imm & 0xff); break;
            case IN_DX: case OUT_DX: port = (int) cpu.gpr(Reg.RDX, 2); break;
            case INS: case OUTS: string(cpu, d, size, d.handler == INS); return;
            default: throw ArchFault.ud();
        }
        boolean in = d.handler == IN_IMM || d.handler == IN_DX;
        cpu.checkIo(port, size, in, d);
        if (cpu.vmExitTaken()) {
            return; // the guest mode's I/O exit (Cpu.exitWithoutUnwinding): the access does not happen
        }
        if (in) {
            cpu.setGpr(Reg.RAX, size, cpu.ioIn(port, size));
        } else {
            cpu.ioOut(port, size, cpu.gpr(Reg.RAX, size));
        }
    }

    /**
     * INS: ES:rDI (no override) receives the port; the store is checked before the port is read so a
     * faulting store loses no input. OUTS: the source segment honours overrides (default DS). rSI/rDI
     * step by the size, downwards with DF = 1; with REP, rCX counts down at the address size.
     */
    private static void string(Cpu cpu, DecodedInsn d, int size, boolean in) {
        int as = d.addrSize;
        boolean rep = d.rep != 0;
        long count = rep ? cpu.gpr(Reg.RCX, as) : 1;
        long delta = (cpu.state().flagsRest & Flags.DF) != 0 ? -size : size;
        int port = (int) cpu.gpr(Reg.RDX, 2);
        int seg = d.segOverride >= 0 ? d.segOverride : Reg.DS;
        for (int n = 0; count != 0; n++) {
            if (n == CHUNK) {
                cpu.nextRip = cpu.state().rip; // resume the REP on the next step
                return;
            }
            cpu.checkIo(port, size, in, d);
            if (in) {
                long di = cpu.gpr(Reg.RDI, as);
                long lin = cpu.linear(Reg.ES, di, size, Mmu.WRITE);
                cpu.probeWrite(lin, size);
                cpu.writeLinear(lin, size, cpu.ioIn(port, size));
                cpu.setGpr(Reg.RDI, as, di + delta);
            } else {
                long si = cpu.gpr(Reg.RSI, as);
                cpu.ioOut(port, size, cpu.read(seg, si, size));
                cpu.setGpr(Reg.RSI, as, si + delta);
            }
            if (!rep) {
                return;
            }
            count = (count - 1) & Flags.mask(as);
            cpu.setGpr(Reg.RCX, as, count);
        }
    }
}
