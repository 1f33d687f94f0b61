package dev.hvsim.vmm;

/**
 * The vendor-neutral view of one VM exit (issue 7 item 2): the {@link ExitKind} and the fields both vendors share,
 * over the raw vendor record ({@code dev.hvsim.vmx.VmExit} or {@code dev.hvsim.svm.SvmExit}) and its raw numbers.
 *
 * <p>One instance per vCPU, refilled in place at every exit (no allocation per exit beyond the model's own record):
 * it is valid until the vCPU runs again. Fields that do not apply to the kind are 0 / false.
 */
public final class GuestExit {
    /** Access kinds of {@link #access()} (nested page faults). */
    public static final int READ = 0, WRITE = 1, FETCH = 2;

    ExitKind kind;
    Object raw;
    boolean intel;
    int reason;          // VMX basic reason or SVM exit code (low 32 bits)
    long code;           // SVM exit code (64-bit) or VMX reason
    long qualification;  // VMX exit qualification / SVM EXITINFO1
    long info2;          // SVM EXITINFO2 (VMX: 0)
    int instructionLength;
    int instructionInfo;
    long interruptionInfo;
    long vectoring;      // VMX IDT-vectoring information / SVM EXITINTINFO
    long nextRip;
    long rip;
    // shared fields
    int port, size;
    boolean in, string, rep;
    long msr;
    long gpa;
    int access;
    int cr;
    boolean crWrite;
    int vector = -1;
    int errorCode = -1;
    /** 1: an exit of the VMM's guest; 2: of its nested guest (nested virtualization). */
    int level = 1;

    void clear() {
        port = size = 0;
        in = string = rep = false;
        msr = gpa = 0;
        access = cr = 0;
        crWrite = false;
        vector = errorCode = -1;
        qualification = info2 = interruptionInfo = vectoring = nextRip = 0;
        instructionLength = instructionInfo = 0;
    }

    public ExitKind kind() { return kind; }
    /** 1 for an exit of the VMM's own guest, 2 for one of the guest's guest (nested virtualization, L2). */
    public int level() { return level; }
    /** The raw vendor record: a {@code dev.hvsim.vmx.VmExit} (Intel) or {@code dev.hvsim.svm.SvmExit} (AMD). */
    public Object raw() { return raw; }
    /** True for an Intel (VMX) exit, false for AMD (SVM). */
    public boolean intel() { return intel; }
    /** VMX basic exit reason or SVM EXITCODE. */
    public long rawCode() { return code; }
    /** VMX exit qualification or SVM EXITINFO1. */
    public long qualification() { return qualification; }
    /** SVM EXITINFO2 (0 on VMX). */
    public long exitInfo2() { return info2; }
    /** VMX VM-exit instruction length (0 on SVM: see {@link #nextRip()}). */
    public int instructionLength() { return instructionLength; }
    public int instructionInfo() { return instructionInfo; }
    /** VMX VM-exit interruption information (0 on SVM). */
    public long interruptionInfo() { return interruptionInfo; }
    /** VMX IDT-vectoring information or SVM EXITINTINFO: the event being delivered when the exit happened. */
    public long vectoring() { return vectoring; }
    /** SVM NRIP (0 on VMX). */
    public long nextRip() { return nextRip; }
    /** The guest RIP of the exit. */
    public long rip() { return rip; }
    /** I/O: port, size in bytes, direction, string, REP. */
    public int port() { return port; }
    public int size() { return size; }
    public boolean in() { return in; }
    public boolean string() { return string; }
    public boolean rep() { return rep; }
    /** MSR index (ECX) of MSR_READ / MSR_WRITE. */
    public long msr() { return msr; }
    /** Guest-physical address of a nested page fault. */
    public long gpa() { return gpa; }
    /** {@link #READ}, {@link #WRITE} or {@link #FETCH} for nested page faults. */
    public int access() { return access; }
    /** Control register number and direction of CR_ACCESS. */
    public int cr() { return cr; }
    public boolean crWrite() { return crWrite; }
    /** Exception / interrupt vector (-1 if none) and error code (-1 if none). */
    public int vector() { return vector; }
    public int errorCode() { return errorCode; }

    @Override
    public String toString() {
        return kind + (intel ? " vmx reason " : " svm code 0x") + (intel ? Long.toString(code) : Long.toHexString(code))
                + " rip=0x" + Long.toHexString(rip);
    }

    /** A copy of this record (snapshots of the VMM). */
    GuestExit copy() {
        GuestExit c = new GuestExit();
        c.copyFrom(this);
        return c;
    }

    void copyFrom(GuestExit o) {
        kind = o.kind; raw = o.raw; intel = o.intel; reason = o.reason; code = o.code; qualification = o.qualification;
        info2 = o.info2; instructionLength = o.instructionLength; instructionInfo = o.instructionInfo;
        interruptionInfo = o.interruptionInfo; vectoring = o.vectoring; nextRip = o.nextRip; rip = o.rip;
        port = o.port; size = o.size; in = o.in; string = o.string; rep = o.rep; msr = o.msr; gpa = o.gpa;
        access = o.access; cr = o.cr; crWrite = o.crWrite; vector = o.vector; errorCode = o.errorCode; level = o.level;
    }
}
