package dev.hvsim.svm;

import static dev.hvsim.svm.InterceptTest.exit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import org.junit.jupiter.api.Test;

/**
 * One case per instruction intercept of VMCB words 1, 3 and 4 (AMD APM Vol. 2 15.9, Table 15-7; exit codes of
 * svm-exit-codes.csv): the guest executes the instruction, the #VMEXIT has the exact EXITCODE, EXITINFO1 (decode
 * assists, 15.33, where defined), NRIP, saved guest RIP, and the host state is back.
 */
class InstructionInterceptTest {
    static final long G = SvmHarness.GUEST_CODE;

    /** Guest {@code code} with intercept {@code bit} of the word at {@code word}: exit at G with NRIP G + length. */
    static void simple(int word, int bit, String code, int length, long exitCode, long info1) {
        SvmHarness h = new SvmHarness();
        h.w(word, 4, h.r(word, 4) | 1L << bit);
        exit(h, h.runGuest(code), exitCode, info1, 0, G, G + length);
    }

    @Test
    void word3InstructionIntercepts() {
        simple(V.MISC1, 14, "0f 31", 2, 0x6e, 0);          // rdtsc
        simple(V.MISC1, 15, "0f 33", 2, 0x6f, 0);          // rdpmc
        simple(V.MISC1, 16, "9c", 1, 0x70, 0);             // pushf
        simple(V.MISC1, 17, "9d", 1, 0x71, 0);             // popf
        simple(V.MISC1, 20, "48 cf", 2, 0x74, 0);          // iretq
        simple(V.MISC1, 21, "cd 21", 2, 0x75, 0x21);       // int 0x21: EXITINFO1 = the vector (15.33.2)
        simple(V.MISC1, 22, "0f 08", 2, 0x76, 0);          // invd
        simple(V.MISC1, 23, "f3 90", 2, 0x77, 0);          // pause (PAUSE_FILTER_COUNT 0: every PAUSE)
    }

    @Test
    void word4InstructionIntercepts() {
        simple(V.MISC2, 7, "0f 01 f9", 3, 0x87, 0);        // rdtscp
        simple(V.MISC2, 8, "f1", 1, 0x88, 0);              // int1 (icebp)
        simple(V.MISC2, 9, "0f 09", 2, 0x89, 0);           // wbinvd
        simple(V.MISC2, 10, "0f 01 c8", 3, 0x8a, 0);       // monitor
        simple(V.MISC2, 11, "0f 01 c9", 3, 0x8b, 0);       // mwait
        simple(V.MISC2, 4, "0f 01 dc", 3, 0x84, 0);        // stgi
        simple(V.MISC2, 5, "0f 01 dd", 3, 0x85, 0);        // clgi
        simple(V.MISC2, 2, "0f 01 da", 3, 0x82, 0);        // vmload
        simple(V.MISC2, 3, "0f 01 db", 3, 0x83, 0);        // vmsave
    }

    @Test
    void xsetbvNeedsCr4OsxsaveThenExits() {
        SvmHarness h = new SvmHarness();
        h.w(V.CR4, 8, h.q(V.CR4) | Cpu.CR4_OSXSAVE);
        h.w(V.MISC2, 4, 1 | 1 << 13);
        exit(h, h.runGuest("0f 01 d1"), 0x8d, 0, 0, G, G + 3);
    }

