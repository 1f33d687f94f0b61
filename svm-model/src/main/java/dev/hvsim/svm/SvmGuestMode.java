package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.GuestMode;
import dev.hvsim.x86core.Interrupts;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;

/**
 * SVM guest mode as x86-core's {@link GuestMode} (AMD APM Vol. 2 15.8-15.13): at each intercept point it consults
 * the VMCB's intercept vectors and turns the event into a #VMEXIT. Implemented: CPUID, HLT (word 3), the SVM
 * instructions (in {@link SvmInstructions}), IOIO through the IOPM (15.10), RDMSR/WRMSR through the MSRPM (15.11),
 * CR0-CR15 reads and writes (word 0, selective CR0 write), exceptions (word 2), INTR, NMI, shutdown, and through
 * {@link InstructionIntercepts} the other instruction intercepts; virtual interrupts in {@link VirtualInterrupts}.
 * The VMCB's control area is read from memory at the intercept point (DEVIATIONS.md).
 */
final class SvmGuestMode implements GuestMode {
    private final SvmExtension x;

    SvmGuestMode(SvmExtension x) {
        this.x = x;
    }

    @Override
    public boolean active() {
        return true;
    }

    /**
     * {@code size} bytes of the VMCB's control area, read from memory now: from the VMCB's RAM page when VMRUN found
     * one (the same bytes a bus read returns, without the bus's region lookup), else through the bus.
     */
    long control(int offset, int size) {
        return Transitions.get(x.cpu().bus(), x.transitions.vmcbPage, x.vmcbPa, offset, size);
    }

    boolean intercepted(int wordOffset, int bit) {
        return (control(wordOffset, 4) >>> bit & 1) != 0;
    }

    private void exit(long code, long info1, long info2, long nrip) {
        x.transitions.exit(code, info1, info2, nrip);
    }

    /**
     * An instruction intercept. The row's own intercept point is checked by the core's central checks, which return
     * to the step at once: those exits end the step without unwinding ({@link Transitions#exitWithoutUnwinding}).
     * Handlers that check a point themselves (MONITOR, MWAIT, RDPMC, INVPCID, XSETBV) go on after the call, so their
     * exits are thrown.
     */
    @Override
    public void interceptInstruction(InterceptPoint point, DecodedInsn insn, Cpu cpu) {
        long nrip = cpu.state().rip + insn.length; // the step has not computed nextRip yet at this point
        boolean fromStep = insn.intercept == point;
        switch (point) {
            case CPUID:
                if (intercepted(V.MISC1, V.M1_CPUID)) {
                    exit(ExitCode.CPUID, 0, 0, nrip, fromStep);
                }
                break;
            case HLT:
                if (intercepted(V.MISC1, V.M1_HLT)) {
                    exit(ExitCode.HLT, 0, 0, nrip, fromStep);
                }
                break;
            case VMCALL:
                throw ArchFault.ud(); // VMCALL is Intel's: #UD in an SVM guest
            default:
                x.intercepts.check(point, insn, cpu, nrip, fromStep);
                break;
        }
    }

    /** #VMEXIT; {@code withoutUnwinding}: the caller returns to the step at once and does nothing more. */
    private void exit(long code, long info1, long info2, long nrip, boolean withoutUnwinding) {
        if (withoutUnwinding) {
            x.transitions.exitWithoutUnwinding(code, info1, info2, nrip);
        } else {
            x.transitions.exit(code, info1, info2, nrip);
        }
    }

