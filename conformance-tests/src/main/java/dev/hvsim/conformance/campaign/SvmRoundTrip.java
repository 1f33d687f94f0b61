package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.NptImages;
import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.vmcs.vmcb.VmcbField;
import dev.hvsim.vmcs.vmcb.VmcbLayout;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Property (a) of issue 9 for SVM, the VMMCALL round trip under nested paging: a valid VMCB (VmcbGenerator, any of its
 * bases) is made runnable by {@link NptImages} (NP_ENABLE, random nested tables and guest tables, VMMCALL at CS:RIP,
 * the VMMCALL intercept set, no event to inject) and entered with VMRUN by a 64-bit host ({@link SvmHostHarness}); the
 * guest's first instruction, VMMCALL, is intercepted (APM Vol. 3 "VMMCALL"; Vol. 2 15.9 Table 15-7, exit code 81H).
 * Then, APM Vol. 2:
 * <ul>
 * <li>the VMCB after the #VMEXIT is the VMCB VMRUN read, byte for byte, except what 15.6 has #VMEXIT write: EXITCODE
 * 81H, EXITINFO1 = EXITINFO2 = EXITINTINFO = 0 (15.7.2: no event was being delivered); NRIP = RIP + 3 when
 * Fn8000_000A EDX[NRIPS] (15.7.1; untouched otherwise); the interrupt shadow 0 and GUEST_INTERRUPT_MASK = the
 * guest's RFLAGS.IF (Table B-1); the guest state saved equals the state loaded, field by field (ES, CS, SS, DS, GDTR,
 * IDTR, CPL, EFER, CR0, CR2, CR3, CR4, DR6, DR7, RFLAGS, RIP, RSP, RAX, G_PAT), with the two differences VMRUN itself
 * makes: EFER.LMA = LME and CR0.PG (15.5.1: VMRUN derives it) and CR0.ET = 1 (Vol. 2 3.1.1: read-only 1). RIP is the
 * VMMCALL's own: an intercepted instruction does not execute (15.7.1);</li>
 * <li>the host state is what it was at VMRUN, restored from VM_HSAVE_PA (15.5, 15.6): RIP after the VMRUN, RSP, RAX,
 * RFLAGS, CR0, CR3, CR4, EFER, ES/CS/SS/DS, GDTR, IDTR, CPL 0; DR7 = 400H (15.6: breakpoints disabled); GIF = 0
 * (15.17); and what VMRUN / #VMEXIT do not switch stays the guest's or the host's (15.5.1, Vol. 3 "VMRUN": FS, GS,
 * TR, LDTR, the syscall MSRs, the GPRs other than RAX and RSP hold their values through the trip; CR2 and DR6 are not
 * in the host state VMRUN saves (Vol. 3 "VMRUN" lists ES/CS/SS/DS, GDTR, IDTR, EFER, CR0, CR4, CR3, RFLAGS, RIP, RSP,
 * RAX; Bochs saves the same), so the host sees the guest's CR2 and DR6).</li>
 * </ul>
 */
public final class SvmRoundTrip {
    private SvmRoundTrip() {
    }

    /** Runs the round trip of the valid case {@code valid}; {@code seed} places the image and draws GPRs and CR2. */
    public static String check(VmcbCase valid, long seed) {
        List<String> d = diffs(valid, seed);
        return d.isEmpty() ? null : String.join("; ", d);
    }

