package dev.hvsim.x86core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.testing.TestCpu;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Mode transitions as a guest performs them (SDM Vol. 3A 10.9 switching to protected mode, 4.1.2 paging
 * modes, 10.8.5 initializing IA-32e mode, 10.8.5.4 leaving it, 20.2-20.3 virtual-8086 entry and exit):
 * real -> protected (CR0.PE, far JMP) -> 32-bit paging with 4 MiB pages -> PAE paging -> IA-32e
 * (EFER.LME, CR0.PG: LMA) -> 64-bit code (far JMP to L = 1) -> compatibility mode -> paging off
 * (IA-32e left). Each paging mode reads a marker through a mapping that is not the identity.
 */
class ModeTransitionTest {
    static final long MARKER = 0xcafe_f00dL;

    private static String le32(long v) {
        return String.format("%02x %02x %02x %02x", v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff);
    }

    private static int len(List<String> insns) {
        int n = 0;
        for (String s : insns) {
            n += s.replace(" ", "").length() / 2;
        }
        return n;
    }

    private static TestCpu machine() {
        TestCpu t = TestCpu.real();
        t.gdt(1, 0x00cf9b000000ffffL).gdt(2, 0x00cf93000000ffffL).gdt(3, 0x00af9b000000ffffL);
        t.cpu.state().gdtrBase = 0;
        t.cpu.state().gdtrLimit = 0xffff;
        t.bus.write(0x100, 2, 0x1f);          // LGDT operand: limit, base 0x800
        t.bus.write(0x102, 4, TestCpu.GDT);
        t.bus.write(0x4000, 4, 0x83);         // 32-bit PD: 4 MiB identity, then 4 MiB -> 8 MiB
        t.bus.write(0x4004, 4, 0x80_0083L);
        t.bus.write(0x5000, 8, 0x7001);       // PAE PDPT
        t.bus.write(0x7000, 8, 0x83);         // PD: 2 MiB pages 0-4 MiB identity, 4 MiB -> 8 MiB
        t.bus.write(0x7008, 8, 0x20_0083L);
        t.bus.write(0x7010, 8, 0x80_0083L);
        t.bus.write(0x6000, 8, 0x8003);       // PML4 -> PDPT 0x8000 -> the same PD
        t.bus.write(0x8000, 8, 0x7003);
        t.bus.write(0x80_0000L, 4, MARKER);
        return t;
    }

