package dev.hvsim.machine.load;

import dev.hvsim.machine.bus.MemoryBus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a little-endian x86 ELF executable (ELF32 with EM_386 or ELF64 with EM_X86_64, type ET_EXEC)
 * the way QEMU's multiboot loader does: every PT_LOAD segment is copied to its physical address
 * ({@code p_paddr}), {@code p_filesz} bytes from the file followed by zeroes up to {@code p_memsz};
 * other program headers are ignored. The entry point is {@code e_entry}, translated from the
 * segment's virtual to its physical address when it lies in a PT_LOAD segment whose addresses differ
 * (paging is off at entry). The whole file is checked before any byte of RAM is written.
 *
 * <p>Reference: System V ABI, "ELF header" and "Program header" (gABI, ch. 4 and 5).
 */
public final class ElfLoader {
    static final int PT_LOAD = 1, ET_EXEC = 2, EM_386 = 3, EM_X86_64 = 62;
    private static final int CLASS32 = 1, CLASS64 = 2;

    private ElfLoader() {}

    /** True when {@code file} starts with the ELF magic {@code 0x7f 'E' 'L' 'F'}. */
    public static boolean isElf(byte[] file) {
        return file.length >= 4 && file[0] == 0x7f && file[1] == 'E' && file[2] == 'L' && file[3] == 'F';
    }

    /**
     * Checks {@code file} and loads its segments into RAM.
     *
     * @throws LoadException naming the first problem: not an ELF file, wrong class, data encoding,
     *                       machine or type, a truncated file, a segment outside RAM, an entry point
     *                       outside RAM or above 4 GiB
     */
    public static LoadedImage load(byte[] file, MemoryBus bus) throws LoadException {
        Header h = parseHeader(file);
        List<Phdr> loads = parseLoadSegments(file, h, bus.ram().size());
        long entry = physicalEntry(h.entry, loads);
        if (entry > 0xffffffffL || entry < 0 || entry >= bus.ram().size()) {
            throw new LoadException(String.format("ELF entry point 0x%x is %s", h.entry,
                    entry >= 0 && entry <= 0xffffffffL ? "outside RAM (" + describeSize(bus.ram().size()) + ")"
                            : "above 4 GiB (ELF guests start in 32-bit protected mode)"));
        }
        List<LoadedImage.Segment> written = new ArrayList<>();
        for (Phdr p : loads) {
            bus.load(p.paddr, file, (int) p.offset, (int) p.filesz);
            bus.zero(p.paddr + p.filesz, p.memsz - p.filesz);
            written.add(new LoadedImage.Segment(p.paddr, p.filesz, p.memsz));
        }
        return new LoadedImage(h.is64 ? "elf64" : "elf32", entry, StartMode.PROTECTED_32, written);
    }

    /** The fields of the ELF header this loader uses. */
    private record Header(boolean is64, long entry, long phoff, int phentsize, int phnum) {}

    /** One PT_LOAD program header (index counts all program headers from 0). */
    private record Phdr(int index, long offset, long vaddr, long paddr, long filesz, long memsz) {}

    private static Header parseHeader(byte[] file) throws LoadException {
        if (!isElf(file)) {
            throw new LoadException("not an ELF file (no \\x7fELF magic at offset 0)");
        }
        requireLength(file, 16, "ELF identification");
        int cls = file[4];
        if (cls != CLASS32 && cls != CLASS64) {
            throw new LoadException("unsupported ELF class " + cls + " (expected 1 = ELF32 or 2 = ELF64)");
        }
        if (file[5] != 1) {
            throw new LoadException("unsupported ELF data encoding " + file[5]
                    + " (x86 ELF files are little-endian, encoding 1)");
        }
        boolean is64 = cls == CLASS64;
        requireLength(file, is64 ? 64 : 52, "ELF header");
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int type = b.getShort(16) & 0xffff;
        int machine = b.getShort(18) & 0xffff;
        int expected = is64 ? EM_X86_64 : EM_386;
        if (machine != expected) {
            throw new LoadException(String.format("ELF machine %d is not supported: an ELF%d guest must be %s (%d)",
                    machine, is64 ? 64 : 32, is64 ? "EM_X86_64" : "EM_386", expected));
        }
        if (type != ET_EXEC) {
            throw new LoadException("ELF type " + type + " is not an executable (ET_EXEC = 2)");
        }
        long entry = is64 ? b.getLong(24) : b.getInt(24) & 0xffffffffL;
        long phoff = is64 ? b.getLong(32) : b.getInt(28) & 0xffffffffL;
        int phentsize = b.getShort(is64 ? 54 : 42) & 0xffff;
        int phnum = b.getShort(is64 ? 56 : 44) & 0xffff;
        return new Header(is64, entry, phoff, phentsize, phnum);
    }

