package dev.hvsim.conformance.nativediff;

/** Small hex formatting helpers for reports. */
final class Hex {
    private Hex() {
    }

    /** {@code 0x} and 16 hex digits. */
    static String u64(long v) {
        return String.format("0x%016x", v);
    }

    /** Space-separated lower-case hex bytes. */
    static String bytes(byte[] b) {
        return bytes(b, 0, b.length);
    }

    /** Space-separated lower-case hex of {@code b[from..to)}. */
    static String bytes(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append(i == from ? "" : " ").append(String.format("%02x", b[i] & 0xff));
        }
        return sb.toString();
    }
}
