package dev.hvsim.vmm;

import static dev.hvsim.vmm.NestedVmxTest.BLOCK;
import static dev.hvsim.vmm.NestedVmxTest.CODE;
import static dev.hvsim.vmm.NestedVmxTest.L2_CODE;
import static dev.hvsim.vmm.NestedVmxTest.M;
import static dev.hvsim.vmm.NestedVmxTest.PD;
import static dev.hvsim.vmm.NestedVmxTest.R;
import static dev.hvsim.vmm.NestedVmxTest.VMCS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.vmm.NestedVmxTest.Result;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Nested VMX with the VM-entry MSR-load area (SDM Vol. 3C 28.4), the VM-exit MSR-store area (29.4) and the VM-exit
 * MSR-load area (29.6), with {@link NestedVmxTest}'s harness: a hand-assembled 32-bit L1 and L2 run on the bare model
 * (vmx-model's own VMX) and as L1 under the Java VMM; the records must be equal and each value is checked against the
 * SDM. The MSRs: IA32_SYSENTER_EIP (176H, a VMCS guest field: VM entry loads it, VM exit saves it) and IA32_STAR
 * (C0000081H, only in the processor: L1 and L2 share it unless the lists switch it).
 */
class NestedVmxMsrListTest {
    static final long ENTRY_LOAD = 0x1a3000, EXIT_STORE = 0x1a4000, EXIT_LOAD = 0x1a5000;
    static final long SYSENTER_EIP = 0x176, STAR = 0xc0000081L, PAT = 0x277, FS_BASE = 0xc0000100L;
    /** VMCS encodings (Appendix B): MSR-area addresses and counts. */
    static final long EXIT_STORE_ADDR = 0x2006, EXIT_LOAD_ADDR = 0x2008, ENTRY_LOAD_ADDR = 0x200a,
            EXIT_STORE_COUNT = 0x400e, EXIT_LOAD_COUNT = 0x4010, ENTRY_LOAD_COUNT = 0x4014;

    /** L1 up to its VMLAUNCH: VMX on, VMCS12 as NestedVmxTest writes it, HOST_RIP = BLOCK, then {@code extra}. */
    static Asm32 l1(Map<Long, Long> extra) {
        Asm32 a = new Asm32(CODE);
        a.mov(4, 0x10f000);
        a.mov(Asm32.EAX, PD).movToCr(3);
        a.movFromCr(4).orEax(0x2010).movToCr(4);
        a.movFromCr(0).orEax(0x80000020L).movToCr(0);
        a.mov(Asm32.ECX, 0x3a).mov(Asm32.EAX, 5).mov(Asm32.EDX, 0).wrmsr();
        a.vmxon(M).vmclear(M + 8).vmptrld(M + 8);
        for (Map.Entry<Long, Long> f : NestedVmxTest.vmcs().entrySet()) {
            a.vmwrite(f.getKey(), f.getValue());
        }
        a.vmwrite(0x6c16, BLOCK);
        for (Map.Entry<Long, Long> f : extra.entrySet()) {
            a.vmwrite(f.getKey(), f.getValue());
        }
        // L1's own values: SYSENTER_EIP 11110000H, STAR 11110000_22220000H
        a.mov(Asm32.ECX, SYSENTER_EIP).mov(Asm32.EAX, 0x11110000L).mov(Asm32.EDX, 0).wrmsr();
        a.mov(Asm32.ECX, STAR).mov(Asm32.EAX, 0x22220000L).mov(Asm32.EDX, 0x11110000L).wrmsr();
        return a;
    }

    /**
     * L2: OUT 80H (an exit only L0 takes: L2's MSRs must survive L0's handling), reads SYSENTER_EIP and STAR (R+0,
     * R+4/8), writes 77770000H and 9999_00008888H to them, VMCALL.
     */
    static Asm32 l2() {
        Asm32 a = new Asm32(L2_CODE);
        a.mov(Asm32.EAX, 0x12).out80();
        a.mov(Asm32.ECX, SYSENTER_EIP).rdmsr().storeEax(R);
        a.mov(Asm32.ECX, STAR).rdmsr().storeEax(R + 4).store(R + 8, Asm32.EDX);
        a.mov(Asm32.ECX, SYSENTER_EIP).mov(Asm32.EAX, 0x77770000L).mov(Asm32.EDX, 0).wrmsr();
        a.mov(Asm32.ECX, STAR).mov(Asm32.EAX, 0x8888).mov(Asm32.EDX, 0x9999).wrmsr();
        return a.vmcall().hlt();
    }

    /** L1 after an exit at BLOCK + off: exit reason, qualification, its SYSENTER_EIP and STAR to R + rec. */
    static Asm32 observe(Asm32 a, long off, long rec) {
        a.at(BLOCK + off).vmreadTo(0x4402, R + rec).vmreadTo(0x6400, R + rec + 4);
        a.mov(Asm32.ECX, SYSENTER_EIP).rdmsr().storeEax(R + rec + 8);
        return a.mov(Asm32.ECX, STAR).rdmsr().storeEax(R + rec + 12).store(R + rec + 16, Asm32.EDX);
    }

    static void entry(Machine m, long area, int i, long lo, long value) {
        m.memory().write(area + 16L * i, 8, lo);
        m.memory().write(area + 16L * i + 8, 8, value);
    }

    static Result[] both(byte[] image, java.util.function.Consumer<Machine> setup) throws Exception {
        return new Result[] {NestedVmxTest.run(false, image, setup), NestedVmxTest.run(true, image, setup)};
    }

    static void sameAsBare(Result[] r) {
        for (int i = 0; i < r[0].r().length; i++) {
            assertThat(r[1].r()[i]).as("R+%02x", 4 * i).isEqualTo(r[0].r()[i]);
        }
    }

    static void endsWithExit0(Result r) {
        assertThat(r.vmm() == null ? null : r.vmm().failure()).isNull();
        assertThat(r.outcome()).as(r.outcome().describe()).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) r.outcome()).value()).isZero();
    }

    /**
     * L1's entry list gives L2 SYSENTER_EIP 55550000H and STAR 00230010_00006666H (28.4: L2 reads them); at L2's
     * VMCALL the store list captures L2's own later writes (29.4, bits 127:64), and the exit-load list gives L1 its
     * values back (29.6): without it L1 would see HOST_SYSENTER_EIP (0) and L2's STAR.
     */
    @Test
    void entryLoadExitStoreAndExitLoad() throws Exception {
        // and "use TSC offsetting" with offset 1000_00000000H (TSC_OFFSET_HIGH, 2011H): the IA32_TSC the store list
        // captures is L2's (26.6.5 / ch. 27: RDMSR IA32_TSC in L2 returns TSC + offset)
        Asm32 a = l1(Map.of(ENTRY_LOAD_COUNT, 2L, ENTRY_LOAD_ADDR, ENTRY_LOAD, EXIT_STORE_COUNT, 3L,
                EXIT_STORE_ADDR, EXIT_STORE, EXIT_LOAD_COUNT, 2L, EXIT_LOAD_ADDR, EXIT_LOAD,
                0x4002L, 0x94006172L | 1 << 3, 0x2011L, 0x1000L));
        a.vmlaunch().debugExit(3);
        observe(a, 0, 0x40).debugExit(0);
        Result[] r = new Result[2];
        for (int k = 0; k < 2; k++) {
            r[k] = NestedVmxTest.run(k == 1, NestedVmxTest.image(a, l2()), m -> {
                entry(m, ENTRY_LOAD, 0, SYSENTER_EIP, 0x55550000L);
                entry(m, ENTRY_LOAD, 1, STAR, 0x00230010_00006666L);
                entry(m, EXIT_STORE, 0, SYSENTER_EIP, -1L);
                entry(m, EXIT_STORE, 1, STAR, -1L); // bits 127:64 overwritten by the store
                entry(m, EXIT_STORE, 2, 0x10, -1L);
                entry(m, EXIT_LOAD, 0, SYSENTER_EIP, 0x11110000L);
                entry(m, EXIT_LOAD, 1, STAR, 0x11110000_22220000L);
                lastMachine = m;
            });
            Result n = r[k];
            endsWithExit0(n);
            assertThat(n.at(0)).as("L2's SYSENTER_EIP from the entry list").isEqualTo(0x55550000L);
            assertThat(new long[] {n.at(4), n.at(8)}).as("L2's STAR from the entry list")
                    .containsExactly(0x6666L, 0x00230010L);
            assertThat(n.at(0x40)).as("the VMCALL reached L1").isEqualTo(18);
            assertThat(n.at(0x48)).as("L1's SYSENTER_EIP from its exit-load list").isEqualTo(0x11110000L);
            assertThat(new long[] {n.at(0x4c), n.at(0x50)}).as("L1's STAR from its exit-load list")
                    .containsExactly(0x22220000L, 0x11110000L);
            assertThat(new long[] {lastMachine.memory().read(EXIT_STORE + 8, 8),
                    lastMachine.memory().read(EXIT_STORE + 24, 8)})
                    .as("store list (under the VMM: %s): L2's values at the exit", k == 1)
                    .containsExactly(0x77770000L, 0x9999_00008888L);
            assertThat(lastMachine.memory().read(EXIT_STORE + 40, 8) - 0x1000_00000000L)
                    .as("IA32_TSC stored: L2's, with VMCS12's TSC offset").isBetween(0L, 100_000_000L);
        }
        sameAsBare(r);
        assertThat(r[1].trace().lines().filter(l -> l.contains("\"kind\":\"io\"") && l.contains("\"level\":2")))
                .as("L2's OUT was an exit L0 handled before L2 read its MSRs").isNotEmpty()
                .allMatch(l -> l.contains("\"handled\":\"forwarded\""));
    }

    private static Machine lastMachine;

    /**
     * A VM-entry MSR-load entry that cannot load is a VM-entry failure (28.4, 28.8): exit reason 34 with bit 31, exit
     * qualification = the entry's number, L1 continues at HOST_RIP with its host state (SYSENTER_EIP = HOST_SYSENTER_EIP
     * = 0, not the first entry's value) and VMLAUNCH can be retried (launch state still clear). Entry 2 writes IA32_PAT
     * with memory type 2 in its first byte (WRMSR would #GP, Vol. 3A 12.12.2): qualification 2; then entry 1 names
     * IA32_FS_BASE: qualification 1. L2 never runs.
     */
    @Test
    void badEntryIsAnEntryFailureExit34WithTheEntryNumber() throws Exception {
        Asm32 a = l1(Map.of(ENTRY_LOAD_COUNT, 2L, ENTRY_LOAD_ADDR, ENTRY_LOAD));
        a.vmlaunch().debugExit(3);
        observe(a, 0, 0x40);
        a.storeImm(ENTRY_LOAD, FS_BASE).vmwrite(0x6c16, BLOCK + 0x100).vmlaunch().debugExit(3);
        observe(a, 0x100, 0x60).debugExit(0);
        Result[] r = both(NestedVmxTest.image(a, l2()), m -> {
            entry(m, ENTRY_LOAD, 0, SYSENTER_EIP, 0x44440000L);
            entry(m, ENTRY_LOAD, 1, PAT, 0x0007040600070402L);
            m.memory().write(R, 4, 0xdead);
        });
        for (Result n : r) {
            endsWithExit0(n);
            assertThat(n.at(0x40)).as("IA32_PAT #GP: VM-entry failure, reason 34").isEqualTo(0x80000022L);
            assertThat(n.at(0x44)).as("qualification: entry 2").isEqualTo(2);
            assertThat(n.at(0x48)).as("L1's SYSENTER_EIP is HOST_SYSENTER_EIP").isZero();
            assertThat(n.at(0x60)).as("IA32_FS_BASE: reason 34").isEqualTo(0x80000022L);
            assertThat(n.at(0x64)).as("qualification: entry 1").isEqualTo(1);
            assertThat(n.at(0)).as("L2 never ran").isEqualTo(0xdead);
        }
        sameAsBare(r);
    }

    /**
     * A VM-exit MSR-load entry that cannot load (IA32_FS_BASE, 29.6) is a VMX abort (29.7) with indicator 4 in the
     * VMCS region's bytes 4-7; the logical processor shuts down: L1's exit handler never runs.
     */
    @Test
    void badExitLoadEntryIsAVmxAbortWithIndicator4() throws Exception {
        abort(EXIT_LOAD_COUNT, EXIT_LOAD_ADDR, EXIT_LOAD, FS_BASE, 4);
    }

    /** A VM-exit MSR-store entry with bits 63:32 set (29.4) is a VMX abort with indicator 1. */
    @Test
    void badExitStoreEntryIsAVmxAbortWithIndicator1() throws Exception {
        abort(EXIT_STORE_COUNT, EXIT_STORE_ADDR, EXIT_STORE, 1L << 32 | SYSENTER_EIP, 1);
    }

    private static void abort(long count, long addr, long area, long badLo, int indicator) throws Exception {
        Asm32 a = l1(Map.of(count, 2L, addr, area));
        a.vmlaunch().debugExit(3);
        observe(a, 0, 0x40).debugExit(0);
        for (boolean underVmm : new boolean[] {false, true}) {
            Result n = NestedVmxTest.run(underVmm, NestedVmxTest.image(a, l2()), m -> {
                entry(m, area, 0, STAR, 0x11110000_22220000L);
                entry(m, area, 1, badLo, 0);
                m.memory().write(R, 4, 0xdead);
                m.memory().write(R + 0x40, 4, 0xdead);
                lastMachine = m;
            });
            assertThat(n.outcome().kind()).as(n.outcome().describe()).isEqualTo(RunOutcome.Kind.SHUTDOWN);
            assertThat(n.at(0)).as("L2 ran (its SYSENTER_EIP: VMCS12's guest field, 0)").isZero();
            assertThat(n.at(0x40)).as("L1's exit handler did not run").isEqualTo(0xdead);
            assertThat(lastMachine.memory().read(VMCS + 4, 4)).as("VMX-abort indicator").isEqualTo(indicator);
            if (underVmm) {
                assertThat(n.vmm().failure()).isNull();
                assertThat(n.outcome().describe()).contains("VMX abort").contains("indicator " + indicator);
            }
        }
    }
}
