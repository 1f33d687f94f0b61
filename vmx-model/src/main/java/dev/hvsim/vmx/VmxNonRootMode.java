package dev.hvsim.vmx;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.GuestMode;
import dev.hvsim.x86core.Interrupts;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.fault.Vectors;

/**
 * VMX non-root operation as x86-core's {@link GuestMode}: at each intercept point it consults the current VMCS's
 * controls and turns the event into a VM exit (SDM Vol. 3C 26.1 "Instructions That Cause VM Exits", 26.2 "Other
 * Causes of VM Exits"). Implemented: CPUID, INVD, XSETBV, VMCALL and the VMX instructions (unconditional), HLT
 * ("HLT exiting"), I/O ("unconditional I/O exiting" or the I/O bitmaps), RDMSR/WRMSR (every access, or the MSR
 * bitmaps), MOV to/from CR0/CR4 (guest/host masks and read shadows), MOV to/from CR3
 * (CR3-load/store exiting with CR3-target values), CLTS, LMSW, exceptions (exception bitmap with the #PF
 * error-code mask/match) and triple fault; RDTSCP and INVPCID (#UD unless enabled, then RDTSC / INVLPG exiting),
 * MOV DR ("MOV-DR exiting"), LGDT/LIDT/SGDT/SIDT/LLDT/LTR/SLDT/STR ("descriptor-table exiting"), WBINVD ("WBINVD
 * exiting").
 */
public final class VmxNonRootMode implements GuestMode {
    private final VmxExtension x;

    VmxNonRootMode(VmxExtension x) {
        this.x = x;
    }

    @Override
    public boolean active() {
        return true;
    }

    /** A TPR-below-threshold VM exit is due after the current instruction (trap-like; "TPR Virtualization"). */
    private boolean tprExitPending;

    /** Called by a virtualised MOV to CR8 that left VTPR[7:4] below TPR threshold[3:0]; the exit follows it. */
    void tprBelowThreshold(Cpu cpu) {
        tprExitPending = true;
        cpu.signalEvent();
    }

    /**
     * The trap-like TPR-below-threshold exit (reason 43, no qualification, instruction length 0, guest RIP after the
     * MOV to CR8) comes first at the boundary after the instruction; then the boundary exits of {@link VmxEvents}.
     * The SDM ("VM Exits Induced by the TPR Threshold", 26.6.7 in 2016, for the entry case) ranks TPR-threshold exits
     * above SMIs, INIT and every lower-priority event; the model uses that rank after MOV to CR8 too.
     */
    @Override
    public void atEventBoundary(Cpu cpu) {
        if (tprExitPending) {
            tprExitPending = false;
            exit(ExitReason.TPR_BELOW_THRESHOLD, 0, null);
        }
        x.events().atBoundary(cpu);
    }

    @Override
    public boolean iretUnblocksNmis(Cpu cpu) {
        return x.events().iretUnblocksNmis(cpu);
    }

    @Override
    public void eventDelivered(Cpu cpu) {
        x.events().eventDelivered(cpu);
    }

    @Override
    public long wakeDeadline(Cpu cpu) {
        return x.events().wakeDeadline(cpu);
    }

    /** VM entry: nothing is pending from a previous guest run; the monitor is disarmed. */
    void entered() {
        tprExitPending = false;
        pleFresh = true;
        monitorArmed = false;
    }

    /** A MONITOR executed in non-root operation since the last VM entry, not yet consumed by an MWAIT. */
    private boolean monitorArmed;

    /**
     * MWAIT with "MWAIT exiting" (primary bit 10; 26.1.3): reason 36; the exit qualification's bit 0 says whether the
     * address-range monitoring hardware was armed (28.2.1 / 27.2.1 in the 2016 edition), i.e. whether a MONITOR ran
     * in the guest since the last VM entry and no MWAIT has consumed it since. An MWAIT that executes disarms it.
     */
    private void mwait(DecodedInsn insn) {
        if (proc(10)) {
            exit(ExitReason.MWAIT, monitorArmed ? 1 : 0, insn);
        }
        monitorArmed = false;
    }

