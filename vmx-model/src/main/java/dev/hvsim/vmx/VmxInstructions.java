package dev.hvsim.vmx;

import dev.hvsim.vmcs.LaunchState;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * The VMX instructions in root operation, each following the operation section of its SDM page (Vol. 3C
 * 31.3 "VMX Instructions": VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH/VMRESUME,
 * VMCALL) in the SDM's order: #UD conditions, then the VM exit in non-root operation, then #GP(0) at CPL > 0,
 * then the VMfail conditions. Real and virtual-8086 mode are #UD through the rows' central check.
 */
final class VmxInstructions {
    private final VmxExtension x;

    VmxInstructions(VmxExtension x) {
        this.x = x;
    }

    private Cpu cpu() {
        return x.cpu();
    }

    /** IA32_EFER.LMA = 1 and CS.L = 0. */
    private static boolean compatibilityMode(Cpu c) {
        return c.longMode() && c.codeSize() != 64;
    }

    /**
     * The shared prologue: #UD outside VMX operation or in compatibility mode; the VM exit (reason
     * {@code exitReason}) in non-root operation; #GP(0) at CPL > 0.
     */
    private void prologue(DecodedInsn d, int exitReason) {
        Cpu c = cpu();
        if (!x.vmxOperation || compatibilityMode(c)) {
            throw ArchFault.ud();
        }
        if (x.nonRoot) {
            x.guest().instructionExit(exitReason, d);
        }
        if (c.cpl() > 0) {
            throw ArchFault.gp0();
        }
    }

    /** A VMXON/VMCS pointer that is not 4-KiB aligned or sets bits beyond the physical-address width (31.3). */
    private boolean badPointer(long addr) {
        long width = x.capabilities().basic().physicalAddressWidth32() ? 0xffffffffL : cpu().mmu().physAddrMask();
        return (addr & 0xfff) != 0 || (addr & ~width) != 0;
    }

    /**
     * The VMCS-pointer operand of VMCLEAR/VMPTRLD (31.3): VMfail({@code invalid}) when it is not a valid
     * physical address, VMfail({@code isVmxon}) when it is the VMXON pointer; returns -1 after failing.
     */
    private long vmcsPointer(DecodedInsn d, int invalid, int isVmxon) {
        long addr = cpu().readE(d, 8);
        if (badPointer(addr)) {
            fail(invalid);
            return -1;
        }
        if (addr == x.vmxonPointer) {
            fail(isVmxon);
            return -1;
        }
        return addr;
    }

    private void succeed() {
        VmxConventions.succeed(cpu().state());
    }

    /** VMfail(n): VMfailValid(n) with a current VMCS, else VMfailInvalid (31.2). */
    void fail(int error) {
        Vmcs v = x.currentVmcs();
        if (v == null) {
            VmxConventions.failInvalid(cpu().state());
        } else {
            v.write(F.VM_INSTRUCTION_ERROR, error);
            VmxConventions.failValid(cpu().state());
        }
    }

    /** VMXON m64 (SDM Vol. 3C 31.3 VMXON). */
    void vmxon(DecodedInsn d) {
        Cpu c = cpu();
        CpuState s = c.state();
        if (!c.cr4(Cpu.CR4_VMXE) || compatibilityMode(c)) {
            throw ArchFault.ud();
        }
        if (x.vmxOperation) {
            if (x.nonRoot) {
                x.guest().instructionExit(ExitReason.VMXON, d);
            }
            if (c.cpl() > 0) {
                throw ArchFault.gp0();
            }
            fail(VmInstructionError.VMXON_IN_ROOT);
            return;
        }
        long fc = x.featureControl;
        if (c.cpl() > 0 || !x.capabilities().cr0Fixed().allows(s.cr0) || !x.capabilities().cr4Fixed().allows(s.cr4)
                || (fc & VmxExtension.FC_LOCK) == 0 || (fc & VmxExtension.FC_VMX_OUTSIDE_SMX) == 0) {
            throw ArchFault.gp0(); // no A20M and no SMX operation in this model (DEVIATIONS.md)
        }
        long addr = c.readE(d, 8);
        if (badPointer(addr)) {
            VmxConventions.failInvalid(s);
            return;
        }
        Vmcs region = new Vmcs(c.bus(), addr, x.layout());
        if (region.revisionId() != x.capabilities().basic().revisionId() || region.shadowIndicator()) {
            VmxConventions.failInvalid(s);
            return;
        }
        x.vmxonPointer = addr;
        x.setCurrentVmcs(VmxExtension.NO_VMCS);
        x.vmxOperation = true;
        succeed();
    }

