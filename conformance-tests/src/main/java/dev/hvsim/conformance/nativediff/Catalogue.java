package dev.hvsim.conformance.nativediff;

import static dev.hvsim.conformance.nativediff.Flag.AF;
import static dev.hvsim.conformance.nativediff.Flag.CF;
import static dev.hvsim.conformance.nativediff.Flag.OF;
import static dev.hvsim.conformance.nativediff.Flag.PF;
import static dev.hvsim.conformance.nativediff.Flag.SF;
import static dev.hvsim.conformance.nativediff.Flag.STATUS;
import static dev.hvsim.conformance.nativediff.Flag.ZF;
import static dev.hvsim.conformance.nativediff.Flag.maskOf;
import static dev.hvsim.conformance.nativediff.Template.B;
import static dev.hvsim.conformance.nativediff.Template.BIT_OFFSET;
import static dev.hvsim.conformance.nativediff.Template.CONDITIONAL;
import static dev.hvsim.conformance.nativediff.Template.D;
import static dev.hvsim.conformance.nativediff.Template.DEFAULT64;
import static dev.hvsim.conformance.nativediff.Template.DIVIDE_SIGNED;
import static dev.hvsim.conformance.nativediff.Template.DIVIDE_UNSIGNED;
import static dev.hvsim.conformance.nativediff.Template.LOCKABLE;
import static dev.hvsim.conformance.nativediff.Template.MEM_ONLY;
import static dev.hvsim.conformance.nativediff.Template.Q;
import static dev.hvsim.conformance.nativediff.Template.W;
import static dev.hvsim.conformance.nativediff.Template.WRITES_DEST;
import static dev.hvsim.conformance.nativediff.Template.WRITES_SRC;

import dev.hvsim.conformance.nativediff.CpuFeatures.Feature;
import dev.hvsim.conformance.nativediff.Template.Imm;
import java.util.ArrayList;
import java.util.List;

/**
 * The unprivileged integer instructions the generator draws from, one row per opcode form,
 * in 64-bit mode. Flag effects follow the "Flags Affected" section of each instruction in
 * Intel SDM Vol. 2A/2B (order 325383); section names are given per family below.
 */
public final class Catalogue {
    private static final int WDQ = W | D | Q;
    private static final int DQ = D | Q;
    private static final long SZAPC = maskOf(SF, ZF, AF, PF, CF);

    /** ADD/SUB/CMP/NEG/XADD/CMPXCHG: OF SF ZF AF CF PF set per result (SDM 2A "ADD"). */
    static final FlagEffect ARITH = new FlagEffect(0, STATUS, 0);
    /** ADC/SBB: as ARITH, reading CF (SDM 2A "ADC", 2B "SBB"). */
    static final FlagEffect ARITH_CARRY = new FlagEffect(CF.mask(), STATUS, 0);
    /** AND/OR/XOR/TEST: OF CF cleared, SF ZF PF per result, AF undefined (SDM 2A "AND"). */
    static final FlagEffect LOGIC = new FlagEffect(0, maskOf(OF, CF, SF, ZF, PF), AF.mask());
    /** INC/DEC: CF unaffected, others per result (SDM 2A "INC"). */
    static final FlagEffect INC_DEC = new FlagEffect(0, maskOf(OF, SF, ZF, AF, PF), 0);
    /** MUL/IMUL: CF OF defined; SF ZF AF PF undefined (SDM 2A "IMUL", 2B "MUL"). */
    static final FlagEffect MULTIPLY = new FlagEffect(0, maskOf(CF, OF), maskOf(SF, ZF, AF, PF));
    /** DIV/IDIV: all six undefined (SDM 2A "DIV", "IDIV"). */
    static final FlagEffect DIVIDE = new FlagEffect(0, 0, STATUS);
    /** BT/BTS/BTR/BTC: CF = bit; ZF unaffected; OF SF AF PF undefined (SDM 2A "BT"). */
    static final FlagEffect BIT_TEST = new FlagEffect(0, CF.mask(), maskOf(OF, SF, AF, PF));
    /** BSF/BSR: ZF defined, others undefined (SDM 2A "BSF", "BSR"). */
    static final FlagEffect BIT_SCAN = new FlagEffect(0, ZF.mask(), maskOf(CF, OF, SF, AF, PF));
    /** LZCNT/TZCNT: CF ZF defined, OF SF PF AF undefined (SDM 2A "LZCNT", 2B "TZCNT"). */
    static final FlagEffect COUNT_ZEROS = new FlagEffect(0, maskOf(CF, ZF), maskOf(OF, SF, AF, PF));
    /** POPCNT: ZF per source, OF SF AF CF PF cleared (SDM 2B "POPCNT"). */
    static final FlagEffect POPCNT = new FlagEffect(0, STATUS, 0);
    /** CMPXCHG8B/16B: ZF defined; CF PF AF SF OF unaffected (SDM 2A "CMPXCHG8B/16B"). */
    static final FlagEffect CMPXCHG_WIDE = new FlagEffect(0, ZF.mask(), 0);
    /** SAHF: SF ZF AF PF CF loaded from AH (SDM 2B "SAHF"). */
    static final FlagEffect SAHF = new FlagEffect(0, SZAPC, 0);
    /** LAHF: reads SF ZF AF PF CF (SDM 2A "LAHF"). */
    static final FlagEffect LAHF = new FlagEffect(SZAPC, 0, 0);
    /** CLC/STC (SDM 2A "CLC", 2B "STC"). */
    static final FlagEffect SET_CARRY = new FlagEffect(0, CF.mask(), 0);
    /** CMC: CF complemented (SDM 2A "CMC"). */
    static final FlagEffect COMPLEMENT_CARRY = new FlagEffect(CF.mask(), CF.mask(), 0);

