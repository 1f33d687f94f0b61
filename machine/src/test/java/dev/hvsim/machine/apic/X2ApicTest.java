package dev.hvsim.machine.apic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * x2APIC mode (Intel SDM Vol. 3A 11.12): the MSR interface 0x800-0x8FF, its #GP(0) rules (11.12.1.2,
 * 11.12.1.3, Table 11-6), the 64-bit ICR and SELF IPI (11.12.9, 11.12.11), the x2APIC ID and derived LDR
 * (11.12.5.1, 11.12.10.2), the MMIO page going away (11.12.1) and the IA32_APIC_BASE transitions (11.12.5),
 * driven directly and, for the faults, through RDMSR/WRMSR executed by the CPU.
 */
class X2ApicTest {
    private static final long BASE_XAPIC = 0xfee00900L, BASE_X2APIC = 0xfee00d00L, BASE_OFF = 0xfee00100L;
    private final Machine m = new Machine(MachineConfig.of(CpuProfile.load("intel-core"), new ByteArrayOutputStream())
            .withCpus(2));
    private final LocalApic a = m.apic(0), b = m.apic(1);

    /** What WRMSR IA32_APIC_BASE does after the core's checks (the core path is tested in {@link #throughTheCore}). */
    private static void apicBase(LocalApic x, long v) {
        long old = x.cpu().state().msr(Msr.IA32_APIC_BASE);
        x.cpu().state().msr.put(Msr.IA32_APIC_BASE, v);
        x.apicBaseWritten(old, v);
    }

    private static void x2(LocalApic... apics) {
        for (LocalApic x : apics) {
            apicBase(x, x.cpu().apicId() == 0 ? BASE_X2APIC : BASE_X2APIC & ~0x100L);
        }
    }

    private static void assertGp(Runnable r) {
        ArchFault f = catchThrowableOfType(r::run, ArchFault.class);
        assertThat(f).as("#GP(0) expected").isNotNull();
        assertThat(f.vector()).isEqualTo(Vectors.GP);
        assertThat(f.errorCode()).isZero();
    }

    @Test
    void bothProfilesOwnTheRangeButOnlyTheRange() {
        Machine amd = new Machine(MachineConfig.of(CpuProfile.load("amd-zen"), new ByteArrayOutputStream()));
        for (LocalApic x : new LocalApic[] {a, amd.apic(0)}) {
            assertThat(x.ownsMsr(0x800)).isTrue();
            assertThat(x.ownsMsr(0x8ff)).isTrue();
            assertThat(x.ownsMsr(0x7ff)).isFalse();
            assertThat(x.ownsMsr(0x900)).isFalse();
        }
    }

    /** 11.12.1.2: every x2APIC MSR access is #GP(0) outside x2APIC mode (xAPIC mode here). */
    @Test
    void everyAccessFaultsOutsideX2apicMode() {
        assertThat(a.x2apicMode()).isFalse();
        assertGp(() -> a.readMsr(0x802));
        assertGp(() -> a.readMsr(0x808));
        assertGp(() -> a.writeMsr(0x808, 0));
        assertGp(() -> a.writeMsr(0x83f, 0x40));
    }

    @Test
    void idVersionAndDerivedLdr() {
        b.write(LocalApic.ID, 4, 7L << 24); // the xAPIC ID was changed: x2APIC mode restores the x2APIC ID
        x2(a, b);
        assertThat(a.readMsr(0x802)).isZero();
        assertThat(b.readMsr(0x802)).isEqualTo(1L);
        assertThat(b.readMsr(0x803)).isEqualTo(0x00050014L);
        assertThat(a.readMsr(0x80d)).isEqualTo(0x00000001L); // cluster 0, bit 0
        assertThat(b.readMsr(0x80d)).isEqualTo(0x00000002L); // cluster 0, bit 1
        assertThat(LocalApic.x2apicLdr(0x13)).isEqualTo(0x00010008); // cluster 1, bit 3 (11.12.10.2)
        assertThat(LocalApic.x2apicLdr(0x2f)).isEqualTo(0x00028000);
    }

