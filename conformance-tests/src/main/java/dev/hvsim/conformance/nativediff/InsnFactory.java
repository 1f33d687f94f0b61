package dev.hvsim.conformance.nativediff;

import static dev.hvsim.conformance.nativediff.IsaLayout.DATA;
import static dev.hvsim.conformance.nativediff.IsaLayout.RAX;
import static dev.hvsim.conformance.nativediff.IsaLayout.RBX;
import static dev.hvsim.conformance.nativediff.IsaLayout.RSI;

import dev.hvsim.conformance.nativediff.Template.Imm;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Instantiates a {@link Template}: picks operand size, registers, a memory operand inside the
 * data region and an immediate, and returns the instruction with the preludes it needs.
 *
 * <p>Invariants kept here (see {@link IsaGenerator}): RBX and RSI are base registers that
 * always point into the data region and are never written; RSP is written only by PUSH/POP;
 * an index register (and a BT bit-offset register used with memory) is first reduced to 0..255
 * by a flag-neutral {@code movzx r32, r8} prelude, so every access stays inside the region.
 */
final class InsnFactory {
    /** Registers an instruction may write: all but RSP and the base registers RBX, RSI. */
    static final int[] WRITABLE = {0, 1, 2, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    private static final int[] WRITABLE_LEGACY = {0, 1, 2, 5, 7};
    private static final int MEM_PERCENT = 35;

    private final SplittableRandom rnd;

    InsnFactory(SplittableRandom rnd) {
        this.rnd = rnd;
    }

    /** Builds {@code t}: zero or more preludes, then the instruction itself (last). */
    List<Insn> build(Template t) {
        return new Draft(t).build();
    }

    /** One instruction under construction. */
    private final class Draft {
        final Template t;
        final int bits;
        final boolean legacy;
        final Encoding e = new Encoding();
        final List<Insn> divPrelude = new ArrayList<>();
        final List<Insn> maskPrelude = new ArrayList<>();
        boolean needsRex;
        boolean memE;
        long imm;

        Draft(Template t) {
            this.t = t;
            this.bits = pickSize(t.sizes());
            boolean has8 = bits == 8 || t.eBits() == 8;
            this.legacy = has8 && bits != 64 && rnd.nextBoolean();
        }

        List<Insn> build() {
            e.opcode = t.opcode();
            e.mandatory = t.mandatory();
            if (t.digit() >= 0) {
                e.setReg(t.digit());
            }
            e.opsize = bits == 16;
            e.rexW = bits == 64 && !t.has(Template.DEFAULT64);
            if (t.form() == Form.J) {
                return List.of(new Insn(null, null, t.flags(), t, t.cc(), rnd.nextInt(4) == 0));
            }
            String operands = operands();
            divPrelude();
            e.lock = t.has(Template.LOCKABLE) && memE && rnd.nextInt(5) == 0;
            e.rexPresent = needsRex || (!legacy && rnd.nextInt(8) == 0);
            if (legacy && (e.rexPresent || e.rexW || e.rexR || e.rexX || e.rexB)) {
                throw new IllegalStateException("REX in a high-byte instruction: " + t.name());
            }
            String text = (e.lock ? "lock " : "") + t.mnemonic() + (operands.isEmpty() ? "" : " " + operands);
            List<Insn> group = new ArrayList<>(divPrelude);
            group.addAll(maskPrelude);
            group.add(Insn.of(e.bytes(), text, effect(), t));
            return group;
        }

        private String operands() {
            int eb = t.eBits() != 0 ? t.eBits() : bits;
            boolean wDest = t.has(Template.WRITES_DEST);
            switch (t.form()) {
                case E_G: {
                    String dst = pickE(eb, wDest);
                    boolean maskOffset = t.has(Template.BIT_OFFSET) && memE;
                    Reg g = pickG(bits, t.has(Template.WRITES_SRC) || maskOffset);
                    if (maskOffset) {
                        maskPrelude.add(maskToByte(g.num()));
                    }
                    return dst + ", " + g.name();
                }
                case G_E: {
                    String dst = pickG(bits, wDest).name();
                    return dst + ", " + pickE(eb, false);
                }
                case E_I: return pickE(eb, wDest) + ", " + immediate(eb);
                case E: return pickE(eb, wDest);
                case E_1: return pickE(eb, wDest) + ", 1";
                case E_CL: return pickE(eb, wDest) + ", cl";
                case G_E_I: {
                    String dst = pickG(bits, wDest).name();
                    return dst + ", " + pickE(eb, false) + ", " + immediate(bits);
                }
                case E_G_I: {
                    String dst = pickE(eb, wDest);
                    return dst + ", " + pickG(bits, false).name() + ", " + immediate(bits);
                }
                case E_G_CL: {
                    String dst = pickE(eb, wDest);
                    return dst + ", " + pickG(bits, false).name() + ", cl";
                }
                case ACC_I: return Reg.of(RAX, bits).name() + ", " + immediate(bits);
                case Z: return pickZ(wDest).name();
                case Z_I: return pickZ(true).name() + ", " + immediate(bits);
                case ACC_Z: return Reg.of(RAX, bits).name() + ", " + pickZ(true).name();
                case I: return immediate(bits);
                case G_M: {
                    String dst = pickG(bits, true).name();
                    Mem m = anyMem();
                    m.encodeInto(e);
                    return dst + ", " + m.text();
                }
                case NONE: return "";
                default: throw new IllegalStateException("unhandled form " + t.form());
            }
        }

        private String pickE(int eb, boolean written) {
            memE = t.has(Template.MEM_ONLY)
                    || (!t.has(Template.REG_ONLY) && rnd.nextInt(100) < MEM_PERCENT);
            if (memE) {
                Mem m = eb == 128 && rnd.nextInt(4) != 0 ? alignedAbsolute() : dataMem();
                m.encodeInto(e);
                needsRex |= m.needsRex();
                return ptr(eb) + " " + m.text();
            }
            Reg r = pickReg(eb, written);
            e.setRmReg(r.encoding());
            return r.name();
        }

        private Reg pickG(int gb, boolean written) {
            Reg r = pickReg(gb, written);
            e.setReg(r.encoding());
            return r;
        }

        private Reg pickZ(boolean written) {
            Reg r = pickReg(bits, written);
            e.opcodeReg = r.encoding();
            return r;
        }

        private Reg pickReg(int rb, boolean written) {
            Reg r;
            if (legacy && rb == 8) {
                int n = pick(written ? new int[] {0, 1, 2, 4, 5, 6} : new int[] {0, 1, 2, 3, 4, 5, 6, 7});
                r = n >= 4 ? new Reg(n - 4, 8, true) : Reg.of(n, 8);
            } else if (legacy) {
                r = Reg.of(written ? pick(WRITABLE_LEGACY) : rnd.nextInt(8), rb);
            } else {
                r = Reg.of(written ? pick(WRITABLE) : rnd.nextInt(16), rb);
            }
            needsRex |= r.needsRex();
            return r;
        }

        /** A memory operand whose every byte lies in the data region (see class comment). */
        private Mem dataMem() {
            int base = rnd.nextBoolean() ? RBX : RSI;
            boolean a32 = rnd.nextInt(8) == 0;
            switch (rnd.nextInt(7)) {
                case 0: return new Mem(base, -1, 1, 0, 0, false, a32);
                case 1: return new Mem(base, -1, 1, rnd.nextInt(256) - 128, 1, false, a32);
                case 2: return new Mem(base, -1, 1, rnd.nextInt(512) - 256, 4, false, a32);
                case 3: return new Mem(base, maskedIndex(), scale(), smallDisp(), dispSize(), false, a32);
                case 4: return new Mem(base, -1, scale(), smallDisp(), dispSize(), true, a32);
                case 5: return new Mem(-1, maskedIndex(), scale(), DATA + 0x100 + rnd.nextInt(0xF00), 4, true, a32);
                default: return new Mem(-1, -1, 1, DATA + 0x100 + rnd.nextInt(0x1700), 4, true, a32);
            }
        }

        /** [disp32] on a 16-byte boundary: CMPXCHG16B needs one, else #GP (SDM 2A). */
        private Mem alignedAbsolute() {
            return new Mem(-1, -1, 1, DATA + 0x100 + 16 * rnd.nextInt(0x170), 4, true, rnd.nextInt(8) == 0);
        }

        /** LEA's operand: any registers, the address is only computed (SDM 2A "LEA"). */
        private Mem anyMem() {
            int base = rnd.nextInt(17) - 1;
            int index = rnd.nextInt(3) == 0 ? -1 : pickIndexAny();
            int dispSize = base < 0 ? 4 : dispSize();
            long disp = dispSize == 1 ? rnd.nextInt(256) - 128 : rnd.nextInt();
            Mem m = new Mem(base, index, scale(), dispSize == 0 ? 0 : disp, dispSize,
                    rnd.nextInt(4) == 0, rnd.nextInt(4) == 0);
            needsRex |= m.needsRex();
            return m;
        }

        private int pickIndexAny() {
            int i = rnd.nextInt(15);
            return i >= 4 ? i + 1 : i; // index 100b without REX.X means "none"
        }

        private int maskedIndex() {
            int idx = pick(legacy ? WRITABLE_LEGACY : WRITABLE);
            maskPrelude.add(maskToByte(idx));
            return idx;
        }

        private int scale() {
            return 1 << rnd.nextInt(4);
        }

        private int dispSize() {
            int[] sizes = {0, 1, 4};
            return sizes[rnd.nextInt(3)];
        }

        private long smallDisp() {
            return rnd.nextInt(256) - 128;
        }

        private String immediate(int opBits) {
            int n = immBytes(opBits);
            imm = t.imm() == Imm.COUNT ? count() : Values.interesting(rnd);
            e.imm = imm;
            e.immBytes = n;
            long shown = n == 8 ? imm : n == 4 ? (int) imm : n == 2 ? (short) imm : (byte) imm;
            return shown < 0 ? "-0x" + Long.toHexString(-shown) : "0x" + Long.toHexString(shown);
        }

        private int immBytes(int opBits) {
            switch (t.imm()) {
                case IB: case COUNT: return 1;
                case IZ: return opBits == 16 ? 2 : 4;
                case IV: return opBits / 8;
                default: throw new IllegalStateException("no immediate in " + t.name());
            }
        }

        private long count() {
            if (t.rule() == FlagRule.DOUBLE_SHIFT && bits == 16) {
                return rnd.nextInt(16) | rnd.nextInt(8) << 5; // masked count 0..15: defined
            }
            return rnd.nextInt(5) < 3 ? rnd.nextInt(bits + 2) : rnd.nextInt(256);
        }

        private void divPrelude() {
            if (rnd.nextInt(10) >= 7) {
                return;
            }
            if (t.has(Template.DIVIDE_UNSIGNED)) {
                divPrelude.add(bits == 8
                        ? Insn.of(new byte[] {0x0F, (byte) 0xB6, (byte) 0xC0}, "movzx eax, al", FlagEffect.NONE, null)
                        : Insn.of(new byte[] {0x31, (byte) 0xD2}, "xor edx, edx", Catalogue.LOGIC, null));
            } else if (t.has(Template.DIVIDE_SIGNED)) {
                divPrelude.add(signExtend());
            }
        }

        private Insn signExtend() {
            switch (bits) {
                case 8: return Insn.of(new byte[] {0x66, (byte) 0x98}, "cbw", FlagEffect.NONE, null);
                case 16: return Insn.of(new byte[] {0x66, (byte) 0x99}, "cwd", FlagEffect.NONE, null);
                case 32: return Insn.of(new byte[] {(byte) 0x99}, "cdq", FlagEffect.NONE, null);
                default: return Insn.of(new byte[] {0x48, (byte) 0x99}, "cqo", FlagEffect.NONE, null);
            }
        }

        private FlagEffect effect() {
            if (t.rule() == FlagRule.FIXED) {
                return t.flags();
            }
            switch (t.form()) {
                case E_1: return t.rule().effect(bits, 1);
                case E_I: case E_G_I: return t.rule().effect(bits, (int) (imm & 0xFF));
                default: return t.rule().effectAnyCount(bits);
            }
        }

        private int pickSize(int sizes) {
            int n = Integer.bitCount(sizes);
            if (n == 0) {
                return 64;
            }
            int k = rnd.nextInt(n);
            int s = sizes;
            for (int i = 0; i < k; i++) {
                s &= s - 1;
            }
            return 8 << Integer.numberOfTrailingZeros(s);
        }
    }

    /** {@code movzx r32, r8}: reduces a register to 0..255 without touching flags. */
    static Insn maskToByte(int reg) {
        Encoding e = new Encoding();
        e.opcode = new int[] {0x0F, 0xB6};
        e.setReg(reg);
        e.setRmReg(reg);
        e.rexPresent = Reg.of(reg, 8).needsRex();
        return Insn.of(e.bytes(), "movzx " + Reg.of(reg, 32).name() + ", " + Reg.of(reg, 8).name(),
                FlagEffect.NONE, null);
    }

    private static String ptr(int bits) {
        switch (bits) {
            case 8: return "byte ptr";
            case 16: return "word ptr";
            case 32: return "dword ptr";
            case 64: return "qword ptr";
            default: return "xmmword ptr";
        }
    }

    private int pick(int[] choices) {
        return choices[rnd.nextInt(choices.length)];
    }
}