    /** Condition mnemonic suffixes by cc (SDM Vol. 1 Table B-1). */
    static final List<String> CONDITIONS = List.of(
            "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g");

    private static final List<Template> ALL = build();

    private Catalogue() {
    }

    /** Every row, in catalogue order. */
    public static List<Template> all() {
        return ALL;
    }

    /** The rows usable with {@code features}. */
    public static List<Template> available(CpuFeatures features) {
        return ALL.stream().filter(t -> features.has(t.feature())).toList();
    }

    /** Flags read by condition code {@code cc} (SDM Vol. 1 Table B-1). */
    public static long conditionReads(int cc) {
        switch (cc >> 1) {
            case 0: return OF.mask();
            case 1: return CF.mask();
            case 2: return ZF.mask();
            case 3: return maskOf(CF, ZF);
            case 4: return SF.mask();
            case 5: return PF.mask();
            case 6: return maskOf(SF, OF);
            default: return maskOf(ZF, SF, OF);
        }
    }

    private static List<Template> build() {
        List<Template> t = new ArrayList<>();
        alu(t);
        moves(t);
        unary(t);
        multiplyDivide(t);
        shifts(t);
        bits(t);
        exchange(t);
        conditional(t);
        misc(t);
        stack(t);
        return List.copyOf(t);
    }

    /** ADD OR ADC SBB AND SUB XOR CMP (SDM 2A/2B; opcode rows 00-3D, 80, 81, 83) and TEST. */
    private static void alu(List<Template> t) {
        String[] names = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
        for (int n = 0; n < 8; n++) {
            FlagEffect f = n == 2 || n == 3 ? ARITH_CARRY : n == 1 || n == 4 || n == 6 ? LOGIC : ARITH;
            boolean cmp = n == 7;
            int wr = cmp ? 0 : WRITES_DEST | LOCKABLE;
            int base = n * 8;
            t.add(row(names[n], "Eb,Gb", op(base), -1, Form.E_G, B, Imm.NONE, f, wr));
            t.add(row(names[n], "Ev,Gv", op(base + 1), -1, Form.E_G, WDQ, Imm.NONE, f, wr));
            t.add(row(names[n], "Gb,Eb", op(base + 2), -1, Form.G_E, B, Imm.NONE, f, cmp ? 0 : WRITES_DEST));
            t.add(row(names[n], "Gv,Ev", op(base + 3), -1, Form.G_E, WDQ, Imm.NONE, f, cmp ? 0 : WRITES_DEST));
            t.add(row(names[n], "AL,Ib", op(base + 4), -1, Form.ACC_I, B, Imm.IB, f, 0));
            t.add(row(names[n], "rAX,Iz", op(base + 5), -1, Form.ACC_I, WDQ, Imm.IZ, f, 0));
            t.add(row(names[n], "Eb,Ib", op(0x80), n, Form.E_I, B, Imm.IB, f, wr));
            t.add(row(names[n], "Ev,Iz", op(0x81), n, Form.E_I, WDQ, Imm.IZ, f, wr));
            t.add(row(names[n], "Ev,Ib", op(0x83), n, Form.E_I, WDQ, Imm.IB, f, wr));
        }
        t.add(row("test", "Eb,Gb", op(0x84), -1, Form.E_G, B, Imm.NONE, LOGIC, 0));
        t.add(row("test", "Ev,Gv", op(0x85), -1, Form.E_G, WDQ, Imm.NONE, LOGIC, 0));
        t.add(row("test", "AL,Ib", op(0xA8), -1, Form.ACC_I, B, Imm.IB, LOGIC, 0));
        t.add(row("test", "rAX,Iz", op(0xA9), -1, Form.ACC_I, WDQ, Imm.IZ, LOGIC, 0));
        t.add(row("test", "Eb,Ib", op(0xF6), 0, Form.E_I, B, Imm.IB, LOGIC, 0));
        t.add(row("test", "Ev,Iz", op(0xF7), 0, Form.E_I, WDQ, Imm.IZ, LOGIC, 0));
    }

