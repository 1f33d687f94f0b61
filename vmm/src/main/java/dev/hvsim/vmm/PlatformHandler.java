package dev.hvsim.vmm;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.device.DebugExit;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.InterruptSource;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.exec.MsrAccess;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;

/**
 * The VMM's own exit handling (trap and emulate, issue 7 item 1): CPUID through the {@link CpuidPolicy}, port I/O to
 * the machine's I/O bus, MSRs, the CR0/CR4 bits VMX owns, HLT, hypercalls, EPT violations (lazy backing of RAM, MMIO
 * forwarded one instruction at a time), exceptions re-injected, triple faults as shutdown.
 */
final class PlatformHandler implements ExitHandler {
    private static final long EFER = 0xc0000080L, FS_BASE = 0xc0000100L, GS_BASE = 0xc0000101L;
    private final Vmm vmm;
    private final Machine machine;
    private final CpuidPolicy cpuid;
    private final long[] regs = new long[4];

    PlatformHandler(Vmm vmm, CpuidPolicy cpuid) {
        this.vmm = vmm;
        this.machine = vmm.machine();
        this.cpuid = cpuid;
    }

    @Override
    public Handled handle(Vcpu v, GuestExit x) {
        switch (x.kind) {
            case CPUID: return cpuid(v);
            case IO: return x.string ? vmm.stepUnintercepted(v) : io(v, x);
            case MSR_READ: return msrRead(v, x);
            case MSR_WRITE: return msrWrite(v, x);
            case CR_ACCESS: return cr(v, x);
            case HLT:
                v.skipInstruction();
                v.haltOnEntry = true;
                return Handled.EMULATED;
            case HYPERCALL: return hypercall(v);
            case NESTED_PAGE_FAULT: return vmm.nestedPageFault(v, x);
            case EXCEPTION:
            case NMI:
                v.injectException(x.vector, x.errorCode);
                return Handled.INJECTED;
            case EXTERNAL_INTERRUPT:
                if (vmm.policy().interrupts()) {
                    return externalInterrupt(v, x);
                }
                break;
            case INTERRUPT_WINDOW:
                if (vmm.policy().interrupts()) {
                    return externalInterrupt(v, x);
                }
                break;
            case VIRT_INSTRUCTION:
                if (v instanceof SvmVcpu && ((SvmVcpu) v).nested != null) {
                    return ((SvmVcpu) v).nested.l1Instruction(x);
                }
                break;
            case INIT:
                // VMX: every INIT in non-root operation exits (SDM Vol. 3C 26.2; reason 3); the VMM gives it to the
                // vCPU as the platform gives INIT to a bare CPU: the INIT state, wait-for-SIPI, then the machine's
                // STARTUP starts the CPU bare and the VMM launches it again (Vcpu.launch). SVM does not intercept INIT
                // here (an unintercepted INIT in guest mode is the platform's, APM Vol. 2 15.13.1, 15.18).
                machine.initAsPlatform(v.index);
                v.waitForSipi = true;
                return Handled.EMULATED;
            case TRIPLE_FAULT:
                v.shutdown = "triple fault in the guest (VM exit " + x + ")";
                return Handled.STOPPED;
            default:
                break;
        }
        v.failure = "unhandled VM exit " + x;
        return Handled.STOPPED;
    }

    /**
     * An external interrupt or the interrupt window it waited for (policy {@code interrupts}). The exits come before
     * the interrupt is acknowledged (VMX without "acknowledge interrupt on exit", SDM Vol. 3C 25.7.1; SVM's INTR
     * intercept, APM Vol. 2 15.13.1). If the guest cannot take an interrupt now, the VMM leaves it pending in the
     * machine's interrupt controller (the guest still sees it in the IRR) and waits for the window; else it
     * acknowledges the highest-priority pending vector, as the CPU's INTA would, and injects it.
     */
    private Handled externalInterrupt(Vcpu v, GuestExit x) {
        if (!v.interruptWindowOpen()) {
            v.waitForInterruptWindow(true);
            return Handled.RESUMED;
        }
        v.waitForInterruptWindow(false);
        InterruptSource src = v.cpu().interruptSource();
        int vector = src.pendingInterrupt();
        if (vector < 0) {
            return Handled.RESUMED; // withdrawn meanwhile (masked by the TPR, or gone): nothing to deliver
        }
        src.acknowledge(vector);
        x.vector = vector;
        v.injectInterrupt(vector);
        return Handled.INJECTED;
    }

