package dev.hvsim.x86core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.fault.VmExitSignal;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@link SecondStage} wiring in {@link Mmu}: every guest paging-structure read and A/D write, every
 * PDPTE load and the final guest-physical address go through the installed second stage; the TLB caches
 * final translations limited to what the second stage allows; a refusal ends the instruction as a VM
 * exit carrying the second stage's record. Uses fakes: one that adds an offset, one that refuses a page.
 */
class SecondStageWiringTest {
    static final long OFF = 0x4000_0000L;

    /** One call of {@link SecondStage#translate}. */
    record Call(long gpa, int access, int flags, long linear) {
        boolean pagingStructure() { return (flags & SecondStage.PAGING_STRUCTURE) != 0; }
        boolean linearValid() { return (flags & SecondStage.LINEAR_VALID) != 0; }
    }

    /** Adds {@link #OFF} to every guest-physical address, records every call, charges 4 references each. */
    static class Offset implements SecondStage {
        final List<Call> calls = new ArrayList<>();
        final Cpu cpu;
        int allowed;
        long refusePage = -1;

        Offset(Cpu cpu, int allowed) {
            this.cpu = cpu;
            this.allowed = allowed;
        }

        @Override
        public long translate(long gpa, int access, int flags, long linear) {
            Call c = new Call(gpa, access, flags, linear);
            calls.add(c);
            cpu.mmu().chargeWalkReferences(4);
            if ((gpa >>> 12) == refusePage) {
                throw new VmExitSignal(c);
            }
            return gpa + OFF;
        }

        @Override
        public int lastAllowed() {
            return allowed;
        }

        @Override
        public long probe(long gpa) {
            return (gpa >>> 12) == refusePage ? -1 : gpa + OFF;
        }
    }

    /** Copies guest-physical [0, 0x110000) (code, data, stack, GDT, page tables) to host-physical + OFF. */
    private static void shadow(TestCpu t) {
        for (long a = 0; a < 0x110000; a += 8) {
            t.bus.write(a + OFF, 8, t.bus.read(a, 8));
        }
    }

    private static TestCpu long64With(Offset[] out, int allowed, String code) {
        TestCpu t = TestCpu.long64().code(code).reg(Reg.RBX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 4, 0x1111_1111L);
        shadow(t);
        t.bus.write(TestCpu.DATA + OFF, 4, 0x2222_2222L);
        out[0] = new Offset(t.cpu, allowed);
        t.cpu.setSecondStage(out[0]);
        return t;
    }

