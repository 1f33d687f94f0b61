package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * XSAVE / XRSTOR, standard format, x87 and SSE components (SDM Vol. 2C XSAVE, XRSTOR; Vol. 1 13.4 area
 * layout, 13.6 initial configurations, 13.7 XSAVE, 13.8.1 standard form of XRSTOR).
 */
class XSaveTest {
    static final int UD = 6, NM = 7, GP = 13, PF = 14;
    static final long A = TestCpu.DATA; // 64-byte aligned XSAVE area
    static final long XSTATE_BV = A + 512, XCOMP_BV = A + 520;

    /** CR4.OSXSAVE = 1, XCR0 as given, EDX:EAX = mask. */
    static TestCpu xs(TestCpu t, long xcr0, long mask) {
        t.cpu.state().cr4 |= Cpu.CR4_OSXSAVE;
        t.cpu.state().xcr0 = xcr0;
        return t.reg(Reg.RAX, mask & 0xffffffffL).reg(Reg.RDX, mask >>> 32);
    }

    /** A recognisable, valid x87 + SSE state. */
    static void fill(CpuState s) {
        s.fcw = 0x027f;
        s.fsw = 0x3801;
        s.ftwAbridged = 0x81;
        s.fop = 0x123;
        s.fip = 0x1_2345_6789L;
        s.fdp = 0x9_8765_4320L;
        s.fcs = 0x08;
        s.fds = 0x10;
        s.mxcsr = 0x1fa0;
        for (int i = 0; i < 80; i++) {
            s.fpr[i] = (byte) (i + 1);
        }
        for (int i = 0; i < 32; i++) {
            s.xmm[i] = 0x1111_0000_0000_0000L + i;
        }
    }

    @Test
    void roundTripRestoresControlWordsAndXmm() {
        // 48 0f ae 23   xsave64 [rbx] ; 48 0f ae 2b   xrstor64 [rbx]   (EDX:EAX = all ones: RFBM = XCR0 = 3)
        TestCpu t = xs(TestCpu.long64().code("48 0f ae 23 48 0f ae 2b"), 3, -1L).reg(Reg.RBX, A);
        var s = t.cpu.state();
        fill(s);
        t.bus.write(XCOMP_BV + 16, 8, 0x5a5a); // header byte 24: never written by XSAVE
        t.bus.write(A + 416, 8, 0x7777);        // legacy bytes 416-511: never written
        t.step(1);
        assertThat(t.events).isEmpty();
        assertThat(t.bus.read(A, 2)).isEqualTo(0x027f);
        assertThat(t.bus.read(A + 2, 2)).isEqualTo(0x3801);
        assertThat(t.bus.read(A + 4, 1)).isEqualTo(0x81);
        assertThat(t.bus.read(A + 24, 4)).isEqualTo(0x1fa0);
        assertThat(t.bus.read(A + 28, 4)).isEqualTo(Fpu.MXCSR_MASK);
        assertThat(t.bus.read(A + 32, 1)).isEqualTo(1);
        assertThat(t.bus.read(A + 160 + 15 * 16 + 8, 8)).isEqualTo(s.xmm[31]);
        assertThat(t.bus.read(XSTATE_BV, 8)).isEqualTo(3);
        assertThat(t.bus.read(XCOMP_BV, 8)).isZero();
        assertThat(t.bus.read(XCOMP_BV + 16, 8)).isEqualTo(0x5a5a);
        assertThat(t.bus.read(A + 416, 8)).isEqualTo(0x7777);
        var saved = s.copy();
        s.fcw = 0x37f; s.fsw = 0; s.ftwAbridged = 0; s.fop = 0; s.fip = 0; s.fdp = 0; s.mxcsr = 0x1f80;
        java.util.Arrays.fill(s.fpr, (byte) 0);
        java.util.Arrays.fill(s.xmm, 0L);
        t.bus.write(XCOMP_BV + 16, 8, 0); // header bytes 63:24 are not checked, but keep the area clean
        t.step(1);
        assertThat(t.events).isEmpty();
        saved.rip = s.rip;
        assertThat(s.diff(saved)).isEmpty();
    }

