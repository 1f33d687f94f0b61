package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Memory overcommit (issue 5 item 6), on EPT and on AMD nested paging: the guest gets 256 KiB of guest-physical memory beyond the end of its 8 MiB of
 * RAM, backed lazily by a few host pages that the VMM reclaims under pressure. No guest write is ever lost: the guest
 * checks every last-written value itself, and the test checks the VMM's view of every byte.
 */
class OvercommitTest {
    static final long CODE = 0x100000, WRITES = 0x110000, EXPECT = 0x180000;
    static final long RANGE = 0x4000_0000L, RANGE_PAGES = 64, POOL = 0x60_0000;

    /**
     * The guest: for each (address, value) pair at WRITES, MOV [address], value; then for each pair at EXPECT,
     * count the addresses that do not hold the value; EXIT with the count.
     */
    static byte[] guest(int writes, int expects, boolean intel) {
        return new Code32(intel)
                .mov(6, WRITES).mov(1, writes)
                .bytes(0x8b, 0x1e, 0x8b, 0x46, 0x04, 0x89, 0x03, 0x83, 0xc6, 0x08, 0xe2, 0xf4) // L1: mov ebx,[esi]; mov eax,[esi+4]; mov [ebx],eax; add esi,8; loop L1
                .mov(6, EXPECT).mov(1, expects).bytes(0x31, 0xff)                            // xor edi,edi
                .bytes(0x8b, 0x1e, 0x8b, 0x46, 0x04, 0x39, 0x03, 0x74, 0x01, 0x47, 0x83, 0xc6, 0x08, 0xe2, 0xf1)
                // L2: mov ebx,[esi]; mov eax,[esi+4]; cmp [ebx],eax; je +1; inc edi; add esi,8; loop L2
                .mov(0, Hypercalls.EXIT).bytes(0x89, 0xfb).hypercall().hlt()                 // mov ebx,edi
                .toArray();
    }

    /** Runs {@code n} random dword writes over the range with {@code poolPages} host pages; returns the pager. */
    static Overcommit run(long seed, int n, int poolPages, Virt virt) throws Exception {
        String profile = virt == Virt.VMX ? "intel-core" : "amd-zen";
        Machine m = new Machine(new MachineConfig(CpuProfile.load(profile), 8, new ByteArrayOutputStream(), 1));
        Vmm vmm = Vmm.attach(m, virt, InterceptPolicy.defaults());
        Overcommit pager = new Overcommit(vmm, RANGE, RANGE_PAGES * 4096, POOL, poolPages);
        vmm.setHandler(pager);
        Random r = new Random(seed);
        Map<Long, Long> last = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            long addr = RANGE + 4096L * r.nextInt((int) RANGE_PAGES) + 4L * r.nextInt(1024);
            long value = r.nextInt() & 0xffffffffL;
            m.memory().write(WRITES + 8L * i, 4, addr);
            m.memory().write(WRITES + 8L * i + 4, 4, value);
            last.put(addr, value);
        }
        int k = 0;
        for (Map.Entry<Long, Long> e : last.entrySet()) {
            m.memory().write(EXPECT + 8L * k, 4, e.getKey());
            m.memory().write(EXPECT + 8L * k + 4, 4, e.getValue());
            k++;
        }
        m.loadFlat(guest(n, last.size(), virt == Virt.VMX), CODE, -1);
        RunOutcome o = m.run(RunLimits.instructions(10_000_000));
        assertThat(vmm.failure()).isNull();
        assertThat(o).as(o.describe()).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) o).value()).as("values the guest found lost").isZero();
        for (Map.Entry<Long, Long> e : last.entrySet()) {
            long v = 0;
            for (int b = 3; b >= 0; b--) {
                v = v << 8 | pager.guestByte(e.getKey() + b);
            }
            assertThat(v).as("guest-physical 0x%x", e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(pager.residentPages()).isLessThanOrEqualTo(poolPages);
        assertThat(m.ram().size()).as("the range lies beyond RAM").isLessThan(RANGE);
        return pager;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Virt.class, names = {"VMX", "SVM"})
    void moreGuestMemoryThanBackedAndNothingLost(Virt virt) throws Exception {
        Overcommit p = run(1, 2000, 4, virt);
        assertThat(p.faults()).as("pages came back after reclaim").isGreaterThan(RANGE_PAGES);
        assertThat(p.reclaims()).isGreaterThan(0);
    }

    @Test
    void noGuestWriteIsEverLost() {
        qt().withFixedSeed(0x0ec0_ffeeL).withExamples(25)
                .forAll(longs().all(), integers().between(1, 600), integers().between(1, 9))
                .checkAssert((seed, n, pool) -> {
                    try {
                        run(seed, n, pool, (seed & 1) == 0 ? Virt.VMX : Virt.SVM);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
    }
}