    /** VMXOFF (31.3 VMXOFF); dual-monitor treatment is never active here. */
    void vmxoff(DecodedInsn d) {
        prologue(d, ExitReason.VMXOFF);
        x.vmxOperation = false;
        x.vmxonPointer = VmxExtension.NO_VMCS;
        x.setCurrentVmcs(VmxExtension.NO_VMCS);
        succeed();
    }

    /**
     * VMCLEAR m64 (31.3 VMCLEAR): errors 2 and 3; the launch state becomes clear, and when the VMCS is current its
     * processor-side copy is written back to the region (VmxExtension.setCurrentVmcs) and it stops being current.
     */
    void vmclear(DecodedInsn d) {
        prologue(d, ExitReason.VMCLEAR);
        long addr = vmcsPointer(d, VmInstructionError.VMCLEAR_INVALID_ADDRESS, VmInstructionError.VMCLEAR_VMXON_POINTER);
        if (addr < 0) {
            return;
        }
        new Vmcs(cpu().bus(), addr, x.layout()).setLaunchState(LaunchState.CLEAR);
        if (addr == x.currentVmcs) {
            x.setCurrentVmcs(VmxExtension.NO_VMCS);
        }
        succeed();
    }

    /** VMPTRLD m64 (31.3 VMPTRLD): errors 9, 10, 11. */
    void vmptrld(DecodedInsn d) {
        prologue(d, ExitReason.VMPTRLD);
        long addr = vmcsPointer(d, VmInstructionError.VMPTRLD_INVALID_ADDRESS, VmInstructionError.VMPTRLD_VMXON_POINTER);
        if (addr < 0) {
            return;
        }
        Vmcs v = new Vmcs(cpu().bus(), addr, x.layout());
        boolean shadowOk = x.capabilities().allowed1(dev.hvsim.vmcs.controls.ControlWord.SECONDARY_PROC, "vmcsShadowing");
        if (v.revisionId() != x.capabilities().basic().revisionId() || v.shadowIndicator() && !shadowOk) {
            fail(VmInstructionError.VMPTRLD_BAD_REVISION);
            return;
        }
        x.setCurrentVmcs(addr);
        succeed();
    }

    /** VMPTRST m64 (31.3 VMPTRST): stores the current-VMCS pointer (FFFFFFFF_FFFFFFFFH when none). */
    void vmptrst(DecodedInsn d) {
        prologue(d, ExitReason.VMPTRST);
        cpu().writeE(d, 8, x.currentVmcs);
        succeed();
    }

    /**
     * The field a VMREAD/VMWRITE names, or null when the encoding is not a supported component: not in the
     * catalogue, bits 63:32 of the register set, or not existing under the capabilities (31.3 VMREAD).
     */
    private VmcsField component(long encoding) {
        if ((encoding >>> 32) != 0) {
            return null;
        }
        VmcsField f = VmcsFields.get().find((int) encoding).orElse(null);
        return f != null && supported(f) ? f : null;
    }

    /** Per encoding: 0 not yet known, 1 a supported component, 2 not ({@link #component}; caps and layout are fixed). */
    private final byte[] supportedByEncoding = new byte[0x8000];

    private boolean supported(VmcsField f) {
        int enc = f.encodingValue();
        byte k = enc >= 0 && enc < supportedByEncoding.length ? supportedByEncoding[enc] : 0;
        if (k == 0) {
            k = f.existsUnder(x.capabilities()) && x.layout().has(f) ? (byte) 1 : (byte) 2;
            if (enc >= 0 && enc < supportedByEncoding.length) {
                supportedByEncoding[enc] = k;
            }
        }
        return k == 1;
    }

    /** VMREAD/VMWRITE operands are 64 bits in 64-bit mode and 32 bits otherwise, whatever the prefixes. */
    private static int operandSize(Cpu c) {
        return c.mode64() ? 8 : 4;
    }

