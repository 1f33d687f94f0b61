package dev.hvsim.machine.load;

import dev.hvsim.machine.bus.MemoryBus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Multiboot v1 loading, compatible with QEMU's {@code -kernel} (Multiboot Specification 0.6.96).
 *
 * <ul>
 *   <li>Header (3.1.1, 3.1.2): the first 32-bit aligned magic 0x1BADB002 in the first 8192 bytes of the
 *       file, with {@code magic + flags + checksum == 0}. Flags bit 0 (page-align modules) is honoured
 *       (modules are always page aligned), bit 1 (memory information) is always provided, bit 2 (video
 *       mode) is ignored, other bits in 15:0 are refused (3.1.2: "the boot loader must fail"). With bit 16
 *       the address fields (3.1.3) say where to load: {@code load_end_addr} 0 loads to the end of the file,
 *       {@code bss_end_addr} 0 means no BSS. Without bit 16 the file must be an ELF (32 or 64-bit) and its
 *       PT_LOAD program headers are loaded at their physical addresses with BSS zeroed ({@link ElfLoader}).</li>
 *   <li>Modules (3.3 "mods"): each placed at the next page boundary after the kernel image and the
 *       modules before it; its string is the module's command line.</li>
 *   <li>Information structure (3.3): placed at the page boundary after the last module (never in page 0,
 *       never inside the kernel or a module), followed by the module list, the strings and the memory map.
 *       Flags: 0 (mem_lower/mem_upper), 2 (cmdline), 3 (mods, with mods_count possibly 0), 6 (mmap).
 *       mem_lower = 640 KiB; mem_upper = KiB of RAM from 1 MiB up to the first hole (at most 0xFEC00000,
 *       where the IOAPIC and local APIC pages are); the command line is "KERNEL-NAME ARGS" like QEMU's;
 *       the memory map (3.3, "mmap") has the entries available 0..0x9FC00, reserved 0x9FC00..0xA0000,
 *       reserved 0xF0000..0x100000, available 1 MiB..min(RAM, 0xFEC00000), reserved 0xFEC00000..4 GiB (the
 *       IOAPIC and local APIC pages; the firmware reports this hole in its e820 map, as SeaBIOS does under
 *       QEMU), and available 4 GiB..RAM when RAM extends beyond 4 GiB. The structures are below 4 GiB.</li>
 * </ul>
 */
public final class Multiboot {
    public static final int HEADER_MAGIC = 0x1BADB002;
    public static final int SEARCH_BYTES = 8192;
    public static final int INFO_MEMORY = 1, INFO_CMDLINE = 1 << 2, INFO_MODS = 1 << 3, INFO_MMAP = 1 << 6;
    /** Size of the information structure up to and including the VBE fields (3.3). */
    static final int INFO_SIZE = 88;
    static final long HOLE = 0xfec00000L;

    private Multiboot() {}

    /** A module: its bytes and its command line (the file name and arguments, as QEMU's -initrd). */
    public record Module(byte[] data, String cmdline) {}

    /** The parsed header. */
    public record Header(int offset, int flags, long headerAddr, long loadAddr, long loadEndAddr, long bssEndAddr,
            long entryAddr) {
        public boolean addressFields() {
            return (flags & 0x10000) != 0;
        }
    }

    /** What was loaded: the kernel image, where the information structure is, and the module ranges. */
    public record Loaded(LoadedImage image, long infoAddress, List<LoadedImage.Segment> modules) {}

    /** The multiboot header of {@code file}, or null when it has none (a bad checksum is no header). */
    public static Header findHeader(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int end = Math.min(file.length, SEARCH_BYTES) - 12;
        for (int off = 0; off <= end; off += 4) {
            if (b.getInt(off) == HEADER_MAGIC && b.getInt(off) + b.getInt(off + 4) + b.getInt(off + 8) == 0) {
                int flags = b.getInt(off + 4);
                if ((flags & 0x10000) != 0 && off + 32 <= file.length) {
                    return new Header(off, flags, u32(b, off + 12), u32(b, off + 16), u32(b, off + 20),
                            u32(b, off + 24), u32(b, off + 28));
                }
                return new Header(off, flags, 0, 0, 0, 0, 0);
            }
        }
        return null;
    }

    /**
     * Loads {@code kernel} with {@code modules} and builds the information structure.
     *
     * @param name the kernel's name, the first word of the command line (QEMU uses the -kernel path)
     * @param args the rest of the command line (QEMU's -append), may be empty
     */
    public static Loaded load(byte[] kernel, String name, String args, List<Module> modules, MemoryBus bus)
            throws LoadException {
        Header h = findHeader(kernel);
        if (h == null) {
            throw new LoadException("not a multiboot kernel: no multiboot header (magic 0x1BADB002 with a valid"
                    + " checksum) in the first 8192 bytes");
        }
        if ((h.flags() & 0xfff8) != 0) {
            throw new LoadException(String.format("multiboot header requests unsupported features (flags 0x%x)",
                    h.flags()));
        }
        long ram = bus.ram().size();
        LoadedImage image = h.addressFields() ? loadAout(kernel, h, bus) : loadElf(kernel, bus);
        long end = 0;
        for (LoadedImage.Segment s : image.segments()) {
            end = Math.max(end, s.address() + s.memSize());
        }
        long at = pageUp(Math.max(end, 0x1000));
        List<LoadedImage.Segment> placed = new ArrayList<>();
        for (Module m : modules) {
            checkFits(at, m.data().length, ram, "module '" + m.cmdline() + "'");
            bus.load(at, m.data(), 0, m.data().length);
            placed.add(new LoadedImage.Segment(at, m.data().length, m.data().length));
            at = pageUp(at + m.data().length);
        }
        long info = at;
        byte[] infoBytes = buildInfo(info, (name + (args.isEmpty() ? "" : " " + args)), modules, placed, ram);
        checkFits(info, infoBytes.length, ram, "multiboot information");
        bus.load(info, infoBytes, 0, infoBytes.length);
        return new Loaded(image, info, placed);
    }

