package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.NptImages;
import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.conformance.gen.VmcbGenerator;
import dev.hvsim.svm.SvmExit;
import dev.hvsim.svm.VmcbBases;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Property (e) of issue 9 for SVM, isolation under nested paging (AMD APM Vol. 2 15.25 nested paging; 15.5, 15.6
 * VMRUN and #VMEXIT host state): the random store / load / push stream of {@link VmxIsolation}, ending in VMMCALL,
 * runs in a guest of a random VmcbGenerator base and guest mode (64-bit or compatibility mode with 4-level guest
 * paging, 32-bit protected mode with 32-bit or PAE paging, or without paging, where the stream's stores reach random
 * guest-physical addresses directly) under nested tables from {@link NptImages}
 * whose code page is writable. Whatever it does (stores into its own page, guest faults, nested page faults,
 * intercepted exceptions, shutdown), every byte of host-physical memory is unchanged, compared byte for byte over every
 * page the run touched, except: the host pages the nested tables map, the VMCB and VM_HSAVE_PA pages (15.5, 15.6
 * write them), and in the nested tables only their Accessed and Dirty bits (bits 5 and 6 of an entry, set by the
 * nested walk, 15.25.5). After the #VMEXIT the host state is the state at VMRUN (as in {@link SvmRoundTrip}; the
 * GPRs other than RAX and RSP, CR2 and DR6 are the guest's). A failing stream is shrunk to the fewest instructions
 * that still fail the same way and printed as replayable text ({@link #replay}).
 */
public final class SvmIsolation {
    static final CpuProfile AMD = CpuProfile.load("amd-zen");

    private SvmIsolation() {
    }

    /** Runs one random stream; null when isolation held, else the failure with the shrunk, replayable stream. */
    public static String check(SplittableRandom r, Map<String, Integer> stats) {
        long setup = r.nextLong();
        List<byte[]> insns = VmxIsolation.instructions(r, 4 + r.nextInt(12));
        String p = run(setup, insns, stats);
        if (p == null) {
            return null;
        }
        String sig = signature(p);
        List<byte[]> small = SvmProtocol.shrink(insns, t -> {
            String q = run(setup, t, new TreeMap<>());
            return q != null && signature(q).equals(sig);
        });
        return p + "\nshrunk to " + small.size() + " instruction(s), replay with SvmIsolation.replay:\n" + text(setup, small);
    }

    static String signature(String problem) {
        int bar = problem.indexOf('|');
        return bar < 0 ? problem : problem.substring(0, bar);
    }

    /** The replayable text: {@code setup SEED} then one instruction a line in hex. */
    public static String text(long setup, List<byte[]> insns) {
        StringBuilder b = new StringBuilder("setup " + setup + "\n");
        insns.forEach(i -> b.append(HexFormat.of().formatHex(i)).append('\n'));
        return b.toString();
    }

    /** Replays {@link #text}; null when isolation held, else the failure. */
    public static String replay(String text) {
        String[] lines = text.trim().split("\n");
        if (!lines[0].startsWith("setup ")) {
            throw new IllegalArgumentException("a replay starts with 'setup SEED' (got '" + lines[0] + "')");
        }
        List<byte[]> insns = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            insns.add(HexFormat.of().parseHex(lines[i].trim()));
        }
        return run(Long.parseLong(lines[0].substring(6).trim()), insns, new TreeMap<>());
    }

    /** Runs the stream {@code insns} + VMMCALL in the guest {@code setup} draws; null when isolation held. */
    public static String run(long setup, List<byte[]> insns, Map<String, Integer> stats) {
        return run(setup, insns, stats, new StringBuilder());
    }

    /**
     * As {@link #run(long, List, Map)}, appending to {@code fingerprint} what determinism compares: the exit code
     * (or "in the guest"), the cycle count, RIP and a hash of every touched page.
     */
    public static String run(long setup, List<byte[]> insns, Map<String, Integer> stats, StringBuilder fingerprint) {
        SplittableRandom r = new SplittableRandom(setup);
        CpuProfile amd = AMD;
        VmcbCase base = new VmcbGenerator(amd).validAnyMode(VmcbBases.NAMES.get(r.nextInt(VmcbBases.NAMES.size())), r);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        insns.forEach(out::writeBytes);
        out.writeBytes(SvmHostHarness.VMMCALL);
        byte[] code = out.toByteArray();
        boolean lm = !base.base().equals(VmcbBases.PROTECTED_MODE);
        long rip = (lm ? r.nextLong() & 0x00007fffffff0000L : r.nextLong() & 0xffff0000L) | r.nextInt(0x1000 - code.length);
        NptImages.Image img = NptImages.place(base.with("save.RIP", rip), code, r, true);
        VmcbCase c = img.vmcbCase();
        long page = img.codeLinear() & ~0xfffL;
        long guestRsp = r.nextBoolean() ? page + 64 + r.nextInt(0x1000 - 64) : r.nextLong() & (lm ? -1L : 0xffffffffL);
        c = c.with("save.RSP", guestRsp).with("save.RAX", r.nextLong());
        VmrunOutcome o = c.check();
        if (o.kind() != VmrunOutcome.Kind.ENTERED) {
            return "setup|the guest does not enter: " + VmcbCase.ids(o.violations());
        }
        SvmHostHarness h = new SvmHostHarness(amd);
        h.bus.load(SvmHostHarness.VMCB, c.image());
        c.memory().forEach((a, q) -> h.bus.write(a, 8, q));
        var s = h.cpu.state();
        s.gpr[Reg.RBX] = r.nextBoolean() ? page + r.nextInt(0x1000 - 64) : r.nextLong() & 0x00007ffffffffff8L;
        s.gpr[Reg.RCX] = r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(64) - 32;
        s.gpr[Reg.RSI] = r.nextBoolean() ? page + r.nextInt(0x1000 - 8) : r.nextLong();
        s.gpr[Reg.RAX] = SvmHostHarness.VMCB;
        h.prepare(SvmHostHarness.VMRUN, 0);
        Map<String, Long> hostBefore = h.state();
        Map<Long, byte[]> before = h.bus.snapshot();
        h.step();
        if (!h.svm.inGuest()) {
            return "setup|VMRUN did not enter (" + h.cpu.lastVmExit() + ")";
        }
        h.runGuest(40);
        Set<Long> allowed = new HashSet<>();
        img.gpaToHpa().values().forEach(hpa -> allowed.add(hpa >>> 12));
        allowed.add(SvmHostHarness.VMCB >>> 12);
        allowed.add(SvmHostHarness.HSAVE >>> 12);
        Set<Long> npt = new HashSet<>();
        img.nptPages().forEach(p -> npt.add(p >>> 12));
        byte[] zero = new byte[4096];
        for (Map.Entry<Long, byte[]> e : h.bus.snapshot().entrySet()) {
            byte[] was = before.getOrDefault(e.getKey(), zero), now = e.getValue();
            if (npt.contains(e.getKey()) && !Arrays.equals(was, now)) {
                stats.merge("nested-table A/D bits set", 1, Integer::sum);
            }
            if (allowed.contains(e.getKey())) {
                if (!Arrays.equals(was, now) && !(e.getKey() == SvmHostHarness.VMCB >>> 12 || e.getKey() == SvmHostHarness.HSAVE >>> 12)) {
                    stats.merge("changed NPT-mapped memory", 1, Integer::sum);
                }
                continue;
            }
            for (int i = 0; i < 4096; i++) {
                int changed = (was[i] ^ now[i]) & 0xff;
                // nested-table entries: only A (bit 5) and D (bit 6) of each entry's low byte may be set by the walk
                if (changed != 0 && !(npt.contains(e.getKey()) && (i & 7) == 0 && (changed & ~0x60) == 0
                        && (now[i] & changed) == changed)) {
                    return String.format("memory|host-physical %x changed (%02x -> %02x) outside the NPT-mapped pages "
                            + "%s%s", (e.getKey() << 12) + i, was[i], now[i], img.gpaToHpa(),
                            npt.contains(e.getKey()) ? " (a nested-table page: only A/D may change)" : "");
                }
            }
        }
        int memoryHash = 0;
        for (Map.Entry<Long, byte[]> e : h.bus.snapshot().entrySet()) {
            memoryHash = 31 * memoryHash + Long.hashCode(e.getKey()) * 17 + Arrays.hashCode(e.getValue());
        }
        fingerprint.append(h.svm.inGuest() ? "in the guest" : "exit " + Long.toHexString(((SvmExit) h.cpu.lastVmExit())
                .exitCode())).append(", cycles ").append(h.cpu.cycles()).append(", RIP ")
                .append(Long.toHexString(h.cpu.state().rip)).append(", memory ").append(Integer.toHexString(memoryHash));
        stats.merge(h.svm.inGuest() ? "still in the guest" : "exit code " + Long.toHexString(
                ((SvmExit) h.cpu.lastVmExit()).exitCode()), 1, Integer::sum);
        if (h.svm.inGuest()) {
            return null;   // still running (a loop it wrote itself, or shut down): memory was compared, no exit
        }
        Map<String, Long> want = new TreeMap<>(hostBefore), now = h.state();
        want.put("RIP", SvmHostHarness.CODE + 3);
        want.put("GIF", 0L);
        want.put("DR7", 0x400L);
        for (String k : new String[] {"CR2", "DR6", "GPR 1", "GPR 2", "GPR 3", "GPR 5", "GPR 6", "GPR 7", "GPR 8",
            "GPR 9", "GPR 10", "GPR 11", "GPR 12", "GPR 13", "GPR 14", "GPR 15"}) {
            want.remove(k);
            now.remove(k);
        }
        List<String> d = SvmHostHarness.diff(want, now);
        return d.isEmpty() ? null : "host " + d.get(0).substring(0, d.get(0).indexOf(" is ")) + "|after the #VMEXIT ("
                + Long.toHexString(((SvmExit) h.cpu.lastVmExit()).exitCode()) + ") host " + d;
    }
}
