package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Custom exit handlers in a few lines (issue 7 item 5; the example of vmm/DESIGN.md) and the hypercall ABI
 * ({@link Hypercalls}) on both vendors.
 */
class ExitHandlerTest {
    static final long CODE = 0x100000, OUT = 0x200000, PAGE = 0x300000;
    static final String MSG = "hello from a hypercall\n";

    /** TIME, PRINT, CPUID 0 / 1 / 0, three stores and a load on PAGE, an unknown hypercall, EXIT 5. */
    static byte[] guest(boolean intel) {
        Code32 c = new Code32(intel);
        c.mov(0, Hypercalls.TIME).hypercall().storeEax(OUT);
        long msg = CODE + 0x200;
        c.mov(0, Hypercalls.PRINT).mov(3, msg).mov(1, MSG.length()).hypercall().storeEax(OUT + 4);
        c.mov(0, 0).cpuid().mov(0, 1).cpuid().mov(0, 0).cpuid();
        c.mov(0, 0x12345678).storeEax(PAGE).storeEax(PAGE + 4).loadEax(PAGE).storeEax(PAGE + 8);
        c.mov(0, 99).hypercall().storeEax(OUT + 8);
        c.mov(0, Hypercalls.EXIT).mov(3, 5).hypercall().hlt();
        byte[] code = c.toArray();
        byte[] image = new byte[0x200 + MSG.length()];
        System.arraycopy(code, 0, image, 0, code.length);
        byte[] m = MSG.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(m, 0, image, 0x200, m.length);
        return image;
    }

    @ParameterizedTest
    @EnumSource(value = Virt.class, names = {"VMX", "SVM"})
    void countCpuidLeavesAndUseTheHypercalls(Virt virt) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(virt == Virt.VMX ? "intel-core" : "amd-zen"), out));
        Vmm vmm = Vmm.attach(m, virt, InterceptPolicy.defaults());
        TreeMap<Long, Integer> leaves = new TreeMap<>();
        vmm.setHandler((vcpu, exit) -> {
            if (exit.kind() == ExitKind.CPUID) {
                leaves.merge(vcpu.gpr(dev.hvsim.x86core.Reg.RAX), 1, Integer::sum);
            }
            return null; // the VMM still emulates it
        });
        m.loadFlat(guest(virt == Virt.VMX), CODE, -1);
        RunOutcome o = m.run(RunLimits.instructions(10_000));
        assertThat(vmm.failure()).isNull();
        assertThat(o).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) o).value()).isEqualTo(5);
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo(MSG);
        assertThat(leaves).containsExactly(java.util.Map.entry(0L, 2), java.util.Map.entry(1L, 1));
        long time = m.memory().read(OUT, 4);
        assertThat(time).isPositive().isLessThan(m.cpu().cycles());
        assertThat(m.memory().read(OUT + 4, 4)).as("PRINT result").isZero();
        assertThat(m.memory().read(OUT + 8, 4)).as("unknown hypercall").isEqualTo(0xffffffffL);
        assertThat(m.memory().read(PAGE + 8, 4)).isEqualTo(0x12345678L);
    }

    /** Trap every write to one page (EPT / NPT): map it read-only, single-step each write with the page writable. */
    @ParameterizedTest
    @EnumSource(value = Virt.class, names = {"VMX", "SVM"})
    void trapEveryWriteToOnePage(Virt virt) throws Exception {
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(virt == Virt.VMX ? "intel-core" : "amd-zen"),
                new ByteArrayOutputStream()));
        Vmm vmm = Vmm.attach(m, virt, InterceptPolicy.defaults());
        List<Long> writes = new ArrayList<>();
        vmm.setHandler((vcpu, exit) -> {
            if (exit.kind() != ExitKind.NESTED_PAGE_FAULT || (exit.gpa() & ~0xfffL) != PAGE) {
                return null;
            }
            if (exit.access() == GuestExit.WRITE) {
                writes.add(exit.gpa());
                return vmm.stepWithPageMapped(vcpu, exit.gpa(), PAGE);
            }
            vmm.ept().map(PAGE, PAGE, EptMap.READ);
            return Handled.MAPPED;
        });
        m.loadFlat(guest(virt == Virt.VMX), CODE, -1);
        RunOutcome o = m.run(RunLimits.instructions(10_000));
        assertThat(((RunOutcome.GuestExit) o).value()).isEqualTo(5);
        assertThat(writes).containsExactly(PAGE, PAGE + 4, PAGE + 8);
        assertThat(m.memory().read(PAGE, 4)).isEqualTo(0x12345678L);
        assertThat(m.memory().read(PAGE + 4, 4)).isEqualTo(0x12345678L);
        assertThat(m.memory().read(PAGE + 8, 4)).isEqualTo(0x12345678L);
        assertThat(vmm.ept().entry(PAGE) & 2).as("read-only again after the last write").isZero();
        assertThat(vmm.ept().entry(PAGE) & 1).as("present / readable").isEqualTo(1);
    }

    /** RDTSCP runs in the guest as it does bare: the VMM sets "enable RDTSCP" (a #UD here would triple-fault). */
    @ParameterizedTest
    @EnumSource(value = Virt.class, names = {"VMX", "SVM"})
    void rdtscpRunsAsBare(Virt virt) throws Exception {
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(virt == Virt.VMX ? "intel-core" : "amd-zen"),
                new ByteArrayOutputStream()));
        Vmm vmm = Vmm.attach(m, virt, InterceptPolicy.defaults());
        // 0f 01 f9 RDTSCP; EXIT 7
        m.loadFlat(new Code32(virt == Virt.VMX).bytes(0x0f, 0x01, 0xf9).mov(0, Hypercalls.EXIT).mov(3, 7).hypercall()
                .hlt().toArray(), CODE, -1);
        RunOutcome o = m.run(RunLimits.instructions(1_000));
        assertThat(vmm.failure()).isNull();
        assertThat(o).as(o.describe()).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) o).value()).isEqualTo(7);
    }
}
