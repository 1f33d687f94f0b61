package dev.hvsim.tools.gdb;

import dev.hvsim.ept.Access;
import dev.hvsim.ept.AccessContext;
import dev.hvsim.ept.Perm;
import dev.hvsim.ept.SecondStageFormat;
import dev.hvsim.ept.Translated;
import dev.hvsim.ept.TwoStageWalker;
import dev.hvsim.ept.WalkResult;
import dev.hvsim.svm.SvmExtension;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmcs.vmcb.VmcbField;
import dev.hvsim.vmcs.vmcb.VmcbLayout;
import dev.hvsim.vmx.Vmcs;
import dev.hvsim.vmx.VmxExtension;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;

/**
 * The debugger's view of the virtualization extension of a CPU: the current VMCS or VMCB by field name (the vmcs
 * module's catalogues: VMCS field symbols of vmcs-fields.csv, VMCB names {@code control.NAME} / {@code save.NAME} as
 * {@code hvsim check-vmcb} spells them), root/non-root, and the second stage for the two-stage walk. The only place of
 * the debugger that names a vendor; everything is read, nothing written.
 */
final class VmStructures {
    private VmStructures() {}

    /** One line: VMX root/non-root with the current VMCS, SVM host/guest with the VMCB, or native. */
    static String virtualization(Cpu cpu) {
        CpuExtension x = cpu.extension();
        if (x instanceof VmxExtension) {
            VmxExtension v = (VmxExtension) x;
            if (!v.inVmxOperation()) {
                return "VMX available, not in VMX operation";
            }
            return String.format("VMX %s operation, current VMCS %s%s", v.inNonRoot() ? "non-root" : "root",
                    v.currentVmcsPointer() == VmxExtension.NO_VMCS ? "none" : String.format("%#x", v.currentVmcsPointer()),
                    v.inNonRoot() && v.currentVpid() != 0 ? ", VPID " + v.currentVpid() : "")
                    + (v.eptFormat() != null ? String.format(", EPTP %#x", v.currentEptp()) : "");
        }
        if (x instanceof SvmExtension) {
            SvmExtension s = (SvmExtension) x;
            return String.format("SVM %s, GIF %d, VMCB %#x%s", s.inGuest() ? "guest mode" : "host", s.gif() ? 1 : 0,
                    s.vmcbPa(), s.nestedFormat() != null ? ", nested paging on" : "");
        }
        return "native (this CPU has no VMX/SVM model)";
    }

    /** The {@code hv_mode} register: 0 native (or not in VMX operation), 1 VMX root, 2 VMX non-root, 3 SVM host, 4 SVM guest. */
    static long hvMode(Cpu cpu) {
        CpuExtension x = cpu.extension();
        if (x instanceof VmxExtension) {
            VmxExtension v = (VmxExtension) x;
            return !v.inVmxOperation() ? 0 : v.inNonRoot() ? 2 : 1;
        }
        if (x instanceof SvmExtension) {
            return ((SvmExtension) x).inGuest() ? 4 : (cpu.state().efer & Cpu.EFER_SVME) != 0 ? 3 : 0;
        }
        return 0;
    }

    /** The {@code hv_ctl} register: the current VMCS pointer or the VMCB address of the last VMRUN; all-ones if none. */
    static long hvCtl(Cpu cpu) {
        CpuExtension x = cpu.extension();
        if (x instanceof VmxExtension) {
            return ((VmxExtension) x).currentVmcsPointer(); // NO_VMCS is all-ones
        }
        if (x instanceof SvmExtension && ((SvmExtension) x).vmcbPa() != 0) {
            return ((SvmExtension) x).vmcbPa();
        }
        return -1L;
    }

