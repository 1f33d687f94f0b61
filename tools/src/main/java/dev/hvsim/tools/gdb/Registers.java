package dev.hvsim.tools.gdb;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;

/**
 * The one register layout the stub serves, whatever mode the guest is in: gdb's 64-bit x86 core, SSE and
 * segment-base features plus hvsim's system feature (control registers, EFER and two reserved
 * virtualization registers). Its size never changes, so gdb never sees "Remote 'g' packet reply is too
 * long" when a guest switches between 16-, 32- and 64-bit code; the mode is shown by {@code monitor mode}.
 *
 * <p>Register numbers (the {@code p}/{@code P} packets) are the order below; all values are little-endian.
 */
public final class Registers {
    /** Sizes in bytes, by gdb register number. */
    static final int[] SIZE;
    static final String[] NAME;
    /** hvsim GPR index of gdb's rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp. */
    private static final int[] GPR_ORDER = {Reg.RAX, Reg.RBX, Reg.RCX, Reg.RDX, Reg.RSI, Reg.RDI, Reg.RBP, Reg.RSP};
    private static final int[] SEG_ORDER = {Reg.CS, Reg.SS, Reg.DS, Reg.ES, Reg.FS, Reg.GS};
    static final int RIP = 16, EFLAGS = 17, SEG0 = 18, ST0 = 24, FCTRL = 32, XMM0 = 40, MXCSR = 56, FS_BASE = 57,
            GS_BASE = 58, CR0 = 59, CR2 = 60, CR3 = 61, CR4 = 62, CR8 = 63, EFER = 64, HV_MODE = 65, HV_CTL = 66,
            COUNT = 67;
    /** Size of the {@code g} reply in bytes (twice as many hex digits); the same in every mode. */
    public static final int G_BYTES;