    @Test
    void xstateBvClearInitialisesComponent() {
        // 0f ae 2b   xrstor [rbx]: the area holds a full image; XSTATE_BV = 1 loads x87, zeroes XMM0-15
        TestCpu t = xs(TestCpu.long64().code("0f ae 2b 0f ae 2b"), 3, 3).reg(Reg.RBX, A);
        var s = t.cpu.state();
        t.bus.write(A, 2, 0x0262);
        t.bus.write(A + 24, 4, 0x1fc0); // MXCSR image
        for (int i = 0; i < 32; i++) {
            t.bus.write(A + 160 + 8L * i, 8, 0xabcd);
        }
        t.bus.write(XSTATE_BV, 8, 1);
        fill(s);
        t.step(1);
        assertThat(t.events).isEmpty();
        assertThat(s.fcw).isEqualTo(0x0262);
        assertThat(s.xmm).containsOnly(0L);
        assertThat(s.mxcsr).as("MXCSR loaded whenever RFBM[1], whatever XSTATE_BV[1]").isEqualTo(0x1fc0);
        // XSTATE_BV = 2: x87 to its initial configuration, XMM loaded
        t.bus.write(XSTATE_BV, 8, 2);
        fill(s);
        t.step(1);
        assertThat(s.fcw).isEqualTo(CpuState.FCW_INIT);
        assertThat(s.fsw).isZero();
        assertThat(s.ftwAbridged).isZero();
        assertThat(s.fop).isZero();
        assertThat(s.fip).isZero();
        assertThat(s.fdp).isZero();
        assertThat(s.fcs).isZero();
        assertThat(s.fds).isZero();
        assertThat(s.fpr).containsOnly((byte) 0);
        assertThat(s.xmm).containsOnly(0xabcdL);
    }

    @Test
    void rfbmSubsetSavesAndRestoresOnlyRequestedComponents() {
        // 0f ae 23   xsave [rbx] with EDX:EAX = 1: x87 only; XSTATE_BV bit 1 (old value) kept
        TestCpu t = xs(TestCpu.long64().code("0f ae 23"), 3, 1).reg(Reg.RBX, A);
        fill(t.cpu.state());
        t.bus.write(A + 24, 8, 0x5555_5555_5555_5555L);
        t.bus.write(A + 160, 8, 0x5555);
        t.bus.write(XSTATE_BV, 8, 2);
        t.step(1);
        assertThat(t.bus.read(A, 2)).isEqualTo(0x027f);
        assertThat(t.bus.read(A + 24, 8)).as("MXCSR, MXCSR_MASK not written").isEqualTo(0x5555_5555_5555_5555L);
        assertThat(t.bus.read(A + 160, 8)).as("XMM0 not written").isEqualTo(0x5555);
        assertThat(t.bus.read(XSTATE_BV, 8)).isEqualTo(3);
        // XCR0 = 1 limits RFBM although EDX:EAX = all ones
        t = xs(TestCpu.long64().code("0f ae 23"), 1, -1L).reg(Reg.RBX, A);
        fill(t.cpu.state());
        t.step(1);
        assertThat(t.bus.read(A + 160, 8)).isZero();
        assertThat(t.bus.read(XSTATE_BV, 8)).isEqualTo(1);
        // EDX:EAX = 2: SSE only; FCW not written
        t = xs(TestCpu.long64().code("0f ae 23"), 3, 2).reg(Reg.RBX, A);
        fill(t.cpu.state());
        t.bus.write(A, 2, 0x4444);
        t.step(1);
        assertThat(t.bus.read(A, 2)).isEqualTo(0x4444);
        assertThat(t.bus.read(A + 24, 4)).isEqualTo(0x1fa0);
        assertThat(t.bus.read(XSTATE_BV, 8)).isEqualTo(2);
        // 0f ae 2b   xrstor [rbx] with EDX:EAX = 1 and XSTATE_BV = 0: x87 initialised, XMM and MXCSR kept
        t = xs(TestCpu.long64().code("0f ae 2b"), 3, 1).reg(Reg.RBX, A);
        fill(t.cpu.state());
        t.bus.write(A + 24, 4, 0xffff_ffffL); // an invalid MXCSR image is not looked at without RFBM[1]
        t.step(1);
        assertThat(t.events).isEmpty();
        assertThat(t.cpu.state().fcw).isEqualTo(CpuState.FCW_INIT);
        assertThat(t.cpu.state().mxcsr).isEqualTo(0x1fa0);
        assertThat(t.cpu.state().xmm[0]).isEqualTo(0x1111_0000_0000_0000L);
        // EDX:EAX = 2, XSTATE_BV = 0: XMM zeroed and MXCSR loaded, x87 kept
        t = xs(TestCpu.long64().code("0f ae 2b"), 3, 2).reg(Reg.RBX, A);
        fill(t.cpu.state());
        t.bus.write(A + 24, 4, 0x1f80);
        t.step(1);
        assertThat(t.events).isEmpty();
        assertThat(t.cpu.state().fcw).isEqualTo(0x027f);
        assertThat(t.cpu.state().fpr[0]).isEqualTo((byte) 1);
        assertThat(t.cpu.state().mxcsr).isEqualTo(0x1f80);
        assertThat(t.cpu.state().xmm).containsOnly(0L);
    }