    /** MOV, MOVZX, MOVSX, MOVSXD, LEA, BSWAP (no flags affected). */
    private static void moves(List<Template> t) {
        FlagEffect n = FlagEffect.NONE;
        t.add(row("mov", "Eb,Gb", op(0x88), -1, Form.E_G, B, Imm.NONE, n, WRITES_DEST));
        t.add(row("mov", "Ev,Gv", op(0x89), -1, Form.E_G, WDQ, Imm.NONE, n, WRITES_DEST));
        t.add(row("mov", "Gb,Eb", op(0x8A), -1, Form.G_E, B, Imm.NONE, n, WRITES_DEST));
        t.add(row("mov", "Gv,Ev", op(0x8B), -1, Form.G_E, WDQ, Imm.NONE, n, WRITES_DEST));
        t.add(row("mov", "Eb,Ib", op(0xC6), 0, Form.E_I, B, Imm.IB, n, WRITES_DEST));
        t.add(row("mov", "Ev,Iz", op(0xC7), 0, Form.E_I, WDQ, Imm.IZ, n, WRITES_DEST));
        t.add(row("mov", "Zb,Ib", op(0xB0), -1, Form.Z_I, B, Imm.IB, n, WRITES_DEST));
        t.add(row("mov", "Zv,Iv", op(0xB8), -1, Form.Z_I, WDQ, Imm.IV, n, WRITES_DEST));
        t.add(sized("movzx", "Gv,Eb", op(0x0F, 0xB6), -1, Form.G_E, WDQ, 8, n, WRITES_DEST));
        t.add(sized("movzx", "Gv,Ew", op(0x0F, 0xB7), -1, Form.G_E, DQ, 16, n, WRITES_DEST));
        t.add(sized("movsx", "Gv,Eb", op(0x0F, 0xBE), -1, Form.G_E, WDQ, 8, n, WRITES_DEST));
        t.add(sized("movsx", "Gv,Ew", op(0x0F, 0xBF), -1, Form.G_E, DQ, 16, n, WRITES_DEST));
        t.add(sized("movsxd", "Gq,Ed", op(0x63), -1, Form.G_E, Q, 32, n, WRITES_DEST));
        t.add(row("lea", "Gv,M", op(0x8D), -1, Form.G_M, WDQ, Imm.NONE, n, WRITES_DEST));
        t.add(row("bswap", "Zv", op(0x0F, 0xC8), -1, Form.Z, DQ, Imm.NONE, n, WRITES_DEST));
    }

    /** INC DEC NOT NEG (SDM 2A "INC", "DEC", 2B "NOT", "NEG"). */
    private static void unary(List<Template> t) {
        int wr = WRITES_DEST | LOCKABLE;
        t.add(row("inc", "Eb", op(0xFE), 0, Form.E, B, Imm.NONE, INC_DEC, wr));
        t.add(row("inc", "Ev", op(0xFF), 0, Form.E, WDQ, Imm.NONE, INC_DEC, wr));
        t.add(row("dec", "Eb", op(0xFE), 1, Form.E, B, Imm.NONE, INC_DEC, wr));
        t.add(row("dec", "Ev", op(0xFF), 1, Form.E, WDQ, Imm.NONE, INC_DEC, wr));
        t.add(row("not", "Eb", op(0xF6), 2, Form.E, B, Imm.NONE, FlagEffect.NONE, wr));
        t.add(row("not", "Ev", op(0xF7), 2, Form.E, WDQ, Imm.NONE, FlagEffect.NONE, wr));
        t.add(row("neg", "Eb", op(0xF6), 3, Form.E, B, Imm.NONE, ARITH, wr));
        t.add(row("neg", "Ev", op(0xF7), 3, Form.E, WDQ, Imm.NONE, ARITH, wr));
    }