    /** PAUSE-loop exiting state: the first PAUSE at CPL 0 after VM entry starts a loop; TSC of the last and first. */
    private boolean pleFresh = true;
    private long plePrevious, pleFirst;

    /**
     * PAUSE (26.1.3): "PAUSE exiting" (primary bit 30) makes every PAUSE exit (reason 40) and, at CPL 0, overrides
     * "PAUSE-loop exiting" (secondary bit 10), which is ignored at CPL &gt; 0. With PAUSE-loop exiting at CPL 0, a
     * PAUSE more than PLE_Gap TSC ticks after the previous CPL-0 PAUSE (or the first after VM entry) starts a loop; a
     * PAUSE more than PLE_Window ticks after the start of its loop exits. Time is the TSC (without offsetting).
     */
    private void pause(DecodedInsn d, Cpu cpu) {
        if (proc(30)) {
            exit(ExitReason.PAUSE, 0, d);
        }
        if (cpu.cpl() != 0 || !proc2(10)) {
            return;
        }
        long now = cpu.tsc();
        Vmcs v = vmcs();
        boolean newLoop = pleFresh || now - plePrevious > (v.read(F.PLE_GAP) & 0xffffffffL);
        plePrevious = now;
        pleFresh = false;
        if (newLoop) {
            pleFirst = now;
        } else if (now - pleFirst > (v.read(F.PLE_WINDOW) & 0xffffffffL)) {
            exit(ExitReason.PAUSE, 0, d);
        }
    }

    private Vmcs vmcs() {
        return x.currentVmcs();
    }

    private boolean proc(int bit) {
        return (vmcs().read(F.CPU_BASED_VM_EXEC_CONTROL) >>> bit & 1) != 0;
    }

    private void exit(int reason, long qualification, DecodedInsn d) {
        x.exits().exit(reason, qualification, d == null ? 0 : d.length, 0, 0, 0);
    }

    /** An instruction that exits unconditionally or by the VMX instruction's own rule (26.1.2). */
    void instructionExit(int reason, DecodedInsn d) {
        int info = 0;
        long qual = 0;
        if (reason != ExitReason.VMCALL && reason != ExitReason.VMLAUNCH && reason != ExitReason.VMRESUME
                && reason != ExitReason.VMXOFF && reason != ExitReason.VMFUNC) {
            info = InstructionInfo.of(d, reason == ExitReason.VMREAD || reason == ExitReason.VMWRITE);
            if (reason == ExitReason.INVEPT || reason == ExitReason.INVVPID || reason == ExitReason.INVPCID) {
                info |= (d.reg & 0xf) << 28; // reg2: the type register (29.2.5, INVEPT/INVPCID/INVVPID format)
            }
            // 29.2.1 (exit qualification for these instructions): the displacement; for RIP-relative addressing the
            // sum of the displacement and the RIP of the following instruction
            qual = displacement(d);
        }
        x.exits().exit(reason, qual, d.length, info, 0, 0);
    }

