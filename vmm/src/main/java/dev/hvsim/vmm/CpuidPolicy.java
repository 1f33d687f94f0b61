package dev.hvsim.vmm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Vendor;

/**
 * The VMM's CPUID (issue 7 item 1): the profile's leaves with the bare CPU's rules (out-of-range leaves, the
 * dynamic bits of x86-core's CPUID: APIC ID, OSXSAVE, OSPKE), filtered for a guest:
 *
 * <ul>
 *   <li>no VMX for the guest: CPUID.1:ECX.VMX[5] = 0; CPUID.8000_0001:ECX.SVM[2] = 0 too unless the VMM emulates SVM
 *       for its guest (nested SVM, {@link NestedSvm}): then SVM stays, and Fn8000_000A gives the profile's revision
 *       (EAX) and ASID count (EBX), ECX = 0 and in EDX only what the emulation implements: NP (bit 0) and NRIPS
 *       (bit 3), where the profile has them (AMD APM Vol. 3 Appendix E.4.9);</li>
 *   <li>CPUID.1:ECX[31] = 1, "hypervisor present" (reserved for this use by both vendors);</li>
 *   <li>leaf 4000_0000H: EAX = 4000_0001H, EBX:ECX:EDX = "HvsimJavaVMM"; 4000_0001H: EAX = the hypercall ABI version
 *       ({@link Hypercalls#ABI_VERSION}).</li>
 * </ul>
 *
 * The leaves are parsed once into arrays: a CPUID exit looks them up without allocating.
 */
public final class CpuidPolicy {
    private static final long EXT = 0x8000_0000L, HV = 0x4000_0000L;
    private final long[] leaf;
    private final int[] subleaf;
    private final int[][] regs;
    private final boolean intel;
    private final boolean nestedSvm;
    private final long maxBasic, maxExt;

    public CpuidPolicy(CpuProfile p) {
        this(p, false);
    }

    /** {@code nestedSvm}: the VMM emulates SVM for its guest (see above). */
    public CpuidPolicy(CpuProfile p, boolean nestedSvm) {
        this.nestedSvm = nestedSvm;
        int n = p.cpuid().size();
        leaf = new long[n];
        subleaf = new int[n];
        regs = new int[n][];
        for (int i = 0; i < n; i++) {
            CpuProfile.CpuidLeaf l = p.cpuid().get(i);
            leaf[i] = l.leaf();
            subleaf[i] = l.subleaf();
            regs[i] = l.regs();
        }
        intel = p.vendor() == Vendor.INTEL;
        int b = find(0, 0), e = find(EXT, 0);
        maxBasic = b < 0 ? 0 : regs[b][0] & 0xffffffffL;
        maxExt = e < 0 ? 0 : regs[e][0] & 0xffffffffL;
    }

    private int find(long l, int sub) {
        for (int i = 0; i < leaf.length; i++) {
            if (leaf[i] == l && (subleaf[i] < 0 || subleaf[i] == sub)) {
                return i;
            }
        }
        return -1;
    }

    /** Writes EAX..EDX of leaf {@code l} / subleaf {@code sub} for the guest of {@code v} into {@code out[0..3]}. */
    public void compute(Vcpu v, long l, int sub, long[] out) {
        if (l == HV || l == HV + 1) {
            out[0] = l == HV ? HV + 1 : Hypercalls.ABI_VERSION;
            out[1] = l == HV ? word("Hvsi") : 0;
            out[2] = l == HV ? word("mJav") : 0;
            out[3] = l == HV ? word("aVMM") : 0;
            return;
        }
        int i = find(l, sub);
        boolean inRange = l <= maxBasic || l >= EXT && l <= maxExt;
        if (!inRange) {
            i = intel ? find(maxBasic, sub) : -1;
            l = -1;
        }
        for (int r = 0; r < 4; r++) {
            out[r] = i < 0 ? 0 : regs[i][r] & 0xffffffffL;
        }
        if (l == 1) {
            out[1] = (out[1] & 0x00ff_ffffL) | (long) (v.cpu().apicId() & 0xff) << 24;
            out[2] = bit(out[2], 27, (v.cr4() & Cpu.CR4_OSXSAVE) != 0);
            out[2] = bit(out[2], 5, false);
            out[2] = bit(out[2], 31, true);
        } else if (l == EXT + 1) {
            out[2] = bit(out[2], 2, nestedSvm && (out[2] & 4) != 0);
        } else if (l == EXT + 0xa && nestedSvm) {
            out[2] = 0;
            out[3] &= NestedSvm.FEATURES;
        } else if (l == 7 && sub == 0) {
            out[2] = bit(out[2], 4, (v.cr4() & Cpu.CR4_PKE) != 0);
        }
    }

    private static long word(String s) {
        return (s.charAt(0) | s.charAt(1) << 8 | s.charAt(2) << 16 | (long) s.charAt(3) << 24) & 0xffffffffL;
    }

    private static long bit(long v, int b, boolean on) {
        return on ? v | 1L << b : v & ~(1L << b);
    }
}
