package dev.hvsim.tools;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.decode.DecodedInsn;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Counts retired instructions per opcode-table form ("OUT DX,AL"), for the demo's explanation. */
final class FormCounter implements ExecutionListener {
    private final Map<String, Long> counts = new HashMap<>();

    @Override
    public void afterInstruction(Cpu cpu, DecodedInsn insn) {
        counts.merge(insn.toString(), 1L, Long::sum);
    }

    /** Number of distinct forms executed. */
    int distinctForms() {
        return counts.size();
    }

    /** The {@code n} most frequent forms as "FORM ×COUNT", most frequent first. */
    List<String> top(int n) {
        return counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(n)
                .map(e -> e.getKey() + " x" + e.getValue())
                .collect(Collectors.toList());
    }
}