    /** Table 11-6: read-only registers fault on WRMSR. */
    @ParameterizedTest(name = "WRMSR {0} (read-only)")
    @ValueSource(longs = {0x802, 0x803, 0x80a, 0x80d, 0x810, 0x817, 0x818, 0x820, 0x827, 0x839})
    void writeOfReadOnlyRegisterFaults(long msr) {
        x2(a);
        assertGp(() -> a.writeMsr(msr, 0));
    }

    /** Table 11-6: EOI and SELF IPI are write-only: RDMSR faults. */
    @ParameterizedTest(name = "RDMSR {0} (write-only)")
    @ValueSource(longs = {0x80b, 0x83f})
    void readOfWriteOnlyRegisterFaults(long msr) {
        x2(a);
        assertGp(() -> a.readMsr(msr));
    }

    /** 11.12.1.2: MSRs of the range not in Table 11-6 (APR, RRD, DFR, ICR high, CMCI absent, ...) fault both ways. */
    @ParameterizedTest(name = "MSR {0} (reserved)")
    @ValueSource(longs = {0x800, 0x801, 0x804, 0x807, 0x809, 0x80c, 0x80e, 0x829, 0x82e, 0x82f, 0x831, 0x83a, 0x83d,
        0x840, 0x8ff})
    void reservedMsrFaults(long msr) {
        x2(a);
        assertGp(() -> a.readMsr(msr));
        assertGp(() -> a.writeMsr(msr, 0));
    }

    /** 11.12.1.3 and Table 11-6: set reserved bits, non-zero EOI/ESR writes are #GP(0); nothing changes. */
    @Test
    void reservedBitsFault() {
        x2(a);
        a.writeMsr(0x80f, 0x1ff);
        assertGp(() -> a.writeMsr(0x808, 0x100));              // TPR bits 31:8
        assertGp(() -> a.writeMsr(0x808, 1L << 32));           // bits 63:32 of a 32-bit register
        assertGp(() -> a.writeMsr(0x80b, 1));                  // EOI non-zero
        assertGp(() -> a.writeMsr(0x828, 1));                  // ESR non-zero
        assertGp(() -> a.writeMsr(0x80f, 0x1000));             // SVR: no EOI-broadcast suppression
        assertGp(() -> a.writeMsr(0x832, 0x100));              // LVT timer bit 8 (Figure 11-8)
        assertGp(() -> a.writeMsr(0x837, 0x700));              // LVT error has no delivery mode
        assertGp(() -> a.writeMsr(0x830, 0x1000 | 0x40));      // ICR delivery status is gone (11.12.9)
        assertGp(() -> a.writeMsr(0x830, 0x100000 | 0x40));    // ICR bit 20
        assertGp(() -> a.writeMsr(0x83e, 0x4));                // divide configuration bit 2
        assertGp(() -> a.writeMsr(0x83f, 0x140));              // SELF IPI bits 31:8
        assertGp(() -> a.writeMsr(0x838, 1L << 32));           // initial count bits 63:32
        assertThat(a.readMsr(0x808)).isZero();
        assertThat(a.readMsr(0x80f)).isEqualTo(0x1ffL);
        assertThat(a.readMsr(0x832)).isEqualTo(0x10000L);
        assertThat(a.pendingInterrupt()).isEqualTo(-1);
        assertThatCode(() -> a.writeMsr(0x835, 0x1a7ff & ~0x10000)).doesNotThrowAnyException(); // LINT0 all writable bits
    }

    @Test
    void tprPprEoiAndEsrThroughMsrs() {
        x2(a);
        a.writeMsr(0x808, 0x20);
        assertThat(a.cpu().state().cr8).isEqualTo(2);
        a.receive(LocalApic.FIXED, 0x51, false);
        assertThat(a.readMsr(0x822)).isEqualTo(1L << 17);     // IRR bits 95:64
        a.acknowledge(a.pendingInterrupt());
        assertThat(a.readMsr(0x812)).isEqualTo(1L << 17);     // ISR
        assertThat(a.readMsr(0x80a)).isEqualTo(0x50L);        // PPR
        a.writeMsr(0x80b, 0);
        assertThat(a.readMsr(0x812)).isZero();
        a.writeMsr(0x80f, 0x1ff);
        a.receive(LocalApic.FIXED, 3, false);
        a.writeMsr(0x828, 0);
        assertThat(a.readMsr(0x828)).isEqualTo((long) LocalApic.ESR_RECEIVE_ILLEGAL_VECTOR);
    }

