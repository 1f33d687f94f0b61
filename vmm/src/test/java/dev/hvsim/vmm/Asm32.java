package dev.hvsim.vmm;

import java.io.ByteArrayOutputStream;

/**
 * Hand-assembled 32-bit protected-mode code for the nested-VMX tests: the VMX instructions with absolute memory
 * operands ([disp32]: ModRM mod 00, r/m 101) and register operands, and the few other instructions the tests need
 * (encodings from SDM Vol. 2; the bytes are in each method's comment).
 */
final class Asm32 {
    static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3;
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();
    private final long base;

    Asm32(long base) {
        this.base = base;
    }

    Asm32 bytes(int... v) {
        for (int x : v) {
            b.write(x);
        }
        return this;
    }

    private Asm32 imm32(long v) {
        return bytes((int) v & 0xff, (int) (v >>> 8) & 0xff, (int) (v >>> 16) & 0xff, (int) (v >>> 24) & 0xff);
    }

    /** The address the next byte goes to. */
    long here() { return base + b.size(); }

    /** Pads with HLT (F4) up to {@code address}. */
    Asm32 at(long address) {
        if (address < here()) {
            throw new IllegalStateException("code overlaps " + Long.toHexString(address));
        }
        while (here() < address) {
            b.write(0xf4);
        }
        return this;
    }

    /** B8+r id: MOV r32, imm32. */
    Asm32 mov(int r, long imm) { return bytes(0xb8 + r).imm32(imm); }
    /** A3: MOV [addr], EAX. */
    Asm32 storeEax(long addr) { return bytes(0xa3).imm32(addr); }
    /** 89 /r (ModRM 00 r 101): MOV [addr], r32. */
    Asm32 store(long addr, int r) { return bytes(0x89, r << 3 | 5).imm32(addr); }
    /** 8B /r: MOV r32, [addr]. */
    Asm32 load(int r, long addr) { return bytes(0x8b, r << 3 | 5).imm32(addr); }
    /** C7 /0: MOV dword [addr], imm32. */
    Asm32 storeImm(long addr, long imm) { return bytes(0xc7, 0x05).imm32(addr).imm32(imm); }
    /** 0D id: OR EAX, imm32. */
    Asm32 orEax(long imm) { return bytes(0x0d).imm32(imm); }
    /** 0F 20 /r: MOV EAX, CRn. */
    Asm32 movFromCr(int cr) { return bytes(0x0f, 0x20, 0xc0 | cr << 3); }
    /** 0F 22 /r: MOV CRn, EAX. */
    Asm32 movToCr(int cr) { return bytes(0x0f, 0x22, 0xc0 | cr << 3); }
    /** 0F 30: WRMSR. */
    Asm32 wrmsr() { return bytes(0x0f, 0x30); }
    /** 0F 32: RDMSR. */
    Asm32 rdmsr() { return bytes(0x0f, 0x32); }
    /** 0F A2: CPUID. */
    Asm32 cpuid() { return bytes(0x0f, 0xa2); }
    /** E6 80: OUT 80H, AL. */
    Asm32 out80() { return bytes(0xe6, 0x80); }
    /** MOV EAX, value; E7 F4: OUT F4H, EAX (the debug-exit device: ends the run with {@code value}). */
    Asm32 debugExit(long value) { return mov(EAX, value).bytes(0xe7, 0xf4); }
    /** F4: HLT. */
    Asm32 hlt() { return bytes(0xf4); }

    /** F3 0F C7 /6: VMXON [addr]. */
    Asm32 vmxon(long addr) { return bytes(0xf3, 0x0f, 0xc7, 0x35).imm32(addr); }
    /** 66 0F C7 /6: VMCLEAR [addr]. */
    Asm32 vmclear(long addr) { return bytes(0x66, 0x0f, 0xc7, 0x35).imm32(addr); }
    /** 0F C7 /6: VMPTRLD [addr]. */
    Asm32 vmptrld(long addr) { return bytes(0x0f, 0xc7, 0x35).imm32(addr); }
    /** 0F C7 /7: VMPTRST [addr]. */
    Asm32 vmptrst(long addr) { return bytes(0x0f, 0xc7, 0x3d).imm32(addr); }
    /** MOV ECX, field; 0F 78 C8: VMREAD EAX, ECX. */
    Asm32 vmread(long field) { return mov(ECX, field).bytes(0x0f, 0x78, 0xc8); }
    /** VMREAD of {@code field} stored at {@code addr}. */
    Asm32 vmreadTo(long field, long addr) { return vmread(field).storeEax(addr); }
    /** MOV ECX, field; MOV EAX, value; 0F 79 C8: VMWRITE ECX, EAX. */
    Asm32 vmwrite(long field, long value) { return mov(ECX, field).mov(EAX, value).bytes(0x0f, 0x79, 0xc8); }
    /** 0F 01 C2: VMLAUNCH. */
    Asm32 vmlaunch() { return bytes(0x0f, 0x01, 0xc2); }
    /** 0F 01 C3: VMRESUME. */
    Asm32 vmresume() { return bytes(0x0f, 0x01, 0xc3); }
    /** 0F 01 C4: VMXOFF. */
    Asm32 vmxoff() { return bytes(0x0f, 0x01, 0xc4); }
    /** 0F 01 C1: VMCALL. */
    Asm32 vmcall() { return bytes(0x0f, 0x01, 0xc1); }
    /** MOV ECX, type; 66 0F 38 80 /r: INVEPT ECX, [addr]. */
    Asm32 invept(long type, long addr) { return mov(ECX, type).bytes(0x66, 0x0f, 0x38, 0x80, 0x0d).imm32(addr); }
    /** MOV ECX, type; 66 0F 38 81 /r: INVVPID ECX, [addr]. */
    Asm32 invvpid(long type, long addr) { return mov(ECX, type).bytes(0x66, 0x0f, 0x38, 0x81, 0x0d).imm32(addr); }
    /** 0F 0B: UD2. */
    Asm32 ud2() { return bytes(0x0f, 0x0b); }
    /** ADD EAX, imm32 (05 id) after VMREAD of GUEST_RIP, then VMWRITE GUEST_RIP: skips {@code n} bytes of L2 code. */
    Asm32 addGuestRip(long n) { return vmread(0x681e).bytes(0x05).imm32(n).bytes(0x0f, 0x79, 0xc8); }
    /** 9C 58 25 id A3: PUSHFD; POP EAX; AND EAX, CF|PF|AF|ZF|SF|OF; MOV [addr], EAX. */
    Asm32 flagsTo(long addr) { return bytes(0x9c, 0x58, 0x25).imm32(0x8d5).storeEax(addr); }

    /**
     * GUEST_RIP += VM-exit instruction length: VMREAD 440CH into EAX, MOV EDX, EAX (89 C2), VMREAD 681EH, ADD EAX, EDX
     * (01 D0), VMWRITE ECX (681EH), EAX.
     */
    Asm32 skipGuestInstruction() {
        return vmread(0x440c).bytes(0x89, 0xc2).vmread(0x681e).bytes(0x01, 0xd0, 0x0f, 0x79, 0xc8);
    }

    byte[] toArray() { return b.toByteArray(); }
}