    @Test
    void invpcidReportsTheDescriptorAddressAndType() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC3, 4, 1 << 2);
        h.w(V.RAX, 8, 0x30000);
        // mov ebx,2; invpcid rbx,[rax+8]: the intercept comes before the descriptor is read
        exit(h, h.runGuest("bb 02 00 00 00 66 0f 38 82 58 08"), 0xa2, 0x30008, 2, G + 5, G + 11);
    }

    @Test
    void descriptorTableReadsAndWrites() {
        // sgdt [rax], sidt [rax], lgdt [rax], lidt [rax], sldt eax, str eax, lldt ax, ltr ax
        String[] code = {"0f 01 00", "0f 01 08", "0f 01 10", "0f 01 18", "0f 00 c0", "0f 00 c8", "0f 00 d0", "0f 00 d8"};
        int[] bit = {7, 6, 11, 10, 8, 9, 12, 13};
        for (int i = 0; i < code.length; i++) {
            simple(V.MISC1, bit[i], code[i], 3, 0x60 + bit[i], 0);
        }
        // only the intercepted one of a pair exits: sidt runs, sgdt exits
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << 7);
        h.w(V.RAX, 8, 0x30000);
        exit(h, h.runGuest("0f 01 08 0f 01 00"), 0x67, 0, 0, G + 3, G + 6);
    }

    @Test
    void movDrReadsAndWritesReportTheGpr() {
        simple(V.DR_READ, 1, "0f 21 cb", 3, 0x21, 3);            // mov rbx,dr1
        simple(V.DR_READ, 16 + 7, "0f 23 fb", 3, 0x37, 3);       // mov dr7,rbx
        simple(V.DR_READ, 16 + 7, "41 0f 23 f9", 4, 0x37, 9);    // mov dr7,r9
        SvmHarness h = new SvmHarness(); // the read intercept of DR7 does not catch a write
        h.w(V.DR_READ, 4, 1 << 7 | 1 << (16 + 0));
        exit(h, h.runGuest("0f 23 f8 0f 23 c0"), 0x30, 0, 0, G + 3, G + 6); // mov dr7,rax (runs); mov dr0,rax
    }

    @Test
    void invlpgReportsTheLinearAddressInvlpgaDoesNot() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << 25);
        h.w(V.RAX, 8, 0x5000);
        exit(h, h.runGuest("0f 01 78 10"), 0x79, 0x5010, 0, G, G + 4); // invlpg [rax+0x10]
        SvmHarness a = new SvmHarness();
        a.w(V.MISC1, 4, 1 << V.M1_INVLPGA);
        a.w(V.RAX, 8, 0x7000);
        exit(a, a.runGuest("0f 01 df"), 0x7a, 0, 0, G, G + 3); // 15.8.3: INVLPGA's address stays in rAX
    }

    static SvmExit pauses(int count, int threshold) {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << 23 | 1 << V.M1_HLT);
        h.w(V.PAUSE_FILTER_COUNT, 2, count);
        h.w(V.PAUSE_FILTER_THRESHOLD, 2, threshold);
        SvmExit e = h.runGuest("f3 90 f3 90 f3 90 f3 90 f4"); // four PAUSEs, HLT
        assertThat(h.q(V.PAUSE_FILTER_COUNT) & 0xffff).isEqualTo(count); // never written by the processor
        assertThat(h.q(V.NRIP)).isEqualTo(h.q(V.RIP) + (e.exitCode() == 0x77 ? 2 : 1));
        return e;
    }

    /** 15.9 Table 15-7, 15.14.4: the intercept comes when the counter goes below zero; the threshold reloads it. */
    @Test
    void pauseFilterCountAndThreshold() {
        SvmExit e = pauses(3, 0); // count 3: the fourth PAUSE exits
        assertThat(e.exitCode()).isEqualTo(0x77);
        assertThat(e.guestRip()).isEqualTo(G + 6);
        assertThat(pauses(2, 0).guestRip()).isEqualTo(G + 4); // count 2: the third
        assertThat(pauses(2, 0xffff).guestRip()).isEqualTo(G + 4); // PAUSEs closer than the threshold: counted
        e = pauses(1, 1); // PAUSEs further apart than 1 cycle: every one reloads the count, none exits
        assertThat(e.exitCode()).isEqualTo(0x78);
        assertThat(e.guestRip()).isEqualTo(G + 8);
    }

    @Test
    void mwaitConditionalOnlyWhileTheMonitorIsArmed() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC2, 4, 1 | 1 << 12);
        // mwait (not armed: runs); monitor; mwait: exit 8CH
        exit(h, h.runGuest("0f 01 c9 0f 01 c8 0f 01 c9"), 0x8c, 0, 0, G + 6, G + 9);
        SvmHarness both = new SvmHarness(); // both intercepts: the conditional one is checked first
        both.w(V.MISC2, 4, 1 | 1 << 11 | 1 << 12);
        exit(both, both.runGuest("0f 01 c8 0f 01 c9"), 0x8c, 0, 0, G + 3, G + 6);
        SvmHarness unarmed = new SvmHarness();
        unarmed.w(V.MISC2, 4, 1 | 1 << 11 | 1 << 12);
        exit(unarmed, unarmed.runGuest("0f 01 c9"), 0x8b, 0, 0, G, G + 3);
    }

    @Test
    void crAccessesReportMovAndGprWithDecodeAssists() {
        simple(V.CR_READ, 3, "0f 20 db", 3, 0x03, 1L << 63 | 3);          // mov rbx,cr3
        simple(V.CR_READ, 8, "44 0f 20 c0", 4, 0x08, 1L << 63);           // mov rax,cr8
        simple(V.CR_READ, 0, "0f 01 e0", 3, 0x00, 0);                     // smsw eax: CR0 read, not a MOV
        simple(V.CR_READ, 16, "0f 06", 2, 0x10, 0);                       // clts: CR0 write
        simple(V.CR_READ, 16, "0f 01 f0", 3, 0x10, 0);                    // lmsw ax: CR0 write
        simple(V.MISC1, V.M1_CR0_SEL, "0f 01 f0", 3, 0x65, 0);            // lmsw: selective takes it whatever the value
    }

    @Test
    void crWriteInterceptComesAfterTheValueChecks() {
        SvmHarness h = new SvmHarness();
        h.w(V.CR_READ, 4, 1 << (16 + 4));
        h.t.reg(Reg.R9, h.q(V.CR4)); // a valid CR4
        exit(h, h.runGuest("41 0f 22 e1"), 0x14, 1L << 63 | 9, 0, G, G + 4); // mov cr4,r9
        SvmHarness g = new SvmHarness(); // Table 15-7: illegal bit combinations are checked before the intercept
        g.w(V.CR_READ, 4, 1 << 16);
        g.w(V.EXCEPTIONS, 4, 1 << 13);
        // mov eax,0x80000000; mov cr0,rax (PG without PE): #GP(0), not the CR0-write intercept
        exit(g, g.runGuest("b8 00 00 00 80 0f 22 c0"), 0x4d, 0, 0, G + 5, 0);
    }

    @Test
    void selectiveCr0WriteIgnoresTsAndMp() {
        // mov rax,cr0; or rax,8 (TS); mov cr0,rax (no exit); or rax,0x40000000 (CD); mov cr0,rax: exit 65H
        String code = "0f 20 c0 48 83 c8 08 0f 22 c0 48 0d 00 00 00 40 0f 22 c0";
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_CR0_SEL);
        exit(h, h.runGuest(code), 0x65, 1L << 63, 0, G + 16, G + 19);
        assertThat(h.q(V.CR0) & Cpu.CR0_TS).isNotZero();
        assertThat(h.q(V.CR0) & Cpu.CR0_CD).isZero();
        SvmHarness both = new SvmHarness(); // the non-selective CR0-write intercept has priority
        both.w(V.MISC1, 4, 1 << V.M1_CR0_SEL);
        both.w(V.CR_READ, 4, 1 << 16);
        exit(both, both.runGuest(code), 0x10, 1L << 63, 0, G + 7, G + 10);
    }
}