    @Override
    public void interceptInstruction(InterceptPoint point, DecodedInsn insn, Cpu cpu) {
        switch (point) {
            case CPUID: x.exits().exitWithoutUnwinding(ExitReason.CPUID, 0, insn.length, 0); break; // 26.1.2
            case INVD: exit(ExitReason.INVD, 0, insn); break;
            case XSETBV: exit(ExitReason.XSETBV, 0, insn); break; // 26.1.2: unconditional
            case RDRAND: randomExit(11, ExitReason.RDRAND, insn); break;
            case RDSEED: randomExit(16, ExitReason.RDSEED, insn); break;
            case HLT:
                if (proc(7)) {
                    exit(ExitReason.HLT, 0, insn);
                }
                break;
            case CLTS: clts(insn); break;
            case LMSW: lmsw(insn, cpu); break;
            case INVLPG:
                if (proc(9)) {
                    exit(ExitReason.INVLPG, linear(insn, cpu), insn);
                }
                break;
            case RDPMC: exitIf(11, ExitReason.RDPMC, insn); break;
            case RDTSC: exitIf(12, ExitReason.RDTSC, insn); break;
            case MWAIT: mwait(insn); break;
            case MONITOR:
                exitIf(29, ExitReason.MONITOR, insn);
                monitorArmed = true;   // DEVIATIONS.md "MWAIT": armed even if MONITOR then faults
                break;
            case PAUSE: pause(insn, cpu); break;
            case RDTSCP: rdtscp(insn); break;
            case INVPCID: invpcid(insn); break;
            case MOV_DR: movDr(insn); break;
            case SGDT_SIDT: case LGDT_LIDT: descriptorTable(ExitReason.GDTR_IDTR, insn); break;
            case SLDT_STR: case LLDT_LTR: descriptorTable(ExitReason.LDTR_TR, insn); break;
            case WBINVD:
                if (proc2(6)) { // "WBINVD exiting" (26.1.3): reason 54, no qualification
                    exit(ExitReason.WBINVD, 0, insn);
                }
                break;
            default: break;
        }
    }

    /**
     * "RDRAND exiting" (secondary bit 11) and "RDSEED exiting" (secondary bit 16) (26.1.3): reason 57 / 61, no
     * qualification, the instruction information of {@link InstructionInfo#rdrandRdseed} (29.2.5). The core's #UD
     * checks (CPUID feature, LOCK, register-only form) come first, as on hardware.
     */
    private void randomExit(int bit, int reason, DecodedInsn d) {
        if (proc2(bit)) {
            x.exits().exit(reason, 0, d.length, InstructionInfo.rdrandRdseed(d), 0, 0);
        }
    }

    /** A secondary processor-based control: 0 unless "activate secondary controls" (primary bit 31) is 1 (25.6.2). */
    private boolean proc2(int bit) {
        Vmcs v = vmcs();
        return (v.read(F.CPU_BASED_VM_EXEC_CONTROL) >>> 31 & 1) != 0 && (v.read(F.SECONDARY_VM_EXEC_CONTROL) >>> bit & 1) != 0;
    }

    /**
     * RDTSCP (26.1.3, 26.3 "Changes to Instruction Behavior in VMX Non-Root Operation"): #UD when "enable RDTSCP"
     * (secondary bit 3) is 0; otherwise "RDTSC exiting" makes it exit with reason 51. Without the exit the value
     * read is the guest's TSC view (x86-core {@code Cpu.readTsc}, set at VM entry for TSC offsetting/scaling).
     */
    private void rdtscp(DecodedInsn insn) {
        if (!proc2(3)) {
            throw dev.hvsim.x86core.fault.ArchFault.ud();
        }
        exitIf(12, ExitReason.RDTSCP, insn);
    }

    /**
     * INVPCID (26.1.3, 26.3): #UD when "enable INVPCID" (secondary bit 12) is 0; otherwise "INVLPG exiting" makes it
     * exit with reason 58, the displacement as qualification and the INVEPT/INVPCID/INVVPID instruction information
     * (29.2.5). The CPL and virtual-8086 checks of the core precede this point (26.1.1).
     */
    private void invpcid(DecodedInsn insn) {
        if (!proc2(12)) {
            throw dev.hvsim.x86core.fault.ArchFault.ud();
        }
        if (proc(9)) {
            instructionExit(ExitReason.INVPCID, insn);
        }
    }

