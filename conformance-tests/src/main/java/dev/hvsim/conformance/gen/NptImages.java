package dev.hvsim.conformance.gen;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Random but consistent guest page tables and nested page tables that make a valid {@link VmcbCase} runnable under
 * nested paging (AMD APM Vol. 2 15.25): NP_ENABLE is set, N_CR3 points at a fresh nested PML4 (the host of
 * {@code SvmHostHarness} is a 4-level long-mode host, so the nested tables have that format, 15.25.3), G_PAT is a valid
 * PAT (15.25.4), and the code bytes are placed so that the guest's first instruction at CS:RIP is them: through the
 * guest's 4-level tables (long mode, 64-bit or compatibility), its PAE or 32-bit tables (protected mode with paging;
 * APM Vol. 2 5.2, 5.3), or with paging off (guest-physical = linear). Guest-physical pages are random below 64 GiB
 * (4 GiB outside long mode); each one the image uses is mapped by a
 * 4 KiB nested page to a random host page in [16 MiB, 1 GiB) that no other part of the case uses, or (one time in
 * four) lies in a 2 MiB nested page over a free 2 MiB host region. Every nested entry is
 * present, user (nested walks are user accesses, 15.25.5) and carries random PWT/PCD/A bits; table pages are nested-
 * writable (the guest walker sets A/D bits in them), the code page only with {@code writableCode} or at random; pages
 * that are not fetched from may be no-execute. Guest entries carry random R/W, U/S, PWT, PCD, A, D bits and 2 MiB
 * pages but always allow the fetch. The same case and seed give the same image.
 */
public final class NptImages {
    /** VINTR control (060H) and the interrupt shadow (068H) by offset (their vmcb-layout.csv names hold spaces). */
    public static final String VINTR = "0x060:8", INT_SHADOW = "0x068:8";
    static final long LOW = 0x1000000L, HIGH = 0x40000000L, GPA_LIMIT = 1L << 36;

    private NptImages() {
    }

    /**
     * A runnable case: the case, the linear, guest-physical and host-physical address of its first instruction, the
     * guest-physical to host-physical map of every page the nested tables map, and the nested table pages.
     */
    public record Image(VmcbCase vmcbCase, long codeLinear, long codeGpa, long codeHpa, Map<Long, Long> gpaToHpa,
            Set<Long> nptPages) {
    }

    /**
     * Clears what would stop a valid guest before its first instruction (EVENTINJ, a pending V_IRQ, the interrupt
     * shadow; APM Vol. 2 15.20, 15.21) and intercepts VMMCALL (word 4 bit 1).
     */
    public static VmcbCase quiet(VmcbCase c) {
        return c.with("control.EVENTINJ", 0).with(VINTR, 0).with(INT_SHADOW, 0)
                .with("control.INTERCEPT_MISC2", c.get("control.INTERCEPT_MISC2") | 2);
    }

    /** The case with {@code code} (at most 15 bytes) at its CS:RIP, under nested paging. */
    public static Image place(VmcbCase c, byte[] code, SplittableRandom r, boolean writableCode) {
        c = quiet(c);
        Tables t = new Tables(c, r);
        t.forceWrite = writableCode;
        boolean paging = (c.get("save.CR0") & 1L << 31) != 0;
        boolean lma = (c.get("save.EFER") & 0x100) != 0 && paging;                // VMRUN derives LMA (15.5.1)
        boolean bit64 = lma && (c.get("save.CS.attrib") & 0x200) != 0;             // CS.L (compressed attrib bit 9)
        long rip = c.get("save.RIP");
        long ipMask = bit64 ? -1L : 0xffffffffL;
        if (((rip + code.length - 1) & ~0xfffL) != (rip & ~0xfffL) || ((rip + code.length - 1) & ipMask) < rip) {
            rip = (rip & ~0xfffL) | r.nextInt(0x1000 - 16);
        }
        if (!lma) {
            t.gpaLimit = 1L << 32;
        }
        rip &= ipMask;
        t.c = t.c.with("save.RIP", rip);
        long linear = bit64 ? rip : (c.get("save.CS.base") + rip) & 0xffffffffL;
        long codeGpa;
        if (!paging) {
            codeGpa = linear;
        } else if (lma) {
            codeGpa = t.fourLevel(linear);
        } else if ((c.get("save.CR4") & 1L << 5) != 0) {
            codeGpa = t.pae(linear);
        } else {
            codeGpa = t.bits32(linear);
        }
        long codeHpa = t.mapGpa(codeGpa, true);
        for (int i = 0; i < code.length; i++) {
            t.putByte(codeHpa + i, code[i]);
        }
        VmcbCase out = t.c.with("control.NESTED_CTL", 1).with("control.N_CR3", t.nptRoot)
                .with("save.G_PAT", VmcbGenerator.pat(r));
        return new Image(out, linear, codeGpa, codeHpa, Map.copyOf(t.gpaToHpa), Set.copyOf(t.nptPages));
    }

