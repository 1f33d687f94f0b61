package dev.hvsim.x86core.jit;

import static org.objectweb.asm.Opcodes.*;

import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.exec.FastPath;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

/**
 * Translates a basic block of decoded 64-bit instructions into a hidden class extending
 * {@link TranslatedBlock}, so that HotSpot compiles guest code. Only the forms of the interpreter's fast
 * path ({@link FastPath}) are translated, each computing exactly what {@code FastPath.execute} computes
 * (the shifts, IMUL and the general condition test call the very same functions); anything else ends the
 * block. Guest registers live in JVM locals inside the block and the lazy flags stay a translate-time
 * "recipe" over locals: they are written to {@link CpuState}'s lazy-flag fields, in the interpreter's
 * representation, only when the block leaves or a reader needs them there.
 *
 * <p>A block is one 4 KiB page at most (the decode cache's unit of invalidation), at most
 * {@link #MAX_INSNS} instructions, and ends after its first branch. When that branch goes back to the
 * block's start, the generated method loops (up to the pass budget its caller gives it); the body is
 * emitted twice, the first pass with the flags in the fields and the loop with the flags of the previous
 * pass in locals.
 */
public final class BlockTranslator {
    /** Most instructions in one block. */
    public static final int MAX_INSNS = 32;
    /** HotSpot does not compile methods over 8,000 bytes of bytecode (DontCompileHugeMethods). */
    private static final int MAX_CODE_BYTES = 7_500;

    private static final String CPU = "dev/hvsim/x86core/Cpu";
    private static final String STATE = "dev/hvsim/x86core/CpuState";
    private static final String SEGMENT = "dev/hvsim/x86core/Segment";
    private static final String FAST = "dev/hvsim/x86core/exec/FastPath";
    private static final String PAGE = "dev/hvsim/x86core/bus/PageAccess";
    private static final String SUPER = "dev/hvsim/x86core/jit/TranslatedBlock";

    // JVM locals of the generated run(Cpu, CpuState, long)
    private static final int L_CPU = 1, L_S = 2, L_MAX = 3, L_PASSES = 5, L_G = 7, L_REG0 = 8, L_NEXT = 40,
            L_TEMP0 = 42, TEMPS_PER_INSN = 9;

    private final MethodHandles.Lookup lookup = MethodHandles.lookup();
    private final boolean amd;
    private long failures;

    /** A translator for a CPU of the given vendor (AMD and Intel differ in undefined flags). */
    public BlockTranslator(boolean amd) {
        this.amd = amd;
    }

    /**
     * Translates the block starting at {@code page[offset]} (decoded in 64-bit mode, at linear
     * {@code rip}); null when its first instruction cannot be translated.
     */
    public TranslatedBlock translate(DecodedInsn[] page, int offset, long rip) {
        List<DecodedInsn> insns = collect(page, offset, rip);
        try {
            for (int n = insns.size(); n > 0; n /= 2) {
                List<DecodedInsn> body = insns.subList(0, n);
                Emitter e = new Emitter(body, rip);
                byte[] code = e.emitClass(true);
                if (code == null) {
                    code = e.emitClass(false);
                }
                if (code != null) {
                    return define(code, body, rip, e.loops);
                }
            }
        } catch (RuntimeException bug) {
            failures++; // as in define: never a JVM throw for guest code; tests require no failures
        }
        return null;
    }

    /** Generated classes the JVM refused (a translator bug; the blocks stay interpreted). */
    public long failures() {
        return failures;
    }

    /** The translatable instructions from {@code offset} on: up to the first branch, within the page. */
    static List<DecodedInsn> collect(DecodedInsn[] page, int offset, long rip) {
        List<DecodedInsn> out = new ArrayList<>();
        int off = offset;
        long r = rip;
        while (out.size() < MAX_INSNS && off < 4096) {
            DecodedInsn d = page[off];
            if (d == null || !translatable(d, r)) {
                break;
            }
            out.add(d);
            if (endsBlock(d)) {
                break;
            }
            off += d.length;
            r += d.length;
        }
        return out;
    }

    private static boolean endsBlock(DecodedInsn d) {
        return d.fast == FastPath.JCC || d.fast == FastPath.JMP || d.fast == FastPath.CALL || d.fast == FastPath.RET;
    }

