package dev.hvsim.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hvsim.svm.VmcbBases;
import dev.hvsim.svm.VmcbChecker;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.svm.VmrunViolation;
import dev.hvsim.x86core.CpuProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hvsim check-vmcb FILE.json [--json] [--all]}: the VMRUN outcome of a VMCB description and the rule(s) that
 * decide it (issue 6 item 7), the AMD counterpart of {@link CheckVmcsCommand}; {@code --print-base NAME} prints a
 * valid base. The checking is svm-model's {@link VmcbChecker}.
 */
@Command(name = "check-vmcb", sortOptions = false, mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Report the VMRUN outcome of a VMCB description and the named rule(s) that decide it.",
            "Input: {\"profile\": \"amd-zen\", \"base\": \"long-mode-guest\", "
                + "\"vmcb\": {\"save.EFER\": \"0x1500\", \"0x058:4\": \"0x1\", \"save.CR0\": {\"set\": \"0x20000000\"}}, "
                + "\"memory\": [{\"address\": \"0x5000\", \"qwords\": [\"0x...\"]}]}"})
final class CheckVmcbCommand implements Callable<Integer> {
    private static final Set<String> TOP_LEVEL = Set.of("profile", "base", "vmcb", "memory");
    private final Terminal term;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE.json", description = "The VMCB description.")
    Path file;

    @Option(names = "--json", description = "Print the outcome as one JSON object.")
    boolean json;

    @Option(names = "--all", description = "List every violated rule, not only the first (the one hardware reports).")
    boolean all;

    @Option(names = "--print-base", paramLabel = "NAME",
            description = "Print the base NAME (long-mode-guest, protected-mode-guest) as a description and exit.")
    String printBase;

    CheckVmcbCommand(Terminal term) {
        this.term = term;
    }

    @Override
    public Integer call() throws BadInputException {
        if (printBase != null) {
            term.out().println(baseJson(printBase));
            return ExitStatus.HALTED;
        }
        if (file == null) {
            throw new BadInputException("check-vmcb needs FILE.json (or --print-base NAME)");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new BadInputException("cannot read " + file + ": " + e.getMessage());
        }
        VmrunOutcome o = evaluate(root);
        term.out().println(json ? json(o) : text(o));
        return ExitStatus.HALTED;
    }

    private String where(String what) {
        return file + ": " + what;
    }

