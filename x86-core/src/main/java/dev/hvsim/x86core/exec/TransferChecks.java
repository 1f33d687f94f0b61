package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.Segmentation;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Checks shared by the far control transfers (SDM Vol. 2A CALL, JMP; Vol. 2B RET, IRET pseudo-code;
 * Vol. 3A 5.8 privilege-level checks when transferring program control, 5.8.3.1 IA-32e call gates;
 * AMD APM Vol. 2 4.11). Every method only checks and computes: none changes architectural state.
 */
final class TransferChecks {
    private TransferChecks() {}

    static boolean isCode(int attr) {
        return (attr & Segment.ATTR_S) != 0 && (attr & 8) != 0;
    }

    static boolean conforming(int attr) {
        return (attr & 4) != 0;
    }

    static int dpl(int attr) {
        return (attr >>> 5) & 3;
    }

    /** A code segment that makes 64-bit code: IA-32e mode active and CS.L = 1. */
    static boolean is64(Cpu cpu, int attr) {
        return cpu.longMode() && (attr & Segment.ATTR_L) != 0;
    }

    /**
     * A code segment reached directly by far JMP/CALL (SDM Vol. 3A 5.8.1, 5.8.2): conforming needs
     * DPL &le; CPL, non-conforming needs RPL &le; CPL and DPL = CPL; #GP(selector), #NP(selector) when not
     * present; in IA-32e mode L = 1 with D = 1 is #GP(selector).
     */
    static void directCode(Cpu cpu, int sel, int attr) {
        int err = sel & 0xfffc;
        int cpl = cpu.cpl();
        if (!isCode(attr)) {
            throw ArchFault.gp(err);
        }
        if (conforming(attr) ? dpl(attr) > cpl : (sel & 3) > cpl || dpl(attr) != cpl) {
            throw ArchFault.gp(err);
        }
        present(attr, err);
        longModeBits(cpu, attr, err);
    }

    static void present(int attr, int err) {
        if ((attr & Segment.ATTR_P) == 0) {
            throw ArchFault.np(err);
        }
    }

    /** SDM Vol. 2A JMP/CALL: "IF IA32_EFER.LMA = 1 and CS.L = 1 and CS.D = 1 THEN #GP(selector)". */
    static void longModeBits(Cpu cpu, int attr, int err) {
        if (cpu.longMode() && (attr & Segment.ATTR_L) != 0 && (attr & Segment.ATTR_DB) != 0) {
            throw ArchFault.gp(err);
        }
    }

    /**
     * The target offset for a new CS: canonical when the new code is 64-bit, else within the limit of
     * the new code segment; #GP(0) (SDM Vol. 2A JMP "IF instruction pointer not within code segment limit").
     */
    static long target(Cpu cpu, long offset, int attr, long limit) {
        if (is64(cpu, attr)) {
            if (!cpu.canonical(offset)) {
                throw ArchFault.gp0();
            }
            return offset;
        }
        offset &= 0xffffffffL;
        if (Long.compareUnsigned(offset, limit) > 0) {
            throw ArchFault.gp0();
        }
        return offset;
    }

    /**
     * The code segment a RET/IRET returns to (SDM Vol. 2B RET "RETURN-TO-SAME/OUTER-PRIVILEGE-LEVEL",
     * IRET "PROTECTED-MODE-RETURN"): RPL &ge; CPL, code, conforming DPL &le; RPL / non-conforming
     * DPL = RPL, present. Returns the descriptor.
     */
    static long returnCode(Cpu cpu, int sel) {
        if ((sel & 0xfffc) == 0) {
            throw ArchFault.gp0();
        }
        long desc = cpu.segmentation().descriptor(sel);
        int attr = Segmentation.attr(desc);
        int rpl = sel & 3;
        int err = sel & 0xfffc;
        if (rpl < cpu.cpl() || !isCode(attr)) {
            throw ArchFault.gp(err);
        }
        if (conforming(attr) ? dpl(attr) > rpl : dpl(attr) != rpl) {
            throw ArchFault.gp(err);
        }
        present(attr, err);
        longModeBits(cpu, attr, err);
        return desc;
    }