    private static boolean translatable(DecodedInsn d, long rip) {
        if (d.codeSize != 64 || !d.cacheable || d.checks != 0 || d.intercept != null || d.lock || d.rep != 0
                || d.opSize < 4) {
            return false;
        }
        switch (d.fast) {
            case FastPath.MOV_RR: case FastPath.MOV_RI: case FastPath.ALU_RR: case FastPath.ALU_RI:
            case FastPath.INC_R: case FastPath.DEC_R: case FastPath.PUSH_R: case FastPath.POP_R:
            case FastPath.RET: case FastPath.SHIFT_RI: case FastPath.IMUL_RR: case FastPath.NOP:
                return true;
            case FastPath.MOV_LOAD: case FastPath.MOV_STORE: case FastPath.LEA:
                return d.memOp && (d.addrSize == 8 || d.addrSize == 4);
            case FastPath.JCC: case FastPath.JMP: case FastPath.CALL:
                // the target is a constant: translate only when the interpreter's jumpNear cannot fault on it
                // under either paging width (canonical with 48 bits implies canonical with 57)
                return d.opSize == 8 && canonical48(rip + d.length + d.imm);
            default:
                return false;
        }
    }

    private static boolean canonical48(long a) {
        return ((a << 16) >> 16) == a;
    }

