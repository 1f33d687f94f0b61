package dev.hvsim.svm;

import dev.hvsim.vmcs.vmcb.VmcbField;
import dev.hvsim.vmcs.vmcb.VmcbLayout;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.bus.PhysicalBus;
import dev.hvsim.x86core.fault.VmExitSignal;

/**
 * Java code as the SVM host (issue 6 item 6), mirroring {@code dev.hvsim.vmx.VmxRoot}: prepare a VMCB (fields by
 * their vmcb-layout.csv names), VMRUN it, receive each #VMEXIT as the typed {@link SvmExit}, handle, VMRUN again. VMRUN
 * and #VMEXIT are the same {@code Transitions} code that root-mode x86 code executing VMRUN reaches (APM Vol. 2 15.5,
 * 15.6): host state goes to VM_HSAVE_PA, the snapshot is checked rule by rule, the guest runs on the next
 * {@code cpu.run} and the #VMEXIT stops it with {@link StopReason#VM_EXIT} after loading the host state.
 *
 * <pre>{@code
 * SvmRoot root = SvmRoot.of(cpu);
 * root.enable(0x10_0000);                        // EFER.SVME, VM_HSAVE_PA
 * root.select(0x10_1000);                        // the VMCB
 * root.write("save.RIP", 0x7c00); ...
 * SvmExit failed = root.vmrun();                 // null: entered; else VMEXIT_INVALID with its violations
 * if (cpu.run(limit, Long.MAX_VALUE) == StopReason.VM_EXIT) { SvmExit e = root.lastExit(); root.skipInstruction(); }
 * }</pre>
 *
 * <p>Guest RAX is in the VMCB (save.RAX, APM Table B-2); the other general-purpose registers are not saved by
 * #VMEXIT and stay in the CPU ({@link #gpr}).
 */
public final class SvmRoot implements dev.hvsim.x86core.Snapshottable {
    private final SvmExtension x;
    private final Cpu cpu;
    private long vmcb = -1;
    private SvmExit invalid;

    private SvmRoot(SvmExtension x) {
        this.x = x;
        this.cpu = x.cpu();
    }

    public static SvmRoot of(Cpu cpu) {
        if (!(cpu.extension() instanceof SvmExtension)) {
            throw new IllegalStateException("CPU " + cpu.apicId() + " has no SVM model (profile " + cpu.profile().name() + ")");
        }
        return new SvmRoot((SvmExtension) cpu.extension());
    }

    public SvmExtension extension() { return x; }
    public Cpu cpu() { return cpu; }

    /** EFER.SVME = 1 and VM_HSAVE_PA = {@code hsave} (4 KiB aligned; APM 15.4, 15.30.4), as WRMSRs would. */
    public void enable(long hsave) {
        x.guestGifAtExit = true;
        if ((hsave & 0xfff) != 0) {
            throw new IllegalArgumentException("VM_HSAVE_PA must be 4 KiB aligned");
        }
        cpu.state().efer |= Cpu.EFER_SVME;
        x.hsavePa = hsave;
        x.gif = true;
    }

    /**
     * The GIF the guest gets back at the next {@link #vmrun} (the GIF it had at its last #VMEXIT, as VGIF's V_GIF
     * would keep it). A Java host that emulates SVM for its guest (nested SVM) sets it: VMRUN sets GIF, #VMEXIT
     * clears it (APM Vol. 2 15.17).
     */
    public boolean guestGif() { return x.guestGifAtExit; }
    public void setGuestGif(boolean gif) { x.guestGifAtExit = gif; }

    /** Makes the 4 KiB page at {@code pa} the VMCB that {@link #vmrun} runs. */
    public void select(long pa) {
        vmcb = pa;
    }

    public long vmcbAddress() { return vmcb; }

    /** A VMCB field by its vmcb-layout.csv name ({@code control.EXITCODE}, {@code save.RIP}). */
    public static VmcbField field(String name) {
        return VmcbLayout.get().field(name);
    }

    public long read(String name) { return read(field(name)); }
    public void write(String name, long value) { write(field(name), value); }

    public long read(VmcbField f) {
        return cpu.bus().read(vmcb + f.offset(), f.size());
    }

    public void write(VmcbField f, long value) {
        cpu.bus().write(vmcb + f.offset(), f.size(), value);
    }

