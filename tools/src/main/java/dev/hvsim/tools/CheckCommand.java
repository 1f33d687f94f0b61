package dev.hvsim.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What {@code check-vmcs} and {@code check-vmcb} share: read a control-structure description (FILE.json, strictly:
 * unknown keys are errors), evaluate it, print the outcome as text or one JSON object; or print a valid base with
 * {@code --print-base NAME}. The subclass gives the checker, the report and the bases.
 *
 * @param <O> the checker's outcome
 */
abstract class CheckCommand<O> implements Callable<Integer> {
    private final Terminal term;
    private final String name;
    private final Set<String> topLevel;
    /** The description being read (its path and position for error messages). */
    DescriptionReader in;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE.json",
            description = "The description (the form above; --print-base shows a complete one).")
    Path file;

    @Option(names = "--json", description = "Print the outcome as one JSON object.")
    boolean json;

    CheckCommand(Terminal term, String name, Set<String> topLevel) {
        this.term = term;
        this.name = name;
        this.topLevel = topLevel;
    }

    /** The base --print-base names, or null. */
    abstract String printBase();

    /** A valid base as a description. */
    abstract String baseJson(String base) throws BadInputException;

    abstract O evaluate(JsonNode root) throws BadInputException;

    abstract String text(O outcome);

    abstract String json(O outcome);

    @Override
    public final Integer call() throws BadInputException {
        if (printBase() != null) {
            term.out().println(baseJson(printBase()));
            return ExitStatus.HALTED;
        }
        if (file == null) {
            throw new BadInputException(name + " needs FILE.json (or --print-base NAME)");
        }
        in = new DescriptionReader(file);
        JsonNode root = in.read(topLevel);
        O o = evaluate(root);
        term.out().println(json ? json(o) : text(o));
        return ExitStatus.HALTED;
    }

    /** Rejects a key of the "processor" object other than {@code allowed}. */
    void processorRegisters(JsonNode processor, List<String> allowed) throws BadInputException {
        for (Iterator<String> it = processor.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new BadInputException(in.where("unknown processor register '" + k + "' ("
                        + String.join(", ", allowed) + ")"));
            }
        }
    }

    /** The reported violations: the first one (what hardware reports) unless --all asked for every one. */
    static <V> List<V> reported(List<V> violations, boolean all) {
        return all || violations.isEmpty() ? violations : violations.subList(0, 1);
    }

    /** One violated rule as a JSON object of the "violations" array. */
    static void addViolation(ArrayNode violations, String rule, String section, List<String> fields, String message) {
        ObjectNode e = violations.addObject();
        e.put("rule", rule);
        e.put("section", section);
        ArrayNode fs = e.putArray("fields");
        fields.forEach(fs::add);
        e.put("message", message);
    }

    static String write(ObjectMapper mapper, JsonNode n) {
        try {
            return mapper.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