    /** MUL IMUL DIV IDIV; implicit rDX:rAX (SDM 2A "IMUL", "DIV", "IDIV", 2B "MUL"). */
    private static void multiplyDivide(List<Template> t) {
        t.add(row("mul", "Eb", op(0xF6), 4, Form.E, B, Imm.NONE, MULTIPLY, 0));
        t.add(row("mul", "Ev", op(0xF7), 4, Form.E, WDQ, Imm.NONE, MULTIPLY, 0));
        t.add(row("imul", "Eb", op(0xF6), 5, Form.E, B, Imm.NONE, MULTIPLY, 0));
        t.add(row("imul", "Ev", op(0xF7), 5, Form.E, WDQ, Imm.NONE, MULTIPLY, 0));
        t.add(row("div", "Eb", op(0xF6), 6, Form.E, B, Imm.NONE, DIVIDE, DIVIDE_UNSIGNED));
        t.add(row("div", "Ev", op(0xF7), 6, Form.E, WDQ, Imm.NONE, DIVIDE, DIVIDE_UNSIGNED));
        t.add(row("idiv", "Eb", op(0xF6), 7, Form.E, B, Imm.NONE, DIVIDE, DIVIDE_SIGNED));
        t.add(row("idiv", "Ev", op(0xF7), 7, Form.E, WDQ, Imm.NONE, DIVIDE, DIVIDE_SIGNED));
        t.add(row("imul", "Gv,Ev", op(0x0F, 0xAF), -1, Form.G_E, WDQ, Imm.NONE, MULTIPLY, WRITES_DEST));
        t.add(row("imul", "Gv,Ev,Ib", op(0x6B), -1, Form.G_E_I, WDQ, Imm.IB, MULTIPLY, WRITES_DEST));
        t.add(row("imul", "Gv,Ev,Iz", op(0x69), -1, Form.G_E_I, WDQ, Imm.IZ, MULTIPLY, WRITES_DEST));
    }

    /** Shift group 2 and SHLD/SHRD (SDM 2B "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD"). */
    private static void shifts(List<Template> t) {
        String[] names = {"rol", "ror", "rcl", "rcr", "shl", "shr", null, "sar"};
        FlagRule[] rules = {FlagRule.ROTATE, FlagRule.ROTATE, FlagRule.ROTATE_CARRY,
            FlagRule.ROTATE_CARRY, FlagRule.SHIFT_LOGICAL, FlagRule.SHIFT_LOGICAL, null,
            FlagRule.SHIFT_ARITHMETIC};
        for (int d = 0; d < 8; d++) {
            if (names[d] == null) {
                continue; // /6 is the undocumented SAL alias
            }
            t.add(shift(names[d], "Eb,1", op(0xD0), d, Form.E_1, B, Imm.NONE, rules[d]));
            t.add(shift(names[d], "Ev,1", op(0xD1), d, Form.E_1, WDQ, Imm.NONE, rules[d]));
            t.add(shift(names[d], "Eb,CL", op(0xD2), d, Form.E_CL, B, Imm.NONE, rules[d]));
            t.add(shift(names[d], "Ev,CL", op(0xD3), d, Form.E_CL, WDQ, Imm.NONE, rules[d]));
            t.add(shift(names[d], "Eb,Ib", op(0xC0), d, Form.E_I, B, Imm.COUNT, rules[d]));
            t.add(shift(names[d], "Ev,Ib", op(0xC1), d, Form.E_I, WDQ, Imm.COUNT, rules[d]));
        }
        // 16-bit SHLD/SHRD by CL is left out: CL may exceed 16, making result and flags undefined.
        t.add(shift("shld", "Ev,Gv,Ib", op(0x0F, 0xA4), -1, Form.E_G_I, WDQ, Imm.COUNT, FlagRule.DOUBLE_SHIFT));
        t.add(shift("shld", "Ev,Gv,CL", op(0x0F, 0xA5), -1, Form.E_G_CL, DQ, Imm.NONE, FlagRule.DOUBLE_SHIFT));
        t.add(shift("shrd", "Ev,Gv,Ib", op(0x0F, 0xAC), -1, Form.E_G_I, WDQ, Imm.COUNT, FlagRule.DOUBLE_SHIFT));
        t.add(shift("shrd", "Ev,Gv,CL", op(0x0F, 0xAD), -1, Form.E_G_CL, DQ, Imm.NONE, FlagRule.DOUBLE_SHIFT));
    }

