package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.vmcs.msr.VmxMsr;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Nested VMX ({@link NestedVmx}) instruction by instruction. One 32-bit protected-mode hypervisor (L1, hand-assembled
 * in {@link #l1()}) runs the VMX instructions' success and failure cases, then builds a VMCS for a 32-bit guest (L2)
 * with "enable EPT" over EPT tables of its own, and handles that guest's exits in blocks chained through HOST_RIP.
 * It writes what it observed (RFLAGS after each instruction, VM-instruction errors, exit information, values L2
 * read) to {@link #R}. The same program runs on the bare model, whose VMX is vmx-model's (checked against the SDM
 * by that module's tests), and as L1 under the Java VMM with nested VMX: the two records must be equal, and each
 * value is also checked here against the SDM.
 */
class NestedVmxTest {
    static final long CODE = 0x100000, L2_CODE = 0x110000, PD = 0x180000, VMXON = 0x190000, VMCS = 0x191000,
            EPT_PML4 = 0x192000, EPT_PDPT = 0x193000, EPT_PD = 0x194000, EPT_PT = 0x195000, R = 0x1a0000,
            M = 0x1a1000, MSR_BITMAP = 0x1a2000, X = 0x300000, B = 0x301000, Y = 0x302000;
    static final long EPTP = EPT_PML4 | 6 | 3 << 3; // WB, 4-level walk (SDM Vol. 3C 25.6.11)
    static final long BLOCK = 0x101000; // exit handlers at BLOCK + n * 100H
    static final long CF = 1, ZF = 0x40;

    static Result bare, nested;

    record Result(long[] r, long vmptrst, RunOutcome outcome, Vmm vmm, String trace) {
        long at(long offset) {
            return r[(int) offset / 4];
        }
    }

    @BeforeAll
    static void run() throws Exception {
        bare = run(false);
        nested = run(true);
    }

    static Result run(boolean underVmm) throws Exception {
        return run(underVmm, image(), m -> { });
    }

    /** Runs {@code image} (L1 at CODE, L2 at L2_CODE) with the memory set up as below, then {@code setup}. */
    static Result run(boolean underVmm, byte[] image, java.util.function.Consumer<Machine> setup) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), trace = new ByteArrayOutputStream();
        Machine m = new Machine(MachineConfig.of(CpuProfile.load("intel-core"), out));
        Vmm vmm = null;
        if (underVmm) {
            vmm = Vmm.attach(m, Virt.VMX, InterceptPolicy.defaults()).enableNestedVirtualization();
            vmm.traceTo(trace);
        }
        m.loadFlat(image, CODE, -1);
        var mem = m.memory();
        // L1's paging: 32-bit with 4-MiB pages (CR4.PSE), identity over the first 8 MiB
        mem.write(PD, 4, 0x83);
        mem.write(PD + 4, 4, 0x400083);
        // L1's EPT for L2 (25.6.11, 29.3.2): 2-MiB pages except 2-4 MiB in 4-KiB pages; Y not present
        mem.write(EPT_PML4, 8, EPT_PDPT | 7);
        mem.write(EPT_PDPT, 8, EPT_PD | 7);
        mem.write(EPT_PD, 8, 0xb7);                 // 0-2 MiB: PS, WB, RWX
        mem.write(EPT_PD + 8, 8, EPT_PT | 7);
        mem.write(EPT_PD + 16, 8, 0x400000 | 0xb7);
        mem.write(EPT_PD + 24, 8, 0x600000 | 0xb7);
        for (long j = 0; j < 512; j++) {
            long page = 0x200000 + j * 0x1000;
            mem.write(EPT_PT + j * 8, 8, page == Y ? 0 : page | 0x37);
        }
        mem.write(MSR_BITMAP + 0x174 / 8, 1, 1 << (0x174 % 8)); // read bitmap for low MSRs: 174H exits
        mem.write(X, 4, 0xaaaa1111L);
        mem.write(B, 4, 0xbbbb2222L);
        mem.write(Y, 4, 0xcccc3333L);
        mem.write(VMXON, 4, 0x68760001L);           // IA32_VMX_BASIC[30:0] of intel-core
        mem.write(VMCS, 4, 0x68760001L);
        mem.write(M, 8, VMXON);
        mem.write(M + 8, 8, VMCS);
        mem.write(M + 16, 8, VMCS + 1);             // not 4-KiB aligned
        mem.write(M + 32, 8, EPTP);                 // INVEPT descriptor
        setup.accept(m);
        RunOutcome o = m.run(RunLimits.instructions(1_000_000));
        if (vmm != null) {
            vmm.flush();
        }
        long[] r = new long[0x40];
        for (int i = 0; i < r.length; i++) {
            r[i] = mem.read(R + 4L * i, 4);
        }
        return new Result(r, mem.read(M + 24, 8), o, vmm, trace.toString(StandardCharsets.UTF_8));
    }

    static byte[] image() {
        return image(l1(), l2());
    }

    static byte[] image(Asm32 l1Code, Asm32 l2Code) {
        byte[] l1 = l1Code.toArray(), l2 = l2Code.toArray();
        byte[] image = new byte[(int) (L2_CODE - CODE) + l2.length];
        System.arraycopy(l1, 0, image, 0, l1.length);
        System.arraycopy(l2, 0, image, (int) (L2_CODE - CODE), l2.length);
        return image;
    }

    /** L2: CPUID; OUT 80H (only L0 intercepts it); read X; VMCALL; read X; VMCALL; read Y; VMCALL. */
    static Asm32 l2() {
        Asm32 a = new Asm32(L2_CODE);
        a.mov(Asm32.EAX, 0).cpuid().ud2();
        a.mov(Asm32.ECX, 0x174).rdmsr();                // in L1's MSR bitmap: exit to L1
        a.mov(Asm32.ECX, 0x480).rdmsr().storeEax(R + 0xe0); // not in L1's bitmap: IA32_VMX_BASIC as L1 sees it
        a.mov(Asm32.EAX, 0x1234).out80().load(Asm32.EBX, X).vmcall();
        a.load(Asm32.EBX, X).vmcall();
        a.load(Asm32.EBX, Y).vmcall();
        return a.hlt();
    }

    static Asm32 l1() {
        Asm32 a = new Asm32(CODE);
        // paging, CR4.PSE and CR4.VMXE, CR0.NE (24.8 fixed bits), IA32_FEATURE_CONTROL locked with VMX outside SMX
        a.mov(4, 0x10f000);                             // ESP
        a.mov(Asm32.EAX, PD).movToCr(3);
        a.movFromCr(4).orEax(0x2010).movToCr(4);
        a.movFromCr(0).orEax(0x80000020L).movToCr(0);
        a.mov(Asm32.ECX, 0x3a).mov(Asm32.EAX, 5).mov(Asm32.EDX, 0).wrmsr();
        a.vmxon(M).flagsTo(R);                          // 00: VMsucceed
        a.vmxon(M).flagsTo(R + 0x04);                   // 04: VMXON in VMX operation, no current VMCS: VMfailInvalid
        a.vmread(0x4400).flagsTo(R + 0x08);             // 08: VMREAD without a current VMCS: VMfailInvalid
        a.vmptrld(M + 16).flagsTo(R + 0x0c);            // 0C: bad pointer, no current VMCS: VMfailInvalid
        a.vmclear(M + 8).flagsTo(R + 0x10);             // 10: VMsucceed
        a.vmptrld(M + 8).flagsTo(R + 0x14);             // 14: VMsucceed
        a.vmptrst(M + 24).flagsTo(R + 0x18);            // 18: VMsucceed, M+24 = VMCS
        a.vmptrld(M + 16).flagsTo(R + 0x1c).vmreadTo(0x4400, R + 0x20);   // 1C/20: VMfailValid(9)
        a.vmptrld(M).flagsTo(R + 0x24).vmreadTo(0x4400, R + 0x28);        // 24/28: VMfailValid(10)
        a.vmxon(M).flagsTo(R + 0x2c).vmreadTo(0x4400, R + 0x30);          // 2C/30: VMfailValid(15)
        a.vmread(0x7ffe).flagsTo(R + 0x34).vmreadTo(0x4400, R + 0x38);    // 34/38: VMfailValid(12)
        a.vmresume().flagsTo(R + 0x3c).vmreadTo(0x4400, R + 0x40);        // 3C/40: VMfailValid(5)
        a.vmclear(M).flagsTo(R + 0x44).vmreadTo(0x4400, R + 0x48);        // 44/48: VMfailValid(3)
        a.vmlaunch().flagsTo(R + 0x4c).vmreadTo(0x4400, R + 0x50);        // 4C/50: pin-based 0: VMfailValid(7)
        a.invept(3, M + 32).flagsTo(R + 0xb4).vmreadTo(0x4400, R + 0xb8);  // B4/B8: INVEPT type 3: VMfailValid(28)
        a.invvpid(0, M + 48).flagsTo(R + 0xbc).vmreadTo(0x4400, R + 0xc0); // BC/C0: INVVPID VPID 0: VMfailValid(28)
        a.invvpid(2, M + 48).flagsTo(R + 0xc4);                            // C4: INVVPID all-context: VMsucceed
        for (Map.Entry<Long, Long> f : vmcs().entrySet()) {
            a.vmwrite(f.getKey(), f.getValue());
        }
        // host state without CR4.VMXE (28.2.2): VMfailValid(8)
        a.vmwrite(0x6c04, 0x10).vmlaunch().flagsTo(R + 0xa4).vmreadTo(0x4400, R + 0xa8).vmwrite(0x6c04, 0x2010);
        // guest RFLAGS bit 1 clear (28.3.1.4): VM-entry failure exit 33 to L1 at HOST_RIP (28.8)
        a.vmwrite(0x6820, 0).vmwrite(0x6c16, BLOCK + 0x700);
        a.vmlaunch().flagsTo(R + 0x54).vmreadTo(0x4400, R + 0x58).debugExit(3);
        // exit 1: L2's CPUID (10, unconditional: 26.1.2)
        a.at(BLOCK).vmreadTo(0x4402, R + 0x60).vmreadTo(0x440c, R + 0x64).vmreadTo(0x681e, R + 0x68)
                .vmreadTo(0x6400, R + 0x6c);
        a.skipGuestInstruction().vmwrite(0x6c16, BLOCK + 0x600).vmresume().debugExit(4);
        // exit 2: VMCALL after OUT 80H (L0's exit, not L1's) and a read of X; then X -> B in L1's EPT and INVEPT
        a.at(BLOCK + 0x100).store(R + 0x78, Asm32.EBX).storeEax(R + 0x7c).vmreadTo(0x4402, R + 0x70)
                .vmreadTo(0x681e, R + 0x74);
        a.storeImm(EPT_PT + 0x100 * 8, B | 0x37).invept(1, M + 32).flagsTo(R + 0x80);
        a.skipGuestInstruction().vmwrite(0x6c16, BLOCK + 0x200).vmresume().debugExit(4);
        // exit 3: VMCALL after the second read of X
        a.at(BLOCK + 0x200).store(R + 0x88, Asm32.EBX).vmreadTo(0x4402, R + 0x84);
        a.skipGuestInstruction().vmwrite(0x6c16, BLOCK + 0x300).vmresume().debugExit(4);
        // exit 4: EPT violation on Y (48): L1 maps Y and resumes L2 at the same instruction
        a.at(BLOCK + 0x300).vmreadTo(0x4402, R + 0x8c).vmreadTo(0x6400, R + 0x90).vmreadTo(0x2400, R + 0x94);
        a.storeImm(EPT_PT + 0x102 * 8, Y | 0x37).vmwrite(0x6c16, BLOCK + 0x400).vmresume().debugExit(4);
        // exit 5: VMCALL after the read of Y; VMXOFF; end
        a.at(BLOCK + 0x400).store(R + 0x9c, Asm32.EBX).vmreadTo(0x4402, R + 0x98);
        a.vmxoff().flagsTo(R + 0xa0).debugExit(0);
        // exit 1b: L2's UD2, #UD in L1's exception bitmap (26.2): reason 0, interruption information; L1 skips it
        a.at(BLOCK + 0x600).vmreadTo(0x4402, R + 0xc8).vmreadTo(0x4404, R + 0xcc).vmreadTo(0x681e, R + 0xd0);
        a.addGuestRip(2).vmwrite(0x6c16, BLOCK + 0x800).vmresume().debugExit(4);
        // after the entry failure: RFLAGS fixed, the launch state still clear: VMLAUNCH again
        a.at(BLOCK + 0x700).vmreadTo(0x4402, R + 0xac).vmreadTo(0x6400, R + 0xb0);
        a.vmwrite(0x6820, 2).vmwrite(0x6c16, BLOCK);    // HOST_RIP
        a.vmlaunch().flagsTo(R + 0x54).vmreadTo(0x4400, R + 0x58).debugExit(3);
        // exit 1c: RDMSR 174H, whose read bit L1's MSR bitmap sets (26.1.3): reason 31, ECX intact
        a.at(BLOCK + 0x800).store(R + 0xdc, Asm32.ECX).vmreadTo(0x4402, R + 0xd8);
        a.skipGuestInstruction().vmwrite(0x6c16, BLOCK + 0x100).vmresume().debugExit(4);
        return a;
    }

    /** The VMCS L1 writes: a 32-bit protected-mode L2 with paging and EPT, the 32-bit host L1 is (28.2, 28.3). */
    static Map<Long, Long> vmcs() {
        Map<Long, Long> f = new LinkedHashMap<>();
        f.put(0x4000L, 0x16L);                          // pin-based: default1 (TRUE MSR)
        f.put(0x4002L, 0x94006172L);                    // primary: default1, use MSR bitmaps, activate secondary
        f.put(0x2004L, MSR_BITMAP);
        f.put(0x401eL, 0x2L);                           // secondary: enable EPT
        f.put(0x201aL, EPTP);
        f.put(0x201bL, 0L);
        f.put(0x400cL, 0x36dfbL);                       // exit: default1 (32-bit host)
        f.put(0x4012L, 0x11fbL);                        // entry: default1
        f.put(0x4004L, 1L << 6);                        // exception bitmap: #UD
        f.put(0x2800L, 0xffffffffL);                    // VMCS link pointer FFFFFFFF_FFFFFFFFH
        f.put(0x2801L, 0xffffffffL);
        // host: L1 as it runs
        f.put(0x6c00L, 0x80000031L);
        f.put(0x6c02L, PD);
        f.put(0x6c04L, 0x2010L);
        long[] hostSel = {0x10, 0x08, 0x10, 0x10, 0x10, 0x10, 0x18};
        for (int i = 0; i < hostSel.length; i++) {
            f.put(0xc00L + 2 * i, hostSel[i]);
        }
        f.put(0x6c14L, 0x10f000L);                      // HOST_RSP
        // guest: a flat 32-bit protected-mode L2 on L1's page directory
        f.put(0x6800L, 0x80000031L);
        f.put(0x6802L, PD);
        f.put(0x6804L, 0x2010L);
        f.put(0x681aL, 0x400L);
        f.put(0x681cL, 0x118000L);
        f.put(0x681eL, L2_CODE);
        f.put(0x6820L, 2L);
        long[] sel = {0x10, 0x08, 0x10, 0x10, 0x10, 0x10, 0, 0x18};
        long[] ar = {0xc093, 0xc09b, 0xc093, 0xc093, 0xc093, 0xc093, 0x10000, 0x8b};
        for (int i = 0; i < sel.length; i++) {
            f.put(0x800L + 2 * i, sel[i]);
            f.put(0x6806L + 2 * i, 0L);
            f.put(0x4800L + 2 * i, i == 7 ? 0x67L : i == 6 ? 0L : 0xffffffffL);
            f.put(0x4814L + 2 * i, ar[i]);
        }
        f.put(0x4810L, 0xffffL);                        // GDTR, IDTR limits
        f.put(0x4812L, 0xffffL);
        return f;
    }

    @Test
    void runsToTheEndBareAndNested() {
        assertThat(bare.outcome()).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) bare.outcome()).value()).isZero();
        assertThat(nested.vmm().failure()).isNull();
        assertThat(nested.outcome()).as(nested.outcome().describe()).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) nested.outcome()).value()).isZero();
    }

    @Test
    void nestedRecordEqualsTheBareModel() {
        for (int i = 0; i < bare.r().length; i++) {
            assertThat(nested.r()[i]).as("R+%02x", 4 * i).isEqualTo(bare.r()[i]);
        }
        assertThat(nested.vmptrst()).isEqualTo(bare.vmptrst());
    }

    /** Nested virtualization is switched on before the guest runs, and only for VMX (nested SVM is not built). */
    @Test
    void enabledBeforeTheRunAndForVmxOnly() throws Exception {
        Machine svm = new Machine(MachineConfig.of(CpuProfile.load("amd-zen"), new ByteArrayOutputStream()));
        Vmm amd = Vmm.attach(svm, Virt.SVM, InterceptPolicy.defaults());
        org.assertj.core.api.Assertions.assertThatThrownBy(amd::enableNestedVirtualization)
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("VMX only");
        Machine m = new Machine(MachineConfig.of(CpuProfile.load("intel-core"), new ByteArrayOutputStream()));
        Vmm vmm = Vmm.attach(m, Virt.VMX, InterceptPolicy.defaults());
        assertThat(vmm.nestedVirtualization()).isFalse();
        m.loadFlat(new Asm32(CODE).debugExit(0).toArray(), CODE, -1);
        m.run(RunLimits.instructions(1000));
        org.assertj.core.api.Assertions.assertThatThrownBy(vmm::enableNestedVirtualization)
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("before the guest runs");
        assertThat(nested.vmm().nestedVirtualization()).isTrue();
    }

    /** Issue 7 item 6 for nested runs: the same L1 and L2 give the same exit trace, byte for byte. */
    @Test
    void nestedTraceIsDeterministic() throws Exception {
        Result again = run(true);
        assertThat(again.trace()).isNotEmpty().isEqualTo(nested.trace());
        assertThat(again.r()).containsExactly(nested.r());
    }

    /** SDM Vol. 3C 31.2 (conventions) and 31.3 (each instruction's VMfail cases), 31.4 (error numbers). */
    @Test
    void instructionConventions() {
        Result n = nested;
        assertThat(n.at(0x00)).as("VMXON: VMsucceed").isZero();
        assertThat(n.at(0x04)).as("VMXON in VMX operation without a current VMCS: VMfailInvalid").isEqualTo(CF);
        assertThat(n.at(0x08)).as("VMREAD without a current VMCS: VMfailInvalid").isEqualTo(CF);
        assertThat(n.at(0x0c)).as("VMPTRLD of an unaligned pointer without a current VMCS: VMfailInvalid").isEqualTo(CF);
        assertThat(n.at(0x10)).as("VMCLEAR: VMsucceed").isZero();
        assertThat(n.at(0x14)).as("VMPTRLD: VMsucceed").isZero();
        assertThat(n.at(0x18)).as("VMPTRST: VMsucceed").isZero();
        assertThat(n.vmptrst()).as("VMPTRST stores the current-VMCS pointer").isEqualTo(VMCS);
        assertThat(new long[] {n.at(0x1c), n.at(0x20)}).as("VMPTRLD bad address: VMfailValid(9)").containsExactly(ZF, 9);
        assertThat(new long[] {n.at(0x24), n.at(0x28)}).as("VMPTRLD VMXON pointer: VMfailValid(10)").containsExactly(ZF, 10);
        assertThat(new long[] {n.at(0x2c), n.at(0x30)}).as("VMXON in VMX root: VMfailValid(15)").containsExactly(ZF, 15);
        assertThat(new long[] {n.at(0x34), n.at(0x38)}).as("VMREAD unsupported field: VMfailValid(12)")
                .containsExactly(ZF, 12);
        assertThat(new long[] {n.at(0x3c), n.at(0x40)}).as("VMRESUME, launch state clear: VMfailValid(5)")
                .containsExactly(ZF, 5);
        assertThat(new long[] {n.at(0x44), n.at(0x48)}).as("VMCLEAR VMXON pointer: VMfailValid(3)").containsExactly(ZF, 3);
        assertThat(new long[] {n.at(0x4c), n.at(0x50)}).as("VMLAUNCH, invalid controls (28.2.1.1): VMfailValid(7)")
                .containsExactly(ZF, 7);
        assertThat(n.at(0xa0)).as("VMXOFF: VMsucceed").isZero();
        assertThat(new long[] {n.at(0xa4), n.at(0xa8)}).as("VMLAUNCH, host CR4.VMXE = 0 (28.2.2): VMfailValid(8)")
                .containsExactly(ZF, 8);
        assertThat(n.at(0xac)).as("guest RFLAGS[1] = 0 (28.3.1.4): VM-entry failure, reason 33 with bit 31")
                .isEqualTo(0x80000021L);
        assertThat(n.at(0xb0)).as("exit qualification of the entry failure").isZero();
        assertThat(n.at(0x54)).as("no VMLAUNCH fell through").isZero();
        assertThat(new long[] {n.at(0xb4), n.at(0xb8)}).as("INVEPT type 3: VMfailValid(28)").containsExactly(ZF, 28);
        assertThat(new long[] {n.at(0xbc), n.at(0xc0)}).as("INVVPID single-address, VPID 0: VMfailValid(28)")
                .containsExactly(ZF, 28);
        assertThat(n.at(0xc4)).as("INVVPID all-context: VMsucceed").isZero();
    }

    /**
     * An exit L1 asked for goes to L1 with its exit information (29.2) and L2's state saved (29.3): CPUID (10, length
     * 2, L2's RIP), the VMCALLs (18). OUT 80H exits only because L0 traps port I/O: L0 forwards it and L2 resumes
     * (its EAX is intact at the next VMCALL); L1 never sees it, and the exit trace marks L2's exits with "level": 2.
     */
    @Test
    void exitsGoToL1OnlyWhenL1AskedForThem() {
        Result n = nested;
        assertThat(n.at(0x60)).as("CPUID exit reason").isEqualTo(10);
        assertThat(n.at(0x64)).as("CPUID instruction length").isEqualTo(2);
        assertThat(n.at(0x68)).as("guest RIP at the CPUID").isEqualTo(L2_CODE + 5);
        assertThat(n.at(0xc8)).as("UD2 in L2 with #UD in L1's exception bitmap: exit reason 0").isZero();
        assertThat(n.at(0xcc)).as("interruption information: valid, hardware exception, #UD").isEqualTo(0x80000306L);
        assertThat(n.at(0xd0)).as("guest RIP at the UD2").isEqualTo(L2_CODE + 7);
        assertThat(n.at(0xd8)).as("RDMSR 174H with its bit set in L1's MSR bitmap: exit reason 31").isEqualTo(31);
        assertThat(n.at(0xdc)).as("ECX at that exit").isEqualTo(0x174);
        assertThat(n.at(0xe0)).as("RDMSR 480H (bit clear in L1's bitmap) read IA32_VMX_BASIC[31:0] without an exit to L1")
                .isEqualTo(0x68760001L);
        assertThat(n.at(0x70)).as("next exit L1 sees: the VMCALL").isEqualTo(18);
        assertThat(n.at(0x7c)).as("L2's EAX after the OUT L0 handled").isEqualTo(0x1234);
        assertThat(n.trace()).contains("\"kind\":\"io\"");
        String io = n.trace().lines().filter(l -> l.contains("\"kind\":\"io\"") && l.contains("\"level\":2"))
                .findFirst().orElseThrow();
        assertThat(io).contains("\"handled\":\"forwarded\"").doesNotContain("reflected");
        java.util.List<String> cpuid = n.trace().lines()
                .filter(l -> l.contains("\"kind\":\"cpuid\"") && l.contains("\"level\":2")).toList();
        assertThat(cpuid).hasSize(1);
        assertThat(cpuid.get(0)).contains("\"handled\":\"reflected\"");
        assertThat(n.trace().lines().filter(l -> l.contains("\"kind\":\"virt_instruction\"")).count())
                .as("L1's VMX instructions exit to L0 as level-1 exits").isGreaterThan(50);
    }

    /**
     * Shadow EPT: L2 reads X through L1's EPT (page X), L1 remaps X to page B in its EPT and executes INVEPT
     * single-context (VMsucceed), and L2's next read of X sees B (30.4.3.1: after INVEPT no stale translation of the
     * EPTP remains). A read of Y, not present in L1's EPT, is an EPT violation reflected to L1 (48; qualification:
     * read, guest-linear address valid, final translation; guest-physical address Y, 29.2.1, 29.3.3.2); after L1 maps
     * Y, L2's retried read gets Y's value.
     */
    @Test
    void shadowEptFollowsL1sTablesAndInvept() {
        Result n = nested;
        assertThat(n.at(0x78)).as("first read of X").isEqualTo(0xaaaa1111L);
        assertThat(n.at(0x80)).as("INVEPT single-context: VMsucceed").isZero();
        assertThat(n.at(0x84)).isEqualTo(18);
        assertThat(n.at(0x88)).as("read of X after the remap and INVEPT").isEqualTo(0xbbbb2222L);
        assertThat(n.at(0x8c)).as("EPT violation").isEqualTo(48);
        assertThat(n.at(0x90) & 0x1bf).as("qualification: read, no permissions, linear valid, final").isEqualTo(1 | 1 << 7 | 1 << 8);
        assertThat(n.at(0x94)).as("guest-physical address").isEqualTo(Y);
        assertThat(n.at(0x98)).isEqualTo(18);
        assertThat(n.at(0x9c)).as("read of Y after L1 mapped it").isEqualTo(0xcccc3333L);
    }

    /**
     * What L1 sees of VMX (Appendix A): the model's allowed-0 settings (so a hypervisor computes the same control words
     * as on the bare model) and only the allowed-1 settings nested VMX emulates.
     */
    @Test
    void capabilitiesAdvertiseOnlyWhatNestedSupports() {
        VmxCapabilities real = VmxCapabilities.forProfile(CpuProfile.load("intel-core"));
        VmxCapabilities n = NestedVmx.capabilities(real);
        assertThat(n.raw(VmxMsr.IA32_VMX_BASIC)).isEqualTo(real.raw(VmxMsr.IA32_VMX_BASIC));
        long proc = n.raw(VmxMsr.IA32_VMX_TRUE_PROCBASED_CTLS).orElseThrow();
        long realProc = real.raw(VmxMsr.IA32_VMX_TRUE_PROCBASED_CTLS).orElseThrow();
        assertThat(proc & 0xffffffffL).isEqualTo(realProc & 0xffffffffL);
        assertThat(proc >>> 32 & ~(NestedVmx.PROC_SUPPORTED | realProc & 0xffffffffL)).isZero();
        assertThat(proc >>> 32 & 1L << 21).as("TPR shadow not offered").isZero();
        long proc2 = n.raw(VmxMsr.IA32_VMX_PROCBASED_CTLS2).orElseThrow() >>> 32;
        assertThat(proc2 & 1L << 14).as("VMCS shadowing not offered").isZero();
        assertThat(proc2 & 1L << 13).as("VM functions not offered").isZero();
        assertThat(proc2 & NestedVmx.P2_EPT).isNotZero();
        assertThat(n.raw(VmxMsr.IA32_VMX_VMFUNC)).isEmpty();
        assertThat(n.raw(VmxMsr.IA32_VMX_MISC).orElseThrow() & (0x1c0L | 0x1ffL << 16))
                .as("no activity states, no CR3 targets").isZero();
        assertThat(n.raw(VmxMsr.IA32_VMX_EPT_VPID_CAP).orElseThrow() & (1L | 1L << 7 | 1L << 21))
                .as("no execute-only, 5-level or A/D EPT").isZero();
    }
}
