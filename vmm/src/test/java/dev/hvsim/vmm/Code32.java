package dev.hvsim.vmm;

import java.io.ByteArrayOutputStream;

/** Hand-assembled 32-bit protected-mode guest code (bytes with their disassembly in the method names). */
final class Code32 {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();
    private final boolean intel;

    Code32(boolean intel) {
        this.intel = intel;
    }

    Code32 bytes(int... v) {
        for (int x : v) {
            b.write(x);
        }
        return this;
    }

    private Code32 imm32(long v) {
        return bytes((int) v & 0xff, (int) (v >>> 8) & 0xff, (int) (v >>> 16) & 0xff, (int) (v >>> 24) & 0xff);
    }

    /** B8+r id: MOV r32, imm32 (r: 0 EAX, 1 ECX, 2 EDX, 3 EBX, 6 ESI, 7 EDI). */
    Code32 mov(int r, long imm) { return bytes(0xb8 + r).imm32(imm); }
    /** A3 moffs32: MOV [addr], EAX. */
    Code32 storeEax(long addr) { return bytes(0xa3).imm32(addr); }
    /** A1 moffs32: MOV EAX, [addr]. */
    Code32 loadEax(long addr) { return bytes(0xa1).imm32(addr); }
    /** 0F A2: CPUID. */
    Code32 cpuid() { return bytes(0x0f, 0xa2); }
    /** 0F 01 C1 VMCALL (Intel) or 0F 01 D9 VMMCALL (AMD). */
    Code32 hypercall() { return bytes(0x0f, 0x01, intel ? 0xc1 : 0xd9); }
    /** F4: HLT. */
    Code32 hlt() { return bytes(0xf4); }

    int size() { return b.size(); }

    byte[] toArray() { return b.toByteArray(); }
}
