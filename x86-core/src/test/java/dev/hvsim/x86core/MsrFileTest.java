package dev.hvsim.x86core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.collections.impl.map.mutable.primitive.LongLongHashMap;
import org.junit.jupiter.api.Test;

class MsrFileTest {
    /** Indices in the fixed slots, next to them, and elsewhere. */
    private static final long[] INDICES = {Msr.IA32_PAT, 0x276, 0x278, 0x173, Msr.IA32_SYSENTER_CS,
        Msr.IA32_SYSENTER_ESP, Msr.IA32_SYSENTER_EIP, 0x177, 0x1d9, 0x1d8, Msr.IA32_STAR, Msr.IA32_LSTAR,
        Msr.IA32_CSTAR, Msr.IA32_FMASK, 0xc0000080L, 0xc0000085L, Msr.IA32_KERNEL_GS_BASE, Msr.IA32_TSC_AUX,
        Msr.IA32_FS_BASE, 0x1_0000_0277L, 0x1_0000_0174L, -1L, 0};

    @Test
    void behavesAsAPlainMapUnderRandomOperations() {
        Random r = new Random(7);
        for (int round = 0; round < 200; round++) {
            MsrFile f = new MsrFile();
            LongLongHashMap ref = new LongLongHashMap();
            for (int op = 0; op < 60; op++) {
                long index = INDICES[r.nextInt(INDICES.length)], value = r.nextLong();
                switch (r.nextInt(6)) {
                    case 0: case 1: case 2:
                        f.put(index, value);
                        ref.put(index, value);
                        break;
                    case 3:
                        f.removeKey(index);
                        ref.removeKey(index);
                        break;
                    case 4:
                        MsrFile copy = new MsrFile();
                        copy.put(0x10, 5); // kept: putAll adds, as the map's does
                        copy.putAll(f);
                        LongLongHashMap refCopy = new LongLongHashMap();
                        refCopy.put(0x10, 5);
                        refCopy.putAll(ref);
                        assertThat(copy.toMap()).isEqualTo(sorted(refCopy));
                        break;
                    default:
                        if (r.nextInt(10) == 0) {
                            f.clear();
                            ref.clear();
                        }
                }
                for (long i : INDICES) {
                    assertThat(f.getIfAbsent(i, 42)).isEqualTo(ref.getIfAbsent(i, 42));
                    assertThat(f.containsKey(i)).isEqualTo(ref.containsKey(i));
                }
                assertThat(f.size()).isEqualTo(ref.size());
                assertThat(f.toMap()).isEqualTo(sorted(ref));
            }
        }
    }

    @Test
    void aCpuStateCopyCarriesEveryMsr() {
        CpuState a = new CpuState();
        a.msr.put(Msr.IA32_PAT, 0x0007040600070406L);
        a.msr.put(Msr.IA32_TSC_AUX, 9);
        CpuState b = new CpuState();
        b.msr.put(Msr.IA32_LSTAR, 1); // dropped by the copy
        b.copyFrom(a);
        assertThat(b.msr.toMap()).isEqualTo(a.msr.toMap()).hasSize(2);
        assertThat(b.msr(Msr.IA32_LSTAR)).isZero();
        assertThat(b.byName()).containsEntry("MSR_277", a.byName().get("MSR_277")).doesNotContainKey("MSR_c0000082");
    }

    private static SortedMap<Long, Long> sorted(LongLongHashMap m) {
        SortedMap<Long, Long> s = new TreeMap<>();
        m.forEachKeyValue(s::put);
        return s;
    }
}
