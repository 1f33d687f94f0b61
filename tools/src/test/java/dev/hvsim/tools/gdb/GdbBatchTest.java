package dev.hvsim.tools.gdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hvsim.guests.Guests;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** End to end: the stock gdb binary in batch mode against the stub, asserting on what it prints. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GdbBatchTest {
    private static final byte[] MODES = Guests.bytes("modes");

    private static String gdb() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, "gdb");
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }

    private static String runGdb(int port, String... commands) throws Exception {
        String gdb = gdb();
        assumeTrue(gdb != null, "gdb is not installed (apt-get install gdb): the end-to-end debugger tests need it");
        List<String> cmd = new ArrayList<>(List.of(gdb, "-nx", "-batch", "-ex", "set architecture i386:x86-64",
                "-ex", "set pagination off", "-ex", "target remote 127.0.0.1:" + port));
        for (String c : commands) {
            cmd.add("-ex");
            cmd.add(c);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("gdb did not finish within 90 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println("gdb transcript:\n" + out); // in the surefire report, for a failing CI run
        return out;
    }

    @Test
    void stepsBreaksAndWatchesAcrossThe32To64BitSwitch() throws Exception {
        long start = ElfSymbols.address(MODES, "_start");
        long main64 = ElfSymbols.address(MODES, "main64");
        long finish64 = ElfSymbols.address(MODES, "finish64");
        long checksRun = ElfSymbols.address(MODES, "checks_run");
        try (StubHarness h = StubHarness.guest("modes", 1)) {
            String out = runGdb(h.stub.port(),
                    "info registers rip",
                    "stepi",
                    "info registers rip",
                    "x/2i $pc",
                    "x/1xb 0x" + Long.toHexString(main64),
                    "break *0x" + Long.toHexString(main64),
                    "x/1xb 0x" + Long.toHexString(main64),
                    "continue",
                    "info registers rip efer cr0 fs_base",
                    "stepi",
                    "stepi",
                    "info registers rip",
                    "monitor mode",
                    "monitor break-exit all",
                    "watch *(int *)0x" + Long.toHexString(checksRun),
                    "continue",
                    "delete",
                    "hbreak *0x" + Long.toHexString(finish64),
                    "continue",
                    "info threads",
                    "detach");
            assertThat(out).doesNotContain("Remote 'g' packet reply is too long", "Remote connection closed",
                    "Remote failure reply");
            assertThat(out).contains(String.format("rip            0x%x", start));
            assertThat(out).contains(String.format("=> 0x%x:", start + 1)); // x/2i after one stepi (cld is 1 byte)
            assertThat(out).contains(String.format("Breakpoint 1, 0x%016x in ?? ()", main64));
            assertThat(out).contains(String.format("rip            0x%x", main64));
            assertThat(out).containsPattern("efer +0x5\\d\\d");
            assertThat(out).contains("fs_base");
            assertThat(out).contains("64-bit mode (IA-32e), CPL 0, paging 4-level");
            assertThat(out).contains("break-exit: not supported yet: this CPU has no VMX/SVM model");
            assertThat(out).contains("Hardware watchpoint 2: *(int *)0x" + Long.toHexString(checksRun), "Old value = ",
                    "New value = ");
            assertThat(out).contains(String.format("Hardware assisted breakpoint 3 at 0x%x", finish64),
                    String.format("Breakpoint 3, 0x%016x in ?? ()", finish64));
            assertThat(out).contains("vCPU 0 (BSP)");
            // the breakpoint's byte as gdb read it back while inserted: the guest's own byte, not 0xcc
            assertThat(out).doesNotContain(String.format("0x%x:\t0xcc", main64));
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.DETACHED);
        }
    }

    @Test
    void reverseStepiAndReverseContinue() throws Exception {
        long main64 = ElfSymbols.address(MODES, "main64");
        long finish64 = ElfSymbols.address(MODES, "finish64");
        try (StubHarness h = StubHarness.reversible("modes", 1)) {
            String out = runGdb(h.stub.port(),
                    "break *0x" + Long.toHexString(main64),
                    "continue",
                    "stepi",
                    "info registers rip rsi",
                    "stepi",
                    "info registers rip rsi",
                    "reverse-stepi",
                    "info registers rip rsi",
                    "reverse-stepi",
                    "info registers rip",
                    "reverse-stepi",
                    "info registers rip",
                    "hbreak *0x" + Long.toHexString(finish64),
                    "continue",
                    "continue",
                    "reverse-continue",
                    "info registers rip",
                    "delete",
                    "reverse-continue",
                    "info registers rip",
                    "kill");
            assertThat(out).doesNotContain("Remote 'g' packet reply is too long", "Target does not support",
                    "Remote failure reply");
            List<String> rsi = out.lines().filter(l -> l.startsWith("rsi")).toList();
            assertThat(rsi).hasSize(3);
            assertThat(rsi.get(2)).isEqualTo(rsi.get(0)); // reverse-stepi brought back the earlier value
            assertThat(rsi.get(1)).isNotEqualTo(rsi.get(0));
            List<String> rip = out.lines().filter(l -> l.startsWith("rip")).toList();
            assertThat(rip.get(2)).isEqualTo(rip.get(0));
            assertThat(rip.get(3)).startsWith(String.format("rip            0x%x", main64));
            assertThat(rip.get(4)).doesNotContain(String.format("0x%x", main64)); // before main64: 32-bit code
            assertThat(out).contains(String.format("Breakpoint 2, 0x%016x", finish64));
            assertThat(rip.get(5)).startsWith(String.format("rip            0x%x", main64)); // reverse-continue to bp 1
            assertThat(out).contains("No more reverse-execution history.");
            assertThat(rip.get(6)).startsWith(String.format("rip            0x%x", ElfSymbols.address(MODES, "_start")));
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.KILLED);
        }
    }
}
