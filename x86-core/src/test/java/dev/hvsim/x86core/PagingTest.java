package dev.hvsim.x86core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.testing.TestCpu;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 4-level paging with 4 KiB pages (SDM Vol. 3A 4.5-4.7, 4.10): #PF error codes and CR2, A/D updates, WP,
 * U/S, NX, reserved bits, SMEP, SMAP (with and without AC), protection keys, global pages, INVLPG,
 * INVPCID and 1 GiB pages. 32-bit and PAE paging are covered by {@link ModeTransitionTest}.
 */
class PagingTest {
    static final long LIN = 0x4000_0000L, PT = 0x18_0000L, PAGE = 0x19_0000L, OTHER = 0x19_1000L;
    static final int P = 1, W = 2, U = 4, RSVD = 8, I = 16, PK = 32;

    /** 64-bit mode with linear 0x4000_0000 mapped by a 4 KiB page table; PTE 0 gets the given flags. */
    private static TestCpu mapped(long pteFlags) {
        TestCpu t = TestCpu.long64();
        t.bus.write(TestCpu.PAGING + 0x3000, 8, PT | 7); // PD for 1..2 GiB, entry 0 -> PT
        t.bus.write(PT, 8, PAGE | pteFlags);
        t.bus.write(PAGE, 4, 0x1111_1111L);
        t.bus.write(OTHER, 4, 0x2222_2222L);
        t.cpu.mmu().flushAll();
        return t;
    }

    /** ff 2b   jmp far [rbx] with the far pointer 0x18:LIN at DATA (the fetch happens on the next step). */
    private static TestCpu farJump(TestCpu t) {
        t.bus.write(TestCpu.DATA, 4, LIN);
        t.bus.write(TestCpu.DATA + 4, 2, 0x18);
        return t.code("ff 2b").reg(Reg.RBX, TestCpu.DATA);
    }

    /** 8b 03   mov eax, [rbx] */
    private static int[] read(TestCpu t) {
        return t.code("8b 03").reg(Reg.RBX, LIN).fault();
    }

    /** 89 03   mov [rbx], eax */
    private static int[] write(TestCpu t) {
        return t.code("89 03").reg(Reg.RBX, LIN).fault();
    }

    @Test
    void notPresentAndCr2() {
        TestCpu t = mapped(0);
        assertThat(read(t)).containsExactly(14, 0);
        assertThat(t.cpu.state().cr2).isEqualTo(LIN);
        t = mapped(0).user();
        assertThat(write(t)).containsExactly(14, W | U);
    }

    @Test
    void writeProtectAndUserSupervisor() {
        assertThat(write(mapped(P | U))).isNull(); // CR0.WP = 0: supervisor may write read-only pages
        TestCpu t = mapped(P | U);
        t.cpu.state().cr0 |= Cpu.CR0_WP;
        assertThat(write(t)).containsExactly(14, P | W);
        assertThat(read(mapped(P | W).user())).containsExactly(14, P | U);
        assertThat(write(mapped(P | U).user())).containsExactly(14, P | W | U);
        assertThat(write(mapped(P | W | U).user())).isNull();
    }

    @Test
    void accessedAndDirty() {
        TestCpu t = mapped(P | W);
        read(t);
        assertThat(t.bus.read(PT, 8) & 0x60).isEqualTo(0x20);
        write(t);
        assertThat(t.bus.read(PT, 8) & 0x60).isEqualTo(0x60);
        assertThat(t.bus.read(TestCpu.PAGING + 0x3000, 8) & 0x20).isEqualTo(0x20);
    }

