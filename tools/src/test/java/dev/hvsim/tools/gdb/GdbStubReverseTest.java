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
import dev.hvsim.tools.gdb.StubHarness.Reverse;
import dev.hvsim.x86core.Vendor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reverse execution (bs, bc) by deterministic re-execution: from the nearest periodic snapshot (at the default
 * interval, where a short guest has only the start's, and at a small one, where reverse steps restore snapshots taken
 * on the way) and, for machines without snapshots, from the start.
 */
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

    @ParameterizedTest
    @EnumSource(Reverse.class)
    void reverseStepiRestoresEveryEarlierRegisterStateAcrossTheModeSwitch(Reverse how) throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1, Vendor.INTEL, how); RspClient c = h.connect()) {
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

    @ParameterizedTest
    @EnumSource(Reverse.class)
    void reverseStepiAtTheStartReportsTheBeginningOfHistory(Reverse how) throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1, Vendor.INTEL, how); RspClient c = h.connect()) {
            assertThat(c.resume("bs")).isEqualTo("T05replaylog:begin;thread:1;");
            c.resume("vCont;s:1");
            assertThat(c.resume("bs")).isEqualTo("T05thread:1;");
            assertThat(h.stub.machine().cpu().instructions()).isZero();
            assertThat(c.resume("bs")).isEqualTo("T05replaylog:begin;thread:1;");
        }
    }

    @ParameterizedTest
    @EnumSource(Reverse.class)
    void reverseContinueStopsAtTheLastBreakpointAndWatchpointHit(Reverse how) throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1, Vendor.INTEL, how); RspClient c = h.connect()) {
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

    @ParameterizedTest
    @EnumSource(Reverse.class)
    void afterReversingTheRunEndsExactlyAsAPlainRun(Reverse how) throws Exception {
        Machine plain = StubHarness.machine("smp", 4, new ByteArrayOutputStream());
        RunOutcome o = plain.run(RunLimits.instructions(50_000_000));
        long ap = ElfSymbols.address(Guests.bytes("smp"), "ap_entry32");
        try (StubHarness h = StubHarness.reversible("smp", 4, Vendor.INTEL, how); RspClient c = h.connect()) {
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
    void refusedAfterStateWasChangedThroughGdbWithoutSnapshots() throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1, Vendor.INTEL, Reverse.REPLAY_FROM_START);
                RspClient c = h.connect()) {
            c.resume("vCont;s:1");
            assertThat(c.ask("M200000,1:aa")).isEqualTo("OK");
            assertThat(refusal(c, "bs")).contains("not available after registers or memory were changed");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Reverse.class, names = {"DEFAULT", "SMALL_INTERVAL"})
    void withSnapshotsAChangeThroughGdbStartsANewHistoryThatReverseExecutionReachesButNotBeyond(Reverse how)
            throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1, Vendor.INTEL, how); RspClient c = h.connect()) {
            c.ask("Z0," + Long.toHexString(MAIN64) + ",1");
            assertThat(c.resume("c")).startsWith("T05swbreak:");
            c.ask("z0," + Long.toHexString(MAIN64) + ",1");
            assertThat(c.ask("M200000,1:aa")).isEqualTo("OK");
            assertThat(c.ask("P0=2a00000000000000")).isEqualTo("OK"); // RAX = 42
            List<String> states = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                states.add(c.ask("g") + c.ask("m200000,1"));
                c.resume("vCont;s:1");
            }
            for (int i = 29; i >= 0; i--) {
                assertThat(c.resume("bs")).isEqualTo("T05thread:1;");
                assertThat(c.ask("g") + c.ask("m200000,1")).as("state before step " + i + " after the change")
                        .isEqualTo(states.get(i));
            }
            assertThat(states.get(0)).endsWith("aa");
            assertThat(refusal(c, "bs")).contains("cannot go back past the point where registers or memory were changed");
            // on to the end of the checks (periodic snapshots on the way), then reverse-continue with no breakpoint
            // behind: the beginning of this history, the state right after the change
            c.ask("Z1," + Long.toHexString(FINISH64) + ",1");
            assertThat(c.resume("c")).startsWith("T05hwbreak:");
            c.ask("z1," + Long.toHexString(FINISH64) + ",1");
            String report = monitor(c, "snapshots");
            assertThat(report).contains("every " + (how == Reverse.DEFAULT ? Snapshots.DEFAULT_INTERVAL
                    : StubHarness.SMALL_INTERVAL) + " steps of any vCPU");
            if (how == Reverse.SMALL_INTERVAL) {
                assertThat(report).containsPattern("snapshots: \\d{2,}"); // taken on the way, after the change
            }
            assertThat(c.resume("bc")).isEqualTo("T05replaylog:begin;thread:1;");
            assertThat(c.ask("g") + c.ask("m200000,1")).isEqualTo(states.get(0));
        }
    }

    @Test
    void reverseContinueFarBackRestoresAPeriodicSnapshot() throws Exception {
        try (StubHarness h = StubHarness.reversible("modes", 1, Vendor.INTEL, Reverse.SMALL_INTERVAL);
                RspClient c = h.connect()) {
            c.ask("Z0," + Long.toHexString(MAIN64) + ",1");
            assertThat(c.resume("c")).startsWith("T05swbreak:");
            String atMain = c.ask("g");
            long mainStep = h.stub.machine().cpu().instructions();
            c.ask("Z1," + Long.toHexString(FINISH64) + ",1");
            assertThat(c.resume("c")).startsWith("T05hwbreak:");
            c.ask("z1," + Long.toHexString(FINISH64) + ",1");
            long end = h.stub.machine().cpu().instructions();
            assertThat(end - mainStep).as("the breakpoint is far back").isGreaterThan(10 * StubHarness.SMALL_INTERVAL);
            String before = monitor(c, "snapshots");
            assertThat(before).containsPattern("snapshots: \\d{2,}").contains("restored 0");
            assertThat(c.resume("bc")).isEqualTo("T05swbreak:;thread:1;");
            assertThat(c.ask("g")).isEqualTo(atMain);
            assertThat(h.stub.machine().cpu().instructions()).isEqualTo(mainStep);
            String after = monitor(c, "snapshots");
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("last reverse execution restored the snapshot at vCPU 0 step (\\d+)").matcher(after);
            assertThat(m.find()).as(after).isTrue();
            long used = Long.parseLong(m.group(1));
            assertThat(used).as("a periodic snapshot shortly before main64, not the start").isPositive()
                    .isLessThanOrEqualTo(mainStep).isGreaterThan(mainStep - 2 * StubHarness.SMALL_INTERVAL);
            // and forward again from there to the end: the same run as one never reversed
            Machine plain = StubHarness.machine("modes", 1, new ByteArrayOutputStream());
            RunOutcome o = plain.run(RunLimits.instructions(50_000_000));
            c.ask("z0," + Long.toHexString(MAIN64) + ",1");
            assertThat(c.resume("c")).isEqualTo(String.format("W%02x", ((RunOutcome.GuestExit) o).status()));
            assertThat(h.stub.machine().cpu().cycles()).isEqualTo(plain.cpu().cycles());
            assertThat(h.stub.machine().cpu().instructions()).isEqualTo(plain.cpu().instructions());
        }
    }

    @Test
    void pastTheMemoryLimitOldSnapshotsAreThinnedAndReverseExecutionStillWorks() throws Exception {
        Machine m = StubHarness.machine("modes", 1, new ByteArrayOutputStream());
        try (StubHarness h = new StubHarness(m, out -> {
            try {
                return StubHarness.machine("modes", 1, out);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, 50, 1L << 20); RspClient c = h.connect()) {
            c.ask("Z1," + Long.toHexString(FINISH64) + ",1");
            assertThat(c.resume("c")).startsWith("T05hwbreak:");
            c.ask("z1," + Long.toHexString(FINISH64) + ",1");
            String report = monitor(c, "snapshots");
            java.util.regex.Matcher n = java.util.regex.Pattern.compile("dropped to stay under the limit (\\d+)")
                    .matcher(report);
            assertThat(n.find()).isTrue();
            assertThat(Long.parseLong(n.group(1))).as(report).isPositive();
            java.util.regex.Matcher mem = java.util.regex.Pattern.compile("memory ([\\d.]+) MiB of 1 MiB").matcher(report);
            assertThat(mem.find()).as(report).isTrue();
            assertThat(Double.parseDouble(mem.group(1))).isLessThanOrEqualTo(1.0);
            List<String> states = new ArrayList<>();
            c.ask("Z0," + Long.toHexString(MAIN64) + ",1");
            assertThat(c.resume("bc")).isEqualTo("T05swbreak:;thread:1;");
            c.ask("z0," + Long.toHexString(MAIN64) + ",1");
            for (int i = 0; i < 20; i++) {
                states.add(c.ask("g"));
                c.resume("vCont;s:1");
            }
            for (int i = 19; i >= 0; i--) {
                assertThat(c.resume("bs")).isEqualTo("T05thread:1;");
                assertThat(c.ask("g")).isEqualTo(states.get(i));
            }
        }
    }

    private static String refusal(RspClient c, String packet) throws Exception {
        c.send(packet);
        String r = c.reply();
        StringBuilder console = new StringBuilder();
        while (r.startsWith("O") && !r.equals("OK")) {
            console.append(RspClient.unhex(r.substring(1)));
            r = c.reply();
        }
        assertThat(r).isEqualTo("E01");
        return console.toString();
    }

    private static String monitor(RspClient c, String command) throws Exception {
        return RspClient.unhex(c.ask("qRcmd," + RspClient.hex(command)));
    }

    private static long le(String hex) {
        long v = 0;
        for (int i = hex.length() - 2; i >= 0; i -= 2) {
            v = (v << 8) | Integer.parseInt(hex.substring(i, i + 2), 16);
        }
        return v;
    }
}
