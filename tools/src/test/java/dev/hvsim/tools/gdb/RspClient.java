package dev.hvsim.tools.gdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A minimal GDB remote-protocol client for tests: checksums, acks, no-ack mode, bounded reads. */
final class RspClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    boolean noAck;

    RspClient(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(20_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Frames {@code payload} (escaping '$', '#', '}' and '*') with its checksum. */
    static byte[] frame(byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
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
        b.writeBytes(String.format("#%02x", sum & 0xff).getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sends a packet; in ack mode expects '+'. */
    void send(String payload) throws IOException {
        send(payload.getBytes(StandardCharsets.ISO_8859_1));
    }

    void send(byte[] payload) throws IOException {
        sendRaw(frame(payload));
        if (!noAck) {
            int a = in.read();
            if (a != '+') {
                throw new IOException("expected '+', got " + a);
            }
        }
    }

    /** Reads one byte (an ack). */
    int readByte() throws IOException {
        return in.read();
    }

    /** Reads a reply packet, checks its checksum, acks it (in ack mode); returns the unescaped payload. */
    String reply() throws IOException {
        int c;
        while ((c = in.read()) != '$') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
        }
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        int sum = 0;
        boolean esc = false;
        while ((c = in.read()) != '#' || esc) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            sum += c;
            if (esc) {
                p.write(c ^ 0x20);
                esc = false;
            } else if (c == '}') {
                esc = true;
            } else {
                p.write(c);
            }
        }
        int cs = Integer.parseInt("" + (char) in.read() + (char) in.read(), 16);
        if (cs != (sum & 0xff)) {
            throw new IOException("bad checksum in reply");
        }
        if (!noAck) {
            sendRaw(new byte[] {'+'});
        }
        return p.toString(StandardCharsets.ISO_8859_1);
    }

    /** Sends and returns the reply, skipping console output ('O' packets) when asked. */
    String ask(String payload) throws IOException {
        send(payload);
        return reply();
    }

    /** Resumes and returns the stop reply (console 'O' packets are skipped). */
    String resume(String payload) throws IOException {
        send(payload);
        String r;
        do {
            r = reply();
        } while (r.startsWith("O") && !r.equals("OK"));
        return r;
    }

    /** True if nothing arrives within {@code millis}. */
    boolean silentFor(int millis) throws IOException {
        int old = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            in.read();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } finally {
            socket.setSoTimeout(old);
        }
    }

    static String hex(String text) {
        StringBuilder b = new StringBuilder();
        for (byte x : text.getBytes(StandardCharsets.UTF_8)) {
            b.append(String.format("%02x", x & 0xff));
        }
        return b.toString();
    }

    static String unhex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
