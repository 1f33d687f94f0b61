package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.ept.EptViolationQualification;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.SecondStage;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * "Enable EPT", "enable VPID" and "unrestricted guest" end to end (SDM Vol. 3C 29.3 EPT, 29.3.3 EPT-induced VM
 * exits, 28.3.2 guest-state loading, 26.3 unrestricted guests): the guest runs through ept's translator, EPT
 * violations exit with reason 48, the qualification of Table 29-7 and the guest-physical and guest-linear address
 * fields; misconfigurations with reason 49; a real-mode guest runs under "unrestricted guest".
 */
class EptExitTest {
    /** EPT PML4 at 500000H, PDPT at 501000H, four PDs of 2-MiB identity pages from 502000H (the first 4 GiB). */
    static final long EPT = 0x500000, EPTP = EPT | 3 << 3 | 6;
    /** INVEPT rcx, [DATA] and INVVPID rcx, [DATA] (66 0F 38 80/81 /r). */
    static final String INVEPT_RCX_DATA = "66 0f 38 80 " + VmxHarness.mem(1),
            INVVPID_RCX_DATA = "66 0f 38 81 " + VmxHarness.mem(1);
    /** Read, write, execute; memory type WB (bits 5:3 = 6); PS. */
    static final long RWX = 7, WB = 6 << 3, PS = 0x80;

    static void buildEpt(TestCpu t) {
        t.bus.write(EPT, 8, (EPT + 0x1000) | RWX);
        for (int i = 0; i < 4; i++) {
            long pd = EPT + 0x2000 + i * 0x1000L;
            t.bus.write(EPT + 0x1000 + i * 8, 8, pd | RWX);
            for (int j = 0; j < 512; j++) {
                t.bus.write(pd + j * 8, 8, ((long) i << 30) + ((long) j << 21) | PS | WB | RWX);
            }
        }
    }

    /** The EPT PDE mapping the 2-MiB region of {@code gpa} (below 1 GiB). */
    static long pde(long gpa) {
        return EPT + 0x2000 + (gpa >>> 21) * 8;
    }

    /** Replaces the 2-MiB page of {@code gpa} by a page table at {@code pt} of identity 4-KiB pages. */
    static void split(TestCpu t, long gpa, long pt) {
        long region = gpa & ~0x1fffffL;
        for (int k = 0; k < 512; k++) {
            t.bus.write(pt + k * 8, 8, region + k * 0x1000L | WB | RWX);
        }
        t.bus.write(pde(gpa), 8, pt | RWX);
    }