    /** 11.12.11: SELF IPI is a fixed, edge-triggered IPI to this APIC; the ICR is unchanged. */
    @Test
    void selfIpi() {
        x2(a, b);
        a.writeMsr(0x83f, 0x55);
        assertThat(a.pendingInterrupt()).isEqualTo(0x55);
        assertThat(b.pendingInterrupt()).isEqualTo(-1);
        assertThat(a.readMsr(0x830)).isZero();
        a.writeMsr(0x80f, 0x1ff);
        a.writeMsr(0x83f, 0x05);                               // illegal vector: send error (11.5.3)
        a.writeMsr(0x828, 0);
        assertThat(a.readMsr(0x828)).isEqualTo((long) LocalApic.ESR_SEND_ILLEGAL_VECTOR);
    }

    /** 11.12.9: one 64-bit ICR, 32-bit physical destination, 0xFFFFFFFF broadcast. */
    @Test
    void icrIs64BitsWithA32BitDestination() {
        x2(a, b);
        long icr = 1L << 32 | 0x4061;
        a.writeMsr(0x830, icr);
        assertThat(a.readMsr(0x830)).isEqualTo(icr);
        assertThat(b.pendingInterrupt()).isEqualTo(0x61);
        assertThat(a.pendingInterrupt()).isEqualTo(-1);
        a.writeMsr(0x830, 0x101L << 32 | 0x4062);             // ID 0x101: nobody (0x01 must not match)
        assertThat(b.readMsr(0x823)).isEqualTo(1L << 1);      // only 0x61 in IRR bits 127:96
        a.writeMsr(0x830, 0xffffffffL << 32 | 0x4063);         // broadcast
        assertThat(a.pendingInterrupt()).isEqualTo(0x63);
        assertThat(b.pendingInterrupt()).isEqualTo(0x63);
    }

    /** 11.12.10.2: logical destinations are cluster ID (31:16) and a 16-bit mask; there is no flat model. */
    @Test
    void logicalDestinationIsCluster() {
        x2(a, b);
        a.writeMsr(0x830, 0x00000002L << 32 | 0x4870);         // cluster 0, bit 1: APIC 1
        assertThat(b.pendingInterrupt()).isEqualTo(0x70);
        assertThat(a.pendingInterrupt()).isEqualTo(-1);
        a.writeMsr(0x830, 0x00010003L << 32 | 0x4871);         // cluster 1: nobody
        assertThat(a.pendingInterrupt()).isEqualTo(-1);
        assertThat(b.pendingInterrupt()).isEqualTo(0x70);
        a.writeMsr(0x830, 0x00000003L << 32 | 0x4872);         // cluster 0, bits 0 and 1: both
        assertThat(a.pendingInterrupt()).isEqualTo(0x72);
        assertThat(b.pendingInterrupt()).isEqualTo(0x72);
    }

    /** 11.12.1: in x2APIC mode the xAPIC page does not answer (like a globally disabled xAPIC). */
    @Test
    void mmioPageStopsRespondingInX2apicMode() {
        ApicBus bus = m.platform().apicBus;
        bus.setCurrent(0);
        assertThat(bus.read(LocalApic.VERSION, 4)).isEqualTo(0x00050014L);
        x2(a);
        assertThat(bus.read(LocalApic.VERSION, 4)).isEqualTo(0xffffffffL);
        bus.write(LocalApic.TPR, 4, 0x30);
        assertThat(a.readMsr(0x808)).isZero();
        bus.write(LocalApic.ICR_LO, 4, 0x44050);             // self IPI through MMIO: ignored
        assertThat(a.pendingInterrupt()).isEqualTo(-1);
    }

