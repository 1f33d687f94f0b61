package dev.hvsim.conformance.campaign;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.vmcs.msr.VmxMsr;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reproduction files: a {@link VmxCase} as a {@code hvsim check-vmcs} description and a {@link VmcbCase} as a
 * {@code hvsim check-vmcb} description (Jackson; the keys are those commands' input keys). The VMCS is written as
 * the base the case's guest mode starts from plus the fields that differ from it, so a shrunk case reads as the
 * handful of fields that matter.
 */
public final class Repro {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Repro() {}

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** The check-vmcs description of the case. */
    public static ObjectNode checkVmcs(VmxCase c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("profile", c.cpu().profile().name());
        if (!c.cpu().inForce()) {
            ObjectNode caps = n.putObject("capabilities");
            for (Map.Entry<VmxMsr, Long> e : c.cpu().msrs().entrySet()) {
                caps.put(e.getKey().name(), hex(e.getValue()));
            }
        }
        n.put("base", c.mode().base());
        n.put("instruction", "vmlaunch");
        ObjectNode f = n.putObject("vmcs");
        VmxShrinker.diff(c, VmxCase.ofBase(c.cpu(), c.mode())).forEach((k, v) -> f.put(k.name(), hex(v)));
        ArrayNode mem = n.putArray("memory");
        c.memory().forEach((a, q) -> {
            ObjectNode b = mem.addObject();
            b.put("address", hex(a));
            b.putArray("qwords").add(hex(q));
        });
        ObjectNode p = n.putObject("processor");
        p.put("CR0", hex(c.processorCr0()));
        p.put("CR4", hex(c.processorCr4()));
        p.put("EFER", hex(c.processorEfer()));
        return n;
    }

    /** The check-vmcb description of the case. */
    public static ObjectNode checkVmcb(VmcbCase c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("profile", c.profile().name());
        n.put("base", c.base());
        ObjectNode f = n.putObject("vmcb");
        c.diffFromBase().forEach((k, v) -> f.put(k, hex(v)));
        ArrayNode mem = n.putArray("memory");
        c.memory().forEach((a, q) -> {
            ObjectNode b = mem.addObject();
            b.put("address", hex(a));
            b.putArray("qwords").add(hex(q));
        });
        if (c.hostCr0() != VmcbCase.HOST_CR0) {
            n.putObject("processor").put("CR0", hex(c.hostCr0()));
        }
        return n;
    }

    public static String text(ObjectNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code n} to {@code dir/name}; returns the path. */
    public static Path write(Path dir, String name, ObjectNode n) {
        try {
            Files.createDirectories(dir);
            Path p = dir.resolve(name);
            JSON.writeValue(p.toFile(), n);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
