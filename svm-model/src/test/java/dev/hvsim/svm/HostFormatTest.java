package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The nested tables have the host's paging format at VMRUN (AMD APM Vol. 2 15.25.3, 15.25.5): a 32-bit host with
 * PAE paging walks N_CR3 as a PAE PDPT (4 entries, 2 MiB pages), a 32-bit host with legacy paging and CR4.PSE as a
 * 32-bit page directory (4 MiB pages). A 32-bit protected-mode guest without paging reads guest-physical 0x605000,
 * which the nested tables map with a 4 KiB page to host-physical 0x700000; refusals are #VMEXIT(NPF).
 */
class HostFormatTest {
    static final long HOST_TABLES = 0x900000, NESTED = 0x980000, NESTED_PT = 0x982000, GPA = 0x605000,
            HPA = 0x700000, MARK = 0x5a5a_1234L;

    /** Turns the harness' 64-bit host into a 32-bit host with PAE or legacy (PSE) paging, identity-mapped. */
    static void hostPaging(SvmHarness h, boolean pae) {
        CpuState s = h.cpu.state();
        if (pae) {
            for (int i = 0; i < 4; i++) {
                long pd = HOST_TABLES + 0x1000 * (i + 1L);
                h.t.bus.write(HOST_TABLES + 8L * i, 8, pd | 1);
                for (int j = 0; j < 512; j++) {
                    h.t.bus.write(pd + 8L * j, 8, ((long) i << 30) + ((long) j << 21) | 0x83);
                }
            }
        } else {
            for (int j = 0; j < 1024; j++) {
                h.t.bus.write(HOST_TABLES + 4L * j, 4, ((long) j << 22) | 0x83);
            }
        }
        s.cr3 = HOST_TABLES;
        s.cr4 = pae ? Cpu.CR4_PAE : Cpu.CR4_PSE;
        s.efer = Cpu.EFER_SVME;
        s.cr0 = Cpu.CR0_PE | Cpu.CR0_ET | Cpu.CR0_PG;
        s.seg[Reg.CS].set(0x08, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_DB);
        h.cpu.modeChanged();
        if (pae) {
            h.cpu.mmu().loadPdptes(s.cr3);
        }
        h.cpu.mmu().flushAll();
    }

    /** Nested tables in the host's format: identity below 1 GiB (large pages), GPA's 4 KiB page to HPA. */
    static void nestedTables(SvmHarness h, boolean pae, long leafFlags) {
        if (pae) {
            long pd = NESTED + 0x1000;
            h.t.bus.write(NESTED, 8, pd | 1); // a PAE PDPTE has only P (15.25.5: the host's format)
            for (int i = 1; i < 4; i++) {
                h.t.bus.write(NESTED + 8L * i, 8, 0);
            }
            for (int j = 0; j < 512; j++) {
                h.t.bus.write(pd + 8L * j, 8, ((long) j << 21) | 0xe7);
            }
            h.t.bus.write(pd + 3 * 8, 8, NESTED_PT | 0x67);
            for (int k = 0; k < 512; k++) {
                h.t.bus.write(NESTED_PT + 8L * k, 8, 0x600000 + ((long) k << 12) | 0x67);
            }
            h.t.bus.write(NESTED_PT + 5 * 8, 8, HPA | leafFlags);
        } else {
            for (int j = 0; j < 1024; j++) {
                h.t.bus.write(NESTED + 4L * j, 4, j < 256 ? ((long) j << 22) | 0xe7 : 0);
            }
            h.t.bus.write(NESTED + 4, 4, NESTED_PT | 0x67);
            for (int k = 0; k < 1024; k++) {
                h.t.bus.write(NESTED_PT + 4L * k, 4, 0x400000 + ((long) k << 12) | 0x67);
            }
            h.t.bus.write(NESTED_PT + 4L * 0x205, 4, HPA | leafFlags);
        }
        h.w(V.NESTED_CTL, 8, 1);
        h.w(V.N_CR3, 8, NESTED);
        h.w(V.G_PAT, 8, SvmHarness.DEFAULT_PAT);
    }

    /** A 32-bit flat protected-mode guest without paging. */
    static void protectedGuest(SvmHarness h) {
        h.w(V.EFER, 8, Cpu.EFER_SVME);
        h.w(V.CR0, 8, Cpu.CR0_PE | Cpu.CR0_ET);
        h.w(V.CR4, 8, 0);
        h.w(V.CR3, 8, 0);
        h.w(V.CS, 2, 0x08);
        h.w(V.CS + 2, 2, 0xc9b);
        h.w(V.MISC2, 4, 1 << V.M2_VMRUN | 1 << V.M2_VMMCALL);
    }

    @ParameterizedTest(name = "PAE host {0}, nested leaf {1}, write {2}")
    @CsvSource({"true, 0x67, false, -1", "true, 0x66, false, 0x100000004", "true, 0x65, true, 0x100000007",
        "true, 0x65, false, -1", "false, 0x67, false, -1", "false, 0x66, true, 0x100000006",
        "false, 0x63, false, 0x100000005", "false, 0x65, true, 0x100000007"})
    void nestedTablesHaveTheHostsFormat(boolean pae, long leafFlags, boolean write, long info1) {
        SvmHarness h = new SvmHarness();
        hostPaging(h, pae);
        protectedGuest(h);
        nestedTables(h, pae, leafFlags);
        h.t.bus.write(HPA, 4, MARK);
        h.w(V.RAX, 8, 0x77);
        // mov eax, [0x605000] / mov [0x605000], eax; vmmcall
        SvmExit e = h.runGuest((write ? "a3" : "a1") + " 00 50 60 00 0f 01 d9");
        if (info1 < 0) {
            assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
            assertThat(h.q(V.RAX)).isEqualTo(write ? 0x77 : MARK);
        } else {
            assertThat(e.exitCode()).isEqualTo(ExitCode.NPF);
            assertThat(e.exitInfo1()).isEqualTo(info1);
            assertThat(e.exitInfo2()).isEqualTo(GPA);
        }
        assertThat(h.t.bus.read(HPA, 4)).isEqualTo(write && info1 < 0 ? 0x77 : MARK);
        // back in the 32-bit host with its own paging
        assertThat(h.cpu.longMode()).isFalse();
        assertThat(h.cpu.pagingEnabled()).isTrue();
        assertThat(h.cpu.state().rip).isEqualTo(dev.hvsim.x86core.testing.TestCpu.CODE + 3);
    }
}
