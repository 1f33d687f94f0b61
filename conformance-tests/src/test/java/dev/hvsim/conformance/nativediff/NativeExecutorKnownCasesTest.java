package dev.hvsim.conformance.nativediff;

import static dev.hvsim.conformance.nativediff.IsaLayout.DATA;
import static dev.hvsim.conformance.nativediff.IsaLayout.RAX;
import static dev.hvsim.conformance.nativediff.IsaLayout.RBX;
import static dev.hvsim.conformance.nativediff.IsaLayout.RCX;
import static dev.hvsim.conformance.nativediff.IsaLayout.RSP;
import static dev.hvsim.conformance.nativediff.TestCases.gprs;
import static dev.hvsim.conformance.nativediff.TestCases.handWritten;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hand-written cases with results known from the SDM, run on the host CPU. */
class NativeExecutorKnownCasesTest {
    private static NativeExecutor executor;

    @BeforeAll
    static void build() {
        executor = TestCases.nativeExecutor();
    }

    private static IsaOutcome run(IsaCase c) {
        List<IsaOutcome> out = executor.run(List.of(c));
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    @Test
    void addRaxRbxGivesSumAndFlags() {
        // 48 01 d8  add rax, rbx: 0x7fff_ffff_ffff_ffff + 1 overflows into the sign bit.
        long[] g = gprs();
        g[RAX] = Long.MAX_VALUE;
        g[RBX] = 1;
        IsaOutcome o = run(handWritten(g, 0x2, "48 01 d8", "add rax, rbx"));
        assertThat(o.faultVector()).isEqualTo(IsaOutcome.NO_FAULT);
        assertThat(o.ripOffset()).isEqualTo(3);
        assertThat(o.gprs()[RAX]).isEqualTo(Long.MIN_VALUE);
        // OF (signed overflow), SF, AF (carry out of bit 3), PF (low byte 0x00); not CF, ZF.
        assertThat(Flag.names(o.rflags())).isEqualTo("PF|AF|SF|OF");
    }

    @Test
    void subtractToZeroSetsZeroAndParity() {
        // 48 29 c0  sub rax, rax
        long[] g = gprs();
        g[RAX] = 0x1234;
        IsaOutcome o = run(handWritten(g, Flag.STATUS | 0x2, "48 29 c0", "sub rax, rax"));
        assertThat(o.gprs()[RAX]).isZero();
        assertThat(Flag.names(o.rflags())).isEqualTo("PF|ZF");
    }

    @Test
    void divideByZeroIsVectorZeroAtTheDiv() {
        // 90 nop; 48 f7 f1  div rcx with rcx = 0 -> #DE, state before the div
        long[] g = gprs();
        g[RAX] = 77;
        IsaOutcome o = run(handWritten(g, 0x2, "90 48 f7 f1", "nop; div rcx"));
        assertThat(o.faultVector()).isZero();
        assertThat(o.ripOffset()).isEqualTo(1);
        assertThat(o.gprs()).isEqualTo(g);
    }

    @Test
    void ud2IsVectorSix() {
        IsaOutcome o = run(handWritten(gprs(), 0x2, "90 0f 0b", "nop; ud2"));
        assertThat(o.faultVector()).isEqualTo(6);
        assertThat(o.ripOffset()).isEqualTo(1);
    }

    @Test
    void int3IsVectorThreeReportedAfterTheTrap() {
        // #BP is a trap: the saved RIP is that of the next instruction (SDM Vol. 3A 6.5).
        IsaOutcome o = run(handWritten(gprs(), 0x2, "cc 90", "int3; nop"));
        assertThat(o.faultVector()).isEqualTo(3);
        assertThat(o.ripOffset()).isEqualTo(1);
    }

    @Test
    void loadFromUnmappedPageIsPageFault() {
        // 48 8b 01  mov rax, [rcx] with rcx = 0
        IsaOutcome o = run(handWritten(gprs(), 0x2, "48 8b 01", "mov rax, [rcx]"));
        assertThat(o.faultVector()).isEqualTo(14);
        assertThat(o.ripOffset()).isZero();
    }

    @Test
    void nonCanonicalAddressIsGeneralProtection() {
        long[] g = gprs();
        g[RCX] = 0x8000_0000_0000_0000L;
        IsaOutcome o = run(handWritten(g, 0x2, "48 8b 01", "mov rax, [rcx]"));
        assertThat(o.faultVector()).isEqualTo(13);
    }

    @Test
    void storeThroughRbxChangesTheDataRegion() {
        // 48 89 03  mov [rbx], rax with rbx = DATA + 0x100
        long[] g = gprs();
        g[RAX] = 0x1122_3344_5566_7788L;
        IsaOutcome o = run(handWritten(g, 0x2, "48 89 03", "mov [rbx], rax"));
        assertThat(o.faultVector()).isEqualTo(IsaOutcome.NO_FAULT);
        assertThat(le64(o.data(), 0x100)).isEqualTo(g[RAX]);
        assertThat(le64(o.data(), 0x108)).isZero();
    }

    @Test
    void pushAndPopUseTheStackInTheDataRegion() {
        // 50 push rax; 59 pop rcx
        long[] g = gprs();
        g[RAX] = 0xDEAD_BEEFL;
        IsaOutcome o = run(handWritten(g, 0x2, "50 59", "push rax; pop rcx"));
        assertThat(o.gprs()[RCX]).isEqualTo(0xDEAD_BEEFL);
        assertThat(o.gprs()[RSP]).isEqualTo(DATA + 0x1000);
        assertThat(le64(o.data(), 0x1000 - 8)).isEqualTo(0xDEAD_BEEFL);
    }

    @Test
    void forwardJccSkipsBytes() {
        // 74 03 je +3 (ZF=1 taken); 48 ff c0 inc rax (skipped); 48 ff c1 inc rcx
        IsaOutcome o = run(handWritten(gprs(), Flag.ZF.mask() | 0x2, "74 03 48 ff c0 48 ff c1", "je; inc rax; inc rcx"));
        assertThat(o.gprs()[RAX]).isZero();
        assertThat(o.gprs()[RCX]).isEqualTo(1);
        assertThat(o.ripOffset()).isEqualTo(8);
    }

    @Test
    void trackedFlagsIncludingDfAreLoadedAndReported() {
        IsaOutcome o = run(handWritten(gprs(), Flag.TRACKED | 0x2, "90", "nop"));
        assertThat(o.rflags()).isEqualTo(Flag.TRACKED);
    }

    @Test
    void endlessLoopIsAbandonedAndTheNextCaseStillRuns() {
        // eb fe  jmp $: the harness watchdog gives up after 250..500 ms of CPU time.
        List<IsaOutcome> out = executor.run(List.of(
                handWritten(gprs(), 0x2, "eb fe", "jmp $"),
                handWritten(gprs(), 0x2, "90", "nop")));
        assertThat(out.get(0).faultVector()).isEqualTo(IsaOutcome.TIMEOUT);
        assertThat(out.get(1).faultVector()).isEqualTo(IsaOutcome.NO_FAULT);
    }

    @Test
    void everyFaultKindInOneBatchLeavesTheHarnessAlive() {
        long[] g = gprs();
        List<IsaCase> cases = List.of(
                handWritten(g, 0x2, "0f 0b", "ud2"),
                handWritten(g, 0x2, "48 f7 f1", "div rcx"),
                handWritten(g, 0x2, "48 8b 01", "mov rax, [rcx]"),
                handWritten(g, 0x2, "cc", "int3"),
                handWritten(g, 0x2, "fa", "cli (privileged: #GP)"),
                handWritten(g, 0x2, "48 89 03", "mov [rbx], rax"));
        assertThat(executor.run(cases)).extracting(IsaOutcome::faultVector)
                .containsExactly(6, 0, 14, 3, 13, IsaOutcome.NO_FAULT);
    }

    private static long le64(byte[] data, int offset) {
        return ByteBuffer.wrap(data, offset, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
