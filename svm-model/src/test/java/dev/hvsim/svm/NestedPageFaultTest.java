package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.svm.NptLayout.Size;
import dev.hvsim.x86core.Reg;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Nested page faults through real VMRUN (AMD APM Vol. 2 15.25.5 "Nested Table Walk", 15.25.6 "Nested versus Guest
 * Page Faults, Fault Ordering"; svm-exit-codes.csv rows 0x400): #VMEXIT 0x400 with EXITINFO1 = P (0), RW (1), US
 * (2, always: nested walks are user accesses), RSV (3), ID (4), bit 32 (final guest-physical address) or bit 33
 * (guest page-table access), EXITINFO2 = the guest-physical address; guest CR2 untouched. Nested tables have the
 * host's long-mode format: an access needs P, US, RW for writes and XD = 0 for fetches at every level.
 */
class NestedPageFaultTest {
    static final long INFO_P = 1, INFO_RW = 2, INFO_US = 4, INFO_RSV = 8, INFO_ID = 16, FINAL = 1L << 32,
            GUEST_PT = 1L << 33;
    static final long GUEST_CR2 = 0xcafe000;

    enum Access { READ, WRITE, FETCH }

    enum Mutation { CLEAR_P, CLEAR_RW, CLEAR_US, SET_NX }

    /** Guest code at 0x200000 for each access to {@link NptLayout#L}, then VMMCALL (intercepted). */
    static String code(Access a) {
        switch (a) {
            case READ: return "48 8b 04 25 00 50 60 00 0f 01 d9";  // mov rax, [0x605000]; vmmcall
            case WRITE: return "48 89 04 25 00 50 60 00 0f 01 d9"; // mov [0x605000], rax; vmmcall
            default: return "48 c7 c0 00 50 60 00 ff e0";          // mov rax, 0x605000; jmp rax (VMMCALL there)
        }
    }

    static Stream<Arguments> grid() {
        List<Arguments> out = new ArrayList<>();
        for (Size size : Size.values()) {
            int leaf = size == Size.SIZE_4K ? 1 : size == Size.SIZE_2M ? 2 : 3;
            for (int level = 4; level >= leaf; level--) {
                for (Mutation m : Mutation.values()) {
                    for (Access a : Access.values()) {
                        for (int cpl : new int[] {0, 3}) {
                            out.add(Arguments.of(size, level, m, a, cpl));
                        }
                    }
                }
            }
        }
        return out.stream();
    }

    /** The APM's rule for one refused final access (15.25.5, 15.25.6), or -1 when the nested tables allow it. */
    static long expectedInfo1(Mutation m, Access a) {
        long access = (a == Access.WRITE ? INFO_RW : 0) | (a == Access.FETCH ? INFO_ID : 0);
        switch (m) {
            case CLEAR_P: return INFO_US | access | FINAL;                                  // not present
            case CLEAR_RW: return a == Access.WRITE ? INFO_P | INFO_US | access | FINAL : -1;
            case CLEAR_US: return INFO_P | INFO_US | access | FINAL;                        // nested walks are user
            default: return a == Access.FETCH ? INFO_P | INFO_US | access | FINAL : -1;     // XD
        }
    }

    static long mutate(long entry, Mutation m) {
        switch (m) {
            case CLEAR_P: return entry & ~1L;
            case CLEAR_RW: return entry & ~2L;
            case CLEAR_US: return entry & ~4L;
            default: return entry | NptLayout.NX;
        }
    }

    @ParameterizedTest(name = "{0} level {1} {2} {3} CPL {4}")
    @MethodSource("grid")
    void permissionGrid(Size size, int level, Mutation m, Access a, int cpl) {
        NptLayout g = new NptLayout(size);
        long at = g.entryAddress(level);
        g.t.bus.write(at, 8, mutate(g.t.bus.read(at, 8), m));
        g.h.w(V.CR2, 8, GUEST_CR2);
        g.h.w(V.RAX, 8, 0x0123_4567_89ab_cdefL);
        g.t.bus.write(g.hostData(), 3, 0xd9010f); // VMMCALL at the data page for the fetch
        long before = g.t.bus.read(g.hostData(), 8);
        SvmExit e = g.run(code(a), cpl);
        long info1 = expectedInfo1(m, a);
        if (info1 < 0) {
            assertThat(e.exitCode()).as("allowed: the guest reaches VMMCALL").isEqualTo(ExitCode.VMMCALL);
            if (a == Access.READ) {
                assertThat(g.h.q(V.RAX)).isEqualTo(before);
            } else if (a == Access.WRITE) {
                assertThat(g.t.bus.read(g.hostData(), 8)).isEqualTo(0x0123_4567_89ab_cdefL);
            } else {
                assertThat(g.h.q(V.RIP)).isEqualTo(NptLayout.L); // VMMCALL executed at the fetched page
            }
            return;
        }
        assertThat(e.exitCode()).isEqualTo(ExitCode.NPF);
        assertThat(e.exitInfo1()).as("EXITINFO1").isEqualTo(info1);
        assertThat(e.exitInfo2()).as("EXITINFO2").isEqualTo(NptLayout.D);
        assertThat(g.h.q(V.EXITCODE)).isEqualTo(0x400);
        assertThat(g.h.q(V.EXITINFO1)).isEqualTo(info1);
        assertThat(g.h.q(V.EXITINFO2)).isEqualTo(NptLayout.D);
        assertThat(g.h.q(V.CR2)).as("guest CR2 untouched").isEqualTo(GUEST_CR2);
        long faultingRip = a == Access.FETCH ? NptLayout.L : SvmHarness.GUEST_CODE;
        assertThat(g.h.q(V.RIP)).as("the faulting instruction is not executed").isEqualTo(faultingRip);
        assertThat(g.t.bus.read(g.hostData(), 8)).isEqualTo(before);
        assertThat(g.h.svm.inGuest()).isFalse();
        assertThat(g.h.cpu.longMode()).isTrue();
    }

    static Stream<Arguments> reservedBits() {
        List<Arguments> out = new ArrayList<>();
        for (Size size : Size.values()) {
            int leaf = size == Size.SIZE_4K ? 1 : size == Size.SIZE_2M ? 2 : 3;
            for (int level = 4; level >= leaf; level--) {
                for (Access a : Access.values()) {
                    out.add(Arguments.of(size, level, 51, a)); // above MAXPHYADDR (48): reserved at every level
                }
            }
        }
        for (Access a : Access.values()) {
            out.add(Arguments.of(Size.SIZE_4K, 4, 7, a));  // PS in a PML4E
            out.add(Arguments.of(Size.SIZE_2M, 2, 13, a)); // 2 MiB leaf bits 20:13
            out.add(Arguments.of(Size.SIZE_1G, 3, 29, a)); // 1 GiB leaf bits 29:13
        }
        return out.stream();
    }

    /** A reserved bit in a nested entry: P = 1, RSV = 1 (15.25.6), plus the access bits and bit 32. */
    @ParameterizedTest(name = "{0} level {1} bit {2} {3}")
    @MethodSource("reservedBits")
    void reservedBitAtEveryLevel(Size size, int level, int bit, Access a) {
        NptLayout g = new NptLayout(size);
        long at = g.entryAddress(level);
        g.t.bus.write(at, 8, g.t.bus.read(at, 8) | 1L << bit);
        g.h.w(V.CR2, 8, GUEST_CR2);
        SvmExit e = g.run(code(a), 0);
        long access = (a == Access.WRITE ? INFO_RW : 0) | (a == Access.FETCH ? INFO_ID : 0);
        assertThat(e.exitCode()).isEqualTo(ExitCode.NPF);
        assertThat(e.exitInfo1()).isEqualTo(INFO_P | INFO_US | INFO_RSV | access | FINAL);
        assertThat(e.exitInfo2()).isEqualTo(NptLayout.D);
        assertThat(g.h.q(V.CR2)).isEqualTo(GUEST_CR2);
    }

    static Stream<Arguments> guestPageTable() {
        List<Arguments> out = new ArrayList<>();
        for (int level = 4; level >= 1; level--) {
            for (Mutation m : Mutation.values()) {
                out.add(Arguments.of(level, m));
            }
        }
        return out.stream();
    }

    /**
     * The guest's PT lies behind the nested tables (gpa D + 0x1000, nested PT1[1]); mutating an entry on its nested
     * path refuses the guest walk's access to PTE 5 (bit 33, EXITINFO2 = the PTE's guest-physical address). Guest
     * page-table accesses are nested-checked as user writes (ept's NptFormat: Bochs, kvm-unit-tests npt_rw_pfwalk),
     * so clearing RW refuses them too, with RW = 1 in EXITINFO1, although the guest's A/D flags are already set;
     * setting XD does not (nothing is fetched from page tables).
     */
    @ParameterizedTest(name = "level {0} {1}")
    @MethodSource("guestPageTable")
    void faultOnAGuestPageTableAccess(int level, Mutation m) {
        NptLayout g = new NptLayout(Size.SIZE_4K, true);
        long at = level == 1 ? NptLayout.N_PT1 + 8 : g.entryAddress(level);
        g.t.bus.write(at, 8, mutate(g.t.bus.read(at, 8), m));
        g.h.w(V.CR2, 8, GUEST_CR2);
        SvmExit e = g.run(code(Access.READ), 0);
        if (m == Mutation.SET_NX) {
            assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
            assertThat(g.h.q(V.RAX)).isEqualTo(NptLayout.MARK_4K);
            return;
        }
        assertThat(e.exitCode()).isEqualTo(ExitCode.NPF);
        assertThat(e.exitInfo1()).isEqualTo((m == Mutation.CLEAR_P ? 0 : INFO_P) | INFO_RW | INFO_US | GUEST_PT);
        assertThat(e.exitInfo2()).isEqualTo(NptLayout.GPT + 5 * 8);
        assertThat(g.h.q(V.CR2)).isEqualTo(GUEST_CR2);
    }

    /**
     * kvm-unit-tests' npt_rw_pfwalk: the nested tables map the guest's top-level page table read-only; the guest's
     * walk is refused with EXITINFO1 = 0x2_0000_0007 (P, RW, US, bit 33) and EXITINFO2 = the entry's address.
     */
    @Test
    void readOnlyNestedMappingOfTheGuestsCr3Page() {
        NptLayout g = new NptLayout(Size.SIZE_4K);
        long pd0 = SvmHarness.NPT + 0x5000, pt0 = SvmHarness.NPT + 0x6000;
        for (int i = 0; i < 512; i++) {
            g.t.bus.write(pd0 + 8L * i, 8, ((long) i << 21) | NptLayout.LEAF_LARGE);
            g.t.bus.write(pt0 + 8L * i, 8, 0x400000 + ((long) i << 12) | NptLayout.LEAF4K);
        }
        g.t.bus.write(pd0 + 2 * 8, 8, pt0 | NptLayout.TABLE);
        g.t.bus.write(SvmHarness.NPT + 0x1000, 8, pd0 | NptLayout.TABLE);
        g.t.bus.write(pt0 + 0x100 * 8, 8, NptLayout.G_PML4 | 0x65); // gpa 0x500000: RW = 0
        SvmExit e = g.run(code(Access.READ), 0);
        assertThat(e.exitCode()).isEqualTo(ExitCode.NPF);
        assertThat(e.exitInfo1()).isEqualTo(0x2_0000_0007L);
        assertThat(e.exitInfo2()).isEqualTo(NptLayout.G_PML4); // PML4E 0 of the code page at 0x200000
    }

    /** A guest PTE without A: the guest's A write into its PT is refused the same way (P, RW, US, bit 33). */
    @Test
    void guestAccessedFlagWriteToAReadOnlyNestedPage() {
        NptLayout g = new NptLayout(Size.SIZE_4K, true);
        g.t.bus.write(NptLayout.HPT + 5 * 8, 8, NptLayout.D | 0x07); // P RW US, A = 0
        g.t.bus.write(NptLayout.N_PT1 + 8, 8, NptLayout.HPT | 0x65);  // RW = 0
        SvmExit e = g.run(code(Access.READ), 0);
        assertThat(e.exitCode()).isEqualTo(ExitCode.NPF);
        assertThat(e.exitInfo1()).isEqualTo(INFO_P | INFO_RW | INFO_US | GUEST_PT);
        assertThat(e.exitInfo2()).isEqualTo(NptLayout.GPT + 5 * 8);
    }

    /** A guest #PF under nested paging is the guest's own: delivered through its IDT (or intercepted), not an NPF. */
    @Test
    void guestPageFaultIsNotANestedPageFault() {
        NptLayout g = new NptLayout(Size.SIZE_4K);
        g.t.bus.write(NptLayout.LOW_PT + 5 * 8, 8, 0); // guest PTE not present
        g.h.w(V.EXCEPTIONS, 4, 1 << 14);                // intercept #PF
        SvmExit e = g.run(code(Access.READ), 0);
        assertThat(e.exitCode()).isEqualTo(ExitCode.EXCP_BASE + 14);
        assertThat(e.exitInfo1()).isZero();              // #PF error code: not present, read, supervisor
        assertThat(g.h.cpu.state().gpr[Reg.RAX]).isNotEqualTo(NptLayout.MARK_4K);
    }
}
