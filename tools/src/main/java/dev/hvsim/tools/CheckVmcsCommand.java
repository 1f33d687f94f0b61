package dev.hvsim.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.vmcs.msr.VmxMsr;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.VmcsBases;
import dev.hvsim.vmx.VmcsChecker;
import dev.hvsim.vmx.Violation;
import dev.hvsim.x86core.CpuProfile;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hvsim check-vmcs FILE.json [--json] [--all]}: the VM-entry outcome of a VMCS description and the rule(s)
 * that decide it (issue 4 item 6); {@code --print-base NAME} prints a valid base in the same JSON form. The
 * checking itself is vmx-model's {@link VmcsChecker}; this class reads the description and prints the report.
 */
@Command(name = "check-vmcs", sortOptions = false, mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Report the VM-entry outcome of a VMCS description and the named rule(s) that decide it.",
            "Input: {\"profile\": \"intel-core\", \"capabilities\": {\"IA32_VMX_...\": \"0x...\"}, \"base\": \"long-mode-guest\", \"instruction\": \"vmlaunch\", "
                + "\"vmcs\": {\"GUEST_RFLAGS\": \"0x2\", \"0x4000\": {\"set\": \"0x1\"}}, "
                + "\"memory\": [{\"address\": \"0x5000\", \"qwords\": [\"0x...\"]}], "
                + "\"processor\": {\"CR0\": \"0x...\", \"CR4\": \"0x...\", \"EFER\": \"0x...\"}}"})
final class CheckVmcsCommand extends CheckCommand<EntryOutcome> {
    private static final Set<String> TOP_LEVEL = Set.of("profile", "capabilities", "base", "instruction", "vmcs", "memory",
            "processor");
    @Option(names = "--all", description = "List every violated rule, not only those VM entry stops at.")
    boolean all;

    @Option(names = "--print-base", paramLabel = "NAME",
            description = "Print the base NAME (long-mode-guest, protected-mode-guest, real-mode-guest) as a description and exit.")
    String printBase;

    CheckVmcsCommand(Terminal term) {
        super(term, "check-vmcs", TOP_LEVEL);
    }

    @Override
    String printBase() {
        return printBase;
    }

    @Override
    EntryOutcome evaluate(JsonNode root) throws BadInputException {
        CpuProfile profile = in.profile(root, "intel-core");
        String insn = in.text(root, "instruction", "vmlaunch");
        if (!insn.equals("vmlaunch") && !insn.equals("vmresume")) {
            throw new BadInputException(in.where("unknown instruction '" + insn + "' (vmlaunch or vmresume)"));
        }
        Map<VmcsField, Long> vmcs = new LinkedHashMap<>();
        if (root.has("base")) {
            try {
                vmcs.putAll(VmcsBases.base(in.text(root, "base", "")));
            } catch (IllegalArgumentException e) {
                throw new BadInputException(in.where(e.getMessage()));
            }
        }
        applyFields(root.path("vmcs"), vmcs);
        Map<Long, Long> memory = in.memory(root.path("memory"));
        JsonNode p = root.path("processor");
        processorRegisters(p, List.of("CR0", "CR4", "EFER"));
        long cr0 = p.has("CR0") ? in.number(p.get("CR0"), "processor CR0") : VmcsChecker.DEFAULT_CR0;
        long cr4 = p.has("CR4") ? in.number(p.get("CR4"), "processor CR4") : VmcsChecker.DEFAULT_CR4;
        long efer = p.has("EFER") ? in.number(p.get("EFER"), "processor EFER") : VmcsChecker.DEFAULT_EFER;
        try {
            return VmcsChecker.check(profile, capabilities(root.path("capabilities"), profile), vmcs, memory, cr0, cr4,
                    efer);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new BadInputException(in.where(e.getMessage()));
        }
    }

    /**
     * The capability set: the profile's, with the MSRs of "capabilities" ({"IA32_VMX_PROCBASED_CTLS2": "0x..."})
     * replacing its values (the conformance suite's richer sets).
     */
    private VmxCapabilities capabilities(JsonNode caps, CpuProfile profile) throws BadInputException {
        VmxCapabilities base = VmxCapabilities.forProfile(profile);
        if (caps.isMissingNode()) {
            return base;
        }
        if (!caps.isObject()) {
            throw new BadInputException(in.where("\"capabilities\" must be an object of MSR name: value"));
        }
        Map<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
        for (VmxMsr msr : VmxMsr.values()) {
            base.raw(msr).ifPresent(v -> m.put(msr, v));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = caps.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            VmxMsr msr;
            try {
                msr = VmxMsr.valueOf(e.getKey());
            } catch (IllegalArgumentException ex) {
                throw new BadInputException(in.where("unknown capability MSR '" + e.getKey() + "' (IA32_VMX_BASIC, "
                        + "IA32_VMX_PROCBASED_CTLS2, ...)"));
            }
            m.put(msr, in.number(e.getValue(), e.getKey()));
        }
        return VmxCapabilities.of(m);
    }

