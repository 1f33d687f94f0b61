package dev.hvsim.x86core.decode;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.fault.ArchFault;
import java.util.List;

/**
 * Table-driven decoder for the one-, two- and three-byte opcode maps and VEX (SDM Vol. 2A ch. 2:
 * instruction format, legacy prefixes 2.1.1, REX 2.2.1, VEX 2.3, ModRM/SIB Tables 2-1..2-3; 64-bit
 * mode operand/address size 2.2.1.7 and Table 3-4 in Vol. 1).
 *
 * <p>Raises #UD for an encoding no row matches (including an instruction whose CPUID feature the
 * profile does not advertise and misuse of LOCK) and #GP(0) when an instruction would be longer than
 * 15 bytes (SDM Vol. 2A 2.3.11). Instruction-fetch faults (#PF, #GP from the CS limit) come from the
 * {@link Fetcher}.
 */
public final class Decoder {
    /** The bytes at RIP, one at a time; throws the fetch fault for byte {@code i} if it has one. */
    public interface Fetcher {
        int byteAt(int i);
    }

    public static final int MAX_LENGTH = 15;
    private static final int[] MODRM16_BASE = {Reg.RBX, Reg.RBX, Reg.RBP, Reg.RBP, Reg.RSI, Reg.RDI, Reg.RBP, Reg.RBX};
    private static final int[] MODRM16_INDEX = {Reg.RSI, Reg.RDI, Reg.RSI, Reg.RDI, -1, -1, -1, -1};

    private final OpcodeTable table;
    private final boolean[] features;
    private final Vendor vendor;
    private final CostTable costs;

    /** Resolves a row's latency class to cycles. */
    public interface CostTable {
        int cycles(String costClass);
    }

    public Decoder(OpcodeTable table, boolean[] featureSupported, Vendor vendor, CostTable costs) {
        this.table = table;
        this.features = featureSupported;
        this.vendor = vendor;
        this.costs = costs;
    }

    public OpcodeTable table() {
        return table;
    }