    /** BT BTS BTR BTC, BSF BSR, LZCNT TZCNT POPCNT (SDM 2A/2B). */
    private static void bits(List<Template> t) {
        String[] names = {"bt", "bts", "btr", "btc"};
        int[] regOps = {0xA3, 0xAB, 0xB3, 0xBB};
        for (int i = 0; i < 4; i++) {
            int wr = i == 0 ? 0 : WRITES_DEST | LOCKABLE;
            t.add(row(names[i], "Ev,Gv", op(0x0F, regOps[i]), -1, Form.E_G, WDQ, Imm.NONE, BIT_TEST, wr | BIT_OFFSET));
            t.add(row(names[i], "Ev,Ib", op(0x0F, 0xBA), 4 + i, Form.E_I, WDQ, Imm.IB, BIT_TEST, wr));
        }
        t.add(row("bsf", "Gv,Ev", op(0x0F, 0xBC), -1, Form.G_E, WDQ, Imm.NONE, BIT_SCAN, WRITES_DEST));
        t.add(row("bsr", "Gv,Ev", op(0x0F, 0xBD), -1, Form.G_E, WDQ, Imm.NONE, BIT_SCAN, WRITES_DEST));
        t.add(featured("tzcnt", op(0x0F, 0xBC), COUNT_ZEROS, Feature.BMI1));
        t.add(featured("lzcnt", op(0x0F, 0xBD), COUNT_ZEROS, Feature.LZCNT));
        t.add(featured("popcnt", op(0x0F, 0xB8), POPCNT, Feature.POPCNT));
    }

    /** XCHG XADD CMPXCHG CMPXCHG8B/16B (SDM 2A "CMPXCHG", "CMPXCHG8B/16B", 2B "XADD", "XCHG"). */
    private static void exchange(List<Template> t) {
        int both = WRITES_DEST | WRITES_SRC;
        t.add(row("xchg", "Eb,Gb", op(0x86), -1, Form.E_G, B, Imm.NONE, FlagEffect.NONE, both));
        t.add(row("xchg", "Ev,Gv", op(0x87), -1, Form.E_G, WDQ, Imm.NONE, FlagEffect.NONE, both));
        t.add(row("xchg", "rAX,Zv", op(0x90), -1, Form.ACC_Z, WDQ, Imm.NONE, FlagEffect.NONE, both));
        t.add(row("xadd", "Eb,Gb", op(0x0F, 0xC0), -1, Form.E_G, B, Imm.NONE, ARITH, both | LOCKABLE));
        t.add(row("xadd", "Ev,Gv", op(0x0F, 0xC1), -1, Form.E_G, WDQ, Imm.NONE, ARITH, both | LOCKABLE));
        t.add(row("cmpxchg", "Eb,Gb", op(0x0F, 0xB0), -1, Form.E_G, B, Imm.NONE, ARITH, WRITES_DEST | LOCKABLE));
        t.add(row("cmpxchg", "Ev,Gv", op(0x0F, 0xB1), -1, Form.E_G, WDQ, Imm.NONE, ARITH, WRITES_DEST | LOCKABLE));
        int wide = WRITES_DEST | LOCKABLE | MEM_ONLY;
        t.add(new Template("cmpxchg8b", "Mq", 0, op(0x0F, 0xC7), 1, Form.E, D, 64, Imm.NONE,
                FlagRule.FIXED, CMPXCHG_WIDE, -1, wide, null, 1));
        t.add(new Template("cmpxchg16b", "Mdq", 0, op(0x0F, 0xC7), 1, Form.E, Q, 128, Imm.NONE,
                FlagRule.FIXED, CMPXCHG_WIDE, -1, wide, Feature.CX16, 1));
    }

    /** Jcc rel8/rel32, SETcc, CMOVcc: read the flags of their condition (SDM Vol. 1 B.1). */
    private static void conditional(List<Template> t) {
        for (int cc = 0; cc < 16; cc++) {
            FlagEffect reads = new FlagEffect(conditionReads(cc), 0, 0);
            String c = CONDITIONS.get(cc);
            t.add(cond("j" + c, "Jb", op(0x70 + cc), Form.J, 0, reads, cc, 0, 0.4));
            t.add(cond("set" + c, "Eb", op(0x0F, 0x90 + cc), Form.E, B, reads, cc, WRITES_DEST, 0.15));
            t.add(cond("cmov" + c, "Gv,Ev", op(0x0F, 0x40 + cc), Form.G_E, WDQ, reads, cc, WRITES_DEST, 0.15));
        }
    }

