package dev.hvsim.vmx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The memoised VM-entry checks ({@link EntryCheckMemo}) give exactly the outcome of a full check
 * ({@link EntryChecks#check(VmcsSnapshot, EntryContext)}) over long deterministic random walks: from each valid base,
 * one field at a time is set to an interesting value (0, all ones, a flipped bit, a random value, its base value),
 * sometimes several at once, with the processor's LMA, the capability set and the memory (PDPTEs, VTPR, link
 * pointer header) changing too. Every step compares outcome, violations, all() and qualification.
 */
class EntryCheckMemoTest {
    private static final List<VmcsField> FULL = VmcsFields.get().fullFields();

    @Test
    void memoisedChecksEqualFullChecksOnRandomWalks() {
        for (String name : new String[] {"long-mode-guest", "protected-mode-guest", "real-mode-guest"}) {
            walk(name, name.hashCode(), false);
        }
    }

    /**
     * The same walks with {@link EntryCheckMemo#onlyChanged}: the memo is told which fields were written since the
     * last check (as VM entry does from the processor-side VMCS copy), including writes of an unchanged value, and
     * compares only those.
     */
    @Test
    void checksGivenTheWrittenFieldsEqualFullChecksOnRandomWalks() {
        for (String name : new String[] {"long-mode-guest", "protected-mode-guest", "real-mode-guest"}) {
            walk(name, name.hashCode() * 31L + 7, true);
        }
    }

    private static void walk(String baseName, long seed, boolean hinted) {
        Random rnd = new Random(seed);
        Map<VmcsField, Long> base = RuleFixtures.base(baseName);
        Map<VmcsField, Long> vmcs = RuleFixtures.base(baseName);
        RuleFixtures.Env env = new RuleFixtures.Env();
        EntryContext plain = env.context();
        EntryCheckMemo memo = new EntryCheckMemo(plain.memory(), plain.msrProbe());
        int entered = 0;
        long[] written = new long[(FULL.size() + 63) >>> 6];
        java.util.Arrays.fill(written, -1L); // nothing checked yet
        for (int step = 0; step < 3000; step++) {
            int changes = rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(4) : rnd.nextInt(3) == 0 ? 0 : 1;
            for (int k = 0; k < changes; k++) {
                int i = VmcsSnapshot.indexOf(mutate(rnd, base, vmcs));
                written[i >>> 6] |= 1L << i;
            }
            if (rnd.nextInt(50) == 0) {
                env.lma = !env.lma;
            }
            if (rnd.nextInt(60) == 0) {
                env.caps = env.caps == RuleFixtures.IN_FORCE ? RuleFixtures.RICH : RuleFixtures.IN_FORCE;
            }
            if (rnd.nextInt(40) == 0) {
                env.memory.put((long) rnd.nextInt(16) * 8 + 0x5000, rnd.nextLong());
            }
            if (rnd.nextInt(20) == 0) {
                vmcs.clear();
                vmcs.putAll(base); // back to a valid VMCS now and then, so the walk also passes through "entered"
                java.util.Arrays.fill(written, -1L);
            }
            VmcsSnapshot snap = VmcsSnapshot.of(vmcs);
            EntryOutcome full = EntryChecks.check(snap, env.context());
            EntryContext ctx = memo.context(env.caps, env.lma, RuleFixtures.INTEL.maxPhysAddr(),
                    RuleFixtures.INTEL.linearAddressBits(), -1L);
            if (hinted) {
                memo.onlyChanged(written);
            }
            EntryOutcome memoised = EntryChecks.check(VmcsSnapshot.of(vmcs), ctx, memo);
            java.util.Arrays.fill(written, 0L);
            assertThat(memoised).as("%s step %d", baseName, step).isEqualTo(full);
            if (full.kind() == EntryOutcome.Kind.ENTERED) {
                entered++;
            }
        }
        assertThat(entered).as("walk from %s reaches valid states", baseName).isGreaterThan(100);
    }

    /** Writes one field (returned) with an interesting value. */
    private static VmcsField mutate(Random rnd, Map<VmcsField, Long> base, Map<VmcsField, Long> vmcs) {
        // mostly fields of the base (those the rules look at), sometimes any field of the catalogue
        List<VmcsField> keys = List.copyOf(base.keySet());
        VmcsField f = rnd.nextInt(4) == 0 ? FULL.get(rnd.nextInt(FULL.size())) : keys.get(rnd.nextInt(keys.size()));
        long cur = vmcs.getOrDefault(f, 0L);
        long v;
        switch (rnd.nextInt(6)) {
            case 0: v = 0; break;
            case 1: v = -1L; break;
            case 2: v = rnd.nextLong(); break;
            case 3: v = base.getOrDefault(f, 0L); break;
            default: v = cur ^ 1L << rnd.nextInt(64); break;
        }
        vmcs.put(f, v & f.width().mask());
        return f;
    }
}
