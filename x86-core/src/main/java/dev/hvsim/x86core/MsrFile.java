package dev.hvsim.x86core;

import org.eclipse.collections.api.block.procedure.primitive.LongLongProcedure;
import org.eclipse.collections.impl.map.mutable.primitive.LongLongHashMap;

/**
 * The values of the model-specific registers a CPU holds ({@link CpuState#msr}): index to 64-bit value, absent
 * until written. A map with the interface of Eclipse Collections' {@code LongLongHashMap} (put, getIfAbsent,
 * forEachKeyValue, ...), but the MSRs that VM entries and exits move at every transition (IA32_PAT,
 * IA32_SYSENTER_CS/ESP/EIP, IA32_DEBUGCTL: SDM Vol. 3C 28.3.2.1 and 29.3/29.5; STAR, LSTAR, CSTAR, SFMASK and
 * KernelGsBase: VMLOAD/VMSAVE, APM Vol. 2 15.5.2) live in fixed slots, so that a VM-exit round trip does not hash
 * a dozen times. Which slot holds what is invisible to users: every method behaves as the plain map would
 * (iteration order aside, which no caller relies on).
 */
public final class MsrFile {
    private static final long[] FAST = {Msr.IA32_PAT, Msr.IA32_SYSENTER_CS, Msr.IA32_SYSENTER_ESP,
        Msr.IA32_SYSENTER_EIP, 0x1d9 /* IA32_DEBUGCTL */, Msr.IA32_STAR, Msr.IA32_LSTAR, Msr.IA32_CSTAR,
        Msr.IA32_FMASK, Msr.IA32_KERNEL_GS_BASE};
    private final long[] fast = new long[FAST.length];
    /** Bit i: slot i holds a value. */
    private int present;
    private final LongLongHashMap other = new LongLongHashMap();

    /** The slot of {@code index}, or -1 (the MSRs of {@link #FAST}: 174H-176H, 1D9H, 277H, C0000081H-C0000084H, C0000102H). */
    private static int slot(long index) {
        if (index == Msr.IA32_PAT) {
            return 0;
        }
        if (index >= Msr.IA32_SYSENTER_CS && index <= Msr.IA32_SYSENTER_EIP) {
            return 1 + (int) (index - Msr.IA32_SYSENTER_CS);
        }
        if (index == 0x1d9) {
            return 4;
        }
        if (index >= Msr.IA32_STAR && index <= Msr.IA32_FMASK) {
            return 5 + (int) (index - Msr.IA32_STAR);
        }
        return index == Msr.IA32_KERNEL_GS_BASE ? 9 : -1;
    }

    public void put(long index, long value) {
        int i = slot(index);
        if (i < 0) {
            other.put(index, value);
        } else {
            fast[i] = value;
            present |= 1 << i;
        }
    }

    /** The value of {@code index}, or {@code ifAbsent} when it was never written. */
    public long getIfAbsent(long index, long ifAbsent) {
        int i = slot(index);
        if (i < 0) {
            return other.getIfAbsent(index, ifAbsent);
        }
        return (present >>> i & 1) != 0 ? fast[i] : ifAbsent;
    }

    /** The value of {@code index}, 0 when it was never written. */
    public long get(long index) {
        return getIfAbsent(index, 0);
    }

    public boolean containsKey(long index) {
        int i = slot(index);
        return i < 0 ? other.containsKey(index) : (present >>> i & 1) != 0;
    }

    /** Forgets {@code index}. */
    public void removeKey(long index) {
        int i = slot(index);
        if (i < 0) {
            other.removeKey(index);
        } else {
            present &= ~(1 << i);
            fast[i] = 0;
        }
    }

    public int size() {
        return Integer.bitCount(present) + other.size();
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    public void clear() {
        present = 0;
        java.util.Arrays.fill(fast, 0);
        other.clear();
    }

    /** Every value of {@code o} into this file (values of indices only this file has are kept). */
    public void putAll(MsrFile o) {
        for (int i = 0; i < FAST.length; i++) {
            if ((o.present >>> i & 1) != 0) {
                fast[i] = o.fast[i];
            }
        }
        present |= o.present;
        other.putAll(o.other);
    }

    /** Calls {@code p} with every index and value held. */
    public void forEachKeyValue(LongLongProcedure p) {
        for (int i = 0; i < FAST.length; i++) {
            if ((present >>> i & 1) != 0) {
                p.value(FAST[i], fast[i]);
            }
        }
        other.forEachKeyValue(p);
    }

    /** Index to value, a copy. */
    public java.util.SortedMap<Long, Long> toMap() {
        java.util.SortedMap<Long, Long> m = new java.util.TreeMap<>();
        forEachKeyValue(m::put);
        return m;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        toMap().forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(Long.toHexString(k)).append('=')
                .append(Long.toHexString(v)));
        return b.append('}').toString();
    }
}
