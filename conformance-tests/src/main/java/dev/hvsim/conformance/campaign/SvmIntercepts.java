package dev.hvsim.conformance.campaign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hvsim.svm.SvmExit;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Property (b) of issue 9 for SVM: a random intercept configuration (the CR read/write word 0, the DR word 1, the
 * instruction words 3, 4 and 5 with VMMCALL always intercepted, the PAUSE filter count, random IOPM and MSRPM
 * contents; AMD APM Vol. 2 15.9-15.14, Table 15-7) and a random snippet of {@link #CATALOGUE} with random operands,
 * followed by VMMCALL, run in a 64-bit CPL-0 guest ({@link SvmHarness}). The snippet must #VMEXIT iff the
 * configuration says it must, with the exit code of Appendix C, EXITINFO1/EXITINFO2 decoding to its operands (15.10.2
 * IOIO: type, string, REP, operand and address size, segment, port, EXITINFO2 = next RIP; 15.11 MSR: 0 read, 1 write,
 * the index in ECX; 15.8.1 decode assists: MOV CRn/DRn with bit 63 and the GPR; 15.8.3 INVLPG linear address; INVPCID
 * descriptor address and type), NRIP the next sequential RIP (15.7.1, NRIPS) and the guest RIP that of the snippet.
 * Otherwise the snippet executes and the VMMCALL after it exits (81H, RIP past the snippet). Guest exceptions are all
 * intercepted (word 2), so a snippet that faults when not intercepted (LTR of a null selector) exits with 40H + vector.
 */
public final class SvmIntercepts {
    /** VMCB offsets (APM Vol. 2 Appendix B, Table B-1 / B-2). */
    static final int CR = 0x000, DR = 0x004, MISC1 = 0x00c, MISC2 = 0x010, MISC3 = 0x014, PAUSE_COUNT = 0x03e,
            EXITCODE = 0x070, EXITINFO1 = 0x078, EXITINFO2 = 0x080, NRIP = 0x0c8, CR4 = 0x548, CR3 = 0x550,
            CR0 = 0x558, RIP = 0x578, RAX = 0x5f8;
    static final long SCRATCH = 0x600000;
    static final int VMMCALL_CODE = 0x81;
    static final byte[] VMMCALL = {0x0f, 0x01, (byte) 0xd9};

    /**
     * An SVM intercept configuration: words 0, 1, 3, 4, 5, the PAUSE filter count, and the non-zero qwords of the
     * IOPM and MSRPM by byte offset.
     */
    public record Config(long cr, long dr, long misc1, long misc2, long misc3, int pauseCount, Map<Long, Long> iopm,
            Map<Long, Long> msrpm) {
        public Config {
            iopm = Map.copyOf(iopm);
            msrpm = Map.copyOf(msrpm);
        }

        public boolean misc1(int bit) { return (misc1 >>> bit & 1) != 0; }
        public boolean misc2(int bit) { return (misc2 >>> bit & 1) != 0; }
        public boolean misc3(int bit) { return (misc3 >>> bit & 1) != 0; }
        public boolean crRead(int n) { return (cr >>> n & 1) != 0; }
        public boolean crWrite(int n) { return (cr >>> (16 + n) & 1) != 0; }
        public boolean drRead(int n) { return (dr >>> n & 1) != 0; }
        public boolean drWrite(int n) { return (dr >>> (16 + n) & 1) != 0; }

        static long bit(Map<Long, Long> m, long bitIndex) {
            return m.getOrDefault(bitIndex >>> 6 << 3, 0L) >>> (bitIndex & 63) & 1;
        }

        /** IOIO (15.10.1): IOIO_PROT and one IOPM bit set for any byte port of the access (bits past FFFFH included). */
        public boolean ioExits(int port, int size) {
            if (!misc1(27)) {
                return false;
            }
            for (int p = port; p < port + size; p++) {
                if (bit(iopm, p) != 0) {
                    return true;
                }
            }
            return false;
        }

        /** MSR (15.11): MSR_PROT and the MSRPM read/write bit; MSRs outside the three ranges always exit. */
        public boolean msrExits(long index, boolean write) {
            if (!misc1(28)) {
                return false;
            }
            long base;
            if (index <= 0x1fff) {
                base = 0;
            } else if (index >= 0xc0000000L && index <= 0xc0001fffL) {
                base = 0x800;
            } else if (index >= 0xc0010000L && index <= 0xc0011fffL) {
                base = 0x1000;
            } else {
                return true;
            }
            return bit(msrpm, base * 8 + 2 * (index & 0x1fff) + (write ? 1 : 0)) != 0;
        }

        Config with(long cr, long dr, long misc1, long misc2, long misc3, int pauseCount, Map<Long, Long> iopm,
                Map<Long, Long> msrpm) {
            return new Config(cr, dr, misc1, misc2, misc3, pauseCount, iopm, msrpm);
        }
    }

    /** What a snippet sees: the configuration, the guest registers, its RIP and the guest control registers. */
    public record Setup(Config k, long[] gpr, long rip, long cr0, long cr3, long cr4, boolean legacy) {
        /** The address size of the guest's code: 4 in 32-bit protected mode, 8 in 64-bit mode. */
        int addrSize() {
            return legacy ? 4 : 8;
        }
    }

    /**
     * The expected outcome: the exit code (or {@link #RUNS}: no exit, the VMMCALL after the snippet exits; or
     * {@link #HALTS}: HLT executes and the guest stays halted), EXITINFO1, EXITINFO2, and the offset of the exiting
     * instruction from the snippet's first byte (the second instruction of a pair). Exceptions (40H + vector) have NRIP
     * 0 (15.7.1: only instruction intercepts save NRIP).
     */
    public record Expect(long code, long info1, long info2, int offset) {
        static final long RUNS = -100, HALTS = -101;
    }

    /** One catalogue row. */
    public interface Snippet {
        String name();

        /** The bytes; may set registers in {@code s.gpr()}. */
        byte[] bytes(Setup s, SplittableRandom r);

        Expect expect(Setup s, int length);
    }

    private interface Bytes {
        byte[] of(Setup s, SplittableRandom r);
    }

    private interface Rule {
        Expect of(Setup s, int length);
    }

    private record Row(String name, Bytes b, Rule e) implements Snippet {
        public byte[] bytes(Setup s, SplittableRandom r) {
            return b.of(s, r);
        }

        public Expect expect(Setup s, int length) {
            return e.of(s, length);
        }
    }

    static Expect exit(boolean when, long code, long info1, long info2) {
        return when ? new Expect(code, info1, info2, 0) : new Expect(Expect.RUNS, 0, 0, 0);
    }

    static Expect exception(int vector, long errorCode) {
        return new Expect(0x40 + vector, errorCode, 0, 0);
    }

    /** EXITINFO1 of IOIO (15.10.2, Figure 15-2). */
    static long ioInfo(int port, int size, boolean in, boolean string, boolean rep, int addrSize, int seg) {
        return (in ? 1 : 0) | (string ? 4 : 0) | (rep ? 8 : 0) | (size == 1 ? 0x10 : size == 2 ? 0x20 : 0x40)
                | (addrSize == 2 ? 0x80 : addrSize == 4 ? 0x100 : 0x200) | (string ? (long) seg << 10 : 0)
                | (long) port << 16;
    }

    /** Decode assists for MOV CRn / MOV DRn (15.8.1): bit 63 = MOV CR, bits 3:0 = the GPR. */
    static long movCr(int gpr) {
        return 1L << 63 | gpr;
    }

    static byte[] b(int... v) {
        return VmxIntercepts.b(v);
    }

    static long scratch(SplittableRandom r) {
        return SCRATCH + 16L * r.nextInt(0x100);
    }

    /** The catalogue: the instruction intercepts a 64-bit CPL-0 guest can provoke (Table 15-7, Appendix C). */
    public static final List<Snippet> CATALOGUE = List.of(
        new Row("CPUID", (s, r) -> b(0x0f, 0xa2), (s, n) -> exit(s.k().misc1(18), 0x72, 0, 0)),
        new Row("INVD", (s, r) -> b(0x0f, 0x08), (s, n) -> exit(s.k().misc1(22), 0x76, 0, 0)),
        new Row("HLT", (s, r) -> b(0xf4),
            (s, n) -> s.k().misc1(24) ? new Expect(0x78, 0, 0, 0) : new Expect(Expect.HALTS, 0, 0, 0)),
        new Row("INVLPG [RAX]", (s, r) -> {
            s.gpr()[Reg.RAX] = r.nextLong() & 0x00007ffffffff000L | r.nextInt(0x1000);
            return b(0x0f, 0x01, 0x38);
        }, (s, n) -> exit(s.k().misc1(25), 0x79, s.legacy() ? s.gpr()[Reg.RAX] & 0xffffffffL : s.gpr()[Reg.RAX], 0)),
        new Row("RDTSC", (s, r) -> b(0x0f, 0x31), (s, n) -> exit(s.k().misc1(14), 0x6e, 0, 0)),
        new Row("RDTSCP", (s, r) -> b(0x0f, 0x01, 0xf9), (s, n) -> exit(s.k().misc2(7), 0x87, 0, 0)),
        new Row("RDPMC", (s, r) -> {
            s.gpr()[Reg.RCX] = 0;
            return b(0x0f, 0x33);
        }, (s, n) -> exit(s.k().misc1(15), 0x6f, 0, 0)),
        // 15.14.4: the filter counter starts at PAUSE_FILTER_COUNT and the intercept fires when it goes below zero
        new Row("PAUSE", (s, r) -> b(0xf3, 0x90), (s, n) -> exit(s.k().misc1(23) && s.k().pauseCount() == 0, 0x77, 0, 0)),
        new Row("WBINVD", (s, r) -> b(0x0f, 0x09), (s, n) -> exit(s.k().misc2(9), 0x89, 0, 0)),
        new Row("MONITOR", (s, r) -> {
            s.gpr()[Reg.RAX] = scratch(r);
            s.gpr()[Reg.RCX] = 0;
            s.gpr()[Reg.RDX] = 0;
            return b(0x0f, 0x01, 0xc8);
        }, (s, n) -> exit(s.k().misc2(10), 0x8a, 0, 0)),
        // MONITOR then MWAIT: MONITOR exits first; else the armed MWAIT takes the conditional intercept before the
        // unconditional one (Table 15-7)
        new Row("MONITOR; MWAIT", (s, r) -> {
            s.gpr()[Reg.RAX] = scratch(r);
            s.gpr()[Reg.RCX] = 0;
            s.gpr()[Reg.RDX] = 0;
            return b(0x0f, 0x01, 0xc8, 0x0f, 0x01, 0xc9);
        }, (s, n) -> s.k().misc2(10) ? new Expect(0x8a, 0, 0, 0)
            : s.k().misc2(12) ? new Expect(0x8c, 0, 0, 3) : s.k().misc2(11) ? new Expect(0x8b, 0, 0, 3)
            : new Expect(Expect.RUNS, 0, 0, 0)),
        new Row("XSETBV", (s, r) -> {
            s.gpr()[Reg.RCX] = 0;
            s.gpr()[Reg.RAX] = 3;
            s.gpr()[Reg.RDX] = 0;
            return b(0x0f, 0x01, 0xd1);
        }, (s, n) -> exit(s.k().misc2(13), 0x8d, 0, 0)),
        new Row("IN AL, imm8", (s, r) -> b(0xe4, (int) (s.gpr()[15] = r.nextInt(256))),
            (s, n) -> io(s, n, (int) s.gpr()[15], 1, true, false, false, s.addrSize(), 0)),
        new Row("OUT imm8, EAX", (s, r) -> b(0xe7, (int) (s.gpr()[15] = r.nextInt(256))),
            (s, n) -> io(s, n, (int) s.gpr()[15], 4, false, false, false, s.addrSize(), 0)),
        new Row("IN AX, DX", (s, r) -> {
            s.gpr()[Reg.RDX] = r.nextLong() & ~0xffffL | VmxIntercepts.ioPort(r);
            return b(0x66, 0xed);
        }, (s, n) -> io(s, n, (int) (s.gpr()[Reg.RDX] & 0xffff), 2, true, false, false, s.addrSize(), 0)),
        new Row("OUT DX, AL", (s, r) -> {
            s.gpr()[Reg.RDX] = VmxIntercepts.ioPort(r);
            return b(0xee);
        }, (s, n) -> io(s, n, (int) s.gpr()[Reg.RDX], 1, false, false, false, s.addrSize(), 0)),
        new Row("REP OUTSB (FS)", (s, r) -> {
            s.gpr()[Reg.RDX] = VmxIntercepts.ioPort(r);
            s.gpr()[Reg.RSI] = scratch(r);
            s.gpr()[Reg.RCX] = 1 + r.nextInt(3);
            return b(0x64, 0xf3, 0x6e);
        }, (s, n) -> io(s, n, (int) s.gpr()[Reg.RDX], 1, false, true, true, 8, Reg.FS)),
        new Row("INSW", (s, r) -> {
            s.gpr()[Reg.RDX] = VmxIntercepts.ioPort(r);
            s.gpr()[Reg.RDI] = scratch(r);
            return b(0x66, 0x6d);
        }, (s, n) -> io(s, n, (int) s.gpr()[Reg.RDX], 2, true, true, false, s.addrSize(), 0)),
        new Row("OUTSD (addr32)", (s, r) -> {
            s.gpr()[Reg.RDX] = VmxIntercepts.ioPort(r);
            s.gpr()[Reg.RSI] = r.nextLong() & ~0xffffffffL | scratch(r);
            return b(0x67, 0x6f);
        }, (s, n) -> io(s, n, (int) s.gpr()[Reg.RDX], 4, false, true, false, s.legacy() ? 2 : 4, Reg.DS)),
        new Row("RDMSR", (s, r) -> {
            s.gpr()[Reg.RCX] = new long[] {0x174, 0x175, 0x176, 0x277, 0x10, 0xc0000080L, 0xc0000100L, 0xc0010117L}[r.nextInt(8)];
            return b(0x0f, 0x32);
        }, (s, n) -> exit(s.k().msrExits(s.gpr()[Reg.RCX], false), 0x7c, 0, 0)),
        new Row("WRMSR", (s, r) -> {
            s.gpr()[Reg.RCX] = new long[] {0x174, 0x175, 0x176, 0xc0000100L, 0xc0000102L}[r.nextInt(5)];
            s.gpr()[Reg.RAX] = r.nextInt() & 0xffffffffL;
            s.gpr()[Reg.RDX] = r.nextInt(0x7fff);
            return b(0x0f, 0x30);
        }, (s, n) -> exit(s.k().msrExits(s.gpr()[Reg.RCX], true), 0x7c, 1, 0)),
        new Row("MOV CR0, RAX", (s, r) -> {
            long flip = (r.nextBoolean() ? 1L << 1 : 0) | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 16 : 0);
            s.gpr()[Reg.RAX] = s.cr0() ^ flip;
            return b(0x0f, 0x22, 0xc0);
        }, (s, n) -> s.k().crWrite(0) ? new Expect(0x10, movCr(Reg.RAX), 0, 0)
            : exit(s.k().misc1(5) && ((s.gpr()[Reg.RAX] ^ s.cr0()) & ~0xaL) != 0, 0x65, movCr(Reg.RAX), 0)),
        new Row("MOV CR4, RBX", (s, r) -> {
            long flip = (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 7 : 0) | (r.nextBoolean() ? 1L << 8 : 0);
            s.gpr()[Reg.RBX] = s.cr4() ^ flip;
            return b(0x0f, 0x22, 0xe3);
        }, (s, n) -> exit(s.k().crWrite(4), 0x14, movCr(Reg.RBX), 0)),
        new Row("MOV CR3, RSI", (s, r) -> {
            s.gpr()[Reg.RSI] = s.cr3();
            return b(0x0f, 0x22, 0xde);
        }, (s, n) -> exit(s.k().crWrite(3), 0x13, movCr(Reg.RSI), 0)),
        new Row("MOV RDI, CR3", (s, r) -> b(0x0f, 0x20, 0xdf), (s, n) -> exit(s.k().crRead(3), 0x03, movCr(Reg.RDI), 0)),
        new Row("MOV RAX, CR0", (s, r) -> b(0x0f, 0x20, 0xc0), (s, n) -> exit(s.k().crRead(0), 0x00, movCr(Reg.RAX), 0)),
        new Row("MOV RCX, CR4", (s, r) -> b(0x0f, 0x20, 0xe1), (s, n) -> exit(s.k().crRead(4), 0x04, movCr(Reg.RCX), 0)),
        new Row("MOV CR8, R9", (s, r) -> {
            s.gpr()[9] = r.nextInt(16);
            return b(0x45, 0x0f, 0x22, 0xc1);
        }, (s, n) -> exit(s.k().crWrite(8), 0x18, movCr(9), 0)),
        new Row("MOV R10, CR8", (s, r) -> b(0x45, 0x0f, 0x20, 0xc2), (s, n) -> exit(s.k().crRead(8), 0x08, movCr(10), 0)),
        // CLTS is a CR0 write and SMSW a CR0 read without decode-assist information; LMSW treats the selective
        // CR0-write intercept as non-selective (Table 15-7)
        new Row("CLTS", (s, r) -> b(0x0f, 0x06), (s, n) -> exit(s.k().crWrite(0), 0x10, 0, 0)),
        new Row("SMSW EAX", (s, r) -> b(0x0f, 0x01, 0xe0), (s, n) -> exit(s.k().crRead(0), 0x00, 0, 0)),
        new Row("LMSW AX", (s, r) -> {
            s.gpr()[Reg.RAX] = s.cr0() & 0xfff1 | (r.nextBoolean() ? 2 : 0) | (r.nextBoolean() ? 8 : 0);
            return b(0x0f, 0x01, 0xf0);
        }, (s, n) -> s.k().crWrite(0) ? new Expect(0x10, 0, 0, 0) : exit(s.k().misc1(5), 0x65, 0, 0)),
        new Row("MOV RDX, DR7", (s, r) -> b(0x0f, 0x21, 0xfa), (s, n) -> exit(s.k().drRead(7), 0x27, Reg.RDX, 0)),
        new Row("MOV DR7, RBP", (s, r) -> {
            s.gpr()[Reg.RBP] = 0x400;
            return b(0x0f, 0x23, 0xfd);
        }, (s, n) -> exit(s.k().drWrite(7), 0x37, Reg.RBP, 0)),
        new Row("MOV DR0, RAX", (s, r) -> {
            s.gpr()[Reg.RAX] = r.nextLong() & 0x00007fffffffffffL;
            return b(0x0f, 0x23, 0xc0);
        }, (s, n) -> exit(s.k().drWrite(0), 0x30, Reg.RAX, 0)),
        new Row("SGDT [RAX]", (s, r) -> mem(s, r, 0x00), (s, n) -> exit(s.k().misc1(7), 0x67, 0, 0)),
        new Row("SIDT [RAX]", (s, r) -> mem(s, r, 0x08), (s, n) -> exit(s.k().misc1(6), 0x66, 0, 0)),
        new Row("LGDT [RAX]", (s, r) -> mem(s, r, 0x10), (s, n) -> exit(s.k().misc1(11), 0x6b, 0, 0)),
        new Row("LIDT [RAX]", (s, r) -> mem(s, r, 0x18), (s, n) -> exit(s.k().misc1(10), 0x6a, 0, 0)),
        new Row("SLDT AX", (s, r) -> b(0x0f, 0x00, 0xc0), (s, n) -> exit(s.k().misc1(8), 0x68, 0, 0)),
        new Row("STR AX", (s, r) -> b(0x0f, 0x00, 0xc8), (s, n) -> exit(s.k().misc1(9), 0x69, 0, 0)),
        new Row("LLDT AX", (s, r) -> {
            s.gpr()[Reg.RAX] = 0;                       // a null selector: LDTR unusable, no fault
            return b(0x0f, 0x00, 0xd0);
        }, (s, n) -> exit(s.k().misc1(12), 0x6c, 0, 0)),
        new Row("LTR AX", (s, r) -> {
            s.gpr()[Reg.RAX] = 0;                       // a null selector: #GP(0) when not intercepted
            return b(0x0f, 0x00, 0xd8);
        }, (s, n) -> s.k().misc1(13) ? new Expect(0x6d, 0, 0, 0) : exception(13, 0)),
        new Row("INVPCID RCX, [RAX]", (s, r) -> {
            s.gpr()[Reg.RAX] = scratch(r);
            s.gpr()[Reg.RCX] = 2 + r.nextInt(2);          // all contexts (with / without globals): no descriptor check
            return b(0x66, 0x0f, 0x38, 0x82, 0x08);
        }, (s, n) -> exit(s.k().misc3(2), 0xa2, s.gpr()[Reg.RAX], s.gpr()[Reg.RCX])),
        new Row("PUSHF", (s, r) -> b(0x9c), (s, n) -> exit(s.k().misc1(16), 0x70, 0, 0)),
        new Row("POPF", (s, r) -> b(0x9d), (s, n) -> exit(s.k().misc1(17), 0x71, 0, 0)),
        // SVM has no RDRAND intercept (Table 15-7): never exits
        new Row("RDRAND EAX", (s, r) -> b(0x0f, 0xc7, 0xf0), (s, n) -> exit(false, 0, 0, 0)));

    static byte[] mem(Setup s, SplittableRandom r, int modrm) {
        s.gpr()[Reg.RAX] = scratch(r);
        return b(0x0f, 0x01, modrm);
    }

    static Expect io(Setup s, int length, int port, int size, boolean in, boolean string, boolean rep, int addrSize,
            int seg) {
        return exit(s.k().ioExits(port, size), 0x7b, ioInfo(port, size, in, string, rep, addrSize, seg),
                s.rip() + length);
    }

    private SvmIntercepts() {}

    /** A random configuration: every intercept bit the catalogue reaches, each on with probability 1/2. */
    public static Config configure(SplittableRandom r) {
        long cr = 0;
        for (int n : new int[] {0, 3, 4, 8}) {
            cr |= (r.nextBoolean() ? 1L << n : 0) | (r.nextBoolean() ? 1L << (16 + n) : 0);
        }
        long dr = 0;
        for (int n : new int[] {0, 7}) {
            dr |= (r.nextBoolean() ? 1L << n : 0) | (r.nextBoolean() ? 1L << (16 + n) : 0);
        }
        long misc1 = 0, misc2 = 1L << 0 | 1L << 1, misc3 = 0;  // VMRUN (a VMRUN rule) and VMMCALL always
        for (int bit : new int[] {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 22, 23, 24, 25, 27, 28}) {
            misc1 |= r.nextBoolean() ? 1L << bit : 0;
        }
        for (int bit : new int[] {7, 9, 10, 11, 12, 13}) {
            misc2 |= r.nextBoolean() ? 1L << bit : 0;
        }
        misc3 |= r.nextBoolean() ? 1L << 2 : 0;
        return new Config(cr, dr, misc1, misc2, misc3, r.nextInt(2), bitmap(r, 0x3000), bitmap(r, 0x2000));
    }

    static Map<Long, Long> bitmap(SplittableRandom r, int bytes) {
        int style = r.nextInt(3);
        Map<Long, Long> m = new TreeMap<>();
        for (long a = 0; a < bytes; a += 8) {
            long q = style == 0 ? r.nextLong() & r.nextLong() & r.nextLong() : style == 1 ? r.nextLong() : -1L;
            if (q != 0) {
                m.put(a, q);
            }
        }
        return m;
    }

    /** One reproducible case: configuration, guest registers, RIP and the snippet's bytes. */
    public record Trial(String snippet, Config config, long[] gpr, long rip, byte[] insn, boolean legacy) {
        Trial withConfig(Config k) {
            return new Trial(snippet, k, gpr, rip, insn, legacy);
        }

        Snippet row() {
            return CATALOGUE.stream().filter(s -> s.name().equals(snippet)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown SVM snippet '" + snippet + "'"));
        }
    }

    static final long GUEST_CR0 = 0x80000031L, GUEST_CR3 = SvmHarness.PAGING, GUEST_CR4 = 0x20 | 1L << 18;
    /** The 32-bit protected-mode guest of {@link dev.hvsim.svm.VmcbBases#PROTECTED_MODE}: no paging, CR4.OSXSAVE. */
    static final long LEGACY_CR0 = 0x31, LEGACY_CR3 = 0, LEGACY_CR4 = 1L << 18;

    static Setup setup(Config k, long[] gpr, long rip, boolean legacy) {
        return legacy ? new Setup(k, gpr, rip, LEGACY_CR0, LEGACY_CR3, LEGACY_CR4, true)
                : new Setup(k, gpr, rip, GUEST_CR0, GUEST_CR3, GUEST_CR4, false);
    }

    /** The rows that run in 32-bit protected mode (no REX prefix, no FS, which the base leaves unusable). */
    public static List<Snippet> legacyRows() {
        return CATALOGUE.stream().filter(sn -> !sn.name().contains("CR8") && !sn.name().contains("(FS)")).toList();
    }

    /** A random trial of {@code snippet} in the 64-bit guest. */
    public static Trial generate(SplittableRandom r, Snippet snippet) {
        return generate(r, snippet, false);
    }

    /** A random trial of {@code snippet}; {@code legacy}: in the 32-bit protected-mode guest (a {@link #legacyRows} row). */
    public static Trial generate(SplittableRandom r, Snippet snippet, boolean legacy) {
        Config k = configure(r);
        long[] gpr = new long[16];
        for (int i = 0; i < 16; i++) {
            gpr[i] = r.nextLong();
        }
        long rip = 0x200000 + r.nextInt(0x1ff) * 0x1000L + r.nextInt(0x1000 - 16);
        Setup s = setup(k, gpr, rip, legacy);
        byte[] insn = snippet.bytes(s, r);
        return new Trial(snippet.name(), k, gpr, rip, insn, legacy);
    }

    /** Runs one random trial; null when the property held, else what differs. */
    public static String check(SplittableRandom r, Snippet snippet, Map<String, Integer> seen) {
        Trial t = generate(r, snippet);
        Result res = run(t);
        if (seen != null) {
            long code = res.expect().code();
            seen.merge(snippet.name() + (code >= 0x40 && code < 0x60 ? " faults" : code >= 0 ? " exits" : " runs"), 1,
                    Integer::sum);
        }
        return res.problem();
    }

    /** What a run gave: the expectation and the problem (null if none). */
    public record Result(Expect expect, String problem) {}

    /** Runs a trial on a fresh amd-zen CPU. */
    public static Result run(Trial t) {
        return run(t, t.row());
    }

    /** Runs a trial with the expectation of {@code sn} (a catalogue row, or a user's own). */
    public static Result run(Trial t, Snippet sn) {
        long[] gpr = t.gpr().clone();
        Setup s = setup(t.config(), gpr, t.rip(), t.legacy());
        Expect e = sn.expect(s, t.insn().length);
        SvmHarness h = new SvmHarness(CpuProfile.load("amd-zen"),
                t.legacy() ? dev.hvsim.svm.VmcbBases.PROTECTED_MODE : dev.hvsim.svm.VmcbBases.LONG_MODE);
        Config k = t.config();
        h.root.writeOffset(CR, 4, k.cr());
        h.root.writeOffset(DR, 4, k.dr());
        h.root.writeOffset(MISC1, 4, k.misc1());
        h.root.writeOffset(MISC2, 4, k.misc2());
        h.root.writeOffset(MISC3, 4, k.misc3());
        h.root.writeOffset(PAUSE_COUNT, 2, k.pauseCount());
        k.iopm().forEach((a, q) -> h.bus.write(SvmHarness.IOPM + a, 8, q));
        k.msrpm().forEach((a, q) -> h.bus.write(SvmHarness.MSRPM + a, 8, q));
        h.root.writeOffset(CR4, 8, s.cr4());
        byte[] code = new byte[t.insn().length + 3];
        System.arraycopy(t.insn(), 0, code, 0, t.insn().length);
        System.arraycopy(VMMCALL, 0, code, t.insn().length, 3);
        h.bus.load(t.rip(), code);
        h.root.setGuestRip(t.rip());
        for (int i = 0; i < 16; i++) {
            if (i != Reg.RSP) {
                h.root.setGpr(i, gpr[i]);
            }
        }
        SvmExit invalid = h.root.vmrun();
        if (invalid != null) {
            return new Result(e, sn.name() + ": VMRUN failed " + invalid.violations());
        }
        StopReason stop = h.cpu.run(3, Long.MAX_VALUE);
        boolean inGuest = h.root.extension().inGuest();
        long code0 = h.root.readOffset(EXITCODE, 8), i1 = h.root.readOffset(EXITINFO1, 8),
                i2 = h.root.readOffset(EXITINFO2, 8), nrip = h.root.readOffset(NRIP, 8), rip = h.root.guestRip();
        String got = inGuest ? String.format("in the guest at +%d (stop %s)", h.cpu.state().rip - t.rip(), stop)
                : String.format("exit %x info1 %x info2 %x NRIP +%d RIP +%d", code0, i1, i2, nrip - t.rip(), rip - t.rip());
        int len = t.insn().length;
        String want;
        if (e.code() == Expect.HALTS) {
            want = "in the guest at +1 (stop HALTED)";
        } else if (e.code() == Expect.RUNS) {
            want = String.format("exit %x info1 0 info2 0 NRIP +%d RIP +%d", VMMCALL_CODE, len + 3, len);
        } else {
            int at = e.offset();
            int insnLen = at == 0 ? (sn.name().equals("MONITOR; MWAIT") ? 3 : len) : len - at;
            long wantNrip = e.code() >= 0x40 && e.code() < 0x60 ? -t.rip() : at + insnLen;
            want = String.format("exit %x info1 %x info2 %x NRIP +%d RIP +%d", e.code(), e.info1(), e.info2(), wantNrip, at);
        }
        if (!got.equals(want)) {
            return new Result(e, sn.name() + ": " + got + ", expected " + want);
        }
        if (e.code() == 0x7c && h.cpu.state().gpr[Reg.RCX] != gpr[Reg.RCX]) {
            return new Result(e, sn.name() + ": ECX at the exit " + Long.toHexString(h.cpu.state().gpr[Reg.RCX])
                    + ", the MSR index was " + Long.toHexString(gpr[Reg.RCX]));
        }
        return new Result(e, null);
    }

    /**
     * Shrinks a failing trial to the smallest configuration that still fails the same way (the same exit code, or
     * the same "still in the guest", as observed): intercept bits cleared one at a time, the PAUSE filter count to 0,
     * IOPM / MSRPM qwords removed in halves, quarters, ... down to one at a time, until nothing more can go.
     */
    public static Trial shrink(Trial t) {
        return shrink(t, t.row());
    }

    /** As {@link #shrink(Trial)} with the expectation of {@code sn}. */
    public static Trial shrink(Trial t, Snippet sn) {
        String sig = signature(run(t, sn).problem());
        if (sig == null) {
            return t;
        }
        java.util.function.Predicate<Trial> fails = c -> sig.equals(signature(run(c, sn).problem()));
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Trial c : simpler(t)) {
                if (fails.test(c)) {
                    t = c;
                    progress = true;
                    break;
                }
            }
            Trial a = t;
            t = Shrinking.removeKeys(t, t.config().iopm(), (x, m) -> x.withConfig(x.config().with(x.config().cr(),
                    x.config().dr(), x.config().misc1(), x.config().misc2(), x.config().misc3(), x.config().pauseCount(), m,
                    x.config().msrpm())), fails);
            t = Shrinking.removeKeys(t, t.config().msrpm(), (x, m) -> x.withConfig(x.config().with(x.config().cr(),
                    x.config().dr(), x.config().misc1(), x.config().misc2(), x.config().misc3(), x.config().pauseCount(),
                    x.config().iopm(), m)), fails);
            progress |= a != t;
        }
        return t;
    }

    static String signature(String problem) {
        if (problem == null) {
            return null;
        }
        int i = problem.indexOf(", expected");
        String got = i < 0 ? problem : problem.substring(0, i);
        int j = got.indexOf(" info1");
        return j < 0 ? got : got.substring(0, j);
    }

    static List<Trial> simpler(Trial t) {
        List<Trial> out = new ArrayList<>();
        Config k = t.config();
        long[] words = {k.cr(), k.dr(), k.misc1(), k.misc2(), k.misc3()};
        for (int w = 0; w < 5; w++) {
            for (int bit = 0; bit < 32; bit++) {
                if ((words[w] >>> bit & 1) == 0 || w == 3 && bit < 2) {
                    continue;
                }
                long[] v = words.clone();
                v[w] &= ~(1L << bit);
                out.add(t.withConfig(k.with(v[0], v[1], v[2], v[3], v[4], k.pauseCount(), k.iopm(), k.msrpm())));
            }
        }
        if (k.pauseCount() != 0) {
            out.add(t.withConfig(k.with(k.cr(), k.dr(), k.misc1(), k.misc2(), k.misc3(), 0, k.iopm(), k.msrpm())));
        }
        return out;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The reproduction file of a trial (Jackson): read back by {@link #fromRepro} and replayed by {@link #run}. */
    public static ObjectNode repro(Trial t, String problem) {
        ObjectNode n = JSON.createObjectNode();
        n.put("property", "svm-intercepts");
        n.put("profile", "amd-zen");
        n.put("base", t.legacy() ? dev.hvsim.svm.VmcbBases.PROTECTED_MODE : dev.hvsim.svm.VmcbBases.LONG_MODE);
        n.put("snippet", t.snippet());
        n.put("bytes", hex(t.insn()));
        n.put("rip", Repro.hex(t.rip()));
        ArrayNode g = n.putArray("gpr");
        for (long v : t.gpr()) {
            g.add(Repro.hex(v));
        }
        ObjectNode v = n.putObject("vmcb");
        v.put("control.INTERCEPT_CR", Repro.hex(t.config().cr()));
        v.put("control.INTERCEPT_DR", Repro.hex(t.config().dr()));
        v.put("control.INTERCEPT_MISC1", Repro.hex(t.config().misc1()));
        v.put("control.INTERCEPT_MISC2", Repro.hex(t.config().misc2()));
        v.put("control.INTERCEPT_MISC3", Repro.hex(t.config().misc3()));
        v.put("control.PAUSE_FILTER_COUNT", t.config().pauseCount());
        bitmapJson(n.putObject("iopm"), t.config().iopm());
        bitmapJson(n.putObject("msrpm"), t.config().msrpm());
        if (problem != null) {
            n.put("problem", problem);
        }
        return n;
    }

    static void bitmapJson(ObjectNode n, Map<Long, Long> m) {
        new TreeMap<>(m).forEach((a, q) -> n.put(Repro.hex(a), Repro.hex(q)));
    }

    static Map<Long, Long> bitmapFrom(JsonNode n) {
        Map<Long, Long> m = new TreeMap<>();
        n.fields().forEachRemaining(e -> m.put(parse(e.getKey()), parse(e.getValue().asText())));
        return m;
    }

    /** The trial a reproduction file describes. */
    public static Trial fromRepro(JsonNode n) {
        JsonNode v = n.get("vmcb");
        long[] gpr = new long[16];
        for (int i = 0; i < 16; i++) {
            gpr[i] = parse(n.get("gpr").get(i).asText());
        }
        Config k = new Config(parse(v.get("control.INTERCEPT_CR").asText()), parse(v.get("control.INTERCEPT_DR").asText()),
                parse(v.get("control.INTERCEPT_MISC1").asText()), parse(v.get("control.INTERCEPT_MISC2").asText()),
                parse(v.get("control.INTERCEPT_MISC3").asText()), v.get("control.PAUSE_FILTER_COUNT").asInt(),
                bitmapFrom(n.get("iopm")), bitmapFrom(n.get("msrpm")));
        return new Trial(n.get("snippet").asText(), k, gpr, parse(n.get("rip").asText()), unhex(n.get("bytes").asText()),
                dev.hvsim.svm.VmcbBases.PROTECTED_MODE.equals(n.path("base").asText()));
    }

    static long parse(String s) {
        return Long.parseUnsignedLong(s.startsWith("0x") ? s.substring(2) : s, 16);
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    static byte[] unhex(String h) {
        return VmxHarness.hex(h);
    }
}
