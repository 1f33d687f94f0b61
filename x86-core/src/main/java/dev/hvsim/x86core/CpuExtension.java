package dev.hvsim.x86core;

import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;

/**
 * The SPI through which a vendor extension (a virtualization model) plugs into one {@link Cpu}: it
 * contributes opcode rows, executes them, owns some MSRs, and owns some CR4 bits. x86-core knows no
 * extension by name; {@link Cpu#install} builds that CPU's opcode table from the core rows plus the
 * extension's and routes the extension's MSRs and control-register writes here.
 *
 * <p>Rows an extension contributes use {@link dev.hvsim.x86core.exec.Family#EXTENSION}; their handler ids
 * are the extension's own. A row names its CPUID feature so that the decoder makes it #UD when the profile
 * does not advertise the feature; with no extension installed the rows do not exist (#UD). The central
 * checks of a row (mode validity, CPL 0, intercept point) apply as for any core row.
 *
 * <p>None of these methods is on the per-instruction path of core instructions: the MSR and CR hooks run
 * inside RDMSR/WRMSR and MOV CR, the row handler only for the extension's own instructions.
 */
public interface CpuExtension {

    /**
     * The CPUID feature this extension implements (VMX, SVM), or null. CPUID reports that bit only while
     * the extension is installed, so a CPU never advertises an extension it cannot execute.
     */
    default dev.hvsim.x86core.decode.Feature feature() {
        return null;
    }

    /**
     * Whether this extension implements {@code f}: its {@link #feature()} and any further CPUID feature it executes
     * (e.g. SVM's SKINIT, Fn8000_0001 ECX[12]). The CPU reports and enables VMX, SVM and SKINIT only while the
     * installed extension implements them and the profile has them. Default: {@code f == feature()}.
     */
    default boolean implementsFeature(dev.hvsim.x86core.decode.Feature f) {
        return f != null && f == feature();
    }

    /** Adds the extension's opcode rows (family {@code Family.EXTENSION}). */
    void contributeRows(OpcodeTable.Builder b);

    /**
     * The opcode table of a CPU with this extension: the core rows plus {@link #contributeRows}. The default builds
     * it on each install; an extension whose rows never change returns one immutable table it built once.
     */
    default OpcodeTable opcodeTable() {
        return dev.hvsim.x86core.exec.Exec.table(this);
    }

    /**
     * Finds extensions on the class path ({@link java.util.ServiceLoader}): each {@link Cpu} asks every provider
     * once, when it is constructed, and installs the first extension offered. A provider offers one only for a
     * CPU whose profile advertises its feature, so a profile that advertises VMX gets the VMX model wherever
     * vmx-model is present (the {@code hvsim} command line, tests) without the platform naming it.
     */
    interface Provider {
        /** The extension for {@code cpu}, or null when its profile does not have this extension's feature. */
        CpuExtension create(Cpu cpu);
    }

    /** Executes one of the extension's rows ({@code d.handler} is the extension's handler id). */
    void execute(Cpu cpu, DecodedInsn d);

    /** Whether RDMSR/WRMSR of {@code index} is the extension's business. */
    boolean ownsMsr(long index);

    /** RDMSR of an owned MSR; throws {@code ArchFault} (#GP(0)) when it does not exist. */
    long readMsr(Cpu cpu, long index);

    /** WRMSR of an owned MSR; throws {@code ArchFault} (#GP(0)) on a refused write. */
    void writeMsr(Cpu cpu, long index, long value);

    /** The CR4 bits this extension makes writable on this CPU (beyond the core's own). */
    long cr4Bits(Cpu cpu);

    /**
     * Asked before a CR0 ({@code cr} = 0) or CR4 ({@code cr} = 4) write the core has found valid is
     * committed; throws {@code ArchFault} to refuse it (e.g. fixed bits in VMX operation).
     */
    default void checkCrWrite(Cpu cpu, int cr, long oldValue, long newValue) {}

    /**
     * The value a CR0 or CR4 write (MOV CR, LMSW, CLTS) attempts, before the core's checks: an extension that owns
     * bits may keep them (e.g. guest/host-masked bits in VMX non-root operation stay unmodified). Default: as given.
     */
    default long crWriteValue(Cpu cpu, int cr, long oldValue, long newValue) {
        return newValue;
    }

    /** The value a read of CR0, CR4 (MOV from CR, SMSW) or CR8 (MOV from CR8) returns; default: the register. */
    default long crReadValue(Cpu cpu, int cr, long value) {
        return value;
    }

    /**
     * MOV to CR8 of a value whose reserved bits are clear, before CR8 and the interrupt source see it: true when the
     * extension has virtualised the write itself (e.g. VMX "use TPR shadow" writes the virtual-APIC page's VTPR), so
     * the core leaves CR8 alone. Default: false.
     */
    default boolean virtualCr8Write(Cpu cpu, long value) {
        return false;
    }

    /**
     * Asked before a WRMSR of EFER the core has found valid is committed; throws {@code ArchFault} to refuse it
     * (e.g. AMD: EFER.SVME is MBZ while VM_CR.SVMDIS = 1, APM Vol. 2 15.30.1). Default: accept.
     */
    default void checkEferWrite(Cpu cpu, long oldValue, long newValue) {}

    /**
     * Whether the extension holds off NMIs and maskable interrupts at instruction boundaries (e.g. AMD's global
     * interrupt flag GIF = 0 after CLGI, APM Vol. 2 15.17). Asked only when an interrupt source exists. Default: no.
     */
    default boolean holdsInterrupts(Cpu cpu) {
        return false;
    }

    /** What the platform does with an INIT or SIPI for a CPU with an extension ({@link #init}, {@link #startup}). */
    enum SignalAction {
        /** The platform's own treatment (INIT: reset to the INIT state and wait for SIPI; SIPI: start if waiting). */
        PLATFORM,
        /** Blocked: the signal stays pending and the platform asks again later (INIT in VMX root operation). */
        HELD,
        /** The extension took the signal (e.g. a VM exit at the next instruction boundary) or discarded it. */
        TAKEN
    }

    /** An INIT signal arrives for this CPU (SDM Vol. 3A 11.6.1; Vol. 3C 26.2); not on the instruction path. */
    default SignalAction init(Cpu cpu) {
        return SignalAction.PLATFORM;
    }

    /** A start-up IPI with {@code vector} arrives for this CPU (SDM Vol. 3A 8.4.4; Vol. 3C 26.2). */
    default SignalAction startup(Cpu cpu, int vector) {
        return SignalAction.PLATFORM;
    }

    /**
     * Physical memory was written other than by the CPU's own store path ({@link Cpu#physicalWritten}: a debugger, a
     * loader, a DMA engine), so an extension that keeps a processor-side copy of a control structure (the VMX model's
     * current VMCS) can read it again. Default: nothing.
     */
    default void physicalWritten(Cpu cpu, long pa, int length) {}

    /**
     * A debugger read {@code length} bytes of physical memory at {@code pa} into {@code buf} from {@code offset}: an
     * extension that keeps a processor-side copy of a structure in memory that is newer than memory (the VMX model's
     * current VMCS) puts the copy's bytes there, so that the reader sees what the processor holds without memory
     * being written (a read must not change the run). Default: nothing.
     */
    default void overlay(Cpu cpu, long pa, byte[] buf, int offset, int length) {}
}