    /**
     * The prologue of VMREAD/VMWRITE (31.3 VMREAD, VMWRITE): #UD as the other VMX instructions; in non-root operation a
     * VM exit (23/25) unless "VMCS shadowing" lets the access through to the shadow VMCS
     * ({@link VmxNonRootMode#shadowAccess}); #GP(0) at CPL &gt; 0; then the VMCS accessed: the current VMCS in root
     * operation, the one the VMCS link pointer references in non-root operation; VMfailInvalid (and null) when that
     * pointer is FFFFFFFF_FFFFFFFFH.
     */
    private Vmcs readWriteTarget(DecodedInsn d, boolean write) {
        Cpu c = cpu();
        if (!x.vmxOperation || compatibilityMode(c)) {
            throw ArchFault.ud();
        }
        if (x.nonRoot && !x.guest().shadowAccess(c, d, write)) {
            x.guest().instructionExit(write ? ExitReason.VMWRITE : ExitReason.VMREAD, d);
        }
        if (c.cpl() > 0) {
            throw ArchFault.gp0();
        }
        Vmcs v = x.nonRoot ? x.guest().shadowVmcs() : x.currentVmcs();
        if (v == null) {
            VmxConventions.failInvalid(c.state());
        }
        return v;
    }

    /**
     * VMREAD Ey, Gy (31.3 VMREAD): VMfailInvalid without a current VMCS (or, through VMCS shadowing, a shadow VMCS),
     * VMfailValid(12) for an unsupported field (the error goes to the current, ordinary VMCS).
     */
    void vmread(DecodedInsn d) {
        Vmcs v = readWriteTarget(d, false);
        if (v == null) {
            return;
        }
        Cpu c = cpu();
        int size = operandSize(c);
        VmcsField f = component(c.readReg(d, d.reg, size));
        if (f == null) {
            fail(VmInstructionError.UNSUPPORTED_COMPONENT);
            return;
        }
        c.writeE(d, size, v.read(f));
        succeed();
    }

    /**
     * VMWRITE Gy, Ey (31.3 VMWRITE): errors 12 and 13 (read-only VM-exit information fields unless
     * IA32_VMX_MISC[29]). The value is the operand (32 bits outside 64-bit mode, so a full 64-bit or natural-width
     * field gets bits 63:32 cleared), truncated to the field's width.
     */
    void vmwrite(DecodedInsn d) {
        Vmcs v = readWriteTarget(d, true);
        if (v == null) {
            return;
        }
        Cpu c = cpu();
        int size = operandSize(c);
        VmcsField f = component(c.readReg(d, d.reg, size));
        if (f == null) {
            fail(VmInstructionError.UNSUPPORTED_COMPONENT);
            return;
        }
        if (f.readOnly() && !x.capabilities().misc().vmwriteAnyField()) {
            fail(VmInstructionError.VMWRITE_READ_ONLY);
            return;
        }
        v.write(f, c.readE(d, size));
        succeed();
    }

    /** A basic check of VMLAUNCH/VMRESUME failed (a VMfail; {@code error} -1 for VMfailInvalid): tell the listener. */
    private void basicFailure(int error, String rule) {
        Cpu c = cpu();
        if (c.listener() != null) {
            c.listener().onVmEntryFailed(c, new dev.hvsim.x86core.VmTransition(
                    dev.hvsim.x86core.VmTransition.Kind.ENTRY_FAILED, "VMCS", error, 0, c.state().rip, false,
                    java.util.List.of(rule)));
        }
    }