    /**
     * MOV DR with "MOV-DR exiting" (primary bit 23; 26.1.3): exit reason 29, qualification (29.2.1, "Exit
     * Qualification for MOV DR") DR number 2:0, direction 4 (1 = MOV from DR), GPR 11:8. The exit is checked before the
     * instruction's own #UD (CR4.DE with DR4/DR5) and the DR7.GD #DB: 26.1.3 gives MOV-DR exits priority over that
     * #UD, and 26.1.1 gives fault-like exits priority over every exception it does not list (the #DB is not listed).
     * DR8-DR15 (REX.R) are #UD at decode on hardware and do not exit here. The #GP(0) at CPL &gt; 0, which 26.1.3
     * also puts after the exit, is raised by the core's central check first (DEVIATIONS.md).
     */
    private void movDr(DecodedInsn d) {
        if (proc(23) && d.reg < 8) {
            boolean from = d.row.opcode() == 0x21;
            exit(ExitReason.MOV_DR, d.reg | (from ? 1L << 4 : 0) | (long) (d.rm & 0xf) << 8, d);
        }
    }

    /**
     * "Descriptor-table exiting" (secondary bit 2; 26.1.3): LGDT, LIDT, SGDT, SIDT exit with reason 46, LLDT, LTR,
     * SLDT, STR with 47; the qualification is the memory operand's displacement (0 for a register operand) and the
     * instruction information has the formats of 29.2.5 ({@link InstructionInfo#descriptorTable}).
     */
    private void descriptorTable(int reason, DecodedInsn d) {
        if (proc2(2)) {
            int info = InstructionInfo.descriptorTable(d, reason == ExitReason.GDTR_IDTR);
            x.exits().exit(reason, displacement(d), d.length, info, 0, 0);
        }
    }

    /**
     * The exit qualification of the instructions with a memory operand (29.2.1: INVEPT, INVPCID, INVVPID, LGDT, ...,
     * VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMXON): the displacement, sign-extended; 0 without one; for
     * RIP-relative addressing "the sum of the displacement field and the appropriate RIP value" (of the next
     * instruction).
     */
    private long displacement(DecodedInsn d) {
        if (!d.memOp) {
            return 0;
        }
        return d.base == DecodedInsn.BASE_RIP ? d.disp + x.cpu().state().rip + d.length : d.disp;
    }

    /**
     * "VMCS shadowing" (secondary bit 14; 26.1.3 VMREAD/VMWRITE, 24.10 "VMCS Types: Ordinary and Shadow" in the 2016
     * edition): a VMREAD/VMWRITE in non-root operation does not exit when the control is 1, the field encoding in the
     * register operand (64 bits in 64-bit mode, else 32) has bits 63:15 clear, and bit n (n = encoding bits 14:0) of
     * the VMREAD or VMWRITE bitmap is 0; it then accesses the shadow VMCS ({@link #shadowVmcs}).
     */
    boolean shadowAccess(Cpu c, DecodedInsn d, boolean write) {
        if (!proc2(14)) {
            return false;
        }
        long encoding = c.readReg(d, d.reg, c.mode64() ? 8 : 4);
        if ((encoding >>> 15) != 0) {
            return false;
        }
        long bitmap = vmcs().read(write ? F.VMWRITE_BITMAP : F.VMREAD_BITMAP);
        return (c.bus().read(bitmap + (encoding >>> 3), 1) >>> (encoding & 7) & 1) == 0;
    }

    /** The shadow VMCS: the one the VMCS link pointer references, or null when it is FFFFFFFF_FFFFFFFFH. */
    Vmcs shadowVmcs() {
        long link = vmcs().read(F.VMCS_LINK_POINTER);
        if (link == x.currentVmcsPointer()) {
            return x.currentVmcs(); // its data is the processor-side copy (the region may be older: Vmcs)
        }
        return link == -1L ? null : new Vmcs(x.cpu().bus(), link, x.layout());
    }

    private void exitIf(int procBit, int reason, DecodedInsn insn) {
        if (proc(procBit)) {
            exit(reason, 0, insn);
        }
    }

    /** The linear address of a memory operand (INVLPG's exit qualification). */
    private static long linear(DecodedInsn d, Cpu cpu) {
        long ea = cpu.ea(d);
        if (cpu.mode64()) {
            return d.seg >= dev.hvsim.x86core.Reg.FS ? ea + cpu.state().seg[d.seg].base : ea;
        }
        return (cpu.state().seg[d.seg].base + ea) & 0xffffffffL;
    }