    /** Decodes the instruction at the fetcher's position in the given code size (16, 32 or 64). */
    public DecodedInsn decode(Fetcher f, int codeSize) {
        DecodedInsn d = new DecodedInsn();
        d.codeSize = codeSize;
        boolean is64 = codeSize == 64;
        int i = 0;
        int b;
        boolean adsz = false;
        int lastRep = 0;
        int rexByte = 0;
        // ---- legacy prefixes and REX (SDM Vol. 2A 2.1.1, 2.2.1) ----
        while (true) {
            if (i >= MAX_LENGTH) {
                throw ArchFault.gp0();
            }
            b = f.byteAt(i);
            int seg = segPrefix(b);
            if (seg >= 0) {
                d.segOverride = seg;
            } else if (b == 0x66) {
                d.opsizePrefix = true;
            } else if (b == 0x67) {
                adsz = true;
            } else if (b == 0xF0) {
                d.lock = true;
            } else if (b == 0xF2 || b == 0xF3) {
                lastRep = b;
            } else if (is64 && (b & 0xF0) == 0x40) {
                rexByte = b; // only effective if it immediately precedes the opcode
                i++;
                if (i >= MAX_LENGTH) {
                    throw ArchFault.gp0();
                }
                b = f.byteAt(i);
                if ((b & 0xF0) == 0x40 || isLegacyPrefix(b)) {
                    rexByte = 0;
                    continue; // re-examine b as a prefix; the earlier REX is ignored
                }
                break;
            } else {
                break;
            }
            i++;
        }
        d.rep = lastRep;
        if (rexByte != 0) {
            d.rex = true;
            d.rexW = (rexByte & 8) != 0;
        }
        int rexR = (rexByte & 4) << 1, rexX = (rexByte & 2) << 2, rexB = (rexByte & 1) << 3;
        // ---- opcode (maps 0F, 0F38, 0F3A) or VEX ----
        int map = 0;
        boolean vex = false;
        int vexPrefix = 0;
        boolean vexW = false;
        if ((b == 0xC4 || b == 0xC5) && (is64 || (peek(f, i + 1) & 0xC0) == 0xC0)) {
            if (d.opsizePrefix || lastRep != 0 || d.lock || rexByte != 0) {
                throw ArchFault.ud(); // SDM Vol. 2A 2.3.2: VEX with 66/F2/F3/LOCK/REX is #UD
            }
            vex = true;
            int p1 = f.byteAt(++i);
            rexR = (~p1 & 0x80) >>> 4;
            if (b == 0xC5) {
                map = 1;
                d.vexReg = (~p1 >>> 3) & 0xF;
                d.vexL = (p1 >>> 2) & 1;
                vexPrefix = p1 & 3;
            } else {
                rexX = (~p1 & 0x40) >>> 3;
                rexB = (~p1 & 0x20) >>> 2;
                map = p1 & 0x1F;
                int p2 = f.byteAt(++i);
                vexW = (p2 & 0x80) != 0;
                d.vexReg = (~p2 >>> 3) & 0xF;
                d.vexL = (p2 >>> 2) & 1;
                vexPrefix = p2 & 3;
                if (map < 1 || map > 3) {
                    throw ArchFault.ud();
                }
            }
            if (!is64) {
                rexR = 0; rexX = 0; rexB = 0;
                d.vexReg &= 7;
            }
            d.rexW = vexW && is64;
            b = f.byteAt(++i);
        } else if (b == 0x0F) {
            map = 1;
            b = f.byteAt(++i);
            if (b == 0x38) {
                map = 2;
                b = f.byteAt(++i);
            } else if (b == 0x3A) {
                map = 3;
                b = f.byteAt(++i);
            }
        }
        int opcode = b;
        i++;
        // ---- ModRM ----
        int modrm = -1;
        if (table.hasModrm(map, opcode)) {
            checkLength(i);
            modrm = f.byteAt(i++);
        }
        int mandatory = vex ? new int[] {0, 0x66, 0xF3, 0xF2}[vexPrefix]
                : lastRep != 0 ? lastRep : d.opsizePrefix ? 0x66 : 0;
        OpcodeRow row = match(map, opcode, modrm, mandatory, vex, vexW, rexByte, d, is64);
        if (row == null) {
            throw ArchFault.ud();
        }
        d.row = row;
        d.family = row.family();
        d.checks = row.attrs() & (OpcodeRow.A_UD | OpcodeRow.A_NO_REAL | OpcodeRow.A_CPL0 | OpcodeRow.A_TSD);
        d.intercept = row.intercept();
        d.handler = row.handler();
        d.cycles = costs.cycles(row.cost());
        // ---- sizes (SDM Vol. 1 3.6, Table 3-4) ----
        d.addrSize = codeSize == 16 ? (adsz ? 4 : 2) : codeSize == 32 ? (adsz ? 2 : 4) : (adsz ? 4 : 8);
        int vsize = operandSizeV(d, row, codeSize);
        d.opSize = firstOperandSize(row.operands(), vsize, d);
        // ---- ModRM operands ----
        if (modrm >= 0) {
            d.hasModrm = true;
            d.mod = modrm >>> 6;
            d.reg = ((modrm >>> 3) & 7) | rexR;
            d.rm = (modrm & 7) | rexB;
            if (row.has(OpcodeRow.A_MOD_IGNORED)) {
                d.mod = 3;
            } else if (d.mod != 3) {
                d.memOp = true;
                i = decodeMemory(f, d, modrm, i, rexX, rexB, is64);
            }
        } else {
            d.reg = (opcode & 7) | rexB; // register in the opcode's low bits (Zb/Zv)
            d.rm = d.reg;
        }
        if (d.lock && !(row.has(OpcodeRow.A_LOCK) && d.memOp)) {
            throw ArchFault.ud(); // SDM Vol. 2A LOCK: #UD unless a lockable instruction with memory destination
        }
        if (!d.memOp && d.segOverride >= 0) {
            d.seg = d.segOverride;
        }
        i = immediates(f, d, row.operands(), i);
        checkLength(i);
        d.length = i;
        return d;
    }

