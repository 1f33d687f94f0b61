package dev.hvsim.tools.gdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GDB remote serial protocol framing over one byte stream: {@code $payload#cc} packets with a modulo-256
 * checksum, {@code +}/{@code -} acknowledgements (until no-ack mode), binary escapes ({@code }} x ^ 0x20) and
 * the out-of-band interrupt byte 0x03. Reads run on one thread, writes may come from another (the stop reply
 * of a run), so {@link #send} is synchronised. A malformed or over-long packet never throws to the caller:
 * it is refused with {@code -} (bad checksum) or answered by the session with an error.
 */
final class RspConnection {
    /** Largest packet accepted (the stub advertises {@link #PACKET_SIZE}); longer ones are read and dropped. */
    static final int MAX_PACKET = 1 << 20;
    static final int PACKET_SIZE = 0x4000;

    /** What {@link #read} returns for the interrupt byte. */
    static final byte[] INTERRUPT = new byte[0];
    /** What {@link #read} returns for a packet longer than {@link #MAX_PACKET}. */
    static final byte[] TOO_LONG = new byte[0];

    private final InputStream in;
    private final OutputStream out;
    private volatile boolean noAck;
    private byte[] lastSent;

    RspConnection(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    void setNoAck(boolean v) {
        noAck = v;
    }

    /**
     * The next packet's payload (escapes removed), {@link #INTERRUPT} for 0x03, {@link #TOO_LONG}, or null at
     * the end of the stream. Acks are consumed here; a {@code -} makes the last packet be sent again.
     */
    byte[] read() throws IOException {
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            if (c == 0x03) {
                return INTERRUPT;
            }
            if (c == '-' && !noAck) {
                resend();
                continue;
            }
            if (c != '$') {
                continue; // '+', noise between packets
            }
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            int sum = 0;
            boolean escaped = false, tooLong = false;
            while (true) {
                c = in.read();
                if (c < 0) {
                    return null;
                }
                if (c == '#' && !escaped) {
                    break;
                }
                sum += c;
                if (p.size() >= MAX_PACKET) {
                    tooLong = true;
                    continue;
                }
                if (escaped) {
                    p.write(c ^ 0x20);
                    escaped = false;
                } else if (c == '}') {
                    escaped = true;
                } else {
                    p.write(c);
                }
            }
            int h = in.read(), l = in.read();
            if (h < 0 || l < 0) {
                return null;
            }
            int given = hex(h) << 4 | hex(l);
            if (!noAck) {
                if (hex(h) < 0 || hex(l) < 0 || given != (sum & 0xff)) {
                    ackByte('-');
                    continue;
                }
                ackByte('+');
            }
            return tooLong ? TOO_LONG : p.toByteArray();
        }
    }

    private synchronized void ackByte(int c) throws IOException {
        out.write(c);
        out.flush();
    }

    private synchronized void resend() throws IOException {
        if (lastSent != null) {
            out.write(lastSent);
            out.flush();
        }
    }

    /** Sends a text packet (run-length encoding is never used; '$', '#', '}' and '*' are escaped). */
    void send(String payload) throws IOException {
        send(payload.getBytes(StandardCharsets.ISO_8859_1));
    }

    synchronized void send(byte[] payload) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(payload.length + 8);
        b.write('$');
        int sum = 0;
        for (byte x : payload) {
            int c = x & 0xff;
            if (c == '$' || c == '#' || c == '}' || c == '*') {
                b.write('}');
                sum += '}';
                c ^= 0x20;
            }
            b.write(c);
            sum += c;
        }
        b.write('#');
        b.write(HEX[(sum >> 4) & 15]);
        b.write(HEX[sum & 15]);
        lastSent = b.toByteArray();
        out.write(lastSent);
        out.flush();
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

    static int hex(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    static String toHex(byte[] b) {
        StringBuilder s = new StringBuilder(b.length * 2);
        for (byte x : b) {
            s.append((char) HEX[(x >> 4) & 15]).append((char) HEX[x & 15]);
        }
        return s.toString();
    }

    /** Hex digits to bytes; null if malformed. */
    static byte[] fromHex(String s) {
        if ((s.length() & 1) != 0) {
            return null;
        }
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int h = hex(s.charAt(2 * i)), l = hex(s.charAt(2 * i + 1));
            if (h < 0 || l < 0) {
                return null;
            }
            b[i] = (byte) (h << 4 | l);
        }
        return b;
    }
}
