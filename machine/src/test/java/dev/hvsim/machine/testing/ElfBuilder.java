package dev.hvsim.machine.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds small ELF executables in memory for loader and end-to-end tests: the ELF header, then the
 * program headers, then each segment's bytes. Setters let a test break one field at a time.
 */
public final class ElfBuilder {
    private final boolean is64;
    private int machine;
    private int type = 2;
    private int dataEncoding = 1;
    private long entry;
    private Integer phentsize;
    private final List<long[]> headers = new ArrayList<>(); // type, vaddr, paddr, memsz
    private final List<byte[]> contents = new ArrayList<>();

    private ElfBuilder(boolean is64) {
        this.is64 = is64;
        this.machine = is64 ? 62 : 3;
    }

    /** An ELF32 EM_386 executable. */
    public static ElfBuilder elf32() {
        return new ElfBuilder(false);
    }

    /** An ELF64 EM_X86_64 executable. */
    public static ElfBuilder elf64() {
        return new ElfBuilder(true);
    }

    public ElfBuilder entry(long e) { entry = e; return this; }
    public ElfBuilder machine(int m) { machine = m; return this; }
    public ElfBuilder type(int t) { type = t; return this; }
    public ElfBuilder dataEncoding(int d) { dataEncoding = d; return this; }
    public ElfBuilder phentsize(int n) { phentsize = n; return this; }

    /** A PT_LOAD segment at physical = virtual address {@code addr}, its bytes, and p_memsz. */
    public ElfBuilder load(long addr, byte[] bytes, long memsz) {
        return segment(1, addr, addr, bytes, memsz);
    }

    /** A program header of any type with separate virtual and physical addresses. */
    public ElfBuilder segment(int ptype, long vaddr, long paddr, byte[] bytes, long memsz) {
        headers.add(new long[] {ptype, vaddr, paddr, memsz});
        contents.add(bytes.clone());
        return this;
    }

    public byte[] build() {
        int ehsize = is64 ? 64 : 52, phsize = is64 ? 56 : 32;
        int dataStart = ehsize + phsize * headers.size();
        int total = dataStart + contents.stream().mapToInt(b -> b.length).sum();
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (is64 ? 2 : 1), (byte) dataEncoding, 1, 0});
        b.position(16);
        b.putShort((short) type).putShort((short) machine).putInt(1);
        int phs = phentsize == null ? phsize : phentsize;
        if (is64) {
            b.putLong(entry).putLong(ehsize).putLong(0).putInt(0);
            b.putShort((short) ehsize).putShort((short) phs).putShort((short) headers.size());
        } else {
            b.putInt((int) entry).putInt(ehsize).putInt(0).putInt(0);
            b.putShort((short) ehsize).putShort((short) phs).putShort((short) headers.size());
        }
        long offset = dataStart;
        for (int i = 0; i < headers.size(); i++) {
            long[] h = headers.get(i);
            int len = contents.get(i).length;
            b.position(ehsize + i * phsize);
            if (is64) {
                b.putInt((int) h[0]).putInt(7).putLong(offset).putLong(h[1]).putLong(h[2]).putLong(len).putLong(h[3])
                        .putLong(0x1000);
            } else {
                b.putInt((int) h[0]).putInt((int) offset).putInt((int) h[1]).putInt((int) h[2]).putInt(len)
                        .putInt((int) h[3]).putInt(7).putInt(0x1000);
            }
            offset += len;
        }
        b.position(dataStart);
        contents.forEach(b::put);
        return b.array();
    }

    /** The first {@code n} bytes of {@code file} (a truncated copy). */
    public static byte[] truncate(byte[] file, int n) {
        return Arrays.copyOf(file, n);
    }
}
