package dev.hvsim.vmx;

import dev.hvsim.ept.EptCapabilities;
import dev.hvsim.ept.EptFormat;
import dev.hvsim.ept.EptTranslator;
import dev.hvsim.ept.Eptp;
import dev.hvsim.ept.Fault;
import dev.hvsim.ept.FaultDetail;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.SecondStage;
import dev.hvsim.x86core.fault.VmExitSignal;

/**
 * "Enable EPT" in VMX non-root operation (SDM Vol. 3C 29.3 "The Extended Page Table Mechanism"): ept's
 * {@link EptTranslator} for the EPTP of the VMCS, installed on the CPU with {@code Cpu.setSecondStage} at VM entry
 * and removed at VM exit. A refusal of the walker becomes the VM exit the SDM names: an EPT violation (exit reason
 * 48, 29.3.3.2) with the exit qualification of ept's codec and the guest-physical and guest-linear address fields,
 * or an EPT misconfiguration (exit reason 49, 29.3.3.1) with the guest-physical address.
 */
final class VmxEpt implements SecondStage {
    private final VmxExtension x;
    private final EptTranslator translator;
    private final long eptp;
    private final EptFormat format;

    VmxEpt(VmxExtension x, long eptp) {
        this.x = x;
        this.eptp = eptp;
        Cpu c = x.cpu();
        EptCapabilities caps = new EptCapabilities(x.capabilities().eptVpidCap().raw());
        this.format = new EptFormat(new Eptp(eptp), caps, false, c.profile().maxPhysAddr());
        this.translator = new EptTranslator(c, format);
    }

    /** The EPT format of this EPTP (the debugger's two-stage walk). */
    EptFormat format() {
        return format;
    }

    /** The EPTP this translator walks. */
    long eptp() {
        return eptp;
    }

    @Override
    public long translate(long guestPhys, int access, int flags, long guestLinear) {
        try {
            return translator.translate(guestPhys, access, flags, guestLinear);
        } catch (VmExitSignal s) {
            if (s.exit() instanceof Fault) {
                exit((Fault) s.exit());
            }
            throw s;
        }
    }

    /** 29.2.1 / Table 29-7: reason 48 or 49, qualification, guest-physical and guest-linear address. */
    private void exit(Fault f) {
        FaultDetail d = f.detail();
        if (d.kind() == FaultDetail.Kind.EPT_VIOLATION) {
            // bit 12 (NMI unblocking due to IRET) is added by VmExits.eptExit when the violation is on that IRET
            long q = ((FaultDetail.EptViolation) d).qualification().raw();
            x.exits().eptExit(ExitReason.EPT_VIOLATION, q, f.guestPhys(), f.linearValid(), f.guestLinear());
        } else if (d.kind() == FaultDetail.Kind.EPT_MISCONFIGURATION) {
            x.exits().eptExit(ExitReason.EPT_MISCONFIGURATION, 0, f.guestPhys(), false, 0);
        }
    }

    @Override
    public int lastAllowed() {
        return translator.lastAllowed();
    }

    @Override
    public long probe(long guestPhys) {
        return translator.probe(guestPhys);
    }
}
