package dev.hvsim.svm;

import dev.hvsim.ept.Fault;
import dev.hvsim.ept.FaultDetail;
import dev.hvsim.ept.MemoryType;
import dev.hvsim.ept.NptFormat;
import dev.hvsim.ept.NptTranslator;
import dev.hvsim.ept.X86PagingFormat;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.SecondStage;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.VmExitSignal;

/**
 * Nested paging and ASIDs of one CPU (AMD APM Vol. 2 15.16 "TLB Control", 15.25 "Nested Paging"):
 *
 * <ul>
 * <li>NP_ENABLE (VMCB 0x090 bit 0): ept's {@link NptTranslator} over the nested tables at N_CR3 (0x0B0), in the
 * host's paging format at VMRUN (15.25.3: long mode 4- or 5-level, PAE or legacy 32-bit, with the host's EFER.NXE
 * and CR4.PSE), installed as the core's second stage while the guest runs. A refusal is #VMEXIT(NPF, 0x400) with
 * EXITINFO1 = ept's {@code NpfExitInfo1} (the #PF-style code, bit 32 final guest-physical address, bit 33 guest
 * page-table access) and EXITINFO2 = the guest-physical address (15.25.6); guest CR2 is not written.</li>
 * <li>G_PAT (0x668): loaded into the PAT register at VMRUN with nested paging and saved back at #VMEXIT, the host's
 * PAT restored (15.25.4; APM Vol. 3 "VMRUN" pseudo-code); memory types combine as {@link NptFormat} says.</li>
 * <li>ASIDs: the core's TLB is switched to the translation context (ASID, N_CR3) at VMRUN and back to the host's
 * (0, none) at #VMEXIT without a flush; TLB_CONTROL (0x05C) says what VMRUN flushes (15.16.1); INVLPGA drops one
 * page of one ASID.</li>
 * </ul>
 */
final class SvmNestedPaging implements SecondStage {
    /** TLB_CONTROL encodings (APM Vol. 2 15.16.1, svm-misc.csv / vmcb-layout.csv TLB_CONTROL). */
    static final int TLB_NOTHING = 0, TLB_FLUSH_ALL = 1, TLB_FLUSH_ASID = 3, TLB_FLUSH_ASID_NONGLOBAL = 7;

    private final SvmExtension x;
    private NptTranslator translator;
    /** The guest running (or last run) has nested paging on. */
    private boolean enabled;
    private long asid;
    /** The host's PAT at VMRUN, restored at #VMEXIT (nested paging only). */
    private long hostPat;
    /** The nested format of the last VMRUN: reused when nothing changed (no allocation per VMRUN). */
    private NptFormat lastFormat;

    SvmNestedPaging(SvmExtension x) {
        this.x = x;
    }

    boolean enabled() {
        return enabled;
    }

    /** The nested tables' format of the guest running (or last run), or null without nested paging. */
    NptFormat format() {
        return enabled ? lastFormat : null;
    }

    /** The memory type of the last guest access the nested tables allowed (WB before any). */
    MemoryType lastMemoryType() {
        return translator == null ? MemoryType.WB : translator.lastMemoryType();
    }

    /**
     * 15.25.3 / 15.25.5: the nested tables have the host's paging format, taken from the host's CR0/CR4/EFER at
     * VMRUN (the VMRUN checks refused host CR0.PG = 0: SVM-VMRUN-NP-HOSTPG).
     */
    static X86PagingFormat hostFormat(Cpu c) {
        CpuState s = c.state();
        return new X86PagingFormat(hostMode(s), (s.efer & Cpu.EFER_NXE) != 0, (s.cr4 & Cpu.CR4_PSE) != 0,
                c.has(Feature.PAGE1GB), c.profile().maxPhysAddr());
    }

    private static X86PagingFormat.Mode hostMode(CpuState s) {
        return (s.efer & Cpu.EFER_LMA) != 0 ? (s.cr4 & Cpu.CR4_LA57) != 0
                ? X86PagingFormat.Mode.LONG5 : X86PagingFormat.Mode.LONG4
                : (s.cr4 & Cpu.CR4_PAE) != 0 ? X86PagingFormat.Mode.PAE : X86PagingFormat.Mode.LEGACY32;
    }

    /** Whether {@code f} is the format {@link #hostFormat} would give now (compared without building one). */
    private static boolean sameHostFormat(Cpu c, X86PagingFormat f) {
        CpuState s = c.state();
        return f.mode() == hostMode(s) && f.nxe() == ((s.efer & Cpu.EFER_NXE) != 0)
                && f.pse() == ((s.cr4 & Cpu.CR4_PSE) != 0) && f.has1G() == c.has(Feature.PAGE1GB)
                && f.maxPhysAddr() == c.profile().maxPhysAddr();
    }

    /**
     * VMRUN, after the checks and while the CPU still holds the host's registers: switch the TLB to the guest's
     * context (ASID, N_CR3) and install the nested tables. {@link #guestLoaded} follows the load of the guest state.
     */
    void enter(VmcbSnapshot v) {
        Cpu c = x.cpu();
        enabled = (v.q(V.NESTED_CTL) & 1) != 0;
        asid = v.get(V.ASID, 4);
        long root = -1;
        if (enabled) {
            hostPat = c.state().msr(Msr.IA32_PAT);
            long nCr3 = v.q(V.N_CR3);
            long gPat = v.q(V.G_PAT);
            if (lastFormat == null || lastFormat.nCr3() != nCr3 || lastFormat.hostPat() != hostPat
                    || lastFormat.guestPat() != gPat || !sameHostFormat(c, lastFormat.host())) {
                lastFormat = new NptFormat(nCr3, hostFormat(c), hostPat, gPat);
                translator = new NptTranslator(c, lastFormat);
            }
            root = nCr3;
        }
        c.mmu().switchContext(asid, root, enabled ? this : null);
    }