    /** Reads {@code size} bytes at {@code offset} of the VMCB (the model's own offsets, APM Appendix B). */
    public long readOffset(int offset, int size) { return cpu.bus().read(vmcb + offset, size); }
    public void writeOffset(int offset, int size, long value) { cpu.bus().write(vmcb + offset, size, value); }

    /**
     * VMRUN from Java (APM 15.5): host state saved (its RIP is the CPU's current RIP), the VMCB read once and checked;
     * null when the guest was entered, else the VMEXIT_INVALID record naming every failed rule (host state reloaded).
     */
    public SvmExit vmrun() {
        cpu.nextRip = cpu.state().rip;
        invalid = null;
        boolean guestGif = x.guestGifAtExit;
        try {
            x.transitions.vmrun(vmcb);
            // The guest's GIF survives the Java host's exits (as VGIF's V_GIF does, APM 15.33): a guest that
            // cleared GIF (CLGI, SKINIT) keeps interrupts held until its own STGI, whatever exits happen meanwhile.
            x.gif = guestGif;
            return null;
        } catch (VmExitSignal s) {
            invalid = (SvmExit) s.exit();
            return invalid;
        }
    }

    /** The last #VMEXIT of this CPU (VMEXIT_INVALID from {@link #vmrun} included), or null. */
    public SvmExit lastExit() {
        if (invalid != null) {
            return invalid;
        }
        Object e = cpu.lastVmExit();
        return e instanceof SvmExit ? (SvmExit) e : null;
    }

    /** "Skip the instruction": save.RIP = NRIP (15.7.1, NRIP save advertised), interrupt shadow cleared. */
    public void skipInstruction() {
        PhysicalBus b = cpu.bus();
        b.write(vmcb + V.RIP, 8, b.read(vmcb + V.NRIP, 8));
        b.write(vmcb + V.INT_SHADOW, 8, b.read(vmcb + V.INT_SHADOW, 8) & ~1L);
    }

    /** EVENTINJ types (APM 15.20): 0 INTR, 2 NMI, 3 exception, 4 software interrupt. */
    public static final int INTR = 0, NMI = 2, EXCEPTION = 3, SOFTWARE_INTERRUPT = 4;

    /** Injects an event at the next VMRUN (15.20): vector, type, error code (-1: none). */
    public void inject(int vector, int type, int errorCode) {
        long e = 1L << 31 | (vector & 0xff) | (long) (type & 7) << 8
                | (errorCode >= 0 ? 1L << 11 | (errorCode & 0xffffffffL) << 32 : 0);
        cpu.bus().write(vmcb + V.EVENTINJ, 8, e);
    }

    // ------------------------------------------------------------------ guest state, on demand

    public long guestRip() { return cpu.bus().read(vmcb + V.RIP, 8); }
    public void setGuestRip(long rip) { cpu.bus().write(vmcb + V.RIP, 8, rip); }
    public long guestCr0() { return cpu.bus().read(vmcb + V.CR0, 8); }
    public long guestCr3() { return cpu.bus().read(vmcb + V.CR3, 8); }
    public long guestCr4() { return cpu.bus().read(vmcb + V.CR4, 8); }
    public long guestEfer() { return cpu.bus().read(vmcb + V.EFER, 8); }
    public void setGuestEfer(long v) { cpu.bus().write(vmcb + V.EFER, 8, v); }
    public long guestRflags() { return cpu.bus().read(vmcb + V.RFLAGS, 8); }

    /** A guest general-purpose register: RAX and RSP from the VMCB, the others from the CPU (15.5.1, 15.6). */
    public long gpr(int reg) {
        if (reg == Reg.RAX) {
            return cpu.bus().read(vmcb + V.RAX, 8);
        }
        return reg == Reg.RSP ? cpu.bus().read(vmcb + V.RSP, 8) : cpu.state().gpr[reg];
    }

    public void setGpr(int reg, long value) {
        if (reg == Reg.RAX) {
            cpu.bus().write(vmcb + V.RAX, 8, value);
        } else if (reg == Reg.RSP) {
            cpu.bus().write(vmcb + V.RSP, 8, value);
        } else {
            cpu.state().gpr[reg] = value;
        }
    }

    /** The VMCB address and the last invalid-VMRUN record (the SVM state itself is the CPU's extension's). */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long v = vmcb;
        SvmExit i = invalid;
        return () -> {
            vmcb = v;
            invalid = i;
        };
    }
}
