package dev.hvsim.benchmarks;

/**
 * A hand-assembled 32-bit integer loop, loaded flat at {@link #LOAD_ADDRESS} (so it starts in 32-bit
 * protected mode), that exits with v = 0 through the debug-exit port. It uses only instruction forms
 * the core has had from the start (MOV, ADD, XOR, SUB, Jcc, OUT), so it measures the interpreter's
 * fetch/decode-cache/dispatch path on a simple integer loop.
 *
 * <pre>
 * 00: b9 nn nn nn nn   mov ecx, n
 * 05: 01 c8            add eax, ecx      ; loop:
 * 07: 31 c3            xor ebx, eax
 * 09: 83 e9 01         sub ecx, 1
 * 0c: 75 f7            jnz loop
 * 0e: b8 00 00 00 00   mov eax, 0
 * 13: e7 f4            out 0xf4, eax     ; exit, v = 0
 * </pre>
 */
public final class ComputeLoop {
    /** Where the image goes (and where it starts). */
    public static final long LOAD_ADDRESS = 0x100000;

    private ComputeLoop() {}

    /** The image for {@code iterations} (1 .. 2^31-1) trips round the loop. */
    public static byte[] image(int iterations) {
        if (iterations <= 0) {
            throw new IllegalArgumentException("iterations must be positive, not " + iterations);
        }
        int n = iterations;
        return new byte[] {
            (byte) 0xb9, (byte) n, (byte) (n >>> 8), (byte) (n >>> 16), (byte) (n >>> 24),
            0x01, (byte) 0xc8,
            0x31, (byte) 0xc3,
            (byte) 0x83, (byte) 0xe9, 0x01,
            0x75, (byte) 0xf7,
            (byte) 0xb8, 0, 0, 0, 0,
            (byte) 0xe7, (byte) 0xf4,
        };
    }

    /** Instructions the image retires for {@code iterations}: the MOV, four per trip, MOV and OUT. */
    public static long instructions(int iterations) {
        return 1 + 4L * iterations + 2;
    }
}
