package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.SvmProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Property (c) of issue 9 for SVM (AMD APM Vol. 2 15.4, 15.5, 15.5.2, 15.6, 15.17, 15.30.4; Vol. 3 VMRUN, VMLOAD,
 * VMSAVE, STGI, CLGI, VMMCALL, INVLPGA): random sequences of the SVM instructions and of the SVM MSR writes, at CPL 0
 * and 3, with valid and invalid operands, agree with the reference model of GIF, EFER.SVME, VM_HSAVE_PA, the
 * exceptions, the #VMEXITs and the VMLOAD/VMSAVE state. Fixed seed ({@code -Dhvsim.conform.seed}), printed with the
 * failing sequence, shrunk and replayable.
 */
class SvmProtocolTest {
    static final long SEED = Long.getLong("hvsim.conform.seed", 20261126L);

    @Test
    void randomSvmInstructionSequencesAgreeWithTheReferenceModel() {
        List<String> problems = new ArrayList<>();
        Map<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < 60; i++) {
            long seed = SEED * 17 + i;
            String p = SvmProtocol.check(new SplittableRandom(seed), 40, seen);
            if (p != null) {
                problems.add("sequence seed " + seed + ": " + p);
            }
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        System.out.println("SVM protocol outcomes: " + seen);
        // every outcome the reference model distinguishes was exercised
        assertThat(seen.keySet()).contains("VMRUN -> #VMEXIT(VMMCALL)", "VMRUN -> #VMEXIT(VMEXIT_INVALID)",
                "VMRUN -> #GP(0)", "VMRUN -> #UD", "VMLOAD -> success", "VMLOAD -> #GP(0)", "VMLOAD -> #UD",
                "VMSAVE -> success", "VMSAVE -> #GP(0)", "VMSAVE -> #UD", "CLGI -> success", "CLGI -> #UD",
                "CLGI -> #GP(0)", "STGI -> success", "STGI -> #GP(0)", "VMMCALL -> #UD", "INVLPGA -> success",
                "INVLPGA -> #UD", "INVLPGA -> #GP(0)", "WRMSR_HSAVE -> success", "WRMSR_HSAVE -> #GP(0)",
                "WRMSR_EFER_SVME -> success", "WRMSR_EFER_SVME -> #GP(0)");
    }
}