    /**
     * 15.10.2: with IOIO_PROT the IOPM is consulted, one bit per port for every port the access touches (an access
     * may reach bits past port FFFFH). EXITINFO1: TYPE (bit 0, 1 = IN), STR (2), REP (3), SZ8/16/32 (4-6),
     * A16/A32/A64 (7-9), SEG (12:10, string instructions), PORT (31:16); EXITINFO2 = the next RIP.
     */
    @Override
    public void interceptIo(int port, int size, boolean in, DecodedInsn insn, Cpu cpu) {
        if (!intercepted(V.MISC1, V.M1_IOIO)) {
            return;
        }
        long iopm = control(V.IOPM_BASE, 8) & ~0xfffL;
        boolean hit = false;
        for (int p = port; p < port + size && !hit; p++) {
            hit = (cpu.bus().read(iopm + (p >>> 3), 1) >>> (p & 7) & 1) != 0;
        }
        if (!hit) {
            return;
        }
        String m = insn.row.mnemonic();
        boolean string = m.startsWith("INS") || m.startsWith("OUTS");
        int addr = insn.addrSize;
        long info = (in ? 1 : 0) | (string ? 4 : 0) | (string && insn.rep != 0 ? 8 : 0)
                | (size == 1 ? 0x10 : size == 2 ? 0x20 : 0x40)
                | (addr == 2 ? 0x80 : addr == 4 ? 0x100 : 0x200)
                | (string ? (long) (in ? Reg.ES : outsSegment(insn)) << 10 : 0)
                | (long) port << 16;
        // non-string IN/OUT: Io.execute returns at once (Cpu.vmExitTaken); INS/OUTS go on, so their exit is thrown
        exit(ExitCode.IOIO, info, cpu.nextRip, cpu.nextRip, !string);
    }

    /**
     * The segment of OUTS's source (15.10.2 SEG): DS unless overridden (SDM Vol. 2B OUTS: "DS:rSI ... the DS segment
     * may be overridden"); INS always writes ES:rDI, which SEG reports as 0 (ES).
     */
    private static int outsSegment(DecodedInsn insn) {
        return (insn.segOverride >= 0 ? insn.segOverride : Reg.DS) & 7;
    }

    /**
     * 15.11: with MSR_PROT the MSRPM is consulted: two bits per MSR (read, write) in three 2 KiB ranges
     * (0-1FFF, C000_0000-C000_1FFF, C001_0000-C001_1FFF); MSRs outside them always exit. EXITINFO1 = 0 read,
     * 1 write.
     */
    @Override
    public void interceptMsr(long index, boolean write, Cpu cpu) {
        if (!intercepted(V.MISC1, V.M1_MSR)) {
            return;
        }
        long base;
        if (index <= 0x1fff) {
            base = 0;
        } else if (index >= 0xc0000000L && index <= 0xc0001fffL) {
            base = 0x800;
        } else if (index >= 0xc0010000L && index <= 0xc0011fffL) {
            base = 0x1000;
        } else {
            exit(ExitCode.MSR, write ? 1 : 0, 0, cpu.nextRip, true); // RDMSR/WRMSR return at once (Msrs)
            return;
        }
        long bitIndex = 2 * (index & 0x1fff) + (write ? 1 : 0);
        long msrpm = control(V.MSRPM_BASE, 8) & ~0xfffL;
        if ((cpu.bus().read(msrpm + base + (bitIndex >>> 3), 1) >>> (bitIndex & 7) & 1) != 0) {
            exit(ExitCode.MSR, write ? 1 : 0, 0, cpu.nextRip, true);
        }
    }

    /**
     * Word 0 bits 15:0: reads of CRn exit with code n (APM Vol. 2 15.9, Table 15-7: after the instruction's
     * exceptions; CR reads have none that depend on the value). Decode assists (15.8.1): EXITINFO1 bit 63 = MOV CRn,
     * bits 3:0 = the GPR, for reads and writes (the APM and Linux; Bochs sets bit 63 only for writes:
     * svm-exit-codes.csv DISAGREEMENT). Writes: {@link #interceptCrWrite}.
     */
    @Override
    public void interceptCr(int cr, boolean write, long value, Cpu cpu) {
        if (!write && cr >= 0 && cr <= 15 && intercepted(V.CR_READ, cr)) {
            exit(ExitCode.CR0_READ + cr, movCrInfo(cpu), 0, cpu.nextRip);
        }
    }

    private static long movCrInfo(Cpu cpu) {
        DecodedInsn d = cpu.current();
        return d == null ? 0 : 1L << 63 | (d.rm & 15);
    }

