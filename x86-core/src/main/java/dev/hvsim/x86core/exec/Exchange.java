package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * The exchange half of the data-transfer family (SDM Vol. 2B XCHG, XADD; Vol. 2A CMPXCHG,
 * CMPXCHG8B/CMPXCHG16B; Vol. 3A 9.1.2.1 automatic locking; AMD APM Vol. 3 same pages). Memory forms are
 * read-modify-write: the write is permission-checked before anything changes, and registers and flags
 * change only after the store succeeded, so a fault leaves the architectural state untouched.
 *
 * <p>The model runs one CPU per memory image, so LOCK (and XCHG's implicit lock) needs no bus protocol
 * here; locked memory forms cost the profile's "locked" class.
 */
final class Exchange {
    static final int BASE = 32;
    static final int XCHG_EG = BASE, XCHG_Z = BASE + 1, XADD = BASE + 2, CMPXCHG = BASE + 3, CMPXCHG8B = BASE + 4,
            CMPXCHG16B = BASE + 5;

    private Exchange() {}

    static void register(OpcodeTable.Builder b) {
        int lock = OpcodeRow.A_LOCK;
        // XCHG with memory locks automatically (SDM Vol. 3A 9.1.2.1): separate rows for the cost class
        b.row(0, 0x86, "XCHG Eb,Gb", Family.MOVE, XCHG_EG).mem().attrs(lock).cost("locked").add();
        b.row(0, 0x86, "XCHG Eb,Gb", Family.MOVE, XCHG_EG).regOnly().cost("xchg").add();
        b.row(0, 0x87, "XCHG Ev,Gv", Family.MOVE, XCHG_EG).mem().attrs(lock).cost("locked").add();
        b.row(0, 0x87, "XCHG Ev,Gv", Family.MOVE, XCHG_EG).regOnly().cost("xchg").add();
        for (int r = 1; r < 8; r++) { // 90 (+ REX.B: XCHG r8,rAX) is registered by Misc, which delegates here
            b.row(0, 0x90 + r, "XCHG Zv,rAX", Family.MOVE, XCHG_Z).cost("xchg").add();
        }
        b.row(1, 0xC0, "XADD Eb,Gb", Family.MOVE, XADD).attrs(lock).cost("xchg").add();
        b.row(1, 0xC1, "XADD Ev,Gv", Family.MOVE, XADD).attrs(lock).cost("xchg").add();
        b.row(1, 0xB0, "CMPXCHG Eb,Gb", Family.MOVE, CMPXCHG).attrs(lock).cost("cmpxchg").add();
        b.row(1, 0xB1, "CMPXCHG Ev,Gv", Family.MOVE, CMPXCHG).attrs(lock).cost("cmpxchg").add();
        b.row(1, 0xC7, "CMPXCHG8B Mq", Family.MOVE, CMPXCHG8B).reg(1).attrs(lock | OpcodeRow.A_REXW0)
                .feature(Feature.CX8).cost("cmpxchg").add();
        b.row(1, 0xC7, "CMPXCHG16B Mdq", Family.MOVE, CMPXCHG16B).reg(1).attrs(lock | OpcodeRow.A_REXW1)
                .feature(Feature.CX16).cost("cmpxchg").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case XCHG_EG: xchg(cpu, d); break;
            case XCHG_Z: xchgAccumulator(cpu, d); break;
            case XADD: xadd(cpu, d); break;
            case CMPXCHG: cmpxchg(cpu, d); break;
            case CMPXCHG8B: cmpxchg8b(cpu, d); break;
            case CMPXCHG16B: cmpxchg16b(cpu, d); break;
            default: throw ArchFault.ud();
        }
    }

    private static void xchg(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        long g = cpu.readG(d);
        if (!d.memOp) {
            long e = cpu.readReg(d, d.rm, size);
            cpu.writeReg(d, d.rm, size, g);
            cpu.writeG(d, e);
            return;
        }
        long lin = cpu.linear(d.seg, cpu.ea(d), size, Mmu.WRITE);
        long e = cpu.readLinear(lin, size, Mmu.READ);
        cpu.writeLinear(lin, size, g);
        cpu.writeG(d, e);
    }

    /** XCHG rAX with the register in the opcode (91-97, and 90 with REX.B: SDM Vol. 2B XCHG, NOP). */
    static void xchgAccumulator(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        long a = cpu.gpr(Reg.RAX, size);
        cpu.setGpr(Reg.RAX, size, cpu.gpr(d.reg, size));
        cpu.setGpr(d.reg, size, a);
    }

    /** XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (so XADD r,r with one register leaves the sum). */
    private static void xadd(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        long src = cpu.readG(d);
        long dst;
        if (d.memOp) {
            long lin = cpu.linear(d.seg, cpu.ea(d), size, Mmu.WRITE);
            dst = cpu.readLinear(lin, size, Mmu.READ);
            cpu.writeLinear(lin, size, dst + src);
            cpu.writeG(d, dst);
        } else {
            dst = cpu.readReg(d, d.rm, size);
            cpu.writeG(d, dst);
            cpu.writeReg(d, d.rm, size, dst + src);
        }
        cpu.state().lazy(CpuState.LF_ADD, size, dst, src, dst + src);
    }

    /**
     * CMPXCHG (SDM Vol. 2A): flags as CMP accumulator,DEST. A memory destination always receives a write
     * cycle (the old value when the comparison fails). A register destination is left untouched on a
     * failed comparison and a successful one leaves the accumulator untouched: in 64-bit mode a 32-bit
     * form zero-extends only the register actually written (checked on hardware).
     */
    private static void cmpxchg(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        long acc = cpu.gpr(Reg.RAX, size);
        long src = cpu.readG(d);
        long dst;
        if (d.memOp) {
            long lin = cpu.linear(d.seg, cpu.ea(d), size, Mmu.WRITE);
            dst = cpu.readLinear(lin, size, Mmu.READ);
            cpu.writeLinear(lin, size, acc == dst ? src : dst);
        } else {
            dst = cpu.readReg(d, d.rm, size);
            if (acc == dst) {
                cpu.writeReg(d, d.rm, size, src);
            }
        }
        Arith.compute(cpu.state(), Arith.CMP, size, acc, dst);
        if (acc != dst) {
            cpu.setGpr(Reg.RAX, size, dst);
        }
    }

    /** CMPXCHG8B m64: EDX:EAX against memory; ZF only, the other flags unaffected (SDM Vol. 2A). */
    private static void cmpxchg8b(Cpu cpu, DecodedInsn d) {
        long lin = cpu.linear(d.seg, cpu.ea(d), 8, Mmu.WRITE);
        cpu.probeWrite(lin, 8);
        long m = cpu.readLinear(lin, 8, Mmu.READ);
        long expected = cpu.gpr(Reg.RDX, 4) << 32 | cpu.gpr(Reg.RAX, 4);
        boolean eq = m == expected;
        cpu.writeLinear(lin, 8, eq ? cpu.gpr(Reg.RCX, 4) << 32 | cpu.gpr(Reg.RBX, 4) : m);
        setZf(cpu.state(), eq);
        if (!eq) {
            cpu.setGpr(Reg.RAX, 4, m);
            cpu.setGpr(Reg.RDX, 4, m >>> 32);
        }
    }

    /** CMPXCHG16B m128: RDX:RAX against memory; #GP(0) unless the operand is 16-byte aligned (SDM Vol. 2A). */
    private static void cmpxchg16b(Cpu cpu, DecodedInsn d) {
        long lin = cpu.linear(d.seg, cpu.ea(d), 16, Mmu.WRITE);
        if ((lin & 15) != 0) {
            throw ArchFault.gp0();
        }
        cpu.probeWrite(lin, 16);
        long lo = cpu.readLinear(lin, 8, Mmu.READ);
        long hi = cpu.readLinear(lin + 8, 8, Mmu.READ);
        CpuState s = cpu.state();
        boolean eq = lo == s.gpr[Reg.RAX] && hi == s.gpr[Reg.RDX];
        cpu.writeLinear(lin, 8, eq ? s.gpr[Reg.RBX] : lo);
        cpu.writeLinear(lin + 8, 8, eq ? s.gpr[Reg.RCX] : hi);
        setZf(s, eq);
        if (!eq) {
            s.gpr[Reg.RAX] = lo;
            s.gpr[Reg.RDX] = hi;
        }
    }

    /** Sets ZF and keeps CF, PF, AF, SF, OF (materialising the lazy flags). */
    private static void setZf(CpuState s, boolean zf) {
        s.setOszapc((s.oszapc() & ~Flags.ZF) | (zf ? Flags.ZF : 0));
    }
}