    /** A long-mode guest with EPT (identity) and VPID 1 enabled. */
    static VmxHarness eptGuest(String code) {
        VmxHarness h = new VmxHarness().ready().longModeGuest(code);
        buildEpt(h.t);
        Vmcs v = h.vmx.currentVmcs();
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") | 1L << 31);
        v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 1 | 1L << 5);
        v.write("VIRTUAL_PROCESSOR_ID", 1);
        v.write("EPT_POINTER", EPTP);
        return h;
    }

    static VmExit launchAndRun(VmxHarness h) {
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.vmx.lastEntryOutcome().kind()).as("%s", h.vmx.lastEntryOutcome().all())
                .isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(h.vmx.inNonRoot()).isTrue();
        assertThat(h.cpu.secondStage()).isInstanceOf(VmxEpt.class);
        assertThat(h.vmx.currentEptp()).isEqualTo(h.vmx.currentVmcs().read("EPT_POINTER"));
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        assertThat(h.cpu.secondStage()).as("removed at VM exit").isSameAs(SecondStage.IDENTITY);
        assertThat(h.vmx.currentVpid()).isZero();
        assertThat(h.vmx.inNonRoot()).isFalse();
        assertThat(h.cpu.state().rip).isEqualTo(HOST_RIP);
        assertThat(h.cpu.state().cr3).isEqualTo(TestCpu.PAGING);
        return (VmExit) h.cpu.lastVmExit();
    }

    @Test
    void theGuestRunsThroughEptAndVpid() {
        // guest-physical 200000H is backed by host-physical 600000H: the guest executes CPUID from there, not the
        // HLT the host has at 200000H
        VmxHarness h = eptGuest("f4");
        split(h.t, GUEST_CODE, 0x510000);
        h.t.bus.write(0x510000, 8, 0x600000 | WB | RWX);
        h.t.mem(0x600000, "0f a2");
        assertThat(h.vmx.currentVpid()).isZero();
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(e.instructionLength()).isEqualTo(2);
    }

    @Test
    void aWriteToAReadOnlyPageIsAnEptViolation() {
        // mov rax, 700008H ; mov [rax], rbx
        VmxHarness h = eptGuest("48 b8 08 00 70 00 00 00 00 00 48 89 18");
        h.t.bus.write(pde(0x700000), 8, 0x600000 | PS | WB | 5); // read + execute
        h.t.bus.write(0x700008, 8, 0x1111);
        h.cpu.state().gpr[Reg.RBX] = 0x2222;
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EPT_VIOLATION).isEqualTo(48);
        EptViolationQualification q = new EptViolationQualification(e.qualification());
        assertThat(q.write()).isTrue();
        assertThat(q.read() || q.fetch()).isFalse();
        assertThat(q.readable()).isTrue();
        assertThat(q.writable()).isFalse();
        assertThat(q.executable()).isTrue();
        assertThat(q.linearValid()).isTrue();
        assertThat(q.finalTranslation()).isTrue();
        // bits 9-11 (advanced information, EPT_VPID_CAP[22]): a user-mode, writable, executable guest page
        assertThat(q.userLinear()).isTrue();
        assertThat(q.writableLinear()).isTrue();
        assertThat(q.nxLinear()).isFalse();
        assertThat(e.qualification()).isEqualTo(0x2 | 0x8 | 0x20 | 0x80 | 0x100 | 0x200 | 0x400);
        assertThat(e.instructionLength()).as("undefined for EPT violations; written as 0").isZero();
        assertThat(e.instructionInfo()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 10);
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("VM_EXIT_REASON")).isEqualTo(48);
        assertThat(v.read("EXIT_QUALIFICATION")).isEqualTo(e.qualification());
        assertThat(v.read("GUEST_PHYSICAL_ADDRESS")).isEqualTo(0x700008);
        assertThat(v.read("GUEST_LINEAR_ADDRESS")).isEqualTo(0x700008);
        assertThat(v.read("GUEST_RIP")).isEqualTo(GUEST_CODE + 10);
        assertThat(v.read("GUEST_RSP")).isEqualTo(0x38000);
        assertThat(v.read("IDT_VECTORING_INFO_FIELD")).isZero();
        assertThat(h.cpu.state().gpr[Reg.RAX]).isEqualTo(0x700008);
        assertThat(h.t.bus.read(0x700008, 8)).as("the write did not happen").isEqualTo(0x1111);
    }

    @Test
    void aFetchFromANonExecutablePageIsAnEptViolation() {
        VmxHarness h = eptGuest("0f a2");
        h.t.bus.write(pde(GUEST_CODE), 8, GUEST_CODE | PS | WB | 3); // read + write
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EPT_VIOLATION);
        assertThat(e.qualification()).isEqualTo(0x4 | 0x8 | 0x10 | 0x80 | 0x100 | 0x200 | 0x400);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(h.vmx.currentVmcs().read("GUEST_PHYSICAL_ADDRESS")).isEqualTo(GUEST_CODE);
        assertThat(h.vmx.currentVmcs().read("GUEST_LINEAR_ADDRESS")).isEqualTo(GUEST_CODE);
    }

    @Test
    void aGuestPagingStructureAccessIsAViolationThatIsNotTheFinalTranslation() {
        // the guest's page tables (100000H) are read-only in EPT: setting the guest's accessed flag is refused
        VmxHarness h = eptGuest("0f a2");
        h.t.bus.write(pde(TestCpu.PAGING), 8, 0 | PS | WB | 5);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EPT_VIOLATION);
        EptViolationQualification q = new EptViolationQualification(e.qualification());
        assertThat(q.write()).as("A/D write to a guest paging-structure entry").isTrue();
        assertThat(q.linearValid()).isTrue();
        assertThat(q.finalTranslation()).isFalse();
        assertThat(e.qualification()).isEqualTo(0x2 | 0x8 | 0x20 | 0x80);
        long gpa = h.vmx.currentVmcs().read("GUEST_PHYSICAL_ADDRESS");
        assertThat(gpa).as("an entry of the guest's tables").isBetween(TestCpu.PAGING, TestCpu.PAGING + 0x6000);
        assertThat(h.vmx.currentVmcs().read("GUEST_LINEAR_ADDRESS")).isEqualTo(GUEST_CODE);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
    }

    @Test
    void anEptViolationDuringEventDeliveryReportsIdtVectoringInformation() {
        // ud2; the guest IDT page (2000H-2FFFH) is not present in EPT: reading the #UD gate is an EPT violation
        VmxHarness h = eptGuest("0f 0b");
        split(h.t, 0, 0x510000);
        h.t.bus.write(0x510000 + 2 * 8, 8, 0);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EPT_VIOLATION);
        assertThat(new EptViolationQualification(e.qualification()).read()).isTrue();
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("GUEST_PHYSICAL_ADDRESS")).isEqualTo(0x2800 + 6 * 16);
        assertThat(v.read("IDT_VECTORING_INFO_FIELD")).isEqualTo(0x80000306L);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
    }

    @Test
    void aWriteOnlyEntryIsAnEptMisconfiguration() {
        // mov rax, 700008H ; mov rbx, [rax]
        VmxHarness h = eptGuest("48 b8 08 00 70 00 00 00 00 00 48 8b 18");
        h.t.bus.write(pde(0x700000), 8, 0x600000 | PS | WB | 2); // write without read: misconfigured
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EPT_MISCONFIGURATION).isEqualTo(49);
        assertThat(e.qualification()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 10);
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("VM_EXIT_REASON")).isEqualTo(49);
        assertThat(v.read("GUEST_PHYSICAL_ADDRESS")).isEqualTo(0x700008);
        assertThat(v.read("GUEST_RIP")).isEqualTo(GUEST_CODE + 10);
    }

    @Test
    void aRealModeGuestRunsUnderUnrestrictedGuest() {
        VmxHarness h = new VmxHarness().ready().longModeGuest("f4");
        buildEpt(h.t);
        Vmcs v = h.vmx.currentVmcs();
        for (Map.Entry<VmcsField, Long> e : VmcsBases.base(VmcsBases.REAL_MODE).entrySet()) {
            if (e.getKey().name().startsWith("GUEST_") || e.getKey().name().startsWith("SECONDARY")
                    || e.getKey().name().startsWith("CPU_BASED") || e.getKey().name().startsWith("VM_ENTRY")) {
                v.write(e.getKey(), e.getValue());
            }
        }
        v.write("EPT_POINTER", EPTP);
        // mov ax, 1234h ; mov eax, cr0 ; or eax, 1 ; mov cr0, eax ; and eax, ~1 ; mov cr0, eax ; cpuid
        h.t.mem(0x7c00, "b8 34 12 0f 20 c0 66 83 c8 01 0f 22 c0 66 83 e0 fe 0f 22 c0 0f a2");
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).isEqualTo(0x7c00 + 20);
        assertThat(v.read("GUEST_CR0")).as("PE set and cleared again without #GP").isEqualTo(0x30);
        assertThat(v.read("GUEST_CS_AR_BYTES")).isEqualTo(0x9b);
        assertThat(v.read("GUEST_CS_SELECTOR")).isZero();
        assertThat(v.read("VM_ENTRY_CONTROLS") & 1 << 9).as("not an IA-32e mode guest").isZero();
        assertThat(h.cpu.state().gpr[Reg.RAX] & 0xffffffffL).isEqualTo(0x30);
        assertThat(h.cpu.mode64()).isTrue();
    }
}