    @Test
    void nxFetchAndReservedBits() {
        // ff 2b   jmp far [rbx] (0x18:LIN) -> fetch from an NX page (EFER.NXE = 1): P | I
        TestCpu t = farJump(mapped(P | W | 1L << 63));
        t.cpu.state().efer |= Cpu.EFER_NXE;
        t.step(1);
        assertThat(t.fault()).containsExactly(14, P | I);
        assertThat(t.cpu.state().cr2).isEqualTo(LIN);
        // NX bit with EFER.NXE = 0 is reserved
        assertThat(read(mapped(P | 1L << 63))).containsExactly(14, P | RSVD);
        // a physical-address bit above MAXPHYADDR (39 on intel-core)
        assertThat(read(mapped(P | 1L << 45))).containsExactly(14, P | RSVD);
        assertThat(read(mapped(P | 1L << 45).user())).containsExactly(14, P | RSVD | U);
    }

    @Test
    void smepAndSmap() {
        // SMEP: supervisor fetch from a user page
        TestCpu t = farJump(mapped(P | U));
        t.cpu.state().cr4 |= Cpu.CR4_SMEP;
        t.step(1);
        assertThat(t.fault()).containsExactly(14, P | I);
        // SMAP: supervisor data read of a user page faults unless RFLAGS.AC = 1
        t = mapped(P | W | U);
        t.cpu.state().cr4 |= Cpu.CR4_SMAP;
        assertThat(read(t)).containsExactly(14, P);
        t = mapped(P | W | U);
        t.cpu.state().cr4 |= Cpu.CR4_SMAP;
        t.cpu.state().flagsRest |= Flags.AC;
        assertThat(read(t)).isNull();
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x1111_1111L);
        assertThat(write(t)).isNull();
    }

    @Test
    void protectionKeys() {
        long key1 = 1L << 59;
        // PKRU: AD for key 1 -> user read faults with PK
        TestCpu t = mapped(P | W | U | key1).user();
        t.cpu.state().cr4 |= Cpu.CR4_PKE;
        t.cpu.state().pkru = 0b0100;
        assertThat(read(t)).containsExactly(14, P | U | PK);
        // WD for key 1: user read ok, user write faults; supervisor write faults only with CR0.WP
        t = mapped(P | W | U | key1).user();
        t.cpu.state().cr4 |= Cpu.CR4_PKE;
        t.cpu.state().pkru = 0b1000;
        assertThat(read(t)).isNull();
        assertThat(write(t)).containsExactly(14, P | W | U | PK);
        t = mapped(P | W | U | key1);
        t.cpu.state().cr4 |= Cpu.CR4_PKE;
        t.cpu.state().pkru = 0b1000;
        assertThat(write(t)).isNull();
        t = mapped(P | W | U | key1);
        t.cpu.state().cr4 |= Cpu.CR4_PKE;
        t.cpu.state().cr0 |= Cpu.CR0_WP;
        t.cpu.state().pkru = 0b1000;
        assertThat(write(t)).containsExactly(14, P | W | PK);
        // key 0 untouched
        t = mapped(P | W | U).user();
        t.cpu.state().cr4 |= Cpu.CR4_PKE;
        t.cpu.state().pkru = 0b1100;
        assertThat(write(t)).isNull();
    }

    /** Reads LIN with the TLB warm, retargets the PTE to OTHER behind its back, runs {@code between}, reads again. */
    private static long staleRead(TestCpu t, long pteFlags, String between, long rax) {
        List<Long> seen = new ArrayList<>();
        read(t);
        seen.add(t.reg(Reg.RAX));
        t.bus.write(PT, 8, OTHER | pteFlags);
        if (between != null) {
            t.code(between).reg(Reg.RAX, rax).reg(Reg.RBX, LIN).step(1);
        }
        read(t);
        return t.reg(Reg.RAX);
    }

    @Test
    void tlbStalenessInvlpgAndInvpcid() {
        // without invalidation the old translation is used
        assertThat(staleRead(mapped(P | W), P | W, null, 0)).isEqualTo(0x1111_1111L);
        // 0f 01 3b   invlpg [rbx]
        assertThat(staleRead(mapped(P | W), P | W, "0f 01 3b", 0)).isEqualTo(0x2222_2222L);
        // 66 0f 38 82 03   invpcid rax, [rbx] with type 0 and the descriptor {pcid 0, LIN} at DATA
        TestCpu t = mapped(P | W);
        t.bus.write(TestCpu.DATA, 8, 0);
        t.bus.write(TestCpu.DATA + 8, 8, LIN);
        read(t);
        t.bus.write(PT, 8, OTHER | P | W);
        t.code("66 0f 38 82 03").reg(Reg.RAX, 0).reg(Reg.RBX, TestCpu.DATA).step(1);
        read(t);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x2222_2222L);
        // INVPCID checks: type > 3, descriptor bits 63:12, PCID without PCIDE
        int[][] bad = {{4, 0}, {0, 0x1000}, {1, 5}};
        for (int[] b : bad) {
            t = mapped(P | W);
            t.bus.write(TestCpu.DATA, 8, b[1]);
            t.bus.write(TestCpu.DATA + 8, 8, LIN);
            assertThat(t.code("66 0f 38 82 03").reg(Reg.RAX, b[0]).reg(Reg.RBX, TestCpu.DATA).fault())
                    .as("type %d desc %x", b[0], b[1]).containsExactly(13, 0);
        }
    }

    @Test
    void globalPagesSurviveCr3Writes() {
        // 0f 22 d8   mov cr3, rax (same tables): non-global entries are dropped, global ones stay
        TestCpu t = mapped(P | W);
        assertThat(staleRead(t, P | W, "0f 22 d8", TestCpu.PAGING)).isEqualTo(0x2222_2222L);
        t = mapped(P | W | 0x100);
        t.cpu.state().cr4 |= Cpu.CR4_PGE;
        assertThat(staleRead(t, P | W | 0x100, "0f 22 d8", TestCpu.PAGING)).isEqualTo(0x1111_1111L);
        // toggling CR4.PGE flushes everything: 0f 22 e0   mov cr4, rax
        t = mapped(P | W | 0x100);
        t.cpu.state().cr4 |= Cpu.CR4_PGE;
        assertThat(staleRead(t, P | W | 0x100, "0f 22 e0", 0x20)).isEqualTo(0x2222_2222L);
    }

    @Test
    void oneGigabytePagesOnlyWithPage1Gb() {
        // PDPT entry 1 as a 1 GiB page to physical 0 (PS = 1)
        TestCpu t = TestCpu.long64();
        t.bus.write(TestCpu.PAGING + 0x1000 + 8, 8, 0x83);
        t.bus.write(0x123, 4, 0xabcd);
        t.cpu.mmu().flushAll();
        assertThat(t.code("8b 03").reg(Reg.RBX, LIN + 0x123).fault()).isNull();
        assertThat(t.reg(Reg.RAX)).isEqualTo(0xabcd);
        // a profile without PAGE1GB (CPUID 8000_0001:EDX[26] = 0): PS in a PDPTE is reserved
        CpuProfile p = CpuProfile.load("intel-core");
        List<CpuProfile.CpuidLeaf> leaves = new ArrayList<>();
        for (CpuProfile.CpuidLeaf l : p.cpuid()) {
            leaves.add(l.leaf() == 0x80000001L
                    ? new CpuProfile.CpuidLeaf(l.leafHex(), l.subleaf(), l.eax(), l.ebx(), l.ecx(), "0x28100800") : l);
        }
        CpuProfile no1g = new CpuProfile("no1g", p.vendor(), "test", p.maxPhysAddr(), leaves, p.latency(),
                p.pageWalkReference(), p.tscPerCycle());
        t = TestCpu.long64(no1g);
        t.bus.write(TestCpu.PAGING + 0x1000 + 8, 8, 0x83);
        t.cpu.mmu().flushAll();
        assertThat(t.code("8b 03").reg(Reg.RBX, LIN).fault()).containsExactly(14, P | RSVD);
    }
}
