package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Nested SVM ({@link NestedSvm}): small hand-assembled L1 hypervisors run bare on amd-zen and as the guest of the Java
 * VMM ({@code Virt.SVM}); each writes what it observed (EXITCODE, NRIP, exception vectors, values its L2 read) to
 * memory, and the two runs must agree with each other and with the AMD APM. The VMM's run must also show its L2 exits
 * in the trace ({@code "level": 2}) with how they were handled.
 */
class NestedSvmTest {
    static final long GDT = 0x1000, IDT = 0x2000, CODE = 0x100000, HANDLERS = 0x100800, L2_CODE = 0x180000,
            L2_STACK = 0x190000, VMCB12 = 0x200000, HSAVE = 0x201000, IOPM = 0x210000, MSRPM = 0x214000,
            OUT = 0x220000, L1_PML4 = 0x80000, NPT = 0x90000, TEST_GPA = 0x600000, PAGE_A = 0x700000,
            PAGE_B = 0x701000;
    static final int VECTORS = 0x41;
    static final long EFER = 0xc0000080L, VM_CR = 0xc0010114L, VM_HSAVE_PA = 0xc0010117L;

    /** x86 bytes whose encodings mean the same in 32-bit and 64-bit mode (absolute addresses through SIB, no RIP). */
    static final class Asm {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Asm bytes(int... v) {
            for (int x : v) {
                b.write(x);
            }
            return this;
        }

        Asm imm32(long v) {
            return bytes((int) v & 0xff, (int) (v >>> 8) & 0xff, (int) (v >>> 16) & 0xff, (int) (v >>> 24) & 0xff);
        }

        /** B8+r: MOV r32, imm32 (0 EAX, 1 ECX, 2 EDX, 3 EBX). */
        Asm mov(int r, long imm) { return bytes(0xb8 + r).imm32(imm); }
        /** 8B 04 25: MOV EAX, [disp32]. */
        Asm load(long a) { return bytes(0x8b, 0x04, 0x25).imm32(a); }
        /** 89 04 25: MOV [disp32], EAX. */
        Asm store(long a) { return bytes(0x89, 0x04, 0x25).imm32(a); }
        /** REX.W 8B / 89: the 64-bit forms (64-bit mode only). */
        Asm load64(long a) { return bytes(0x48).load(a); }
        Asm store64(long a) { return bytes(0x48).store(a); }
        /** C6 04 25 ib: MOV BYTE [disp32], imm8. */
        Asm storeByte(long a, int v) { return bytes(0xc6, 0x04, 0x25).imm32(a).bytes(v); }
        Asm wrmsr(long msr, long value) { return mov(1, msr).mov(0, value).mov(2, value >>> 32).bytes(0x0f, 0x30); }
        /** RDMSR; OR EAX, bits; WRMSR. */
        Asm setMsrBits(long msr, long bits) { return mov(1, msr).bytes(0x0f, 0x32, 0x0d).imm32(bits).bytes(0x0f, 0x30); }
        Asm vmrun(long vmcb) { return mov(0, vmcb).bytes(0x0f, 0x01, 0xd8); }
        Asm vmload(long vmcb) { return mov(0, vmcb).bytes(0x0f, 0x01, 0xda); }
        Asm invlpga(long linear, long asid) { return mov(0, linear).mov(1, asid).bytes(0x0f, 0x01, 0xdf); }
        Asm cpuid() { return bytes(0x0f, 0xa2); }
        Asm vmmcall() { return bytes(0x0f, 0x01, 0xd9); }
        /** MOV AL, c; OUT E9H, AL (debug console). */
        Asm putc(char c) { return bytes(0xb0, c, 0xe6, 0xe9); }
        /** MOV EAX, 0; OUT F4H, EAX (debug exit, value 0: status 1). */
        Asm end() { return mov(0, 0).bytes(0xe7, 0xf4, 0xf4); }
        int size() { return b.size(); }
        byte[] toArray() { return b.toByteArray(); }
    }

    /** One run: the console, the end, OUT[0..7] as 32-bit words, the exit trace (VMM runs). */
    record Result(String console, RunOutcome outcome, long[] out, String trace, String failure) {}

    static Result run(Virt virt, byte[] l1, Consumer<Machine> setup) throws Exception {
        return run(virt, l1, setup, InterceptPolicy.defaults());
    }

