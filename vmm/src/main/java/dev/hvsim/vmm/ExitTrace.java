package dev.hvsim.vmm;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The exit trace (issue 7 item 3): one JSON object per exit per line, written with Jackson's streaming generator:
 * {@code {"seq": n, "vcpu": 0, "cycle": c, "vendor": "intel|amd", "kind": "...", "raw": {...}, "rip": "0x...",
 * "handled": "..."}}. {@code raw} holds the vendor record: VMX {@code reason}, {@code entry_failure},
 * {@code qualification}, {@code instruction_length}, {@code instruction_info}, {@code interruption_info},
 * {@code idt_vectoring} (and {@code guest_physical} for EPT exits); SVM {@code exitcode}, {@code exitinfo1},
 * {@code exitinfo2}, {@code exitintinfo}, {@code nrip}. Every value comes from the modelled run, so the same guest
 * gives the same trace byte for byte.
 */
final class ExitTrace {
    private final JsonGenerator g;

    ExitTrace(OutputStream out) {
        try {
            g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8);
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.setPrettyPrinter(new MinimalPrettyPrinter("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void write(long seq, Vcpu v, long cycle, Handled h) {
        GuestExit x = v.exit;
        try {
            g.writeStartObject();
            g.writeNumberField("seq", seq);
            g.writeNumberField("vcpu", v.index);
            g.writeNumberField("cycle", cycle);
            g.writeStringField("vendor", v.vendor());
            g.writeStringField("kind", x.kind.traceName());
            g.writeObjectFieldStart("raw");
            v.writeRaw(g);
            g.writeEndObject();
            g.writeStringField("rip", Hex.of(x.rip));
            g.writeStringField("handled", h.traceName());
            if (x.level != 1) {
                g.writeNumberField("level", x.level); // nested virtualization: an exit of L2
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void flush() {
        try {
            g.writeRaw('\n');
            g.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