    private TranslatedBlock define(byte[] code, List<DecodedInsn> body, long rip, boolean loops) {
        TranslatedBlock b;
        try {
            MethodHandles.Lookup h = lookup.defineHiddenClass(code, true);
            b = (TranslatedBlock) h.findConstructor(h.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (Throwable t) {
            // the generated class is this translator's own output, so this is a bug in hvsim; guest code must
            // never make the JVM throw, so the block stays interpreted (counted: tests require none)
            failures++;
            return null;
        }
        b.startRip = rip;
        b.length = body.size();
        b.loops = loops;
        b.cumulativeCycles = new long[body.size() + 1];
        for (int k = 0; k < body.size(); k++) {
            b.cumulativeCycles[k + 1] = b.cumulativeCycles[k] + body.get(k).cycles;
        }
        b.passCycles = b.cumulativeCycles[body.size()];
        return b;
    }

    /**
     * Where the lazy status flags are at a point of the block, known at translate time. FIELDS: in
     * CpuState's fields. LAZY: CpuState's lazy representation with operands in locals (a slot) or constants
     * (slot -1). SHIFT / IMUL: the inputs of FastPath.shiftFlags / imulFlags in locals. {@code aux}: the
     * local holding lfAux when an INC/DEC in the block changed it, else -1 (the field is current).
     */
    private record Flags(int kind, int op, int size, int dst, long dstC, int src, long srcC, int res, int aux,
            int shiftOp, int count) {
        static final int FIELDS = 0, LAZY = 1, SHIFT = 2, IMUL = 3;
        static final Flags IN_FIELDS = new Flags(FIELDS, 0, 0, -1, 0, -1, 0, -1, -1, 0, 0);

        static Flags lazy(int op, int size, int dst, long dstC, int src, long srcC, int res, int aux) {
            return new Flags(LAZY, op, size, dst, dstC, src, srcC, res, aux, 0, 0);
        }
    }

    /** Emits one block's class: one instance per translation attempt. */
    private final class Emitter {
        private final List<DecodedInsn> body;
        private final long startRip;
        private final long[] rips;
        private final boolean[] used = new boolean[16];
        private final boolean[] written = new boolean[16];
        boolean loops;
        private MethodVisitor mv;
        private Flags flags;
        private final List<Runnable> stubs = new ArrayList<>();
        private Label finish;
        private Label loopHead;

        Emitter(List<DecodedInsn> body, long startRip) {
            this.body = body;
            this.startRip = startRip;
            this.rips = new long[body.size()];
            long r = startRip;
            for (int k = 0; k < body.size(); k++) {
                rips[k] = r;
                r += body.get(k).length;
                registers(body.get(k));
            }
        }

        /** Marks the registers an instruction reads and writes. */
        private void registers(DecodedInsn d) {
            switch (d.fast) {
                case FastPath.MOV_RR: use(d.fastB); def(d.fastA); break;
                case FastPath.MOV_RI: def(d.fastA); break;
                case FastPath.ALU_RR: use(d.fastA); use(d.fastB); def(d.fastA); break;
                case FastPath.ALU_RI: case FastPath.INC_R: case FastPath.DEC_R: use(d.fastA); def(d.fastA); break;
                case FastPath.SHIFT_RI: use(d.rm); def(d.rm); break;
                case FastPath.IMUL_RR: use(d.fastA); use(d.fastB); def(d.fastA); break;
                case FastPath.LEA: eaRegs(d); def(d.fastA); break;
                case FastPath.MOV_LOAD: eaRegs(d); def(d.fastA); break;
                case FastPath.MOV_STORE: eaRegs(d); use(d.fastB); break;
                case FastPath.PUSH_R: use(d.reg); def(Reg.RSP); break;
                case FastPath.POP_R: def(d.reg); def(Reg.RSP); break;
                case FastPath.CALL: case FastPath.RET: def(Reg.RSP); break;
                default: break;
            }
        }

        private void eaRegs(DecodedInsn d) {
            if (d.base >= 0 && d.base != DecodedInsn.BASE_RIP) {
                use(d.base);
            }
            if (d.index >= 0) {
                use(d.index);
            }
        }

        private void use(int r) { used[r] = true; }

        private void def(int r) {
            used[r] = true;
            written[r] = true;
        }

        private boolean branchesToStart() {
            DecodedInsn last = body.get(body.size() - 1);
            return (last.fast == FastPath.JCC || last.fast == FastPath.JMP)
                    && rips[body.size() - 1] + last.length + last.imm == startRip;
        }

        /** The class file, or null when the method would be too large (or, looping, inconsistent). */
        byte[] emitClass(boolean tryLoop) {
            loops = tryLoop && branchesToStart();
            if (tryLoop && !loops) {
                return emitClass(false);
            }
            ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
                @Override
                protected String getCommonSuperClass(String a, String b) {
                    return "java/lang/Object";
                }
            };
            cw.visit(V17, ACC_FINAL | ACC_SUPER, "dev/hvsim/x86core/jit/Block", null, SUPER, null);
            MethodVisitor init = cw.visitMethod(0, "<init>", "()V", null, null);
            init.visitCode();
            init.visitVarInsn(ALOAD, 0);
            init.visitMethodInsn(INVOKESPECIAL, SUPER, "<init>", "()V", false);
            init.visitInsn(RETURN);
            init.visitMaxs(0, 0);
            init.visitEnd();
            mv = cw.visitMethod(ACC_PUBLIC, "run", "(L" + CPU + ";L" + STATE + ";J)J", null, null);
            mv.visitCode();
            stubs.clear();
            finish = new Label();
            loopHead = loops ? new Label() : null;
            prologue();
            flags = Flags.IN_FIELDS;
            pass();
            if (loops) {
                Flags afterFirst = flags;
                mv.visitLabel(loopHead);
                pass();
                if (!flags.equals(afterFirst)) {
                    return null; // the loop's flag state would depend on the pass: emit without looping
                }
            }
            Flags atEnd = flags;
            mv.visitLabel(finish);
            writeBack(atEnd);
            mv.visitVarInsn(ALOAD, L_S);
            mv.visitVarInsn(LLOAD, L_NEXT);
            mv.visitFieldInsn(PUTFIELD, STATE, "rip", "J");
            mv.visitVarInsn(LLOAD, L_PASSES);
            mv.visitIntInsn(BIPUSH, 8);
            mv.visitInsn(LSHL);
            mv.visitInsn(LRETURN);
            for (Runnable stub : stubs) {
                stub.run();
            }
            Label end = new Label();
            mv.visitLabel(end);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
            cw.visitEnd();
            if (end.getOffset() > MAX_CODE_BYTES) {
                return null;
            }
            return cw.toByteArray();
        }

        private void prologue() {
            mv.visitVarInsn(ALOAD, L_S);
            mv.visitFieldInsn(GETFIELD, STATE, "gpr", "[J");
            mv.visitVarInsn(ASTORE, L_G);
            mv.visitInsn(LCONST_0);
            mv.visitVarInsn(LSTORE, L_PASSES);
            mv.visitInsn(LCONST_0);
            mv.visitVarInsn(LSTORE, L_NEXT);
            for (int r = 0; r < 16; r++) {
                if (used[r]) {
                    mv.visitVarInsn(ALOAD, L_G);
                    iconst(r);
                    mv.visitInsn(LALOAD);
                    mv.visitVarInsn(LSTORE, reg(r));
                }
            }
        }

        /** One pass over the body; leaves {@link #flags} as after the last instruction. */
        private void pass() {
            for (int k = 0; k < body.size(); k++) {
                insn(k, body.get(k));
            }
            DecodedInsn last = body.get(body.size() - 1);
            if (!endsBlock(last)) {
                lconst(rips[body.size() - 1] + last.length);
                mv.visitVarInsn(LSTORE, L_NEXT);
                endPass(false);
            }
        }

        /** Counts the pass and leaves (L_NEXT holds the next RIP) or, for a back edge, loops while allowed. */
        private void endPass(boolean backEdge) {
            mv.visitVarInsn(LLOAD, L_PASSES);
            mv.visitInsn(LCONST_1);
            mv.visitInsn(LADD);
            mv.visitVarInsn(LSTORE, L_PASSES);
            if (backEdge && loops) {
                mv.visitVarInsn(LLOAD, L_PASSES);
                mv.visitVarInsn(LLOAD, L_MAX);
                mv.visitInsn(LCMP);
                mv.visitJumpInsn(IFLT, loopHead);
            }
            mv.visitJumpInsn(GOTO, finish);
        }

        private int reg(int r) { return L_REG0 + 2 * r; }

        private int temp(int k, int i) { return L_TEMP0 + k * TEMPS_PER_INSN + 2 * i; }

        private int pageSlot(int k) { return L_TEMP0 + k * TEMPS_PER_INSN + 8; }

        // ------------------------------------------------------------------ instructions

        private void insn(int k, DecodedInsn d) {
            int size = d.opSize;
            switch (d.fast) {
                case FastPath.MOV_RR:
                    mv.visitVarInsn(LLOAD, reg(d.fastB));
                    putReg(d.fastA, size);
                    break;
                case FastPath.MOV_RI:
                    lconst(size == 8 ? d.imm : d.imm & 0xffffffffL);
                    mv.visitVarInsn(LSTORE, reg(d.fastA));
                    break;
                case FastPath.LEA:
                    ea(k, d);
                    putReg(d.fastA, size);
                    break;
                case FastPath.MOV_LOAD:
                    ea(k, d);
                    mv.visitVarInsn(LSTORE, temp(k, 0));
                    load(k, temp(k, 0), size);
                    putReg(d.fastA, size);
                    break;
                case FastPath.MOV_STORE:
                    ea(k, d);
                    mv.visitVarInsn(LSTORE, temp(k, 0));
                    pagePrologue(k, temp(k, 0), size, true);
                    mv.visitVarInsn(LLOAD, reg(d.fastB));
                    pageWrite(size);
                    break;
                case FastPath.ALU_RR: case FastPath.ALU_RI: alu(k, d); break;
                case FastPath.INC_R: case FastPath.DEC_R: incDec(k, d); break;
                case FastPath.SHIFT_RI: shift(k, d); break;
                case FastPath.IMUL_RR: imul(k, d); break;
                case FastPath.PUSH_R: push(k, reg(d.reg)); break;
                case FastPath.POP_R:
                    mv.visitVarInsn(LLOAD, reg(Reg.RSP));
                    mv.visitVarInsn(LSTORE, temp(k, 0));
                    load(k, temp(k, 0), 8);
                    mv.visitVarInsn(LSTORE, temp(k, 1));
                    mv.visitVarInsn(LLOAD, temp(k, 0));
                    lconst(8);
                    mv.visitInsn(LADD);
                    mv.visitVarInsn(LSTORE, reg(Reg.RSP));
                    mv.visitVarInsn(LLOAD, temp(k, 1));
                    mv.visitVarInsn(LSTORE, reg(d.reg));
                    break;
                case FastPath.NOP: break;
                case FastPath.JMP:
                    lconst(target(k, d));
                    mv.visitVarInsn(LSTORE, L_NEXT);
                    endPass(target(k, d) == startRip);
                    break;
                case FastPath.JCC: jcc(k, d); break;
                case FastPath.CALL:
                    // FastPath.call: the target is checked (constant, canonical) before the push
                    lconst(rips[k] + d.length);
                    mv.visitVarInsn(LSTORE, temp(k, 3));
                    push(k, temp(k, 3));
                    lconst(target(k, d));
                    mv.visitVarInsn(LSTORE, L_NEXT);
                    endPass(false);
                    break;
                case FastPath.RET: ret(k); break;
                default: throw new IllegalStateException("untranslatable form " + d.fast);
            }
        }

        private long target(int k, DecodedInsn d) {
            return rips[k] + d.length + d.imm;
        }

        /** FastPath.put: a 32-bit register write zero-extends (SDM Vol. 1 3.4.1.1). Value on the stack. */
        private void putReg(int r, int size) {
            if (size == 4) {
                lconst(0xffffffffL);
                mv.visitInsn(LAND);
            }
            mv.visitVarInsn(LSTORE, reg(r));
        }

        /** Pushes a register operand as the interpreter reads it at {@code size}. */
        private void regOperand(int r, int size) {
            mv.visitVarInsn(LLOAD, reg(r));
            if (size == 4) {
                lconst(0xffffffffL);
                mv.visitInsn(LAND);
            }
        }

        /** Cpu.ea plus the FS/GS base of Cpu.read/write in 64-bit mode, on the stack. */
        private void ea(int k, DecodedInsn d) {
            long c = d.disp;
            if (d.base == DecodedInsn.BASE_RIP) {
                c += rips[k] + d.length;
            }
            lconst(c);
            if (d.base >= 0 && d.base != DecodedInsn.BASE_RIP) {
                mv.visitVarInsn(LLOAD, reg(d.base));
                mv.visitInsn(LADD);
            }
            if (d.index >= 0) {
                mv.visitVarInsn(LLOAD, reg(d.index));
                if (d.scale != 0) {
                    iconst(d.scale);
                    mv.visitInsn(LSHL);
                }
                mv.visitInsn(LADD);
            }
            if (d.addrSize == 4) {
                lconst(0xffffffffL);
                mv.visitInsn(LAND);
            }
            if (d.fast != FastPath.LEA && d.seg >= Reg.FS) {
                mv.visitVarInsn(ALOAD, L_S);
                mv.visitFieldInsn(GETFIELD, STATE, "seg", "[L" + SEGMENT + ";");
                iconst(d.seg);
                mv.visitInsn(AALOAD);
                mv.visitFieldInsn(GETFIELD, SEGMENT, "base", "J");
                mv.visitInsn(LADD);
            }
        }

        /** The TLB-hit page of the access at the linear address in {@code linSlot}, or a side exit before k. */
        private void pagePrologue(int k, int linSlot, int size, boolean write) {
            mv.visitVarInsn(ALOAD, L_CPU);
            mv.visitVarInsn(LLOAD, linSlot);
            iconst(size);
            mv.visitMethodInsn(INVOKEVIRTUAL, CPU, write ? "tlbWritePage" : "tlbReadPage", "(JI)[B", false);
            mv.visitInsn(DUP);
            mv.visitVarInsn(ASTORE, pageSlot(k));
            mv.visitJumpInsn(IFNULL, sideExit(k));
            mv.visitVarInsn(ALOAD, pageSlot(k));
            mv.visitVarInsn(LLOAD, linSlot);
            mv.visitInsn(L2I);
            mv.visitIntInsn(SIPUSH, 0xfff);
            mv.visitInsn(IAND);
            iconst(size);
        }

        /** Loads {@code size} bytes at the linear address in {@code linSlot}; the value is on the stack. */
        private void load(int k, int linSlot, int size) {
            pagePrologue(k, linSlot, size, false);
            mv.visitMethodInsn(INVOKESTATIC, PAGE, "read", "([BII)J", false);
        }

        private void pageWrite(int size) {
            mv.visitMethodInsn(INVOKESTATIC, PAGE, "write", "([BIIJ)V", false);
        }

        /** Cpu.push(v, 8) in 64-bit mode: the store is checked before RSP changes. */
        private void push(int k, int valueSlot) {
            mv.visitVarInsn(LLOAD, reg(Reg.RSP));
            lconst(8);
            mv.visitInsn(LSUB);
            mv.visitVarInsn(LSTORE, temp(k, 0));
            pagePrologue(k, temp(k, 0), 8, true);
            mv.visitVarInsn(LLOAD, valueSlot);
            pageWrite(8);
            mv.visitVarInsn(LLOAD, temp(k, 0));
            mv.visitVarInsn(LSTORE, reg(Reg.RSP));
        }

        /** FastPath.ret: the return address is read and checked before RSP changes (SDM Vol. 2B RET). */
        private void ret(int k) {
            mv.visitVarInsn(LLOAD, reg(Reg.RSP));
            mv.visitVarInsn(LSTORE, temp(k, 0));
            load(k, temp(k, 0), 8);
            mv.visitVarInsn(LSTORE, temp(k, 1));
            mv.visitVarInsn(ALOAD, L_CPU);
            mv.visitVarInsn(LLOAD, temp(k, 1));
            mv.visitMethodInsn(INVOKEVIRTUAL, CPU, "canonical", "(J)Z", false);
            mv.visitJumpInsn(IFEQ, sideExit(k)); // the interpreter raises the #GP
            mv.visitVarInsn(LLOAD, temp(k, 0));
            lconst(8);
            mv.visitInsn(LADD);
            mv.visitVarInsn(LSTORE, reg(Reg.RSP));
            mv.visitVarInsn(LLOAD, temp(k, 1));
            mv.visitVarInsn(LSTORE, L_NEXT);
            endPass(false);
        }

        /** FastPath.alu: operands at the operand size, CpuState.lazy's representation of the flags. */
        private void alu(int k, DecodedInsn d) {
            int size = d.opSize;
            int kind = FastPath.aluKind(d);
            regOperand(d.fastA, size);
            mv.visitVarInsn(LSTORE, temp(k, 0));
            int srcSlot = -1;
            long srcC = d.imm;
            if (d.fast == FastPath.ALU_RR) {
                srcSlot = temp(k, 1);
                regOperand(d.fastB, size);
                mv.visitVarInsn(LSTORE, srcSlot);
            }
            mv.visitVarInsn(LLOAD, temp(k, 0));
            if (srcSlot >= 0) {
                mv.visitVarInsn(LLOAD, srcSlot);
            } else {
                lconst(srcC);
            }
            int op;
            switch (kind) {
                case FastPath.K_ADD: mv.visitInsn(LADD); op = CpuState.LF_ADD; break;
                case FastPath.K_SUB: case FastPath.K_CMP: mv.visitInsn(LSUB); op = CpuState.LF_SUB; break;
                case FastPath.K_AND: case FastPath.K_TEST: mv.visitInsn(LAND); op = CpuState.LF_LOGIC; break;
                case FastPath.K_OR: mv.visitInsn(LOR); op = CpuState.LF_LOGIC; break;
                default: mv.visitInsn(LXOR); op = CpuState.LF_LOGIC; break;
            }
            mv.visitVarInsn(LSTORE, temp(k, 2));
            int aux = flags.kind() == Flags.LAZY ? flags.aux() : -1;
            if (op == CpuState.LF_LOGIC) {
                flags = Flags.lazy(op, size, -1, 0, -1, 0, temp(k, 2), aux);
            } else {
                flags = Flags.lazy(op, size, temp(k, 0), 0, srcSlot, srcC, temp(k, 2), aux);
            }
            if (kind != FastPath.K_CMP && kind != FastPath.K_TEST) {
                mv.visitVarInsn(LLOAD, temp(k, 2));
                putReg(d.fastA, size);
            }
        }

        /** FastPath.incDec with CpuState.lazyIncDec: CF is kept (SDM Vol. 2A INC/DEC). */
        private void incDec(int k, DecodedInsn d) {
            int size = d.opSize;
            carry();
            mv.visitVarInsn(LSTORE, temp(k, 3));
            regOperand(d.fastA, size);
            mv.visitVarInsn(LSTORE, temp(k, 0));
            mv.visitVarInsn(LLOAD, temp(k, 0));
            mv.visitInsn(LCONST_1);
            mv.visitInsn(d.fast == FastPath.INC_R ? LADD : LSUB);
            mv.visitVarInsn(LSTORE, temp(k, 2));
            mv.visitVarInsn(LLOAD, temp(k, 2));
            putReg(d.fastA, size);
            int op = d.fast == FastPath.INC_R ? CpuState.LF_INC : CpuState.LF_DEC;
            flags = Flags.lazy(op, size, temp(k, 0), 0, -1, 1, temp(k, 2), temp(k, 3));
        }

        /** FastPath.shift: ShiftRotate's result, flags deferred to ShiftRotate.shiftFlags. */
        private void shift(int k, DecodedInsn d) {
            int size = d.opSize;
            regOperand(d.rm, size);
            mv.visitVarInsn(LSTORE, temp(k, 0));
            iconst(d.fastA);
            iconst(size);
            mv.visitVarInsn(LLOAD, temp(k, 0));
            iconst(d.fastB);
            mv.visitMethodInsn(INVOKESTATIC, FAST, "shiftResult", "(IIJI)J", false);
            mv.visitVarInsn(LSTORE, temp(k, 2));
            mv.visitVarInsn(LLOAD, temp(k, 2));
            putReg(d.rm, size);
            flags = new Flags(Flags.SHIFT, 0, size, temp(k, 0), 0, -1, 0, temp(k, 2), -1, d.fastA, d.fastB);
        }

        /** FastPath.imul: MulDiv's product; flags deferred (Intel) or set now (AMD keeps SF/ZF/AF/PF). */
        private void imul(int k, DecodedInsn d) {
            int size = d.opSize;
            mv.visitVarInsn(LLOAD, reg(d.fastA));
            mv.visitVarInsn(LSTORE, temp(k, 0));
            mv.visitVarInsn(LLOAD, reg(d.fastB));
            mv.visitVarInsn(LSTORE, temp(k, 1));
            iconst(size);
            mv.visitVarInsn(LLOAD, temp(k, 0));
            mv.visitVarInsn(LLOAD, temp(k, 1));
            mv.visitMethodInsn(INVOKESTATIC, FAST, "imulProduct", "(IJJ)J", false);
            putReg(d.fastA, size);
            Flags f = new Flags(Flags.IMUL, 0, size, temp(k, 0), 0, temp(k, 1), 0, -1, -1, 0, 0);
            if (amd) {
                materialize();
                flags = f;
                materialize();
            } else {
                flags = f;
            }
        }

        /** Jcc: the condition from the recipe where it is a plain comparison, else from the fields. */
        private void jcc(int k, DecodedInsn d) {
            int cc = d.fastA;
            Label taken = new Label();
            condition(cc, taken);
            long fall = rips[k] + d.length;
            lconst(fall);
            mv.visitVarInsn(LSTORE, L_NEXT);
            endPass(fall == startRip);
            mv.visitLabel(taken);
            lconst(target(k, d));
            mv.visitVarInsn(LSTORE, L_NEXT);
            endPass(target(k, d) == startRip);
        }

        /** Jumps to {@code taken} when condition {@code cc} holds (SDM Vol. 1 Appendix B, Table B-1). */
        private void condition(int cc, Label taken) {
            boolean not = (cc & 1) != 0;
            int base = cc >>> 1;
            Flags f = flags;
            if (f.kind() == Flags.LAZY && (base == 2 || base == 4)) { // Z, S
                mv.visitVarInsn(LLOAD, f.res());
                if (f.size() == 4) {
                    mv.visitInsn(L2I);
                } else {
                    mv.visitInsn(LCONST_0);
                    mv.visitInsn(LCMP);
                }
                mv.visitJumpInsn(base == 2 ? (not ? IFNE : IFEQ) : (not ? IFGE : IFLT), taken);
                return;
            }
            if (f.kind() == Flags.LAZY && f.op() == CpuState.LF_SUB && (base == 1 || base == 3)) { // B, BE
                operand(f.dst(), f.dstC(), f.size());
                operand(f.src(), f.srcC(), f.size());
                mv.visitMethodInsn(INVOKESTATIC, "java/lang/Long", "compareUnsigned", "(JJ)I", false);
                mv.visitJumpInsn(base == 1 ? (not ? IFGE : IFLT) : (not ? IFGT : IFLE), taken);
                return;
            }
            if (f.kind() == Flags.LAZY && f.op() == CpuState.LF_SUB && (base == 6 || base == 7)) { // L, LE
                if (f.size() == 4) {
                    operand(f.dst(), f.dstC(), 8);
                    mv.visitInsn(L2I);
                    operand(f.src(), f.srcC(), 8);
                    mv.visitInsn(L2I);
                    mv.visitJumpInsn(base == 6 ? (not ? IF_ICMPGE : IF_ICMPLT) : (not ? IF_ICMPGT : IF_ICMPLE), taken);
                } else {
                    operand(f.dst(), f.dstC(), 8);
                    operand(f.src(), f.srcC(), 8);
                    mv.visitInsn(LCMP);
                    mv.visitJumpInsn(base == 6 ? (not ? IFGE : IFLT) : (not ? IFGT : IFLE), taken);
                }
                return;
            }
            materialize();
            mv.visitVarInsn(ALOAD, L_S);
            iconst(cc);
            mv.visitMethodInsn(INVOKESTATIC, FAST, "condition", "(L" + STATE + ";I)Z", false);
            mv.visitJumpInsn(IFNE, taken);
        }

        /** A recipe operand masked to {@code size} bytes, on the stack. */
        private void operand(int slot, long c, int size) {
            if (slot >= 0) {
                mv.visitVarInsn(LLOAD, slot);
                if (size == 4) {
                    lconst(0xffffffffL);
                    mv.visitInsn(LAND);
                }
            } else {
                lconst(size == 4 ? c & 0xffffffffL : c);
            }
        }

        /** CF (0 or 1) of the current flags, on the stack: CpuState.cf() on the recipe. */
        private void carry() {
            Flags f = flags;
            if (f.kind() == Flags.LAZY) {
                switch (f.op()) {
                    case CpuState.LF_ADD:
                        operand(f.res(), 0, f.size());
                        operand(f.dst(), f.dstC(), f.size());
                        unsignedBelow();
                        return;
                    case CpuState.LF_SUB:
                        operand(f.dst(), f.dstC(), f.size());
                        operand(f.src(), f.srcC(), f.size());
                        unsignedBelow();
                        return;
                    case CpuState.LF_LOGIC:
                        mv.visitInsn(LCONST_0);
                        return;
                    case CpuState.LF_INC: case CpuState.LF_DEC:
                        mv.visitVarInsn(LLOAD, f.aux());
                        return;
                    default: break;
                }
            }
            materialize();
            mv.visitVarInsn(ALOAD, L_S);
            mv.visitMethodInsn(INVOKEVIRTUAL, STATE, "cf", "()Z", false);
            mv.visitInsn(I2L);
        }

        /** (a <u b) ? 1L : 0L for the two longs on the stack. */
        private void unsignedBelow() {
            mv.visitMethodInsn(INVOKESTATIC, "java/lang/Long", "compareUnsigned", "(JJ)I", false);
            iconst(31);
            mv.visitInsn(IUSHR);
            mv.visitInsn(I2L);
        }

        /** Writes the current flags into CpuState's fields; afterwards they are there. */
        private void materialize() {
            emitFlagStore(flags);
            flags = Flags.IN_FIELDS;
        }

        private void emitFlagStore(Flags f) {
            switch (f.kind()) {
                case Flags.LAZY:
                    putInt("lfOp", f.op());
                    putInt("lfSize", f.size());
                    putLong("lfDst", f.dst(), f.dstC());
                    putLong("lfSrc", f.src(), f.srcC());
                    putLong("lfRes", f.res(), 0);
                    if (f.aux() >= 0) {
                        putLong("lfAux", f.aux(), 0);
                    }
                    break;
                case Flags.SHIFT:
                    mv.visitVarInsn(ALOAD, L_S);
                    iconst(f.shiftOp());
                    iconst(f.size());
                    mv.visitVarInsn(LLOAD, f.dst());
                    iconst(f.count());
                    mv.visitVarInsn(LLOAD, f.res());
                    iconst(amd ? 1 : 0);
                    mv.visitMethodInsn(INVOKESTATIC, FAST, "shiftFlags", "(L" + STATE + ";IIJIJZ)V", false);
                    break;
                case Flags.IMUL:
                    mv.visitVarInsn(ALOAD, L_CPU);
                    iconst(f.size());
                    mv.visitVarInsn(LLOAD, f.dst());
                    mv.visitVarInsn(LLOAD, f.src());
                    mv.visitMethodInsn(INVOKESTATIC, FAST, "imulFlags", "(L" + CPU + ";IJJ)V", false);
                    break;
                default: break;
            }
        }

        private void putInt(String field, int v) {
            mv.visitVarInsn(ALOAD, L_S);
            iconst(v);
            mv.visitFieldInsn(PUTFIELD, STATE, field, "I");
        }

        private void putLong(String field, int slot, long c) {
            mv.visitVarInsn(ALOAD, L_S);
            if (slot >= 0) {
                mv.visitVarInsn(LLOAD, slot);
            } else {
                lconst(c);
            }
            mv.visitFieldInsn(PUTFIELD, STATE, field, "J");
        }

        /** Registers and flags back into CpuState (RIP and the result are the caller's). */
        private void writeBack(Flags f) {
            for (int r = 0; r < 16; r++) {
                if (written[r]) {
                    mv.visitVarInsn(ALOAD, L_G);
                    iconst(r);
                    mv.visitVarInsn(LLOAD, reg(r));
                    mv.visitInsn(LASTORE);
                }
            }
            emitFlagStore(f);
        }

        /** A side exit before instruction k with the state as after instruction k - 1. */
        private Label sideExit(int k) {
            Label l = new Label();
            Flags f = flags;
            long rip = rips[k];
            stubs.add(() -> {
                mv.visitLabel(l);
                writeBack(f);
                mv.visitVarInsn(ALOAD, L_S);
                lconst(rip);
                mv.visitFieldInsn(PUTFIELD, STATE, "rip", "J");
                mv.visitVarInsn(LLOAD, L_PASSES);
                mv.visitIntInsn(BIPUSH, 8);
                mv.visitInsn(LSHL);
                lconst(TranslatedBlock.SIDE_EXIT | k);
                mv.visitInsn(LOR);
                mv.visitInsn(LRETURN);
            });
            return l;
        }

        private void iconst(int v) {
            if (v >= -1 && v <= 5) {
                mv.visitInsn(ICONST_0 + v);
            } else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
                mv.visitIntInsn(BIPUSH, v);
            } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
                mv.visitIntInsn(SIPUSH, v);
            } else {
                mv.visitLdcInsn(v);
            }
        }

        private void lconst(long v) {
            if (v == 0) {
                mv.visitInsn(LCONST_0);
            } else if (v == 1) {
                mv.visitInsn(LCONST_1);
            } else {
                mv.visitLdcInsn(v);
            }
        }
    }
}