    @Test
    void everyWalkReadAndTheFinalAccessGoThroughTheSecondStage() {
        Offset[] ss = new Offset[1];
        // 8b 03   mov eax, [rbx]
        TestCpu t = long64With(ss, SecondStage.ALLOW_READ | SecondStage.ALLOW_WRITE | SecondStage.ALLOW_EXEC, "8b 03");
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x2222_2222L); // read from host-physical DATA + OFF
        // fetch: PML4E, PDPTE, PDE reads (paging-structure, linear valid), then the final fetch address
        List<Call> fetch = ss[0].calls.subList(0, 4);
        assertThat(fetch).extracting(Call::gpa).containsExactly(TestCpu.PAGING, TestCpu.PAGING + 0x1000,
                TestCpu.PAGING + 0x2000, TestCpu.CODE);
        assertThat(fetch.subList(0, 3)).allMatch(c -> c.pagingStructure() && c.linearValid() && c.access() == SecondStage.READ
                && c.linear() == TestCpu.CODE);
        assertThat(fetch.get(3)).matches(c -> !c.pagingStructure() && c.linearValid() && c.access() == SecondStage.EXEC);
        Call last = ss[0].calls.get(ss[0].calls.size() - 1);
        assertThat(last).isEqualTo(new Call(TestCpu.DATA, SecondStage.READ, SecondStage.LINEAR_VALID
                | SecondStage.GUEST_WRITABLE_PAGE | SecondStage.GUEST_USER_PAGE, TestCpu.DATA));
        // A bits were set in the host-physical copies of the guest tables, not at the guest-physical addresses
        assertThat(t.bus.read(TestCpu.PAGING + OFF, 8) & 0x20).isEqualTo(0x20);
        assertThat(t.bus.read(TestCpu.PAGING, 8) & 0x20).isZero();
        // 4 guest levels... 3 here (2 MiB pages) per walk plus 4 charged per second-stage call
        assertThat(t.cpu.mmu().walkReferences()).isEqualTo(2 * 3 + 4L * ss[0].calls.size());
    }

    @Test
    void tlbHitsDoNotReachTheSecondStage() {
        Offset[] ss = new Offset[1];
        // 8b 03   mov eax, [rbx]  ;  8b 03   mov eax, [rbx]
        TestCpu t = long64With(ss, SecondStage.ALLOW_READ | SecondStage.ALLOW_WRITE | SecondStage.ALLOW_EXEC, "8b 03 8b 03");
        t.step(1);
        int n = ss[0].calls.size();
        t.step(1);
        assertThat(ss[0].calls).hasSize(n);
    }

    @Test
    void theTlbCachesOnlyWhatTheSecondStageAllows() {
        Offset[] ss = new Offset[1];
        // 8b 03   mov eax, [rbx]  ;  89 03   mov [rbx], eax
        TestCpu t = long64With(ss, 0, "8b 03 89 03");
        t.step(1);
        int n = ss[0].calls.size();
        t.step(1);
        // the write missed the TLB although the guest PDE allows writes: the second stage saw it
        assertThat(ss[0].calls.subList(n, ss[0].calls.size())).anyMatch(c -> c.gpa() == TestCpu.DATA
                && c.access() == SecondStage.WRITE && !c.pagingStructure());
        assertThat(t.bus.read(TestCpu.DATA + OFF, 4)).isEqualTo(0x2222_2222L);
    }

    @Test
    void guestAccessedDirtyWritesArePagingStructureWrites() {
        Offset[] ss = new Offset[1];
        // 89 03   mov [rbx], eax
        TestCpu t = long64With(ss, SecondStage.ALLOW_READ, "89 03").reg(Reg.RAX, 0x3333_3333L);
        t.step(1);
        assertThat(ss[0].calls).anyMatch(c -> c.gpa() == TestCpu.PAGING + 0x2000 && c.pagingStructure()
                && c.access() == SecondStage.WRITE);
        long pde = t.bus.read(TestCpu.PAGING + 0x2000 + OFF, 8);
        assertThat(pde & 0x60).isEqualTo(0x60); // A and D in the leaf (2 MiB PDE 0 maps DATA)
        assertThat(t.bus.read(TestCpu.DATA + OFF, 4)).isEqualTo(0x3333_3333L);
    }

    @Test
    void refusalOnAGuestPagingStructureAccessIsAVmExit() {
        Offset[] ss = new Offset[1];
        TestCpu t = long64With(ss, SecondStage.ALLOW_READ, "8b 03");
        ss[0].refusePage = (TestCpu.PAGING + 0x2000) >>> 12; // the page directory
        assertThat(t.step(1)).isEqualTo(StopReason.VM_EXIT);
        Call c = (Call) t.cpu.lastVmExit();
        assertThat(c).isEqualTo(new Call(TestCpu.PAGING + 0x2000, SecondStage.READ,
                SecondStage.PAGING_STRUCTURE | SecondStage.LINEAR_VALID, TestCpu.CODE));
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE);
        assertThat(t.cpu.instructions()).isZero();
    }

    @Test
    void refusalOnTheFinalAccessIsAVmExit() {
        Offset[] ss = new Offset[1];
        TestCpu t = long64With(ss, SecondStage.ALLOW_READ, "8b 03");
        ss[0].refusePage = TestCpu.DATA >>> 12;
        assertThat(t.step(1)).isEqualTo(StopReason.VM_EXIT);
        Call c = (Call) t.cpu.lastVmExit();
        assertThat(c.gpa()).isEqualTo(TestCpu.DATA);
        assertThat(c.pagingStructure()).isFalse();
        assertThat(c.linearValid()).isTrue();
        assertThat(c.access()).isEqualTo(SecondStage.READ);
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE);
        assertThat(t.reg(Reg.RAX)).isZero();
    }

    @Test
    void pagingOffGoesThroughTheSecondStage() {
        TestCpu t = TestCpu.protectedFlat(32).code("8b 03").reg(Reg.RBX, TestCpu.DATA); // mov eax, [ebx]
        shadow(t);
        t.bus.write(TestCpu.DATA + OFF, 4, 0x4444_4444L);
        Offset ss = new Offset(t.cpu, 0);
        t.cpu.setSecondStage(ss);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x4444_4444L);
        assertThat(ss.calls).extracting(Call::gpa).containsExactly(TestCpu.CODE, TestCpu.DATA);
        assertThat(ss.calls).noneMatch(Call::pagingStructure).allMatch(Call::linearValid);
        assertThat(t.cpu.mmu().probe(TestCpu.DATA)).isEqualTo(TestCpu.DATA + OFF);
    }

    @Test
    void pdpteLoadsAreGuestPagingStructureReadsWithoutALinearAddress() {
        TestCpu t = TestCpu.protectedFlat(32);
        Offset ss = new Offset(t.cpu, 0);
        t.cpu.setSecondStage(ss);
        t.bus.write(0x5000 + OFF, 8, 0x6001);
        t.cpu.mmu().loadPdptes(0x5000);
        assertThat(t.cpu.mmu().pdpte[0]).isEqualTo(0x6001);
        assertThat(ss.calls.get(0)).isEqualTo(new Call(0x5000, SecondStage.READ, SecondStage.PAGING_STRUCTURE, 0));
    }

    @Test
    void identityIsTheSameAsNone() {
        TestCpu t = TestCpu.long64().code("8b 03").reg(Reg.RBX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 4, 0x5555_5555L);
        t.cpu.setSecondStage(SecondStage.IDENTITY);
        assertThat(t.cpu.secondStage()).isSameAs(SecondStage.IDENTITY);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x5555_5555L);
        assertThat(t.cpu.mmu().probe(TestCpu.DATA)).isEqualTo(TestCpu.DATA);
        assertThat(t.cpu.mmu().walkReferences()).isEqualTo(2 * 3);
    }

    @Test
    void probeUsesTheSecondStageWithoutSideEffects() {
        Offset[] ss = new Offset[1];
        TestCpu t = long64With(ss, 0, "90");
        assertThat(t.cpu.mmu().probe(TestCpu.DATA + 0x10)).isEqualTo(TestCpu.DATA + 0x10 + OFF);
        assertThat(ss[0].calls).isEmpty();
        ss[0].refusePage = (TestCpu.PAGING + 0x1000) >>> 12;
        assertThat(t.cpu.mmu().probe(TestCpu.DATA)).isEqualTo(-1);
    }
}
