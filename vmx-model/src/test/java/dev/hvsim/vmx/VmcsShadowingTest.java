package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMCS2;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static dev.hvsim.vmx.VmxHarness.VMPTRLD;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.vmcs.VmcsLayout;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import org.junit.jupiter.api.Test;

/**
 * "VMCS shadowing" (secondary control 14; SDM Vol. 3C 26.1.3 VMREAD/VMWRITE, 31.3 VMREAD/VMWRITE/VMPTRLD/VMLAUNCH,
 * 28.2.1.1 CTRL-SHADOW-VMCS-BITMAPS, 28.3.1.5 the VMCS link pointer): a guest's VMREAD/VMWRITE of a field whose
 * bitmap bit is 0 reads or writes the shadow VMCS the link pointer names instead of exiting.
 */
class VmcsShadowingTest {
    private static final long READ_BITMAP = 0x405000, WRITE_BITMAP = 0x406000;
    /** mov rcx, imm32 (sign-extended): the field encoding. */
    private static String movRcx(int encoding) {
        return String.format("48 c7 c1 %02x %02x %02x %02x", encoding & 0xff, encoding >>> 8 & 0xff,
                encoding >>> 16 & 0xff, encoding >>> 24 & 0xff);
    }

    /** 0f 78 c8   vmread rax, rcx ; 0f 79 c8   vmwrite rcx, rax ; 0f a2   cpuid */
    private static final String VMREAD = "0f 78 c8", VMWRITE = "0f 79 c8", CPUID = "0f a2";
    private static final int GUEST_RIP_FIELD = 0x681e;