    /** 11.12.5.1: x2APIC to disabled resets the APIC; disabled to xAPIC then starts from the power-up state. */
    @Test
    void leavingX2apicModeResetsTheApic() {
        x2(a);
        a.writeMsr(0x80f, 0x1ff);
        a.writeMsr(0x808, 0x40);
        apicBase(a, BASE_OFF);
        assertGp(() -> a.readMsr(0x808));
        apicBase(a, BASE_XAPIC);
        assertThat(a.read(LocalApic.TPR, 4)).isZero();
        assertThat(a.read(LocalApic.SVR, 4)).isEqualTo(0xffL);
        assertThat(a.read(LocalApic.LDR, 4)).isZero();
        assertThat(a.read(LocalApic.DFR, 4)).isEqualTo(0xffffffffL);
    }

    // ------------------------------------------------------------------ through RDMSR / WRMSR

    private final List<int[]> events = new ArrayList<>();

    /** Loads WRMSR; RDMSR at 1 MiB (32-bit protected mode, IDT limit 0) and enters x2APIC mode with WRMSR. */
    private Cpu boot() throws LoadException {
        m.loadFlat(new byte[] {0x0f, 0x30, 0x0f, 0x32}, 0x100000, 0x100000);
        Cpu c = m.cpu();
        c.setListener(new ExecutionListener() {
            @Override public void onEvent(Cpu cpu, int vector, int errorCode, boolean external) {
                events.add(new int[] {vector, errorCode});
            }
        });
        return c;
    }

    /** Executes WRMSR (write) or RDMSR at the loaded code; returns the first event ({vector, error}) or null. */
    private int[] exec(Cpu c, boolean write, long msr, long value) {
        events.clear();
        c.state().rip = write ? 0x100000 : 0x100002;
        c.setGpr(Reg.RCX, 4, msr);
        c.setGpr(Reg.RAX, 4, value & 0xffffffffL);
        c.setGpr(Reg.RDX, 4, value >>> 32);
        c.step();
        return events.isEmpty() ? null : events.get(0);
    }

    @Test
    void throughTheCore() throws LoadException {
        Cpu c = boot();
        assertThat(exec(c, false, 0x802, 0)).as("RDMSR in xAPIC mode").containsExactly(Vectors.GP, 0);
        c = boot();
        assertThat(exec(c, true, Msr.IA32_APIC_BASE, 0xfee00500L)).as("EN=0 EXTD=1").containsExactly(Vectors.GP, 0);
        c = boot();
        assertThat(exec(c, true, Msr.IA32_APIC_BASE, BASE_X2APIC)).isNull();
        assertThat(a.x2apicMode()).isTrue();
        assertThat(exec(c, false, 0x803, 0)).isNull();
        assertThat(c.gpr(Reg.RAX, 4)).isEqualTo(0x00050014L);
        assertThat(exec(c, true, 0x830, 1L << 32 | 0x4066)).isNull();
        assertThat(b.pendingInterrupt()).isEqualTo(0x66);
        assertThat(exec(c, false, 0x830, 0)).isNull();
        assertThat(c.gpr(Reg.RDX, 4)).isEqualTo(1L);
        assertThat(c.gpr(Reg.RAX, 4)).isEqualTo(0x4066L);
        assertThat(exec(c, true, Msr.IA32_APIC_BASE, BASE_XAPIC)).as("x2APIC -> xAPIC").containsExactly(Vectors.GP, 0);
        c = boot();
        assertThat(exec(c, true, Msr.IA32_APIC_BASE, BASE_X2APIC)).isNull();
        assertThat(exec(c, true, 0x80b, 1)).as("EOI non-zero").containsExactly(Vectors.GP, 0);
        c = boot();
        assertThat(exec(c, true, Msr.IA32_APIC_BASE, BASE_X2APIC)).isNull();
        assertThat(exec(c, false, 0x83f, 0)).as("RDMSR SELF IPI").containsExactly(Vectors.GP, 0);
        c = boot();
        assertThat(exec(c, true, Msr.IA32_APIC_BASE, BASE_OFF)).isNull();
        assertThat(exec(c, true, Msr.IA32_APIC_BASE, BASE_X2APIC)).as("disabled -> x2APIC").containsExactly(Vectors.GP, 0);
    }
}
