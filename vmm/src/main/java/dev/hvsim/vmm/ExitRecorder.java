package dev.hvsim.vmm;

import dev.hvsim.svm.SvmExit;
import dev.hvsim.vmx.VmExit;
import dev.hvsim.x86core.Reg;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns each exit into an {@link ExitRecord} (for {@code hvsim compare}): the exit information as {@link GuestExit}
 * decoded it, the inputs read before the VMM handled it (RAX, RCX) and the guest-visible results after.
 */
final class ExitRecorder {
    private final Consumer<ExitRecord> sink;
    private final long[] lastCycle;
    private long rax, rcx;

    ExitRecorder(Consumer<ExitRecord> sink, int vcpus) {
        this.sink = sink;
        this.lastCycle = new long[vcpus];
    }

    /** Before the exit is handled: the inputs (leaf, MSR index, hypercall function). */
    void before(Vcpu v) {
        rax = v.gpr(Reg.RAX);
        rcx = v.gpr(Reg.RCX);
    }

    /** After the exit was handled as {@code h}: one record to the sink. */
    void after(long seq, Vcpu v, long cycle, Handled h) {
        GuestExit x = v.exit;
        Map<String, String> info = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        Map<String, String> results = new LinkedHashMap<>();
        switch (x.kind) {
            case IO:
                key(info, keys, "port", Hex.of(x.port));
                key(info, keys, "in", Boolean.toString(x.in));
                info.put("size", Integer.toString(x.size));
                info.put("string", Boolean.toString(x.string));
                info.put("rep", Boolean.toString(x.rep));
                if (x.in && !x.string && h != Handled.STOPPED) {
                    long mask = x.size == 4 ? 0xffffffffL : (1L << 8 * x.size) - 1;
                    results.put("value", Hex.of(v.gpr(Reg.RAX) & mask));
                }
                break;
            case CPUID:
                key(info, keys, "leaf", Hex.of(rax & 0xffffffffL));
                info.put("subleaf", Hex.of(rcx & 0xffffffffL));
                results.put("eax", Hex.of(v.gpr(Reg.RAX) & 0xffffffffL));
                results.put("ebx", Hex.of(v.gpr(Reg.RBX) & 0xffffffffL));
                results.put("ecx", Hex.of(v.gpr(Reg.RCX) & 0xffffffffL));
                results.put("edx", Hex.of(v.gpr(Reg.RDX) & 0xffffffffL));
                break;
            case MSR_READ:
            case MSR_WRITE:
                key(info, keys, "msr", Hex.of(x.msr));
                if (x.kind == ExitKind.MSR_READ && h == Handled.EMULATED) {
                    results.put("value", Hex.of((v.gpr(Reg.RDX) & 0xffffffffL) << 32 | (v.gpr(Reg.RAX) & 0xffffffffL)));
                }
                break;
            case HYPERCALL:
                key(info, keys, "function", Hex.of(rax));
                if (h != Handled.STOPPED) {
                    results.put("rax", Hex.of(v.gpr(Reg.RAX)));
                }
                break;
            case NESTED_PAGE_FAULT:
            case EPT_MISCONFIGURATION:
                key(info, keys, "page", Hex.of(x.gpa & ~0xfffL));
                info.put("gpa", Hex.of(x.gpa));
                info.put("access", x.access == GuestExit.WRITE ? "write" : x.access == GuestExit.FETCH ? "fetch" : "read");
                info.put("present", Boolean.toString(present(x)));
                info.put("walk", walk(x));
                break;
            case EXCEPTION:
            case NMI:
            case EXTERNAL_INTERRUPT:
                key(info, keys, "vector", Integer.toString(x.vector));
                info.put("error_code", x.errorCode < 0 ? "none" : Hex.of(x.errorCode & 0xffffffffL));
                break;
            case CR_ACCESS:
                key(info, keys, "cr", Integer.toString(x.cr));
                key(info, keys, "write", Boolean.toString(x.crWrite));
                break;
            default:
                break;
        }
        info.put("rip", Hex.of(x.rip));
        if (instructionExit(x.kind)) {
            long next = x.intel ? x.rip + x.instructionLength : x.nextRip;
            info.put("next_rip", Hex.of(next));
        }
        results.put("handled", h.traceName());
        int i = v.index;
        long cost = cycle - lastCycle[i];
        lastCycle[i] = cycle;
        Map<String, String> raw = new LinkedHashMap<>();
        String name = raw(x, raw);
        sink.accept(new ExitRecord(seq, i, x.intel, cycle, cost, x.kind, name, raw, info, keys, results));
    }

