package dev.hvsim.tools.gdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.Cpu;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reverse execution (bs, bc) by deterministic re-execution from the start. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GdbStubReverseTest {
    private static final byte[] MODES = Guests.bytes("modes");
    private static final long MAIN64 = ElfSymbols.address(MODES, "main64");
    private static final long FINISH64 = ElfSymbols.address(MODES, "finish64");
    private static final long CHECKS_RUN = ElfSymbols.address(MODES, "checks_run");

    @Test
    void advertisedOnlyWithAReplayFactory() throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1); RspClient c = h.connect()) {
            assertThat(c.ask("qSupported")).contains("ReverseStep+", "ReverseContinue+");
        }
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            assertThat(c.ask("qSupported")).doesNotContain("Reverse");
            assertThat(c.ask("bs")).isEmpty();
        }
    }

    @Test
    void reverseStepiRestoresEveryEarlierRegisterStateAcrossTheModeSwitch() throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1); RspClient c = h.connect()) {
            c.ask("Z0," + Long.toHexString(MAIN64) + ",1");
            assertThat(c.resume("c")).startsWith("T05swbreak:");
            c.ask("z0," + Long.toHexString(MAIN64) + ",1");
            List<String> states = new ArrayList<>();
            List<String> memory = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                states.add(c.ask("g"));
                memory.add(c.ask("m" + Long.toHexString(CHECKS_RUN) + ",4"));
                assertThat(c.resume("vCont;s:1")).isEqualTo("T05thread:1;");
            }
            for (int i = 39; i >= 0; i--) {
                assertThat(c.resume("bs")).isEqualTo("T05thread:1;");
                assertThat(c.ask("g")).as("state before step " + i).isEqualTo(states.get(i));
                assertThat(c.ask("m" + Long.toHexString(CHECKS_RUN) + ",4")).isEqualTo(memory.get(i));
            }
            // and forward again: the same states
            for (int i = 0; i < 5; i++) {
                assertThat(c.ask("g")).isEqualTo(states.get(i));
                c.resume("vCont;s:1");
            }
        }
    }

    @Test
    void reverseStepiAtTheStartReportsTheBeginningOfHistory() throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1); RspClient c = h.connect()) {
            assertThat(c.resume("bs")).isEqualTo("T05replaylog:begin;thread:1;");
            c.resume("vCont;s:1");
            assertThat(c.resume("bs")).isEqualTo("T05thread:1;");
            assertThat(h.stub.machine().cpu().instructions()).isZero();
            assertThat(c.resume("bs")).isEqualTo("T05replaylog:begin;thread:1;");
        }
    }

    @Test
    void reverseContinueStopsAtTheLastBreakpointAndWatchpointHit() throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1); RspClient c = h.connect()) {
            c.ask("Z1," + Long.toHexString(FINISH64) + ",1");
            assertThat(c.resume("c")).startsWith("T05hwbreak:");
            long finalChecks = le(c.ask("m" + Long.toHexString(CHECKS_RUN) + ",4"));
            c.ask("z1," + Long.toHexString(FINISH64) + ",1");
            c.ask("Z0," + Long.toHexString(MAIN64) + ",1");
            assertThat(c.resume("bc")).isEqualTo("T05swbreak:;thread:1;");
            assertThat(le(c.ask("p10"))).isEqualTo(MAIN64);
            assertThat(h.stub.machine().cpu().codeSize()).isEqualTo(64);
            assertThat(c.resume("bc")).isEqualTo("T05replaylog:begin;thread:1;"); // main64 runs once
            assertThat(h.stub.machine().cpu().instructions()).isZero();
            c.ask("z0," + Long.toHexString(MAIN64) + ",1");
            // forward to the end point again, then back to the last write of checks_run
            c.ask("Z1," + Long.toHexString(FINISH64) + ",1");
            assertThat(c.resume("c")).startsWith("T05hwbreak:");
            c.ask("z1," + Long.toHexString(FINISH64) + ",1");
            c.ask("Z2," + Long.toHexString(CHECKS_RUN) + ",4");
            assertThat(c.resume("bc")).isEqualTo("T05watch:" + Long.toHexString(CHECKS_RUN) + ";thread:1;");
            assertThat(le(c.ask("m" + Long.toHexString(CHECKS_RUN) + ",4"))).isEqualTo(finalChecks);
            assertThat(c.resume("bc")).isEqualTo("T05watch:" + Long.toHexString(CHECKS_RUN) + ";thread:1;");
            assertThat(le(c.ask("m" + Long.toHexString(CHECKS_RUN) + ",4"))).isEqualTo(finalChecks - 1);
        }
    }

    @Test
    void afterReversingTheRunEndsExactlyAsAPlainRun() throws Exception {
        Machine plain = StubHarness.machine("smp", 4, new ByteArrayOutputStream());
        RunOutcome o = plain.run(RunLimits.instructions(50_000_000));
        long ap = ElfSymbols.address(Guests.bytes("smp"), "ap_entry32");
        try (StubHarness h = StubHarness.reversible("smp", 4); RspClient c = h.connect()) {
            c.ask("Z0," + Long.toHexString(ap) + ",1");
            assertThat(c.resume("c")).startsWith("T05swbreak:");
            assertThat(c.resume("c")).startsWith("T05swbreak:");
            String g = c.ask("g");
            String stop = c.resume("bs");
            assertThat(stop).startsWith("T05thread:");
            assertThat(c.ask("g")).isNotEqualTo(g);
            c.ask("z0," + Long.toHexString(ap) + ",1");
            assertThat(c.resume("c")).isEqualTo(String.format("W%02x", ((RunOutcome.GuestExit) o).status()));
            for (int i = 0; i < 4; i++) {
                Cpu p = plain.cpus().get(i), d = h.stub.machine().cpus().get(i);
                assertThat(d.instructions()).as("vCPU " + i + " instructions").isEqualTo(p.instructions());
                assertThat(d.cycles()).as("vCPU " + i + " cycles").isEqualTo(p.cycles());
            }
        }
    }

    @Test
    void refusedAfterStateWasChangedThroughGdb() throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1); RspClient c = h.connect()) {
            c.resume("vCont;s:1");
            assertThat(c.ask("M200000,1:aa")).isEqualTo("OK");
            c.send("bs");
            String r = c.reply();
            if (r.startsWith("O")) {
                assertThat(RspClient.unhex(r.substring(1))).contains("not available after registers or memory were changed");
                r = c.reply();
            }
            assertThat(r).isEqualTo("E01");
        }
    }

    private static long le(String hex) {
        long v = 0;
        for (int i = hex.length() - 2; i >= 0; i -= 2) {
            v = (v << 8) | Integer.parseInt(hex.substring(i, i + 2), 16);
        }
        return v;
    }
}
