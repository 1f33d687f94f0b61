package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The compare-demo guest under both vendors: the comparison shows the differences it was built to show. */
class CompareDemoTest {
    static List<ExitRecord> record(String guest, Virt virt) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(virt.profile()), out));
        Vmm vmm = Vmm.attach(m, virt, InterceptPolicy.defaults());
        List<ExitRecord> records = new ArrayList<>();
        vmm.recordExits(records::add);
        m.loadMultiboot(Guests.bytes(guest), guest + ".elf", "", List.of(), -1);
        RunOutcome o = m.run(RunLimits.instructions(10_000_000L));
        assertThat(o.describe()).isEqualTo("guest exit with value 0 (status 1)");
        return records;
    }

    @Test
    void dump() throws Exception {
        ExitComparison c = ExitComparison.of(record("compare-demo", Virt.VMX), record("compare-demo", Virt.SVM));
        for (ExitComparison.Row r : c.rows()) {
            if (!r.same()) {
                System.out.println((r.intel() == null ? "-" : r.intel().rawName() + " " + r.intel().summary()) + " | "
                        + (r.amd() == null ? "-" : r.amd().rawName() + " " + r.amd().summary()) + " " + r.differences() + " " + r.notes());
            }
        }
        System.out.println(c.counts() + " rows " + c.rows().size());
    }
}
