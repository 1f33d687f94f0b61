package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.GuestImages;
import dev.hvsim.conformance.gen.GuestMode;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import dev.hvsim.vmcs.controls.ControlWord;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.Vmcs;
import dev.hvsim.x86core.Reg;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Property (b) of issue 9 for VMX: a random intercept configuration (the optional primary processor-based controls,
 * I/O and MSR bitmaps with random contents, CR0/CR4 guest/host masks and read shadows, "descriptor-table exiting" and
 * "WBINVD exiting" where the capability MSRs allow them) and a random snippet of the {@link #CATALOGUE} with random
 * operands, followed by VMCALL, run in a 64-bit guest (SDM Vol. 3C 26.1.2-26.1.3: which instructions exit and when).
 * The snippet must exit iff the configuration says it must, with the exit reason of Appendix C, RIP of the snippet,
 * its length (29.2.5) and a qualification that decodes to its operands (29.2.1: CR number, access type and register
 * for MOV CR; DR number, direction and register for MOV DR; size, direction, string, REP, immediate and port for I/O;
 * the linear address for INVLPG; the MSR index is RCX). Otherwise it executes in the guest and the VMCALL after it
 * exits (reason 18, RIP past the snippet).
 */
public final class VmxIntercepts {
    /** Bitmaps live in pages the generators never use (the harness is below 8 MiB, guest images above 16 MiB). */
    static final long IO_A = 0x800000, IO_B = 0x801000, MSR_BITMAP = 0x802000;
    static final String PROC = "CPU_BASED_VM_EXEC_CONTROL", PROC2 = "SECONDARY_VM_EXEC_CONTROL";

    /** The intercept configuration and guest registers a snippet sees. */
    public record Setup(VmxCase c, long[] gpr) {
        boolean proc(int bit) {
            return (c.get(PROC) & 1L << bit) != 0;
        }

        boolean proc2(int bit) {
            return proc(31) && (c.get(PROC2) & 1L << bit) != 0;
        }

        long bitmapBit(long base, long bitIndex) {
            long q = c.memory().getOrDefault(base + (bitIndex >>> 6 << 3), 0L);
            return q >>> (bitIndex & 63) & 1;
        }
    }

    /**
     * What a snippet must do under a setup: the exit reason (or -1: no exit; -2: no exit, and the guest then halts in
     * non-root operation, for HLT) and the expected qualification. {@link Snippet#expect} runs on the final, placed
     * case and may still set registers that depend on it.
     */
    public record Expect(int reason, long qualification) {
    }

    /** One catalogue row: a name, its bytes (chosen with the random registers), and its expectation. */
    public interface Snippet {
        String name();

        /** Bytes of the instruction; may set registers in {@code s.gpr()}. */
        byte[] bytes(Setup s, SplittableRandom r);

        Expect expect(Setup s);
    }

    private record Row(String name, Bytes b, Rule e) implements Snippet {
        public byte[] bytes(Setup s, SplittableRandom r) {
            return b.of(s, r);
        }

        public Expect expect(Setup s) {
            return e.of(s);
        }
    }

    private interface Bytes {
        byte[] of(Setup s, SplittableRandom r);
    }

    private interface Rule {
        Expect of(Setup s);
    }

    static Expect exit(boolean when, int reason, long qual) {
        return when ? new Expect(reason, qual) : new Expect(-1, 0);
    }

    static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    /** I/O exiting (26.1.3): unconditional, or by the bitmaps for every byte port the access touches. */
    static boolean ioExits(Setup s, int port, int size) {
        if (!s.proc(25)) {
            return s.proc(24);
        }
        for (int p = port; p < port + size; p++) {
            if (p > 0xffff) {
                return true;
            }
            if (s.bitmapBit(p < 0x8000 ? IO_A : IO_B, p & 0x7fff) != 0) {
                return true;
            }
        }
        return false;
    }

    /** The I/O exit qualification (29.2.1, Table "Exit Qualification for I/O Instructions"). */
    static long ioQual(int port, int size, boolean in, boolean imm) {
        return (size - 1) | (in ? 8 : 0) | (imm ? 64 : 0) | (long) port << 16;
    }

    /** RDMSR / WRMSR exiting (26.1.3): always without MSR bitmaps; else the read/write bitmap bit, out of range exits. */
    static boolean msrExits(Setup s, long index, boolean write) {
        if (!s.proc(28)) {
            return true;
        }
        long off = write ? 0x800 : 0;
        if (index <= 0x1fff) {
            return s.bitmapBit(MSR_BITMAP + off, index) != 0;
        }
        if (index >= 0xc0000000L && index <= 0xc0001fffL) {
            return s.bitmapBit(MSR_BITMAP + off + 0x400, index - 0xc0000000L) != 0;
        }
        return true;
    }

    /** MOV to CR0/CR4 (26.1.3): exits iff a bit set in the guest/host mask differs from the read shadow. */
    static boolean crWriteExits(Setup s, int cr, long value) {
        long mask = s.c().get("CR" + cr + "_GUEST_HOST_MASK"), shadow = s.c().get("CR" + cr + "_READ_SHADOW");
        return ((value ^ shadow) & mask) != 0;
    }

    static long crQual(int cr, int access, int reg) {
        return cr | access << 4 | reg << 8;
    }

    /** The catalogue: one or more snippets per exit reason the guest can provoke from a 64-bit CPL-0 guest. */
    public static final List<Snippet> CATALOGUE = List.of(
        new Row("CPUID", (s, r) -> b(0x0f, 0xa2), s -> exit(true, 10, 0)),
        new Row("INVD", (s, r) -> b(0x0f, 0x08), s -> exit(true, 13, 0)),
        new Row("HLT", (s, r) -> b(0xf4), s -> s.proc(7) ? new Expect(12, 0) : new Expect(-2, 0)),
        new Row("INVLPG [RAX]", (s, r) -> {
            s.gpr()[Reg.RAX] = r.nextLong() & 0x00007ffffffff000L | r.nextInt(0x1000);
            return b(0x0f, 0x01, 0x38);
        }, s -> exit(s.proc(9), 14, s.gpr()[Reg.RAX])),
        new Row("RDTSC", (s, r) -> b(0x0f, 0x31), s -> exit(s.proc(12), 16, 0)),
        new Row("RDPMC", (s, r) -> {
            s.gpr()[Reg.RCX] = 0;
            return b(0x0f, 0x33);
        }, s -> exit(s.proc(11), 15, 0)),
        new Row("PAUSE", (s, r) -> b(0xf3, 0x90), s -> exit(s.proc(30), 40, 0)),
        new Row("WBINVD", (s, r) -> b(0x0f, 0x09), s -> exit(s.proc2(6), 54, 0)),
        new Row("IN AL, imm8", (s, r) -> b(0xe4, (int) (s.gpr()[15] = r.nextInt(256))),
            s -> exit(ioExits(s, (int) s.gpr()[15], 1), 30, ioQual((int) s.gpr()[15], 1, true, true))),
        new Row("OUT imm8, EAX", (s, r) -> b(0xe7, (int) (s.gpr()[15] = r.nextInt(256))),
            s -> exit(ioExits(s, (int) s.gpr()[15], 4), 30, ioQual((int) s.gpr()[15], 4, false, true))),
        new Row("IN AX, DX", (s, r) -> {
            s.gpr()[Reg.RDX] = r.nextLong() & ~0xffffL | ioPort(r);
            return b(0x66, 0xed);
        }, s -> exit(ioExits(s, (int) (s.gpr()[Reg.RDX] & 0xffff), 2), 30,
            ioQual((int) (s.gpr()[Reg.RDX] & 0xffff), 2, true, false))),
        new Row("OUT DX, AL", (s, r) -> {
            s.gpr()[Reg.RDX] = ioPort(r);
            return b(0xee);
        }, s -> exit(ioExits(s, (int) s.gpr()[Reg.RDX], 1), 30, ioQual((int) s.gpr()[Reg.RDX], 1, false, false))),
        new Row("RDMSR", (s, r) -> {
            s.gpr()[Reg.RCX] = new long[] {0x174, 0x175, 0x176, 0x277, 0x10, 0xc0000080L, 0xc0000100L}[r.nextInt(7)];
            return b(0x0f, 0x32);
        }, s -> exit(msrExits(s, s.gpr()[Reg.RCX], false), 31, 0)),
        new Row("WRMSR", (s, r) -> {
            s.gpr()[Reg.RCX] = new long[] {0x174, 0x175, 0x176, 0xc0000100L}[r.nextInt(4)];
            s.gpr()[Reg.RAX] = r.nextInt() & 0xffffffffL;
            s.gpr()[Reg.RDX] = r.nextInt(0x7fff);          // canonical for the address MSRs
            return b(0x0f, 0x30);
        }, s -> exit(msrExits(s, s.gpr()[Reg.RCX], true), 32, 0)),
        new Row("MOV CR0, RAX", (s, r) -> {
            long flip = (r.nextBoolean() ? 1L << 1 : 0) | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 16 : 0);
            s.gpr()[Reg.RAX] = s.c().get("GUEST_CR0") ^ flip;
            return b(0x0f, 0x22, 0xc0);
        }, s -> exit(crWriteExits(s, 0, s.gpr()[Reg.RAX]), 28, crQual(0, 0, 0))),
        new Row("MOV CR4, RBX", (s, r) -> {
            long flip = (r.nextBoolean() ? 1L << 2 : 0) | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 8 : 0);
            s.gpr()[Reg.RBX] = s.c().get("GUEST_CR4") ^ flip;
            return b(0x0f, 0x22, 0xe3);
        }, s -> exit(crWriteExits(s, 4, s.gpr()[Reg.RBX]), 28, crQual(4, 0, Reg.RBX))),
        new Row("MOV CR3, RSI", (s, r) -> b(0x0f, 0x22, 0xde), s -> {
            s.gpr()[Reg.RSI] = s.c().get("GUEST_CR3");   // the image's CR3: reloading it keeps the code mapped
            return exit(s.proc(15), 28, crQual(3, 0, Reg.RSI));
        }),
        new Row("MOV RDI, CR3", (s, r) -> b(0x0f, 0x20, 0xdf), s -> exit(s.proc(16), 28, crQual(3, 1, Reg.RDI))),
        new Row("MOV CR8, R9", (s, r) -> {
            s.gpr()[9] = r.nextInt(16);
            return b(0x45, 0x0f, 0x22, 0xc1);
        }, s -> exit(s.proc(19), 28, crQual(8, 0, 9))),
        new Row("MOV R10, CR8", (s, r) -> b(0x45, 0x0f, 0x20, 0xc2), s -> exit(s.proc(20), 28, crQual(8, 1, 10))),
        new Row("MOV RDX, DR7", (s, r) -> b(0x0f, 0x21, 0xfa), s -> exit(s.proc(23), 29, 7 | 1 << 4 | Reg.RDX << 8)),
        new Row("MOV DR7, RBP", (s, r) -> {
            s.gpr()[Reg.RBP] = 0x400;
            return b(0x0f, 0x23, 0xfd);
        }, s -> exit(s.proc(23), 29, 7 | Reg.RBP << 8)),
        new Row("MOV DR0, RAX", (s, r) -> {
            s.gpr()[Reg.RAX] = r.nextLong() & 0x00007fffffffffffL;
            return b(0x0f, 0x23, 0xc0);
        }, s -> exit(s.proc(23), 29, 0)));

    static int ioPort(SplittableRandom r) {
        return r.nextBoolean() ? r.nextInt(0x10000) : 0x7ffe + r.nextInt(4);   // and around the bitmap A/B boundary
    }

    private VmxIntercepts() {
    }

    /** A random intercept configuration on the long-mode base, with the VMCALL-terminated snippet placed at RIP. */
    static VmxCase configure(VmxCpu cpu, SplittableRandom r) {
        VmxCase c = VmxCase.ofBase(cpu, GuestMode.LONG_64);
        long proc = c.get(PROC) & ~(1L << 7 | 1L << 24 | 1L << 21);
        for (int bit : new int[] {7, 9, 11, 12, 15, 16, 19, 20, 23, 24, 25, 28, 30}) {
            if (cpu.caps().controls(ControlWord.PRIMARY_PROC).allowed1(bit) && r.nextBoolean()) {
                proc |= 1L << bit;
            }
        }
        long proc2 = 0;
        for (int bit : new int[] {2, 6}) {
            if (cpu.caps().controls(ControlWord.PRIMARY_PROC).allowed1(31)
                    && cpu.caps().controls(ControlWord.SECONDARY_PROC).allowed1(bit) && r.nextBoolean()) {
                proc2 |= 1L << bit;
            }
        }
        if (proc2 != 0) {
            proc |= 1L << 31;
        }
        c = c.with(PROC, proc).with(PROC2, proc2).with("CR3_TARGET_COUNT", 0)
                .with("CR0_GUEST_HOST_MASK", r.nextLong() & 0x8001000eL).with("CR0_READ_SHADOW", r.nextLong() & 0xffffffffL)
                .with("CR4_GUEST_HOST_MASK", r.nextLong() & 0x210cL).with("CR4_READ_SHADOW", r.nextLong() & 0xffffffffL)
                .with("EXCEPTION_BITMAP", 0);
        if ((proc & 1L << 25) != 0) {
            c = c.with("IO_BITMAP_A", IO_A).with("IO_BITMAP_B", IO_B);
            c = bitmap(c, IO_A, r, 0x1000);
            c = bitmap(c, IO_B, r, 0x1000);
        }
        if ((proc & 1L << 28) != 0) {
            c = c.with("MSR_BITMAP", MSR_BITMAP);
            c = bitmap(c, MSR_BITMAP, r, 0x1000);
        }
        return c;
    }

    /** Random bitmap contents: sparse, dense or all ones, a qword at a time (one copy of the memory map). */
    static VmxCase bitmap(VmxCase c, long base, SplittableRandom r, int bytes) {
        int style = r.nextInt(3);
        java.util.Map<Long, Long> m = new java.util.TreeMap<>(c.memory());
        for (long a = base; a < base + bytes; a += 8) {
            m.put(a, style == 0 ? r.nextLong() & r.nextLong() & r.nextLong() : style == 1 ? r.nextLong() : -1L);
        }
        return c.withMemory(m);
    }

    /** Runs one random configuration and snippet; null when the property held, else what differs. */
    public static String check(VmxCpu cpu, SplittableRandom r, Snippet snippet) {
        return check(cpu, r, snippet, new java.util.HashMap<>());
    }

    /** As {@link #check(VmxCpu, SplittableRandom, Snippet)}, counting "NAME exits" / "NAME runs" in {@code seen}. */
    public static String check(VmxCpu cpu, SplittableRandom r, Snippet snippet, java.util.Map<String, Integer> seen) {
        VmxCase base = configure(cpu, r);
        long[] gpr = new long[16];
        for (int i = 0; i < 16; i++) {
            gpr[i] = r.nextLong();
        }
        Setup s = new Setup(base, gpr);
        byte[] insn = snippet.bytes(s, r);
        byte[] code = new byte[insn.length + 3];
        System.arraycopy(insn, 0, code, 0, insn.length);
        System.arraycopy(VmxHarness.VMCALL, 0, code, insn.length, 3);
        GuestImages.Image img = GuestImages.place(base, code, r);
        VmxCase c = img.vmxCase().with("HOST_CR3", VmxHarness.PAGING).with("HOST_GDTR_BASE", VmxHarness.GDT)
                .with("HOST_IDTR_BASE", VmxHarness.IDT);
        s = new Setup(c, gpr);
        Expect e = snippet.expect(s);
        seen.merge(snippet.name() + (e.reason() >= 0 ? " exits" : " runs"), 1, Integer::sum);
        EntryOutcome o = c.check();
        if (o.kind() != EntryOutcome.Kind.ENTERED) {
            return "configuration does not enter: " + VmxCase.ids(o.violations());
        }
        VmxHarness h = new VmxHarness(cpu.profile());
        if (!h.enterVmxAndLoad()) {
            return "VMXON / VMPTRLD failed";
        }
        h.load(c);
        for (int i = 0; i < 16; i++) {
            if (i != Reg.RSP) {
                h.cpu.state().gpr[i] = gpr[i];
            }
        }
        h.exec(VmxHarness.VMLAUNCH, 0);
        if (!h.vmx.inNonRoot()) {
            return "VMLAUNCH did not enter";
        }
        h.cpu.run(2, Long.MAX_VALUE);
        Vmcs v = h.vmx.currentVmcs();
        long rip = c.get("GUEST_RIP");
        long reason = v.read("VM_EXIT_REASON"), qual = v.read("EXIT_QUALIFICATION"),
                len = v.read("VM_EXIT_INSTRUCTION_LEN");
        long savedRip = h.vmx.inNonRoot() ? h.cpu.state().rip : v.read("GUEST_RIP");
        String got = String.format("reason %d qualification %x length %d RIP +%d (nonroot %b)", reason, qual, len,
                savedRip - rip, h.vmx.inNonRoot());
        String want = e.reason() == -2 ? String.format("reason 0 qualification 0 length 0 RIP +1 (nonroot true)")
                : e.reason() < 0 ? String.format("reason 18 qualification 0 length 3 RIP +%d (nonroot false)", insn.length)
                : String.format("reason %d qualification %x length %d RIP +0 (nonroot false)", e.reason(), e.qualification(),
                insn.length);
        if (!got.equals(want)) {
            return snippet.name() + ": " + got + ", expected " + want + " (controls " + Long.toHexString(c.get(PROC))
                    + "/" + Long.toHexString(c.get(PROC2)) + ")";
        }
        if (e.reason() == 31 || e.reason() == 32) {
            long ecx = h.cpu.state().gpr[Reg.RCX];
            if (ecx != s.gpr()[Reg.RCX]) {
                return snippet.name() + ": RCX at the exit " + Long.toHexString(ecx) + ", the MSR index was "
                        + Long.toHexString(s.gpr()[Reg.RCX]);
            }
        }
        return null;
    }
}
