package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code hvsim gdb} as a command: options, the connect line, bad input. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GdbCommandTest {

    @Test
    void printsTheGdbCommandAndEndsWithTheGuestsStatus(@TempDir Path dir) throws Exception {
        Path guest = dir.resolve("modes.elf");
        Files.write(guest, Guests.bytes("modes"));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> Main.run(
                new String[] {"gdb", "--port", "0", guest.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        Matcher m = null;
        for (int i = 0; i < 200 && (m == null || !m.find()); i++) {
            Thread.sleep(50);
            m = Pattern.compile("connect with: gdb -ex 'set architecture i386:x86-64' -ex 'target remote 127\\.0\\.0\\.1:(\\d+)'")
                    .matcher(err.toString(StandardCharsets.UTF_8));
        }
        int port = Integer.parseInt(m.group(1));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(20_000);
            OutputStream o = s.getOutputStream();
            InputStream in = s.getInputStream();
            o.write("+$QStartNoAckMode#b0".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            assertThat(in.read()).isEqualTo('+');
            assertThat(new String(in.readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("$OK#9a");
            o.write("$c#63".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            String rest = new String(in.readAllBytes(), StandardCharsets.US_ASCII); // up to the stub closing
            assertThat(rest).endsWith("$W01#b8");
        }
        assertThat(status.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("DONE checks=");
        assertThat(err.toString(StandardCharsets.UTF_8).lines().count()).isEqualTo(1);
    }

    @Test
    void badInput(@TempDir Path dir) throws IOException {
        Path guest = dir.resolve("g.elf");
        Files.write(guest, Guests.bytes("hello"));
        Cli c = Cli.run("gdb", "--port", "70000", guest.toString());
        assertThat(c.status).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(c.oneErrorLine()).as(c.toString()).isTrue();
        c = Cli.run("gdb", "--port", "0", dir.resolve("missing.elf").toString());
        assertThat(c.status).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(c.oneErrorLine()).as(c.toString()).isTrue();
        c = Cli.run("gdb", "--port", "0", "--virt", "svm", "--vendor", "intel", guest.toString());
        assertThat(c.status).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(c.err).contains("--virt svm needs an amd CPU");
        c = Cli.run("gdb", "--port", "0", "--virt", "frob", guest.toString());
        assertThat(c.status).isEqualTo(ExitStatus.BAD_INPUT);
        c = Cli.run("gdb", "--port", "0", "--snapshot-interval", "-5", guest.toString());
        assertThat(c.status).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(c.oneErrorLine()).as(c.toString()).isTrue();
        assertThat(c.err).contains("--snapshot-interval");
        c = Cli.run("gdb", "--port", "0", "--snapshot-limit", "0", guest.toString());
        assertThat(c.status).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(c.oneErrorLine()).as(c.toString()).isTrue();
        assertThat(c.err).contains("--snapshot-limit");
        c = Cli.run("gdb", "--port", "0", "--virt", "vmx", "--nested", "maybe", guest.toString());
        assertThat(c.status).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(c.oneErrorLine()).as(c.toString()).isTrue();
        assertThat(c.err).contains("--nested must be on or off, not maybe");
        c = Cli.run("gdb", "--port", "0", "--nested", "on", guest.toString());
        assertThat(c.status).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(c.err).contains("--nested needs --virt vmx");
        c = Cli.run("gdb", "--port", "0", "--virt", "svm", "--nested", "off", guest.toString());
        assertThat(c.status).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(c.err).contains("nested SVM cannot be switched off");
        c = Cli.run("gdb", "--help");
        assertThat(c.status).isEqualTo(0);
        assertThat(c.out).contains("--port", "--smp", "--append", "--initrd", "--entry", "--load", "--virt",
                "--snapshot-interval", "--snapshot-limit", "--nested");
    }
}