    /** Guest and nested tables under construction. */
    static final class Tables {
        VmcbCase c;
        final SplittableRandom r;
        final Set<Long> usedHost = new HashSet<>(), usedGuest = new HashSet<>();
        final Map<Long, Long> gpaToHpa = new TreeMap<>();
        final Set<Long> nptPages = new LinkedHashSet<>();
        final long nptRoot;
        boolean forceWrite;
        /** Guest-physical pages are drawn below this (4 GiB outside long mode: 32-bit CR3 and 32-bit entries). */
        long gpaLimit = GPA_LIMIT;

        Tables(VmcbCase c, SplittableRandom r) {
            this.c = c;
            this.r = r;
            c.memory().keySet().forEach(a -> usedHost.add(a >>> 12));
            for (long i = 0; i < 3; i++) {   // the 12 KiB IOPM and the 8 KiB MSRPM (APM Vol. 2 15.10.1, 15.11)
                usedHost.add((c.get("control.IOPM_BASE_PA") >>> 12) + i);
                usedHost.add((c.get("control.MSRPM_BASE_PA") >>> 12) + i);
            }
            nptRoot = hostPage();
            nptPages.add(nptRoot);
        }

        long hostPage() {
            while (true) {
                long p = (LOW + ((long) r.nextInt((int) ((HIGH - LOW) >>> 12)) << 12)) >>> 12;
                if (usedHost.add(p)) {
                    return p << 12;
                }
            }
        }

        /** A 2 MiB-aligned host region in [16 MiB, 1 GiB) none of whose pages is used yet; all of them now are. */
        long hostRegion2M() {
            while (true) {
                long base = LOW + ((long) r.nextInt((int) ((HIGH - LOW) >>> 21)) << 21);
                boolean free = true;
                for (long i = 0; i < 512 && free; i++) {
                    free = !usedHost.contains((base >>> 12) + i);
                }
                if (free) {
                    for (long i = 0; i < 512; i++) {
                        usedHost.add((base >>> 12) + i);
                    }
                    return base;
                }
            }
        }

        long guestPage() {
            while (true) {
                long p = (r.nextLong() & (gpaLimit - 1)) >>> 12;
                if (usedGuest.add(p)) {
                    return p << 12;
                }
            }
        }

        /** A free guest-physical page inside a 2 MiB region, at the offset a 2 MiB mapping of {@code linear} reaches. */
        long guestPageIn2M(long linear) {
            while (true) {
                long big = r.nextLong() & (gpaLimit - 1) & ~0x1fffffL;
                long p = (big | linear & 0x1ff000L) >>> 12;
                if (usedGuest.add(p)) {
                    return big;
                }
            }
        }

        void putByte(long pa, byte b) {
            long q = c.memory().getOrDefault(pa & ~7L, 0L);
            int sh = (int) (pa & 7) * 8;
            c = c.withMemory(pa & ~7L, q & ~(0xffL << sh) | (b & 0xffL) << sh);
        }

        /** A guest-physical table page and its host-physical address. */
        long[] tablePage() {
            long gpa = guestPage();
            return new long[] {gpa, mapGpa(gpa, false)};
        }

        /** Random permitted bits of a guest entry on the path to the code (CPL 0, no SMEP in the bases). */
        long attrs(boolean leaf) {
            long e = 1 | (forceWrite || r.nextBoolean() ? 2 : 0) | (r.nextBoolean() ? 4 : 0)
                    | (r.nextInt(4) == 0 ? 1L << 3 : 0) | (r.nextInt(4) == 0 ? 1L << 4 : 0) | (r.nextBoolean() ? 1L << 5 : 0);
            return leaf && r.nextBoolean() ? e | 1L << 6 : e;
        }

        long fourLevel(long linear) {
            long[] pml4 = tablePage();
            c = c.with("save.CR3", pml4[0] | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 4 : 0));
            long[] pdpt = tablePage();
            c = c.withMemory(pml4[1] + 8 * (linear >>> 39 & 511), pdpt[0] | attrs(false));
            long[] pd = tablePage();
            c = c.withMemory(pdpt[1] + 8 * (linear >>> 30 & 511), pd[0] | attrs(false));
            return fromPd(pd, linear);
        }

        /**
         * Legacy PAE paging (APM Vol. 2 5.3): four PDPTEs at CR3 (here a page; the PDPTEs are loaded through the
         * nested tables at VMRUN, not checked, svm-misc.csv), only the one on the path present (P, PWT, PCD).
         */
        long pae(long linear) {
            long[] pdpt = tablePage();
            c = c.with("save.CR3", pdpt[0]);
            long[] pd = tablePage();
            c = c.withMemory(pdpt[1] + 8 * (linear >>> 30 & 3), pd[0] | 1 | (r.nextBoolean() ? 1L << 3 : 0)
                    | (r.nextBoolean() ? 1L << 4 : 0));
            return fromPd(pd, linear);
        }

