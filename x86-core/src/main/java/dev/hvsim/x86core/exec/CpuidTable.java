package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.CpuProfile;
import java.util.List;

/**
 * A CPU profile's CPUID leaves parsed once (per CPU), for {@link Cpuid}: the profile keeps them as hex strings,
 * and CPUID is executed often (a hypervisor written in x86 executes it on every CPUID exit it emulates).
 * Entries keep the profile's order; subleaf -1 matches any ECX.
 */
public final class CpuidTable {
    private final long[] leaf;
    private final int[] subleaf;
    private final long[] regs; // four unsigned 32-bit values per entry: EAX, EBX, ECX, EDX
    private final long maxBasic;
    private final long maxExtended;

    private CpuidTable(List<CpuProfile.CpuidLeaf> leaves) {
        int n = leaves.size();
        leaf = new long[n];
        subleaf = new int[n];
        regs = new long[4 * n];
        for (int i = 0; i < n; i++) {
            CpuProfile.CpuidLeaf l = leaves.get(i);
            leaf[i] = Cpuid.parse(l.leafHex());
            subleaf[i] = l.subleaf();
            regs[4 * i] = Cpuid.parse(l.eax()) & 0xffff_ffffL;
            regs[4 * i + 1] = Cpuid.parse(l.ebx()) & 0xffff_ffffL;
            regs[4 * i + 2] = Cpuid.parse(l.ecx()) & 0xffff_ffffL;
            regs[4 * i + 3] = Cpuid.parse(l.edx()) & 0xffff_ffffL;
        }
        maxBasic = reg(find(0, 0), 0);
        maxExtended = reg(find(0x8000_0000L, 0), 0);
    }

    /** The table of {@code profile}'s leaves. */
    public static CpuidTable of(CpuProfile profile) {
        return new CpuidTable(profile.cpuid());
    }

    /** Index of the first entry for leaf/subleaf, or -1. */
    int find(long l, int sub) {
        for (int i = 0; i < leaf.length; i++) {
            if (leaf[i] == l && (subleaf[i] < 0 || subleaf[i] == sub)) {
                return i;
            }
        }
        return -1;
    }

    /** Register r (0 EAX .. 3 EDX) of entry i as an unsigned 32-bit value; 0 for a missing entry (i = -1). */
    long reg(int i, int r) {
        return i < 0 ? 0 : regs[4 * i + r];
    }

    /**
     * Register r (0 EAX .. 3 EDX) of the first entry for leaf/subleaf, 0 when the profile lacks it: what
     * {@link CpuProfile#cpuidExact} gives (null read as 0), without parsing the profile's strings on each call.
     */
    public int value(long l, int sub, int r) {
        return (int) reg(find(l, sub), r);
    }

    /** Leaf 0 EAX: the highest basic leaf. */
    long maxBasic() { return maxBasic; }

    /** Leaf 8000_0000H EAX: the highest extended leaf. */
    long maxExtended() { return maxExtended; }
}
