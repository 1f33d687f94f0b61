package dev.hvsim.conformance.gen;

import dev.hvsim.svm.VmcbBases;
import dev.hvsim.x86core.CpuProfile;
import java.util.SplittableRandom;

/**
 * Valid VMCBs by construction (AMD APM Vol. 2 15.5.1 consistency checks, 15.20 EVENTINJ, 15.25 nested paging): a
 * {@link VmcbBases} base with random intercepts (every word; the VMRUN intercept kept), IOPM/MSRPM and N_CR3 below
 * MAXPHYADDR, ASID, TLB_CONTROL, TSC offset, guest RIP/RSP/RFLAGS/general registers, CR0 cache bits (CD/NW
 * consistent), data segments, DR6/DR7 low halves, a valid G_PAT, and a legal EVENTINJ. The same seed gives the same
 * case.
 */
public final class VmcbGenerator {
    private final CpuProfile profile;

    public VmcbGenerator(CpuProfile profile) {
        this.profile = profile;
    }

    public CpuProfile profile() {
        return profile;
    }

    public VmcbCase valid(SplittableRandom r) {
        return valid(VmcbBases.NAMES.get(r.nextInt(VmcbBases.NAMES.size())), r);
    }

    private static long page(SplittableRandom r) {
        return (0x100L + r.nextInt(0x3ff00)) << 12;  // [1 MiB, 1 GiB), 4 KiB aligned
    }

    public VmcbCase valid(String base, SplittableRandom r) {
        VmcbCase c = VmcbCase.ofBase(profile, base);
        boolean lm = !base.equals(VmcbBases.PROTECTED_MODE);
        c = c.with("control.INTERCEPT_CR_READ", r.nextInt(0x10000)).with("control.INTERCEPT_CR_WRITE", r.nextInt(0x10000))
                .with("control.INTERCEPT_DR_READ", r.nextInt(0x10000)).with("control.INTERCEPT_DR_WRITE", r.nextInt(0x10000))
                .with("control.INTERCEPT_EXCEPTIONS", r.nextInt() & 0xffffffffL)
                .with("control.INTERCEPT_MISC1", r.nextInt() & 0xffffffffL)
                .with("control.INTERCEPT_MISC2", (r.nextInt() & 0xffffffffL) | 1)  // VMRUN intercept stays set
                .with("control.IOPM_BASE_PA", page(r)).with("control.MSRPM_BASE_PA", page(r))
                .with("control.GUEST_ASID", 1 + r.nextInt(15))
                .with("control.TLB_CONTROL", new long[] {0, 1, 3, 7}[r.nextInt(4)])
                .with("control.TSC_OFFSET", r.nextLong());
        if (base.equals(VmcbBases.NESTED_PAGING)) {
            c = c.with("control.N_CR3", page(r)).with("save.G_PAT", pat(r));
        }
        // CR0: CD/NW (NW only with CD), WP, AM, MP, TS, EM (15.5.1: NW = 1 with CD = 0 is illegal)
        long cr0 = c.get("save.CR0");
        int cache = r.nextInt(3);
        cr0 |= cache == 1 ? 1L << 30 : cache == 2 ? 3L << 29 : 0;
        for (int b : new int[] {1, 2, 3, 16, 18}) {
            cr0 |= r.nextBoolean() ? 1L << b : 0;
        }
        long efer = c.get("save.EFER") | (r.nextBoolean() ? 1 : 0);               // SCE
        c = c.with("save.CR0", cr0).with("save.EFER", efer)
                .with("save.RIP", lm ? r.nextLong() & 0x00007fffffffffffL : r.nextLong() & 0xffffffffL)
                .with("save.RSP", r.nextLong()).with("save.RAX", r.nextLong())
                .with("save.RFLAGS", 2 | (r.nextInt() & 0xcd5L))                   // CF PF AF ZF SF TF IF DF OF
                .with("save.DR6", 0xffff0ff0L | (r.nextInt() & 0xf00fL))
                .with("save.DR7", 0x400L | (r.nextInt() & 0xffff00ffL));
        for (String s : new String[] {"ES", "SS", "DS"}) {
            c = c.with("save." + s + ".selector", (long) r.nextInt(0x2000) << 3 | (s.equals("SS") ? 0 : r.nextInt(4)))
                    .with("save." + s + ".base", r.nextInt() & 0xffffffffL);
        }
        return eventInj(c, lm, r);
    }