    /** A guest with VMCS shadowing and {@link VmxHarness#VMCS2} as its shadow VMCS (link pointer {@code link}). */
    private static VmxHarness shadowingGuest(String code, long link) {
        VmxHarness h = new VmxHarness().ready().longModeGuest(code);
        Vmcs v = h.vmx.currentVmcs();
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") | 1L << 31);
        v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 14);
        v.write("VMREAD_BITMAP", READ_BITMAP);
        v.write("VMWRITE_BITMAP", WRITE_BITMAP);
        v.write("VMCS_LINK_POINTER", link);
        shadow(h).writeHeader(VmcsLayout.HVSIM_REVISION_ID, true);
        return h;
    }

    private static Vmcs shadow(VmxHarness h) {
        return new Vmcs(h.t.bus, VMCS2, h.vmx.layout());
    }

    private static VmExit launchAndRun(VmxHarness h) {
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.vmx.lastEntryOutcome().kind()).as("%s", h.vmx.lastEntryOutcome().all())
                .isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(h.vmx.inNonRoot()).isFalse();
        assertThat(h.cpu.state().rip).isEqualTo(HOST_RIP);
        return e;
    }

    private static long guestFlags(VmxHarness h) {
        return h.vmx.currentVmcs().read("GUEST_RFLAGS") & Flags.OSZAPC;
    }

    @Test
    void vmreadWithItsBitmapBitClearReadsTheShadowVmcs() {
        VmxHarness h = shadowingGuest(movRcx(GUEST_RIP_FIELD) + " " + VMREAD + " " + CPUID, VMCS2);
        shadow(h).write("GUEST_RIP", 0x1234_5678L);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).as("no VMREAD exit").isEqualTo(ExitReason.CPUID);
        assertThat(h.cpu.state().gpr[Reg.RAX]).isEqualTo(0x1234_5678L);
        assertThat(guestFlags(h)).as("VMsucceed").isZero();
    }

    @Test
    void vmwriteWithItsBitmapBitClearWritesTheShadowVmcsOnly() {
        // mov rcx, 681eH ; mov rax, 5555H ; vmwrite rcx, rax ; cpuid
        VmxHarness h = shadowingGuest(movRcx(GUEST_RIP_FIELD) + " 48 c7 c0 55 55 00 00 " + VMWRITE + " " + CPUID, VMCS2);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(shadow(h).read("GUEST_RIP")).isEqualTo(0x5555);
        assertThat(h.vmx.currentVmcs().read("GUEST_RIP")).as("the ordinary VMCS holds the guest's own RIP")
                .isEqualTo(GUEST_CODE + 17);
        assertThat(guestFlags(h)).isZero();
    }

    @Test
    void aSetBitmapBitStillExitsWithInstructionInformation() {
        VmxHarness h = shadowingGuest(movRcx(GUEST_RIP_FIELD) + " " + VMREAD, VMCS2);
        h.t.bus.write(READ_BITMAP + (GUEST_RIP_FIELD >>> 3), 1, 1 << (GUEST_RIP_FIELD & 7));
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.VMREAD);
        assertThat(e.instructionLength()).isEqualTo(3);
        assertThat(e.instructionInfo()).isEqualTo(Reg.RCX << 28 | Reg.RAX << 3 | 1 << 10 | 2 << 7);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 7);
        // the VMWRITE bitmap is separate: VMWRITE of the same field does not exit
        VmxHarness w = shadowingGuest(movRcx(GUEST_RIP_FIELD) + " " + VMWRITE + " " + CPUID, VMCS2);
        w.t.bus.write(READ_BITMAP + (GUEST_RIP_FIELD >>> 3), 1, 1 << (GUEST_RIP_FIELD & 7));
        assertThat(launchAndRun(w).reason()).isEqualTo(ExitReason.CPUID);
    }

    @Test
    void anEncodingAboveBit14Exits() {
        VmxHarness h = shadowingGuest(movRcx(0x8000 | GUEST_RIP_FIELD) + " " + VMWRITE, VMCS2);
        assertThat(launchAndRun(h).reason()).isEqualTo(ExitReason.VMWRITE);
    }

    @Test
    void withoutVmcsShadowingEveryVmreadExits() {
        VmxHarness h = new VmxHarness().ready().longModeGuest(movRcx(GUEST_RIP_FIELD) + " " + VMREAD);
        assertThat(launchAndRun(h).reason()).isEqualTo(ExitReason.VMREAD);
    }

    @Test
    void noShadowVmcsFailsInvalid() {
        VmxHarness h = shadowingGuest(movRcx(GUEST_RIP_FIELD) + " " + VMREAD + " " + CPUID, -1L);
        assertThat(launchAndRun(h).reason()).isEqualTo(ExitReason.CPUID);
        assertThat(guestFlags(h)).as("VMfailInvalid").isEqualTo(Flags.CF);
    }

    @Test
    void anUnsupportedFieldFailsValidInTheOrdinaryVmcs() {
        // encoding 2 (posted-interrupt notification vector) does not exist without posted interrupts
        VmxHarness h = shadowingGuest(movRcx(2) + " " + VMREAD + " " + CPUID, VMCS2);
        assertThat(launchAndRun(h).reason()).isEqualTo(ExitReason.CPUID);
        assertThat(guestFlags(h)).as("VMfailValid").isEqualTo(Flags.ZF);
        assertThat(h.vmx.currentVmcs().read("VM_INSTRUCTION_ERROR")).isEqualTo(12);
        assertThat(shadow(h).read("VM_INSTRUCTION_ERROR")).isZero();
    }

    @Test
    void theLinkPointerMustNameAShadowVmcsWhenShadowing() {
        VmxHarness h = shadowingGuest(CPUID, VMCS2);
        shadow(h).writeHeader(VmcsLayout.HVSIM_REVISION_ID, false);
        assertThat(h.exec(VMLAUNCH)).isNull();
        EntryOutcome o = h.vmx.lastEntryOutcome();
        assertThat(o.violations()).extracting(Violation::id).containsExactly("GUEST-VMCS-LINK");
        assertThat(((VmExit) h.cpu.lastVmExit()).reason()).isEqualTo(ExitReason.INVALID_GUEST_STATE);
        assertThat(((VmExit) h.cpu.lastVmExit()).qualification()).isEqualTo(4);
    }

    @Test
    void aShadowVmcsCanBeMadeCurrentButNotLaunched() {
        VmxHarness h = new VmxHarness().ready();
        new Vmcs(h.t.bus, VMCS2, h.vmx.layout()).writeHeader(VmcsLayout.HVSIM_REVISION_ID, true);
        assertThat(h.exec(VMPTRLD, VMCS2)).isNull();
        assertThat(h.succeeded()).as("VMPTRLD of a shadow VMCS with shadowing supported").isTrue();
        assertThat(h.vmx.currentVmcsPointer()).isEqualTo(VMCS2);
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.failedInvalid()).isTrue();
        assertThat(h.vmx.inNonRoot()).isFalse();
    }

    @Test
    void theLinkPointerMustNotBeTheCurrentVmcs() {
        VmxHarness h = new VmxHarness().ready().longModeGuest(CPUID);
        h.vmx.currentVmcs().write("VMCS_LINK_POINTER", VmxHarness.VMCS);   // an ordinary VMCS, but the current one
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.vmx.lastEntryOutcome().violations()).extracting(Violation::id).containsExactly("GUEST-VMCS-LINK");
        assertThat(((VmExit) h.cpu.lastVmExit()).qualification()).isEqualTo(4);
        // another ordinary VMCS is accepted
        h.vmx.currentVmcs().write("VMCS_LINK_POINTER", VMCS2);
        h.vmx.currentVmcs().setLaunchState(dev.hvsim.vmcs.LaunchState.CLEAR);
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.vmx.lastEntryOutcome().kind()).isEqualTo(EntryOutcome.Kind.ENTERED);
    }

    @Test
    void withoutVmcsShadowingAShadowVmcsIsVmptrldError11() {
        VmxHarness h = new VmxHarness();
        var raw = new java.util.EnumMap<dev.hvsim.vmcs.msr.VmxMsr, Long>(dev.hvsim.vmcs.msr.VmxMsr.class);
        for (var m : dev.hvsim.vmcs.msr.VmxMsr.values()) {
            h.vmx.capabilities().raw(m).ifPresent(v -> raw.put(m, v));
        }
        raw.put(dev.hvsim.vmcs.msr.VmxMsr.IA32_VMX_PROCBASED_CTLS2,
                raw.get(dev.hvsim.vmcs.msr.VmxMsr.IA32_VMX_PROCBASED_CTLS2) & ~(1L << (32 + 14)));
        VmxExtension x = VmxExtension.install(h.cpu, dev.hvsim.vmcs.msr.VmxCapabilities.of(raw));
        x.writeMsr(h.cpu, VmxExtension.IA32_FEATURE_CONTROL, 5);
        h.exec(VmxHarness.VMXON, VmxHarness.VMXON_REGION);
        h.exec(VMPTRLD, VmxHarness.VMCS);
        new Vmcs(h.t.bus, VMCS2, x.layout()).writeHeader(VmcsLayout.HVSIM_REVISION_ID, true);
        assertThat(h.exec(VMPTRLD, VMCS2)).isNull();
        assertThat((h.rflags() & Flags.OSZAPC) == Flags.ZF && x.currentVmcs().read(F.VM_INSTRUCTION_ERROR) == 11).isTrue();
        assertThat(x.currentVmcsPointer()).isEqualTo(VmxHarness.VMCS);
    }
}
