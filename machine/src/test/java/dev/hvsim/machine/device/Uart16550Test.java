package dev.hvsim.machine.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Uart16550Test {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Uart16550 uart = new Uart16550(new ConsoleOutput(out));

    private String sent() {
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void resetValues() {
        assertThat(uart.in(1, 1)).as("IER").isZero();
        assertThat(uart.in(2, 1)).as("IIR: no interrupt pending").isEqualTo(0x01);
        assertThat(uart.in(3, 1)).as("LCR").isZero();
        assertThat(uart.in(4, 1)).as("MCR").isZero();
        assertThat(uart.in(5, 1)).as("LSR: THRE | TEMT").isEqualTo(0x60);
        assertThat(uart.in(6, 1)).as("MSR: DCD | DSR | CTS").isEqualTo(0xb0);
        assertThat(uart.in(7, 1)).as("SCR").isZero();
        assertThat(uart.divisor()).isEqualTo(12);
    }

    @Test
    void transmittedBytesReachTheConsoleAndTheLineStaysIdle() {
        for (char c : "ok\n".toCharArray()) {
            assertThat(uart.in(5, 1) & 0x20).isEqualTo(0x20);
            uart.out(0, 1, c);
        }
        assertThat(sent()).isEqualTo("ok\n");
        assertThat(uart.in(5, 1)).isEqualTo(0x60);
    }

    @Test
    void dlabSwitchesOffsetsZeroAndOneToTheDivisor() {
        uart.out(3, 1, 0x83);             // DLAB, 8N1
        uart.out(0, 1, 0x01);             // DLL
        uart.out(1, 1, 0x00);             // DLM: 115200 baud
        assertThat(uart.divisor()).isEqualTo(1);
        assertThat(uart.in(0, 1)).isEqualTo(1);
        uart.out(3, 1, 0x03);
        assertThat(uart.in(3, 1)).isEqualTo(0x03);
        assertThat(uart.in(1, 1)).as("IER untouched by DLM write").isZero();
        assertThat(sent()).isEmpty();
    }

    @Test
    void scratchAndModemControlAreReadWrite() {
        uart.out(7, 1, 0x5a);
        uart.out(4, 1, 0xff);
        assertThat(uart.in(7, 1)).isEqualTo(0x5a);
        assertThat(uart.in(4, 1)).isEqualTo(0x1f);
    }

    @Test
    void fifoEnableShowsInIir() {
        uart.out(2, 1, 0xc7);
        assertThat(uart.in(2, 1)).isEqualTo(0xc1);
    }

    @Test
    void loopbackReceivesWhatIsSentAndMirrorsModemLines() {
        uart.out(4, 1, 0x10 | 0x0a);      // LOOP | OUT2 | RTS
        uart.out(0, 1, 'x');
        assertThat(sent()).isEmpty();
        assertThat(uart.in(5, 1) & 1).as("DR").isEqualTo(1);
        assertThat(uart.in(6, 1)).as("MSR: DCD from OUT2, CTS from RTS").isEqualTo(0x90);
        assertThat(uart.in(0, 1)).isEqualTo('x');
        assertThat(uart.in(5, 1) & 1).isZero();
    }

    @Test
    void thrEmptyInterruptIsReportedInIirWhenEnabled() {
        uart.out(1, 1, 0x02);
        assertThat(uart.in(2, 1)).isEqualTo(0x02);
        assertThat(uart.in(2, 1)).as("reading IIR clears THRE").isEqualTo(0x01);
        uart.out(0, 1, 'a');
        assertThat(uart.in(2, 1)).isEqualTo(0x02);
    }

    @Test
    void readOnlyRegistersIgnoreWrites() {
        uart.out(5, 1, 0);
        uart.out(6, 1, 0);
        assertThat(uart.in(5, 1)).isEqualTo(0x60);
        assertThat(uart.in(6, 1)).isEqualTo(0xb0);
    }
}
