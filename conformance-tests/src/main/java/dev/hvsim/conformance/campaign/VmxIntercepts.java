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
    public record Setup(VmxCase c, long[] gpr, long code) {
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
    public record Expect(int reason, long qualification, long info, long infoMask, long linear, int vector, int offset,
            int length) {
        /** No instruction information / linear address checked. */
        public static final long NONE = Long.MIN_VALUE;

        public Expect(int reason, long qualification) {
            this(reason, qualification, 0, 0, NONE, -1, 0, -1);
        }

        /** The same exit, whose VM-exit instruction-information field must equal {@code info} in the bits of {@code mask}. */
        Expect info(long info, long mask) {
            return reason < 0 ? this : new Expect(reason, qualification, info, mask, linear, vector, offset, length);
        }

        /** The same exit, whose guest-linear address field must be {@code linear} (29.2.1 / 28.2.1). */
        Expect linear(long a) {
            return reason < 0 ? this : new Expect(reason, qualification, info, infoMask, a, vector, offset, length);
        }

        /** The exit of the instruction at byte {@code offset} of the snippet, {@code length} bytes long. */
        Expect at(int offset, int length) {
            return reason < 0 ? this : new Expect(reason, qualification, info, infoMask, linear, vector, offset, length);
        }
    }

    /** A hardware exception that the exception bitmap turns into a VM exit (reason 0; 26.2, 29.2.2). */
    static Expect exception(int vector) {
        return new Expect(0, 0, 0, 0, Expect.NONE, vector, 0, -1);
    }

    /** One catalogue row: a name, its bytes (chosen with the random registers), and its expectation. */
    public interface Snippet {
        String name();

        /** Bytes of the instruction; may set registers in {@code s.gpr()}. */
        byte[] bytes(Setup s, SplittableRandom r);

        Expect expect(Setup s);

        /** Changes the configuration the snippet needs before it is placed (a guest CR4 bit); default none. */
        default VmxCase prepare(VmxCase c, SplittableRandom r) {
            return c;
        }
    }

    private interface Prep {
        VmxCase of(VmxCase c, SplittableRandom r);
    }

    /** A row that also adjusts the configuration. */
    private record PRow(String name, Prep p, Bytes b, Rule e) implements Snippet {
        public byte[] bytes(Setup s, SplittableRandom r) {
            return b.of(s, r);
        }

        public Expect expect(Setup s) {
            return e.of(s);
        }

        @Override
        public VmxCase prepare(VmxCase c, SplittableRandom r) {
            return p.of(c, r);
        }
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

    /** The first rows: one or more snippets per exit reason of the simple instruction controls (26.1.2-26.1.3). */
    static final List<Snippet> BASIC = List.of(
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
            // 26.1.3: CR3-load exiting, unless the value is one of the first CR3-target-count target values
            return exit(s.proc(15) && !cr3Target(s, s.gpr()[Reg.RSI]), 28, crQual(3, 0, Reg.RSI));
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

    /** CR3-target values (25.6.7): the first CR3_TARGET_COUNT of them. */
    static boolean cr3Target(Setup s, long value) {
        long n = Math.min(s.c().get("CR3_TARGET_COUNT"), 4);
        for (int i = 0; i < n; i++) {
            if (s.c().get("CR3_TARGET_VALUE" + i) == value) {
                return true;
            }
        }
        return false;
    }

    /** A 16-byte-aligned scratch address in the (writable) code page, away from the snippet. */
    static long scratch(Setup s) {
        long o = s.code() & 0xfff;
        return (s.code() & ~0xfffL) + (o < 0x800 ? 0xc00 : 0x100);
    }

    /** Instruction-information bits defined for INS/OUTS (29.2.5): address size 9:7, segment 17:15 (OUTS only). */
    static final long INS_MASK = 7L << 7, OUTS_MASK = 7L << 7 | 7L << 15;
    /**
     * Defined bits of the memory-operand formats (29.2.5: LIDT/LGDT/SIDT/SGDT, INVEPT/INVPCID/INVVPID): scaling 1:0,
     * address size 9:7, bit 10, segment 17:15, index invalid 22, base 26:23, base invalid 27 (index 21:18 is undefined
     * when invalid; the GDTR/IDTR operand size, bit 11, is undefined in 64-bit mode).
     */
    static final long MEM_MASK = 3L | 7L << 7 | 1L << 10 | 7L << 15 | 1L << 22 | 0xfL << 23 | 1L << 27;
    /** LDTR/TR with a register operand: reg1 6:3, bit 10 (register), identity 29:28; the rest undefined. */
    static final long LDT_REG_MASK = 0xfL << 3 | 1L << 10 | 3L << 28;

    /** INS / OUTS: qualification with string (bit 4) and REP (bit 5), instruction information, linear address. */
    static Expect stringIo(Setup s, int port, int size, boolean in, boolean rep, int seg, long linear) {
        long q = ioQual(port, size, in, false) | 16 | (rep ? 32 : 0);
        return exit(ioExits(s, port, size), 30, q).info(2L << 7 | (in ? 0 : (long) seg << 15), in ? INS_MASK : OUTS_MASK)
                .linear(linear);
    }

    /** A descriptor-table instruction with memory operand [RAX + disp] in 64-bit mode (reason 46, 26.1.3). */
    static Expect gdtIdt(Setup s, int identity, long disp) {
        s.gpr()[Reg.RAX] = scratch(s) - disp;
        return exit(s.proc2(2), 46, disp).info(2L << 7 | (long) Reg.DS << 15 | 1L << 22 | (long) identity << 28,
                MEM_MASK | 3L << 28);
    }

    /** The rows of the other instruction-caused exit reasons (26.1.3, Appendix C; 29.2.1, 29.2.5). */
    static final List<Snippet> MORE = List.of(
        new Row("REP OUTSB (FS)", (s, r) -> {
            s.gpr()[Reg.RDX] = ioPort(r);
            s.gpr()[Reg.RCX] = 1 + r.nextInt(3);
            return b(0x64, 0xf3, 0x6e);
        }, s -> {
            long lin = scratch(s);
            s.gpr()[Reg.RSI] = lin - s.c().get("GUEST_FS_BASE");
            return stringIo(s, (int) s.gpr()[Reg.RDX], 1, false, true, Reg.FS, lin);
        }),
        new Row("INSW", (s, r) -> {
            s.gpr()[Reg.RDX] = ioPort(r);
            return b(0x66, 0x6d);
        }, s -> {
            s.gpr()[Reg.RDI] = scratch(s);
            return stringIo(s, (int) s.gpr()[Reg.RDX], 2, true, false, Reg.ES, s.gpr()[Reg.RDI]);
        }),
        new Row("CLTS", (s, r) -> b(0x0f, 0x06),
            s -> exit((s.c().get("CR0_GUEST_HOST_MASK") & s.c().get("CR0_READ_SHADOW") & 8) != 0, 28, 2 << 4)),
        // LMSW: bits 11:8 are 0 whatever the register (Table "Exit Qualification for Control-Register Accesses")
        new Row("LMSW DX", (s, r) -> {
            s.gpr()[Reg.RDX] = r.nextLong() & ~0xffffL | r.nextInt(0x10000) | 1;
            return b(0x0f, 0x01, 0xf2);
        }, s -> {
            long mask = s.c().get("CR0_GUEST_HOST_MASK"), shadow = s.c().get("CR0_READ_SHADOW");
            long src = s.gpr()[Reg.RDX] & 0xffff;
            boolean pe = (mask & 1) != 0 && (shadow & 1) == 0;
            return exit(pe || ((src ^ shadow) & mask & 0xe) != 0, 28, 3 << 4 | src << 16);
        }),
        // MOV from CR0/CR4 never exits: host-owned bits read from the read shadow (26.3)
        new Row("MOV RAX, CR0", (s, r) -> b(0x0f, 0x20, 0xc0), s -> exit(false, 0, 0)),
        new Row("MOV RCX, CR4", (s, r) -> b(0x0f, 0x20, 0xe1), s -> exit(false, 0, 0)),
        new Row("MONITOR", (s, r) -> {
            s.gpr()[Reg.RCX] = 0;
            s.gpr()[Reg.RDX] = 0;
            return b(0x0f, 0x01, 0xc8);
        }, s -> {
            s.gpr()[Reg.RAX] = scratch(s);
            return exit(s.proc(29), 39, 0);
        }),
        // MONITOR then MWAIT: MONITOR exits first; else MWAIT exits with the monitor armed (qualification bit 0)
        new Row("MONITOR; MWAIT", (s, r) -> {
            s.gpr()[Reg.RCX] = 0;
            s.gpr()[Reg.RDX] = 0;
            return b(0x0f, 0x01, 0xc8, 0x0f, 0x01, 0xc9);
        }, s -> {
            s.gpr()[Reg.RAX] = scratch(s);
            return s.proc(29) ? exit(true, 39, 0).at(0, 3) : exit(s.proc(10), 36, 1).at(3, 3);
        }),
        new Row("MWAIT", (s, r) -> {
            s.gpr()[Reg.RCX] = 0;
            s.gpr()[Reg.RAX] = 0;
            return b(0x0f, 0x01, 0xc9);
        }, s -> exit(s.proc(10), 36, 0)),
        new PRow("XSETBV", (c, r) -> c.with("GUEST_CR4", c.get("GUEST_CR4") | (r.nextBoolean() ? 1L << 18 : 0)), (s, r) -> {
            s.gpr()[Reg.RCX] = 0;
            s.gpr()[Reg.RAX] = 3;
            s.gpr()[Reg.RDX] = 0;
            return b(0x0f, 0x01, 0xd1);
        }, s -> (s.c().get("GUEST_CR4") & 1L << 18) != 0 ? exit(true, 55, 0) : exception(6)), // 26.1.2; #UD first
        new Row("INVPCID RCX, [RAX-40]", (s, r) -> {
            s.gpr()[Reg.RCX] = 2 + r.nextInt(2);
            return b(0x66, 0x0f, 0x38, 0x82, 0x48, 0xd8);
        }, s -> {
            s.gpr()[Reg.RAX] = scratch(s) + 40;
            if (!s.proc2(12)) {
                return exception(6);                      // "enable INVPCID" 0: #UD (26.3)
            }
            return exit(s.proc(9), 58, -40L).info(2L << 7 | (long) Reg.DS << 15 | 1L << 22 | (long) Reg.RCX << 28,
                    MEM_MASK | 0xfL << 28);
        }),
        new Row("RDTSCP", (s, r) -> b(0x0f, 0x01, 0xf9), s -> s.proc2(3) ? exit(s.proc(12), 51, 0) : exception(6)),
        new Row("RDRAND EAX", (s, r) -> b(0x0f, 0xc7, 0xf0),
            s -> exit(s.proc2(11), 57, 0).info(1L << 11, 0xfL << 3 | 3L << 11)),
        new Row("RDSEED RBX", (s, r) -> b(0x48, 0x0f, 0xc7, 0xfb),
            s -> exit(s.proc2(16), 61, 0).info(Reg.RBX << 3 | 2L << 11, 0xfL << 3 | 3L << 11)),
        // PUSHF / POPF never exit on VMX (SVM intercepts them, APM Vol. 2 15.9); the stack is in the scratch area
        // (GUEST_RSP set at placement), where POPF pops a zero qword: RFLAGS = 2
        new Row("PUSHF", (s, r) -> b(0x9c), s -> exit(false, 0, 0)),
        new Row("POPF", (s, r) -> b(0x9d), s -> exit(false, 0, 0)),
        new Row("SGDT [RAX-40]", (s, r) -> b(0x0f, 0x01, 0x40, 0xd8), s -> gdtIdt(s, 0, -40)),
        new Row("SIDT [RAX+disp32]", (s, r) -> {
            int d = r.nextInt();
            s.gpr()[14] = d;                              // remembered for the expectation (R14 is not used)
            return b(0x0f, 0x01, 0x88, d & 0xff, d >>> 8 & 0xff, d >>> 16 & 0xff, d >>> 24 & 0xff);
        }, s -> gdtIdt(s, 1, (int) s.gpr()[14])),
        new Row("LGDT [RAX-40]", (s, r) -> b(0x0f, 0x01, 0x50, 0xd8), s -> gdtIdt(s, 2, -40)),
        new Row("LIDT [RAX-40]", (s, r) -> b(0x0f, 0x01, 0x58, 0xd8), s -> gdtIdt(s, 3, -40)),
        new Row("SLDT AX", (s, r) -> b(0x0f, 0x00, 0xc0),
            s -> exit(s.proc2(2), 47, 0).info(Reg.RAX << 3 | 1L << 10, LDT_REG_MASK)),
        new Row("STR ECX", (s, r) -> b(0x0f, 0x00, 0xc9),
            s -> exit(s.proc2(2), 47, 0).info(Reg.RCX << 3 | 1L << 10 | 1L << 28, LDT_REG_MASK)),
        new Row("LLDT AX", (s, r) -> {
            s.gpr()[Reg.RAX] = 0;                         // null selector: LDTR unusable, no fault
            return b(0x0f, 0x00, 0xd0);
        }, s -> exit(s.proc2(2), 47, 0).info(Reg.RAX << 3 | 1L << 10 | 2L << 28, LDT_REG_MASK)),
        new Row("LTR DX", (s, r) -> {
            s.gpr()[Reg.RDX] = 0;                         // null selector: #GP(0) when it does not exit
            return b(0x0f, 0x00, 0xda);
        }, s -> s.proc2(2) ? exit(true, 47, 0).info(Reg.RDX << 3 | 1L << 10 | 3L << 28, LDT_REG_MASK) : exception(13)));

    /** The guest modes other than 64-bit mode that {@link #MODE_ROWS} run in (SDM Vol. 3C 28.3.1, 26.1.1). */
    public static final List<GuestMode> OTHER_MODES = List.of(GuestMode.COMPATIBILITY, GuestMode.PROTECTED_32,
            GuestMode.PROTECTED_PAE, GuestMode.REAL_UNRESTRICTED, GuestMode.VIRTUAL_8086);

    static boolean v86(Setup s) {
        return s.c().mode() == GuestMode.VIRTUAL_8086;
    }

    /** Real mode and virtual-8086 mode: 16-bit operands and addresses by default. */
    static boolean bits16(Setup s) {
        return s.c().mode() == GuestMode.REAL_UNRESTRICTED || v86(s);
    }

    /**
     * CPL-0 instructions in virtual-8086 mode (CPL 3): the #GP of the CPL check comes before any VM exit (26.1.1), and
     * the exception bitmap turns it into an exit with vector 13.
     */
    static Expect privileged(Setup s, Expect e) {
        return v86(s) ? exception(13) : e;
    }

    /**
     * The rows run in compatibility mode, 32-bit protected mode with and without PAE, real mode under unrestricted
     * guest and virtual-8086 mode: the same exit rules with the operand and address sizes of the mode (I/O size of
     * OUT DX, eAX; string-I/O address size and the guest-linear address from the segment base; INVLPG's linear
     * address from DS and a 32- or 16-bit offset) and the exceptions that take priority over exits (26.1.1: the #GP
     * of CPL-0 instructions in virtual-8086 mode, the #UD of SLDT in real and virtual-8086 mode). String I/O runs in the
     * 32-bit modes only; I/O in virtual-8086 mode is left out (the TSS I/O permission bitmap, 26.1.1, is not set up).
     */
    public static final List<Snippet> MODE_ROWS = List.of(
        new Row("CPUID", (s, r) -> b(0x0f, 0xa2), s -> exit(true, 10, 0)),
        new Row("HLT", (s, r) -> b(0xf4), s -> privileged(s, s.proc(7) ? new Expect(12, 0) : new Expect(-2, 0))),
        new Row("RDTSC", (s, r) -> b(0x0f, 0x31), s -> exit(s.proc(12), 16, 0)),
        new Row("PAUSE", (s, r) -> b(0xf3, 0x90), s -> exit(s.proc(30), 40, 0)),
        new Row("IN AL, imm8", (s, r) -> b(0xe4, (int) (s.gpr()[15] = r.nextInt(256))),
            s -> exit(ioExits(s, (int) s.gpr()[15], 1), 30, ioQual((int) s.gpr()[15], 1, true, true))),
        new Row("OUT DX, eAX", (s, r) -> {
            s.gpr()[Reg.RDX] = r.nextLong() & ~0xffffL | ioPort(r);
            return b(0xef);
        }, s -> {
            int port = (int) (s.gpr()[Reg.RDX] & 0xffff), size = bits16(s) ? 2 : 4;
            return exit(ioExits(s, port, size), 30, ioQual(port, size, false, false));
        }),
        new Row("REP INSB", (s, r) -> {
            s.gpr()[Reg.RDX] = ioPort(r);
            s.gpr()[Reg.RCX] = 1 + r.nextInt(3);
            return b(0xf3, 0x6c);
        }, s -> {
            long lin = scratch(s);
            s.gpr()[Reg.RDI] = lin - s.c().get("GUEST_ES_BASE") & 0xffffffffL;
            int port = (int) s.gpr()[Reg.RDX];
            return exit(ioExits(s, port, 1), 30, ioQual(port, 1, true, false) | 16 | 32)
                    .info(1L << 7, INS_MASK).linear(lin);          // 32-bit address size
        }),
        new Row("OUTSW (ES)", (s, r) -> {
            s.gpr()[Reg.RDX] = ioPort(r);
            return b(0x26, 0x66, 0x6f);
        }, s -> {
            long lin = scratch(s);
            s.gpr()[Reg.RSI] = lin - s.c().get("GUEST_ES_BASE") & 0xffffffffL;
            int port = (int) s.gpr()[Reg.RDX];
            return exit(ioExits(s, port, 2), 30, ioQual(port, 2, false, false) | 16)
                    .info(1L << 7 | (long) Reg.ES << 15, OUTS_MASK).linear(lin);
        }),
        new Row("MOV CR0, EAX", (s, r) -> {
            long flip = (r.nextBoolean() ? 1L << 1 : 0) | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 16 : 0);
            s.gpr()[Reg.RAX] = s.c().get("GUEST_CR0") ^ flip;
            return b(0x0f, 0x22, 0xc0);
        }, s -> privileged(s, exit(crWriteExits(s, 0, s.gpr()[Reg.RAX]), 28, crQual(0, 0, 0)))),
        new Row("MOV CR3, ESI", (s, r) -> b(0x0f, 0x22, 0xde), s -> {
            s.gpr()[Reg.RSI] = s.c().get("GUEST_CR3");
            return privileged(s, exit(s.proc(15) && !cr3Target(s, s.gpr()[Reg.RSI] & 0xffffffffL), 28, crQual(3, 0, Reg.RSI)));
        }),
        new Row("MOV EDI, CR3", (s, r) -> b(0x0f, 0x20, 0xdf), s -> privileged(s, exit(s.proc(16), 28, crQual(3, 1, Reg.RDI)))),
        new Row("MOV ECX, CR4", (s, r) -> b(0x0f, 0x20, 0xe1), s -> privileged(s, exit(false, 0, 0))),
        new Row("CLTS", (s, r) -> b(0x0f, 0x06), s -> privileged(s,
            exit((s.c().get("CR0_GUEST_HOST_MASK") & s.c().get("CR0_READ_SHADOW") & 8) != 0, 28, 2 << 4))),
        new Row("LMSW DX", (s, r) -> b(0x0f, 0x01, 0xf2), s -> {
            // PE stays as it is (real mode: 0, else 1): LMSW cannot clear it and must not switch modes here
            long pe0 = s.c().get("GUEST_CR0") & 1;
            s.gpr()[Reg.RDX] = s.gpr()[Reg.RDX] & ~0xffffL | s.gpr()[Reg.RDX] & 0xfffe | pe0;
            long mask = s.c().get("CR0_GUEST_HOST_MASK"), shadow = s.c().get("CR0_READ_SHADOW");
            long src = s.gpr()[Reg.RDX] & 0xffff;
            boolean pe = (mask & 1) != 0 && (src & 1) != 0 && (shadow & 1) == 0;
            return privileged(s, exit(pe || ((src ^ shadow) & mask & 0xe) != 0, 28, 3 << 4 | src << 16));
        }),
        new Row("RDMSR", (s, r) -> {
            s.gpr()[Reg.RCX] = new long[] {0x174, 0x175, 0x176, 0x277, 0xc0000080L}[r.nextInt(5)];
            return b(0x0f, 0x32);
        }, s -> privileged(s, exit(msrExits(s, s.gpr()[Reg.RCX], false), 31, 0))),
        new Row("MOV EDX, DR7", (s, r) -> b(0x0f, 0x21, 0xfa), s -> privileged(s, exit(s.proc(23), 29, 7 | 1 << 4 | Reg.RDX << 8))),
        new Row("INVLPG [eAX] / [BX]", (s, r) -> {
            s.gpr()[Reg.RAX] = r.nextLong();
            s.gpr()[Reg.RBX] = r.nextLong();
            return null;                                   // chosen by the mode in expect: see bytesFor
        }, s -> {
            long off = bits16(s) ? s.gpr()[Reg.RBX] & 0xffff : s.gpr()[Reg.RAX] & 0xffffffffL;
            return privileged(s, exit(s.proc(9), 14, s.c().get("GUEST_DS_BASE") + off & 0xffffffffL));
        }),
        new Row("SLDT AX", (s, r) -> b(0x0f, 0x00, 0xc0), s -> bits16(s) ? exception(6)  // #UD in real / 8086 mode
            : exit(s.proc2(2), 47, 0).info(Reg.RAX << 3 | 1L << 10, LDT_REG_MASK)));

    /** The rows of {@link #MODE_ROWS} that run in {@code mode}. */
    public static List<Snippet> modeRows(GuestMode mode) {
        return MODE_ROWS.stream().filter(sn -> {
            boolean io = sn.name().startsWith("IN ") || sn.name().startsWith("OUT") || sn.name().startsWith("REP INS");
            boolean string = sn.name().startsWith("REP INS") || sn.name().startsWith("OUTS");
            boolean m16 = mode == GuestMode.REAL_UNRESTRICTED || mode == GuestMode.VIRTUAL_8086;
            return !(io && mode == GuestMode.VIRTUAL_8086) && !(string && m16);
        }).toList();
    }

    /** The catalogue: every instruction-caused exit reason a 64-bit CPL-0 guest can provoke in the model. */
    public static final List<Snippet> CATALOGUE = concat(BASIC, MORE);

    static List<Snippet> concat(List<Snippet> a, List<Snippet> b) {
        List<Snippet> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }

    static int ioPort(SplittableRandom r) {
        return r.nextBoolean() ? r.nextInt(0x10000) : 0x7ffe + r.nextInt(4);   // and around the bitmap A/B boundary
    }

    private VmxIntercepts() {
    }

    /** A random intercept configuration on the long-mode base, with the VMCALL-terminated snippet placed at RIP. */
    static VmxCase configure(VmxCpu cpu, SplittableRandom r) {
        return configure(cpu, r, GuestMode.LONG_64);
    }

    /** A random intercept configuration on the shaped base of {@code mode} (its own secondary controls kept). */
    static VmxCase configure(VmxCpu cpu, SplittableRandom r, GuestMode mode) {
        VmxCase c = mode == GuestMode.LONG_64 ? VmxCase.ofBase(cpu, mode)
                : new dev.hvsim.conformance.gen.VmcsGenerator(cpu).shaped(mode, r);
        long proc = c.get(PROC) & ~(1L << 7 | 1L << 24 | 1L << 21);
        for (int bit : new int[] {7, 9, 10, 11, 12, 15, 16, 19, 20, 23, 24, 25, 28, 29, 30}) {
            if (cpu.caps().controls(ControlWord.PRIMARY_PROC).allowed1(bit) && r.nextBoolean()) {
                proc |= 1L << bit;
            }
        }
        long proc2 = c.get(PROC2);       // real mode: enable EPT and unrestricted guest stay
        for (int bit : new int[] {2, 3, 6, 11, 12, 16}) {
            if (cpu.caps().controls(ControlWord.PRIMARY_PROC).allowed1(31)
                    && cpu.caps().controls(ControlWord.SECONDARY_PROC).allowed1(bit) && r.nextBoolean()) {
                proc2 |= 1L << bit;
            }
        }
        if (proc2 != 0) {
            proc |= 1L << 31;
        }
        c = c.with(PROC, proc).with(PROC2, proc2).with("CR3_TARGET_COUNT", 0)
                // read shadows: random, or the guest's own value half of the time (then writes near it do not exit)
                .with("CR0_GUEST_HOST_MASK", r.nextLong() & 0x8001000eL)
                .with("CR0_READ_SHADOW", r.nextBoolean() ? r.nextLong() & 0xffffffffL : c.get("GUEST_CR0"))
                .with("CR4_GUEST_HOST_MASK", r.nextLong() & 0x210cL)
                .with("CR4_READ_SHADOW", r.nextBoolean() ? r.nextLong() & 0xffffffffL : c.get("GUEST_CR4"))
                .with("EXCEPTION_BITMAP", 1L << 6 | 1L << 13);   // #UD and #GP exit (26.2)
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

    /** One reproducible case: the placed configuration, the guest registers, the snippet's bytes and linear address. */
    public record Trial(String snippet, VmxCase c, long[] gpr, byte[] insn, long code) {
        Snippet row() {
            List<Snippet> rows = c.mode() == GuestMode.LONG_64 ? CATALOGUE : MODE_ROWS;
            return rows.stream().filter(s -> s.name().equals(snippet)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown VMX snippet '" + snippet + "' in " + c.mode()));
        }
    }

    /** What a run gave: the expectation, the problem (null if none) and the exit as the model reported it. */
    public record Result(Expect expect, String problem, Raw raw) {
        Result(Expect expect, String problem) {
            this(expect, problem, null);
        }
    }

    /**
     * The exit after a run: reason, qualification, instruction information, guest-linear address, interruption
     * information, RCX, the guest RIP relative to the snippet, whether the CPU stayed in non-root operation (HLT) and
     * the guest registers the snippet started with.
     */
    public record Raw(long reason, long qualification, long info, long linear, long intrInfo, long rcx, long ripOffset,
            boolean nonRoot, long[] gpr) {}

    /** A random trial of {@code snippet}: configuration, registers, bytes, placement and CR3-target values. */
    public static Trial generate(VmxCpu cpu, SplittableRandom r, Snippet snippet) {
        return generate(cpu, r, snippet, configure(cpu, r), true);
    }

    /** A random trial of a {@link #MODE_ROWS} row in {@code mode}. */
    public static Trial generate(VmxCpu cpu, SplittableRandom r, Snippet snippet, GuestMode mode) {
        return generate(cpu, r, snippet, configure(cpu, r, mode), true);
    }

    /** A trial of {@code snippet} on the configuration {@code config}; CR3-target values only if {@code targets}. */
    static Trial generate(VmxCpu cpu, SplittableRandom r, Snippet snippet, VmxCase config, boolean cr3Targets) {
        VmxCase base = snippet.prepare(config, r);
        long[] gpr = new long[16];
        for (int i = 0; i < 16; i++) {
            gpr[i] = r.nextLong();
        }
        byte[] insn = snippet.bytes(new Setup(base, gpr, 0), r);
        if (insn == null) {          // INVLPG [eAX] (32-bit addressing) or INVLPG [BX] (16-bit addressing)
            insn = base.mode() == GuestMode.REAL_UNRESTRICTED || base.mode() == GuestMode.VIRTUAL_8086
                    ? b(0x0f, 0x01, 0x3f) : b(0x0f, 0x01, 0x38);
        }
        byte[] code = new byte[insn.length + 3];
        System.arraycopy(insn, 0, code, 0, insn.length);
        System.arraycopy(VmxHarness.VMCALL, 0, code, insn.length, 3);
        GuestImages.Image img = GuestImages.place(base, code, r, true);
        VmxCase c = img.vmxCase().with("HOST_CR3", VmxHarness.PAGING).with("HOST_GDTR_BASE", VmxHarness.GDT)
                .with("HOST_IDTR_BASE", VmxHarness.IDT);
        if (snippet.name().startsWith("PUSHF") || snippet.name().startsWith("POPF")) {
            c = c.with("GUEST_RSP", scratch(new Setup(c, gpr, img.codeLinear())) + 0x40);   // a mapped, writable stack
        }
        int targets = cr3Targets ? r.nextInt(cpu.caps().misc().cr3TargetCount() + 1) : 0;
        c = c.with("CR3_TARGET_COUNT", targets);
        for (int i = 0; i < 4; i++) {
            c = c.with("CR3_TARGET_VALUE" + i, r.nextInt(4) == 0 ? c.get("GUEST_CR3") : r.nextLong() & 0x7ffffff000L);
        }
        return new Trial(snippet.name(), c, gpr, insn, img.codeLinear());
    }

    /** Runs one random configuration and snippet; null when the property held, else what differs. */
    public static String check(VmxCpu cpu, SplittableRandom r, Snippet snippet) {
        return check(cpu, r, snippet, new java.util.HashMap<>());
    }

    /** As {@link #check(VmxCpu, SplittableRandom, Snippet)}, counting "NAME exits" / "NAME runs" in {@code seen}. */
    public static String check(VmxCpu cpu, SplittableRandom r, Snippet snippet, java.util.Map<String, Integer> seen) {
        Result res = run(generate(cpu, r, snippet));
        seen.merge(snippet.name() + (res.expect().vector() >= 0 ? " faults" : res.expect().reason() >= 0 ? " exits" : " runs"),
                1, Integer::sum);
        return res.problem();
    }

    /** Runs a trial on a fresh root-mode CPU: VMLAUNCH, up to two guest instructions, then the exit is compared. */
    public static Result run(Trial t) {
        return run(t, t.row());
    }

    /** Runs a trial with the expectation of {@code snippet} (a catalogue row, or a user's own). */
    public static Result run(Trial t, Snippet snippet) {
        VmxCase c = t.c();
        long[] gpr = t.gpr().clone();
        Setup s = new Setup(c, gpr, t.code());
        Expect e = snippet.expect(s);
        EntryOutcome o = c.check();
        if (o.kind() != EntryOutcome.Kind.ENTERED) {
            return new Result(e, "configuration does not enter: " + VmxCase.ids(o.violations()));
        }
        VmxHarness h = new VmxHarness(c.cpu().profile());
        if (!h.enterVmxAndLoad()) {
            return new Result(e, "VMXON / VMPTRLD failed");
        }
        h.load(c);
        for (int i = 0; i < 16; i++) {
            if (i != Reg.RSP) {
                h.cpu.state().gpr[i] = gpr[i];
            }
        }
        h.exec(VmxHarness.VMLAUNCH, 0);
        if (!h.vmx.inNonRoot()) {
            return new Result(e, "VMLAUNCH did not enter");
        }
        h.cpu.run(instructions(snippet.name()) + 1, Long.MAX_VALUE);   // the snippet, then VMCALL
        Vmcs v = h.vmx.currentVmcs();
        long rip = c.get("GUEST_RIP");
        long reason = v.read("VM_EXIT_REASON"), qual = v.read("EXIT_QUALIFICATION"),
                len = v.read("VM_EXIT_INSTRUCTION_LEN");
        long savedRip = h.vmx.inNonRoot() ? h.cpu.state().rip : v.read("GUEST_RIP");
        boolean exc = e.vector() >= 0;
        Raw raw = new Raw(reason, qual, v.read("VMX_INSTRUCTION_INFO"), v.read("GUEST_LINEAR_ADDRESS"),
                v.read("VM_EXIT_INTR_INFO"), h.cpu.state().gpr[Reg.RCX], savedRip - rip, h.vmx.inNonRoot(), gpr);
        String got = String.format("reason %d qualification %x length %d RIP +%d (nonroot %b)", reason, qual,
                exc ? 0 : len, savedRip - rip, h.vmx.inNonRoot());
        String want = e.reason() == -2 ? String.format("reason 0 qualification 0 length 0 RIP +1 (nonroot true)")
                : e.reason() < 0 ? String.format("reason 18 qualification 0 length 3 RIP +%d (nonroot false)", t.insn().length)
                : String.format("reason %d qualification %x length %d RIP +%d (nonroot false)", e.reason(), e.qualification(),
                exc ? 0 : e.length() >= 0 ? e.length() : t.insn().length, e.offset());
        String where = " (controls " + Long.toHexString(c.get(PROC)) + "/" + Long.toHexString(c.get(PROC2)) + ")";
        if (!got.equals(want)) {
            return new Result(e, snippet.name() + ": " + got + ", expected " + want + where);
        }
        if (exc) {   // 29.2.2: vector 7:0, type 10:8 (3 = hardware exception), valid 31
            long info = v.read("VM_EXIT_INTR_INFO") & 0x800007ffL;
            if (info != (0x80000300L | e.vector())) {
                return new Result(e, snippet.name() + ": interruption information " + Long.toHexString(info)
                        + ", expected vector " + e.vector() + " hardware exception" + where);
            }
        }
        if (e.infoMask() != 0 && ((v.read("VMX_INSTRUCTION_INFO") ^ e.info()) & e.infoMask()) != 0) {
            return new Result(e, snippet.name() + ": instruction information " + Long.toHexString(v.read("VMX_INSTRUCTION_INFO"))
                    + ", expected " + Long.toHexString(e.info()) + " in the bits of " + Long.toHexString(e.infoMask()) + where);
        }
        if (e.linear() != Expect.NONE && v.read("GUEST_LINEAR_ADDRESS") != e.linear()) {
            return new Result(e, snippet.name() + ": guest-linear address " + Long.toHexString(v.read("GUEST_LINEAR_ADDRESS"))
                    + ", expected " + Long.toHexString(e.linear()) + where);
        }
        if (e.reason() == 31 || e.reason() == 32) {
            long ecx = h.cpu.state().gpr[Reg.RCX];
            if (ecx != s.gpr()[Reg.RCX]) {
                return new Result(e, snippet.name() + ": RCX at the exit " + Long.toHexString(ecx) + ", the MSR index was "
                        + Long.toHexString(s.gpr()[Reg.RCX]));
            }
        }
        return new Result(e, null, raw);
    }

    /** Primary / secondary controls the configurations set at random (what shrinking may clear). */
    static final int[] RANDOM_PROC = {7, 9, 10, 11, 12, 15, 16, 19, 20, 23, 24, 25, 28, 29, 30},
            RANDOM_PROC2 = {2, 3, 6, 11, 12, 16};

    /**
     * Shrinks a failing trial to the smallest intercept configuration that still fails the same way (the same
     * snippet and observed exit reason): random controls cleared one at a time, CR0 / CR4 masks and the CR3-target
     * count to 0, I/O- and MSR-bitmap qwords removed in halves down to single qwords. The snippet, its registers and
     * its placement stay.
     */
    public static Trial shrink(Trial t) {
        return shrink(t, t.row());
    }

    /** As {@link #shrink(Trial)} with the expectation of {@code snippet}. */
    public static Trial shrink(Trial t, Snippet snippet) {
        String sig = signature(run(t, snippet).problem());
        if (sig == null) {
            return t;
        }
        java.util.function.Predicate<Trial> fails = c -> sig.equals(signature(run(c, snippet).problem()));
        boolean progress = true;
        while (progress) {
            progress = false;
            VmxCase c = t.c();
            List<VmxCase> simpler = new java.util.ArrayList<>();
            for (int bit : RANDOM_PROC) {
                if ((c.get(PROC) & 1L << bit) != 0) {
                    simpler.add(c.with(PROC, c.get(PROC) & ~(1L << bit)));
                }
            }
            for (int bit : RANDOM_PROC2) {
                if ((c.get(PROC2) & 1L << bit) != 0) {
                    simpler.add(c.with(PROC2, c.get(PROC2) & ~(1L << bit)));
                }
            }
            for (String f : new String[] {"CR0_GUEST_HOST_MASK", "CR4_GUEST_HOST_MASK", "CR3_TARGET_COUNT"}) {
                if (c.get(f) != 0) {
                    simpler.add(c.with(f, 0));
                }
            }
            for (VmxCase sc : simpler) {
                Trial tc = new Trial(t.snippet(), sc, t.gpr(), t.insn(), t.code());
                if (fails.test(tc)) {
                    t = tc;
                    progress = true;
                    break;
                }
            }
            Trial a = t;
            java.util.Map<Long, Long> bitmaps = new java.util.TreeMap<>();
            t.c().memory().forEach((addr, q) -> {
                if (addr >= IO_A && addr < MSR_BITMAP + 0x1000 && q != 0) {
                    bitmaps.put(addr, q);
                }
            });
            t = Shrinking.removeKeys(t, bitmaps, (x, m) -> {
                java.util.Map<Long, Long> mem = new java.util.TreeMap<>(x.c().memory());
                mem.keySet().removeIf(addr -> addr >= IO_A && addr < MSR_BITMAP + 0x1000);
                mem.putAll(m);
                return new Trial(x.snippet(), x.c().withMemory(mem), x.gpr(), x.insn(), x.code());
            }, fails);
            progress |= a != t;
        }
        return t;
    }

    static String signature(String problem) {
        if (problem == null) {
            return null;
        }
        int end = problem.length();
        for (String stop : new String[] {" qualification", ",", " ("}) {
            int i = problem.indexOf(stop);
            if (i >= 0) {
                end = Math.min(end, i);
            }
        }
        return problem.substring(0, end);
    }

    /**
     * The reproduction file of a trial (Jackson): the configuration as a {@code check-vmcs} description (so that
     * {@code hvsim check-vmcs} shows it enters), the snippet, its bytes, registers and linear address, and the problem.
     * {@link #fromRepro} reads it back for {@link #run}.
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode repro(Trial t, String problem) {
        var n = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        n.put("property", "vmx-intercepts");
        n.put("snippet", t.snippet());
        n.put("bytes", SvmIntercepts.hex(t.insn()));
        n.put("code_linear", Repro.hex(t.code()));
        var g = n.putArray("gpr");
        for (long v : t.gpr()) {
            g.add(Repro.hex(v));
        }
        n.set("check_vmcs", Repro.checkVmcs(t.c()));
        if (problem != null) {
            n.put("problem", problem);
        }
        return n;
    }

    /** The trial a reproduction file describes (intel-core capabilities as advertised). */
    public static Trial fromRepro(com.fasterxml.jackson.databind.JsonNode n) {
        var cv = n.get("check_vmcs");
        String base = cv.get("base").asText();
        GuestMode mode = java.util.Arrays.stream(GuestMode.values()).filter(m -> m.base().equals(base)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown base '" + base + "'"));
        VmxCase c = VmxCase.ofBase(VmxCpu.intelCore(), mode);
        var it = cv.get("vmcs").fields();
        while (it.hasNext()) {
            var e = it.next();
            c = c.with(e.getKey(), SvmIntercepts.parse(e.getValue().asText()));
        }
        java.util.Map<Long, Long> mem = new java.util.TreeMap<>();
        for (var m : cv.get("memory")) {
            long a = SvmIntercepts.parse(m.get("address").asText());
            for (var q : m.get("qwords")) {
                mem.put(a, SvmIntercepts.parse(q.asText()));
                a += 8;
            }
        }
        c = c.withMemory(mem).withProcessorLma((SvmIntercepts.parse(cv.get("processor").get("EFER").asText()) & 0x400) != 0);
        long[] gpr = new long[16];
        for (int i = 0; i < 16; i++) {
            gpr[i] = SvmIntercepts.parse(n.get("gpr").get(i).asText());
        }
        return new Trial(n.get("snippet").asText(), c, gpr, SvmIntercepts.unhex(n.get("bytes").asText()),
                SvmIntercepts.parse(n.get("code_linear").asText()));
    }

    /** The number of instructions of a snippet: its name lists them separated by "; ". */
    static int instructions(String name) {
        return 1 + (int) name.chars().filter(ch -> ch == ';').count();
    }
}