        /** 32-bit paging (APM Vol. 2 5.2, CR4.PAE = 0): 4-byte PDE and PTE. */
        long bits32(long linear) {
            long[] pd = tablePage();
            c = c.with("save.CR3", pd[0] | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 4 : 0));
            long[] pt = tablePage();
            put32(pd[1] + 4 * (linear >>> 22 & 1023), pt[0] | attrs(false));
            long code = guestPage();
            put32(pt[1] + 4 * (linear >>> 12 & 1023), code | attrs(true));
            return code | linear & 0xfff;
        }

        void put32(long pa, long v) {
            long q = c.memory().getOrDefault(pa & ~7L, 0L);
            int sh = (int) (pa & 4) * 8;
            c = c.withMemory(pa & ~7L, q & ~(0xffffffffL << sh) | (v & 0xffffffffL) << sh);
        }

        /** From a page directory (8-byte entries) to the code: a 2 MiB page or a page table. */
        private long fromPd(long[] pd, long linear) {
            long i = linear >>> 21 & 511;
            if (r.nextInt(3) == 0) {   // a 2 MiB guest page (PS; bits 20:13 reserved, APM Vol. 2 5.3.4)
                long big = guestPageIn2M(linear);
                c = c.withMemory(pd[1] + 8 * i, big | attrs(true) | 1L << 7 | (r.nextBoolean() ? 1L << 12 : 0));
                return big | linear & 0x1fffff;
            }
            long[] pt = tablePage();
            c = c.withMemory(pd[1] + 8 * i, pt[0] | attrs(false));
            long code = guestPage();
            c = c.withMemory(pt[1] + 8 * (linear >>> 12 & 511), code | attrs(true));
            return code | linear & 0xfff;
        }

        /** Maps the guest-physical page of {@code gpa} (a 4 KiB or a 2 MiB nested page); its host-physical address. */
        long mapGpa(long gpa, boolean code) {
            long page = gpa & ~0xfffL;
            Long known = gpaToHpa.get(page);
            if (known != null) {
                return known | gpa & 0xfff;
            }
            long table = nptRoot;
            for (int level = 3; level >= 1; level--) {
                int idx = (int) (page >>> (12 + 9 * level) & 511);
                long e = c.memory().getOrDefault(table + 8L * idx, 0L);
                if (level == 1 && (e & 1) == 0 && r.nextInt(4) == 0) {
                    // a 2 MiB nested page (PS; APM Vol. 2 15.25.3: the host's long-mode format) over a whole free
                    // host region: always writable and executable, since later pages of the guest region share it
                    long region = hostRegion2M();
                    e = region | 0x87 | (r.nextInt(4) == 0 ? 1L << 3 : 0) | (r.nextInt(4) == 0 ? 1L << 4 : 0)
                            | (r.nextBoolean() ? 1L << 5 : 0) | (r.nextBoolean() ? 1L << 6 : 0)
                            | (r.nextBoolean() ? 1L << 12 : 0) | 2;
                    c = c.withMemory(table + 8L * idx, e);
                    for (long i = 0; i < 512; i++) {
                        gpaToHpa.put((page & ~0x1fffffL) + (i << 12), region + (i << 12));
                    }
                }
                if (level == 1 && (e & 0x81) == 0x81) {   // inside a 2 MiB nested page
                    long hpa = e & 0x000fffffffe00000L | page & 0x1ff000L;
                    gpaToHpa.put(page, hpa);
                    return hpa | gpa & 0xfff;
                }
                if ((e & 1) == 0) {
                    long next = hostPage();
                    nptPages.add(next);
                    e = next | 7 | (r.nextInt(4) == 0 ? 1L << 3 : 0) | (r.nextInt(4) == 0 ? 1L << 4 : 0)
                            | (r.nextBoolean() ? 1L << 5 : 0);   // P RW US (+ PWT PCD A)
                    c = c.withMemory(table + 8L * idx, e);
                }
                table = e & 0x000ffffffffff000L;
            }
            long hpa = hostPage();
            gpaToHpa.put(page, hpa);
            boolean write = !code || forceWrite || r.nextBoolean();
            long leaf = hpa | 1 | (write ? 2 : 0) | 4 | (r.nextInt(4) == 0 ? 1L << 3 : 0)
                    | (r.nextInt(4) == 0 ? 1L << 4 : 0) | (r.nextBoolean() ? 1L << 5 : 0)
                    | (r.nextBoolean() ? 1L << 6 : 0) | (!code && r.nextBoolean() ? 1L << 63 : 0);
            c = c.withMemory(table + 8L * (int) (page >>> 12 & 511), leaf);
            return hpa | gpa & 0xfff;
        }
    }
}
