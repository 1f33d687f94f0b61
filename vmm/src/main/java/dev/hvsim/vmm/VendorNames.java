package dev.hvsim.vmm;

/**
 * Short vendor names of the exits the VMM meets most (SDM Vol. 3C Appendix C, APM Vol. 2 Appendix C), for display
 * in comparisons; any other exit is named by its number.
 */
public final class VendorNames {
    private VendorNames() {}

    /** "EPT violation (48)"; entry failures add "VM-entry failure". */
    public static String vmx(int reason, boolean entryFailure) {
        String n;
        switch (reason) {
            case 0: n = "exception or NMI"; break;
            case 1: n = "external interrupt"; break;
            case 2: n = "triple fault"; break;
            case 7: n = "interrupt window"; break;
            case 10: n = "CPUID"; break;
            case 12: n = "HLT"; break;
            case 18: n = "VMCALL"; break;
            case 28: n = "control-register access"; break;
            case 30: n = "I/O instruction"; break;
            case 31: n = "RDMSR"; break;
            case 32: n = "WRMSR"; break;
            case 33: n = "VM-entry failure: invalid guest state"; break;
            case 34: n = "VM-entry failure: MSR loading"; break;
            case 48: n = "EPT violation"; break;
            case 49: n = "EPT misconfiguration"; break;
            default: n = "exit reason"; break;
        }
        return n + " (" + reason + ")";
    }

    /** "VMEXIT_NPF (0x400)". */
    public static String svm(long code) {
        String n;
        if (code >= 0x40 && code <= 0x5f) {
            n = "VMEXIT_EXCP" + (code - 0x40);
        } else if (code == 0x60) {
            n = "VMEXIT_INTR";
        } else if (code == 0x64) {
            n = "VMEXIT_VINTR";
        } else if (code == 0x72) {
            n = "VMEXIT_CPUID";
        } else if (code == 0x78) {
            n = "VMEXIT_HLT";
        } else if (code == 0x7b) {
            n = "VMEXIT_IOIO";
        } else if (code == 0x7c) {
            n = "VMEXIT_MSR";
        } else if (code == 0x7f) {
            n = "VMEXIT_SHUTDOWN";
        } else if (code == 0x81) {
            n = "VMEXIT_VMMCALL";
        } else if (code == 0x400) {
            n = "VMEXIT_NPF";
        } else if (code == -1) {
            n = "VMEXIT_INVALID";
        } else {
            n = "VMEXIT";
        }
        return n + " (" + (code < 0 ? Long.toString(code) : Hex.of(code)) + ")";
    }
}
