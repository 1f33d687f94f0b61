package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An event whose delivery is interrupted by the lazy backing of guest memory is delivered again: the guest's IDT and GDT
 * live on a page the guest never touches before its first event, so under the VMM the delivery of that event reads
 * an unbacked guest-physical page and exits (EPT violation, SDM Vol. 3C 29.2.4 with IDT-vectoring information; nested
 * page fault, APM Vol. 2 15.7.2 with EXITINTINFO). The VMM backs the page and must re-inject the event (SDM 28.6,
 * APM 15.20), else it is lost. The event here is a single-step trap (#DB after the NOP following the POPF that set
 * TF): re-executing the instruction cannot bring it back, and a lost trap shows as a later saved EIP.
 */
class EventReinjectionTest {
    static final long CODE = 0x100000, TABLES = 0x300000, IDT = TABLES + 0x100, STACK = 0x208000, OUT = 0x200000,
            COUNT = 0x200004;

    /** The guest; {@code afterNop[0]} gets the address of the instruction after the trapped NOP. */
    static byte[] guest(long[] afterNop) {
        List<Integer> b = new ArrayList<>();
        long gdtDesc = CODE + 0x200, idtDesc = CODE + 0x208, handler = CODE + 0x100;
        add(b, 0x0f, 0x01, 0x15); imm32(b, gdtDesc);                  // lgdt [gdtDesc]
        add(b, 0x0f, 0x01, 0x1d); imm32(b, idtDesc);                  // lidt [idtDesc]
        add(b, 0xbc); imm32(b, STACK);                                // mov esp, STACK
        add(b, 0x9c);                                                 // pushfd
        add(b, 0x81, 0x0c, 0x24); imm32(b, 0x100);                    // or dword [esp], 0x100 (TF)
        add(b, 0x9d);                                                 // popfd
        add(b, 0x90);                                                 // nop: #DB after it
        afterNop[0] = CODE + b.size();
        add(b, 0x90, 0x90, 0x90);                                     // nop x3
        add(b, 0xb0, 0x07, 0xe6, 0xf4);                               // mov al, 7; out 0xf4, al (debug exit)
        while (b.size() < 0x100) {
            add(b, 0xf4);
        }
        add(b, 0x8b, 0x04, 0x24);                                     // handler: mov eax, [esp]
        add(b, 0xa3); imm32(b, OUT);                                  // mov [OUT], eax
        add(b, 0xff, 0x05); imm32(b, COUNT);                          // inc dword [COUNT]
        add(b, 0x81, 0x64, 0x24, 0x08); imm32(b, ~0x100L);            // and dword [esp+8], ~TF
        add(b, 0xcf);                                                 // iretd
        while (b.size() < 0x200) {
            add(b, 0xf4);
        }
        add(b, 23, 0); imm32(b, TABLES); add(b, 0, 0);               // GDT descriptor
        add(b, 0xff, 0); imm32(b, IDT);                               // IDT descriptor
        byte[] out = new byte[b.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (int) b.get(i);
        }
        return out;
    }

    private static void add(List<Integer> b, int... v) {
        for (int x : v) {
            b.add(x & 0xff);
        }
    }

    private static void imm32(List<Integer> b, long v) {
        add(b, (int) v, (int) (v >>> 8), (int) (v >>> 16), (int) (v >>> 24));
    }

    /** Runs the guest (bare with Virt.NONE); returns {saved EIP, #DB count}. */
    static long[] run(Virt virt, long[] afterNop) throws Exception {
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(virt == Virt.SVM ? "amd-zen" : "intel-core"),
                OutputStream.nullOutputStream()));
        Vmm vmm = virt == Virt.NONE ? null : Vmm.attach(m, virt, InterceptPolicy.defaults());
        ByteArrayOutputStream trace = new ByteArrayOutputStream();
        if (vmm != null) {
            vmm.traceTo(trace);
        }
        m.loadFlat(guest(afterNop), CODE, -1);
        // the descriptor tables, written by the loader's side: the guest itself never touches their page
        m.memory().write(TABLES + 8, 8, 0x00cf9a000000ffffL);
        m.memory().write(TABLES + 16, 8, 0x00cf92000000ffffL);
        long handler = CODE + 0x100;
        m.memory().write(IDT + 8, 4, 0x08L << 16 | (handler & 0xffff));
        m.memory().write(IDT + 12, 4, (handler & 0xffff0000L) | 0x8e00);
        RunOutcome o = m.run(RunLimits.instructions(10_000));
        if (vmm != null) {
            vmm.flush();
            assertThat(vmm.failure()).isNull();
            assertThat(trace.toString()).as("the delivery exited with the event in the exit information")
                    .containsPattern(virt == Virt.VMX ? "\"idt_vectoring\":\"0x80000301\"" : "\"exitintinfo\":\"0x80000301\"");
        }
        assertThat(o).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) o).value()).isEqualTo(7);
        return new long[] {m.memory().read(OUT, 4), m.memory().read(COUNT, 4)};
    }

    @ParameterizedTest
    @EnumSource(value = Virt.class, names = {"VMX", "SVM"})
    void aTrapInterruptedByLazyBackingIsDeliveredAgain(Virt virt) throws Exception {
        long[] afterNop = new long[1];
        long[] bare = run(Virt.NONE, afterNop);
        assertThat(bare).containsExactly(afterNop[0], 1);
        assertThat(run(virt, afterNop)).as(virt.name()).containsExactly(afterNop[0], 1);
    }
}