    @Test
    void commonFaults() {
        // 0f ae 23 xsave [rbx] / 0f ae 2b xrstor [rbx]: #UD without CR4.OSXSAVE, #NM with CR0.TS, #GP(0)
        // unless 64-byte aligned; CR0.EM does not matter (SDM Vol. 2C XSAVE exceptions)
        for (String insn : new String[] {"0f ae 23", "0f ae 2b"}) {
            TestCpu t = TestCpu.long64().code(insn).reg(Reg.RBX, A).reg(Reg.RAX, 3);
            t.cpu.state().xcr0 = 3;
            assertThat(t.fault()).as(insn + " no OSXSAVE").containsExactly(UD, -1);
            t = xs(TestCpu.long64().code(insn), 3, 3).reg(Reg.RBX, A);
            t.cpu.state().cr0 |= Cpu.CR0_TS;
            assertThat(t.fault()).as(insn + " TS").containsExactly(NM, -1);
            t = xs(TestCpu.long64().code(insn), 3, 3).reg(Reg.RBX, A + 16);
            assertThat(t.fault()).as(insn + " 16-byte aligned").containsExactly(GP, 0);
            t = xs(TestCpu.long64().code(insn), 3, 3).reg(Reg.RBX, A);
            t.cpu.state().cr0 |= Cpu.CR0_EM;
            assertThat(t.fault()).as(insn + " EM").isNull();
            // f0 lock ; 66 prefix: #UD
            assertThat(xs(TestCpu.long64().code("f0 " + insn), 3, 3).reg(Reg.RBX, A).fault()).as("lock " + insn)
                    .containsExactly(UD, -1);
            assertThat(xs(TestCpu.long64().code("66 " + insn), 3, 3).reg(Reg.RBX, A).fault()).as("66 " + insn)
                    .containsExactly(UD, -1);
        }
        TestCpu t = xs(TestCpu.long64().code("0f ae 23"), 3, 3).reg(Reg.RBX, A + 0x20);
        assertThat(t.fault()).containsExactly(GP, 0);
        assertThat(t.bus.read(A + 0x20, 8)).as("nothing stored").isZero();
    }

    @Test
    void xrstorHeaderChecks() {
        // 0f ae 2b   xrstor [rbx]: {header offset, value, expected}; GP leaves the state unchanged
        Object[][] cases = {
            {520L, 1L << 63, GP},          // XCOMP_BV[63]: compacted form, XSAVEC not supported
            {520L, (1L << 63) | 3, GP},
            {520L, 1L, GP},                // header bytes 23:8 must be 0
            {528L, 1L, GP},
            {528L, 1L << 56, GP},          // header byte 23
            {512L, 4L, GP},                // XSTATE_BV bit 2 (AVX) not in XCR0
            {512L, 1L << 62, GP},
            {536L, 1L, null},              // header bytes 63:24: not checked by the standard form
            {568L, -1L, null},
            {512L, 3L, null},
        };
        for (Object[] c : cases) {
            TestCpu t = xs(TestCpu.long64().code("0f ae 2b"), 3, 3).reg(Reg.RBX, A);
            t.bus.write(A + (long) c[0], 8, (long) c[1]);
            t.bus.write(A, 2, 0x0262);
            t.cpu.state().fcw = 0x1234;
            int[] f = t.fault();
            String what = String.format("header+%d = %x", (long) c[0] - 512, (long) c[1]);
            if (c[2] == null) {
                assertThat(f).as(what).isNull();
            } else {
                assertThat(f).as(what).containsExactly((int) c[2], 0);
                assertThat(t.cpu.state().fcw).as(what).isEqualTo(0x1234);
            }
        }
        // XSTATE_BV[1] = 1 with XCR0 = 1: a bit outside XCR0
        TestCpu t = xs(TestCpu.long64().code("0f ae 2b"), 1, -1L).reg(Reg.RBX, A);
        t.bus.write(XSTATE_BV, 8, 2);
        assertThat(t.fault()).containsExactly(GP, 0);
    }

