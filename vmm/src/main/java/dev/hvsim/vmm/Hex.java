package dev.hvsim.vmm;

/** "0x..." hex strings of exit traces (lower case, no padding). */
final class Hex {
    private Hex() {}

    static String of(long v) {
        return "0x" + Long.toHexString(v);
    }
}