    /** The differences (empty when the property held): "what is X, expected Y", or why the run did not get there. */
    public static List<String> diffs(VmcbCase valid, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        NptImages.Image img = placed(valid, r);
        VmcbCase c = img.vmcbCase();
        VmrunOutcome o = c.check();
        if (o.kind() != VmrunOutcome.Kind.ENTERED) {
            return List.of("the guest image made a valid case invalid: " + VmcbCase.ids(o.violations()));
        }
        SvmHostHarness h = new SvmHostHarness(c.profile());
        byte[] loaded = c.image();
        h.bus.load(SvmHostHarness.VMCB, loaded);
        c.memory().forEach((a, q) -> h.bus.write(a, 8, q));
        var s = h.cpu.state();
        for (int i = 0; i < 16; i++) {
            s.gpr[i] = r.nextLong();
        }
        s.gpr[Reg.RAX] = SvmHostHarness.VMCB;
        h.prepare(SvmHostHarness.VMRUN, 0);
        Map<String, Long> before = h.state();
        h.step();
        if (!h.svm.inGuest()) {
            return List.of("VMRUN did not enter (vector " + h.event.vector + ", exit " + h.cpu.lastVmExit() + ")");
        }
        h.runGuest(1);
        List<String> out = new ArrayList<>();
        if (h.svm.inGuest()) {
            out.add("the guest's VMMCALL did not exit (guest RIP " + Long.toHexString(s.rip) + ")");
            return out;
        }
        // the VMCB: what VMRUN read, with what #VMEXIT writes (15.6, 15.7)
        byte[] expected = loaded.clone();
        long rip = field("save.RIP").read(loaded), rflags = field("save.RFLAGS").read(loaded);
        put(expected, "control.EXITCODE", 0x81);
        put(expected, "control.EXITINFO1", 0);
        put(expected, "control.EXITINFO2", 0);
        put(expected, "control.EXITINTINFO", 0);
        if ((h.cpu.cpuidTable().exact(0x8000000aL, 0, 3) >>> 3 & 1) != 0) {
            put(expected, "control.NRIP", rip + 3);
        }
        dev.hvsim.svm.VmcbChecker.put(expected, dev.hvsim.svm.VmcbChecker.Slot.of(NptImages.INT_SHADOW),
                (rflags >>> 9 & 1) << 1);
        long efer = field("save.EFER").read(loaded), cr0 = field("save.CR0").read(loaded) | Cpu.CR0_ET;
        boolean lma = (efer & Cpu.EFER_LME) != 0 && (cr0 & Cpu.CR0_PG) != 0;
        put(expected, "save.EFER", lma ? efer | Cpu.EFER_LMA : efer & ~Cpu.EFER_LMA);
        put(expected, "save.CR0", cr0);
        byte[] actual = new byte[4096];
        for (int i = 0; i < 4096; i += 8) {
            long q = h.bus.read(SvmHostHarness.VMCB + i, 8);
            for (int b = 0; b < 8; b++) {
                actual[i + b] = (byte) (q >>> 8 * b);
            }
        }
        Set<String> named = new LinkedHashSet<>();
        for (int i = 0; i < 4096; i++) {
            if (expected[i] != actual[i]) {
                int off = i;
                String name = VmcbLayout.get().fieldContaining(i).map(VmcbField::qualifiedName)
                        .orElse(String.format("0x%03x", off));
                VmcbField f = VmcbLayout.get().fieldContaining(i).orElse(null);
                if (named.add(name)) {
                    out.add(f != null && f.size() <= 8 && !f.reserved()
                            ? "VMCB " + name + " is " + Long.toHexString(f.read(actual)) + ", expected "
                                    + Long.toHexString(f.read(expected))
                            : String.format("VMCB byte %03xH (%s) is %02x, expected %02x", off, name, actual[off],
                                    expected[off]));
                }
            }
        }
        // the host: as at VMRUN (VM_HSAVE_PA), after the VMRUN, GIF 0, DR7 400H, the guest's CR2
        Map<String, Long> want = new java.util.TreeMap<>(before);
        want.put("RIP", SvmHostHarness.CODE + 3);
        want.put("GIF", 0L);
        want.put("DR7", 0x400L);
        want.put("CR2", field("save.CR2").read(loaded));
        want.put("DR6", field("save.DR6").read(loaded));
        for (String x : SvmHostHarness.diff(want, h.state())) {
            out.add("host " + x);
        }
        if (!out.isEmpty()) {
            out.add("(guest code at linear " + Long.toHexString(img.codeLinear()) + ", guest-physical "
                    + Long.toHexString(img.codeGpa()) + ", host-physical " + Long.toHexString(img.codeHpa()) + ")");
        }
        return out;
    }

    /** The runnable image of {@code valid} that {@link #check} runs with {@code seed} (a random CR2, VMMCALL at RIP). */
    public static NptImages.Image placed(VmcbCase valid, long seed) {
        return placed(valid, new SplittableRandom(seed));
    }

    private static NptImages.Image placed(VmcbCase valid, SplittableRandom r) {
        return NptImages.place(valid.with("save.CR2", r.nextLong()), SvmHostHarness.VMMCALL, r, false);
    }

    /** The names of the fields or state that differ: what "fails the same way" compares when shrinking. */
    public static Set<String> signature(List<String> diffs) {
        Set<String> s = new java.util.TreeSet<>();
        for (String d : diffs) {
            if (!d.startsWith("(guest code")) {
                int is = d.indexOf(" is ");
                s.add(is < 0 ? d : d.substring(0, is));
            }
        }
        return s;
    }

    /**
     * Shrinks a failing round trip to the fewest VMCB fields that differ from the case's base and still fail on the
     * same fields ({@link SvmProperties#shrink}); the result is a valid VMCB (check-vmcb reproduces its state; the
     * seed its image).
     */
    public static VmcbCase shrink(VmcbCase failing, long seed) {
        Set<String> sig = signature(diffs(failing, seed));
        return SvmProperties.shrink(failing, VmcbCase.ofBase(failing.profile(), failing.base()),
                x -> x.check().kind() == VmrunOutcome.Kind.ENTERED && signature(diffs(x, seed)).equals(sig));
    }

    static VmcbField field(String name) {
        return VmcbLayout.get().field(name);
    }

    static void put(byte[] image, String name, long v) {
        field(name).write(image, v);
    }
}
