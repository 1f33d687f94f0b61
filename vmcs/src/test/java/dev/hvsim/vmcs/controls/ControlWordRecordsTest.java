package dev.hvsim.vmcs.controls;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The control-word records against vmx-controls.csv: one predicate per defined bit, named after the SDM
 * control, testing exactly that bit.
 */
class ControlWordRecordsTest {

    private static final Map<ControlWord, Class<? extends ControlValue>> RECORDS = Map.of(
            ControlWord.PIN_BASED, PinBasedControls.class,
            ControlWord.PRIMARY_PROC, PrimaryProcControls.class,
            ControlWord.SECONDARY_PROC, SecondaryProcControls.class,
            ControlWord.TERTIARY_PROC, TertiaryProcControls.class,
            ControlWord.EXIT, ExitControls.class,
            ControlWord.SECONDARY_EXIT, SecondaryExitControls.class,
            ControlWord.ENTRY, EntryControls.class);

    private static ControlValue make(Class<? extends ControlValue> c, long v) throws Exception {
        Class<?> t = c.getRecordComponents()[0].getType();
        return t == int.class ? c.getConstructor(int.class).newInstance((int) v)
                : c.getConstructor(long.class).newInstance(v);
    }

    private static Set<String> predicates(Class<?> c) {
        return Arrays.stream(c.getDeclaredMethods())
                .filter(m -> m.getReturnType() == boolean.class && m.getParameterCount() == 0
                        && Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers()))
                .map(Method::getName).collect(Collectors.toCollection(TreeSet::new));
    }

    @ParameterizedTest
    @EnumSource(ControlWord.class)
    void onePredicatePerDefinedBitAndNoOthers(ControlWord w) {
        Set<String> defined = ControlCatalogue.get().bits(w).stream().filter(b -> !b.reserved())
                .map(ControlBit::javaName).collect(Collectors.toCollection(TreeSet::new));
        assertThat(predicates(RECORDS.get(w))).isEqualTo(defined);
    }

    @ParameterizedTest
    @EnumSource(ControlWord.class)
    void eachPredicateTestsExactlyItsBit(ControlWord w) throws Exception {
        Class<? extends ControlValue> c = RECORDS.get(w);
        for (ControlBit b : ControlCatalogue.get().bits(w)) {
            if (b.reserved()) {
                continue;
            }
            Method m = c.getMethod(b.javaName());
            assertThat((boolean) m.invoke(make(c, b.mask()))).as(b.describe()).isTrue();
            assertThat((boolean) m.invoke(make(c, ~b.mask()))).as(b.describe()).isFalse();
            assertThat((boolean) m.invoke(make(c, 0))).as(b.describe()).isFalse();
            assertThat(make(c, b.mask()).isSet(b.javaName())).isTrue();
        }
        assertThat(make(c, 0).word()).isEqualTo(w);
    }

    @Test
    void namedPredicatesAtTheirSdmBits() {
        // SDM Vol. 3C Table 25-5 (pin), 25-6 (primary), 25-7 (secondary), 25.7.1 exit, 25.8.1 entry
        assertThat(new PinBasedControls(1 << 0).externalInterruptExiting()).isTrue();
        assertThat(new PinBasedControls(1 << 3).nmiExiting()).isTrue();
        assertThat(new PinBasedControls(1 << 5).virtualNmis()).isTrue();
        assertThat(new PinBasedControls(1 << 6).activateVmxPreemptionTimer()).isTrue();
        assertThat(new PrimaryProcControls(1 << 7).hltExiting()).isTrue();
        assertThat(new PrimaryProcControls(1 << 2).interruptWindowExiting()).isTrue();
        assertThat(new PrimaryProcControls(1 << 24).unconditionalIoExiting()).isTrue();
        assertThat(new PrimaryProcControls(1 << 28).useMsrBitmaps()).isTrue();
        assertThat(new PrimaryProcControls(1 << 31).activateSecondaryControls()).isTrue();
        assertThat(new PrimaryProcControls(1 << 17).activateTertiaryControls()).isTrue();
        assertThat(new SecondaryProcControls(1 << 1).enableEpt()).isTrue();
        assertThat(new SecondaryProcControls(1 << 5).enableVpid()).isTrue();
        assertThat(new SecondaryProcControls(1 << 7).unrestrictedGuest()).isTrue();
        assertThat(new SecondaryProcControls(1 << 14).vmcsShadowing()).isTrue();
        assertThat(new TertiaryProcControls(1L << 4).ipiVirtualization()).isTrue();
        assertThat(new ExitControls(1 << 9).hostAddressSpaceSize()).isTrue();
        assertThat(new ExitControls(1 << 15).acknowledgeInterruptOnExit()).isTrue();
        assertThat(new ExitControls(1 << 22).saveVmxPreemptionTimerValue()).isTrue();
        assertThat(new SecondaryExitControls(1L << 0).saveIa32Fred()).isTrue();
        assertThat(new EntryControls(1 << 9).ia32eModeGuest()).isTrue();
        assertThat(new EntryControls(1 << 15).loadIa32Efer()).isTrue();
        assertThat(new EntryControls(1 << 9).loadIa32Efer()).isFalse();
    }

    @Test
    void ofSetsExactlyTheNamedBits() {
        PrimaryProcControls p = PrimaryProcControls.of("hltExiting", "useMsrBitmaps");
        assertThat(p.value()).isEqualTo(1 << 7 | 1 << 28);
        assertThat(p.setBits()).extracting(ControlBit::javaName).containsExactly("hltExiting", "useMsrBitmaps");
        assertThat(new PrimaryProcControls(0x80000000).bits()).isEqualTo(0x80000000L);
        assertThat(SecondaryExitControls.of("loadIa32Fred").value()).isEqualTo(2L);
    }
}
