package dev.hvsim.machine.apic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** Local APIC registers and acceptance (SDM Vol. 3A ch. 11), driven directly (no guest code). */
class LocalApicTest {
    private final Machine m = new Machine(MachineConfig.of(CpuProfile.load("intel-core"), new ByteArrayOutputStream())
            .withCpus(2));
    private final LocalApic a = m.apic(0), b = m.apic(1);

    @Test
    void resetState() {
        assertThat(a.read(LocalApic.ID, 4)).isZero();
        assertThat(b.read(LocalApic.ID, 4)).isEqualTo(1L << 24);
        assertThat(a.read(LocalApic.VERSION, 4)).isEqualTo(0x00050014L);
        assertThat(b.read(LocalApic.SVR, 4)).isEqualTo(0xffL);
        assertThat(b.read(LocalApic.DFR, 4)).isEqualTo(0xffffffffL);
        assertThat(b.read(LocalApic.LVT_TIMER, 4)).isEqualTo(0x10000L);
        assertThat(a.read(LocalApic.LVT_LINT0, 4)).isEqualTo(0x700L); // virtual wire on the BSP
    }

    @Test
    void undefinedAccessesAndReadOnlyRegistersAreHarmless() {
        a.write(LocalApic.VERSION, 4, 0x1234);
        a.write(LocalApic.PPR, 4, 0xff);
        a.write(0x81, 4, 0xff);         // unaligned
        a.write(LocalApic.TPR, 2, 0xff); // wrong size
        a.write(0xfff, 1, 0xff);
        assertThat(a.read(LocalApic.VERSION, 4)).isEqualTo(0x00050014L);
        assertThat(a.read(LocalApic.TPR, 4)).isZero();
        assertThat(a.read(LocalApic.TPR, 1)).isZero();
        assertThat(a.read(0x81, 4)).isZero();
    }

    @Test
    void priorityTprAndPpr() {
        a.receive(LocalApic.FIXED, 0x51, false);
        a.receive(LocalApic.FIXED, 0x91, false);
        assertThat(a.pendingInterrupt()).isEqualTo(0x91);
        a.write(LocalApic.TPR, 4, 0x95);
        assertThat(a.pendingInterrupt()).isEqualTo(-1);
        assertThat(m.cpu().state().cr8).isEqualTo(9);
        a.cr8Written(0);
        assertThat(a.read(LocalApic.TPR, 4)).isZero();
        a.acknowledge(0x91);
        assertThat(a.ppr()).isEqualTo(0x90);
        assertThat(a.pendingInterrupt()).isEqualTo(-1); // 0x51 is below the in-service class
        a.write(LocalApic.EOI, 4, 0);
        assertThat(a.pendingInterrupt()).isEqualTo(0x51);
    }

    @Test
    void illegalVectorsSetEsr() {
        a.write(LocalApic.SVR, 4, 0x1ff);
        a.receive(LocalApic.FIXED, 3, false);
        a.write(LocalApic.ESR, 4, 0);
        assertThat(a.read(LocalApic.ESR, 4)).isEqualTo((long) LocalApic.ESR_RECEIVE_ILLEGAL_VECTOR);
        assertThat(a.pendingInterrupt()).isEqualTo(-1);
    }

    @Test
    void softwareDisableMasksTheLvt() {
        a.write(LocalApic.SVR, 4, 0x1ff);
        a.write(LocalApic.LVT_TIMER, 4, 0x40);
        assertThat(a.read(LocalApic.LVT_TIMER, 4)).isEqualTo(0x40L);
        a.write(LocalApic.SVR, 4, 0xff);
        assertThat(a.read(LocalApic.LVT_TIMER, 4)).isEqualTo(0x10040L);
        a.write(LocalApic.LVT_TIMER, 4, 0x40);
        assertThat(a.read(LocalApic.LVT_TIMER, 4)).isEqualTo(0x10040L);
    }

    @Test
    void ipiShorthandsAndPhysicalDestination() {
        m.platform().apicBus.setCurrent(0);
        a.write(LocalApic.ICR_HI, 4, 1L << 24);
        a.write(LocalApic.ICR_LO, 4, 0x4061);           // fixed to APIC 1
        assertThat(b.pendingInterrupt()).isEqualTo(0x61);
        assertThat(a.pendingInterrupt()).isEqualTo(-1);
        assertThat(a.read(LocalApic.ICR_LO, 4) & (1 << 12)).isZero(); // delivery status idle
        a.write(LocalApic.ICR_LO, 4, 0x000c4062);       // all excluding self
        assertThat(a.pendingInterrupt()).isEqualTo(-1);
        a.write(LocalApic.ICR_LO, 4, 0x00084063);       // all including self
        assertThat(a.pendingInterrupt()).isEqualTo(0x63);
        a.write(LocalApic.ICR_LO, 4, 0x00044400);       // NMI to self
        assertThat(a.pendingNmi()).isTrue();
    }