    /** {@code monitor vmcs}: the named fields of the current VMCS ({@code all}: every field of its layout). */
    static String vmcs(Cpu cpu, String[] names) {
        if (!(cpu.extension() instanceof VmxExtension)) {
            return "vmcs: this CPU has no VMX model (" + virtualization(cpu) + ")\n";
        }
        VmxExtension v = (VmxExtension) cpu.extension();
        Vmcs vmcs;
        try {
            vmcs = v.currentVmcsPointer() == VmxExtension.NO_VMCS ? null : v.currentVmcs();
        } catch (RuntimeException e) {
            vmcs = null;
        }
        if (vmcs == null) {
            return "vmcs: no current VMCS (" + virtualization(cpu) + ")\n";
        }
        StringBuilder b = new StringBuilder(String.format("VMCS %#x (%s, launch state %s):%n", v.currentVmcsPointer(),
                v.inNonRoot() ? "non-root" : "root", vmcs.launchState()));
        Iterable<VmcsField> fields;
        if (names.length == 1 && names[0].equals("all")) {
            java.util.List<VmcsField> l = new java.util.ArrayList<>();
            for (VmcsField f : VmcsFields.get().all()) {
                if (vmcs.layout().has(f)) {
                    l.add(f);
                }
            }
            fields = l;
        } else {
            java.util.List<VmcsField> l = new java.util.ArrayList<>();
            for (String n : names) {
                VmcsField f;
                try {
                    f = VmcsFields.get().lookup(n.toUpperCase(java.util.Locale.ROOT).startsWith("0X") ? n
                            : n.toUpperCase(java.util.Locale.ROOT));
                } catch (RuntimeException e) {
                    b.append(String.format("  %-32s unknown VMCS field%n", n));
                    continue;
                }
                l.add(f);
            }
            fields = l;
        }
        for (VmcsField f : fields) {
            if (!vmcs.layout().has(f)) {
                b.append(String.format("  %-32s (%#06x) not in this VMCS layout%n", f.name(), f.encoding().value()));
                continue;
            }
            b.append(String.format("  %-32s (%#06x) = %#x%n", f.name(), f.encoding().value(), vmcs.read(f)));
        }
        return b.toString();
    }

    /** {@code monitor vmcb}: the named fields of the VMCB of the last VMRUN ({@code all}: every value field). */
    static String vmcb(Cpu cpu, String[] names) {
        if (!(cpu.extension() instanceof SvmExtension)) {
            return "vmcb: this CPU has no SVM model (" + virtualization(cpu) + ")\n";
        }
        SvmExtension s = (SvmExtension) cpu.extension();
        long pa = s.vmcbPa();
        if (pa == 0) {
            return "vmcb: no VMRUN yet (" + virtualization(cpu) + ")\n";
        }
        byte[] page = new byte[VmcbLayout.VMCB_SIZE];
        for (int i = 0; i < page.length; i += 8) {
            long q = cpu.bus().read(pa + i, 8);
            for (int k = 0; k < 8; k++) {
                page[i + k] = (byte) (q >>> (8 * k));
            }
        }
        StringBuilder b = new StringBuilder(String.format("VMCB %#x (%s):%n", pa, s.inGuest() ? "guest running"
                : "host side"));
        VmcbLayout layout = VmcbLayout.get();
        java.util.List<VmcbField> fields = new java.util.ArrayList<>();
        if (names.length == 1 && names[0].equals("all")) {
            for (VmcbField f : layout.fields()) {
                if (f.ordinary() && f.size() >= 1 && f.size() <= 8) {
                    fields.add(f);
                }
            }
        } else {
            for (String n : names) {
                try {
                    fields.add(layout.field(n));
                } catch (IllegalArgumentException e) {
                    b.append(String.format("  %-28s %s%n", n, e.getMessage()));
                }
            }
        }
        for (VmcbField f : fields) {
            try {
                b.append(String.format("  %-28s (+%#05x) = %#x%n", f.qualifiedName(), f.offset(), f.read(page)));
            } catch (IllegalArgumentException e) {
                b.append(String.format("  %-28s %s%n", f.qualifiedName(), e.getMessage()));
            }
        }
        return b.toString();
    }

    /** The second stage active on this CPU (EPT in VMX non-root operation, NPT in an SVM guest), or null. */
    static SecondStageFormat secondStage(Cpu cpu) {
        CpuExtension x = cpu.extension();
        if (x instanceof VmxExtension) {
            return ((VmxExtension) x).eptFormat();
        }
        if (x instanceof SvmExtension) {
            return ((SvmExtension) x).nestedFormat();
        }
        return null;
    }

    /**
     * Guest-physical {@code gpa} through the second stage {@code f} (null: identity), without A/D writes: "hpa
     * PERMS" text, and the host-physical address in {@code out[0]} (-1 when the nested tables refuse it).
     */
    static String nested(TwoStageWalker w, SecondStageFormat f, long gpa, long lin, long[] out) {
        if (f == null) {
            out[0] = gpa;
            return "";
        }
        WalkResult r = w.translateGuestPhysical(f, gpa, Access.READ, AccessContext.finalAccess(lin), false);
        if (!r.translated()) {
            out[0] = -1;
            return " -> nested: " + r;
        }
        Translated t = (Translated) r;
        out[0] = t.hostPhys();
        return String.format(" -> nested: hpa %#x %s %s", t.hostPhys(), Perm.toString(t.permissions()), t.pageSize());
    }
}
