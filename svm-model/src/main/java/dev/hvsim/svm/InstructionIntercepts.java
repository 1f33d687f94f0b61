package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.InterceptPoint;

/**
 * The instruction intercepts of VMCB words 1, 3, 4 and 5 that x86-core's opcode rows reach through an intercept point
 * (AMD APM Vol. 2 15.9 "Instruction Intercepts", Table 15-7; exit codes of Appendix C / svm-exit-codes.csv). All
 * of them are checked after the instruction's own higher-priority exceptions (#UD, #GP for CPL, CR4.TSD: x86-core's
 * central checks) and before it executes; NRIP is the next sequential RIP (15.7.1).
 *
 * <p>Simple intercepts are a table (point → word, bit, exit code); the rest need the operands: MOV DRn (word 1),
 * the descriptor-table reads/writes (one point per instruction pair, told apart by ModRM.reg), INTn, INVLPG,
 * PAUSE with its filter (15.14.4), MONITOR/MWAIT with MWAIT_CONDITIONAL, and the CR0 instructions SMSW/LMSW/CLTS
 * (15.9). With DecodeAssists (15.8) MOV DRn reports the GPR, INTn the vector and INVLPG the linear address in
 * EXITINFO1.
 *
 * <p>Not reachable, so never taken: RSM (no SMM: no row), task switch (x86-core has no hardware task switch: a
 * task gate is a shutdown), FERR_FREEZE (no FERR# signalling), RDPRU (no row). SKINIT checks its intercept itself.
 */
final class InstructionIntercepts {
    private static final int N = InterceptPoint.values().length;
    /** Per intercept point: VMCB word offset, bit, exit code; word -1 = not a simple intercept. */
    private static final int[] WORD = new int[N], BIT = new int[N], CODE = new int[N];

    static {
        java.util.Arrays.fill(WORD, -1);
        simple(InterceptPoint.RDTSC, V.MISC1, 14, 0x6e);
        simple(InterceptPoint.RDPMC, V.MISC1, 15, 0x6f);
        simple(InterceptPoint.PUSHF, V.MISC1, 16, 0x70);
        simple(InterceptPoint.POPF, V.MISC1, 17, 0x71);
        simple(InterceptPoint.IRET, V.MISC1, 20, 0x74);
        simple(InterceptPoint.INVD, V.MISC1, 22, 0x76);
        simple(InterceptPoint.RDTSCP, V.MISC2, 7, 0x87);
        simple(InterceptPoint.ICEBP, V.MISC2, 8, 0x88);
        simple(InterceptPoint.WBINVD, V.MISC2, 9, 0x89);
        simple(InterceptPoint.XSETBV, V.MISC2, 13, 0x8d);
    }

    private static void simple(InterceptPoint p, int word, int bit, int code) {
        WORD[p.ordinal()] = word;
        BIT[p.ordinal()] = bit;
        CODE[p.ordinal()] = code;
    }

    private final SvmExtension x;
    /** PAUSE filter counter (15.14.4), loaded from PAUSE_FILTER_COUNT at VMRUN. */
    int pauseCounter;
    /** Cycle count of the last PAUSE the filter saw (for PAUSE_FILTER_THRESHOLD). */
    long lastPauseCycle;
    /** MONITOR executed in the guest and not yet consumed by an MWAIT (for MWAIT_CONDITIONAL). */
    boolean monitorArmed;

    InstructionIntercepts(SvmExtension x) {
        this.x = x;
    }

    /** At VMRUN: the PAUSE filter counter is loaded, the monitor is disarmed. */
    void entered(long pauseFilterCount) {
        pauseCounter = (int) pauseFilterCount & 0xffff;
        lastPauseCycle = x.cpu().cycles();
        monitorArmed = false;
    }

    private boolean on(int word, int bit) {
        return x.guest.intercepted(word, bit);
    }

    /** Whether the intercept being checked may end the step without unwinding (see {@link #check}). */
    private boolean now;

    /**
     * #VMEXIT. Every caller returns at once after it (with {@link #now} the step ends with the exit without
     * unwinding: {@link Transitions#exitWithoutUnwinding}).
     */
    private void exit(long code, long info1, long nrip) {
        exit(code, info1, 0, nrip);
    }

    private void exit(long code, long info1, long info2, long nrip) {
        if (now) {
            x.transitions.exitWithoutUnwinding(code, info1, info2, nrip);
        } else {
            x.transitions.exit(code, info1, info2, nrip);
        }
    }