    /**
     * Whether the second-stage entry was present (the access was not allowed) or absent: VMX qualification bits 5:3
     * (the entry's read/write/execute permissions, SDM Vol. 3C Table 29-7); SVM EXITINFO1 bit 0 (P, APM 15.25.6).
     */
    private static boolean present(GuestExit x) {
        return x.intel ? (x.qualification & 0x38) != 0 : (x.qualification & 1) != 0;
    }

    /**
     * What the faulting access was: "final" (the translation of a linear address, or paging off), "paging-structure"
     * (a guest page-table access) or "unknown" — VMX qualification bits 7 and 8, SVM EXITINFO1 bits 32 and 33.
     */
    private static String walk(GuestExit x) {
        long q = x.qualification;
        if (x.intel) {
            return (q & 0x80) == 0 ? "unknown" : (q & 0x100) != 0 ? "final" : "paging-structure";
        }
        return (q & 1L << 32) != 0 ? "final" : (q & 1L << 33) != 0 ? "paging-structure" : "unknown";
    }

    private static void key(Map<String, String> info, List<String> keys, String k, String value) {
        info.put(k, value);
        keys.add(k);
    }

    /** Exits caused by executing an instruction: the VMM resumes after it (VMX instruction length, SVM NRIP). */
    private static boolean instructionExit(ExitKind k) {
        switch (k) {
            case NESTED_PAGE_FAULT: case EPT_MISCONFIGURATION: case EXCEPTION: case NMI: case EXTERNAL_INTERRUPT:
            case INTERRUPT_WINDOW: case TRIPLE_FAULT: case ENTRY_FAILURE: case INIT: case SIPI: case SMI:
            case NMI_WINDOW: case PREEMPTION_TIMER: case MONITOR_TRAP_FLAG:
                return false;
            default:
                return true;
        }
    }

    /** The raw record's fields (as in exit traces) into {@code out}; returns the vendor's name of the exit. */
    private static String raw(GuestExit x, Map<String, String> out) {
        if (x.raw instanceof VmExit) {
            VmExit e = (VmExit) x.raw;
            out.put("reason", Integer.toString(e.reason()));
            out.put("entry_failure", Boolean.toString(e.entryFailure()));
            out.put("qualification", Hex.of(e.qualification()));
            out.put("instruction_length", Integer.toString(e.instructionLength()));
            out.put("instruction_info", Hex.of(e.instructionInfo() & 0xffffffffL));
            out.put("interruption_info", Hex.of(e.interruptionInfo() & 0xffffffffL));
            out.put("idt_vectoring", Hex.of(x.vectoring));
            if (x.kind == ExitKind.NESTED_PAGE_FAULT || x.kind == ExitKind.EPT_MISCONFIGURATION) {
                out.put("guest_physical", Hex.of(x.gpa));
            }
            return VendorNames.vmx(e.reason(), e.entryFailure());
        }
        SvmExit e = (SvmExit) x.raw;
        out.put("exitcode", Hex.of(e.exitCode()));
        out.put("exitinfo1", Hex.of(e.exitInfo1()));
        out.put("exitinfo2", Hex.of(e.exitInfo2()));
        out.put("exitintinfo", Hex.of(e.exitIntInfo()));
        out.put("nrip", Hex.of(e.nextRip()));
        return VendorNames.svm(e.exitCode());
    }
}