    /**
     * The guest modes a VMCB of {@code base} can be put in without breaking a VMRUN rule (15.5.1): the long-mode bases
     * as 64-bit or compatibility mode (CS.L = 0, CS.D = 1, a 32-bit RIP); the protected-mode base without paging,
     * with 32-bit paging (CR0.PG) or with PAE paging (CR0.PG, CR4.PAE; under nested paging VMRUN does not check the
     * PDPTEs). Paging modes need guest tables in memory to run ({@link NptImages}).
     */
    public static final java.util.List<String> MODES = java.util.List.of("64-bit", "compatibility", "protected",
            "protected-32-bit-paging", "protected-pae-paging");

    /** {@link #valid(String, SplittableRandom)} put in a random one of the guest modes {@link #MODES} of its base. */
    public VmcbCase validAnyMode(String base, SplittableRandom r) {
        VmcbCase c = valid(base, r);
        return inMode(c, base.equals(VmcbBases.PROTECTED_MODE) ? MODES.get(2 + r.nextInt(3)) : MODES.get(r.nextInt(2)));
    }

    /** A valid case of the matching base put in guest mode {@code mode} of {@link #MODES}. */
    public static VmcbCase inMode(VmcbCase c, String mode) {
        switch (mode) {
            case "compatibility":
                return c.with("save.CS.attrib", 0xc9b).with("save.RIP", c.get("save.RIP") & 0xffffffffL);
            case "protected-32-bit-paging":
                return c.with("save.CR0", c.get("save.CR0") | 1L << 31);
            case "protected-pae-paging":
                return c.with("save.CR0", c.get("save.CR0") | 1L << 31).with("save.CR4", c.get("save.CR4") | 1L << 5);
            default:
                return c;
        }
    }

    /** The guest mode of {@link #MODES} a case is in. */
    public static String mode(VmcbCase c) {
        boolean pg = (c.get("save.CR0") & 1L << 31) != 0;
        if ((c.get("save.EFER") & 0x100) != 0 && pg) {
            return (c.get("save.CS.attrib") & 0x200) != 0 ? MODES.get(0) : MODES.get(1);
        }
        return !pg ? MODES.get(2) : (c.get("save.CR4") & 1L << 5) != 0 ? MODES.get(4) : MODES.get(3);
    }

    /** A legal EVENTINJ (15.20): none, an external interrupt, an NMI, an exception (0-31, not 2; no #BR/#OF in
     *  64-bit mode) or a software interrupt. */
    private static VmcbCase eventInj(VmcbCase c, boolean lm, SplittableRandom r) {
        long e;
        switch (r.nextInt(5)) {
            case 0: e = 32 + r.nextInt(224); break;                                  // INTR
            case 1: e = 2 | 2 << 8; break;                                           // NMI
            case 2: {
                int v;
                do {
                    v = r.nextInt(32);
                } while (v == 2 || (lm && (v == 4 || v == 5)));
                e = v | 3 << 8;
                if (v == 8 || (v >= 10 && v <= 14) || v == 17) {
                    e |= 1 << 11 | (long) r.nextInt(0x10000) << 32;                  // EV + error code
                }
                break;
            }
            case 3: e = r.nextInt(256) | 4 << 8; break;                             // INTn
            default: return c;
        }
        return c.with("control.EVENTINJ", e | 1L << 31);
    }

    static long pat(SplittableRandom r) {
        int[] types = {0, 1, 4, 5, 6, 7};
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (long) types[r.nextInt(types.length)] << 8 * i;
        }
        return v;
    }
}
