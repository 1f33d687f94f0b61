package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.InterruptSource;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * Events in the guest (AMD APM Vol. 2): EXITINTINFO for intercepts during IDT delivery (15.7.2), the #PF intercept
 * with EXITINFO2 and instruction bytes (15.12.15, 15.33.4), virtual interrupts and the VINTR intercept (15.21),
 * physical INTR/NMI intercepts and V_INTR_MASKING (15.13, 15.21.1), GUEST_INTERRUPT_MASK, TSC_OFFSET, VGIF.
 */
class EventTest {
    static final long G = SvmHarness.GUEST_CODE, HANDLER = 0x201000;

    /** An interrupt controller with one pending vector (or none) and an NMI line; acknowledging clears it. */
    static final class Source implements InterruptSource {
        int vector = -1;
        boolean nmi;

        @Override public int pendingInterrupt() { return vector; }
        @Override public void acknowledge(int v) { vector = -1; }
        @Override public boolean pendingNmi() { return nmi; }
        @Override public void acknowledgeNmi() { nmi = false; }
    }

    /** The guest IDT at TestCpu.IDT (limit FFFH, all gates absent) with an interrupt gate for {@code vector}. */
    static void guestIdt(SvmHarness h, int vector) {
        for (int i = 0; i < 4096; i += 8) {
            h.t.bus.write(TestCpu.IDT + i, 8, 0);
        }
        if (vector >= 0) {
            h.t.idt64(vector, 0x18, HANDLER, 0xe, 0, 0);
        }
        h.w(V.IDTR + 4, 4, 0xfff);
        h.w(V.IDTR + 8, 8, TestCpu.IDT);
    }

    static void common(SvmHarness h, SvmExit e, long code, long info1, long info2, long intInfo, long guestRip) {
        assertThat(e.exitCode()).isEqualTo(code);
        assertThat(h.q(V.EXITCODE)).isEqualTo(code);
        assertThat(h.q(V.EXITINFO1)).isEqualTo(info1);
        assertThat(h.q(V.EXITINFO2)).isEqualTo(info2);
        assertThat(e.exitIntInfo()).isEqualTo(intInfo);
        assertThat(h.q(V.EXITINTINFO)).isEqualTo(intInfo);
        assertThat(h.q(V.RIP)).isEqualTo(guestRip);
        InterceptTest.hostRestored(h);
    }

    /**
     * Word 2 (15.12): faults and the software exceptions of INT3/INTO exit with 40H + vector and the RIP of the
     * instruction; NRIP (15.7.1) is the next instruction for INT3, 0 for the others.
     */
    @Test
    void exceptionVectorInterceptsWithoutErrorCode() {
        String[] code = {"31 c9 f7 f1", "cc", "0f 0b"}; // xor ecx,ecx; div ecx / int3 / ud2
        int[] vector = {0, 3, 6};
        long[] rip = {G + 2, G, G};
        long[] nrip = {0, G + 1, 0};
        for (int i = 0; i < code.length; i++) {
            SvmHarness h = new SvmHarness();
            h.w(V.EXCEPTIONS, 4, 1L << vector[i]);
            common(h, h.runGuest(code[i]), 0x40 + vector[i], 0, 0, 0, rip[i]);
            assertThat(h.q(V.NRIP)).isEqualTo(nrip[i]);
        }
        SvmHarness o = new SvmHarness(); // only the intercepted vector exits: #BP runs through the guest IDT
        guestIdt(o, 3);
        o.t.mem(HANDLER, "0f 0b");
        o.w(V.EXCEPTIONS, 4, 1 << 6);
        common(o, o.runGuest("cc"), 0x46, 0, 0, 0, HANDLER);
    }