    /** CBW/CWDE/CDQE, CWD/CDQ/CQO, LAHF/SAHF, CLC/STC/CMC. */
    private static void misc(List<Template> t) {
        FlagEffect n = FlagEffect.NONE;
        t.add(row("cbw", "", op(0x98), -1, Form.NONE, W, Imm.NONE, n, 0));
        t.add(row("cwde", "", op(0x98), -1, Form.NONE, D, Imm.NONE, n, 0));
        t.add(row("cdqe", "", op(0x98), -1, Form.NONE, Q, Imm.NONE, n, 0));
        t.add(row("cwd", "", op(0x99), -1, Form.NONE, W, Imm.NONE, n, 0));
        t.add(row("cdq", "", op(0x99), -1, Form.NONE, D, Imm.NONE, n, 0));
        t.add(row("cqo", "", op(0x99), -1, Form.NONE, Q, Imm.NONE, n, 0));
        t.add(new Template("lahf", "", 0, op(0x9F), -1, Form.NONE, D, 0, Imm.NONE, FlagRule.FIXED,
                LAHF, -1, 0, Feature.LAHF_LM, 1));
        t.add(new Template("sahf", "", 0, op(0x9E), -1, Form.NONE, D, 0, Imm.NONE, FlagRule.FIXED,
                SAHF, -1, 0, Feature.LAHF_LM, 1));
        t.add(row("clc", "", op(0xF8), -1, Form.NONE, D, Imm.NONE, SET_CARRY, 0));
        t.add(row("stc", "", op(0xF9), -1, Form.NONE, D, Imm.NONE, SET_CARRY, 0));
        t.add(row("cmc", "", op(0xF5), -1, Form.NONE, D, Imm.NONE, COMPLEMENT_CARRY, 0));
    }

    /** PUSH/POP register, r/m and immediate; 64-bit default operand size (SDM 2B "PUSH", "POP"). */
    private static void stack(List<Template> t) {
        FlagEffect n = FlagEffect.NONE;
        int sizes = W | Q;
        t.add(row("push", "Zv", op(0x50), -1, Form.Z, sizes, Imm.NONE, n, DEFAULT64));
        t.add(row("pop", "Zv", op(0x58), -1, Form.Z, sizes, Imm.NONE, n, DEFAULT64 | WRITES_DEST));
        t.add(row("push", "Iz", op(0x68), -1, Form.I, sizes, Imm.IZ, n, DEFAULT64));
        t.add(row("push", "Ib", op(0x6A), -1, Form.I, sizes, Imm.IB, n, DEFAULT64));
        t.add(row("push", "Ev", op(0xFF), 6, Form.E, sizes, Imm.NONE, n, DEFAULT64));
        t.add(row("pop", "Ev", op(0x8F), 0, Form.E, sizes, Imm.NONE, n, DEFAULT64 | WRITES_DEST));
    }

    private static Template row(String m, String ops, int[] opcode, int digit, Form form, int sizes,
                                Imm imm, FlagEffect f, int attrs) {
        return new Template(m, ops, 0, opcode, digit, form, sizes, 0, imm, FlagRule.FIXED, f, -1,
                attrs, null, 1);
    }

    private static Template sized(String m, String ops, int[] opcode, int digit, Form form,
                                  int sizes, int eBits, FlagEffect f, int attrs) {
        return new Template(m, ops, 0, opcode, digit, form, sizes, eBits, Imm.NONE, FlagRule.FIXED,
                f, -1, attrs, null, 1);
    }

    private static Template shift(String m, String ops, int[] opcode, int digit, Form form,
                                  int sizes, Imm imm, FlagRule rule) {
        return new Template(m, ops, 0, opcode, digit, form, sizes, 0, imm, rule, null, -1,
                WRITES_DEST, null, 1);
    }

    private static Template featured(String m, int[] opcode, FlagEffect f, Feature feature) {
        return new Template(m, "Gv,Ev", 0xF3, opcode, -1, Form.G_E, WDQ, 0, Imm.NONE,
                FlagRule.FIXED, f, -1, WRITES_DEST, feature, 1);
    }

    private static Template cond(String m, String ops, int[] opcode, Form form, int sizes,
                                 FlagEffect f, int cc, int attrs, double weight) {
        return new Template(m, ops, 0, opcode, -1, form, sizes, 0, Imm.NONE, FlagRule.FIXED, f, cc,
                attrs | CONDITIONAL, null, weight);
    }

    private static int[] op(int... bytes) {
        return bytes;
    }
}
