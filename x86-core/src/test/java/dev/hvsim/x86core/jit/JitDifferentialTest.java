package dev.hvsim.x86core.jit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Block translation against the interpreter (the reference): random loops of 64-bit code, mostly the
 * translatable forms (MOV, ALU, INC/DEC, shifts, IMUL, LEA, loads and stores with every addressing form
 * the translator handles, PUSH/POP, CALL/RET, forward Jcc) mixed with instructions that end a block and
 * read or write the flags the translated code keeps lazily (ADC, SETcc, PUSHF, CMC, shifts by 0), page-
 * crossing accesses (side exits), and loads through a pointer that may be non-canonical or unmapped (#GP,
 * #PF in the middle of a block, delivered to a HLT handler). Two CPUs run the same program from the same
 * state, one translating and one not, in slices of random instruction and cycle budgets; after every slice
 * the stop reason, the full architectural state, the cycle and instruction counts and the data and stack
 * memory must be equal. The translating CPU must really have translated blocks.
 *
 * <p>QuickTheories draws one seed per program; {@code -Dhvsim.jit.seed} fixes the run's seed,
 * {@code -Dhvsim.jit.cases} the number of programs.
 */
class JitDifferentialTest {
    static final long SEED = Long.getLong("hvsim.jit.seed", 0x6a69_7464_6966_6600L);
    static final int CASES = Integer.getInteger("hvsim.jit.cases", 400);
    static final long DATA = TestCpu.DATA, DATA_SIZE = 0x5000, HANDLER = TestCpu.CODE + 0xf00;
    static final int[] DEST = {Reg.RAX, Reg.RDX, Reg.RSI, 8, 9, 10, 11, 12, 13, 14, 15};
    static final int[] SRC = {Reg.RAX, Reg.RCX, Reg.RDX, Reg.RBX, Reg.RBP, Reg.RSI, Reg.RDI, 8, 9, 10, 11, 12, 13, 14, 15};

    @Test
    void translatedBlocksMatchTheInterpreterSliceBySlice() {
        long[] translated = {0};
        qt().withFixedSeed(SEED).withExamples(CASES).forAll(longs().all())
                .checkAssert(seed -> translated[0] += runCase(seed));
        assertThat(translated[0]).as("blocks translated over all programs").isGreaterThan(CASES);
    }

    /** One program on both CPUs; returns the blocks the translating CPU translated. */
    static long runCase(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] code = program(rnd);
        boolean amd = rnd.nextBoolean();
        TestCpu ref = setUp(amd, code, seed);
        TestCpu jit = setUp(amd, code, seed);
        ref.cpu.setJit(false);
        jit.cpu.setJit(true, 16 + rnd.nextInt(64));
        for (int slice = 0; slice < 400; slice++) {
            long insns = rnd.nextInt(4) == 0 ? Long.MAX_VALUE : 1 + rnd.nextInt(rnd.nextBoolean() ? 20 : 3000);
            long cycles = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(5000) : Long.MAX_VALUE;
            if (insns == Long.MAX_VALUE && cycles == Long.MAX_VALUE) {
                insns = 200_000;
            }
            StopReason a = ref.cpu.run(insns, cycles);
            StopReason b = jit.cpu.run(insns, cycles);
            String where = "seed " + Long.toHexString(seed) + " slice " + slice;
            assertThat(b).as(where).isEqualTo(a);
            assertThat(jit.cpu.state().diff(ref.cpu.state())).as(where).isEmpty();
            assertThat(jit.cpu.instructions()).as(where + " instructions").isEqualTo(ref.cpu.instructions());
            assertThat(jit.cpu.cycles()).as(where + " cycles").isEqualTo(ref.cpu.cycles());
            assertThat(memory(jit)).as(where + " memory").isEqualTo(memory(ref));
            if (a != StopReason.INSTRUCTION_LIMIT && a != StopReason.CYCLE_LIMIT) {
                break;
            }
        }
        assertThat(ref.cpu.blocksTranslated()).isZero();
        assertThat(jit.cpu.translationFailures()).as("seed " + Long.toHexString(seed)).isZero();
        return jit.cpu.blocksTranslated();
    }

    private static TestCpu setUp(boolean amd, byte[] code, long seed) {
        TestCpu t = TestCpu.long64(amd ? "amd-zen" : "intel-core");
        t.bus.load(TestCpu.CODE, code);
        t.bus.write(HANDLER, 1, 0xf4);
        for (int v = 0; v < 32; v++) {
            t.idt64(v, 0x18, HANDLER, 0xe, 0, 0);
        }
        t.cpu.flushDecodeCache();
        SplittableRandom r = new SplittableRandom(seed ^ 0x5eed);
        var s = t.cpu.state();
        for (int i = 0; i < 16; i++) {
            s.gpr[i] = r.nextBoolean() ? r.nextInt(8) - 3 : r.nextLong();
        }
        s.gpr[Reg.RSP] = TestCpu.STACK;
        s.gpr[Reg.RDI] = DATA;
        s.gpr[Reg.RCX] = 40 + r.nextInt(200);
        s.gpr[Reg.RBX] = r.nextInt(64);
        int bad = r.nextInt(8);
        s.gpr[Reg.RBP] = bad == 0 ? 0x8000_0000_0000_0000L : bad == 1 ? 0x1_4000_0000L : DATA + 0x1000;
        s.seg[Reg.FS].base = 0x1000;
        s.setRflags((r.nextLong() & 0x8d5) | 2);
        s.rip = TestCpu.CODE;
        for (long a = DATA; a < DATA + DATA_SIZE; a += 8) {
            t.bus.write(a, 8, r.nextLong());
        }
        return t;
    }

    private static long[] memory(TestCpu t) {
        int n = (int) (DATA_SIZE / 8);
        long[] m = new long[n + 512];
        for (int i = 0; i < n; i++) {
            m[i] = t.bus.read(DATA + 8L * i, 8);
        }
        for (int i = 0; i < 512; i++) {
            m[n + i] = t.bus.read(TestCpu.STACK - 4096 + 8L * i, 8);
        }
        return m;
    }

    // ------------------------------------------------------------------ the random program

    /** loop: body; dec ecx; jnz loop; hlt; sub: body'; ret */
    static byte[] program(SplittableRandom rnd) {
        Asm body = new Asm(TestCpu.CODE);
        int n = 3 + rnd.nextInt(30);
        int subAt = 0x800;
        for (int i = 0; i < n; i++) {
            insn(body, rnd, subAt);
        }
        body.b(0xff, 0xc9); // dec ecx
        long after = body.pc() + 6;
        body.b(0x0f, 0x85).d32(TestCpu.CODE - after); // jnz loop
        body.b(0xf4); // hlt
        byte[] code = new byte[0xf00];
        byte[] main = body.bytes();
        System.arraycopy(main, 0, code, 0, main.length);
        Asm sub = new Asm(TestCpu.CODE + subAt);
        for (int i = rnd.nextInt(4); i > 0; i--) {
            alu(sub, rnd);
        }
        sub.b(0xc3);
        byte[] s = sub.bytes();
        System.arraycopy(s, 0, code, subAt, s.length);
        return code;
    }

    private static void insn(Asm a, SplittableRandom rnd, int subAt) {
        int kind = rnd.nextInt(22);
        switch (kind) {
            case 0: case 1: case 2: alu(a, rnd); break;
            case 3: rr(a, 0x89, pick(rnd, SRC), pick(rnd, DEST), rnd.nextBoolean()); break; // mov r, r
            case 4: { // inc/dec
                int r = pick(rnd, DEST);
                rex(a, 0, r, rnd.nextBoolean());
                a.b(0xff, 0xc0 | (rnd.nextBoolean() ? 8 : 0) | (r & 7));
                break;
            }
            case 5: { // shl/shr/sar r, imm8 (a count of 0 is not translated)
                int r = pick(rnd, DEST);
                int[] ops = {4, 5, 7};
                rex(a, 0, r, rnd.nextBoolean());
                a.b(0xc1, 0xc0 | ops[rnd.nextInt(3)] << 3 | (r & 7), rnd.nextInt(8) == 0 ? 0 : rnd.nextInt(64));
                break;
            }
            case 6: { // imul r, r
                int d = pick(rnd, DEST);
                int s = pick(rnd, SRC);
                rex(a, d, s, rnd.nextBoolean());
                a.b(0x0f, 0xaf, 0xc0 | (d & 7) << 3 | (s & 7));
                break;
            }
            case 7: { // mov r32, imm32 / mov r64, imm64 / mov r64, simm32
                int r = pick(rnd, DEST);
                int f = rnd.nextInt(3);
                if (f == 0) {
                    rex(a, 0, r, false);
                    a.b(0xb8 | (r & 7)).d32(rnd.nextBoolean() ? rnd.nextInt(4) : rnd.nextInt());
                } else if (f == 1) {
                    rex(a, 0, r, true);
                    a.b(0xb8 | (r & 7)).d64(rnd.nextLong());
                } else {
                    rex(a, 0, r, true);
                    a.b(0xc7, 0xc0 | (r & 7)).d32(rnd.nextInt());
                }
                break;
            }
            case 8: mem(a, rnd, 0x8d, pick(rnd, DEST), rnd.nextBoolean(), false); break; // lea
            case 9: case 10: mem(a, rnd, 0x8b, pick(rnd, DEST), rnd.nextBoolean(), false); break; // load
            case 11: case 12: mem(a, rnd, 0x89, pick(rnd, SRC), rnd.nextBoolean(), false); break; // store
            case 13: { // push r; pop r'
                int p = pick(rnd, SRC);
                int q = pick(rnd, DEST);
                if (p >= 8) { a.b(0x41); }
                a.b(0x50 | (p & 7));
                if (rnd.nextBoolean()) {
                    alu(a, rnd);
                }
                if (q >= 8) { a.b(0x41); }
                a.b(0x58 | (q & 7));
                break;
            }
            case 14: { // call sub
                long after = a.pc() + 5;
                a.b(0xe8).d32(TestCpu.CODE + subAt - after);
                break;
            }
            case 15: { // [a flag-setting compare, often of equal or near values;] jcc rel8 over the next instruction
                if (rnd.nextBoolean()) {
                    compare(a, rnd);
                }
                Asm next = new Asm(a.pc() + 2);
                alu(next, rnd);
                byte[] nb = next.bytes();
                a.b(0x70 | rnd.nextInt(16), nb.length);
                for (byte x : nb) {
                    a.b(x & 0xff);
                }
                break;
            }
            case 16: mem(a, rnd, 0x8b, pick(rnd, DEST), rnd.nextBoolean(), true); break; // load via RBP
            case 17: { // flag readers and writers the translator does not translate
                int d = pick(rnd, DEST);
                switch (rnd.nextInt(5)) {
                    case 0: rr(a, 0x11, pick(rnd, SRC), d, true); break; // adc
                    case 1: rex(a, 0, d, false); a.b(0x0f, 0x90 | rnd.nextInt(16), 0xc0 | (d & 7)); break; // setcc
                    case 2: a.b(0x9c); if (d >= 8) { a.b(0x41); } a.b(0x58 | (d & 7)); break; // pushf; pop
                    case 3: a.b(0xf5); break; // cmc
                    default: rr(a, 0x19, pick(rnd, SRC), d, false); break; // sbb
                }
                break;
            }
            case 18: a.b(0xbb).d32(rnd.nextInt(0x600)); break; // mov ebx, small index
            case 19: a.b(0x90); break;
            case 20: if (rnd.nextInt(4) == 0) { // mov rbp, bad or good pointer
                    a.b(0x48, 0xbd).d64(rnd.nextBoolean() ? 0x0000_8000_0000_0000L : DATA + 0x800);
                }
                break;
            default: mem(a, rnd, rnd.nextBoolean() ? 0x8b : 0x89, pick(rnd, DEST), true, false); break;
        }
    }

    /** A compare whose outcome is often "equal" or near it: cmp r, r / cmp r, small imm8 / test r, r / dec r. */
    private static void compare(Asm a, SplittableRandom rnd) {
        int r = pick(rnd, DEST);
        int s = rnd.nextBoolean() ? r : pick(rnd, SRC);
        boolean w = rnd.nextBoolean();
        switch (rnd.nextInt(5)) {
            case 0: rr(a, 0x39, s, r, w); break;
            case 1: rex(a, 0, r, w); a.b(0x83, 0xf8 | (r & 7), rnd.nextInt(5) - 2); break;
            case 2: rr(a, 0x85, s, r, w); break;
            case 3: rr(a, 0x29, s, r, w); break;
            default: rex(a, 0, r, w); a.b(0xff, 0xc8 | (r & 7)); break;
        }
    }

    /** add/or/and/sub/xor/cmp/test in register and immediate forms, 32 or 64 bits. */
    private static void alu(Asm a, SplittableRandom rnd) {
        int d = pick(rnd, DEST);
        boolean w = rnd.nextBoolean();
        int[] rrOps = {0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x85, 0x03, 0x2b, 0x33, 0x3b};
        int[] digits = {0, 1, 4, 5, 6, 7};
        switch (rnd.nextInt(4)) {
            case 0: case 1: {
                int op = rrOps[rnd.nextInt(rrOps.length)];
                int s = pick(rnd, SRC);
                if ((op & 2) != 0 && op != 0x85) {
                    rr(a, op, d, s, w); // G, E: reg = destination
                } else {
                    rr(a, op, s, d, w);
                }
                break;
            }
            case 2:
                rex(a, 0, d, w);
                a.b(0x83, 0xc0 | digits[rnd.nextInt(digits.length)] << 3 | (d & 7), rnd.nextInt(256));
                break;
            default:
                rex(a, 0, d, w);
                if (rnd.nextInt(4) == 0) {
                    a.b(0xf7, 0xc0 | (d & 7)).d32(rnd.nextInt()); // test r, imm32
                } else {
                    a.b(0x81, 0xc0 | digits[rnd.nextInt(digits.length)] << 3 | (d & 7)).d32(rnd.nextInt());
                }
                break;
        }
    }

    /** opcode with ModRM mod=11: reg field {@code reg}, rm field {@code rm}. */
    private static void rr(Asm a, int op, int reg, int rm, boolean w) {
        rex(a, reg, rm, w);
        a.b(op, 0xc0 | (reg & 7) << 3 | (rm & 7));
    }

    private static void rex(Asm a, int reg, int rm, boolean w) {
        int rex = 0x40 | (w ? 8 : 0) | (reg >> 3) << 2 | (rm >> 3);
        if (rex != 0x40) {
            a.b(rex);
        }
    }

    /** A memory form: [rdi+disp32], fs:[rdi+disp32], [rdi+rbx*8+disp32], [rip+disp32], or [rbp+disp32]. */
    private static void mem(Asm a, SplittableRandom rnd, int op, int reg, boolean w, boolean viaRbp) {
        int disp = rnd.nextInt(5) == 0 ? 0xff8 + rnd.nextInt(8) : rnd.nextInt(0x2ff8 / 8) * 8;
        int form = viaRbp ? 4 : rnd.nextInt(op == 0x8d ? 3 : 4);
        if (form == 1 && op != 0x8d) {
            a.b(0x64); // fs:
        }
        if (form == 3) {
            // rip-relative into the data area: length = REX + opcode + ModRM + disp32
            long target = DATA + disp;
            int rex = 0x40 | (w ? 8 : 0) | (reg >> 3) << 2;
            if (rex != 0x40) {
                a.b(rex);
            }
            a.b(op, (reg & 7) << 3 | 5).d32(target - (a.pc() + 4)); // pc is at the disp32: the end is 4 on
            return;
        }
        rex(a, reg, form == 4 ? Reg.RBP : Reg.RDI, w);
        if (form == 2) {
            a.b(op, 0x80 | (reg & 7) << 3 | 4, 3 << 6 | Reg.RBX << 3 | Reg.RDI).d32(disp / 4);
        } else {
            a.b(op, 0x80 | (reg & 7) << 3 | (form == 4 ? Reg.RBP : Reg.RDI)).d32(disp);
        }
    }

    private static int pick(SplittableRandom rnd, int[] from) {
        return from[rnd.nextInt(from.length)];
    }

    /** A byte sink that knows its address. */
    static final class Asm {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final long origin;

        Asm(long origin) { this.origin = origin; }

        long pc() { return origin + out.size(); }

        Asm b(int... bytes) {
            for (int x : bytes) {
                out.write(x);
            }
            return this;
        }

        Asm d32(long v) {
            for (int i = 0; i < 4; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Asm d64(long v) {
            d32(v);
            return d32(v >>> 32);
        }

        byte[] bytes() { return out.toByteArray(); }
    }
}
