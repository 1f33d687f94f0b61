package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.GuestImages;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.vmcs.AccessType;
import dev.hvsim.vmcs.FieldType;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.Vmcs;
import dev.hvsim.x86core.Reg;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Property (a) of issue 9, the VMCALL round trip: a valid state, made runnable by {@link GuestImages} (random
 * consistent guest page tables and EPT tables with a VMCALL at CS:RIP), enters with VMLAUNCH on a root-mode CPU; the
 * guest's first instruction VMCALL exits unconditionally (SDM Vol. 3C 26.1.2; 31 VMCALL) with exit reason 18, a zero
 * qualification and an instruction length of 3 (29.2.1, 29.2.5), RIP = HOST_RIP; and every guest-state field the VM
 * exit saved (29.3) equals the value VM entry loaded, field by field: VMCALL is fault-like (the saved RIP is the
 * VMCALL's own, 29.3.3), and nothing else ran in the guest. The general-purpose registers other than RSP, which
 * neither VM entry nor VM exit loads (28.3.2.3, 29.5), keep their random values through the trip.
 */
public final class VmxRoundTrip {
    static final byte[] RDMSR = {0x0f, 0x32};

    private VmxRoundTrip() {
    }

    /** The guest-state fields the processor has (full encodings). */
    public static List<VmcsField> guestStateFields(VmxCase c) {
        List<VmcsField> out = new ArrayList<>();
        for (VmcsField f : VmcsFields.get().all()) {
            if (f.type() == FieldType.GUEST_STATE && f.access() == AccessType.FULL && f.existsUnder(c.cpu().caps())) {
                out.add(f);
            }
        }
        return out;
    }

    /**
     * Runs the round trip of the valid case {@code valid}; null when every check held, else what differs. {@code
     * r} places the image and draws the GPRs.
     */
    public static String check(VmxCase valid, SplittableRandom r) {
        List<String> d = diffs(valid, r);
        return d.isEmpty() ? null : String.join("; ", d);
    }

    /**
     * The case as the round trip runs it: the generator's VM-exit MSR-store / MSR-load areas are valid for entry
     * (28.2.1.2) but hold no valid entries, so the exit would end in a VMX abort (29.7), which is not this property's
     * subject; then the guest image is placed with {@code r}.
     */
    public static GuestImages.Image placed(VmxCase valid, SplittableRandom r) {
        return GuestImages.place(valid.with("VM_EXIT_MSR_STORE_COUNT", 0).with("VM_EXIT_MSR_LOAD_COUNT", 0),
                VmxHarness.VMCALL, r);
    }

    /**
     * Shrinks a failing round trip to the fewest fields (and memory qwords) that differ from its guest mode's base
     * and still fail on the same fields ({@link VmxShrinker#shrink}, {@link SvmRoundTrip#signature}); every trial is
     * a valid state run with the same image seed, so the result is what check-vmcs reproduces (placed by
     * {@link #placed} with that seed).
     */
    public static VmxCase shrink(VmxCase failing, long imageSeed) {
        java.util.Set<String> sig = SvmRoundTrip.signature(diffs(failing, new SplittableRandom(imageSeed)));
        return VmxShrinker.shrink(failing, VmxCase.ofBase(failing.cpu(), failing.mode()),
                x -> x.check().kind() == EntryOutcome.Kind.ENTERED
                        && SvmRoundTrip.signature(diffs(x, new SplittableRandom(imageSeed))).equals(sig));
    }

    /** What differs in the round trip of {@code valid} (empty when the property held); {@code r} as for check. */
    public static List<String> diffs(VmxCase valid, SplittableRandom r) {
        GuestImages.Image img = placed(valid, r);
        VmxCase c = img.vmxCase();
        EntryOutcome o = c.check();
        if (o.kind() != EntryOutcome.Kind.ENTERED) {
            return List.of("the guest image made a valid case invalid: " + VmxCase.ids(o.violations()));
        }
        VmxHarness h = new VmxHarness(c.cpu().profile());
        if (!h.enterVmxAndLoad()) {
            return List.of("VMXON / VMCLEAR / VMPTRLD failed");
        }
        h.load(c);
        // the root-mode IA32_PAT (RDMSR) and IA32_EFER the guest inherits when "load IA32_PAT / EFER" are 0
        h.cpu.state().gpr[Reg.RCX] = 0x277;
        h.exec(RDMSR, 0);
        long rootPat = h.cpu.state().gpr[Reg.RDX] << 32 | h.cpu.state().gpr[Reg.RAX] & 0xffffffffL;
        long rootEfer = h.cpu.state().efer;
        long[] gprs = new long[16];
        for (int i = 0; i < 16; i++) {
            gprs[i] = r.nextLong();
            if (i != Reg.RSP) {
                h.cpu.state().gpr[i] = gprs[i];
            }
        }
        long flags = h.exec(VmxHarness.VMLAUNCH, 0);
        if (!h.vmx.inNonRoot()) {
            Vmcs v = h.vmx.currentVmcs();
            return List.of("VMLAUNCH did not enter: flags " + Long.toHexString(flags) + ", error "
                    + v.read("VM_INSTRUCTION_ERROR") + ", exit reason " + Long.toHexString(v.read("VM_EXIT_REASON")));
        }
        h.cpu.run(1, Long.MAX_VALUE);
        Vmcs v = h.vmx.currentVmcs();
        List<String> diffs = new ArrayList<>();
        if (h.vmx.inNonRoot()) {
            diffs.add("the guest's VMCALL did not exit (RIP " + Long.toHexString(h.cpu.state().rip) + ")");
        }
        expect(diffs, "exit reason", v.read("VM_EXIT_REASON"), 18);
        expect(diffs, "exit qualification", v.read("EXIT_QUALIFICATION"), 0);
        expect(diffs, "instruction length", v.read("VM_EXIT_INSTRUCTION_LEN"), 3);
        expect(diffs, "RIP after the exit (HOST_RIP)", h.cpu.state().rip, c.get("HOST_RIP"));
        Map<String, Long> msrLoaded = inherited(c, rootPat, rootEfer);
        msrLoaded.putAll(msrLoaded(c));
        for (VmcsField f : guestStateFields(c)) {
            long loaded = msrLoaded.getOrDefault(f.name(), c.fields().getOrDefault(f, 0L)) & f.valueMask();
            expect(diffs, f.name(), v.read(f), loaded);
        }
        for (int i = 0; i < 16; i++) {
            if (i != Reg.RSP) {
                expect(diffs, "GPR " + i, h.cpu.state().gpr[i], gprs[i]);
            }
        }
        if (!diffs.isEmpty()) {
            diffs.add("(guest code at linear " + Long.toHexString(img.codeLinear()) + ", guest-physical "
                    + Long.toHexString(img.codeGpa()) + ", host-physical " + Long.toHexString(img.codeHpa()) + ")");
        }
        return diffs;
    }

    /**
     * IA32_PAT and IA32_EFER as VM entry left them when it did not load them from the guest-state area but the VM exit
     * saves them (28.3.2.1: without "load IA32_EFER", EFER.LMA = "IA-32e mode guest" and, with CR0.PG = 1, EFER.LME
     * too; the other bits and PAT are the root-mode values).
     */
    static Map<String, Long> inherited(VmxCase c, long rootPat, long rootEfer) {
        Map<String, Long> m = new HashMap<>();
        long entry = c.get("VM_ENTRY_CONTROLS"), exit = c.get("VM_EXIT_CONTROLS");
        if ((exit & 1L << 18) != 0 && (entry & 1L << 14) == 0) {
            m.put("GUEST_IA32_PAT", rootPat);
        }
        if ((exit & 1L << 20) != 0 && (entry & 1L << 15) == 0) {
            boolean ia32e = (entry & 1L << 9) != 0;
            long efer = rootEfer & ~0x400L | (ia32e ? 0x400L : 0);
            if ((c.get("GUEST_CR0") & 1L << 31) != 0) {
                efer = efer & ~0x100L | (ia32e ? 0x100L : 0);
            }
            m.put("GUEST_IA32_EFER", efer);
        }
        return m;
    }

    /**
     * The guest-state fields whose MSR a VM-entry MSR-load list entry overwrote after the guest-state area was loaded
     * (28.4; processed in order, so the last entry wins) and that the VM exit saves back (29.3.1: SYSENTER_CS/ESP/EIP
     * always, IA32_PAT with "save IA32_PAT").
     */
    static Map<String, Long> msrLoaded(VmxCase c) {
        Map<String, Long> m = new HashMap<>();
        long addr = c.get("VM_ENTRY_MSR_LOAD_ADDR");
        boolean savePat = (c.get("VM_EXIT_CONTROLS") & 1L << 18) != 0;
        for (int i = 0; i < c.get("VM_ENTRY_MSR_LOAD_COUNT"); i++) {
            long index = c.memory().getOrDefault(addr + 16L * i, 0L) & 0xffffffffL;
            long value = c.memory().getOrDefault(addr + 16L * i + 8, 0L);
            if (index == 0x174) {
                m.put("GUEST_SYSENTER_CS", value);
            } else if (index == 0x175) {
                m.put("GUEST_SYSENTER_ESP", value);
            } else if (index == 0x176) {
                m.put("GUEST_SYSENTER_EIP", value);
            } else if (index == 0x277 && savePat) {
                m.put("GUEST_IA32_PAT", value);
            }
        }
        return m;
    }

    private static void expect(List<String> diffs, String what, long actual, long expected) {
        if (actual != expected) {
            diffs.add(what + " is " + Long.toHexString(actual) + ", expected " + Long.toHexString(expected));
        }
    }
}
