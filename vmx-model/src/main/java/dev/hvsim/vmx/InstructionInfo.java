package dev.hvsim.vmx;

import dev.hvsim.x86core.decode.DecodedInsn;

/**
 * The VM-exit instruction-information field for the VMX instructions (SDM Vol. 3C 29.2.5 / 27.2.4 in 2016,
 * Tables "Format of the VM-Exit Instruction-Information Field as Used for VMCLEAR, VMPTRLD, VMPTRST, VMXON, XRSTORS,
 * and XSAVES" and "... for VMREAD and VMWRITE"): scaling 1:0, reg1 6:3 (VMREAD/VMWRITE register operand), address
 * size 9:7 (0 16-bit, 1 32-bit, 2 64-bit), bit 10 register/memory (1 = register, VMREAD/VMWRITE only), segment
 * 17:15, index 21:18 and index invalid 22, base 26:23 and base invalid 27, reg2 31:28 (VMREAD/VMWRITE).
 */
final class InstructionInfo {
    private InstructionInfo() {}

    static int of(DecodedInsn d, boolean readWrite) {
        int info = 0;
        if (readWrite) {
            info |= (d.reg & 0xf) << 28;
            if (!d.memOp) {
                return info | (d.rm & 0xf) << 3 | 1 << 10 | addrSize(d) << 7;
            }
        }
        info |= d.scale & 3;
        info |= addrSize(d) << 7;
        info |= (d.seg & 7) << 15;
        info |= d.index < 0 ? 1 << 22 : (d.index & 0xf) << 18;
        info |= d.base < 0 || d.base == DecodedInsn.BASE_RIP ? 1 << 27 : (d.base & 0xf) << 23;
        return info;
    }

    /**
     * 29.2.5, "Format of the VM-Exit Instruction-Information Field as Used for LIDT, LGDT, SIDT, or SGDT" and "... for
     * LLDT, LTR, SLDT, and STR": the memory-operand bits of {@link #of} (scaling, address size, segment, index, base),
     * instruction identity in bits 29:28 (0 SGDT/SLDT, 1 SIDT/STR, 2 LGDT/LLDT, 3 LIDT/LTR: the ModRM.reg of the
     * 0F 01 /0-/3 and 0F 00 /0-/3 forms); for GDTR/IDTR the operand size in bit 11 (0 16-bit, 1 32-bit; undefined in
     * 64-bit mode, written 1); for LDTR/TR a register operand sets bit 10 and names the register in bits 6:3.
     */
    static int descriptorTable(DecodedInsn d, boolean gdtrIdtr) {
        int info = (d.reg & 3) << 28;
        if (!d.memOp) {
            return info | (d.rm & 0xf) << 3 | 1 << 10 | addrSize(d) << 7;
        }
        info |= of(d, false);
        return gdtrIdtr && d.opSize != 2 ? info | 1 << 11 : info;
    }

    /**
     * 29.2.5, "Format of the VM-Exit Instruction-Information Field as Used for RDRAND, RDSEED, TPAUSE, and UMWAIT":
     * the destination register in bits 6:3 and the operand size in bits 12:11 (0 16-bit, 1 32-bit, 2 64-bit); the
     * other bits are undefined and written 0.
     */
    static int rdrandRdseed(DecodedInsn d) {
        int size = d.opSize == 2 ? 0 : d.opSize == 4 ? 1 : 2;
        return (d.rm & 0xf) << 3 | size << 11;
    }

    private static int addrSize(DecodedInsn d) {
        return d.addrSize == 2 ? 0 : d.addrSize == 4 ? 1 : 2;
    }
}
