package dev.hvsim.x86core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.exec.Family;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@link CpuExtension} SPI: rows, MSR hooks and CR4 bits of an installed extension. */
class CpuExtensionTest {
    static final int UD = 6, GP = 13;

    /** A toy extension: 0F 01 C1 sets RAX = 42 (feature-gated by a flag), MSR 0x3A, CR4 bit 13. */
    static final class Toy implements CpuExtension {
        final Feature feature;
        long msr = 5;
        final List<long[]> crChecks = new ArrayList<>();
        boolean refuseCr;

        Toy(Feature feature) { this.feature = feature; }

        @Override public void contributeRows(OpcodeTable.Builder b) {
            b.row(1, 0x01, "TOY", Family.EXTENSION, 7).reg(0).rm(1).feature(feature).cost("system").add();
        }
        @Override public void execute(Cpu cpu, DecodedInsn d) {
            assertThat(d.handler).isEqualTo(7);
            cpu.state().gpr[Reg.RAX] = 42;
        }
        @Override public boolean ownsMsr(long index) { return index == 0x3a; }
        @Override public long readMsr(Cpu cpu, long index) { return msr; }
        @Override public void writeMsr(Cpu cpu, long index, long value) {
            if (value > 100) {
                throw ArchFault.gp0();
            }
            msr = value;
        }
        @Override public long cr4Bits(Cpu cpu) { return Cpu.CR4_VMXE; }
        @Override public void checkCrWrite(Cpu cpu, int cr, long oldValue, long newValue) {
            crChecks.add(new long[] {cr, oldValue, newValue});
            if (refuseCr) {
                throw ArchFault.gp0();
            }
        }
    }

    @Test
    void rowsAreUdWithoutAnExtensionAndRunWithOne() {
        TestCpu t = TestCpu.long64("intel-core");
        assertThat(t.code("0f 01 c1").fault()).containsExactly(UD, -1);   // 0f 01 c1  toy (absent)
        t.cpu.install(new Toy(null));
        t.code("0f 01 c1").reg(Reg.RAX, 0);
        assertThat(t.fault()).isNull();
        assertThat(t.reg(Reg.RAX)).isEqualTo(42);
        t.cpu.install(null);
        assertThat(t.code("0f 01 c1").fault()).containsExactly(UD, -1);
    }

    @Test
    void rowsAreUdWhenTheirCpuidFeatureIsOff() {
        TestCpu t = TestCpu.long64("intel-core");   // intel-core does not advertise VMX yet
        assertThat(t.cpu.has(Feature.SVM)).isFalse();
        t.cpu.install(new Toy(Feature.SVM));
        assertThat(t.code("0f 01 c1").fault()).containsExactly(UD, -1);
    }

    @Test
    void ownedMsrsGoToTheExtension() {
        TestCpu t = TestCpu.long64("intel-core");
        Toy toy = new Toy(null);
        t.cpu.install(toy);
        t.code("0f 32").reg(Reg.RCX, 0x3a);                              // 0f 32  rdmsr
        assertThat(t.fault()).isNull();
        assertThat(t.reg(Reg.RAX)).isEqualTo(5);
        t.code("0f 30").reg(Reg.RCX, 0x3a).reg(Reg.RAX, 9).reg(Reg.RDX, 0); // 0f 30  wrmsr
        assertThat(t.fault()).isNull();
        assertThat(toy.msr).isEqualTo(9);
        t.code("0f 30").reg(Reg.RCX, 0x3a).reg(Reg.RAX, 1000).reg(Reg.RDX, 0);
        assertThat(t.fault()).containsExactly(GP, 0);
    }

    @Test
    void cr4BitsOnlyWithTheExtensionAndItsChecksRun() {
        TestCpu t = TestCpu.long64("intel-core");
        // 0f 22 e0  mov cr4, rax
        t.code("0f 22 e0").reg(Reg.RAX, 0x20 | Cpu.CR4_VMXE);
        assertThat(t.fault()).containsExactly(GP, 0);
        Toy toy = new Toy(null);
        t.cpu.install(toy);
        t.code("0f 22 e0").reg(Reg.RAX, 0x20 | Cpu.CR4_VMXE);
        assertThat(t.fault()).isNull();
        assertThat(t.cpu.state().cr4 & Cpu.CR4_VMXE).isNotZero();
        assertThat(toy.crChecks).hasSize(1);
        toy.refuseCr = true;
        t.code("0f 22 e0").reg(Reg.RAX, 0x20);
        assertThat(t.fault()).containsExactly(GP, 0);
        assertThat(t.cpu.state().cr4 & Cpu.CR4_VMXE).isNotZero();
        // 0f 22 c0  mov cr0, rax
        t.code("0f 22 c0").reg(Reg.RAX, 0x80000011L);
        assertThat(t.fault()).containsExactly(GP, 0);
        assertThat(toy.crChecks.get(toy.crChecks.size() - 1)[0]).isEqualTo(0);
    }
}