    /**
     * The stack segment popped by a RET/IRET to an outer level: RPL = return RPL, writable data,
     * DPL = RPL, present (#SS(selector)). A null selector is allowed only when returning to 64-bit
     * code at CPL &lt; 3 (SDM Vol. 2B IRET "IA-32e-MODE", Vol. 3A 5.8.3.1). Returns the descriptor or 0
     * for an allowed null selector.
     */
    static long returnSs(Cpu cpu, int ssSel, int rpl, boolean to64) {
        if ((ssSel & 0xfffc) == 0) {
            if (to64 && rpl != 3 && (ssSel & 3) == rpl) {
                return 0;
            }
            throw ArchFault.gp0();
        }
        long desc = cpu.segmentation().descriptor(ssSel);
        int attr = Segmentation.attr(desc);
        int err = ssSel & 0xfffc;
        boolean writableData = (attr & Segment.ATTR_S) != 0 && (attr & 0xa) == 2;
        if ((ssSel & 3) != rpl || !writableData || dpl(attr) != rpl) {
            throw ArchFault.gp(err);
        }
        if ((attr & Segment.ATTR_P) == 0) {
            throw ArchFault.ss(err);
        }
        return desc;
    }

    /**
     * An inner stack from the TSS for a call-gate CALL (SDM Vol. 2A CALL "TSS stack", Vol. 3A 5.8.5):
     * RPL = DPL = new CPL, writable data, else #TS(selector); not present #SS(selector).
     */
    static long tssSs(Cpu cpu, int ssSel, int newCpl) {
        if ((ssSel & 0xfffc) == 0) {
            throw ArchFault.ts(0);
        }
        long desc;
        try {
            desc = cpu.segmentation().descriptor(ssSel);
        } catch (ArchFault f) {
            throw ArchFault.ts(ssSel & 0xfffc);
        }
        int attr = Segmentation.attr(desc);
        boolean writableData = (attr & Segment.ATTR_S) != 0 && (attr & 0xa) == 2;
        if ((ssSel & 3) != newCpl || dpl(attr) != newCpl || !writableData) {
            throw ArchFault.ts(ssSel & 0xfffc);
        }
        if ((attr & Segment.ATTR_P) == 0) {
            throw ArchFault.ss(ssSel & 0xfffc);
        }
        return desc;
    }

    /**
     * Checks that {@code size} bytes at offset {@code off} fit a (not yet loaded) stack segment,
     * expand-up or expand-down (SDM Vol. 3A 5.3); #SS(err) otherwise. Returns the linear address.
     */
    static long stackLinear(long base, long limit, int attr, long off, int size, int err) {
        long end = off + size - 1;
        if ((attr & 4) != 0) {
            long upper = (attr & Segment.ATTR_DB) != 0 ? 0xffffffffL : 0xffffL;
            if (Long.compareUnsigned(off, limit) <= 0 || Long.compareUnsigned(end, upper) > 0) {
                throw ArchFault.ss(err);
            }
        } else if (Long.compareUnsigned(end, limit) > 0) {
            throw ArchFault.ss(err);
        }
        return (base + off) & 0xffffffffL;
    }

    /**
     * RFLAGS after IRET / POPF-like loads (SDM Vol. 2B IRET pseudo-code): status flags, TF, DF, NT always;
     * RF, AC, ID with a 32/64-bit operand; IF when CPL &le; IOPL; IOPL, VIF, VIP only at CPL 0. VM is
     * never changed here.
     */
    static long mergeFlags(long old, long popped, int opSize, int cpl, int iopl) {
        long changeable = Flags.OSZAPC | Flags.TF | Flags.DF | Flags.NT;
        if (opSize >= 4) {
            changeable |= Flags.RF | Flags.AC | Flags.ID;
        }
        if (cpl <= iopl) {
            changeable |= Flags.IF;
        }
        if (cpl == 0) {
            changeable |= Flags.IOPL;
            if (opSize >= 4) {
                changeable |= Flags.VIF | Flags.VIP;
            }
        }
        return (old & ~changeable) | (popped & changeable);
    }
}
