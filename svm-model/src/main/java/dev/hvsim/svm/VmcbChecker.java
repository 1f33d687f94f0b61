package dev.hvsim.svm;

import dev.hvsim.vmcs.vmcb.VmcbField;
import dev.hvsim.vmcs.vmcb.VmcbLayout;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.bus.SparseMemory;
import java.util.Map;

/**
 * Checks a VMCB description without running anything: {@link VmrunChecks} on a CPU of the given profile with the
 * given physical memory (PAE PDPTEs). The instruction-level checks (EFER.SVME of the host, CPL, rAX) do not
 * apply: the described VMCB is the one VMRUN would read. The host executing VMRUN is taken to be a 64-bit host with
 * paging on (what SVM-VMRUN-NP-HOSTPG looks at). Behind {@code hvsim check-vmcb}.
 */
public final class VmcbChecker {
    private VmcbChecker() {}

    /** A field (by vmcb-layout.csv qualified name) as an offset and a byte size of 1 to 8. */
    public record Slot(int offset, int size) {
        public Slot {
            if (offset < 0 || size < 1 || size > 8 || offset + size > VmcbSnapshot.SIZE) {
                throw new IllegalArgumentException(String.format("VMCB slot %#x:%d is not 1-8 bytes inside the 4 KiB "
                        + "VMCB", offset, size));
            }
        }

        /** {@code control.NAME} / {@code save.NAME} of vmcb-layout.csv, or {@code 0xOFF:SIZE}. */
        public static Slot of(String name) {
            if (name.startsWith("0x") || name.startsWith("0X")) {
                int colon = name.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("offset '" + name + "' needs a byte size (\"0x4d0:8\")");
                }
                try {
                    return new Slot(Integer.parseInt(name.substring(2, colon), 16),
                            Integer.parseInt(name.substring(colon + 1)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("malformed offset '" + name + "' (\"0x4d0:8\")");
                }
            }
            VmcbField f = VmcbLayout.get().field(name);
            if (f.reserved() || f.size() < 1 || f.size() > 8) {
                throw new IllegalArgumentException("VMCB field '" + name + "' is not a 1-8 byte value");
            }
            return new Slot(f.offset(), f.size());
        }

        public long mask() {
            return size == 8 ? -1L : (1L << 8 * size) - 1;
        }
    }

    /** The VMCB image of a base plus nothing else. */
    public static byte[] image(Map<String, Long> fields) {
        byte[] b = new byte[VmcbSnapshot.SIZE];
        fields.forEach((k, v) -> put(b, Slot.of(k), v));
        return b;
    }

    public static void put(byte[] b, Slot s, long v) {
        for (int i = 0; i < s.size(); i++) {
            b[s.offset() + i] = (byte) (v >>> 8 * i);
        }
    }

    public static long get(byte[] b, Slot s) {
        long v = 0;
        for (int i = s.size() - 1; i >= 0; i--) {
            v = v << 8 | (b[s.offset() + i] & 0xff);
        }
        return v;
    }

    /**
     * @param profile a profile that advertises SVM (IllegalArgumentException otherwise)
     * @param vmcb    the 4 KiB VMCB image
     * @param memory  physical memory as quadwords by 8-aligned address
     */
    public static VmrunOutcome check(CpuProfile profile, byte[] vmcb, Map<Long, Long> memory) {
        return check(profile, vmcb, memory, Cpu.CR0_ET | Cpu.CR0_CD | Cpu.CR0_NW | Cpu.CR0_PE | Cpu.CR0_PG); // reset CR0 + PE, PG
    }

    /**
     * As {@link #check(CpuProfile, byte[], Map)} with the host's CR0 at VMRUN given (SVM-VMRUN-NP-HOSTPG looks at
     * CR0.PG; the host stays in 64-bit mode otherwise; check-vmcb's "processor" key).
     */
    public static VmrunOutcome check(CpuProfile profile, byte[] vmcb, Map<Long, Long> memory, long hostCr0) {
        if (!profile.has(dev.hvsim.x86core.decode.Feature.SVM)) {
            throw new IllegalArgumentException("profile " + profile.name() + " does not advertise SVM");
        }
        SparseMemory bus = new SparseMemory();
        memory.forEach((a, v) -> bus.write(a, 8, v));
        Cpu cpu = new Cpu(profile, bus, bus);
        SvmExtension x = cpu.extension() instanceof SvmExtension ? (SvmExtension) cpu.extension()
                : SvmExtension.install(cpu);
        cpu.state().cr0 = hostCr0;
        cpu.state().cr4 |= Cpu.CR4_PAE;
        cpu.state().efer |= Cpu.EFER_LME | Cpu.EFER_LMA;
        return VmrunChecks.check(VmcbSnapshot.of(vmcb), x.vmrunContext());
    }
}