    static {
        SIZE = new int[COUNT];
        NAME = new String[COUNT];
        String[] gp = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp"};
        for (int i = 0; i < 16; i++) {
            NAME[i] = i < 8 ? gp[i] : "r" + i;
            SIZE[i] = 8;
        }
        NAME[RIP] = "rip"; SIZE[RIP] = 8;
        NAME[EFLAGS] = "eflags"; SIZE[EFLAGS] = 4;
        String[] seg = {"cs", "ss", "ds", "es", "fs", "gs"};
        for (int i = 0; i < 6; i++) {
            NAME[SEG0 + i] = seg[i];
            SIZE[SEG0 + i] = 4;
        }
        for (int i = 0; i < 8; i++) {
            NAME[ST0 + i] = "st" + i;
            SIZE[ST0 + i] = 10;
        }
        String[] fpu = {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"};
        for (int i = 0; i < 8; i++) {
            NAME[FCTRL + i] = fpu[i];
            SIZE[FCTRL + i] = 4;
        }
        for (int i = 0; i < 16; i++) {
            NAME[XMM0 + i] = "xmm" + i;
            SIZE[XMM0 + i] = 16;
        }
        NAME[MXCSR] = "mxcsr"; SIZE[MXCSR] = 4;
        String[] rest = {"fs_base", "gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer", "hv_mode", "hv_ctl"};
        for (int i = 0; i < rest.length; i++) {
            NAME[FS_BASE + i] = rest[i];
            SIZE[FS_BASE + i] = 8;
        }
        int n = 0;
        for (int s : SIZE) {
            n += s;
        }
        G_BYTES = n;
    }

    private Registers() {}

    /** The value of register {@code r} of {@code cpu}, little-endian, {@code SIZE[r]} bytes. */
    static byte[] read(Cpu cpu, int r) {
        CpuState s = cpu.state();
        byte[] b = new byte[SIZE[r]];
        if (r < 16) {
            put(b, 0, 8, s.gpr[r < 8 ? GPR_ORDER[r] : r]);
        } else if (r == RIP) {
            put(b, 0, 8, s.rip);
        } else if (r == EFLAGS) {
            put(b, 0, 4, s.rflags());
        } else if (r < ST0) {
            put(b, 0, 4, s.seg[SEG_ORDER[r - SEG0]].selector);
        } else if (r < FCTRL) {
            System.arraycopy(s.fpr, (r - ST0) * 10, b, 0, 10);
        } else if (r < XMM0) {
            put(b, 0, 4, fpu(s, r - FCTRL));
        } else if (r < MXCSR) {
            put(b, 0, 8, s.xmm[2 * (r - XMM0)]);
            put(b, 8, 8, s.xmm[2 * (r - XMM0) + 1]);
        } else {
            long v = r == HV_MODE ? VmStructures.hvMode(cpu) : r == HV_CTL ? VmStructures.hvCtl(cpu) : wide(s, r);
            put(b, 0, SIZE[r], v);
        }
        return b;
    }

    private static long fpu(CpuState s, int i) {
        switch (i) {
            case 0: return s.fcw;
            case 1: return s.fsw;
            case 2: return fullTag(s.ftwAbridged);
            case 3: return s.fcs;
            case 4: return s.fip;
            case 5: return s.fds;
            case 6: return s.fdp;
            default: return s.fop;
        }
    }

    /** The full x87 tag word from the abridged one: a used register shows as valid (00), a free one as empty (11). */
    private static long fullTag(int abridged) {
        long t = 0;
        for (int i = 0; i < 8; i++) {
            t |= ((abridged >>> i) & 1) != 0 ? 0 : 3L << (2 * i);
        }
        return t;
    }

    private static long wide(CpuState s, int r) {
        switch (r) {
            case MXCSR: return s.mxcsr;
            case FS_BASE: return s.seg[Reg.FS].base;
            case GS_BASE: return s.seg[Reg.GS].base;
            case CR0: return s.cr0;
            case CR2: return s.cr2;
            case CR3: return s.cr3;
            case CR4: return s.cr4;
            case CR8: return s.cr8;
            case EFER: return s.efer;
            default: throw new IllegalArgumentException("register " + r); // hv_mode, hv_ctl: read() asks VmStructures
        }
    }

    /**
     * Writes register {@code r}. Segment registers change their selector only (the descriptor cache is
     * kept); control registers and EFER make the CPU recompute its mode and flush its TLB; hv_mode and
     * hv_ctl are read-only.
     *
     * @return false if the register cannot be written
     */
    static boolean write(Cpu cpu, int r, byte[] b, int off) {
        CpuState s = cpu.state();
        long v = get(b, off, Math.min(8, SIZE[r]));
        if (r < 16) {
            s.gpr[r < 8 ? GPR_ORDER[r] : r] = v;
        } else if (r == RIP) {
            s.rip = v;
        } else if (r == EFLAGS) {
            s.setRflags(v & 0xffffffffL);
            cpu.modeChanged();
        } else if (r < ST0) {
            s.seg[SEG_ORDER[r - SEG0]].selector = (int) v & 0xffff;
        } else if (r < FCTRL) {
            System.arraycopy(b, off, s.fpr, (r - ST0) * 10, 10);
        } else if (r < XMM0) {
            writeFpu(s, r - FCTRL, v);
        } else if (r < MXCSR) {
            s.xmm[2 * (r - XMM0)] = v;
            s.xmm[2 * (r - XMM0) + 1] = get(b, off + 8, 8);
        } else {
            return writeWide(cpu, s, r, v);
        }
        return true;
    }

    private static void writeFpu(CpuState s, int i, long v) {
        switch (i) {
            case 0: s.fcw = (int) v & 0xffff; break;
            case 1: s.fsw = (int) v & 0xffff; break;
            case 2:
                int a = 0;
                for (int k = 0; k < 8; k++) {
                    a |= ((v >>> (2 * k)) & 3) != 3 ? 1 << k : 0;
                }
                s.ftwAbridged = a;
                break;
            case 3: s.fcs = (int) v & 0xffff; break;
            case 4: s.fip = v; break;
            case 5: s.fds = (int) v & 0xffff; break;
            case 6: s.fdp = v; break;
            default: s.fop = (int) v & 0x7ff;
        }
    }

    private static boolean writeWide(Cpu cpu, CpuState s, int r, long v) {
        switch (r) {
            case MXCSR: s.mxcsr = (int) v; return true;
            case FS_BASE: s.seg[Reg.FS].base = v; return true;
            case GS_BASE: s.seg[Reg.GS].base = v; return true;
            case CR2: s.cr2 = v; return true;
            case CR8: s.cr8 = v & 0xf; return true;
            case CR0: s.cr0 = v; break;
            case CR3: s.cr3 = v; break;
            case CR4: s.cr4 = v; break;
            case EFER: s.efer = v; break;
            default: return false;
        }
        cpu.modeChanged();
        cpu.mmu().flushAll();
        return true;
    }

    /** All registers, in order: the {@code g} reply's bytes ({@link #G_BYTES} of them). */
    static byte[] readAll(Cpu cpu) {
        byte[] all = new byte[G_BYTES];
        int off = 0;
        for (int r = 0; r < COUNT; r++) {
            byte[] b = read(cpu, r);
            System.arraycopy(b, 0, all, off, b.length);
            off += b.length;
        }
        return all;
    }

    /** Writes every register whose bytes in {@code all} differ from its current value ({@code G}). */
    static void writeAll(Cpu cpu, byte[] all) {
        int off = 0;
        for (int r = 0; r < COUNT; r++) {
            byte[] cur = read(cpu, r);
            if (!java.util.Arrays.equals(cur, 0, cur.length, all, off, off + cur.length)) {
                write(cpu, r, all, off);
            }
            off += SIZE[r];
        }
    }

    static int number(String name) {
        for (int i = 0; i < COUNT; i++) {
            if (NAME[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static void put(byte[] b, int off, int n, long v) {
        for (int i = 0; i < n; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    private static long get(byte[] b, int off, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    /** The target description served as {@code target.xml}. */
    static String targetXml() {
        StringBuilder x = new StringBuilder();
        x.append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n")
                .append("<architecture>i386:x86-64</architecture>\n");
        x.append("<feature name=\"org.gnu.gdb.i386.core\">\n<flags id=\"i386_eflags\" size=\"4\">\n");
        String[][] flags = {{"CF", "0"}, {"PF", "2"}, {"AF", "4"}, {"ZF", "6"}, {"SF", "7"}, {"TF", "8"}, {"IF", "9"},
            {"DF", "10"}, {"OF", "11"}, {"NT", "14"}, {"RF", "16"}, {"VM", "17"}, {"AC", "18"}, {"VIF", "19"},
            {"VIP", "20"}, {"ID", "21"}};
        for (String[] f : flags) {
            x.append("<field name=\"").append(f[0]).append("\" start=\"").append(f[1]).append("\" end=\"").append(f[1])
                    .append("\"/>\n");
        }
        x.append("</flags>\n");
        for (int r = 0; r < XMM0; r++) {
            String type = r == RIP ? "code_ptr" : r == 6 || r == 7 ? "data_ptr" : r < 16 ? "int64"
                    : r == EFLAGS ? "i386_eflags" : r < ST0 ? "int32" : r < FCTRL ? "i387_ext" : "int";
            reg(x, r, type, r >= FCTRL ? "float" : null);
        }
        x.append("</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n")
                .append("<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n")
                .append("<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n")
                .append("<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n")
                .append("<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n")
                .append("<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n")
                .append("<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n")
                .append("<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>")
                .append("<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>")
                .append("<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>")
                .append("<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/></union>\n");
        for (int r = XMM0; r < MXCSR; r++) {
            reg(x, r, "vec128", null);
        }
        reg(x, MXCSR, "int", "vector");
        x.append("</feature>\n<feature name=\"org.gnu.gdb.i386.segments\">\n");
        reg(x, FS_BASE, "int", null);
        reg(x, GS_BASE, "int", null);
        x.append("</feature>\n<feature name=\"org.hvsim.gdb.x86.sys\">\n");
        for (int r = CR0; r < COUNT; r++) {
            reg(x, r, "int64", "system");
        }
        x.append("</feature>\n</target>\n");
        return x.toString();
    }

    private static void reg(StringBuilder x, int r, String type, String group) {
        x.append("<reg name=\"").append(NAME[r]).append("\" bitsize=\"").append(SIZE[r] * 8).append("\" type=\"")
                .append(type).append("\" regnum=\"").append(r).append('"');
        if (group != null) {
            x.append(" group=\"").append(group).append('"');
        }
        x.append("/>\n");
    }
}