    /** CPUID (SDM Vol. 2A; VMX exit reason 10, SVM 72H): leaf EAX, subleaf ECX; results zero-extended. */
    private Handled cpuid(Vcpu v) {
        cpuid.compute(v, v.gpr(Reg.RAX) & 0xffffffffL, (int) v.gpr(Reg.RCX), regs);
        v.setGpr(Reg.RAX, regs[0]);
        v.setGpr(Reg.RBX, regs[1]);
        v.setGpr(Reg.RCX, regs[2]);
        v.setGpr(Reg.RDX, regs[3]);
        v.skipInstruction();
        return Handled.EMULATED;
    }

    /** IN / OUT to the machine's I/O bus; IN writes AL, AX or EAX (zero-extended, as a 32-bit register write). */
    private Handled io(Vcpu v, GuestExit x) {
        if (x.in) {
            long value = machine.io().in(x.port, x.size);
            long rax = v.gpr(Reg.RAX);
            v.setGpr(Reg.RAX, x.size == 1 ? (rax & ~0xffL) | (value & 0xff)
                    : x.size == 2 ? (rax & ~0xffffL) | (value & 0xffff) : value & 0xffffffffL);
        } else {
            long mask = x.size == 4 ? 0xffffffffL : (1L << 8 * x.size) - 1;
            machine.io().out(x.port, x.size, v.gpr(Reg.RAX) & mask);
        }
        v.skipInstruction();
        return Handled.FORWARDED;
    }

    private Handled msrRead(Vcpu v, GuestExit x) {
        long value;
        try {
            value = msrValue(v, x.msr);
        } catch (ArchFault f) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        v.setGpr(Reg.RAX, value & 0xffffffffL);
        v.setGpr(Reg.RDX, value >>> 32);
        v.skipInstruction();
        return Handled.EMULATED;
    }

    /** MSRs whose guest value is not the CPU's while the VMM runs: EFER (VMCS / VMCB), VMX's FS/GS bases. */
    private long msrValue(Vcpu v, long index) {
        if (index == EFER) {
            return v.efer();
        }
        NestedSvm n = v instanceof SvmVcpu ? ((SvmVcpu) v).nested : null;
        if (n != null && n.ownsMsr(index)) {
            return n.readMsr(index);
        }
        if (v instanceof VmxVcpu && (index == FS_BASE || index == GS_BASE)) {
            return ((VmxVcpu) v).root().read(index == FS_BASE ? "GUEST_FS_BASE" : "GUEST_GS_BASE");
        }
        return MsrAccess.read(v.cpu(), index);
    }

    private Handled msrWrite(Vcpu v, GuestExit x) {
        long value = (v.gpr(Reg.RDX) & 0xffffffffL) << 32 | (v.gpr(Reg.RAX) & 0xffffffffL);
        try {
            NestedSvm n = v instanceof SvmVcpu ? ((SvmVcpu) v).nested : null;
            if (x.msr == EFER) {
                writeEfer(v, value);
            } else if (n != null && n.ownsMsr(x.msr)) {
                n.writeMsr(x.msr, value);
            } else if (v instanceof VmxVcpu && (x.msr == FS_BASE || x.msr == GS_BASE)) {
                if (!v.cpu().canonical(value)) {
                    throw ArchFault.gp0();
                }
                ((VmxVcpu) v).root().write(x.msr == FS_BASE ? "GUEST_FS_BASE" : "GUEST_GS_BASE", value);
            } else {
                MsrAccess.write(v.cpu(), x.msr, value);
            }
        } catch (ArchFault f) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        v.skipInstruction();
        return Handled.EMULATED;
    }