    /**
     * Word 0 bits 31:16: writes of CRn exit with code 10H + n once the core has found the value valid (Table 15-7:
     * "checks non-memory exceptions (CPL, illegal bit combinations, etc.) before the intercept"; for CR3 the PDPTE
     * loads come after it). Without the CR0-write intercept, the selective CR0-write intercept (word 3 bit 5) takes a
     * MOV to CR0 that changes a bit other than TS and MP (exit 65H). LMSW and CLTS are intercepted at their own
     * intercept points ({@link InstructionIntercepts}) and never reach this with an intercept set.
     */
    @Override
    public void interceptCrWrite(int cr, long value, Cpu cpu) {
        if (intercepted(V.CR_READ, cr + 16)) {
            exit(ExitCode.CR0_WRITE + cr, movCrInfo(cpu), 0, cpu.nextRip);
        }
        long selective = ~(Cpu.CR0_TS | Cpu.CR0_MP);
        if (cr == 0 && ((value ^ cpu.state().cr0) & selective) != 0 && intercepted(V.MISC1, V.M1_CR0_SEL)) {
            exit(ExitCode.CR0_SEL_WRITE, movCrInfo(cpu), 0, cpu.nextRip);
        }
    }

    @Override
    public void interceptException(int vector, int errorCode, Cpu cpu) {
        interceptException(vector, errorCode, 0, cpu);
    }

    /**
     * Word 2: bit n intercepts exception n (exit 40H + n; APM Vol. 2 15.12); EXITINFO1 = the error code where there
     * is one. #PF (15.12.15): EXITINFO2 = the faulting linear address and CR2 is not written; with decode assists
     * (15.8.4) the guest instruction bytes are saved at VMCB 0D0H. The #DB of INT1 (ICEBP) does not check the #DB
     * intercept (15.12.2; ICEBP has its own, word 4 bit 8). NRIP (15.7.1) is the next instruction for the exceptions
     * of INT3 and INTO, else 0.
     */
    @Override
    public void interceptException(int vector, int errorCode, long faultAddress, Cpu cpu) {
        if (vector < 0 || vector > 31 || !intercepted(V.EXCEPTIONS, vector)) {
            return;
        }
        DecodedInsn d = cpu.current();
        boolean undelivering = cpu.interrupts().deliveringVector() < 0; // raised by the instruction itself
        String m = d == null || !undelivering ? "" : d.row.mnemonic();
        if (vector == Vectors.DB && m.equals("INT1")) {
            return;
        }
        long nrip = (vector == Vectors.BP || vector == Vectors.OF) && (m.equals("INT3") || m.equals("INTO"))
                ? cpu.state().rip + d.length : 0;
        long info1 = errorCode == ArchFault.NO_ERROR_CODE ? 0 : errorCode & 0xffffffffL;
        boolean pf = vector == Vectors.PF;
        if (pf) {
            DecodeAssists.saveInstructionBytes(cpu, x.vmcbPa, DecodeAssists.fetchFault(cpu, faultAddress, errorCode));
        }
        exit(ExitCode.EXCP_BASE + vector, info1, pf ? faultAddress : 0, nrip);
    }

    /** 15.7.3: a fault during event delivery checks its own intercept before it is combined into #DF. */
    @Override
    public void interceptExceptionBeforeCombining(int vector, int errorCode, long faultAddress, Cpu cpu) {
        interceptException(vector, errorCode, faultAddress, cpu);
    }

    /**
     * At an instruction boundary in the guest: the NMI intercept (word 3 bit 1, exit 61H; APM Vol. 2 15.13.2: the
     * NMI stays pending for the host), then virtual interrupts and the VINTR intercept (15.21.4, 15.13.5/15.21.6).
     */
    @Override
    public void atEventBoundary(Cpu cpu) {
        if (x.initExitPending) { // an INIT the guest intercepts (SvmExtension.init) comes before NMI and INTR
            x.initExitPending = false;
            exit(ExitCode.INIT, 0, 0, 0);
        }
        dev.hvsim.x86core.InterruptSource src = cpu.interruptSource();
        if (src.pendingNmi() && !cpu.state().nmiBlocked && !cpu.inShadow() && intercepted(V.MISC1, V.M1_NMI)) {
            exit(ExitCode.NMI, 0, 0, 0);
        }
        x.vintr.atBoundary(cpu);
    }

