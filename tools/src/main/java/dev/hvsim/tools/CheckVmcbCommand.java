package dev.hvsim.tools;

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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
final class CheckVmcbCommand extends CheckCommand<VmrunOutcome> {
    private static final Set<String> TOP_LEVEL = Set.of("profile", "base", "vmcb", "memory", "processor");
    @Option(names = "--all", description = "List every violated rule, not only the first (the one hardware reports).")
    boolean all;

    @Option(names = "--print-base", paramLabel = "NAME",
            description = "Print the base NAME (long-mode-guest, protected-mode-guest) as a description and exit.")
    String printBase;

    CheckVmcbCommand(Terminal term) {
        super(term, "check-vmcb", TOP_LEVEL);
    }

    @Override
    String printBase() {
        return printBase;
    }

    @Override
    VmrunOutcome evaluate(JsonNode root) throws BadInputException {
        CpuProfile profile = in.profile(root, "amd-zen");
        byte[] vmcb;
        try {
            vmcb = root.has("base") ? VmcbChecker.image(VmcbBases.base(in.text(root, "base", "")))
                    : new byte[4096];
        } catch (IllegalArgumentException e) {
            throw new BadInputException(in.where(e.getMessage()));
        }
        applyFields(root.path("vmcb"), vmcb);
        Map<Long, Long> memory = in.memory(root.path("memory"));
        JsonNode p = root.path("processor");
        processorRegisters(p, List.of("CR0"));
        try {
            return p.has("CR0") ? VmcbChecker.check(profile, vmcb, memory, in.number(p.get("CR0"), "processor CR0"))
                    : VmcbChecker.check(profile, vmcb, memory);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new BadInputException(in.where(e.getMessage()));
        }
    }

    private void applyFields(JsonNode fields, byte[] vmcb) throws BadInputException {
        if (fields.isMissingNode()) {
            return;
        }
        if (!fields.isObject()) {
            throw new BadInputException(in.where("\"vmcb\" must be an object of field: value"));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            VmcbChecker.Slot s;
            try {
                s = VmcbChecker.Slot.of(name);
            } catch (IllegalArgumentException ex) {
                throw new BadInputException(in.where(ex.getMessage()));
            }
            long v = in.value(e.getValue(), VmcbChecker.get(vmcb, s), name, x -> checkWidth(name, s, x));
            VmcbChecker.put(vmcb, s, v);
        }
    }

    private void checkWidth(String name, VmcbChecker.Slot s, long v) throws BadInputException {
        if ((v & ~s.mask()) != 0) {
            throw new BadInputException(in.where(String.format("value %#x does not fit %s (%d bytes)", v, name, s.size())));
        }
    }

    // ------------------------------------------------------------------ output

    static String outcomeName(VmrunOutcome o) {
        return o.kind() == VmrunOutcome.Kind.ENTERED ? "entered" : "vmexit-invalid";
    }

    private List<VmrunViolation> reported(VmrunOutcome o) {
        return reported(o.violations(), all);
    }

    @Override
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

    @Override
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
            addViolation(vs, v.id(), v.section(), v.fields(), v.message());
        }
        return write(mapper, n);
    }

    @Override
    String baseJson(String name) throws BadInputException {
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
        return write(mapper, n);
    }
}
