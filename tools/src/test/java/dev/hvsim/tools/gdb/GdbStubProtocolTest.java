package dev.hvsim.tools.gdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.Cpu;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stub at the protocol level: a Java client speaking RSP over a socket to a stub on an ephemeral port. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GdbStubProtocolTest {
    private static final byte[] MODES = Guests.bytes("modes");
    private static final long START = ElfSymbols.address(MODES, "_start");
    private static final long MAIN64 = ElfSymbols.address(MODES, "main64");
    private static final long FINISH64 = ElfSymbols.address(MODES, "finish64");
    private static final long BOOT_EAX = ElfSymbols.address(MODES, "boot_eax");
    private static final long CHECKS_RUN = ElfSymbols.address(MODES, "checks_run");

    private static long rip(RspClient c) throws Exception {
        return le(c.ask("p10"));
    }

    private static long le(String hex) {
        long v = 0;
        for (int i = hex.length() - 2; i >= 0; i -= 2) {
            v = (v << 8) | Integer.parseInt(hex.substring(i, i + 2), 16);
        }
        return v;
    }

    private static String le64(long v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            b.append(String.format("%02x", (v >>> (8 * i)) & 0xff));
        }
        return b.toString();
    }

    @Test
    void checksumsAcksAndNoAckMode() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            c.sendRaw("$qC#00".getBytes(StandardCharsets.US_ASCII)); // wrong checksum
            assertThat(c.readByte()).isEqualTo('-');
            String sup = c.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
            assertThat(sup).contains("PacketSize=", "qXfer:features:read+", "swbreak+", "hwbreak+", "vContSupported+",
                    "QStartNoAckMode+");
            assertThat(c.ask("QStartNoAckMode")).isEqualTo("OK");
            c.noAck = true;
            assertThat(c.ask("qC")).isEqualTo("QC1");
            c.sendRaw("$?#00".getBytes(StandardCharsets.US_ASCII)); // no-ack mode: checksums are not checked
            assertThat(c.reply()).isEqualTo("T05thread:1;");
            assertThat(c.ask("vMustReplyEmpty")).isEmpty();
        }
    }

    @Test
    void startsStoppedAtTheFirstInstructionAndTargetDescriptionIsFixed() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            assertThat(c.ask("?")).as("stopped, with the thread (one per vCPU)").isEqualTo("T05thread:1;");
            assertThat(rip(c)).isEqualTo(START);
            StringBuilder xml = new StringBuilder();
            for (int off = 0; ; ) {
                String r = c.ask(String.format("qXfer:features:read:target.xml:%x,%x", off, 0x200));
                xml.append(r.substring(1));
                off += r.length() - 1;
                if (r.charAt(0) == 'l') {
                    break;
                }
                assertThat(r.charAt(0)).isEqualTo('m');
            }
            assertThat(xml.toString()).isEqualTo(Registers.targetXml())
                    .contains("<architecture>i386:x86-64</architecture>", "org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
                            "name=\"fs_base\"", "name=\"gs_base\"", "name=\"cr0\"", "name=\"cr3\"", "name=\"cr8\"",
                            "name=\"efer\"");
            assertThat(c.ask("qXfer:features:read:other.xml:0,100")).startsWith("E");
        }
    }

    @Test
    void registerLayoutKeepsItsSizeAcrossThe32To64BitSwitch() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            String g32 = c.ask("g");
            assertThat(g32).hasSize(2 * Registers.G_BYTES);
            assertThat(h.machine.cpu().codeSize()).isEqualTo(32);
            assertThat(c.ask("Z0," + Long.toHexString(MAIN64) + ",1")).isEqualTo("OK");
            assertThat(c.resume("vCont;c")).isEqualTo("T05swbreak:;thread:1;");
            assertThat(h.machine.cpu().codeSize()).isEqualTo(64);
            String g64 = c.ask("g");
            assertThat(g64).hasSize(g32.length());
            assertThat(le(g64.substring(2 * 16 * 8, 2 * 17 * 8))).isEqualTo(MAIN64); // rip
            assertThat(le(c.ask("p" + Integer.toHexString(Registers.EFER))) & 0x400).isEqualTo(0x400); // LMA
            // one instruction at a time through the rest, then the register block is still the same size
            for (int i = 0; i < 50; i++) {
                assertThat(c.resume("vCont;s:1")).isEqualTo("T05thread:1;");
                assertThat(c.ask("g")).hasSize(g32.length());
            }
        }
    }

    @Test
    void breakpointsAreNotWrittenIntoGuestMemory() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            String before = c.ask("m" + Long.toHexString(MAIN64) + ",8");
            assertThat(c.ask("Z0," + Long.toHexString(MAIN64) + ",1")).isEqualTo("OK");
            assertThat(c.ask("Z1," + Long.toHexString(FINISH64) + ",1")).isEqualTo("OK");
            assertThat(c.ask("m" + Long.toHexString(MAIN64) + ",8")).isEqualTo(before);
            assertThat(before).doesNotStartWith("cc");
            assertThat(c.resume("c")).isEqualTo("T05swbreak:;thread:1;");
            assertThat(rip(c)).isEqualTo(MAIN64);
            assertThat(c.ask("m" + Long.toHexString(MAIN64) + ",8")).isEqualTo(before);
            assertThat(c.resume("c")).isEqualTo("T05hwbreak:;thread:1;");
            assertThat(rip(c)).isEqualTo(FINISH64);
            assertThat(c.ask("z1," + Long.toHexString(FINISH64) + ",1")).isEqualTo("OK");
            assertThat(c.ask("z0," + Long.toHexString(MAIN64) + ",1")).isEqualTo("OK");
            assertThat(c.resume("c")).isEqualTo("W01"); // the guest passed: status (0 << 1) | 1
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.GUEST_EXITED);
        }
    }

    @Test
    void writeWatchpointReportsTheDataAddressAfterTheStore() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            assertThat(c.ask("Z2," + Long.toHexString(BOOT_EAX) + ",4")).isEqualTo("OK");
            assertThat(c.resume("c")).isEqualTo("T05watch:" + Long.toHexString(BOOT_EAX) + ";thread:1;");
            // mov %eax, boot_eax retired: its value is in memory and RIP is past it
            assertThat(le(c.ask("m" + Long.toHexString(BOOT_EAX) + ",4"))).isEqualTo(0x2BADB002L);
            assertThat(rip(c)).isGreaterThan(START).isLessThan(START + 16);
            assertThat(c.ask("z2," + Long.toHexString(BOOT_EAX) + ",4")).isEqualTo("OK");
        }
    }

    @Test
    void watchpointsHitIn64BitModeWithPagingThroughTheTlb() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            c.ask("Z0," + Long.toHexString(MAIN64) + ",1");
            assertThat(c.resume("c")).startsWith("T05swbreak:");
            c.ask("z0," + Long.toHexString(MAIN64) + ",1");
            assertThat(c.ask("Z3," + Long.toHexString(CHECKS_RUN) + ",4")).isEqualTo("OK");
            assertThat(c.resume("c")).isEqualTo("T05rwatch:" + Long.toHexString(CHECKS_RUN) + ";thread:1;");
            c.ask("z3," + Long.toHexString(CHECKS_RUN) + ",4");
            long runBefore = le(c.ask("m" + Long.toHexString(CHECKS_RUN) + ",4"));
            assertThat(c.ask("Z2," + Long.toHexString(CHECKS_RUN) + ",4")).isEqualTo("OK");
            assertThat(c.resume("c")).isEqualTo("T05watch:" + Long.toHexString(CHECKS_RUN) + ";thread:1;");
            assertThat(le(c.ask("m" + Long.toHexString(CHECKS_RUN) + ",4"))).isEqualTo(runBefore + 1);
            c.ask("z2," + Long.toHexString(CHECKS_RUN) + ",4");
            assertThat(c.ask("Z4," + Long.toHexString(CHECKS_RUN) + ",4")).isEqualTo("OK");
            assertThat(c.resume("c")).isEqualTo("T05awatch:" + Long.toHexString(CHECKS_RUN) + ";thread:1;");
        }
    }

    @Test
    void registersAndMemoryReadAndWrite() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            assertThat(c.ask("P0=" + le64(0x1122334455667788L))).isEqualTo("OK");
            assertThat(c.ask("p0")).isEqualTo(le64(0x1122334455667788L));
            assertThat(h.machine.cpu().state().gpr[0]).isEqualTo(0x1122334455667788L);
            assertThat(c.ask("p3")).isEqualTo(le64(h.machine.cpu().state().gpr[2])); // gdb's rdx
            assertThat(c.ask("p" + Integer.toHexString(Registers.CR0))).isEqualTo(le64(0x11));
            assertThat(c.ask("p" + Integer.toHexString(Registers.COUNT))).startsWith("E");
            assertThat(c.ask("P1=00")).startsWith("E");
            long scratch = 0x200000;
            assertThat(c.ask("M" + Long.toHexString(scratch) + ",4:deadbeef")).isEqualTo("OK");
            assertThat(c.ask("m" + Long.toHexString(scratch) + ",4")).isEqualTo("deadbeef");
            byte[] bin = {0x23, 0x24, 0x7d, 0x2a, 0, (byte) 0xff}; // '#', '$', '}', '*' must be escaped
            byte[] head = ("X" + Long.toHexString(scratch) + ",6:").getBytes(StandardCharsets.US_ASCII);
            byte[] pkt = new byte[head.length + bin.length];
            System.arraycopy(head, 0, pkt, 0, head.length);
            System.arraycopy(bin, 0, pkt, head.length, bin.length);
            c.send(pkt);
            assertThat(c.reply()).isEqualTo("OK");
            assertThat(c.ask("m" + Long.toHexString(scratch) + ",6")).isEqualTo("2324" + "7d2a00ff");
            assertThat(c.ask("X" + Long.toHexString(scratch) + ",0:")).isEqualTo("OK");
            String g = c.ask("g");
            assertThat(c.ask("G" + g)).isEqualTo("OK");
            assertThat(c.ask("g")).isEqualTo(g);
            assertThat(c.ask("G00")).startsWith("E");
        }
    }

    @Test
    void unmappedMemoryGivesAnErrorAndPhysSwitchesTheView() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            c.ask("Z0," + Long.toHexString(MAIN64) + ",1");
            c.resume("c");
            assertThat(c.ask("m7fff00000000,8")).isEqualTo("E14");
            assertThat(c.ask("m800000000000,8")).isEqualTo("E14"); // not canonical
            assertThat(c.ask("M7fff00000000,1:00")).isEqualTo("E14");
            assertThat(RspClient.unhex(c.ask("qRcmd," + RspClient.hex("phys on")))).contains("physical");
            assertThat(c.ask("m" + Long.toHexString(MAIN64) + ",4")).hasSize(8);
            assertThat(c.ask("m7fff00000000,8")).isEqualTo("E14");
            assertThat(RspClient.unhex(c.ask("qRcmd," + RspClient.hex("phys off")))).contains("linear");
        }
    }

    @Test
    void monitorCommands() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            assertThat(monitor(c, "help")).contains("phys on|off", "pagewalk", "cycles", "break-exit");
            assertThat(monitor(c, "mode")).contains("32-bit protected mode", "CPL 0", "paging off");
            assertThat(monitor(c, "mode")).contains("virtualization: VMX available, not in VMX operation");
            assertThat(monitor(c, "break-exit")).isEqualTo("break-exit: off\n");
            assertThat(monitor(c, "break-exit CPUID io 0x30")).isEqualTo("break-exit: CPUID io 0x30\n");
            assertThat(monitor(c, "break-exit")).isEqualTo("break-exit: CPUID io 0x30\n");
            assertThat(monitor(c, "break-exit FROB")).contains("unknown exit 'FROB'");
            assertThat(monitor(c, "break-exit")).isEqualTo("break-exit: CPUID io 0x30\n"); // a bad word changes nothing
            assertThat(monitor(c, "break-exit off")).isEqualTo("break-exit: off\n");
            assertThat(monitor(c, "break-entry")).isEqualTo("break-entry: on\n");
            assertThat(monitor(c, "break-entry off")).isEqualTo("break-entry: off\n");
            assertThat(monitor(c, "break-entry-fail maybe")).contains("usage: monitor break-entry-fail [on|off]");
            assertThat(monitor(c, "vmcs")).contains("vmcs: no current VMCS (VMX available, not in VMX operation)");
            assertThat(monitor(c, "vmcb control.EXITCODE")).contains("vmcb: this CPU has no SVM model");
            assertThat(monitor(c, "exits 5")).isEqualTo("no VM exits yet\n");
            assertThat(monitor(c, "exits -1")).contains("usage: monitor exits [N]");
            assertThat(monitor(c, "cycles")).contains("vCPU 0: 0 instructions");
            assertThat(monitor(c, "bogus")).contains("unknown monitor command");
            c.ask("Z0," + Long.toHexString(MAIN64) + ",1");
            c.resume("c");
            assertThat(monitor(c, "regs")).contains("64-bit mode (IA-32e)", "paging 4-level");
            assertThat(monitor(c, "pagewalk 0x" + Long.toHexString(MAIN64)))
                    .contains("physical 0x" + Long.toHexString(MAIN64), "Translated[hpa=0x" + Long.toHexString(MAIN64),
                            "level 4 entry 0 at gpa 0x", "guest-physical 0x" + Long.toHexString(MAIN64))
                    .doesNotContain("nested:"); // no second stage outside a guest
            assertThat(monitor(c, "info tlb 0x7fff00000000")).contains("not mapped", "Fault[");
        }
    }

    private static String monitor(RspClient c, String cmd) throws Exception {
        return RspClient.unhex(c.ask("qRcmd," + RspClient.hex(cmd)));
    }

    @Test
    void threadsAreVcpus() throws Exception {
        try (StubHarness h = StubHarness.guest("smp", 4); RspClient c = h.connect()) {
            assertThat(c.ask("qfThreadInfo")).isEqualTo("m1,2,3,4");
            assertThat(c.ask("qsThreadInfo")).isEqualTo("l");
            assertThat(c.ask("Hg3")).isEqualTo("OK");
            assertThat(c.ask("T4")).isEqualTo("OK");
            assertThat(c.ask("T9")).isEqualTo("E22");
            assertThat(c.ask("Hg9")).isEqualTo("E22");
            assertThat(RspClient.unhex(c.ask("qThreadExtraInfo,2"))).contains("vCPU 1", "waiting for SIPI");
            assertThat(RspClient.unhex(c.ask("qThreadExtraInfo,1"))).contains("vCPU 0 (BSP)");
            assertThat(c.ask("Hg1")).isEqualTo("OK");
            assertThat(c.ask("vCont?")).isEqualTo("vCont;c;C;s;S");
        }
    }

    @Test
    void steppingAndContinuingGiveTheSameCountsAsAPlainRun() throws Exception {
        for (String guest : new String[] {"modes", "smp"}) {
            int cpus = guest.equals("smp") ? 4 : 1;
            Machine plain = StubHarness.machine(guest, cpus, new ByteArrayOutputStream());
            RunOutcome o = plain.run(RunLimits.instructions(50_000_000));
            assertThat(o.kind()).isEqualTo(RunOutcome.Kind.GUEST_EXIT);
            try (StubHarness h = StubHarness.guest(guest, cpus); RspClient c = h.connect()) {
                for (int i = 0; i < 20; i++) {
                    assertThat(c.resume("vCont;s:1;c")).isEqualTo("T05thread:1;");
                }
                long insns = h.machine.cpu().instructions();
                assertThat(insns).isEqualTo(20);
                // a breakpoint in the middle of a round of turns (several CPUs) must not change the schedule
                long bp = ElfSymbols.address(Guests.bytes(guest), guest.equals("smp") ? "ap_entry32" : "main64");
                c.ask("Z0," + Long.toHexString(bp) + ",1");
                assertThat(c.resume("c")).startsWith("T05swbreak:");
                c.ask("z0," + Long.toHexString(bp) + ",1");
                assertThat(c.resume("c")).isEqualTo(String.format("W%02x", ((RunOutcome.GuestExit) o).status()));
                for (int i = 0; i < cpus; i++) {
                    Cpu p = plain.cpus().get(i), d = h.machine.cpus().get(i);
                    assertThat(d.instructions()).as(guest + " vCPU " + i + " instructions").isEqualTo(p.instructions());
                    assertThat(d.cycles()).as(guest + " vCPU " + i + " cycles").isEqualTo(p.cycles());
                }
            }
        }
    }

    @Test
    void interruptStopsARunningGuest() throws Exception {
        Machine m = new Machine(new dev.hvsim.machine.MachineConfig(
                dev.hvsim.x86core.CpuProfile.forVendor(dev.hvsim.x86core.Vendor.INTEL), 16, new ByteArrayOutputStream()));
        m.loadFlat(new byte[] {(byte) 0xeb, (byte) 0xfe}, 0x100000, -1); // jmp $
        try (StubHarness h = new StubHarness(m); RspClient c = h.connect()) {
            c.send("c");
            assertThat(c.silentFor(300)).isTrue();
            c.sendRaw(new byte[] {3});
            assertThat(c.reply()).isEqualTo("T02thread:1;");
            assertThat(m.cpu().instructions()).isGreaterThan(0);
            assertThat(rip(c)).isEqualTo(0x100000);
            assertThat(c.ask("D")).isEqualTo("OK");
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.DETACHED);
        }
    }

    @Test
    void malformedPacketsGetErrorsAndTheStubSurvives() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1); RspClient c = h.connect()) {
            assertThat(c.ask("mzz,4")).isEqualTo("E01");
            assertThat(c.ask("m100000")).isEqualTo("E01");
            assertThat(c.ask("Z9,0,1")).isEmpty();
            assertThat(c.ask("Z0")).isEqualTo("E01");
            assertThat(c.ask("qRcmd,zz")).isEqualTo("E01");
            assertThat(c.ask("vCont;x")).isEqualTo("E01");
            assertThat(c.ask("unknown-packet")).isEmpty();
            assertThat(c.ask("m100000,ffffffff")).isNotEmpty().doesNotStartWith("E"); // clipped to the packet size
            byte[] huge = new byte[RspConnection.MAX_PACKET + 100];
            java.util.Arrays.fill(huge, (byte) 'a');
            c.send(huge);
            assertThat(c.reply()).isEqualTo("E01");
            assertThat(c.ask("qC")).isEqualTo("QC1");
            c.sendRaw("$m1000".getBytes(StandardCharsets.US_ASCII)); // the connection drops mid-packet
        }
        // closing the client mid-packet ends the session cleanly
    }

    @Test
    void droppedConnectionEndsTheSession() throws Exception {
        try (StubHarness h = StubHarness.guest("modes", 1)) {
            try (RspClient c = h.connect()) {
                c.sendRaw("$m10".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.DISCONNECTED);
            Cpu cpu = h.machine.cpu();
            assertThat(cpu.listener()).isNull();
            assertThat(cpu.memoryWatch()).isNull();
        }
    }

    @Test
    void vmStopsOnAHypervisorGuestAndTheGuestSideWalk() throws Exception {
        byte[] elf = dev.hvsim.guests.Guests.bytes("vmx-hv");
        long guest = ElfSymbols.address(elf, "vmx_guest");
        try (StubHarness h = StubHarness.guest("vmx-hv", 1); RspClient c = h.connect()) {
            assertThat(monitor(c, "break-entry")).isEqualTo("break-entry: on\n");
            assertThat(c.resume("c")).startsWith("T05");
            assertThat(rip(c)).isEqualTo(guest); // VMLAUNCH entered: the guest's first instruction
            assertThat(monitor(c, "mode")).contains("VMX non-root operation");
            String walk = monitor(c, "walk 0x" + Long.toHexString(guest));
            assertThat(walk).contains("level 4 entry 0 at gpa 0x", "level 3 entry 0 at gpa 0x", " PS\n",
                    "guest-physical 0x" + Long.toHexString(guest)); // the identity map's 2-MiB page
            monitor(c, "break-entry off");
            assertThat(monitor(c, "break-exit IO")).isEqualTo("break-exit: IO\n");
            assertThat(c.resume("c")).startsWith("T05");
            assertThat(rip(c)).isEqualTo(ElfSymbols.address(elf, "vmx_exit"));
            String exits = monitor(c, "exits");
            assertThat(exits).contains("VM exit CPUID (10) [CPUID]");
            assertThat(exits.strip().lines().reduce((a, b) -> b).orElseThrow())
                    .contains("VM exit IO (30) [IO]", "qualification 0x3f80000"); // OUT DX, AL to port 3F8H
            assertThat(exits).doesNotContain("HLT");
            String all = monitor(c, "vmcs all");
            assertThat(all).contains("HOST_RIP", "GUEST_RIP", "VM_EXIT_REASON", "EPT_POINTER");
            assertThat(all.lines().count()).isGreaterThan(100);
            assertThat(monitor(c, "vmcb")).contains("vmcb: this CPU has no SVM model");
            assertThat(monitor(c, "vmcs VM_EXIT_REASON EXIT_QUALIFICATION NO_SUCH_FIELD")).contains("= 0x1e\n",
                    "= 0x3f80000\n", "NO_SUCH_FIELD", "unknown VMCS field");
            // the current VMCS's region read as memory shows the exit's fields, although the model writes its
            // processor-side copy back only when the VMCS stops being current (vmx-model DEVIATIONS.md "VMCS storage")
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("VMCS (0x[0-9a-f]+)").matcher(monitor(c, "vmcs"));
            assertThat(m.find()).isTrue();
            long reason = Long.decode(m.group(1)) + dev.hvsim.vmcs.VmcsLayout.hvsim().offsetOf(
                    dev.hvsim.vmcs.VmcsFields.get().byName("VM_EXIT_REASON"));
            monitor(c, "phys on");
            assertThat(le(c.ask("m" + Long.toHexString(reason) + ",4"))).isEqualTo(0x1e);
            monitor(c, "phys off");
        }
    }

    @Test
    void steppingVmlaunchWithBreakEntryStopsOnceInTheGuest() throws Exception {
        byte[] elf = dev.hvsim.guests.Guests.bytes("vmx-hv");
        long vmlaunch = ElfSymbols.address(elf, "vmx_launch") + 17; // after six pushes and a RIP-relative MOV
        try (StubHarness h = StubHarness.guest("vmx-hv", 1); RspClient c = h.connect()) {
            assertThat(c.ask("Z0," + Long.toHexString(vmlaunch) + ",1")).isEqualTo("OK");
            assertThat(c.resume("c")).startsWith("T05");
            assertThat(c.ask("m" + Long.toHexString(vmlaunch) + ",3")).isEqualTo("0f01c2"); // VMLAUNCH
            assertThat(c.ask("z0," + Long.toHexString(vmlaunch) + ",1")).isEqualTo("OK");
            monitor(c, "break-entry");
            assertThat(c.resume("s")).startsWith("T05");
            assertThat(rip(c)).isEqualTo(ElfSymbols.address(elf, "vmx_guest"));
            monitor(c, "break-exit CPUID");
            assertThat(c.resume("c")).startsWith("T05"); // not the entry again: the step took that stop
            assertThat(rip(c)).isEqualTo(ElfSymbols.address(elf, "vmx_exit"));
            assertThat(monitor(c, "exits")).contains("VM exit CPUID (10)");
        }
    }

    @Test
    void aVmfailOfVmlaunchStopsWithBreakEntryFailAndNamesTheRule() throws Exception {
        byte[] elf = dev.hvsim.guests.Guests.bytes("vmx-hv");
        long vmlaunch = ElfSymbols.address(elf, "vmx_launch") + 17;
        long pin = ElfSymbols.address(elf, "vmcs_region") + dev.hvsim.vmcs.VmcsLayout.hvsim().offsetOf(
                dev.hvsim.vmcs.VmcsFields.get().byName("PIN_BASED_VM_EXEC_CONTROL"));
        try (StubHarness h = StubHarness.guest("vmx-hv", 1); RspClient c = h.connect()) {
            c.ask("Z0," + Long.toHexString(vmlaunch) + ",1");
            assertThat(c.resume("c")).startsWith("T05");
            c.ask("z0," + Long.toHexString(vmlaunch) + ",1");
            // pin-based controls 0: the bits IA32_VMX_PINBASED_CTLS requires are clear, so VMLAUNCH fails VMfailValid(7)
            assertThat(c.ask("M" + Long.toHexString(pin) + ",4:00000000")).isEqualTo("OK");
            assertThat(monitor(c, "break-entry-fail")).isEqualTo("break-entry-fail: on\n");
            assertThat(c.resume("c")).startsWith("T05");
            assertThat(rip(c)).isEqualTo(vmlaunch + 3); // VMfail: VMLAUNCH retires and falls through (31.2)
            assertThat(monitor(c, "mode")).contains("VMX root operation");
            assertThat(monitor(c, "exits 1")).contains("failed VM entry (VMCS): VMfail (VM-instruction error 7) at rip 0x"
                    + Long.toHexString(vmlaunch), "failed check: ", "PIN");
            assertThat(monitor(c, "vmcs VM_INSTRUCTION_ERROR")).contains("= 0x7\n");
        }
    }
}
