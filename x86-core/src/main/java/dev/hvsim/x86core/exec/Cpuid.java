package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.Feature;

/**
 * CPUID for the misc family (SDM Vol. 2A CPUID; AMD APM Vol. 3 CPUID and Appendix E). The answer is the
 * profile's data for leaf EAX / subleaf ECX, with these rules:
 *
 * <ul>
 *   <li>A leaf above the maximum basic leaf (leaf 0 EAX), or above the maximum extended leaf (leaf
 *       8000_0000 EAX) in the extended range, or in neither range: Intel returns the data of the highest
 *       basic leaf (SDM Vol. 2A CPUID: "If a value entered for CPUID.EAX is higher than the maximum input
 *       value for basic or extended function for that processor then the data for the highest basic
 *       information leaf is returned"); AMD returns zeros (APM Vol. 3 Appendix E.2, E.4).</li>
 *   <li>A leaf in range that the profile does not list reads as zeros.</li>
 *   <li>Dynamic bits: leaf 1 EBX[31:24] initial APIC ID, leaf 1 ECX[27] OSXSAVE = CR4.OSXSAVE, leaf 7.0
 *       ECX[4] OSPKE = CR4.PKE.</li>
 *   <li>The four results are written as 32-bit registers (upper halves cleared in 64-bit mode).</li>
 * </ul>
 *
 * <p>The lookup walks the CPU's {@link CpuidTable} (the profile's leaves parsed once), so CPUID allocates
 * nothing.
 */
final class Cpuid {
    private static final long EXT_BASE = 0x8000_0000L;

    private Cpuid() {}

    static void execute(Cpu cpu) {
        CpuidTable t = cpu.cpuidTable();
        long leaf = cpu.gpr(Reg.RAX, 4);
        int subleaf = (int) cpu.gpr(Reg.RCX, 4);
        int index = t.find(leaf, subleaf);
        long maxBasic = t.maxBasic();
        long maxExt = t.maxExtended();
        boolean inRange = leaf <= maxBasic || leaf >= EXT_BASE && leaf <= maxExt;
        if (!inRange) {
            index = cpu.vendor() == Vendor.INTEL ? t.find(maxBasic, subleaf) : -1;
            leaf = -1; // no dynamic bits for a substituted answer of another leaf
        }
        long eax = t.reg(index, 0), ebx = t.reg(index, 1);
        long ecx = t.reg(index, 2), edx = t.reg(index, 3);
        if (leaf == 1) {
            ebx = (ebx & 0x00ff_ffffL) | (long) (cpu.apicId() & 0xff) << 24;
            ecx = setBit(ecx, 27, cpu.cr4(Cpu.CR4_OSXSAVE));
            ecx = setBit(ecx, 5, cpu.has(Feature.VMX)); // only while the VMX model is installed
        } else if (leaf == EXT_BASE + 1) {
            ecx = setBit(ecx, 2, cpu.has(Feature.SVM)); // only while the SVM model is installed
            ecx = setBit(ecx, 12, cpu.has(Feature.SKINIT)); // only while a model implementing SKINIT is installed
        } else if (leaf == 7 && subleaf == 0) {
            ecx = setBit(ecx, 4, cpu.cr4(Cpu.CR4_PKE));
        }
        cpu.setGpr(Reg.RAX, 4, eax);
        cpu.setGpr(Reg.RBX, 4, ebx);
        cpu.setGpr(Reg.RCX, 4, ecx);
        cpu.setGpr(Reg.RDX, 4, edx);
    }

    private static long setBit(long v, int bit, boolean on) {
        return on ? v | 1L << bit : v & ~(1L << bit);
    }

    /** Parses "0x..." hex or decimal without allocating (the profile format of {@link CpuProfile}). */
    static long parse(String s) {
        if (s == null) {
            return 0;
        }
        int n = s.length();
        int i = 0;
        while (i < n && s.charAt(i) == ' ') {
            i++;
        }
        int radix = 10;
        if (i + 1 < n && s.charAt(i) == '0' && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')) {
            radix = 16;
            i += 2;
        }
        long v = 0;
        for (; i < n; i++) {
            int digit = Character.digit(s.charAt(i), radix);
            if (digit < 0) {
                break;
            }
            v = v * radix + digit;
        }
        return v;
    }
}
