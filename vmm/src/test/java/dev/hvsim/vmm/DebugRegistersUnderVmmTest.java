package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.CpuProfile;
import java.io.OutputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The guest's DR7 survives the VM exits the VMM handles: a VM exit sets DR7 to 400H (SDM Vol. 3C 29.5.1; the APM's
 * #VMEXIT restores the host's DR7, 15.7.2), so the VMM saves it with "save debug controls" and loads it back with
 * "load debug controls" (VMX; the VMCB always holds DR7). The guest enables a breakpoint in DR7, takes a CPUID exit
 * and reads DR7 back: bare and under both VMMs the same.
 */
class DebugRegistersUnderVmmTest {
    static final long CODE = 0x100000, OUT = 0x200000, DATA = 0x201000;

    /** DR0 = DATA; DR7 = 00010401H (L0, break on 1-byte writes); CPUID; [OUT] = DR7; debug exit 7. */
    static byte[] guest() {
        int[] code = {
            0xb8, (int) DATA & 0xff, (int) (DATA >>> 8) & 0xff, (int) (DATA >>> 16) & 0xff, 0x00, // mov eax, DATA
            0x0f, 0x23, 0xc0,                                                                  // mov dr0, eax
            0xb8, 0x01, 0x04, 0x01, 0x00,                                                      // mov eax, 0x00010401
            0x0f, 0x23, 0xf8,                                                                  // mov dr7, eax
            0x31, 0xc0,                                                                        // xor eax, eax
            0x0f, 0xa2,                                                                        // cpuid (exits)
            0x0f, 0x21, 0xf8,                                                                  // mov eax, dr7
            0xa3, (int) OUT & 0xff, (int) (OUT >>> 8) & 0xff, (int) (OUT >>> 16) & 0xff, 0x00, // mov [OUT], eax
            0xb0, 0x07, 0xe6, 0xf4,                                                            // mov al, 7; out 0xf4
        };
        byte[] b = new byte[code.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) code[i];
        }
        return b;
    }

    static long run(Virt virt) throws Exception {
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(virt == Virt.SVM ? "amd-zen" : "intel-core"),
                OutputStream.nullOutputStream()));
        Vmm vmm = virt == Virt.NONE ? null : Vmm.attach(m, virt, InterceptPolicy.defaults());
        m.loadFlat(guest(), CODE, -1);
        RunOutcome o = m.run(RunLimits.instructions(10_000));
        if (vmm != null) {
            assertThat(vmm.failure()).isNull();
            assertThat(vmm.exits()).as("the CPUID exit happened").isPositive();
        }
        assertThat(o).isInstanceOf(RunOutcome.GuestExit.class);
        return m.memory().read(OUT, 4);
    }

    @ParameterizedTest
    @EnumSource(value = Virt.class, names = {"VMX", "SVM"})
    void dr7SurvivesAnExit(Virt virt) throws Exception {
        long bare = run(Virt.NONE);
        assertThat(bare & 0xffff0fffL).isEqualTo(0x00010401L);
        assertThat(run(virt)).as(virt.name()).isEqualTo(bare);
    }
}
