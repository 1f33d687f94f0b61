package dev.hvsim.tools.gdb;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Looks up a symbol's value in an ELF32 or ELF64 file (tests find guest addresses without hard-coding them). */
final class ElfSymbols {
    private ElfSymbols() {}

    static long address(byte[] elf, String name) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        boolean is64 = elf[4] == 2;
        long shoff = is64 ? b.getLong(0x28) : b.getInt(0x20) & 0xffffffffL;
        int shentsize = b.getShort(is64 ? 0x3a : 0x2e) & 0xffff;
        int shnum = b.getShort(is64 ? 0x3c : 0x30) & 0xffff;
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            if (b.getInt(sh + 4) != 2) { // SHT_SYMTAB
                continue;
            }
            int link = b.getInt(sh + (is64 ? 0x28 : 0x18));
            long off = is64 ? b.getLong(sh + 0x18) : b.getInt(sh + 0x10) & 0xffffffffL;
            long size = is64 ? b.getLong(sh + 0x20) : b.getInt(sh + 0x14) & 0xffffffffL;
            long entsize = is64 ? b.getLong(sh + 0x38) : b.getInt(sh + 0x24) & 0xffffffffL;
            int str = (int) (shoff + (long) link * shentsize);
            long stroff = is64 ? b.getLong(str + 0x18) : b.getInt(str + 0x10) & 0xffffffffL;
            for (long s = off; s < off + size; s += entsize) {
                int nameOff = b.getInt((int) s);
                long value = is64 ? b.getLong((int) s + 8) : b.getInt((int) s + 4) & 0xffffffffL;
                int p = (int) (stroff + nameOff), e = p;
                while (elf[e] != 0) {
                    e++;
                }
                if (new String(elf, p, e - p, StandardCharsets.US_ASCII).equals(name)) {
                    return value;
                }
            }
        }
        throw new IllegalArgumentException("no symbol " + name);
    }
}