    /**
     * 26.1.3 I/O: with "use I/O bitmaps" an access exits when a bit of bitmap A (ports 0-7FFFH) or B (8000H-FFFFH)
     * for one of its ports is set, or when it wraps past FFFFH; otherwise "unconditional I/O exiting" decides.
     * Qualification (Table 28-5): size - 1, direction, string, REP, immediate operand, port.
     */
    @Override
    public void interceptIo(int port, int size, boolean in, DecodedInsn insn, Cpu cpu) {
        if (proc(25) ? !ioBitmapExit(cpu, port, size) : !proc(24)) {
            return;
        }
        String m = insn.row.mnemonic();
        boolean string = m.startsWith("INS") || m.startsWith("OUTS");
        boolean imm = insn.row.map() == 0 && (insn.row.opcode() & 0xfc) == 0xe4;
        long q = (size - 1) | (in ? 8 : 0) | (string ? 16 : 0) | (string && insn.rep != 0 ? 32 : 0) | (imm ? 64 : 0)
                | (long) port << 16;
        if (!string) {
            x.exits().exitWithoutUnwinding(ExitReason.IO, q, insn.length, 0); // Io.execute does not go on
            return;
        }
        stringIoExit(q, in, insn, cpu);
    }

    /**
     * INS/OUTS with IA32_VMX_BASIC[54] = 1 (29.2.5, "Format of the VM-Exit Instruction-Information Field as Used for
     * INS and OUTS"): address size in bits 9:7, for OUTS the segment register in bits 17:15 (undefined for INS,
     * written 0); the guest-linear address field holds the memory operand's linear address (ES:rDI for INS,
     * seg:rSI for OUTS, 29.2.1). The I/O RCX/RSI/RDI/RIP fields belong to SMIs after I/O instructions and are not
     * written.
     */
    private void stringIoExit(long q, boolean in, DecodedInsn insn, Cpu cpu) {
        int seg = in ? dev.hvsim.x86core.Reg.ES : insn.segOverride >= 0 ? insn.segOverride : dev.hvsim.x86core.Reg.DS;
        int info = (insn.addrSize == 2 ? 0 : insn.addrSize == 4 ? 1 : 2) << 7 | (in ? 0 : (seg & 7) << 15);
        long mask = insn.addrSize == 8 ? -1L : (1L << (8 * insn.addrSize)) - 1;
        long off = cpu.state().gpr[in ? dev.hvsim.x86core.Reg.RDI : dev.hvsim.x86core.Reg.RSI] & mask;
        long base = cpu.mode64() && seg < dev.hvsim.x86core.Reg.FS ? 0 : cpu.state().seg[seg].base;
        vmcs().write(F.GUEST_LINEAR_ADDRESS, base + off);
        x.exits().exit(ExitReason.IO, q, insn.length, info, 0, 0);
    }

