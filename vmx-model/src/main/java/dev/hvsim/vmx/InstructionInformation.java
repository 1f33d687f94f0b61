package dev.hvsim.vmx;

/**
 * Codec of the VM-exit instruction-information field (SDM Vol. 3C 29.2.5; Tables "... as Used for INS and OUTS",
 * "... for INVEPT, INVPCID, and INVVPID", "... for VMCLEAR, VMPTRLD, VMPTRST, VMXON" and "... for VMREAD and
 * VMWRITE"), the decoding counterpart of the model's encoder: scaling 1:0, reg1 6:3, address size 9:7 (0 16-bit,
 * 1 32-bit, 2 64-bit), register/memory 10 (1 = register), segment 17:15, index 21:18 and index invalid 22, base
 * 26:23 and base invalid 27, reg2 31:28. Which fields are defined depends on the exit reason.
 */
public record InstructionInformation(int raw) {
    public int scaling() { return raw & 3; }
    public int reg1() { return raw >>> 3 & 0xf; }
    /** Address size in bytes: 2, 4 or 8. */
    public int addressSize() { return 2 << (raw >>> 7 & 7); }
    public boolean register() { return (raw >>> 10 & 1) != 0; }
    /** Segment register (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS). */
    public int segment() { return raw >>> 15 & 7; }
    public int index() { return raw >>> 18 & 0xf; }
    public boolean indexValid() { return (raw >>> 22 & 1) == 0; }
    public int base() { return raw >>> 23 & 0xf; }
    public boolean baseValid() { return (raw >>> 27 & 1) == 0; }
    public int reg2() { return raw >>> 28 & 0xf; }
}
