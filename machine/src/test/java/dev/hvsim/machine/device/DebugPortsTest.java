package dev.hvsim.machine.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DebugPortsTest {

    @Test
    void debugConsoleWritesBytesAndReadsBackE9() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DebugConsole con = new DebugConsole(new ConsoleOutput(out));
        con.out(0, 1, 'h');
        con.out(0, 4, 0x4169); // wider OUT: low byte only
        assertThat(out.toString()).isEqualTo("hi");
        assertThat(con.in(0, 1)).isEqualTo(0xe9);
    }

    @Test
    void debugExitReportsTheWrittenValueForAnyWidthAndOffset() {
        List<Long> values = new ArrayList<>();
        DebugExit exit = new DebugExit(values::add);
        exit.out(0, 4, 0x10);
        exit.out(0, 1, 0x80);
        exit.out(2, 2, 0x1234);
        assertThat(values).containsExactly(0x10L, 0x80L, 0x1234L);
        assertThat(exit.in(0, 4)).isZero();
        assertThat(DebugExit.status(0)).isEqualTo(1);
        assertThat(DebugExit.status(0x10)).isEqualTo(0x21);
    }

    @Test
    void aBrokenStreamNeverStopsTheGuest() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("pipe closed");
            }
        };
        ConsoleOutput con = new ConsoleOutput(broken);
        con.put('a');
        con.put('b');
        con.flush();
        assertThat(con.error()).hasMessage("pipe closed");
        assertThat(con.bytesWritten()).isZero();
    }
}
