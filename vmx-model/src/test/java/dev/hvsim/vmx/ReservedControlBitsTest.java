package dev.hvsim.vmx;

import static dev.hvsim.vmx.RuleFixtures.base;
import static dev.hvsim.vmx.RuleFixtures.check;
import static dev.hvsim.vmx.RuleFixtures.f;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.controls.ControlWord;
import dev.hvsim.vmcs.msr.AllowedSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every bit of every control word against the capability MSRs (SDM Vol. 3C 28.2.1, Appendix A.3-A.5): flipping a
 * bit the allowed-0/allowed-1 settings fix gives VMfailValid(7) naming the word's reserved-bits rule; flipping a
 * free bit never trips that rule.
 */
class ReservedControlBitsTest {

    private static void walk(ControlWord w, String field, String rule) {
        RuleFixtures.Env env = new RuleFixtures.Env();
        AllowedSettings allowed = env.caps.controls(w);
        for (int bit = 0; bit < 32; bit++) {
            Map<VmcsField, Long> vmcs = base(VmcsBases.LONG_MODE);
            long v = vmcs.get(f(field)) ^ 1L << bit;
            vmcs.put(f(field), v);
            EntryOutcome o = check(vmcs, env);
            boolean fixed = ((v >>> bit & 1) != 0) ? !allowed.allowed1(bit) : !allowed.allowed0(bit);
            if (fixed) {
                assertThat(o).as("%s bit %d", w, bit).isInstanceOf(EntryOutcome.VmFailValid.class);
                assertThat(((EntryOutcome.VmFailValid) o).error()).isEqualTo(7);
                assertThat(o.violations()).extracting(Violation::id).as("%s bit %d", w, bit).contains(rule);
            } else {
                assertThat(o.all()).extracting(Violation::id).as("%s bit %d", w, bit).doesNotContain(rule);
            }
        }
    }

    @Test
    void pinBased() {
        walk(ControlWord.PIN_BASED, "PIN_BASED_VM_EXEC_CONTROL", "CTRL-PIN-RESERVED");
    }

    @Test
    void primaryProcessorBased() {
        walk(ControlWord.PRIMARY_PROC, "CPU_BASED_VM_EXEC_CONTROL", "CTRL-PROC1-RESERVED");
    }

    @Test
    void exit() {
        walk(ControlWord.EXIT, "VM_EXIT_CONTROLS", "CTRL-EXIT-RESERVED");
    }

    @Test
    void entry() {
        walk(ControlWord.ENTRY, "VM_ENTRY_CONTROLS", "CTRL-ENTRY-RESERVED");
    }
}