    static Result run(Virt virt, byte[] l1, Consumer<Machine> setup, InterceptPolicy policy) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ByteArrayOutputStream trace = new ByteArrayOutputStream();
        Machine m = new Machine(MachineConfig.of(CpuProfile.load("amd-zen"), console));
        Vmm vmm = null;
        if (virt != Virt.NONE) {
            vmm = Vmm.attach(m, virt, policy);
            vmm.traceTo(trace);
        }
        m.loadFlat(l1, CODE, -1);
        setup.accept(m);
        RunOutcome o = m.run(RunLimits.instructions(1_000_000));
        long[] out = new long[8];
        for (int i = 0; i < out.length; i++) {
            out[i] = m.memory().read(OUT + 4L * i, 4);
        }
        if (vmm != null) {
            vmm.flush();
        }
        return new Result(console.toString(StandardCharsets.ISO_8859_1), o, out, trace.toString(StandardCharsets.UTF_8),
                vmm == null ? null : vmm.failure());
    }

    /** Runs bare and under the VMM; both must end with the debug exit (status 1) and agree on console and OUT. */
    static Result bareAndNested(byte[] l1, Consumer<Machine> setup) throws Exception {
        return bareAndNested(l1, setup, InterceptPolicy.defaults());
    }

    static Result bareAndNested(byte[] l1, Consumer<Machine> setup, InterceptPolicy policy) throws Exception {
        Result bare = run(Virt.NONE, l1, setup);
        Result nested = run(Virt.SVM, l1, setup, policy);
        assertThat(nested.failure()).isNull();
        assertThat(bare.outcome()).as(bare.outcome().describe()).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(nested.outcome()).as(nested.outcome().describe()).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(nested.console()).isEqualTo(bare.console());
        assertThat(nested.out()).as("what L1 saw, under the VMM vs bare").containsExactly(bare.out());
        return nested;
    }

    static void write(Machine m, long pa, byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            m.memory().write(pa + i, 1, bytes[i] & 0xff);
        }
    }

    static void q(Machine m, long pa, long v) {
        m.memory().write(pa, 8, v);
    }

    /**
     * A flat GDT (08H 32-bit code, 10H data, 18H 64-bit code) and an IDT whose vector-n gate (32-bit interrupt gate)
     * runs a handler that stores n at OUT + 10H and ends the run.
     */
    static void gdtAndIdt(Machine m) {
        q(m, GDT + 8, 0x00cf9a000000ffffL);
        q(m, GDT + 16, 0x00cf92000000ffffL);
        q(m, GDT + 24, 0x00af9a000000ffffL);
        for (int n = 0; n < VECTORS; n++) {
            long h = HANDLERS + 32L * n;
            write(m, h, new Asm().mov(0, n).store(OUT + 0x10).end().toArray());
            long gate = (h & 0xffff) | 0x08L << 16 | 0x8eL << 40 | (h >>> 16 & 0xffff) << 48;
            q(m, IDT + 8L * n, gate);
        }
        Cpu c = m.cpus().get(0);
        CpuState s = c.state();
        s.gdtrBase = GDT;
        s.gdtrLimit = 31;
        s.idtrBase = IDT;
        s.idtrLimit = VECTORS * 8 - 1;
        s.gpr[Reg.RSP] = 0x8000;
        s.seg[Reg.CS].set(0x08, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_DB);
        for (int r : new int[] {Reg.ES, Reg.SS, Reg.DS, Reg.FS, Reg.GS}) {
            s.seg[r].set(0x10, 0, 0xffffffffL, 0x93 | Segment.ATTR_G | Segment.ATTR_DB);
        }
        c.modeChanged();
    }

    /**
     * VMCB12 of a 32-bit protected-mode L2 without paging (flat segments of {@link #gdtAndIdt}) at {@link #L2_CODE},
     * intercepting VMRUN, VMMCALL and whatever {@code misc1} says; ASID 1; no IOPM/MSRPM bits.
     */
    static void vmcb12(Machine m, long misc1, long asid) {
        long v = VMCB12;
        m.memory().write(v + 0x00c, 4, misc1);
        m.memory().write(v + 0x010, 4, 3); // VMRUN, VMMCALL
        q(m, v + 0x040, IOPM);
        q(m, v + 0x048, MSRPM);
        m.memory().write(v + 0x058, 4, asid);
        long code = 0x08 | 0xc9bL << 16 | 0xffffffffL << 32, data = 0x10 | 0xc93L << 16 | 0xffffffffL << 32;
        for (int i = 0; i < 4; i++) { // ES CS SS DS: selector, attrib, limit; base 0
            q(m, v + 0x400 + 16 * i, i == 1 ? code : data);
        }
        m.memory().write(v + 0x464, 4, 31);
        q(m, v + 0x468, GDT);
        q(m, v + 0x4d0, 0x1000); // EFER.SVME
        q(m, v + 0x558, 0x11); // CR0: PE, ET
        q(m, v + 0x560, 0x400);
        q(m, v + 0x568, 0xffff0ff0L);
        q(m, v + 0x570, 2);
        q(m, v + 0x578, L2_CODE);
        q(m, v + 0x5d8, L2_STACK);
        q(m, v + 0x668, 0x0007040600070406L);
    }

    static long[] words(long... w) {
        return w;
    }

    /**
     * Exit reflection (APM Vol. 2 15.6): the L2 guest's OUT to the debug console is not intercepted by L1 (no IOIO
     * intercept), so L0 handles it and L2 resumes; its CPUID is (CPUID intercept), so L1 sees EXITCODE 72H with NRIP =
     * the next instruction (15.7.1) and RIP = the CPUID; L1 resumes L2 at NRIP and gets the VMMCALL (81H).
     */
    @Test
    void anExitL1InterceptsGoesToL1AndOneOnlyL0InterceptsResumesL2() throws Exception {
        Asm l1 = new Asm().setMsrBits(EFER, 0x1000).wrmsr(VM_HSAVE_PA, HSAVE).vmrun(VMCB12)
                .load(VMCB12 + 0x70).store(OUT).load(VMCB12 + 0xc8).store(OUT + 4).load(VMCB12 + 0x578).store(OUT + 8)
                .load(VMCB12 + 0x78).store(OUT + 12);
        l1.load(VMCB12 + 0xc8).store(VMCB12 + 0x578).vmrun(VMCB12).load(VMCB12 + 0x70).store(OUT + 16).end();
        byte[] l2 = new Asm().putc('Z').cpuid().vmmcall().bytes(0xf4).toArray();
        Result r = bareAndNested(l1.toArray(), m -> {
            gdtAndIdt(m);
            write(m, L2_CODE, l2);
            vmcb12(m, 1L << 18, 1); // CPUID
        });
        assertThat(r.console()).isEqualTo("Z");
        assertThat(r.out()).containsExactly(0x72, L2_CODE + 6, L2_CODE + 4, 0, 0x81, 0, 0, 0);
        List<String> l2Exits = lines(r.trace(), "\"level\":2");
        l2Exits.removeIf(l -> l.contains("nested_page_fault")); // L0 backing L2's pages (L2 runs on L0's tables)
        assertThat(l2Exits).hasSize(3);
        assertThat(l2Exits.get(0)).contains("\"kind\":\"io\"", "\"handled\":\"forwarded\"");
        assertThat(l2Exits.get(1)).contains("\"kind\":\"cpuid\"", "\"handled\":\"reflected\"");
        assertThat(l2Exits.get(2)).contains("\"kind\":\"hypercall\"", "\"handled\":\"reflected\"");
        assertThat(lines(r.trace(), "\"exitcode\":\"0x80\"")).hasSize(2)
                .allSatisfy(l -> assertThat(l).contains("\"handled\":\"emulated\"").doesNotContain("level"));
    }

    /**
     * Interrupts while L2 runs (APM Vol. 2 15.13.1, 15.17): L1 clears GIF, sends itself an IPI (pending), runs an L2
     * with IF = 1 and the INTR intercept: L2 exits at once with EXITCODE 60H, L1 gets it with GIF = 0 and takes the
     * interrupt (vector 40H, through its own IDT) only after its STGI and STI.
     */
    @Test
    void anInterruptWhileL2RunsReachesL1ThroughItsIntrIntercept() throws Exception {
        Asm l1 = new Asm().setMsrBits(EFER, 0x1000).wrmsr(VM_HSAVE_PA, HSAVE).bytes(0x0f, 0x01, 0xdd); // CLGI
        l1.mov(0, 0x1ff).store(0xfee000f0L).mov(0, 0x40040).store(0xfee00300L); // APIC on; self IPI, vector 40H
        l1.vmrun(VMCB12).load(VMCB12 + 0x70).store(OUT).mov(0, 0x55).store(OUT + 4);
        l1.bytes(0x0f, 0x01, 0xdc, 0xfb, 0x90); // STGI; STI; NOP: the interrupt comes here
        l1.mov(0, 0x99).store(OUT + 0x10).end();
        Result r = bareAndNested(l1.toArray(), m -> {
            gdtAndIdt(m);
            write(m, L2_CODE, new Asm().bytes(0xeb, 0xfe).toArray()); // JMP $
            vmcb12(m, 1, 1); // INTR
            q(m, VMCB12 + 0x570, 0x202);
        });
        assertThat(r.out()).containsExactly(0x60, 0x55, 0, 0, 0x40, 0, 0, 0);
        assertThat(lines(r.trace(), "\"level\":2")).anySatisfy(l -> assertThat(l)
                .contains("\"exitcode\":\"0x60\"", "\"handled\":\"reflected\""));
    }

    /**
     * L1's I/O and MSR permission maps (APM Vol. 2 15.10.1, 15.11) with an L0 that does not trap those itself (policy
     * without I/O and MSR interception): L0 merges them into VMCB02's maps. L2's OUT to port 80H (set in L1's IOPM) and
     * RDMSR of PAT (read bit set in L1's MSRPM) reach L1 (EXITINFO1, 15.10.2: port 80H, A32, SZ8, OUT; 0 = RDMSR); its OUT to the
     * debug console (clear in L1's IOPM) goes to the device without any exit.
     */
    @Test
    void l1sPermissionMapsAreMergedIntoL0s() throws Exception {
        Asm l1 = new Asm().setMsrBits(EFER, 0x1000).wrmsr(VM_HSAVE_PA, HSAVE).vmrun(VMCB12)
                .load(VMCB12 + 0x70).store(OUT).load(VMCB12 + 0x78).store(OUT + 4);
        l1.load(VMCB12 + 0xc8).store(VMCB12 + 0x578).vmrun(VMCB12).load(VMCB12 + 0x70).store(OUT + 8)
                .load(VMCB12 + 0x78).store(OUT + 12).end();
        byte[] l2 = new Asm().putc('Q').bytes(0xb0, 0x42, 0xe6, 0x80).mov(1, 0x277).bytes(0x0f, 0x32).vmmcall()
                .toArray(); // OUT E9H 'Q'; OUT 80H, 42H; RDMSR PAT
        Result r = bareAndNested(l1.toArray(), m -> {
            gdtAndIdt(m);
            write(m, L2_CODE, l2);
            vmcb12(m, 1L << 27 | 1L << 28, 1); // IOIO_PROT, MSR_PROT
            m.memory().write(IOPM + 0x80 / 8, 1, 1); // port 80H
            m.memory().write(MSRPM + 0x277 * 2 / 8, 1, 1 << (0x277 * 2 % 8)); // RDMSR 277H
        }, new InterceptPolicy(false, false, true, true, 0, false));
        assertThat(r.console()).isEqualTo("Q");
        assertThat(r.out()).containsExactly(0x7b, 0x800110, 0x7c, 0, 0, 0, 0, 0);
        assertThat(lines(r.trace(), "\"level\":2")).noneMatch(l -> l.contains("\"exitinfo1\":\"0xe9"));
    }

    static List<String> lines(String trace, String needle) {
        List<String> out = new ArrayList<>();
        for (String l : trace.split("\n")) {
            if (l.contains(needle)) {
                out.add(l);
            }
        }
        return out;
    }

    /** The instruction-level failure conventions (AMD APM Vol. 3 instruction pages, Vol. 2 15.30.1/15.30.4). */
    enum Failure {
        /** VMRUN: #UD when EFER.SVME = 0. */
        VMRUN_WITHOUT_SVME(new Asm().vmrun(VMCB12), 6),
        /** VMRUN: #GP(0) when rAX is not 4 KiB aligned. */
        VMRUN_UNALIGNED(new Asm().setMsrBits(EFER, 0x1000).vmrun(VMCB12 + 8), 13),
        /** VMLOAD: #UD when EFER.SVME = 0. */
        VMLOAD_WITHOUT_SVME(new Asm().vmload(VMCB12), 6),
        /** CLGI: #UD when EFER.SVME = 0. */
        CLGI_WITHOUT_SVME(new Asm().bytes(0x0f, 0x01, 0xdd), 6),
        /** INVLPGA: #UD when EFER.SVME = 0. */
        INVLPGA_WITHOUT_SVME(new Asm().invlpga(0, 1), 6),
        /** WRMSR VM_HSAVE_PA: #GP(0) unless 4 KiB aligned (15.30.4). */
        HSAVE_UNALIGNED(new Asm().wrmsr(VM_HSAVE_PA, HSAVE + 0x10), 13),
        /** WRMSR EFER.SVME = 1 while VM_CR.SVMDIS = 1: #GP(0) (15.30.1). */
        SVME_WITH_SVMDIS(new Asm().wrmsr(VM_CR, 0x10).setMsrBits(EFER, 0x1000), 13);

        final byte[] code;
        final int vector;

        Failure(Asm a, int vector) {
            this.code = a.end().toArray();
            this.vector = vector;
        }
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void emulatedInstructionsFaultAsTheApmSays(Failure f) throws Exception {
        Result r = bareAndNested(f.code, m -> {
            gdtAndIdt(m);
            vmcb12(m, 0, 1);
        });
        assertThat(r.out()[4]).as("the exception vector L1 took").isEqualTo(f.vector);
    }

    /**
     * VMRUN's consistency checks on VMCB12 are svm-model's rules (APM Vol. 2 15.5.1): ASID 0 gives L1
     * #VMEXIT(VMEXIT_INVALID) (EXITCODE -1) and L1 continues after its VMRUN; the trace names the rule.
     */
    @Test
    void anInvalidVmcb12GivesVmexitInvalidWithTheRuleInTheTrace() throws Exception {
        byte[] l1 = new Asm().setMsrBits(EFER, 0x1000).wrmsr(VM_HSAVE_PA, HSAVE).vmrun(VMCB12).load(VMCB12 + 0x70)
                .store(OUT).load(VMCB12 + 0x74).store(OUT + 4).end().toArray();
        Result r = bareAndNested(l1, m -> {
            gdtAndIdt(m);
            vmcb12(m, 0, 0);
        });
        assertThat(r.out()).containsExactly(0xffffffffL, 0xffffffffL, 0, 0, 0, 0, 0, 0);
        assertThat(lines(r.trace(), "\"exitcode\":\"0x80\"")).singleElement().asString()
                .contains("\"vmcb12_invalid\":[\"SVM-VMRUN-ASID0\"]");
    }

    /**
     * GIF after a failed VMRUN (APM Vol. 2 15.6, 15.17: GIF is 0 after every #VMEXIT, VMEXIT_INVALID included): L1
     * holds a self IPI with CLI, its VMRUN of an invalid VMCB12 fails, then STI: the interrupt stays held by GIF = 0
     * until L1's STGI, so the marker stored in between is there (bare and nested alike).
     */
    @Test
    void aFailedVmrunLeavesL1WithGifClear() throws Exception {
        Asm l1 = new Asm().setMsrBits(EFER, 0x1000).wrmsr(VM_HSAVE_PA, HSAVE).bytes(0xfa); // CLI
        l1.mov(0, 0x1ff).store(0xfee000f0L).mov(0, 0x40040).store(0xfee00300L); // APIC on; self IPI, vector 40H
        l1.vmrun(VMCB12).load(VMCB12 + 0x70).store(OUT);
        l1.bytes(0xfb, 0x90).mov(0, 0x55).store(OUT + 4); // STI; NOP: GIF = 0 still holds the interrupt
        l1.bytes(0x0f, 0x01, 0xdc, 0x90); // STGI; NOP: the interrupt comes here
        l1.mov(0, 0x99).store(OUT + 0x10).end();
        Result r = bareAndNested(l1.toArray(), m -> {
            gdtAndIdt(m);
            vmcb12(m, 0, 0); // ASID 0: SVM-VMRUN-ASID0
        });
        assertThat(r.out()).containsExactly(0xffffffffL, 0x55, 0, 0, 0x40, 0, 0, 0);
    }

    /**
     * Shadow nested paging (APM Vol. 2 15.25, 15.16.1): an L1 in long mode gives its 32-bit L2 nested tables that
     * map guest-physical 600000H to page A, then (after each VMMCALL) remaps it to page B and flushes with
     * TLB_CONTROL = 1, then back to A and flushes with INVLPGA; L2 reads 600000H each time and must see A, B, A. A
     * fourth L2 access, to a page L1's tables leave unmapped, is a #VMEXIT(NPF) to L1 with EXITINFO1 = 4 (not
     * present, read, user; bit 32: the final guest-physical address) and EXITINFO2 = the address (15.25.6).
     */
    @Test
    void l2SeesL1sSecondLevelTablesAfterTheRequiredInvalidation() throws Exception {
        long pt = NPT + 0x3000;
        Asm l1 = new Asm().wrmsr(VM_HSAVE_PA, HSAVE).vmrun(VMCB12).load(VMCB12 + 0x5f8).store(OUT);
        l1.load64(VMCB12 + 0xc8).store64(VMCB12 + 0x578);
        l1.mov(0, PAGE_B | 7).store(pt).storeByte(VMCB12 + 0x5c, 1); // PTE of 600000H -> B; TLB_CONTROL = 1
        l1.vmrun(VMCB12).load(VMCB12 + 0x5f8).store(OUT + 4).load64(VMCB12 + 0xc8).store64(VMCB12 + 0x578);
        l1.mov(0, PAGE_A | 7).store(pt).storeByte(VMCB12 + 0x5c, 0).invlpga(TEST_GPA, 1); // -> A; INVLPGA
        l1.vmrun(VMCB12).load(VMCB12 + 0x5f8).store(OUT + 8).load64(VMCB12 + 0xc8).store64(VMCB12 + 0x578);
        l1.vmrun(VMCB12).load(VMCB12 + 0x70).store(OUT + 12).load(VMCB12 + 0x78).store(OUT + 16)
                .load(VMCB12 + 0x7c).store(OUT + 20).load(VMCB12 + 0x80).store(OUT + 24);
        l1.end();
        // L2: read 600000H, VMMCALL, three times; then read 800000H (unmapped in L1's nested tables)
        Asm l2 = new Asm();
        for (int i = 0; i < 3; i++) {
            l2.load(TEST_GPA).vmmcall();
        }
        l2.load(0x800000).vmmcall().bytes(0xf4);
        Result r = bareAndNested(l1.toArray(), m -> {
            gdtAndIdt(m);
            longMode(m);
            write(m, L2_CODE, l2.toArray());
            vmcb12(m, 0, 1);
            q(m, VMCB12 + 0x090, 1); // NP_ENABLE
            q(m, VMCB12 + 0x0b0, NPT);
            // L1's nested tables: 0-6 MiB identity in 2 MiB pages, 6-8 MiB in 4 KiB pages, 600000H -> A; none above
            q(m, NPT, (NPT + 0x1000) | 7);
            q(m, NPT + 0x1000, (NPT + 0x2000) | 7);
            for (int i = 0; i < 4; i++) {
                q(m, NPT + 0x2000 + 8L * i, i == 3 ? pt | 7 : (long) i << 21 | 0x87);
            }
            for (int i = 0; i < 512; i++) {
                q(m, pt + 8L * i, (i == 0 ? PAGE_A : 0x600000L + ((long) i << 12)) | 7);
            }
            m.memory().write(PAGE_A, 4, 0x11111111L);
            m.memory().write(PAGE_B, 4, 0x22222222L);
        });
        assertThat(r.out()).containsExactly(0x11111111L, 0x22222222L, 0x11111111L, 0x400, 4, 1, 0x800000, 0);
        assertThat(lines(r.trace(), "\"level\":2")).anySatisfy(l -> assertThat(l)
                .contains("\"kind\":\"nested_page_fault\"", "\"handled\":\"mapped\""));
        assertThat(lines(r.trace(), "\"level\":2")).anySatisfy(l -> assertThat(l)
                .contains("\"kind\":\"nested_page_fault\"", "\"handled\":\"reflected\""));
    }

    /**
     * L1's nested tables of {@link #l2SeesL1sSecondLevelTablesAfterTheRequiredInvalidation}: 0-6 MiB identity in
     * 2 MiB pages, 6-8 MiB in 4 KiB pages (600000H -> page A, the rest identity), 1 GiB-2 GiB a 1 GiB page, nothing
     * else; then {@code edit} changes entries (given the machine and the page table's address).
     */
    static void nestedTables(Machine m, java.util.function.BiConsumer<Machine, Long> edit) {
        long pt = NPT + 0x3000;
        q(m, VMCB12 + 0x090, 1); // NP_ENABLE
        q(m, VMCB12 + 0x0b0, NPT);
        q(m, NPT, (NPT + 0x1000) | 7);
        q(m, NPT + 0x1000, (NPT + 0x2000) | 7);
        q(m, NPT + 0x1008, 0x40000000L | 0x87);
        for (int i = 0; i < 4; i++) {
            q(m, NPT + 0x2000 + 8L * i, i == 3 ? pt | 7 : (long) i << 21 | 0x87);
        }
        for (int i = 0; i < 512; i++) {
            q(m, pt + 8L * i, (i == 0 ? PAGE_A : 0x600000L + ((long) i << 12)) | 7);
        }
        edit.accept(m, pt);
    }

    /** L1: VMRUN VMCB12 once, then EXITCODE, EXITINFO1 (low, high) and EXITINFO2 to OUT .. OUT + 12. */
    private static Asm l1ReportingTheExit() {
        return new Asm().wrmsr(VM_HSAVE_PA, HSAVE).vmrun(VMCB12).load(VMCB12 + 0x70).store(OUT)
                .load(VMCB12 + 0x78).store(OUT + 4).load(VMCB12 + 0x7c).store(OUT + 8).load(VMCB12 + 0x80)
                .store(OUT + 12).end();
    }

    /** Where L1's nested tables put NX (bit 63) for 600000H: its PTE, or the PDE above (6-8 MiB). */
    enum NxLevel {
        PTE(NPT + 0x3000),
        PDE(NPT + 0x2000 + 3 * 8);

        final long entry;

        NxLevel(long entry) {
            this.entry = entry;
        }
    }

    /**
     * NX in L1's nested tables (APM Vol. 2 15.25.5, 5.6: with L1's EFER.NXE = 1, NX in any level of the nested walk
     * forbids instruction fetches): L2 reads 600000H (page A, allowed: the shadow maps the page), then jumps there.
     * The fetch is a #VMEXIT(NPF) to L1 (15.25.6) with EXITINFO1 = P | US | ID (15H) and bit 32 (final guest-physical
     * address), EXITINFO2 = 600000H, as bare, although the shadow already mapped the page for the read.
     */
    @ParameterizedTest
    @EnumSource(NxLevel.class)
    void l2CannotExecuteFromAPageL1sNestedTablesMarkNoExecute(NxLevel level) throws Exception {
        Asm l1 = l1ReportingTheExit();
        byte[] l2 = new Asm().load(TEST_GPA).store(OUT + 20).mov(0, TEST_GPA).bytes(0xff, 0xe0).toArray(); // JMP EAX
        Result r = bareAndNested(l1.toArray(), m -> {
            gdtAndIdt(m);
            longMode(m);
            m.cpus().get(0).state().efer |= Cpu.EFER_NXE;
            write(m, L2_CODE, l2);
            vmcb12(m, 0, 1);
            nestedTables(m, (mm, pt) -> q(mm, level.entry, mm.memory().read(level.entry, 8) | 1L << 63));
            write(m, PAGE_A, new Asm().vmmcall().bytes(0xf4).toArray()); // what L2 would run without NX
        });
        assertThat(r.out()).containsExactly(0x400, 0x15, 1, TEST_GPA, 0, 0xf4d9010fL, 0, 0);
        List<String> npf = lines(r.trace(), "\"kind\":\"nested_page_fault\"");
        assertThat(npf).anySatisfy(l -> assertThat(l)
                .contains("\"level\":2", "\"exitinfo2\":\"0x600000\"", "\"handled\":\"mapped\""));
        assertThat(npf).anySatisfy(l -> assertThat(l)
                .contains("\"level\":2", "\"exitinfo2\":\"0x600000\"", "\"handled\":\"reflected\""));
    }

    /** Reserved bits in L1's nested entries (APM Vol. 2 5.3 long-mode translation, 5.4 entry fields: MBZ bits; 5.6 NX; 15.25.5). */
    enum ReservedBit {
        /** A PTE address bit at MAXPHYADDR (48 on amd-zen). */
        PTE_ABOVE_MAXPHYADDR(0x601000, true, NPT + 0x3000 + 8, 0x601000L | 1L << 48 | 7),
        /** NX (bit 63) in a PTE while L1's EFER.NXE = 0 (APM 5.6: reserved then). */
        PTE_NX_WITHOUT_NXE(0x601000, false, NPT + 0x3000 + 8, 0x601000L | 1L << 63 | 7),
        /** A 2 MiB PDE with bit 13 set (bits 20:13 of a 2 MiB page are reserved). */
        LARGE_PDE_LOW_BIT(0x800000, true, NPT + 0x2000 + 4 * 8, 0x800000L | 1L << 13 | 0x87),
        /** A 1 GiB PDPTE with bit 21 set (bits 29:13 of a 1 GiB page are reserved). */
        HUGE_PDPTE_LOW_BIT(0x40000000, true, NPT + 0x1008, 0x40000000L | 1L << 21 | 0x87);

        final long address, entry, value;
        final boolean nxe;

        ReservedBit(long address, boolean nxe, long entry, long value) {
            this.address = address;
            this.nxe = nxe;
            this.entry = entry;
            this.value = value;
        }
    }

    /**
     * An L2 read through an L1 nested entry with a reserved bit set is a #VMEXIT(NPF) to L1 with EXITINFO1 = P | US |
     * RSV (0DH) and bit 32 (final guest-physical address), EXITINFO2 = the address (15.25.6), as bare.
     */
    @ParameterizedTest
    @EnumSource(ReservedBit.class)
    void aReservedBitInL1sNestedTablesGivesL1ANestedPageFaultWithRsv(ReservedBit rb) throws Exception {
        Asm l1 = l1ReportingTheExit();
        byte[] l2 = new Asm().load(TEST_GPA).store(OUT + 20).load(rb.address).store(OUT + 24).vmmcall().toArray();
        Result r = bareAndNested(l1.toArray(), m -> {
            gdtAndIdt(m);
            longMode(m);
            if (rb.nxe) {
                m.cpus().get(0).state().efer |= Cpu.EFER_NXE;
            }
            write(m, L2_CODE, l2);
            vmcb12(m, 0, 1);
            nestedTables(m, (mm, pt) -> q(mm, rb.entry, rb.value));
            m.memory().write(PAGE_A, 4, 0x11111111L);
        });
        assertThat(r.out()).containsExactly(0x400, 0xd, 1, rb.address, 0, 0x11111111L, 0, 0);
    }

    /**
     * PS (bit 7) is reserved in a PML4E (APM Vol. 2 5.4): with it set in L1's only PML4E, L2's very first instruction
     * fetch is a #VMEXIT(NPF) to L1 with EXITINFO1 = P | US | RSV | ID (1DH) and bit 32, EXITINFO2 = L2's RIP.
     */
    @Test
    void psInL1sNestedPml4eGivesL1AnRsvFaultOnL2sFirstFetch() throws Exception {
        Asm l1 = l1ReportingTheExit();
        Result r = bareAndNested(l1.toArray(), m -> {
            gdtAndIdt(m);
            longMode(m);
            m.cpus().get(0).state().efer |= Cpu.EFER_NXE;
            write(m, L2_CODE, new Asm().vmmcall().toArray());
            vmcb12(m, 0, 1);
            nestedTables(m, (mm, pt) -> q(mm, NPT, mm.memory().read(NPT, 8) | 0x80));
        });
        assertThat(r.out()).containsExactly(0x400, 0x1d, 1, L2_CODE, 0, 0, 0, 0);
    }

    /** L1 in 64-bit mode on identity page tables (2 MiB pages, first 16 MiB), EFER.SVME already set. */
    static void longMode(Machine m) {
        q(m, L1_PML4, (L1_PML4 + 0x1000) | 3);
        q(m, L1_PML4 + 0x1000, (L1_PML4 + 0x2000) | 3);
        for (int i = 0; i < 8; i++) {
            q(m, L1_PML4 + 0x2000 + 8L * i, (long) i << 21 | 0x83);
        }
        Cpu c = m.cpus().get(0);
        CpuState s = c.state();
        s.cr3 = L1_PML4;
        s.cr4 |= Cpu.CR4_PAE;
        s.efer |= Cpu.EFER_LME | Cpu.EFER_LMA | Cpu.EFER_SVME;
        s.cr0 |= Cpu.CR0_PG | Cpu.CR0_PE;
        s.seg[Reg.CS].set(0x18, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_L);
        c.modeChanged();
    }
}