    /** 15.12.2: the #DB of INT1 (ICEBP) does not check the #DB intercept: it is delivered through the guest IDT. */
    @Test
    void int1IsNotCaughtByTheDbIntercept() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, 1);
        h.t.mem(HANDLER, "f4");
        h.w(V.EXCEPTIONS, 4, 1 << 1);
        h.w(V.MISC1, 4, 1 << V.M1_HLT);
        common(h, h.runGuest("f1"), 0x78, 0, 0, 0, HANDLER);
        assertThat(h.t.bus.read(SvmHarness.GUEST_RSP - 40, 8)).isEqualTo(G + 1);
    }

    @Test
    void faultDuringIntNDeliveryRecordsTheSoftwareInterrupt() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, -1);
        h.w(V.EXCEPTIONS, 4, 1 << 13);
        // int 0x40 through an absent gate: #GP(40H * 8 + 2) while delivering INTn 40H (TYPE 4)
        common(h, h.runGuest("cd 40"), 0x4d, 0x202, 0, 0x8000_0440L, G);
    }

    @Test
    void faultDuringInjectedExceptionRecordsItWithItsErrorCode() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, -1);
        h.w(V.EXCEPTIONS, 4, 1 << 13);
        long inj = 17 | 3 << 8 | 1 << 11 | 1L << 31 | 0x1234L << 32; // #AC(1234H) injected (benign: no #DF)
        h.w(V.EVENTINJ, 8, inj);
        // delivering #AC through the absent gate 17: #GP(17 * 8 + 2 + EXT)
        common(h, h.runGuest("90"), 0x4d, 17 * 8 + 3, 0, inj, G);
        assertThat(h.q(V.EVENTINJ) >>> 31 & 1).isZero();
    }

    @Test
    void faultDuringInjectedInterruptRecordsIt() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, -1);
        h.w(V.EXCEPTIONS, 4, 1 << 13);
        h.w(V.EVENTINJ, 8, 0x20 | 1L << 31); // external interrupt 20H
        common(h, h.runGuest("90"), 0x4d, 0x20 * 8 + 3, 0, 0x8000_0020L, G);
    }

    /** 15.12 example: a fault during delivery checks its own intercept before it is combined into #DF. */
    @Test
    void faultDuringDeliveryIsInterceptedBeforeItBecomesDoubleFault() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, -1);
        h.w(V.EXCEPTIONS, 4, 1 << 13 | 1 << 8);
        long inj = 11 | 3 << 8 | 1 << 11 | 1L << 31 | 0x18L << 32; // #NP(18H): its delivery faults with #GP
        h.w(V.EVENTINJ, 8, inj);
        common(h, h.runGuest("90"), 0x4d, 11 * 8 + 3, 0, inj, G); // #GP, not #DF; EXITINTINFO = the #NP
    }

    @Test
    void doubleFaultDuringDeliveryRecordsTheOriginalEvent() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, -1);
        h.w(V.EXCEPTIONS, 4, 1 << 8);
        long inj = 13 | 3 << 8 | 1 << 11 | 1L << 31 | 0x1234L << 32; // #GP(1234H): its delivery faults with #GP
        h.w(V.EVENTINJ, 8, inj);
        // only #DF intercepted: #DF (error code 0); EXITINTINFO = the #GP being delivered (15.7.3 pseudo-code)
        common(h, h.runGuest("90"), 0x48, 0, 0, inj, G);
    }

    @Test
    void pageFaultInterceptReportsTheAddressAndInstructionBytes() {
        SvmHarness h = new SvmHarness();
        h.w(V.EXCEPTIONS, 4, 1 << 14);
        h.w(V.CR2, 8, 0x1234);
        // mov rax,0x100000000 (not mapped: the harness maps 4 GiB); mov eax,[rax]: #PF, error 0 (not present, read)
        common(h, h.runGuest("48 b8 00 00 00 00 01 00 00 00 8b 00"), 0x4e, 0, 0x1_0000_0000L, 0, G + 10);
        assertThat(h.r(V.INSN_BYTES, 1)).isEqualTo(15);
        assertThat(h.r(V.INSN_BYTES + 1, 2)).isEqualTo(0x008b);
        assertThat(h.q(V.CR2)).isEqualTo(0x1234); // CR2 is not written by an intercepted #PF
    }

    @Test
    void instructionFetchFaultRecordsNoBytesAndOtherExitsClearTheCount() {
        SvmHarness h = new SvmHarness();
        h.w(V.EXCEPTIONS, 4, 1 << 14);
        h.w(V.INSN_BYTES, 1, 9);
        // mov rax,0x100000000; jmp rax: the fetch at 1_0000_0000H faults (not present)
        common(h, h.runGuest("48 b8 00 00 00 00 01 00 00 00 ff e0"), 0x4e, 0, 0x1_0000_0000L, 0, 0x1_0000_0000L);
        assertThat(h.r(V.INSN_BYTES, 1)).isZero();
        SvmHarness o = new SvmHarness();
        o.w(V.MISC1, 4, 1 << V.M1_HLT);
        o.w(V.INSN_BYTES, 1, 9);
        o.runGuest("f4");
        assertThat(o.r(V.INSN_BYTES, 1)).isZero(); // 15.8.4: every other intercept clears bits 7:0
    }

    /** 15.8.4 for #VMEXIT(NPF): the bytes of a data access's instruction; none for a nested fault on a fetch. */
    @Test
    void nestedPageFaultRecordsInstructionBytesOfDataAccessesOnly() {
        String movRaxL = "48 b8" + String.format(" %02x %02x %02x 00 00 00 00 00", NptLayout.L & 0xff,
                NptLayout.L >>> 8 & 0xff, NptLayout.L >>> 16 & 0xff);
        NptLayout d = new NptLayout(NptLayout.Size.SIZE_4K);
        d.t.bus.write(NptLayout.N_PT1, 8, 0); // the data page's nested PTE: not present
        d.h.w(V.INSN_BYTES, 1, 9);
        SvmExit e = d.run(movRaxL + " 8b 00", 0); // mov rax,L; mov eax,[rax]
        assertThat(e.exitCode()).isEqualTo(0x400);
        assertThat(d.h.q(V.RIP)).isEqualTo(G + 10);
        assertThat(d.h.r(V.INSN_BYTES, 1)).isEqualTo(15);
        assertThat(d.h.r(V.INSN_BYTES + 1, 2)).isEqualTo(0x008b);
        NptLayout f = new NptLayout(NptLayout.Size.SIZE_4K);
        // the data page's nested PTE present but XD: its bytes could be read, but the fault is the fetch's
        f.t.bus.write(NptLayout.N_PT1, 8, NptLayout.H4K | NptLayout.LEAF4K | NptLayout.NX);
        f.h.w(V.INSN_BYTES, 1, 9);
        e = f.run(movRaxL + " ff e0", 0); // mov rax,L; jmp rax: the fetch at L faults in the nested tables
        assertThat(e.exitInfo1() & 0x10).isNotZero(); // ID
        assertThat(e.exitCode()).isEqualTo(0x400);
        assertThat(f.h.q(V.RIP)).isEqualTo(NptLayout.L);
        assertThat(f.h.r(V.INSN_BYTES, 1)).isZero();
    }

    @Test
    void instructionBytesStopAtAnUnmappedPage() {
        SvmHarness h = new SvmHarness();
        h.w(V.EXCEPTIONS, 4, 1 << 14);
        h.w(V.RIP, 8, 0xffff_fffeL);
        h.w(V.RAX, 8, 0x1_0000_0000L);
        h.t.mem(0xffff_fffeL, "8b 00"); // the last two mapped bytes
        h.t.reg(Reg.RAX, SvmHarness.VMCB);
        h.t.code(SvmHarness.VMRUN);
        assertThat(h.cpu.run(10, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        assertThat(h.lastExit().exitCode()).isEqualTo(0x4e);
        assertThat(h.r(V.INSN_BYTES, 1)).isEqualTo(2);
        assertThat(h.r(V.INSN_BYTES + 1, 2)).isEqualTo(0x008b);
        assertThat(h.r(V.INSN_BYTES + 3, 1)).isZero();
    }

    @Test
    void virtualInterruptIsTakenThroughTheGuestIdt() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, 0x50);
        h.t.mem(HANDLER, "f4");
        h.w(V.MISC1, 4, 1 << V.M1_HLT);
        h.w(V.RFLAGS, 8, 0x202);
        h.w(V.VINTR, 8, VirtualInterrupts.V_IRQ | VirtualInterrupts.V_IGN_TPR | 0x50L << 32);
        SvmExit e = h.runGuest("90 90");
        common(h, e, 0x78, 0, 0, 0, HANDLER);
        assertThat(h.q(V.VINTR) & VirtualInterrupts.V_IRQ).isZero(); // taken: V_IRQ cleared and written back
        assertThat(h.t.bus.read(SvmHarness.GUEST_RSP - 40, 8)).isEqualTo(G); // return RIP of the frame
        assertThat(h.q(V.INT_SHADOW) & 2).isZero(); // GUEST_INTERRUPT_MASK: IF was cleared by the gate
    }

    @Test
    void virtualInterruptWakesAHaltedGuest() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, 0x50);
        h.t.mem(HANDLER, "0f a2"); // cpuid (intercepted)
        h.w(V.MISC1, 4, 1 << V.M1_CPUID);
        h.w(V.VINTR, 8, VirtualInterrupts.V_IRQ | VirtualInterrupts.V_IGN_TPR | 0x50L << 32);
        // IF = 0: sti; hlt (in the STI shadow: the guest halts); the virtual interrupt wakes it
        common(h, h.runGuest("fb f4 90"), 0x72, 0, 0, 0, HANDLER);
        assertThat(h.t.bus.read(SvmHarness.GUEST_RSP - 40, 8)).isEqualTo(G + 2); // returns after the HLT
    }

    @Test
    void vTprHoldsTheVirtualInterruptUntilGuestCr8LowersIt() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, 0x50);
        h.t.mem(HANDLER, "48 89 d8 f4"); // mov rax,rbx; hlt
        h.w(V.MISC1, 4, 1 << V.M1_HLT);
        h.w(V.RFLAGS, 8, 0x202);
        h.w(V.VINTR, 8, 3 | VirtualInterrupts.V_IRQ | 2L << 16 | VirtualInterrupts.V_INTR_MASKING | 0x50L << 32);
        h.cpu.state().cr8 = 5; // the host's (physical) TPR
        // mov rax,cr8 (V_TPR 3); mov rbx,rax; xor eax,eax; mov cr8,rax (V_TPR 0 < V_INTR_PRIO 2: taken)
        SvmExit e = h.runGuest("44 0f 20 c0 48 89 c3 31 c0 44 0f 22 c0 f4");
        common(h, e, 0x78, 0, 0, 0, HANDLER + 3);
        assertThat(h.q(V.RAX)).isEqualTo(3);
        assertThat(h.q(V.VINTR) & 0xff).isZero(); // V_TPR written back
        assertThat(h.q(V.VINTR) & VirtualInterrupts.V_IRQ).isZero();
        assertThat(h.cpu.state().cr8).isEqualTo(5);
    }

    @Test
    void withoutVIntrMaskingCr8WritesBothTprs() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_HLT);
        h.w(V.VINTR, 8, 3);
        // mov eax,7; mov cr8,rax; mov rax,cr8; hlt
        common(h, h.runGuest("b8 07 00 00 00 44 0f 22 c0 44 0f 20 c0 f4"), 0x78, 0, 0, 0, G + 13);
        assertThat(h.q(V.VINTR) & 0xff).isEqualTo(7); // 15.21.2: V_TPR follows the write
        assertThat(h.q(V.RAX)).isEqualTo(7);
        assertThat(h.cpu.state().cr8).isEqualTo(7); // and so does the APIC's (physical) TPR
    }

    @Test
    void vintrInterceptExitsWhenTheGuestOpensItsInterruptWindow() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_VINTR);
        h.w(V.VINTR, 8, VirtualInterrupts.V_IRQ | VirtualInterrupts.V_IGN_TPR | VirtualInterrupts.V_INTR_MASKING);
        // IF = 0: nop; sti; nop (STI shadow); nop: the exit comes before the last nop
        SvmExit e = h.runGuest("90 fb 90 90");
        common(h, e, 0x64, 0, 0, 0, G + 3);
        assertThat(h.q(V.VINTR) & VirtualInterrupts.V_IRQ).isNotZero(); // not taken: still pending
        assertThat(h.q(V.INT_SHADOW)).isEqualTo(2); // no shadow, GUEST_INTERRUPT_MASK = IF = 1
    }

    SvmExit physical(long vintr, boolean hostIf, long guestRflags, Source src, SvmHarness h) {
        h.cpu.setInterruptSource(src);
        h.svm.gif = false; // the host ran CLGI: its IF does not deliver the interrupt before VMRUN
        if (hostIf) {
            h.cpu.state().flagsRest |= Flags.IF;
        }
        h.w(V.MISC1, 4, 1 << V.M1_INTR | 1 << V.M1_NMI | 1 << V.M1_HLT);
        h.w(V.RFLAGS, 8, guestRflags);
        h.w(V.VINTR, 8, vintr);
        return h.runGuest("90 f4");
    }

    @Test
    void withVIntrMaskingTheHostIfMasksPhysicalInterrupts() {
        Source src = new Source();
        src.vector = 0x30;
        SvmHarness h = new SvmHarness(); // host IF = 1, guest IF = 0: INTR exits at once, the vector stays pending
        SvmExit e = physical(VirtualInterrupts.V_INTR_MASKING, true, 2, src, h);
        assertThat(e.exitCode()).isEqualTo(0x60);
        assertThat(h.q(V.RIP)).isEqualTo(G);
        assertThat(src.vector).isEqualTo(0x30);
        SvmHarness m = new SvmHarness(); // host IF = 0, guest IF = 1: masked, the guest runs to HLT
        assertThat(physical(VirtualInterrupts.V_INTR_MASKING, false, 0x202, src, m).exitCode()).isEqualTo(0x78);
        assertThat(m.q(V.INT_SHADOW)).isEqualTo(2); // GUEST_INTERRUPT_MASK = guest IF
        SvmHarness n = new SvmHarness(); // without V_INTR_MASKING the guest's IF = 1 lets INTR exit
        assertThat(physical(0, false, 0x202, src, n).exitCode()).isEqualTo(0x60);
        SvmHarness z = new SvmHarness(); // ... and its IF = 0 masks it
        assertThat(physical(0, true, 2, src, z).exitCode()).isEqualTo(0x78);
    }

    @Test
    void nmiInterceptLeavesTheNmiPending() {
        Source src = new Source();
        src.nmi = true;
        SvmHarness h = new SvmHarness();
        SvmExit e = physical(0, false, 2, src, h);
        common(h, e, 0x61, 0, 0, 0, G);
        assertThat(src.nmi).isTrue();
    }

    @Test
    void tscOffsetAppliesToGuestRdtscAndRdmsrOnly() {
        long offset = 0x10_0000_0000L;
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_HLT);
        h.w(V.TSC_OFFSET, 8, offset);
        long before = h.cpu.tsc();
        // rdtsc; shl rdx,32; or rax,rdx; hlt
        h.runGuest("0f 31 48 c1 e2 20 48 09 d0 f4");
        long guest = h.q(V.RAX), after = h.cpu.tsc();
        assertThat(guest - offset).isBetween(before, after);
        assertThat(after).isLessThan(offset); // the host reads its own TSC again
        SvmHarness m = new SvmHarness();
        m.w(V.MISC1, 4, 1 << V.M1_HLT);
        m.w(V.TSC_OFFSET, 8, -m.cpu.tsc() - 1_000_000L); // a negative offset
        // mov ecx,0x10; rdmsr; shl rdx,32; or rax,rdx; hlt
        m.runGuest("b9 10 00 00 00 0f 32 48 c1 e2 20 48 09 d0 f4");
        assertThat(m.q(V.RAX)).isNegative(); // wrapped below 0 by the offset
        assertThat(m.q(V.RAX) + m.q(V.TSC_OFFSET) * -1).isBetween(0L, m.cpu.tsc());
    }

    @Test
    void vgifStgiClgiInTheGuestActOnVGif() {
        SvmHarness h = new SvmHarness();
        guestIdt(h, 0x50);
        h.t.mem(HANDLER, "f4");
        h.w(V.MISC1, 4, 1 << V.M1_HLT);
        long vintr = VirtualInterrupts.V_IRQ | VirtualInterrupts.V_IGN_TPR | VirtualInterrupts.V_GIF
                | VirtualInterrupts.V_GIF_ENABLE | 0x50L << 32;
        h.w(V.VINTR, 8, vintr);
        // clgi; sti; nop; nop; hlt: V_GIF = 0 holds the virtual interrupt
        common(h, h.runGuest("0f 01 dd fb 90 90 f4"), 0x78, 0, 0, 0, G + 6);
        assertThat(h.q(V.VINTR) & VirtualInterrupts.V_GIF).isZero();
        assertThat(h.q(V.VINTR) & VirtualInterrupts.V_IRQ).isNotZero();
        SvmHarness s = new SvmHarness();
        guestIdt(s, 0x50);
        s.t.mem(HANDLER, "f4");
        s.w(V.MISC1, 4, 1 << V.M1_HLT);
        s.w(V.VINTR, 8, vintr);
        // clgi; sti; nop; stgi: taken after the STGI
        common(s, s.runGuest("0f 01 dd fb 90 0f 01 dc 90 f4"), 0x78, 0, 0, 0, HANDLER);
        assertThat(s.t.bus.read(SvmHarness.GUEST_RSP - 40, 8)).isEqualTo(G + 8);
        assertThat(s.q(V.VINTR) & VirtualInterrupts.V_GIF).isNotZero();
    }
}