    /** VMLAUNCH / VMRESUME (31.3; SDM 28.1 basic checks, then {@link VmEntry}). */
    void vmlaunch(DecodedInsn d, boolean launch) {
        prologue(d, launch ? ExitReason.VMLAUNCH : ExitReason.VMRESUME);
        Cpu c = cpu();
        Vmcs v = x.currentVmcs();
        if (v == null || v.shadowIndicator()) {
            // BASIC-NOVMCS; a shadow VMCS as the current VMCS also fails invalid (28.1: VM entry needs an ordinary
            // VMCS; KVM's nested_vmx_run agrees)
            VmxConventions.failInvalid(c.state());
            basicFailure(-1, "BASIC-NOVMCS (SDM 28.1): no current VMCS, or the current VMCS is a shadow VMCS (VMfailInvalid)");
            return;
        }
        if (c.state().movSsShadow && c.inShadow()) {
            fail(VmInstructionError.ENTRY_MOV_SS_BLOCKING); // BASIC-MOVSS
            basicFailure(VmInstructionError.ENTRY_MOV_SS_BLOCKING, "BASIC-MOVSS (SDM 28.1): blocking by MOV SS");
            return;
        }
        if (launch && v.launchState() != LaunchState.CLEAR) {
            fail(VmInstructionError.VMLAUNCH_NON_CLEAR); // BASIC-LAUNCH-STATE
            basicFailure(VmInstructionError.VMLAUNCH_NON_CLEAR,
                    "BASIC-LAUNCH-STATE (SDM 28.1): VMLAUNCH with a VMCS whose launch state is not clear");
            return;
        }
        if (!launch && v.launchState() != LaunchState.LAUNCHED) {
            fail(VmInstructionError.VMRESUME_NON_LAUNCHED); // BASIC-RESUME-STATE
            basicFailure(VmInstructionError.VMRESUME_NON_LAUNCHED,
                    "BASIC-RESUME-STATE (SDM 28.1): VMRESUME with a VMCS whose launch state is not launched");
            return;
        }
        x.entry().enter(v, launch);
    }

    /**
     * VMCALL (31.3 VMCALL): #UD outside VMX operation; in non-root operation a VM exit (reason 18); #UD in
     * virtual-8086 or compatibility mode; #GP(0) at CPL > 0; in root operation without dual-monitor treatment
     * VMfail(1) "VMCALL executed in VMX root operation".
     */
    void vmcall(DecodedInsn d) {
        Cpu c = cpu();
        if (!x.vmxOperation) {
            throw ArchFault.ud();
        }
        if (x.nonRoot) {
            x.exits().exitWithoutUnwinding(ExitReason.VMCALL, 0, d.length, 0); // no qualification or information
            return;
        }
        if (c.v86() || compatibilityMode(c)) {
            throw ArchFault.ud();
        }
        if (c.cpl() > 0) {
            throw ArchFault.gp0();
        }
        fail(VmInstructionError.VMCALL_IN_ROOT);
    }

    /**
     * INVEPT Gy, Mdq (SDM Vol. 3C 31.3 INVEPT): #UD without INVEPT support (IA32_VMX_EPT_VPID_CAP[20]) and
     * as the other VMX instructions; VM exit 50 in non-root operation; #GP(0) at CPL > 0; VMfail(28) for a type
     * EPT_VPID_CAP does not report (1 single-context [25], 2 all-context [26]) and for a single-context EPTP that
     * VM entry would reject (28.2.1.1). The descriptor's EPTP is in bits 63:0; bits 127:64 are not checked.
     * The TLB holds no combined mappings in root operation (DEVIATIONS.md "TLB tagging"), so a successful INVEPT
     * has nothing left to invalidate.
     */
    void invept(DecodedInsn d) {
        if (!x.capabilities().eptVpidCap().invept()) {
            throw ArchFault.ud();
        }
        prologue(d, ExitReason.INVEPT);
        Cpu c = cpu();
        long type = c.readReg(d, d.reg, operandSize(c));
        var cap = x.capabilities().eptVpidCap();
        if (!(type == 1 && cap.inveptSingleContext() || type == 2 && cap.inveptAllContext())) {
            fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
            return;
        }
        long eptp = c.read(d.seg, c.ea(d), 8);
        c.read(d.seg, c.ea(d) + 8, 8); // the whole 128-bit operand is read (#PF/#GP on its second half)
        if (type == 1 && !validEptp(eptp)) {
            fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
            return;
        }
        x.invalidateCombined(type == 1 ? eptp : -1);
        succeed();
    }

