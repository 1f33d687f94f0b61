package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.svm.ExitCode;
import dev.hvsim.vmx.ExitReason;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mapping table (issue 7 item 2), tested both ways and against the reference CSVs and the models. */
class ExitKindsTest {
    /** First column of every data row of a reference CSV on the class path (rows of {@code rowType} if given). */
    static List<String> column(String resource, int col, String rowType) throws Exception {
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                ExitKindsTest.class.getResourceAsStream(resource), StandardCharsets.UTF_8))) {
            boolean header = true;
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue; // the copy's provenance comment
                }
                if (header) {
                    header = false;
                    continue;
                }
                String[] f = line.split(",", -1);
                if (rowType == null || f[0].equals(rowType)) {
                    out.add(f[col]);
                }
            }
        }
        return out;
    }

    @Test
    void everyVmxExitReasonOfTheSdmHasAKind() throws Exception {
        List<String> reasons = column("/dev/hvsim/vmx/reference/vmx-exit-reasons.csv", 0, null);
        assertThat(reasons).hasSizeGreaterThan(70);
        for (String r : reasons) {
            assertThat(ExitKinds.vmx(Integer.parseInt(r))).as("VMX reason " + r).isNotNull();
        }
        assertThat(ExitKinds.vmx(38)).as("38 is not a defined reason").isNull();
    }

    @Test
    void everySvmExitCodeOfTheApmHasAKind() throws Exception {
        List<String> codes = column("/dev/hvsim/svm/reference/svm-exit-codes.csv", 1, "exit-code");
        assertThat(codes).hasSizeGreaterThan(150);
        for (String c : codes) {
            long code = Long.parseUnsignedLong(c.substring(2), 16);
            assertThat(ExitKinds.svm(code)).as("SVM code " + c).isNotNull();
        }
    }

    @Test
    void theTableReadsTheSameBothWays() {
        for (ExitKind k : ExitKind.values()) {
            for (int r : ExitKinds.vmxReasons(k)) {
                assertThat(k == ExitKind.NMI ? ExitKinds.vmx(r, 2 << 8 | 1L << 31) : ExitKinds.vmx(r)).as(k + " " + r)
                        .isEqualTo(k);
            }
            for (long c : ExitKinds.svmCodes(k)) {
                assertThat(k == ExitKind.MSR_WRITE ? ExitKinds.svm(c, 1) : ExitKinds.svm(c)).as(k + " " + c).isEqualTo(k);
            }
        }
        for (int r = 0; r < 128; r++) {
            ExitKind k = ExitKinds.vmx(r);
            if (k != null) {
                assertThat(ExitKinds.vmxReasons(k)).contains(r);
            }
        }
    }

    @Test
    void aSharedKindExistsOnBothVendorsAndAVendorKindOnOneOnly() {
        for (ExitKind k : ExitKind.values()) {
            boolean intel = !ExitKinds.vmxReasons(k).isEmpty(), amd = !ExitKinds.svmCodes(k).isEmpty();
            switch (k.vendors()) {
                case BOTH: assertThat(intel && amd).as(k + " on both").isTrue(); break;
                case INTEL: assertThat(intel && !amd).as(k + " Intel only").isTrue(); break;
                default: assertThat(amd && !intel).as(k + " AMD only").isTrue(); break;
            }
        }
    }

    @Test
    void refinementsNeedTheExitInformation() {
        assertThat(ExitKinds.vmx(0, 3 << 8 | 14 | 1L << 31)).isEqualTo(ExitKind.EXCEPTION);
        assertThat(ExitKinds.vmx(0, 2 << 8 | 2 | 1L << 31)).isEqualTo(ExitKind.NMI);
        assertThat(ExitKinds.svm(0x7c, 0)).isEqualTo(ExitKind.MSR_READ);
        assertThat(ExitKinds.svm(0x7c, 1)).isEqualTo(ExitKind.MSR_WRITE);
        assertThat(ExitKinds.svm(-1)).isEqualTo(ExitKind.ENTRY_FAILURE);
    }

    /** Every exit the models can produce (every constant of vmx ExitReason and svm ExitCode) has a specific kind. */
    @Test
    void theTableCoversEveryExitTheModelsProduce() throws Exception {
        for (Field f : ExitReason.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && !f.getName().equals("ENTRY_FAILURE_BIT")) {
                ExitKind k = ExitKinds.vmx(f.getInt(null));
                assertThat(k).as("VMX " + f.getName()).isNotNull().isNotEqualTo(ExitKind.INTEL_OTHER);
            }
        }
        for (Field f : ExitCode.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == long.class) {
                ExitKind k = ExitKinds.svm(f.getLong(null));
                assertThat(k).as("SVM " + f.getName()).isNotNull().isNotEqualTo(ExitKind.AMD_OTHER);
            }
        }
    }
}
