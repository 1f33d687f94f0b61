package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.GuestImages;
import dev.hvsim.conformance.gen.GuestMode;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.x86core.Reg;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Property (e) of issue 9 for VMX, isolation (SDM Vol. 3C 29.3 EPT; 28.5 loading host state): a random stream of
 * stores (RIP-relative, through a register, PUSH), register arithmetic and loads of random pointers, ending in VMCALL,
 * runs in a 64-bit guest under EPT whose code page is writable. Whatever it does (stores into its own page, faults,
 * EPT violations, triple fault), every byte of physical memory outside the host pages EPT maps and the current VMCS
 * is unchanged, compared byte for byte over every page the run touched; and after the VM exit the root-mode state
 * is the host-state area's (CR0, CR3, CR4, RSP, RIP, CS selector, GDTR and IDTR bases, SYSENTER MSRs) in VMX root
 * operation with the same current-VMCS pointer.
 */
public final class VmxIsolation {
    private VmxIsolation() {
    }

    /** {@code n} random instructions (64-bit encodings) of the isolation streams, one array each. */
    static java.util.List<byte[]> instructions(SplittableRandom r, int n) {
        java.util.List<byte[]> list = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            switch (r.nextInt(7)) {
                case 0: {   // MOV [RIP + disp32], RAX: into the page, or just outside it
                    int d = r.nextInt(0x2000) - 0x1000;
                    out.writeBytes(new byte[] {0x48, (byte) 0x89, 0x05, (byte) d, (byte) (d >> 8), (byte) (d >> 16),
                        (byte) (d >> 24)});
                    break;
                }
                case 1:     // MOV [RBX], RAX
                    out.writeBytes(new byte[] {0x48, (byte) 0x89, 0x03});
                    break;
                case 2:     // PUSH RAX
                    out.write(0x50);
                    break;
                case 3:     // ADD RBX, RCX
                    out.writeBytes(new byte[] {0x48, 0x01, (byte) 0xcb});
                    break;
                case 4:     // INC RAX
                    out.writeBytes(new byte[] {0x48, (byte) 0xff, (byte) 0xc0});
                    break;
                case 5:     // MOV RAX, [RSI]
                    out.writeBytes(new byte[] {0x48, (byte) 0x8b, 0x06});
                    break;
                default: {  // MOV DWORD [RBX + disp8], imm32
                    out.writeBytes(new byte[] {(byte) 0xc7, 0x43, (byte) r.nextInt(256), (byte) r.nextInt(256),
                        (byte) r.nextInt(256), (byte) r.nextInt(256), (byte) r.nextInt(256)});
                    break;
                }
            }
            list.add(out.toByteArray());
        }
        return list;
    }

    /** Runs one random stream; null when isolation held, else what differs. */
    public static String check(VmxCpu cpu, SplittableRandom r) {
        return check(cpu, r, new java.util.TreeMap<>());
    }

    /**
     * As {@link #check(VmxCpu, SplittableRandom)}, counting exit reasons and runs that changed guest memory. A failing
     * stream is shrunk to the fewest instructions that still fail the same way ({@link SvmProtocol#shrink}) and
     * printed as replayable text ({@link #replay}).
     */
    public static String check(VmxCpu cpu, SplittableRandom r, Map<String, Integer> stats) {
        long setup = r.nextLong();
        List<byte[]> insns = instructions(r, 4 + r.nextInt(12));
        String p = run(cpu, setup, insns, stats);
        if (p == null) {
            return null;
        }
        String sig = signature(p);
        List<byte[]> small = SvmProtocol.shrink(insns, t -> {
            String q = run(cpu, setup, t, new java.util.TreeMap<>());
            return q != null && signature(q).equals(sig);
        });
        return p + "\nshrunk to " + small.size() + " instruction(s), replay with VmxIsolation.replay:\n"
                + SvmIsolation.text(setup, small);
    }

    /** What "fails the same way" compares: the problem without its addresses, bytes and page lists. */
    static String signature(String problem) {
        return problem.replaceAll("\\{[^}]*\\}|\\[[^\\]]*\\]", "{}").replaceAll("\\b[0-9a-f]+\\b", "#");
    }

    /** Replays the text of {@link SvmIsolation#text} on {@code cpu}; null when isolation held, else the failure. */
    public static String replay(VmxCpu cpu, String text) {
        String[] lines = text.trim().split("\n");
        if (!lines[0].startsWith("setup ")) {
            throw new IllegalArgumentException("a replay starts with 'setup SEED' (got '" + lines[0] + "')");
        }
        List<byte[]> insns = new java.util.ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            insns.add(java.util.HexFormat.of().parseHex(lines[i].trim()));
        }
        return run(cpu, Long.parseLong(lines[0].substring(6).trim()), insns, new java.util.TreeMap<>());
    }

    /**
     * Runs the stream {@code insns} (then VMCALL) in the configuration drawn from {@code setup}: code placement, guest
     * tables and EPT, registers; null when isolation held, else what differs.
     */
    public static String run(VmxCpu cpu, long setup, List<byte[]> insns, Map<String, Integer> stats) {
        SplittableRandom r = new SplittableRandom(setup);
        VmxCase base = VmxCase.ofBase(cpu, GuestMode.LONG_64);
        base = base.with("CPU_BASED_VM_EXEC_CONTROL", base.get("CPU_BASED_VM_EXEC_CONTROL") | 1L << 31)
                .with("SECONDARY_VM_EXEC_CONTROL", 2).with("EPT_POINTER", 6 | 3 << 3)   // WB, 4 levels, no A/D
                .with("HOST_CR3", VmxHarness.PAGING).with("HOST_GDTR_BASE", VmxHarness.GDT)
                .with("HOST_IDTR_BASE", VmxHarness.IDT);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        insns.forEach(stream::writeBytes);
        stream.writeBytes(VmxHarness.VMCALL);
        byte[] code = stream.toByteArray();
        // the stream is at most 7 x 15 + 3 bytes: place a short stand-in first so RIP leaves room, then the stream
        GuestImages.Image img = GuestImages.place(base.with("GUEST_RIP", r.nextLong() & 0x00007fffffff0000L
                | r.nextInt(0x1000 - code.length)), code, r, true);
        VmxCase c = img.vmxCase();
        EntryOutcome o = c.check();
        if (o.kind() != EntryOutcome.Kind.ENTERED) {
            return "configuration does not enter: " + VmxCase.ids(o.violations());
        }
        VmxHarness h = new VmxHarness(cpu.profile());
        if (!h.enterVmxAndLoad()) {
            return "VMXON / VMPTRLD failed";
        }
        h.load(c);
        long page = img.codeLinear() & ~0xfffL;
        var s = h.cpu.state();
        s.gpr[Reg.RBX] = r.nextBoolean() ? page + r.nextInt(0x1000 - 64) : r.nextLong() & 0x00007ffffffffff8L;
        s.gpr[Reg.RCX] = r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(64) - 32;
        s.gpr[Reg.RSI] = r.nextBoolean() ? page + r.nextInt(0x1000 - 8) : r.nextLong();
        s.gpr[Reg.RAX] = r.nextLong();
        long guestRsp = r.nextBoolean() ? page + 64 + r.nextInt(0x1000 - 64) : r.nextLong();
        h.vmx.currentVmcs().write("GUEST_RSP", guestRsp);
        h.bus.load(VmxHarness.CODE, VmxHarness.VMLAUNCH);   // what exec(VMLAUNCH) writes, before the snapshot
        h.bus.write(VmxHarness.DATA, 8, 0);
        Map<Long, byte[]> before = h.bus.snapshot();
        long vmcsPointer = h.vmx.currentVmcsPointer();
        h.exec(VmxHarness.VMLAUNCH, 0);
        if (!h.vmx.inNonRoot()) {
            return "VMLAUNCH did not enter";
        }
        h.cpu.run(40, Long.MAX_VALUE);
        Set<Long> allowed = new HashSet<>();
        img.gpaToHpa().values().forEach(hpa -> allowed.add(hpa >>> 12));
        allowed.add(VmxHarness.VMCS_REGION >>> 12);
        Map<Long, byte[]> after = h.bus.snapshot();
        byte[] zero = new byte[4096];
        for (Map.Entry<Long, byte[]> e : after.entrySet()) {
            if (allowed.contains(e.getKey())) {
                if (!Arrays.equals(before.getOrDefault(e.getKey(), zero), e.getValue())) {
                    stats.merge("changed EPT-mapped memory", 1, Integer::sum);
                }
                continue;
            }
            byte[] was = before.getOrDefault(e.getKey(), zero);
            if (!Arrays.equals(was, e.getValue())) {
                int i = Arrays.mismatch(was, e.getValue());
                return String.format("host-physical %x changed (%02x -> %02x) outside the EPT-mapped pages %s",
                        (e.getKey() << 12) + i, was[i], e.getValue()[i], img.gpaToHpa());
            }
        }
        stats.merge(h.vmx.inNonRoot() ? "still in the guest" : "exit reason " + h.vmx.currentVmcs().read("VM_EXIT_REASON"),
                1, Integer::sum);
        if (h.vmx.inNonRoot()) {
            return null;   // still running its stream (a loop it wrote itself): memory was compared, no exit to check
        }
        long[][] pairs = {{s.cr0, c.get("HOST_CR0")}, {s.cr3, c.get("HOST_CR3")}, {s.cr4, c.get("HOST_CR4")},
            {s.gpr[Reg.RSP], c.get("HOST_RSP")}, {s.rip, c.get("HOST_RIP")},
            {s.seg[Reg.CS].selector, c.get("HOST_CS_SELECTOR")}, {s.gdtrBase, c.get("HOST_GDTR_BASE")},
            {s.idtrBase, c.get("HOST_IDTR_BASE")}, {h.vmx.currentVmcsPointer(), vmcsPointer},
            {s.msr(dev.hvsim.x86core.Msr.IA32_SYSENTER_CS), c.get("HOST_IA32_SYSENTER_CS")},
            {s.msr(dev.hvsim.x86core.Msr.IA32_SYSENTER_EIP), c.get("HOST_IA32_SYSENTER_EIP")}};
        String[] names = {"CR0", "CR3", "CR4", "RSP", "RIP", "CS", "GDTR base", "IDTR base", "current VMCS",
            "SYSENTER_CS", "SYSENTER_EIP"};
        for (int i = 0; i < pairs.length; i++) {
            if (pairs[i][0] != pairs[i][1]) {
                return "after the exit (reason " + h.vmx.currentVmcs().read("VM_EXIT_REASON") + ") root " + names[i]
                        + " is " + Long.toHexString(pairs[i][0]) + ", the host-state area says "
                        + Long.toHexString(pairs[i][1]);
            }
        }
        return null;
    }
}