    /** 15.21.1: with V_INTR_MASKING the host's IF masks physical interrupts, else the guest's. */
    @Override
    public boolean maskableInterruptsMasked(Cpu cpu) {
        return x.vintr.physicalMasked(cpu);
    }

    /** Word 3 bit 0 (15.13.1): a physical interrupt exits before it is acknowledged (it stays pending). */
    @Override
    public void interceptInterrupt(int vector, Cpu cpu) {
        if (intercepted(V.MISC1, V.M1_INTR)) {
            exit(ExitCode.INTR, 0, 0, 0);
        }
    }

    /**
     * Word 3 bit 29, the task-switch intercept (APM Vol. 2 Table B-1; exit 7DH, Appendix C): a task switch is about
     * to begin (far JMP/CALL to a TSS or task gate, IRET with NT = 1, an event through an IDT task gate). EXITINFO1
     * = the target TSS selector; EXITINFO2 (svm-exit-codes.csv rows for 7DH, as Linux, Xen, Bochs and Noir decode
     * it): bit 36 caused by IRET, bit 38 by a far JMP, bit 44 an error code must be pushed with the code in bits
     * 31:0, bit 48 the RFLAGS.RF the outgoing TSS would get (the current RF: the core has no task switch to compute
     * another one; DEVIATIONS.md). A switch caused by an instruction (CALL, JMP, IRET, or INT n / INT3 / INTO through a
     * task gate) saves that instruction's successor as NRIP (15.7.1), one caused by an event 0. The event being
     * delivered, if any, is in EXITINTINFO (15.7.2, {@link Transitions#exitIntInfo}). Without the intercept the core
     * shuts down, as it does outside a guest (x86-core DEVIATIONS.md: no hardware task switching).
     */
    @Override
    public void interceptTaskSwitch(int tssSelector, int source, Cpu cpu) {
        if (!intercepted(V.MISC1, V.M1_TASK_SWITCH)) {
            return;
        }
        Interrupts in = cpu.interrupts();
        long info2 = 0;
        if (source == TASK_SWITCH_IRET) {
            info2 |= 1L << 36;
        } else if (source == TASK_SWITCH_JMP) {
            info2 |= 1L << 38;
        }
        boolean event = source == TASK_SWITCH_IDT_GATE && in.deliveringVector() >= 0;
        if (event && in.deliveringErrorCode() != ArchFault.NO_ERROR_CODE) {
            info2 |= 1L << 44 | in.deliveringErrorCode() & 0xffffffffL;
        }
        if ((cpu.state().rflags() & Flags.RF) != 0) {
            info2 |= 1L << 48;
        }
        DecodedInsn d = cpu.current();
        boolean byInstruction = !event || softwareEvent(in.deliveringKind());
        long nrip = byInstruction && d != null ? cpu.state().rip + d.length : 0;
        exit(ExitCode.TASK_SWITCH, tssSelector & 0xffffL, info2, nrip);
    }

    private static boolean softwareEvent(Interrupts.Kind k) {
        return k == Interrupts.Kind.SOFTWARE_INT || k == Interrupts.Kind.SOFTWARE_EXCEPTION
                || k == Interrupts.Kind.PRIV_SOFTWARE_EXCEPTION;
    }

    /** Word 3 bit 31 (15.14.3): shutdown (a triple fault in the guest). */
    @Override
    public void interceptTripleFault(Cpu cpu) {
        if (intercepted(V.MISC1, V.M1_SHUTDOWN)) {
            exit(ExitCode.SHUTDOWN, 0, 0, 0);
        }
    }
}