    private VmrunOutcome evaluate(JsonNode root) throws BadInputException {
        if (root == null || !root.isObject()) {
            throw new BadInputException(where("the description must be a JSON object"));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!TOP_LEVEL.contains(k)) {
                throw new BadInputException(where("unknown key '" + k + "' (known: " + String.join(", ",
                        new java.util.TreeSet<>(TOP_LEVEL)) + ")"));
            }
        }
        CpuProfile profile;
        try {
            profile = CpuProfile.load(text(root, "profile", "amd-zen"));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(where(e.getMessage()));
        }
        byte[] vmcb;
        try {
            vmcb = root.has("base") ? VmcbChecker.image(VmcbBases.base(text(root, "base", "")))
                    : new byte[4096];
        } catch (IllegalArgumentException e) {
            throw new BadInputException(where(e.getMessage()));
        }
        applyFields(root.path("vmcb"), vmcb);
        Map<Long, Long> memory = memory(root.path("memory"));
        try {
            return VmcbChecker.check(profile, vmcb, memory);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new BadInputException(where(e.getMessage()));
        }
    }

    private String text(JsonNode root, String key, String dflt) throws BadInputException {
        JsonNode n = root.get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw new BadInputException(where("\"" + key + "\" must be a string"));
        }
        return n.asText();
    }

    /** A number, a hex string ("0x..."), or a decimal string; 64 bits unsigned. */
    private long number(JsonNode n, String what) throws BadInputException {
        if (n != null && n.isIntegralNumber() && n.canConvertToLong()) {
            return n.asLong();
        }
        if (n != null && n.isTextual()) {
            String s = n.asText().trim().replace("_", "");
            try {
                if (s.startsWith("0x") || s.startsWith("0X")) {
                    return Long.parseUnsignedLong(s.substring(2), 16);
                }
                return Long.parseUnsignedLong(s);
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new BadInputException(where("malformed value " + n + " for " + what
                + " (a number, a \"0x...\" string, or {\"set\": ..., \"clear\": ...})"));
    }

    private void applyFields(JsonNode fields, byte[] vmcb) throws BadInputException {
        if (fields.isMissingNode()) {
            return;
        }
        if (!fields.isObject()) {
            throw new BadInputException(where("\"vmcb\" must be an object of field: value"));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            VmcbChecker.Slot s;
            try {
                s = VmcbChecker.Slot.of(name);
            } catch (IllegalArgumentException ex) {
                throw new BadInputException(where(ex.getMessage()));
            }
            JsonNode n = e.getValue();
            long v;
            if (n.isObject()) {
                for (Iterator<String> k = n.fieldNames(); k.hasNext();) {
                    String key = k.next();
                    if (!key.equals("set") && !key.equals("clear")) {
                        throw new BadInputException(where(name + ": unknown key '" + key + "' (set, clear)"));
                    }
                }
                long set = n.has("set") ? number(n.get("set"), name) : 0;
                long clear = n.has("clear") ? number(n.get("clear"), name) : 0;
                checkWidth(name, s, set | clear);
                v = (VmcbChecker.get(vmcb, s) | set) & ~clear;
            } else {
                v = number(n, name);
                checkWidth(name, s, v);
            }
            VmcbChecker.put(vmcb, s, v);
        }
    }

    private void checkWidth(String name, VmcbChecker.Slot s, long v) throws BadInputException {
        if ((v & ~s.mask()) != 0) {
            throw new BadInputException(where(String.format("value %#x does not fit %s (%d bytes)", v, name, s.size())));
        }
    }

    private Map<Long, Long> memory(JsonNode mem) throws BadInputException {
        Map<Long, Long> m = new HashMap<>();
        if (mem.isMissingNode()) {
            return m;
        }
        if (!mem.isArray()) {
            throw new BadInputException(where("\"memory\" must be an array of {\"address\", \"qwords\"}"));
        }
        for (JsonNode block : mem) {
            if (!block.isObject() || !block.has("address") || !block.path("qwords").isArray()) {
                throw new BadInputException(where("each \"memory\" entry needs \"address\" and a \"qwords\" array"));
            }
            long a = number(block.get("address"), "memory address");
            if ((a & 7) != 0) {
                throw new BadInputException(where(String.format("memory address %#x is not 8-byte aligned", a)));
            }
            for (JsonNode q : block.get("qwords")) {
                m.put(a, number(q, "memory qword"));
                a += 8;
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ output

    static String outcomeName(VmrunOutcome o) {
        return o.kind() == VmrunOutcome.Kind.ENTERED ? "entered" : "vmexit-invalid";
    }

    private List<VmrunViolation> reported(VmrunOutcome o) {
        return all || o.violations().isEmpty() ? o.violations() : o.violations().subList(0, 1);
    }

    String text(VmrunOutcome o) {
        StringBuilder b = new StringBuilder("outcome: ").append(outcomeName(o));
        if (o.kind() != VmrunOutcome.Kind.ENTERED) {
            b.append(" (#VMEXIT with EXITCODE VMEXIT_INVALID, -1)");
        }
        for (VmrunViolation v : reported(o)) {
            b.append(String.format("%n%s (APM Vol. 2 %s), fields: %s%n  %s", v.id(), v.section(),
                    String.join(", ", v.fields()), v.message()));
        }
        return b.toString();
    }

    String json(VmrunOutcome o) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode n = mapper.createObjectNode();
        n.put("outcome", outcomeName(o));
        if (o.kind() == VmrunOutcome.Kind.ENTERED) {
            n.putNull("exit_code");
        } else {
            n.put("exit_code", -1);
        }
        ArrayNode vs = n.putArray("violations");
        for (VmrunViolation v : reported(o)) {
            ObjectNode e = vs.addObject();
            e.put("rule", v.id());
            e.put("section", v.section());
            ArrayNode fs = e.putArray("fields");
            v.fields().forEach(fs::add);
            e.put("message", v.message());
        }
        try {
            return mapper.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String baseJson(String name) throws BadInputException {
        Map<String, Long> base;
        try {
            base = VmcbBases.base(name);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode n = mapper.createObjectNode();
        n.put("profile", "amd-zen");
        ObjectNode f = n.putObject("vmcb");
        base.forEach((k, v) -> f.put(k, String.format("%#x", v)));
        try {
            return mapper.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
