package dev.hvsim.x86core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * Interrupt acceptance at instruction boundaries (SDM Vol. 3A 6.7 NMI, 6.8.1 IF, 6.8.3 STI and MOV SS
 * shadows, 6.9 priority; HLT resumes on an interrupt, Vol. 2A HLT): a scripted interrupt source stands in
 * for the platform's interrupt controllers.
 */
class InterruptAcceptanceTest {
    private static final long HANDLER = 0x40000;

    /** One pending vector (and optionally an NMI) until acknowledged. */
    private static final class Source implements InterruptSource {
        int vector = -1;
        boolean nmi;
        int acked = -1;
        int nmisAcked;

        @Override public int pendingInterrupt() { return vector; }
        @Override public void acknowledge(int v) { acked = v; vector = -1; }
        @Override public boolean pendingNmi() { return nmi; }
        @Override public void acknowledgeNmi() { nmi = false; nmisAcked++; }
    }

    private static TestCpu cpu(String code, Source src) {
        TestCpu t = TestCpu.long64().code(code)
                .idt64(0x20, 0x18, HANDLER, 0xe, 0, 0)
                .idt64(2, 0x18, HANDLER + 0x100, 0xe, 0, 0)
                .mem(HANDLER, "f4").mem(HANDLER + 0x100, "f4");
        t.cpu.setInterruptSource(src);
        return t;
    }

    @Test
    void maskedWhileIfIsClearAndDeliveredAfterSti() {
        // fa cli ; 90 nop ; fb sti ; 90 nop ; 90 nop
        Source src = new Source();
        TestCpu t = cpu("fa 90 fb 90 90", src);
        src.vector = 0x20;
        t.step(2); // cli; nop: IF = 0, nothing accepted
        assertThat(src.acked).isEqualTo(-1);
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE + 2);
        t.step(1); // sti: opens the shadow; the boundary after STI does not accept
        assertThat(src.acked).isEqualTo(-1);
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE + 3);
        t.step(1); // the instruction after STI runs inside the shadow; the boundary after it accepts,
                   // within the same run (the held-back interrupt is retried without a new signalEvent)
        assertThat(src.acked).isEqualTo(0x20);
        // the frame holds the address of the instruction that had not run yet
        assertThat(t.bus.read(t.reg(Reg.RSP), 8)).isEqualTo(TestCpu.CODE + 4);
    }

    @Test
    void movSsShadowBlocksForOneInstruction() {
        // 8c d0 mov eax, ss ; 8e d0 mov ss, eax ; 90 nop ; 90 nop   (IF = 1 throughout)
        Source src = new Source();
        TestCpu t = cpu("8c d0 8e d0 90 90", src);
        t.cpu.state().flagsRest |= Flags.IF;
        t.step(2); // mov eax,ss ; mov ss,eax
        src.vector = 0x20;
        t.cpu.signalEvent();
        t.step(1); // nop inside the MOV SS shadow: not accepted before it, accepted at the boundary after it
        assertThat(src.acked).isEqualTo(0x20);
        assertThat(t.bus.read(t.reg(Reg.RSP), 8)).isEqualTo(TestCpu.CODE + 5);
    }

    @Test
    void hltWaitsAndResumesOnInterrupt() {
        // fb sti ; f4 hlt ; 90 nop
        Source src = new Source();
        TestCpu t = cpu("fb f4 90", src);
        assertThat(t.cpu.run(10, Long.MAX_VALUE)).isEqualTo(StopReason.WAITING_FOR_INTERRUPT);
        assertThat(t.cpu.state().halted).isTrue();
        src.vector = 0x20;
        t.cpu.signalEvent();
        t.cpu.run(1, Long.MAX_VALUE);
        assertThat(src.acked).isEqualTo(0x20);
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER + 1); // handler's HLT executed
        assertThat(t.bus.read(t.reg(Reg.RSP), 8)).isEqualTo(TestCpu.CODE + 2); // returns after the HLT
    }

    @Test
    void nmiIgnoresIfAndIsBlockedUntilIret() {
        // fa cli ; 90 nop ; 90 nop
        Source src = new Source();
        TestCpu t = cpu("fa 90 90", src);
        t.step(1);
        src.nmi = true;
        t.cpu.signalEvent();
        t.step(1);
        assertThat(src.nmisAcked).isEqualTo(1);
        assertThat(t.cpu.state().nmiBlocked).isTrue();
        // a second NMI stays pending while blocked
        src.nmi = true;
        t.cpu.signalEvent();
        t.step(1);
        assertThat(src.nmisAcked).isEqualTo(1);
    }
}
