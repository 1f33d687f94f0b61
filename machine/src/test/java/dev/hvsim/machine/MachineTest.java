package dev.hvsim.machine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.load.LoadException;
import dev.hvsim.machine.load.StartMode;
import dev.hvsim.machine.testing.ElfBuilder;
import dev.hvsim.machine.testing.GuestCode;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Vendor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class MachineTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private Machine machine(Vendor v) {
        return new Machine(MachineConfig.of(CpuProfile.forVendor(v), out).withMemoryMiB(16));
    }

    private String output() {
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void handAssembledElfGuestSaysHiAndExits() throws LoadException {
        Machine m = machine(Vendor.INTEL);
        m.loadElf(ElfBuilder.elf32().entry(0x100000).load(0x100000, GuestCode.hiThenExit32(42), 0x1000).build());
        RunOutcome o = m.run(RunLimits.instructions(1000));
        assertThat(o.kind()).isEqualTo(RunOutcome.Kind.GUEST_EXIT);
        assertThat(((RunOutcome.GuestExit) o).value()).isEqualTo(42);
        assertThat(((RunOutcome.GuestExit) o).status()).isEqualTo(85);
        assertThat(output()).isEqualTo("hi");
        assertThat(o.stats().instructions()).isEqualTo(6);
        assertThat(o.stats().cycles()).isPositive();
    }

    @Test
    void flatImageBelow1MiBRunsInRealMode() throws LoadException {
        Machine m = machine(Vendor.AMD);
        m.loadFlat(GuestCode.hiThenExit16(3), 0x7c00, -1);
        CpuState s = m.cpu().state();
        assertThat(m.cpu().realMode()).isTrue();
        assertThat(s.seg[Reg.CS].selector).isEqualTo(0x7c0);
        assertThat(s.rip).isZero();
        RunOutcome o = m.run(RunLimits.none());
        assertThat(o).isEqualTo(new RunOutcome.GuestExit(3, o.stats()));
        assertThat(output()).isEqualTo("hi");
    }

    @Test
    void realModeEntryAddressIsSplitIntoSegmentAndOffset() throws LoadException {
        Machine m = machine(Vendor.INTEL);
        byte[] image = new byte[0x20];
        System.arraycopy(GuestCode.hlt(), 0, image, 0x13, 1);
        m.loadFlat(image, 0x7000, 0x7013);
        CpuState s = m.cpu().state();
        assertThat(s.seg[Reg.CS].selector).isEqualTo(0x701);
        assertThat(s.seg[Reg.CS].base).isEqualTo(0x7010);
        assertThat(s.seg[Reg.SS].selector).isEqualTo(0x701);
        assertThat(s.rip).isEqualTo(3);
        assertThat(m.run(RunLimits.instructions(10)).kind()).isEqualTo(RunOutcome.Kind.HALTED);
    }

    @Test
    void protectedModeStartStateFollowsTheBootProtocol() throws LoadException {
        Machine m = machine(Vendor.INTEL);
        m.loadFlat(GuestCode.hlt(), 0x100000, -1);
        CpuState s = m.cpu().state();
        assertThat(m.image().mode()).isEqualTo(StartMode.PROTECTED_32);
        assertThat(m.cpu().codeSize()).isEqualTo(32);
        assertThat(m.cpu().pagingEnabled()).isFalse();
        assertThat(s.gpr[Reg.RAX]).isEqualTo(0x2BADB002L);
        assertThat(s.gpr[Reg.RBX]).isZero();
        assertThat(s.seg[Reg.CS].selector).isEqualTo(0x08);
        assertThat(s.seg[Reg.DS].selector).isEqualTo(0x10);
        assertThat(s.seg[Reg.SS].limit).isEqualTo(0xffffffffL);
        assertThat(s.gdtrLimit).isZero();
        assertThat(s.idtrLimit).isZero();
        assertThat(s.rflags()).isEqualTo(0x2);
        assertThat(s.rip).isEqualTo(0x100000);
    }

    @Test
    void hltWithInterruptsOffHaltsForGood() throws LoadException {
        Machine m = machine(Vendor.INTEL);
        m.loadFlat(GuestCode.hlt(), 0x100000, -1);
        RunOutcome o = m.run(RunLimits.none());
        assertThat(o.kind()).isEqualTo(RunOutcome.Kind.HALTED);
        assertThat(o.stats().instructions()).isEqualTo(1);
    }

    @Test
    void instructionLimitStopsASpinningGuest() throws LoadException {
        Machine m = machine(Vendor.INTEL);
        m.loadFlat(GuestCode.spin(), 0x100000, -1);
        RunOutcome o = m.run(RunLimits.instructions(5000));
        assertThat(o.kind()).isEqualTo(RunOutcome.Kind.INSTRUCTION_LIMIT);
        assertThat(o.stats().instructions()).isEqualTo(5000);
    }

    @Test
    void instructionLimitIsExactAcrossSlices() throws LoadException {
        Machine m = machine(Vendor.INTEL);
        m.loadFlat(GuestCode.spin(), 0x100000, -1);
        long n = Machine.SLICE * 2 + 7;
        RunOutcome o = m.run(RunLimits.instructions(n).withTimeout(Duration.ofMinutes(5)));
        assertThat(o.kind()).isEqualTo(RunOutcome.Kind.INSTRUCTION_LIMIT);
        assertThat(o.stats().instructions()).isEqualTo(n);
    }

    @Test
    void timeoutStopsASpinningGuest() throws LoadException {
        Machine m = machine(Vendor.INTEL);
        m.loadFlat(GuestCode.spin(), 0x100000, -1);
        RunOutcome o = m.run(RunLimits.none().withTimeout(Duration.ofMillis(200)));
        assertThat(o.kind()).isEqualTo(RunOutcome.Kind.TIMEOUT);
        assertThat(o.stats().wallNanos()).isGreaterThanOrEqualTo(200_000_000L);
    }

    @Test
    void anUndefinedOpcodeWithoutAnIdtTripleFaults() throws LoadException {
        Machine m = machine(Vendor.INTEL);
        m.loadFlat(GuestCode.ud2(), 0x100000, -1);
        RunOutcome o = m.run(RunLimits.instructions(100));
        assertThat(o.kind()).isEqualTo(RunOutcome.Kind.SHUTDOWN);
        assertThat(((RunOutcome.Shutdown) o).reason()).isNotBlank();
    }

    @Test
    void requestStopFromAnotherThreadEndsTheRun() throws Exception {
        Machine m = machine(Vendor.INTEL);
        m.loadFlat(GuestCode.spin(), 0x100000, -1);
        CompletableFuture<RunOutcome> run = CompletableFuture.supplyAsync(() -> m.run(RunLimits.none()));
        Thread.sleep(50);
        m.requestStop();
        assertThat(run.get().kind()).isEqualTo(RunOutcome.Kind.STOPPED);
    }

    @Test
    void twoMachinesRunSideBySide() throws Exception {
        ByteArrayOutputStream out2 = new ByteArrayOutputStream();
        Machine a = machine(Vendor.INTEL);
        Machine b = new Machine(MachineConfig.of(CpuProfile.forVendor(Vendor.AMD), out2));
        a.loadFlat(GuestCode.hiThenExit32(1), 0x100000, -1);
        b.loadFlat(GuestCode.hiThenExit32(2), 0x100000, -1);
        CompletableFuture<RunOutcome> ra = CompletableFuture.supplyAsync(() -> a.run(RunLimits.none()));
        CompletableFuture<RunOutcome> rb = CompletableFuture.supplyAsync(() -> b.run(RunLimits.none()));
        assertThat(((RunOutcome.GuestExit) ra.get()).value()).isEqualTo(1);
        assertThat(((RunOutcome.GuestExit) rb.get()).value()).isEqualTo(2);
        assertThat(output()).isEqualTo("hi");
        assertThat(out2.toString()).isEqualTo("hi");
    }

    @Test
    void serialOutputReachesTheConsole() throws LoadException {
        // ba f8 03 00 00  mov edx, 0x3f8 ; b0 4f  mov al, 'O' ; ee  out dx, al ; f4  hlt
        Machine m = machine(Vendor.INTEL);
        m.loadFlat(GuestCode.hex("baf8030000 b04f ee f4"), 0x100000, -1);
        assertThat(m.run(RunLimits.none()).kind()).isEqualTo(RunOutcome.Kind.HALTED);
        assertThat(output()).isEqualTo("O");
    }

    @Test
    void memoryBeyondRamReadsAllOnesFromTheGuest() throws LoadException {
        // 8b 05 00 00 00 40  mov eax, [0x40000000] ; e7 f4  out 0xf4, eax
        Machine m = machine(Vendor.INTEL);
        m.loadFlat(GuestCode.hex("8b0500000040 e7f4"), 0x100000, -1);
        RunOutcome o = m.run(RunLimits.instructions(10));
        assertThat(o).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) o).value()).isEqualTo(0xffffffffL);
    }

    @Test
    void guestStoresReachARegisteredMmioDevice() throws LoadException {
        // 89 05 00 00 bf fe  mov [0xfebf0000], eax ; 8b 1d 04 00 bf fe  mov ebx, [0xfebf0004] ; f4  hlt
        java.util.List<String> log = new java.util.ArrayList<>();
        Machine m = machine(Vendor.INTEL);
        m.memory().map("probe", 0xfebf0000L, 0x1000, new dev.hvsim.machine.bus.MmioDevice() {
            @Override
            public long read(long offset, int size) {
                log.add("r" + offset + "/" + size);
                return 0x12345678;
            }

            @Override
            public void write(long offset, int size, long value) {
                log.add("w" + offset + "/" + size + "=" + Long.toHexString(value));
            }
        });
        m.loadFlat(GuestCode.hex("890500 00bffe 8b1d0400bffe f4"), 0x100000, -1);
        assertThat(m.run(RunLimits.instructions(10)).kind()).isEqualTo(RunOutcome.Kind.HALTED);
        assertThat(log).containsExactly("w0/4=2badb002", "r4/4");
        assertThat(m.cpu().state().gpr[Reg.RBX]).isEqualTo(0x12345678);
    }
}
