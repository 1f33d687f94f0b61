package dev.hvsim.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvsim.x86core.CpuProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reading the JSON descriptions of {@code check-vmcs} and {@code check-vmcb}: the file, its top-level keys,
 * the profile, numbers (a JSON number, a "0x..." or decimal string), {@code {"set", "clear"}} changes and the
 * {@code memory} blocks. Every problem is a {@link BadInputException} whose one line names the file.
 */
final class DescriptionReader {
    private final Path file;

    DescriptionReader(Path file) {
        this.file = file;
    }

    /** The message prefixed with the file name. */
    String where(String what) {
        return file + ": " + what;
    }

    /** The parsed description: a JSON object whose top-level keys are all in {@code known}. */
    JsonNode read(Set<String> known) throws BadInputException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new BadInputException("cannot read " + file + ": " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(where("the description must be a JSON object"));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!known.contains(k)) {
                throw new BadInputException(where("unknown key '" + k + "' (known: " + String.join(", ",
                        new TreeSet<>(known)) + ")"));
            }
        }
        return root;
    }

    /** The CPU profile named by "profile", or {@code dflt}. */
    CpuProfile profile(JsonNode root, String dflt) throws BadInputException {
        try {
            return CpuProfile.load(text(root, "profile", dflt));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(where(e.getMessage()));
        }
    }

    /** A string value of the root object, or {@code dflt} when absent. */
    String text(JsonNode root, String key, String dflt) throws BadInputException {
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
    long number(JsonNode n, String what) throws BadInputException {
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
                // fall through to the error
            }
        }
        throw new BadInputException(where("malformed value " + n + " for " + what
                + " (a number, a \"0x...\" string, or {\"set\": ..., \"clear\": ...})"));
    }

    /** Checks one field value against the bits the field has. */
    interface WidthCheck {
        void check(long value) throws BadInputException;
    }

    /**
     * The new value of a field: a plain value, or {@code {"set": s, "clear": c}} applied to {@code old}
     * ({@code (old | s) & ~c}); the given values are width-checked first.
     */
    long value(JsonNode n, long old, String name, WidthCheck width) throws BadInputException {
        if (!n.isObject()) {
            long v = number(n, name);
            width.check(v);
            return v;
        }
        for (Iterator<String> k = n.fieldNames(); k.hasNext();) {
            String key = k.next();
            if (!key.equals("set") && !key.equals("clear")) {
                throw new BadInputException(where(name + ": unknown key '" + key + "' (set, clear)"));
            }
        }
        long set = n.has("set") ? number(n.get("set"), name) : 0;
        long clear = n.has("clear") ? number(n.get("clear"), name) : 0;
        width.check(set | clear);
        return (old | set) & ~clear;
    }

    /** The "memory" blocks as 8-byte-aligned physical address → qword. */
    Map<Long, Long> memory(JsonNode mem) throws BadInputException {
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
}