    @Test
    void realToProtectedToPagingToLongModeAndBack() {
        TestCpu t = machine();
        List<String> real = List.of("0f 01 16 00 01", "0f 20 c0", "66 83 c8 01", "0f 22 c0", "66 ea XXXXXXXX 08 00");
        int realLen = len(real);
        List<String> p = new ArrayList<>(real);
        p.set(4, "66 ea " + le32(TestCpu.CODE + realLen) + " 08 00");
        List<String> prot = List.of("b8 10 00 00 00", "8e d8", "8e d0", "8e c0",
                // 32-bit paging with PSE
                "b8 00 40 00 00", "0f 22 d8", "0f 20 e0", "83 c8 10", "0f 22 e0", "0f 20 c0", "0d 00 00 00 80",
                "0f 22 c0", "8b 1d 00 00 40 00", "0f 20 c0", "25 ff ff ff 7f", "0f 22 c0",
                // PAE paging
                "b8 00 50 00 00", "0f 22 d8", "0f 20 e0", "83 c8 20", "0f 22 e0", "0f 20 c0", "0d 00 00 00 80",
                "0f 22 c0", "8b 0d 00 00 40 00", "0f 20 c0", "25 ff ff ff 7f", "0f 22 c0",
                // IA-32e: CR3, EFER.LME, CR0.PG
                "b8 00 60 00 00", "0f 22 d8", "b9 80 00 00 c0", "0f 32", "0d 00 01 00 00", "0f 30", "0f 20 c0",
                "0d 00 00 00 80", "0f 22 c0");
        p.addAll(prot);
        long far64 = TestCpu.CODE + len(p) + 7;
        p.add("ea " + le32(far64) + " 18 00");
        p.add("48 8b 14 25 00 00 40 00"); // mov rdx, [0x400000]
        p.add("ff 2c 25 " + le32(TestCpu.DATA)); // jmp far [DATA] -> 0x08:compat
        long compat = TestCpu.CODE + len(p);
        t.bus.write(TestCpu.DATA, 4, compat);
        t.bus.write(TestCpu.DATA + 4, 2, 0x08);
        p.addAll(List.of("0f 20 c0", "25 ff ff ff 7f", "0f 22 c0", "f4"));
        t.code(String.join(" ", p));

        int at = 0;
        at = stepTo(t, at, 4);
        assertThat(t.cpu.protectedMode()).isTrue();
        assertThat(t.cpu.codeSize()).isEqualTo(16);
        at = stepTo(t, at, 5);
        assertThat(t.cpu.codeSize()).isEqualTo(32);
        at = stepTo(t, at, 5 + 4 + 8);
        assertThat(t.cpu.pagingEnabled()).isTrue();
        assertThat(t.cpu.cr4(Cpu.CR4_PSE)).isTrue();
        at = stepTo(t, at, 5 + 4 + 9);
        assertThat(t.reg(Reg.RBX)).isEqualTo(MARKER);
        at = stepTo(t, at, 5 + 4 + 12 + 8);
        assertThat(t.cpu.mmu().pdpte[0]).isEqualTo(0x7001);
        at = stepTo(t, at, 5 + 4 + 12 + 9);
        assertThat(t.reg(Reg.RCX)).isEqualTo(MARKER);
        at = stepTo(t, at, 5 + 4 + 24 + 9);
        assertThat(t.cpu.longMode()).isTrue();
        assertThat(t.cpu.state().efer & Cpu.EFER_LMA).isNotZero();
        assertThat(t.cpu.codeSize()).isEqualTo(32); // compatibility mode until the far jump
        at = stepTo(t, at, 5 + 4 + 24 + 10);
        assertThat(t.cpu.codeSize()).isEqualTo(64);
        at = stepTo(t, at, 5 + 4 + 24 + 11);
        assertThat(t.reg(Reg.RDX)).isEqualTo(MARKER);
        at = stepTo(t, at, 5 + 4 + 24 + 12);
        assertThat(t.cpu.codeSize()).isEqualTo(32);
        assertThat(t.cpu.longMode()).isTrue();
        assertThat(t.runToHlt()).isEqualTo(StopReason.HALTED);
        assertThat(t.cpu.longMode()).isFalse();
        assertThat(t.cpu.pagingEnabled()).isFalse();
        assertThat(t.cpu.protectedMode()).isTrue();
        assertThat(t.events).isEmpty();
    }

    private static int stepTo(TestCpu t, int at, int target) {
        t.step(target - at);
        assertThat(t.events).as("no fault before instruction %d", target).isEmpty();
        return target;
    }

    @Test
    void virtual8086EnteredByIretAndLeftByInterrupt() {
        // ring 0: cf (iretd with VM = 1, IOPL 3) -> v8086 code at 0x2000:0: cd 21 (int 0x21) -> handler: cf (iretd back)
        TestCpu t = TestCpu.protectedFlat(32).code("cf").idt32(0x21, 0x08, 0x11000, 0xe, 3).tss32(0x40000, 0x10)
                .mem(0x20000, "cd 21").mem(0x11000, "cf");
        long[] frame = {0, 0x2000, Flags.VM | Flags.IOPL | 0x202, 0xfff0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
        for (int i = 0; i < frame.length; i++) {
            t.bus.write(TestCpu.STACK + 4L * i, 4, frame[i]);
        }
        t.step(1);
        assertThat(t.cpu.v86()).isTrue();
        t.step(1);
        assertThat(t.cpu.v86()).isFalse();
        assertThat(t.cpu.cpl()).isZero();
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x40000 - 36);
        long[] pushed = {2, 0x2000, Flags.VM | Flags.IOPL | 0x202, 0xfff0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
        for (int i = 0; i < pushed.length; i++) {
            assertThat(t.bus.read(0x40000 - 36 + 4L * i, 4)).as("slot %d", i).isEqualTo(pushed[i]);
        }
        assertThat(t.cpu.state().seg[Reg.DS].selector).isZero();
        assertThat(t.cpu.state().seg[Reg.GS].unusable()).isTrue();
        assertThat(t.cpu.state().flagsRest & (Flags.VM | Flags.IF)).isZero();
        t.step(1); // iretd from the handler returns to virtual-8086 mode with the segments restored
        assertThat(t.cpu.v86()).isTrue();
        assertThat(t.cpu.state().rip).isEqualTo(2);
        assertThat(t.cpu.state().seg[Reg.DS].base).isEqualTo(0x50000);
        assertThat(t.cpu.state().seg[Reg.GS].base).isEqualTo(0x70000);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0xfff0);
    }
}