    private static List<Phdr> parseLoadSegments(byte[] file, Header h, long ramSize) throws LoadException {
        int minSize = h.is64 ? 56 : 32;
        if (h.phnum == 0) {
            throw new LoadException("ELF file has no program headers");
        }
        if (h.phentsize < minSize) {
            throw new LoadException("ELF program header size " + h.phentsize + " is too small (need " + minSize + ")");
        }
        long tableBytes = (long) h.phnum * h.phentsize;
        if (Long.compareUnsigned(h.phoff, file.length) > 0 || tableBytes > file.length - h.phoff) {
            throw new LoadException(String.format("truncated ELF file: program headers at 0x%x (%d bytes) end past "
                    + "the end of the file (%d bytes)", h.phoff, tableBytes, file.length));
        }
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<Phdr> loads = new ArrayList<>();
        for (int i = 0; i < h.phnum; i++) {
            int at = (int) (h.phoff + (long) i * h.phentsize);
            if (b.getInt(at) != PT_LOAD) {
                continue;
            }
            Phdr p = h.is64 ? phdr64(b, at, i) : phdr32(b, at, i);
            if (p.memsz != 0) {
                checkSegment(p, file.length, ramSize);
                loads.add(p);
            }
        }
        if (loads.isEmpty()) {
            throw new LoadException("ELF file has no loadable (PT_LOAD) segment");
        }
        return loads;
    }

    private static Phdr phdr32(ByteBuffer b, int at, int index) {
        return new Phdr(index, u32(b, at + 4), u32(b, at + 8), u32(b, at + 12), u32(b, at + 16), u32(b, at + 20));
    }

    private static Phdr phdr64(ByteBuffer b, int at, int index) {
        return new Phdr(index, b.getLong(at + 8), b.getLong(at + 16), b.getLong(at + 24), b.getLong(at + 32),
                b.getLong(at + 40));
    }

    private static void checkSegment(Phdr p, int fileLength, long ramSize) throws LoadException {
        if (Long.compareUnsigned(p.filesz, p.memsz) > 0) {
            throw new LoadException(String.format("ELF segment %d has p_filesz 0x%x larger than p_memsz 0x%x",
                    p.index, p.filesz, p.memsz));
        }
        if (Long.compareUnsigned(p.offset, fileLength) > 0 || Long.compareUnsigned(p.filesz, fileLength - p.offset) > 0) {
            throw new LoadException(String.format("truncated ELF file: segment %d needs bytes [0x%x, +0x%x) but the "
                    + "file has %d bytes", p.index, p.offset, p.filesz, fileLength));
        }
        if (p.paddr < 0 || p.memsz < 0 || p.paddr > ramSize || p.memsz > ramSize - p.paddr) {
            throw new LoadException(String.format("ELF segment %d [0x%x, +0x%x) is outside RAM (%s)",
                    p.index, p.paddr, p.memsz, describeSize(ramSize)));
        }
    }

    /** e_entry as a physical address: translated when it lies in a segment whose p_vaddr differs from p_paddr. */
    private static long physicalEntry(long entry, List<Phdr> loads) {
        for (Phdr p : loads) {
            if (Long.compareUnsigned(entry - p.vaddr, p.memsz) < 0) {
                return p.paddr + (entry - p.vaddr);
            }
        }
        return entry;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & 0xffffffffL;
    }

    private static void requireLength(byte[] file, int need, String what) throws LoadException {
        if (file.length < need) {
            throw new LoadException("truncated ELF file: the " + what + " needs " + need + " bytes, the file has "
                    + file.length);
        }
    }

    /** "64 MiB" for whole MiB, else a byte count. */
    static String describeSize(long bytes) {
        return (bytes & 0xfffff) == 0 ? (bytes >>> 20) + " MiB" : bytes + " bytes";
    }
}
