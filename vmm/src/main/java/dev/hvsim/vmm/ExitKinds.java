package dev.hvsim.vmm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The mapping table (issue 7 item 2): the {@link ExitKind} of every VMX basic exit reason (SDM Vol. 3C Appendix C,
 * reference/vmx-exit-reasons.csv) and every SVM exit code (AMD APM Vol. 2 Appendix C, reference/svm-exit-codes.csv).
 * Two refinements need the exit information: VMX reason 0 is {@link ExitKind#NMI} when the interruption type is 2,
 * SVM 7CH (VMEXIT_MSR) is {@link ExitKind#MSR_WRITE} when EXITINFO1 = 1. Lookups are array reads (no allocation).
 */
public final class ExitKinds {
    private static final ExitKind[] VMX = new ExitKind[128];
    private static final ExitKind[] SVM = new ExitKind[0x410];
    private static final ExitKind[] SVM_NEGATIVE = new ExitKind[5]; // index = -code: -1 .. -4

    private ExitKinds() {}

    private static void vmx(ExitKind k, int... reasons) {
        for (int r : reasons) {
            if (VMX[r] != null) {
                throw new IllegalStateException("VMX reason " + r + " mapped twice");
            }
            VMX[r] = k;
        }
    }

    private static void svm(ExitKind k, long... codes) {
        for (long c : codes) {
            ExitKind[] t = c < 0 ? SVM_NEGATIVE : SVM;
            int i = (int) (c < 0 ? -c : c);
            if (t[i] != null) {
                throw new IllegalStateException("SVM code " + c + " mapped twice");
            }
            t[i] = k;
        }
    }

    private static void svmRange(ExitKind k, int first, int last) {
        for (int c = first; c <= last; c++) {
            svm(k, c);
        }
    }

    static {
        vmx(ExitKind.EXCEPTION, 0);
        vmx(ExitKind.EXTERNAL_INTERRUPT, 1);
        vmx(ExitKind.TRIPLE_FAULT, 2);
        vmx(ExitKind.INIT, 3);
        vmx(ExitKind.SIPI, 4);
        vmx(ExitKind.SMI, 5, 6);
        vmx(ExitKind.INTERRUPT_WINDOW, 7);
        vmx(ExitKind.NMI_WINDOW, 8);
        vmx(ExitKind.TASK_SWITCH, 9);
        vmx(ExitKind.CPUID, 10);
        vmx(ExitKind.INTEL_OTHER, 11); // GETSEC
        vmx(ExitKind.HLT, 12);
        vmx(ExitKind.INVD, 13);
        vmx(ExitKind.INVLPG, 14);
        vmx(ExitKind.RDPMC, 15);
        vmx(ExitKind.RDTSC, 16);
        vmx(ExitKind.RSM, 17);
        vmx(ExitKind.HYPERCALL, 18); // VMCALL
        vmx(ExitKind.VIRT_INSTRUCTION, 19, 20, 21, 22, 23, 24, 25, 26, 27, 50, 53, 59); // VMX insns, INVEPT/VPID, VMFUNC
        vmx(ExitKind.CR_ACCESS, 28);
        vmx(ExitKind.DR_ACCESS, 29);
        vmx(ExitKind.IO, 30);
        vmx(ExitKind.MSR_READ, 31, 78, 84);  // RDMSR, RDMSRLIST, RDMSR imm
        vmx(ExitKind.MSR_WRITE, 32, 79, 85); // WRMSR, WRMSRLIST, WRMSRNS imm
        vmx(ExitKind.ENTRY_FAILURE, 33, 34, 41);
        vmx(ExitKind.INTEL_OTHER, 35, 42, 60, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 75, 76, 77, 80, 81);
        vmx(ExitKind.MWAIT, 36);
        vmx(ExitKind.MONITOR_TRAP_FLAG, 37);
        vmx(ExitKind.MONITOR, 39);
        vmx(ExitKind.PAUSE, 40);
        vmx(ExitKind.APIC_VIRTUALIZATION, 43, 44, 45, 56);
        vmx(ExitKind.DESCRIPTOR_TABLE, 46, 47);
        vmx(ExitKind.NESTED_PAGE_FAULT, 48);
        vmx(ExitKind.EPT_MISCONFIGURATION, 49);
        vmx(ExitKind.RDTSCP, 51);
        vmx(ExitKind.PREEMPTION_TIMER, 52);
        vmx(ExitKind.WBINVD, 54);
        vmx(ExitKind.XSETBV, 55);
        vmx(ExitKind.RANDOM_NUMBER, 57, 61); // RDRAND, RDSEED (vmx-model produces them)
        vmx(ExitKind.INVPCID, 58);
        vmx(ExitKind.PAGE_LOG_FULL, 62);
        vmx(ExitKind.BUS_LOCK, 74);

        svmRange(ExitKind.CR_ACCESS, 0x00, 0x1f);
        svmRange(ExitKind.DR_ACCESS, 0x20, 0x3f);
        svmRange(ExitKind.EXCEPTION, 0x40, 0x5f);
        svm(ExitKind.EXTERNAL_INTERRUPT, 0x60);
        svm(ExitKind.NMI, 0x61);
        svm(ExitKind.SMI, 0x62);
        svm(ExitKind.INIT, 0x63);
        svm(ExitKind.INTERRUPT_WINDOW, 0x64); // VINTR
        svm(ExitKind.CR_ACCESS, 0x65);        // selective CR0 write
        svmRange(ExitKind.DESCRIPTOR_TABLE, 0x66, 0x6d);
        svm(ExitKind.RDTSC, 0x6e);
        svm(ExitKind.RDPMC, 0x6f);
        svm(ExitKind.FLAGS_ACCESS, 0x70, 0x71); // PUSHF, POPF
        svm(ExitKind.CPUID, 0x72);
        svm(ExitKind.RSM, 0x73);
        svm(ExitKind.IRET, 0x74);
        svm(ExitKind.SOFTWARE_INTERRUPT, 0x75); // INTn
        svm(ExitKind.INVD, 0x76);
        svm(ExitKind.PAUSE, 0x77);
        svm(ExitKind.HLT, 0x78);
        svm(ExitKind.INVLPG, 0x79);
        svm(ExitKind.VIRT_INSTRUCTION, 0x7a); // INVLPGA
        svm(ExitKind.IO, 0x7b);
        svm(ExitKind.MSR_READ, 0x7c);         // MSR_WRITE when EXITINFO1 = 1
        svm(ExitKind.TASK_SWITCH, 0x7d);
        svm(ExitKind.AMD_OTHER, 0x7e);        // FERR_FREEZE
        svm(ExitKind.TRIPLE_FAULT, 0x7f);     // SHUTDOWN
        svm(ExitKind.VIRT_INSTRUCTION, 0x80, 0x82, 0x83, 0x84, 0x85, 0x86); // VMRUN, VMLOAD..CLGI, SKINIT
        svm(ExitKind.HYPERCALL, 0x81);        // VMMCALL
        svm(ExitKind.RDTSCP, 0x87);
        svm(ExitKind.ICEBP, 0x88);
        svm(ExitKind.WBINVD, 0x89);
        svm(ExitKind.MONITOR, 0x8a);
        svm(ExitKind.MWAIT, 0x8b, 0x8c);
        svm(ExitKind.XSETBV, 0x8d);
        svm(ExitKind.AMD_OTHER, 0x8e, 0x8f);  // RDPRU, EFER write trap (SEV-ES)
        svmRange(ExitKind.AMD_OTHER, 0x90, 0x9f); // CRn write traps (SEV-ES)
        svm(ExitKind.AMD_OTHER, 0xa0, 0xa1, 0xa3, 0xa4); // INVLPGB, MCOMMIT, TLBSYNC
        svm(ExitKind.INVPCID, 0xa2);
        svm(ExitKind.BUS_LOCK, 0xa5);
        svm(ExitKind.HLT, 0xa6);              // IDLE_HLT
        svm(ExitKind.NESTED_PAGE_FAULT, 0x400);
        svm(ExitKind.APIC_VIRTUALIZATION, 0x401, 0x402);
        svm(ExitKind.AMD_OTHER, 0x403);       // VMGEXIT
        svm(ExitKind.PAGE_LOG_FULL, 0x407);
        svm(ExitKind.ENTRY_FAILURE, -1, -2, -3, -4); // INVALID, BUSY, IDLE_REQUIRED, INVALID_PMC
    }

    /** The kind of VMX basic exit reason {@code reason} (0 .. 127), or null for an undefined reason. */
    public static ExitKind vmx(int reason) {
        return reason >= 0 && reason < VMX.length ? VMX[reason] : null;
    }

    /** The kind of a VMX exit, refined by its interruption information (reason 0 with type 2 is an NMI). */
    public static ExitKind vmx(int reason, long interruptionInfo) {
        return reason == 0 && (interruptionInfo >>> 8 & 7) == 2 ? ExitKind.NMI : vmx(reason);
    }

    /** The kind of SVM exit code {@code code}, or null for an undefined code. */
    public static ExitKind svm(long code) {
        if (code < 0) {
            return code >= -4 ? SVM_NEGATIVE[(int) -code] : null;
        }
        return code < SVM.length ? SVM[(int) code] : null;
    }

    /** The kind of an SVM exit, refined by EXITINFO1 (VMEXIT_MSR with EXITINFO1 = 1 is a write). */
    public static ExitKind svm(long code, long exitInfo1) {
        return code == 0x7c && exitInfo1 == 1 ? ExitKind.MSR_WRITE : svm(code);
    }

    /** Every VMX reason of {@code kind} (the table read backwards). */
    public static List<Integer> vmxReasons(ExitKind kind) {
        List<Integer> out = new ArrayList<>();
        for (int r = 0; r < VMX.length; r++) {
            if (VMX[r] == kind || kind == ExitKind.NMI && r == 0) {
                out.add(r);
            }
        }
        return out;
    }

    /** Every SVM code of {@code kind} (the table read backwards). */
    public static List<Long> svmCodes(ExitKind kind) {
        List<Long> out = new ArrayList<>();
        for (int i = SVM_NEGATIVE.length - 1; i >= 1; i--) {
            if (SVM_NEGATIVE[i] == kind) {
                out.add((long) -i);
            }
        }
        for (int c = 0; c < SVM.length; c++) {
            if (SVM[c] == kind || kind == ExitKind.MSR_WRITE && c == 0x7c) {
                out.add((long) c);
            }
        }
        return out;
    }

    /** All kinds, for tables. */
    public static List<ExitKind> kinds() {
        return Arrays.asList(ExitKind.values());
    }
}
