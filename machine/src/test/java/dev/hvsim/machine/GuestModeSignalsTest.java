package dev.hvsim.machine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.apic.LocalApic;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.machine.testing.GuestCode;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.GuestMode;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/**
 * What the machine does for a vendor extension (x86-core SPIs, used by vmx-model): an INIT the extension holds
 * (VMX root operation) stays pending and is offered again, one it takes (a VM exit) is not applied, one it leaves to
 * the platform resets the CPU (SDM Vol. 3A 11.6.1, Vol. 3C 26.2 and "Handling Boundary Conditions in a Virtual Machine Monitor"); and a halted CPU whose guest mode names a
 * wake-up deadline (the VMX-preemption timer) is woken at that cycle by the machine's time skip.
 */
class GuestModeSignalsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** An extension with no rows or MSRs that answers INIT with {@link #action} and counts the calls. */
    static final class Stub implements CpuExtension {
        CpuExtension.SignalAction action = CpuExtension.SignalAction.PLATFORM;
        int inits;

        @Override public void contributeRows(OpcodeTable.Builder b) {}
        @Override public void execute(Cpu cpu, DecodedInsn d) {}
        @Override public boolean ownsMsr(long index) { return false; }
        @Override public long readMsr(Cpu cpu, long index) { return 0; }
        @Override public void writeMsr(Cpu cpu, long index, long value) {}
        @Override public long cr4Bits(Cpu cpu) { return 0; }

        @Override
        public SignalAction init(Cpu cpu) {
            inits++;
            return action;
        }
    }

    private Machine spinning() throws LoadException {
        Machine m = new Machine(MachineConfig.of(CpuProfile.forVendor(Vendor.INTEL), out).withMemoryMiB(16));
        m.loadFlat(GuestCode.spin(), 0x100000, -1);
        return m;
    }

    /** INIT to APIC ID 0 through the ICR (delivery mode 5, level assert, physical destination). */
    private static void sendInit(Machine m) {
        m.apic(0).write(LocalApic.ICR_HI, 4, 0);
        m.apic(0).write(LocalApic.ICR_LO, 4, LocalApic.INIT << 8 | 1 << 14);
    }

    @Test
    void anInitTheExtensionTakesIsNotApplied() throws LoadException {
        Machine m = spinning();
        Stub stub = new Stub();
        stub.action = CpuExtension.SignalAction.TAKEN;
        m.cpu().install(stub);
        sendInit(m);
        assertThat(m.run(RunLimits.instructions(100)).kind()).isEqualTo(RunOutcome.Kind.INSTRUCTION_LIMIT);
        assertThat(stub.inits).isEqualTo(1);
        assertThat(m.waitingForSipi(0)).isFalse();
        assertThat(m.cpu().state().rip).isEqualTo(0x100000);
        assertThat(m.run(RunLimits.instructions(100)).kind()).isEqualTo(RunOutcome.Kind.INSTRUCTION_LIMIT);
        assertThat(stub.inits).as("taken once, not offered again").isEqualTo(1);
    }

    @Test
    void anInitTheExtensionHoldsStaysPendingUntilItIsLeftToThePlatform() throws LoadException {
        Machine m = spinning();
        Stub stub = new Stub();
        stub.action = CpuExtension.SignalAction.HELD;
        m.cpu().install(stub);
        sendInit(m);
        assertThat(m.run(RunLimits.instructions(100)).kind()).isEqualTo(RunOutcome.Kind.INSTRUCTION_LIMIT);
        assertThat(m.run(RunLimits.instructions(100)).kind()).isEqualTo(RunOutcome.Kind.INSTRUCTION_LIMIT);
        assertThat(stub.inits).isEqualTo(2);
        assertThat(m.waitingForSipi(0)).isFalse();
        stub.action = CpuExtension.SignalAction.PLATFORM; // e.g. after VMXOFF
        assertThat(m.run(RunLimits.instructions(100)).kind()).isEqualTo(RunOutcome.Kind.HALTED);
        assertThat(stub.inits).isEqualTo(3);
        assertThat(m.waitingForSipi(0)).as("reset to the INIT state, waiting for SIPI").isTrue();
    }

    @Test
    void aHaltedCpuWakesAtItsGuestModesDeadline() throws LoadException {
        Machine m = new Machine(MachineConfig.of(CpuProfile.forVendor(Vendor.INTEL), out).withMemoryMiB(16));
        byte[] exit = GuestCode.hiThenExit32(7);
        byte[] image = new byte[1 + exit.length];
        image[0] = (byte) 0xf4; // hlt with IF = 0: without the deadline, halted for good
        System.arraycopy(exit, 0, image, 1, exit.length);
        m.loadFlat(image, 0x100000, -1);
        long deadline = 5_000_000;
        m.cpu().setGuestMode(new GuestMode() {
            @Override public boolean active() { return true; }
            @Override public long wakeDeadline(Cpu cpu) { return deadline; }
            @Override public void atEventBoundary(Cpu cpu) {
                if (cpu.cycles() >= deadline) {
                    cpu.state().halted = false; // what a VM exit out of HLT does
                }
            }
        });
        RunOutcome o = m.run(RunLimits.none());
        assertThat(o.kind()).isEqualTo(RunOutcome.Kind.GUEST_EXIT);
        assertThat(m.cpu().cycles()).isGreaterThanOrEqualTo(deadline).isLessThan(deadline + 1000);
    }
}