    private static LoadedImage loadElf(byte[] kernel, MemoryBus bus) throws LoadException {
        if (!ElfLoader.isElf(kernel)) {
            throw new LoadException("multiboot header without address fields (flags bit 16) and not an ELF file");
        }
        LoadedImage img = ElfLoader.load(kernel, bus);
        return new LoadedImage("multiboot-" + img.format(), img.entry(), img.mode(), img.segments());
    }

    /** The a.out kludge (3.1.3): the file from header_addr's offset, loaded at load_addr. */
    private static LoadedImage loadAout(byte[] kernel, Header h, MemoryBus bus) throws LoadException {
        long fileStart = h.offset() - (h.headerAddr() - h.loadAddr());
        if (h.headerAddr() < h.loadAddr() || fileStart < 0) {
            throw new LoadException("multiboot header: header_addr is below load_addr or before the file start");
        }
        long loadEnd = h.loadEndAddr() == 0 ? h.loadAddr() + (kernel.length - fileStart) : h.loadEndAddr();
        long size = loadEnd - h.loadAddr();
        if (size < 0 || fileStart + size > kernel.length) {
            throw new LoadException("multiboot header: load_end_addr is beyond the end of the file");
        }
        long bssEnd = h.bssEndAddr() == 0 ? loadEnd : h.bssEndAddr();
        if (bssEnd < loadEnd) {
            throw new LoadException("multiboot header: bss_end_addr is below load_end_addr");
        }
        checkFits(h.loadAddr(), bssEnd - h.loadAddr(), bus.ram().size(), "multiboot kernel image");
        if (h.entryAddr() < h.loadAddr() || h.entryAddr() >= bssEnd) {
            throw new LoadException(String.format("multiboot entry_addr 0x%x is outside the image", h.entryAddr()));
        }
        bus.load(h.loadAddr(), kernel, (int) fileStart, (int) size);
        bus.zero(loadEnd, bssEnd - loadEnd);
        return new LoadedImage("multiboot", h.entryAddr(), StartMode.PROTECTED_32,
                List.of(new LoadedImage.Segment(h.loadAddr(), size, bssEnd - h.loadAddr())));
    }

    private static void checkFits(long at, long length, long ram, String what) throws LoadException {
        if (at + length > Math.min(ram, HOLE)) {
            throw new LoadException(String.format("%s (%d bytes at 0x%x) does not fit in RAM below 0x%x", what,
                    length, at, Math.min(ram, HOLE)));
        }
    }

    private static long pageUp(long a) {
        return (a + 0xfff) & ~0xfffL;
    }

    private static byte[] buildInfo(long base, String cmdline, List<Module> modules, List<LoadedImage.Segment> placed,
            long ram) {
        List<long[]> mmap = memoryMap(ram);
        byte[] cmd = (cmdline + "\0").getBytes(StandardCharsets.ISO_8859_1);
        int modsAt = INFO_SIZE, stringsAt = modsAt + 16 * modules.size();
        int len = stringsAt + cmd.length;
        for (Module m : modules) {
            len += m.cmdline().getBytes(StandardCharsets.ISO_8859_1).length + 1;
        }
        int mmapAt = (len + 3) & ~3;
        len = mmapAt + 24 * mmap.size();
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, INFO_MEMORY | INFO_CMDLINE | INFO_MODS | INFO_MMAP);
        b.putInt(4, 640);
        b.putInt(8, (int) ((Math.min(ram, HOLE) - 0x100000) >>> 10));
        b.putInt(16, (int) (base + stringsAt));
        b.put(stringsAt, cmd);
        int s = stringsAt + cmd.length;
        b.putInt(20, modules.size());
        b.putInt(24, (int) (base + modsAt));
        for (int i = 0; i < modules.size(); i++) {
            byte[] str = (modules.get(i).cmdline() + "\0").getBytes(StandardCharsets.ISO_8859_1);
            LoadedImage.Segment seg = placed.get(i);
            int e = modsAt + 16 * i;
            b.putInt(e, (int) seg.address());
            b.putInt(e + 4, (int) (seg.address() + seg.fileSize()));
            b.putInt(e + 8, (int) (base + s));
            b.put(s, str);
            s += str.length;
        }
        b.putInt(44, 24 * mmap.size());
        b.putInt(48, (int) (base + mmapAt));
        for (int i = 0; i < mmap.size(); i++) {
            int e = mmapAt + 24 * i;
            b.putInt(e, 20); // size of the entry without this field
            b.putLong(e + 4, mmap.get(i)[0]);
            b.putLong(e + 12, mmap.get(i)[1]);
            b.putInt(e + 20, (int) mmap.get(i)[2]);
        }
        return b.array();
    }

    /** {base, length, type}: 1 available, 2 reserved. */
    static List<long[]> memoryMap(long ram) {
        List<long[]> m = new ArrayList<>();
        m.add(new long[] {0, 0x9fc00, 1});
        m.add(new long[] {0x9fc00, 0x400, 2});
        m.add(new long[] {0xf0000, 0x10000, 2});
        m.add(new long[] {0x100000, Math.min(ram, HOLE) - 0x100000, 1});
        m.add(new long[] {HOLE, 0x1_0000_0000L - HOLE, 2}); // IOAPIC 0xFEC00000, local APIC 0xFEE00000
        if (ram > 0x1_0000_0000L) {
            m.add(new long[] {0x1_0000_0000L, ram - 0x1_0000_0000L, 1});
        }
        return m;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & 0xffffffffL;
    }
}