    @Test
    void xrstorMxcsrReservedBits() {
        // 0f ae 2b   xrstor [rbx] with RFBM[1] = 1 and MXCSR bit 16 set: #GP(0), nothing loaded
        TestCpu t = xs(TestCpu.long64().code("0f ae 2b"), 3, 3).reg(Reg.RBX, A);
        t.bus.write(A + 24, 4, 0x1_1f80);
        t.bus.write(XSTATE_BV, 8, 3);
        t.cpu.state().fcw = 0x1234;
        assertThat(t.fault()).containsExactly(GP, 0);
        assertThat(t.cpu.state().fcw).isEqualTo(0x1234);
        assertThat(t.cpu.state().mxcsr).isEqualTo(CpuState.MXCSR_INIT);
    }

    @Test
    void pageFaultBeforeAnyChange() {
        // 0f ae 23 xsave [rbx] / 0f ae 2b xrstor [rbx] with the area's last 512 bytes on an unmapped 2 MiB page
        for (String insn : new String[] {"0f ae 23", "0f ae 2b"}) {
            TestCpu t = xs(TestCpu.long64().code(insn), 3, 3).reg(Reg.RBX, 0x1f_ffc0L);
            t.bus.write(TestCpu.PAGING + 0x2000 + 8, 8, 0); // PDE for 0x200000-0x3fffff: not present
            t.cpu.mmu().flushAll();
            t.bus.write(0x1f_ffc0L, 2, 0x0262);
            fill(t.cpu.state());
            var before = t.cpu.state().copy();
            assertThat(t.fault()[0]).as(insn).isEqualTo(PF);
            assertThat(t.bus.read(0x1f_ffc0L, 2)).as(insn + " memory").isEqualTo(0x0262);
            before.rip = t.cpu.state().rip;
            before.cr2 = t.cpu.state().cr2;
            assertThat(t.cpu.state().fcw).as(insn + " FCW").isEqualTo(0x027f);
            assertThat(t.cpu.state().xmm).as(insn + " XMM").isEqualTo(before.xmm);
        }
        // 0f ae 23   xsave [rbx] with the header on a present, read-only page (CR0.WP = 1): the header is
        // readable, yet nothing may be stored in the first, writable page before the #PF
        TestCpu t = xs(TestCpu.long64().code("0f ae 23"), 3, 3).reg(Reg.RBX, 0x1f_ffc0L);
        t.bus.write(TestCpu.PAGING + 0x2000 + 8, 8, 0x20_0000L | 0x85); // P, no R/W, PS
        t.cpu.state().cr0 |= 1L << 16;
        t.cpu.mmu().flushAll();
        fill(t.cpu.state());
        assertThat(t.fault()[0]).isEqualTo(PF);
        assertThat(t.bus.read(0x1f_ffc0L, 2)).isZero();
    }

    @Test
    void protectedMode32UsesXmm0To7AndLegacyPointerFormat() {
        // 0f ae 23   xsave [ebx] ; 0f ae 2b   xrstor [ebx]   (32-bit protected mode)
        TestCpu t = xs(TestCpu.protectedFlat(32).code("0f ae 23 0f ae 2b"), 3, 3).reg(Reg.RBX, A);
        var s = t.cpu.state();
        fill(s);
        t.bus.write(A + 160 + 8 * 16, 8, 0x5555); // XMM8 slot: not part of the area outside 64-bit mode
        t.step(1);
        assertThat(t.events).isEmpty();
        assertThat(t.bus.read(A + 8, 4)).as("FIP[31:0]").isEqualTo(0x2345_6789L);
        assertThat(t.bus.read(A + 12, 4)).as("FCS").isEqualTo(0x08);
        assertThat(t.bus.read(A + 16, 4)).as("FDP[31:0]").isEqualTo(0x8765_4320L);
        assertThat(t.bus.read(A + 20, 4)).as("FDS").isEqualTo(0x10);
        assertThat(t.bus.read(A + 160 + 7 * 16, 8)).isEqualTo(s.xmm[14]);
        assertThat(t.bus.read(A + 160 + 8 * 16, 8)).isEqualTo(0x5555);
        assertThat(t.bus.read(XSTATE_BV, 8)).isEqualTo(3);
        // XRSTOR with XSTATE_BV = 1: XMM0-7 zeroed, XMM8-15 untouched
        t.bus.write(XSTATE_BV, 8, 1);
        s.fcs = 0;
        t.step(1);
        assertThat(t.events).isEmpty();
        assertThat(s.fcs).isEqualTo(0x08);
        assertThat(s.fip).isEqualTo(0x2345_6789L);
        for (int i = 0; i < 16; i++) {
            assertThat(s.xmm[i]).as("XMM%d low/high", i / 2).isZero();
        }
        assertThat(s.xmm[16]).as("XMM8").isEqualTo(0x1111_0000_0000_0010L);
    }

