package dev.hvsim.svm;

import dev.hvsim.vmcs.vmcb.VmcbField;
import dev.hvsim.vmcs.vmcb.VmcbLayout;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
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
        return readOffset(f.offset(), f.size());
    }

    public void write(VmcbField f, long value) {
        writeOffset(f.offset(), f.size(), value);
    }

    /**
     * The selected VMCB's RAM page when the last VMRUN ran this VMCB and found it to be one (every access after the
     * first VMRUN, in a VMM's exit loop), else null: accesses go through the bus. Reads and writes in the page are the
     * bytes the bus would reach, without its region lookup; as for #VMEXIT's own writes they are not reported to the
     * bus's write observers (svm-model DEVIATIONS.md).
     */
    private byte[] page() {
        return x.vmcbPa == vmcb ? x.transitions.vmcbPage : null;
    }

    /** Reads {@code size} (1, 2, 4, 8) bytes at {@code offset} of the VMCB (the model's own offsets, APM Appendix B). */
    public long readOffset(int offset, int size) {
        return Transitions.get(cpu.bus(), valueSize(size) ? page() : null, vmcb, offset, size);
    }

    public void writeOffset(int offset, int size, long value) {
        Transitions.put(cpu.bus(), valueSize(size) ? page() : null, vmcb, offset, size, value);
    }

    private static boolean valueSize(int size) {
        return size == 8 || size == 4 || size == 2 || size == 1;
    }

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
        writeOffset(V.RIP, 8, readOffset(V.NRIP, 8));
        writeOffset(V.INT_SHADOW, 8, readOffset(V.INT_SHADOW, 8) & ~1L);
    }

    /** EVENTINJ types (APM 15.20): 0 INTR, 2 NMI, 3 exception, 4 software interrupt. */
    public static final int INTR = 0, NMI = 2, EXCEPTION = 3, SOFTWARE_INTERRUPT = 4;

    /** Injects an event at the next VMRUN (15.20): vector, type, error code (-1: none). */
    public void inject(int vector, int type, int errorCode) {
        long e = 1L << 31 | (vector & 0xff) | (long) (type & 7) << 8
                | (errorCode >= 0 ? 1L << 11 | (errorCode & 0xffffffffL) << 32 : 0);
        writeOffset(V.EVENTINJ, 8, e);
    }

    // ------------------------------------------------------------------ guest state, on demand

    public long guestRip() { return readOffset(V.RIP, 8); }
    public void setGuestRip(long rip) { writeOffset(V.RIP, 8, rip); }
    public long guestCr0() { return readOffset(V.CR0, 8); }
    public long guestCr3() { return readOffset(V.CR3, 8); }
    public long guestCr4() { return readOffset(V.CR4, 8); }
    public long guestEfer() { return readOffset(V.EFER, 8); }
    public void setGuestEfer(long v) { writeOffset(V.EFER, 8, v); }
    public long guestRflags() { return readOffset(V.RFLAGS, 8); }

    /** A guest general-purpose register: RAX and RSP from the VMCB, the others from the CPU (15.5.1, 15.6). */
    public long gpr(int reg) {
        if (reg == Reg.RAX) {
            return readOffset(V.RAX, 8);
        }
        return reg == Reg.RSP ? readOffset(V.RSP, 8) : cpu.state().gpr[reg];
    }

    public void setGpr(int reg, long value) {
        if (reg == Reg.RAX) {
            writeOffset(V.RAX, 8, value);
        } else if (reg == Reg.RSP) {
            writeOffset(V.RSP, 8, value);
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