    private static int peek(Fetcher f, int i) {
        try {
            return f.byteAt(i);
        } catch (ArchFault e) {
            return 0; // the fault, if real, is raised when the byte is consumed
        }
    }

    private static void checkLength(int len) {
        if (len > MAX_LENGTH) {
            throw ArchFault.gp0();
        }
    }

    private static boolean isLegacyPrefix(int b) {
        return segPrefix(b) >= 0 || b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3;
    }

    private static int segPrefix(int b) {
        switch (b) {
            case 0x26: return Reg.ES;
            case 0x2E: return Reg.CS;
            case 0x36: return Reg.SS;
            case 0x3E: return Reg.DS;
            case 0x64: return Reg.FS;
            case 0x65: return Reg.GS;
            default: return -1;
        }
    }

    private OpcodeRow match(int map, int opcode, int modrm, int mandatory, boolean vex, boolean vexW, int rexByte,
            DecodedInsn d, boolean is64) {
        int reg3 = modrm < 0 ? -1 : (modrm >>> 3) & 7;
        int rm3 = modrm < 0 ? -1 : modrm & 7;
        boolean modReg = modrm >= 0 && (modrm >>> 6) == 3;
        boolean rexW = (rexByte & 8) != 0;
        for (OpcodeRow r : table.candidates(map, opcode)) {
            if (r.has(OpcodeRow.A_VEX) != vex) {
                continue;
            }
            if (r.prefix() != OpcodeRow.ANY && r.prefix() != mandatory) {
                continue;
            }
            if (r.reg() >= 0 && r.reg() != reg3 || r.rm() >= 0 && r.rm() != rm3) {
                continue;
            }
            if (r.mod() == OpcodeRow.MOD_MEM && modReg || r.mod() == OpcodeRow.MOD_REG && !modReg) {
                continue;
            }
            if (r.has(OpcodeRow.A_REXW1) && !rexW || r.has(OpcodeRow.A_REXW0) && rexW
                    || r.has(OpcodeRow.A_VEXW1) && !vexW) {
                continue;
            }
            if (r.has(OpcodeRow.A_I64) && is64 || r.has(OpcodeRow.A_O64) && !is64) {
                continue;
            }
            if (r.feature() != null && !features[r.feature().ordinal()]) {
                continue;
            }
            if (r.has(OpcodeRow.A_VEX_L0) && d.vexL != 0) {
                return null;
            }
            return r;
        }
        return null;
    }

    private int operandSizeV(DecodedInsn d, OpcodeRow row, int codeSize) {
        if (row.has(OpcodeRow.A_SIZE_NATIVE)) {
            return codeSize == 64 ? 8 : 4;
        }
        if (codeSize == 64) {
            if (d.rexW) {
                return 8;
            }
            if (row.has(OpcodeRow.A_F64)) {
                return vendor == Vendor.AMD && d.opsizePrefix ? 2 : 8;
            }
            if (d.opsizePrefix) {
                return 2;
            }
            return row.has(OpcodeRow.A_D64) ? 8 : 4;
        }
        boolean is16 = codeSize == 16;
        return is16 ^ d.opsizePrefix ? 2 : 4;
    }

    private static int firstOperandSize(List<String> ops, int vsize, DecodedInsn d) {
        // The first operand that is neither an immediate nor the DX port decides (OUT Ib,eAX is eAX-sized).
        for (String op : ops) {
            if (op.charAt(0) != 'I' && op.charAt(0) != 'J' && !op.equals("DX")) {
                return operandSize(op, vsize, d);
            }
        }
        return vsize;
    }