    private boolean ioBitmapExit(Cpu cpu, int port, int size) {
        Vmcs v = vmcs();
        for (int p = port; p < port + size; p++) {
            if (p > 0xffff) {
                return true;
            }
            long base = v.read(p < 0x8000 ? F.IO_BITMAP_A : F.IO_BITMAP_B);
            int bit = p & 0x7fff;
            if ((cpu.bus().read(base + (bit >>> 3), 1) >>> (bit & 7) & 1) != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * 26.1.3 RDMSR/WRMSR: without "use MSR bitmaps" every execution exits (reasons 31/32, no qualification); with
     * them, ECX outside 0-1FFFH and C0000000H-C0001FFFH exits, else the bit of the read-low (offset 0), read-high
     * (1024), write-low (2048) or write-high (3072) bitmap decides (25.6.9).
     */
    @Override
    public void interceptMsr(long index, boolean write, Cpu cpu) {
        if (proc(28)) {
            boolean low = index <= 0x1fff, high = index >= 0xc0000000L && index <= 0xc0001fffL;
            if (low || high) {
                long base = vmcs().read(F.MSR_BITMAP) + (write ? 2048 : 0) + (high ? 1024 : 0);
                int bit = (int) (index & 0x1fff);
                if ((cpu.bus().read(base + (bit >>> 3), 1) >>> (bit & 7) & 1) == 0) {
                    return;
                }
            }
        }
        exit(write ? ExitReason.WRMSR : ExitReason.RDMSR, 0, cpu.current());
    }

    /**
     * MOV to/from CR (26.1.3; qualification Table 28-3: CR number 3:0, access type 5:4, GPR 11:8). CR0/CR4 writes
     * exit when they would change a host-owned bit away from its read shadow; CR3 writes exit with CR3-load
     * exiting unless the value is one of the first CR3-target-count targets; CR3 reads exit with CR3-store exiting.
     */
    @Override
    public void interceptCr(int cr, boolean write, long value, Cpu cpu) {
        DecodedInsn d = cpu.current();
        long q = cr | (write ? 0 : 1L << 4) | (long) d.rm << 8;
        Vmcs v = vmcs();
        switch (cr) {
            case 0: case 4: {
                long mask = v.read(cr == 0 ? F.CR0_GUEST_HOST_MASK : F.CR4_GUEST_HOST_MASK);
                long shadow = v.read(cr == 0 ? F.CR0_READ_SHADOW : F.CR4_READ_SHADOW);
                if (write && ((value ^ shadow) & mask) != 0) {
                    exit(ExitReason.CR_ACCESS, q, d);
                }
                break;
            }
            case 3:
                if (write ? proc(15) && !cr3Target(v, value) : proc(16)) {
                    exit(ExitReason.CR_ACCESS, q, d);
                }
                break;
            case 8:
                if (write ? proc(19) : proc(20)) {
                    exit(ExitReason.CR_ACCESS, q, d);
                }
                break;
            default:
                break;
        }
    }

    private static boolean cr3Target(Vmcs v, long value) {
        long n = Math.min(v.read(F.CR3_TARGET_COUNT), F.CR3_TARGET.length);
        for (int i = 0; i < n; i++) {
            if (v.read(F.CR3_TARGET[i]) == value) {
                return true;
            }
        }
        return false;
    }

    /** CLTS exits when CR0.TS is host-owned and set in the read shadow (26.1.3). */
    private void clts(DecodedInsn d) {
        Vmcs v = vmcs();
        if ((v.read(F.CR0_GUEST_HOST_MASK) & v.read(F.CR0_READ_SHADOW) & Cpu.CR0_TS) != 0) {
            exit(ExitReason.CR_ACCESS, 2L << 4, d);
        }
    }

    /**
     * LMSW exits when it would set a host-owned PE the shadow has clear, or change a host-owned MP/EM/TS (26.1.3).
     * Qualification (Table "Exit Qualification for Control-Register Accesses"): CR number 0, access type 3, LMSW
     * operand type in bit 6 (1 = memory), the source data in bits 31:16; bits 11:8 (the GPR of MOV CR) are cleared
     * to 0 for LMSW, whatever its register operand.
     */
    private void lmsw(DecodedInsn d, Cpu cpu) {
        Vmcs v = vmcs();
        long mask = v.read(F.CR0_GUEST_HOST_MASK), shadow = v.read(F.CR0_READ_SHADOW);
        long src = cpu.readE(d, 2) & 0xffff;
        boolean pe = (mask & 1) != 0 && (src & 1) != 0 && (shadow & 1) == 0;
        boolean other = ((src ^ shadow) & mask & 0xe) != 0;
        if (pe || other) {
            long q = (3L << 4) | (d.memOp ? 1L << 6 : 0) | src << 16;
            exit(ExitReason.CR_ACCESS, q, d);
        }
    }

    /**
     * 26.2 exceptions: a vector whose exception-bitmap bit is 1 exits (reason 0); for #PF the bit is inverted
     * unless (error code AND mask) = match. Interruption information: vector, type (3 hardware exception, 6 for
     * INT3/INTO), error-code valid, valid.
     */
    @Override
    public void interceptException(int vector, int errorCode, Cpu cpu) {
        interceptException(vector, errorCode, 0, cpu);
    }

    /**
     * The exception bitmap (26.2) with the #PF error-code mask/match; the exit qualification of a #PF exit is the
     * faulting linear address, and CR2 is not written (29.2.1, Table 29-1 note: "the exit qualification contains the
     * linear address that caused the page fault").
     */
    @Override
    public void interceptException(int vector, int errorCode, long faultAddress, Cpu cpu) {
        Vmcs v = vmcs();
        boolean bit = (v.read(F.EXCEPTION_BITMAP) >>> vector & 1) != 0;
        if (vector == Vectors.PF) {
            boolean match = (errorCode & v.read(F.PAGE_FAULT_ERROR_CODE_MASK)) == v.read(F.PAGE_FAULT_ERROR_CODE_MATCH);
            bit = match == bit;
        }
        if (!bit) {
            return;
        }
        DecodedInsn d = cpu.current();
        boolean software = (vector == Vectors.BP || vector == Vectors.OF) && d != null
                && (d.row.mnemonic().equals("INT3") || d.row.mnemonic().equals("INTO"));
        int type = software ? 6 : 3;
        boolean hasError = errorCode >= 0;
        int info = vector | type << 8 | (hasError ? 1 << 11 : 0) | 1 << 31;
        if (type == 3 && x.events().nmiUnblockedByIret(cpu)) {
            info |= VmxEvents.NMI_UNBLOCKED_BY_IRET; // 29.2.2: a fault on the IRET that removed (virtual-)NMI blocking
        }
        long qualification = vector == Vectors.PF ? faultAddress : 0;
        x.exits().exit(ExitReason.EXCEPTION_OR_NMI, qualification, software ? d.length : 0, 0, info,
                hasError ? errorCode : 0);
    }

    /** A triple fault in non-root operation exits with reason 2 (26.2). */
    /**
     * Task switches cause VM exits unconditionally (SDM Vol. 3C 26.2; reason 9), before the switch performs any check.
     * Qualification (Table 29-2): bits 15:0 the TSS selector, bits 31:30 the source (0 CALL, 1 IRET, 2 JMP, 3 task
     * gate in the IDT). The instruction length is written for CALL, JMP, IRET and a software interrupt or exception
     * (INT n, INT3, INTO, INT1) through a task gate (29.2.5), else 0; an event through a task gate is reported as
     * IDT-vectoring information ({@code VmExits}, 29.2.4).
     */
    @Override
    public void interceptTaskSwitch(int tssSelector, int source, Cpu cpu) {
        DecodedInsn d = cpu.current();
        boolean byInstruction = source != GuestMode.TASK_SWITCH_IDT_GATE || softwareDelivery(cpu);
        int length = byInstruction && d != null ? d.length : 0;
        x.exits().exit(ExitReason.TASK_SWITCH, (tssSelector & 0xffffL) | (long) source << 30, length, 0, 0, 0);
    }

    private static boolean softwareDelivery(Cpu cpu) {
        if (cpu.interrupts().deliveringVector() < 0) {
            return false;
        }
        Interrupts.Kind k = cpu.interrupts().deliveringKind();
        return k == Interrupts.Kind.SOFTWARE_INT || k == Interrupts.Kind.SOFTWARE_EXCEPTION
                || k == Interrupts.Kind.PRIV_SOFTWARE_EXCEPTION;
    }

    @Override
    public void interceptTripleFault(Cpu cpu) {
        exit(ExitReason.TRIPLE_FAULT, 0, null);
    }

    /** The TPR-below-threshold exit due and the PAUSE-loop state. */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        boolean tpr = tprExitPending, fresh = pleFresh, armed = monitorArmed;
        long prev = plePrevious, first = pleFirst;
        return () -> {
            tprExitPending = tpr;
            pleFresh = fresh;
            monitorArmed = armed;
            plePrevious = prev;
            pleFirst = first;
        };
    }
}