    /**
     * VMRUN, after the guest state is loaded: G_PAT into the PAT register (nested paging only), the context's check
     * of its paging controls, then TLB_CONTROL (15.16.1): 0 nothing, 1 every ASID's entries (the host's too), 3 this
     * ASID's, 7 this ASID's non-global ones. Other encodings are reserved; the model flushes everything for them, as
     * for 1 (always allowed; KVM refuses them for a nested guest, no source gives hardware's behaviour).
     */
    void guestLoaded(VmcbSnapshot v) {
        Cpu c = x.cpu();
        if (enabled) {
            c.state().msr.put(Msr.IA32_PAT, v.q(V.G_PAT));
        }
        c.mmu().contextStateLoaded();
        switch ((int) v.get(V.TLB_CONTROL, 1)) {
            case TLB_NOTHING:
                break;
            case TLB_FLUSH_ASID:
                c.mmu().invalidateContexts(asid, -1, false);
                break;
            case TLB_FLUSH_ASID_NONGLOBAL:
                c.mmu().invalidateContexts(asid, -1, true);
                break;
            default: // 1 and the reserved encodings
                c.mmu().invalidateContexts(-1, -1, false);
                break;
        }
        if (enabled && c.pagingEnabled() && c.cr4(Cpu.CR4_PAE) && !c.longMode()) {
            loadGuestPdptes(c);
        }
    }

    /**
     * A legacy-PAE guest under nested paging: its PDPTEs are read through the nested tables (a refusal is a
     * #VMEXIT(NPF) with bit 33, before the guest's first instruction). VMRUN does not check them with nested paging
     * (svm-misc.csv SVM-VMRUN-PAE-PDPTE); a PDPTE with a reserved bit is left not present (DEVIATIONS.md).
     */
    private static void loadGuestPdptes(Cpu c) {
        try {
            c.mmu().loadPdptes(c.state().cr3);
        } catch (ArchFault f) {
            java.util.Arrays.fill(c.mmu().pdpte, 0);
            c.mmu().flushAll();
        }
    }

    /** #VMEXIT, after the guest state was saved to the VMCB at {@code vmcbPa}: gPAT to G_PAT, back to the host's context. */
    void leave(long vmcbPa) {
        Cpu c = x.cpu();
        if (enabled) {
            Transitions.put8(c.bus(), x.transitions.vmcbPage, vmcbPa, V.G_PAT, c.state().msr(Msr.IA32_PAT));
            c.state().msr.put(Msr.IA32_PAT, hostPat);
        }
        c.mmu().switchContext(0, -1, null);
    }

    /** INIT in a guest: back to the host's context, nothing written to the VMCB (the guest's state is discarded). */
    void abandon() {
        x.cpu().mmu().switchContext(0, -1, null);
    }

    /** After the host state is loaded (#VMEXIT or VMEXIT_INVALID). */
    void hostLoaded() {
        x.cpu().mmu().contextStateLoaded();
    }

    /**
     * INVLPGA (APM Vol. 3 "INVLPGA"): the TLB entries of the page at linear address {@code linear} for {@code asid}
     * (0 is the host's); other ASIDs keep theirs.
     */
    void invlpga(long linear, long asid) {
        x.cpu().mmu().invalidateContextPage(asid, linear);
    }

    // ------------------------------------------------------------------ SecondStage

    @Override
    public long translate(long guestPhys, int access, int flags, long guestLinear) {
        try {
            return translator.translate(guestPhys, access, flags, guestLinear);
        } catch (VmExitSignal s) {
            if (s.exit() instanceof Fault) {
                npf((Fault) s.exit());
            }
            throw s;
        }
    }

    /**
     * 15.25.6: #VMEXIT(NPF); NRIP = 0 (not an instruction intercept; DEVIATIONS.md). Decode assists (15.8.4): the
     * guest instruction bytes for a data access; none when the fault belongs to an instruction fetch (EXITINFO1 ID,
     * or no instruction decoded at RIP yet).
     */
    private void npf(Fault f) {
        if (f.detail().kind() == FaultDetail.Kind.NESTED_PAGE_FAULT) {
            FaultDetail.NestedPageFault d = (FaultDetail.NestedPageFault) f.detail();
            long info1 = d.exitInfo1().raw();
            Cpu c = x.cpu();
            DecodeAssists.saveInstructionBytes(c, x.vmcbPa, (info1 & 0x10) != 0 || c.nextRip == c.state().rip);
            x.transitions.exit(ExitCode.NPF, info1, d.exitInfo2(), 0);
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

    /** The translator, whether nested paging is on, the ASID, the host PAT saved at VMRUN, the last format. */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        NptTranslator t = translator;
        boolean on = enabled;
        long a = asid, pat = hostPat;
        NptFormat f = lastFormat;
        return () -> {
            translator = t;
            enabled = on;
            asid = a;
            hostPat = pat;
            lastFormat = f;
        };
    }
}