    /**
     * The intercept of {@code point} for the instruction {@code d}; {@code fromStep}: checked by the core's central
     * checks, which return to the step at once (an exit then ends the step without unwinding), else by an instruction
     * handler that goes on after the check (the exit is thrown).
     */
    void check(InterceptPoint point, DecodedInsn d, Cpu cpu, long nrip, boolean fromStep) {
        now = fromStep;
        int i = point.ordinal();
        if (WORD[i] >= 0) {
            if (on(WORD[i], BIT[i])) {
                exit(CODE[i], 0, nrip);
            }
            return;
        }
        switch (point) {
            case MOV_DR: movDr(d, nrip); break;
            case SGDT_SIDT: descriptorTable(d.reg & 7, 0, 7, 6, nrip); break;   // SGDT /0: GDTR read, SIDT /1: IDTR
            case LGDT_LIDT: descriptorTable(d.reg & 7, 2, 11, 10, nrip); break; // LGDT /2, LIDT /3
            case SLDT_STR: descriptorTable(d.reg & 7, 0, 8, 9, nrip); break;    // SLDT /0: LDTR read, STR /1: TR
            case LLDT_LTR: descriptorTable(d.reg & 7, 2, 12, 13, nrip); break;  // LLDT /2, LTR /3
            case INTN:
                if (on(V.MISC1, 21)) {
                    exit(ExitCode.SWINT, d.imm & 0xff, nrip); // 15.8.2: EXITINFO1 = the vector
                }
                break;
            case INVLPG:
                if (on(V.MISC1, 25)) {
                    exit(ExitCode.INVLPG, linear(d, cpu), nrip); // 15.8.3: EXITINFO1 = the linear address
                }
                break;
            case PAUSE: pause(cpu, nrip); break;
            case MONITOR:
                if (on(V.MISC2, 10)) {
                    exit(ExitCode.MONITOR, 0, nrip);
                    return;
                }
                monitorArmed = true; // DEVIATIONS.md: armed even if MONITOR then faults
                break;
            case MWAIT: mwait(nrip); break;
            case INVPCID:
                if (on(V.MISC3, 2)) { // word 5 bit 2: EXITINFO1 = the descriptor's linear address, EXITINFO2 = the type
                    exit(ExitCode.INVPCID, linear(d, cpu), cpu.readReg(d, d.reg, cpu.mode64() ? 8 : 4), nrip);
                }
                break;
            case SMSW: cr0Insn(false, nrip); break;
            case LMSW: lmsw(nrip); break;
            case CLTS: cr0Insn(true, nrip); break;
            default: break;
        }
    }

    /** Word 1: bit n intercepts reads of DRn (exit 20H + n), bit 16 + n writes (30H + n); 15.8.1: EXITINFO1 = GPR. */
    private void movDr(DecodedInsn d, long nrip) {
        boolean write = d.row.opcode() == 0x23;
        int dr = d.reg & 15;
        if (on(V.DR_READ, dr + (write ? 16 : 0))) {
            exit((write ? ExitCode.DR0_WRITE : ExitCode.DR0_READ) + dr, d.rm & 15, nrip);
        }
    }

    /** Word 3 bits 6-13 (15.9): ModRM.reg {@code base} is the GDTR/LDTR form, {@code base + 1} the IDTR/TR form. */
    private void descriptorTable(int reg, int base, int firstBit, int secondBit, long nrip) {
        int bit = reg == base ? firstBit : secondBit;
        if (on(V.MISC1, bit)) {
            exit(0x60 + bit, 0, nrip); // exit codes 66H-6DH are 60H + the intercept bit
        }
    }

    /**
     * PAUSE (15.9 Table 15-7, 15.14.4 "Pause Intercept Filtering"): VMRUN copies PAUSE_FILTER_COUNT into a counter;
     * each PAUSE decrements it and the intercept is taken only when it goes below zero (a count of 0: the first
     * PAUSE exits). With a non-zero PAUSE_FILTER_THRESHOLD (advanced filtering) a PAUSE more than that many cycles
     * after the previous PAUSE reloads the counter from the VMCB and continues instead. The VMCB field is never
     * written.
     */
    private void pause(Cpu cpu, long nrip) {
        if (!on(V.MISC1, 23)) {
            return;
        }
        long now = cpu.cycles();
        long threshold = x.guest.control(V.PAUSE_FILTER_THRESHOLD, 2);
        long elapsed = now - lastPauseCycle;
        lastPauseCycle = now;
        if (threshold != 0 && elapsed > threshold) {
            pauseCounter = (int) x.guest.control(V.PAUSE_FILTER_COUNT, 2);
            return;
        }
        if (--pauseCounter < 0) {
            exit(ExitCode.PAUSE, 0, nrip);
        }
    }

    /**
     * Word 4 bit 12 intercepts MWAIT while the monitor is armed (8CH), bit 11 every MWAIT (8BH); the conditional
     * intercept is checked first (15.9 Table 15-7).
     */
    private void mwait(long nrip) {
        if (monitorArmed && on(V.MISC2, 12)) {
            exit(ExitCode.MWAIT_CONDITIONAL, 0, nrip);
            return;
        }
        if (on(V.MISC2, 11)) {
            exit(ExitCode.MWAIT, 0, nrip);
            return;
        }
        monitorArmed = false;
    }

    /** Table 15-7: SMSW is a CR0 read, CLTS a CR0 write (never selective: only TS changes); EXITINFO1 = 0. */
    private void cr0Insn(boolean write, long nrip) {
        if (on(V.CR_READ, write ? 16 : 0)) {
            exit(write ? ExitCode.CR0_WRITE : ExitCode.CR0_READ, 0, nrip);
        }
    }

    /**
     * LMSW is a CR0 write; with only the selective CR0-write intercept (word 3 bit 5) it is intercepted whatever the
     * value (APM Table 15-7: LMSW treats the selective intercept as non-selective); the non-selective one wins.
     */
    private void lmsw(long nrip) {
        if (on(V.CR_READ, 16)) {
            exit(ExitCode.CR0_WRITE, 0, nrip);
            return;
        }
        if (on(V.MISC1, V.M1_CR0_SEL)) {
            exit(ExitCode.CR0_SEL_WRITE, 0, nrip);
        }
    }

    /** The linear address of a memory operand (INVLPG's EXITINFO1 with decode assists). */
    static long linear(DecodedInsn d, Cpu cpu) {
        long ea = cpu.ea(d);
        if (cpu.mode64()) {
            return d.seg >= Reg.FS ? ea + cpu.state().seg[d.seg].base : ea;
        }
        return (cpu.state().seg[d.seg].base + ea) & 0xffffffffL;
    }

    /** The PAUSE filter count and cycle, and whether MONITOR is armed. */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        int pc = pauseCounter;
        long lp = lastPauseCycle;
        boolean armed = monitorArmed;
        return () -> {
            pauseCounter = pc;
            lastPauseCycle = lp;
            monitorArmed = armed;
        };
    }
}