    private void applyFields(JsonNode fields, Map<VmcsField, Long> vmcs) throws BadInputException {
        if (fields.isMissingNode()) {
            return;
        }
        if (!fields.isObject()) {
            throw new BadInputException(in.where("\"vmcs\" must be an object of field: value"));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            VmcsField f;
            try {
                f = VmcsFields.get().lookup(e.getKey());
            } catch (IllegalArgumentException ex) {
                throw new BadInputException(in.where("unknown VMCS field '" + e.getKey() + "' (" + ex.getMessage() + ")"));
            }
            VmcsField full = f.high() ? VmcsFields.get().find(f.encoding().full().value()).orElseThrow() : f;
            long mask = f.valueMask();
            long cur = vmcs.getOrDefault(full, 0L);
            long part = f.high() ? cur >>> 32 : cur;
            long v = in.value(e.getValue(), part, f.name(), x -> checkWidth(f, x, mask));
            vmcs.put(full, f.high() ? (cur & 0xffffffffL) | v << 32 : v);
        }
    }

    private void checkWidth(VmcsField f, long v, long mask) throws BadInputException {
        if ((v & ~mask) != 0) {
            throw new BadInputException(in.where(String.format("value %#x does not fit %s (%d bits)", v, f.name(),
                    Long.bitCount(mask))));
        }
    }

    // ------------------------------------------------------------------ output

    static String outcomeName(EntryOutcome o) {
        switch (o.kind()) {
            case ENTERED: return "entered";
            case VMFAIL_INVALID: return "vmfail-invalid";
            case VMFAIL_VALID: return "vmfail-valid";
            default: return "entry-failure";
        }
    }

    private List<Violation> reported(EntryOutcome o) {
        return all ? o.all() : o.violations();
    }

    @Override
    String text(EntryOutcome o) {
        StringBuilder b = new StringBuilder("outcome: ").append(outcomeName(o));
        if (o instanceof EntryOutcome.VmFailValid) {
            int e = ((EntryOutcome.VmFailValid) o).error();
            b.append(" (VM-instruction error ").append(e).append(e == 7 ? ": VM entry with invalid control field(s)"
                    : e == 8 ? ": VM entry with invalid host-state field(s)" : "").append(')');
        } else if (o instanceof EntryOutcome.EntryFailureExit) {
            EntryOutcome.EntryFailureExit f = (EntryOutcome.EntryFailureExit) o;
            b.append(String.format(" (VM exit with exit reason %d%s, exit qualification %d)", f.reason(),
                    f.reason() == 33 ? " \"invalid guest state\"" : f.reason() == 34 ? " \"MSR loading\"" : "",
                    f.qualification()));
        }
        for (Violation v : reported(o)) {
            b.append(String.format("%n%s (SDM Vol. 3C %s), fields: %s%n  %s", v.id(), v.section(),
                    String.join(", ", v.fields()), v.message()));
        }
        return b.toString();
    }

    @Override
    String json(EntryOutcome o) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode n = mapper.createObjectNode();
        n.put("outcome", outcomeName(o));
        if (o instanceof EntryOutcome.VmFailValid) {
            n.put("vm_instruction_error", ((EntryOutcome.VmFailValid) o).error());
        } else {
            n.putNull("vm_instruction_error");
        }
        if (o instanceof EntryOutcome.EntryFailureExit) {
            n.put("exit_reason", ((EntryOutcome.EntryFailureExit) o).reason());
            n.put("exit_qualification", ((EntryOutcome.EntryFailureExit) o).qualification());
        } else {
            n.putNull("exit_reason");
            n.putNull("exit_qualification");
        }
        ArrayNode vs = n.putArray("violations");
        for (Violation v : reported(o)) {
            addViolation(vs, v.id(), v.section(), v.fields(), v.message());
        }
        return write(mapper, n);
    }

    @Override
    String baseJson(String name) throws BadInputException {
        Map<VmcsField, Long> base;
        try {
            base = VmcsBases.base(name);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode n = mapper.createObjectNode();
        n.put("profile", "intel-core");
        n.put("instruction", "vmlaunch");
        ObjectNode f = n.putObject("vmcs");
        List<Map.Entry<VmcsField, Long>> entries = new ArrayList<>(base.entrySet());
        for (Map.Entry<VmcsField, Long> e : entries) {
            f.put(e.getKey().name(), String.format("%#x", e.getValue()));
        }
        return write(mapper, n);
    }
}