    /**
     * SDM 11.6.1: delivery mode 010B (SMI) is a valid IPI whose vector is ignored (no "send illegal vector"
     * error); the target latches it. hvsim has no SMM, so it stays pending and nothing else changes.
     */
    @Test
    void smiIpiIsAcceptedAndLatchedButNotServiced() {
        a.write(LocalApic.SVR, 4, 0x1ff);
        a.write(LocalApic.ICR_HI, 4, 1L << 24);
        a.write(LocalApic.ICR_LO, 4, 0x4200);           // SMI to APIC 1, vector 0
        assertThat(b.smiPending()).isTrue();
        assertThat(a.smiPending()).isFalse();
        assertThat(b.pendingInterrupt()).isEqualTo(-1);
        assertThat(b.pendingNmi()).isFalse();
        a.write(LocalApic.ESR, 4, 0);
        assertThat(a.read(LocalApic.ESR, 4)).isZero();
        b.reset();                                      // the power-up/INIT state has no latched SMI
        assertThat(b.smiPending()).isFalse();
    }

    @Test
    void logicalFlatDestinationAndLowestPriority() {
        a.write(LocalApic.LDR, 4, 0x01000000);
        b.write(LocalApic.LDR, 4, 0x02000000);
        a.write(LocalApic.ICR_HI, 4, 0x02L << 24);
        a.write(LocalApic.ICR_LO, 4, 0x4870);           // logical, fixed, to LDR bit 1
        assertThat(b.pendingInterrupt()).isEqualTo(0x70);
        a.write(LocalApic.TPR, 4, 0x20);
        a.write(LocalApic.ICR_HI, 4, 0x03L << 24);
        a.write(LocalApic.ICR_LO, 4, 0x4971);           // logical, lowest priority, to both
        assertThat(b.read(LocalApic.IRR + 0x30, 4) & (1 << 17)).isNotZero(); // b has the lower PPR
    }

    @Test
    void timerOneShotCountsFromTheCycleCounter() {
        a.write(LocalApic.SVR, 4, 0x1ff);
        a.write(LocalApic.TIMER_DIVIDE, 4, 0xb); // divide by 1
        a.write(LocalApic.LVT_TIMER, 4, 0x40);
        long c0 = m.cpu().cycles();
        a.write(LocalApic.TIMER_INITIAL, 4, 1000);
        assertThat(a.timerDeadline()).isEqualTo(c0 + 1000);
        m.cpu().addCycles(400);
        assertThat(a.read(LocalApic.TIMER_CURRENT, 4)).isEqualTo(600L);
        m.cpu().addCycles(600);
        a.tick();
        assertThat(a.pendingInterrupt()).isEqualTo(0x40);
        assertThat(a.read(LocalApic.TIMER_CURRENT, 4)).isZero();
        assertThat(a.timerDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void timerPeriodicAndDivide() {
        a.write(LocalApic.SVR, 4, 0x1ff);
        a.write(LocalApic.TIMER_DIVIDE, 4, 0x1); // divide by 4
        a.write(LocalApic.LVT_TIMER, 4, 0x20041);
        long c0 = m.cpu().cycles();
        a.write(LocalApic.TIMER_INITIAL, 4, 100);
        assertThat(a.timerDeadline()).isEqualTo(c0 + 400);
        m.cpu().addCycles(400);
        a.tick();
        assertThat(a.timerDeadline()).isEqualTo(c0 + 800);
        assertThat(a.read(LocalApic.TIMER_CURRENT, 4)).isEqualTo(100L);
    }

    @Test
    void tscDeadlineMode() {
        a.write(LocalApic.SVR, 4, 0x1ff);
        a.write(LocalApic.LVT_TIMER, 4, 0x40042);
        assertThat(a.ownsMsr(LocalApic.TSC_DEADLINE_MSR)).isTrue();
        a.write(LocalApic.TIMER_INITIAL, 4, 5); // ignored in TSC-deadline mode
        assertThat(a.read(LocalApic.TIMER_INITIAL, 4)).isZero();
        long t = m.cpu().tsc() + 500;
        a.writeMsr(LocalApic.TSC_DEADLINE_MSR, t);
        assertThat(a.readMsr(LocalApic.TSC_DEADLINE_MSR)).isEqualTo(t);
        m.cpu().addCycles(500);
        a.tick();
        assertThat(a.pendingInterrupt()).isEqualTo(0x42);
        assertThat(a.readMsr(LocalApic.TSC_DEADLINE_MSR)).isZero();
    }

    @Test
    void amdProfileHasNoTscDeadline() {
        Machine amd = new Machine(MachineConfig.of(CpuProfile.load("amd-zen"), new ByteArrayOutputStream()));
        assertThat(amd.apic(0).ownsMsr(LocalApic.TSC_DEADLINE_MSR)).isFalse();
    }
}