    /**
     * WRMSR IA32_EFER (SDM Vol. 4 Table 2-2, Vol. 3A 2.2.1; APM Vol. 2 3.1.7): #GP(0) for bits the CPU does not
     * support and for changing LME while paging is on; LMA is not written (the processor sets it).
     */
    private static void writeEfer(Vcpu v, long value) {
        Cpu c = v.cpu();
        long allowed = (c.has(Feature.SYSCALL) ? Cpu.EFER_SCE : 0) | (c.has(Feature.LM) ? Cpu.EFER_LME | Cpu.EFER_LMA : 0)
                | (c.has(Feature.NX) ? Cpu.EFER_NXE : 0);
        NestedSvm n = v instanceof SvmVcpu ? ((SvmVcpu) v).nested : null;
        if (n != null && (v.level == 2 || n.svmeAllowed())) {
            allowed |= Cpu.EFER_SVME; // nested SVM: L1's own EFER.SVME (MBZ while VM_CR.SVMDIS = 1, APM 15.30.1)
        }
        long old = v.efer();
        boolean paging = (v.cr0() & Cpu.CR0_PG) != 0;
        if ((value & ~allowed) != 0 || paging && ((value ^ old) & Cpu.EFER_LME) != 0) {
            throw ArchFault.gp0();
        }
        v.setEfer((value & ~Cpu.EFER_LMA) | (old & Cpu.EFER_LMA));
    }

    /**
     * VMX CR accesses (exit reason 28, Table 29-3): the only ones the VMM causes are writes to CR0.NE / CR4.VMXE, the
     * host-owned bits. CR0.NE: the read shadow takes the guest's new value and the instruction runs again (now
     * without exiting: the write leaves the host-owned bit as it is, 26.3). CR4.VMXE = 1: the guest has no VMX
     * (CPUID says so), so it is #GP(0) as on a CPU without VMX (SDM Vol. 2B MOV CR: reserved CR4 bit).
     */
    private Handled cr(Vcpu v, GuestExit x) {
        if (!(v instanceof VmxVcpu) || !x.crWrite || x.cr != 0 && x.cr != 4) {
            v.failure = "unexpected control-register exit " + x;
            return Handled.STOPPED;
        }
        VmxVcpu vx = (VmxVcpu) v;
        long value = v.gpr((int) (x.qualification >>> 8 & 0xf));
        if (x.cr == 4) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        vx.setCr0Shadow((vx.cr0Shadow() & ~VmxVcpu.CR0_OWNED) | (value & VmxVcpu.CR0_OWNED));
        return Handled.RESUMED;
    }

    private Handled hypercall(Vcpu v) {
        long fn = v.gpr(Reg.RAX);
        long result;
        if (fn == Hypercalls.PRINT) {
            long gpa = v.gpr(Reg.RBX), n = v.gpr(Reg.RCX);
            if (n < 0 || n > Hypercalls.MAX_PRINT) {
                result = -1;
            } else {
                for (long i = 0; i < n; i++) {
                    machine.console().put((int) machine.memory().read(vmm.guestToHost(gpa + i), 1));
                }
                result = 0;
            }
        } else if (fn == Hypercalls.EXIT) {
            v.skipInstruction();
            machine.io().out(DebugExit.PORT, 4, v.gpr(Reg.RBX));
            return Handled.STOPPED;
        } else if (fn == Hypercalls.TIME) {
            result = v.cpu().cycles();
        } else {
            result = -1;
        }
        v.setGpr(Reg.RAX, result);
        v.skipInstruction();
        return Handled.EMULATED;
    }
}
