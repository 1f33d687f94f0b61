package dev.hvsim.machine.testing;

import java.util.HexFormat;

/** Hand-assembled guest programs (bytes plus a disassembly comment) for machine-level tests. */
public final class GuestCode {
    private GuestCode() {}

    /**
     * 32-bit code: writes "hi" to the debug console and exits with {@code v} through port 0xf4.
     * <pre>
     * b0 68           mov al, 'h'
     * e6 e9           out 0xe9, al
     * b0 69           mov al, 'i'
     * e6 e9           out 0xe9, al
     * b8 vv vv vv vv  mov eax, v
     * e7 f4           out 0xf4, eax
     * f4              hlt            ; not reached
     * </pre>
     */
    public static byte[] hiThenExit32(int v) {
        return hex("b068 e6e9 b069 e6e9 b8" + le32(v) + " e7f4 f4");
    }

    /**
     * 16-bit real-mode code: "hi" on the debug console, then exit with v (16-bit OUT).
     * <pre>
     * b0 68      mov al, 'h'
     * e6 e9      out 0xe9, al
     * b0 69      mov al, 'i'
     * e6 e9      out 0xe9, al
     * b8 vv vv   mov ax, v
     * e7 f4      out 0xf4, ax
     * f4         hlt
     * </pre>
     */
    public static byte[] hiThenExit16(int v) {
        return hex("b068 e6e9 b069 e6e9 b8" + le32(v).substring(0, 4) + " e7f4 f4");
    }

    /** {@code f4  hlt} (with IF = 0 at entry: halted for good). */
    public static byte[] hlt() {
        return hex("f4");
    }

    /** {@code eb fe  jmp $} : loops forever. */
    public static byte[] spin() {
        return hex("ebfe");
    }

    /** {@code 0f 0b  ud2} : #UD with an empty IDT, hence #GP, #DF and a triple fault. */
    public static byte[] ud2() {
        return hex("0f0b");
    }

    /** Parses hex with optional spaces. */
    public static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static String le32(int v) {
        return String.format("%02x%02x%02x%02x", v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    }
}