    /**
     * VMFUNC (SDM Vol. 3C 31.3 VMFUNC; 26.5.6 "VM Functions", 26.5.6.3 "EPTP Switching" in the current numbering,
     * 25.5.5 in 2016): #UD outside non-root operation and when "enable VM functions" (secondary bit 13) is 0; a VM
     * exit with reason 59 when EAX &gt;= 64 or its VM-function control bit is 0. Function 0 (EPTP switching): ECX
     * &gt;= 512, or an EPTP-list entry that VM entry would reject as EPTP (CTRL-EPTP-*), is a VM exit 59; otherwise
     * the EPTP field of the VMCS takes the entry and the guest continues with the next instruction under the new EPT.
     * No CPL or mode checks: VMFUNC is usable by any guest software.
     */
    void vmfunc(DecodedInsn d) {
        Cpu c = cpu();
        if (!x.nonRoot) {
            throw ArchFault.ud();
        }
        Vmcs v = x.currentVmcs();
        long proc = v.read(F.CPU_BASED_VM_EXEC_CONTROL);
        if ((proc >>> 31 & 1) == 0 || (v.read(F.SECONDARY_VM_EXEC_CONTROL) >>> 13 & 1) == 0) {
            throw ArchFault.ud();
        }
        long function = c.state().gpr[dev.hvsim.x86core.Reg.RAX] & 0xffffffffL;
        if (function >= 64 || (v.read(F.VM_FUNCTION_CONTROL) >>> function & 1) == 0) {
            x.guest().instructionExit(ExitReason.VMFUNC, d);
        }
        // function 0 is the only one IA32_VMX_VMFUNC allows, so CTRL-VMFUNC-RSVD leaves no other bit set
        long index = c.state().gpr[dev.hvsim.x86core.Reg.RCX] & 0xffffffffL;
        if (index >= 512) {
            x.guest().instructionExit(ExitReason.VMFUNC, d);
        }
        long eptp = c.bus().read(v.read(F.EPTP_LIST_ADDRESS) + 8 * index, 8);
        if (!validEptp(eptp)) {
            x.guest().instructionExit(ExitReason.VMFUNC, d);
        }
        v.write(F.EPT_POINTER, eptp);
        x.switchEptp(eptp);
    }

    /** The four EPTP rules of VM entry (CTRL-EPTP-MEMTYPE/-WALK/-AD/-RSVD, 28.2.1.1), for INVEPT single-context. */
    private boolean validEptp(long eptp) {
        var cap = x.capabilities().eptVpidCap();
        int mt = (int) (eptp & 7), len = (int) (eptp >>> 3 & 7);
        boolean memType = mt == 0 && cap.memoryTypeUc() || mt == 6 && cap.memoryTypeWb();
        boolean walk = len == 3 && cap.pageWalk4() || len == 4 && cap.pageWalk5();
        boolean ad = (eptp & 1L << 6) == 0 || cap.accessedDirty();
        boolean rsvd = (eptp & 0xf00) != 0 || (eptp & 0x80) != 0 && !cap.supervisorShadowStack()
                || (eptp & ~cpu().mmu().physAddrMask()) != 0;
        return memType && walk && ad && !rsvd;
    }

    /**
     * INVVPID Gy, Mdq (31.3 INVVPID): #UD without INVVPID support (EPT_VPID_CAP[32]); VM exit 53 in non-root
     * operation; #GP(0) at CPL > 0; VMfail(28) for an unsupported type (0 individual-address [40], 1 single-context
     * [41], 2 all-context [42], 3 single-context-retaining-globals [43]), for descriptor bits 63:16 set, for VPID 0
     * with types 0, 1 and 3, and for a non-canonical linear address with type 0.
     */
    void invvpid(DecodedInsn d) {
        if (!x.capabilities().eptVpidCap().invvpid()) {
            throw ArchFault.ud();
        }
        prologue(d, ExitReason.INVVPID);
        Cpu c = cpu();
        long type = c.readReg(d, d.reg, operandSize(c));
        var cap = x.capabilities().eptVpidCap();
        boolean supported = type == 0 && cap.invvpidIndividualAddress() || type == 1 && cap.invvpidSingleContext()
                || type == 2 && cap.invvpidAllContext() || type == 3 && cap.invvpidSingleContextRetainingGlobals();
        if (!supported) {
            fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
            return;
        }
        long low = c.read(d.seg, c.ea(d), 8), linear = c.read(d.seg, c.ea(d) + 8, 8);
        int vpid = (int) (low & 0xffff);
        if ((low >>> 16) != 0 || type != 2 && vpid == 0 || type == 0 && !c.canonical(linear)) {
            fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
            return;
        }
        x.invalidateVpid((int) type, vpid, linear);
        succeed();
    }
}