    @Test
    void xsave64VersusXsavePointerFormats() {
        // 0f ae 23   xsave [rbx] in 64-bit mode: 32-bit FIP with FCS ; 48 0f ae 23 xsave64: 64-bit FIP/FDP
        TestCpu t = xs(TestCpu.long64().code("0f ae 23"), 3, 1).reg(Reg.RBX, A);
        fill(t.cpu.state());
        t.step(1);
        assertThat(t.bus.read(A + 8, 4)).isEqualTo(0x2345_6789L);
        assertThat(t.bus.read(A + 12, 4)).isEqualTo(0x08);
        assertThat(t.bus.read(A + 16, 4)).isEqualTo(0x8765_4320L);
        t = xs(TestCpu.long64().code("48 0f ae 23"), 3, 1).reg(Reg.RBX, A);
        fill(t.cpu.state());
        t.step(1);
        assertThat(t.bus.read(A + 8, 8)).isEqualTo(0x1_2345_6789L);
        assertThat(t.bus.read(A + 16, 8)).isEqualTo(0x9_8765_4320L);
        // 48 0f ae 2b xrstor64 [rbx]: 64-bit FDP ; 0f ae 2b xrstor [rbx]: 32-bit FDP and FDS
        t = xs(TestCpu.long64().code("48 0f ae 2b 0f ae 2b"), 3, 1).reg(Reg.RBX, A);
        t.bus.write(A + 16, 8, 0x0000_0010_aaaa_bbbbL);
        t.bus.write(XSTATE_BV, 8, 1);
        t.step(1);
        assertThat(t.cpu.state().fdp).isEqualTo(0x0000_0010_aaaa_bbbbL);
        assertThat(t.cpu.state().fds).isZero();
        t.step(1);
        assertThat(t.cpu.state().fdp).isEqualTo(0xaaaa_bbbbL);
        assertThat(t.cpu.state().fds).isEqualTo(0x10);
    }

    @Test
    void unsupportedVariantsAreUndefined() {
        // 0f ae 33 xsaveopt [rbx] ; 0f c7 23 xsavec [rbx] ; 0f c7 2b xsaves [rbx] ; 0f c7 1b xrstors [rbx]
        for (String insn : new String[] {"0f ae 33", "0f c7 23", "0f c7 2b", "0f c7 1b"}) {
            TestCpu t = xs(TestCpu.long64().code(insn), 3, 3).reg(Reg.RBX, A);
            assertThat(t.fault()).as(insn).containsExactly(UD, -1);
        }
    }

    @Test
    void cpuidDescribesTheModelledArea() {
        // 0f a2 cpuid: leaf 0DH.0 EAX = x87|SSE, EBX = ECX = area size; leaf 0DH.1 EAX = 0 (no
        // XSAVEOPT/XSAVEC/XGETBV1/XSAVES); leaf 1 ECX[26] XSAVE = 1 and ECX[27] = CR4.OSXSAVE
        for (String profile : new String[] {"intel-core", "amd-zen"}) {
            TestCpu t = TestCpu.long64(profile).code("0f a2 0f a2 0f a2").reg(Reg.RAX, 0xd).reg(Reg.RCX, 0);
            t.step(1);
            assertThat(t.reg(Reg.RAX)).as(profile).isEqualTo(XSave.X87 | XSave.SSE);
            assertThat(t.reg(Reg.RDX)).as(profile).isZero();
            assertThat(t.reg(Reg.RBX)).as(profile).isEqualTo(XSave.AREA_SIZE);
            assertThat(t.reg(Reg.RCX)).as(profile).isEqualTo(XSave.AREA_SIZE);
            t.reg(Reg.RAX, 0xd).reg(Reg.RCX, 1).step(1);
            assertThat(t.reg(Reg.RAX)).as(profile).isZero();
            t.cpu.state().cr4 |= Cpu.CR4_OSXSAVE;
            t.reg(Reg.RAX, 1).reg(Reg.RCX, 0).step(1);
            assertThat(t.reg(Reg.RCX) >>> 26 & 3).as(profile).isEqualTo(3);
        }
    }
}