    /** The size in bytes of an SDM operand code such as Eb, Gv, Ew, Ey, Iz. */
    public static int operandSize(String op, int vsize, DecodedInsn d) {
        switch (op) {
            case "AL": case "CL": case "DL": case "BL": case "AH": case "CH": case "DH": case "BH": return 1;
            case "AX": case "DX": return 2;
            case "eAX": return vsize == 8 ? 4 : vsize;
            case "rAX": return vsize;
            case "1": return vsize;
            default: break;
        }
        char s = op.charAt(op.length() - 1);
        switch (s) {
            case 'b': return 1;
            case 'w': return 2;
            case 'd': return 4;
            case 'q': return 8;
            case 'y': return d.rexW ? 8 : 4;
            case 'z': return vsize == 8 ? 4 : vsize;
            default: return vsize;
        }
    }

    private static int decodeMemory(Fetcher f, DecodedInsn d, int modrm, int i, int rexX, int rexB, boolean is64) {
        int mod = modrm >>> 6;
        int rm = modrm & 7;
        int defaultSeg = Reg.DS;
        if (d.addrSize == 2) {
            // SDM Vol. 2A Table 2-1
            if (mod == 0 && rm == 6) {
                d.disp = read(f, i, 2, false);
                i += 2;
            } else {
                d.base = MODRM16_BASE[rm];
                d.index = MODRM16_INDEX[rm];
                if (d.base == Reg.RBP) {
                    defaultSeg = Reg.SS;
                }
                if (mod == 1) {
                    d.disp = read(f, i++, 1, true);
                } else if (mod == 2) {
                    d.disp = read(f, i, 2, true);
                    i += 2;
                }
            }
        } else {
            // SDM Vol. 2A Tables 2-2, 2-3; RIP-relative 2.2.1.6
            if (rm == 4) {
                int sib = f.byteAt(i++);
                checkLength(i);
                int ss = sib >>> 6;
                int idx = ((sib >>> 3) & 7) | rexX;
                int bs = sib & 7;
                d.index = idx == 4 ? -1 : idx;
                d.scale = ss;
                if (bs == 5 && mod == 0) {
                    d.base = -1;
                    d.disp = read(f, i, 4, true);
                    i += 4;
                } else {
                    d.base = bs | rexB;
                }
            } else if (rm == 5 && mod == 0) {
                d.base = is64 ? DecodedInsn.BASE_RIP : -1;
                d.disp = read(f, i, 4, true);
                i += 4;
            } else {
                d.base = rm | rexB;
            }
            if (d.base == Reg.RSP || d.base == Reg.RBP) {
                defaultSeg = Reg.SS;
            }
            if (mod == 1) {
                d.disp = read(f, i++, 1, true);
            } else if (mod == 2) {
                d.disp = read(f, i, 4, true);
                i += 4;
            }
        }
        checkLength(i);
        d.seg = d.segOverride >= 0 ? d.segOverride : defaultSeg;
        return i;
    }

    private int immediates(Fetcher f, DecodedInsn d, List<String> ops, int i) {
        boolean first = true;
        for (String op : ops) {
            int n;
            boolean signed = true;
            switch (op) {
                case "Ib": n = 1; signed = false; break;
                case "Ibs": case "Jb": n = 1; break;
                case "Iw": n = 2; signed = false; break;
                case "Iz": case "Jz": n = d.opSize == 2 ? 2 : 4; break;
                case "Iv": n = d.opSize; signed = false; break;
                case "Ob": case "Ov": n = d.addrSize; signed = false; break;
                case "Ap": {
                    int off = d.opSize == 2 ? 2 : 4;
                    checkLength(i + off + 2);
                    d.imm = read(f, i, off, false);
                    d.imm2 = read(f, i + off, 2, false);
                    i += off + 2;
                    continue;
                }
                default: continue;
            }
            checkLength(i + n);
            long v = read(f, i, n, signed);
            i += n;
            if (first) {
                d.imm = v;
                first = false;
            } else {
                d.imm2 = v;
            }
        }
        return i;
    }

    private static long read(Fetcher f, int i, int n, boolean signed) {
        checkLength(i + n);
        long v = 0;
        for (int k = n - 1; k >= 0; k--) {
            v = (v << 8) | f.byteAt(i + k);
        }
        if (signed) {
            int sh = 64 - 8 * n;
            v = (v << sh) >> sh;
        }
        return v;
    }
}
