package dev.hvsim.conformance.gen;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Random but consistent guest page tables and EPT tables that make a valid {@link VmxCase} runnable: the code bytes
 * are placed so that the guest's first instruction at CS:RIP is them, whatever the guest's paging mode (none, 32-bit,
 * PAE, 4-level; SDM Vol. 3A 4.3-4.5) and whether "enable EPT" is on (SDM Vol. 3C 29.3.2). Tables and the code page
 * land on random 4 KiB pages that no other part of the case uses; entries carry random permitted attribute bits
 * (R/W, U/S when CPL 0 and no SMEP, PWT, PCD, A, D, 2 MiB pages in PAE and 4-level paging; EPT write on the code
 * page, execute on table pages, memory types 0/1/4/5/6, "ignore PAT") but always allow the fetch. The guest
 * interrupt and event controls that would stop the guest before its first instruction (interrupt window, event
 * injection, a non-active activity state) are cleared. The same case and seed give the same image.
 */
public final class GuestImages {
    /** Pages below 16 MiB and the VMXON / VMCS regions are the harness's (root-mode code, GDT, paging). */
    static final long LOW = 0x1000000L, HIGH = 0x40000000L;

    private GuestImages() {
    }

    /**
     * A runnable case: the case, the linear, guest-physical and host-physical address of its first instruction, and
     * every host-physical page the image's tables or code occupy.
     */
    public record Image(VmxCase vmxCase, long codeLinear, long codeGpa, long codeHpa, Set<Long> imagePages,
            Map<Long, Long> gpaToHpa) {
    }

    /** The case with {@code code} (at most 15 bytes) at its CS:RIP, and tables to reach it. */
    public static Image place(VmxCase c, byte[] code, SplittableRandom r) {
        return place(c, code, r, false);
    }

    /**
     * As {@link #place(VmxCase, byte[], SplittableRandom)}; with {@code writableCode} every guest paging entry on the
     * way to the code page allows writes and its EPT entry too, so that guest code can store into its own page.
     */
    public static Image place(VmxCase c, byte[] code, SplittableRandom r, boolean writableCode) {
        c = quiet(c);
        Alloc a = new Alloc(c, r);
        long rip = c.get("GUEST_RIP");
        boolean ia32e = (c.get("VM_ENTRY_CONTROLS") & 1L << 9) != 0;
        boolean bit64 = ia32e && (c.get("GUEST_CS_AR_BYTES") & 1L << 13) != 0;
        long ipMask = bit64 ? -1L : (c.get("GUEST_CS_AR_BYTES") & 1L << 14) != 0 || ia32e ? 0xffffffffL : 0xffffL;
        // keep the instruction inside one page (and inside a 16-bit IP)
        if (((rip + code.length - 1) & ~0xfffL) != (rip & ~0xfffL) || ((rip + code.length - 1) & ipMask) < (rip & ipMask)) {
            rip = (rip & ~0xfffL) | r.nextInt(0x1000 - 16);
            c = c.with("GUEST_RIP", rip & ipMask);
            rip = rip & ipMask;
        }
        long linear = bit64 ? rip : (c.get("GUEST_CS_BASE") + rip) & 0xffffffffL;
        Tables t = new Tables(c, a, r);
        t.forceWrite = writableCode;
        long cr0 = c.get("GUEST_CR0"), cr4 = c.get("GUEST_CR4");
        long codeGpa;
        if ((cr0 & 1L << 31) == 0) {
            codeGpa = linear;                                   // paging off: linear = guest-physical
        } else if (ia32e) {
            codeGpa = t.fourLevel(linear);
        } else if ((cr4 & 1L << 5) != 0) {
            codeGpa = t.pae(linear);
        } else {
            codeGpa = t.bits32(linear);
        }
        long codeHpa = t.mapGpa(codeGpa, true);
        c = t.c;
        for (int i = 0; i < code.length; i++) {
            c = putByte(c, codeHpa + i, code[i]);
        }
        c = t.finishEpt(c);
        return new Image(c, linear, codeGpa, codeHpa, Set.copyOf(a.mine), Map.copyOf(t.gpaToHpa));
    }

    /** Clears what would stop a valid guest before its first instruction (SDM Vol. 3C 26.7.5, 28.6). */
    public static VmxCase quiet(VmxCase c) {
        return c.with("CPU_BASED_VM_EXEC_CONTROL", c.get("CPU_BASED_VM_EXEC_CONTROL") & ~(1L << 2 | 1L << 22 | 1L << 27))
                .with("PIN_BASED_VM_EXEC_CONTROL", c.get("PIN_BASED_VM_EXEC_CONTROL") & ~(1L << 6))
                .with("VM_ENTRY_INTR_INFO_FIELD", 0).with("GUEST_ACTIVITY_STATE", 0)
                .with("GUEST_PENDING_DBG_EXCEPTIONS", 0);
    }

    static VmxCase putByte(VmxCase c, long pa, byte b) {
        long q = c.memory().getOrDefault(pa & ~7L, 0L);
        int sh = (int) (pa & 7) * 8;
        q = q & ~(0xffL << sh) | (b & 0xffL) << sh;
        return c.withMemory(pa & ~7L, q);
    }

    /** Random free 4 KiB pages in [16 MiB, 1 GiB). */
    static final class Alloc {
        final Set<Long> used = new HashSet<>();
        final Set<Long> mine = new LinkedHashSet<>();
        final SplittableRandom r;

        Alloc(VmxCase c, SplittableRandom r) {
            this.r = r;
            c.memory().keySet().forEach(a -> used.add(a >>> 12));
            for (String f : new String[] {"IO_BITMAP_A", "IO_BITMAP_B", "MSR_BITMAP", "VIRTUAL_APIC_PAGE_ADDR",
                "VMREAD_BITMAP", "VMWRITE_BITMAP", "EPTP_LIST_ADDRESS", "VM_EXIT_MSR_STORE_ADDR",
                "VM_EXIT_MSR_LOAD_ADDR", "VM_ENTRY_MSR_LOAD_ADDR", "APIC_ACCESS_ADDR", "POSTED_INTR_DESC_ADDR",
                "PML_ADDRESS", "VMCS_LINK_POINTER"}) {
                VmxCase.fieldOpt(f).ifPresent(fd -> used.add(c.fields().getOrDefault(fd, 0L) >>> 12));
            }
        }

        /** A free page at {@code offset} inside a random 2 MiB-aligned region (the page a 2 MiB mapping reaches). */
        long pageIn2M(long offset) {
            while (true) {
                long p = (LOW + ((long) r.nextInt((int) ((HIGH - LOW) >>> 21)) << 21) + offset) >>> 12;
                if (used.add(p)) {
                    mine.add(p << 12);
                    return p << 12;
                }
            }
        }

        long page() {
            while (true) {
                long p = (LOW + ((long) r.nextInt((int) ((HIGH - LOW) >>> 12)) << 12)) >>> 12;
                if (used.add(p)) {
                    mine.add(p << 12);
                    return p << 12;
                }
            }
        }
    }

    /** The guest page tables and the EPT tables under construction. */
    static final class Tables {
        VmxCase c;
        final Alloc a;
        final SplittableRandom r;
        final boolean ept;
        final long eptRoot;
        final Map<Long, Long> gpaToHpa = new TreeMap<>();
        final boolean cpl3, smep;
        boolean forceWrite;

        Tables(VmxCase c, Alloc a, SplittableRandom r) {
            this.c = c;
            this.a = a;
            this.r = r;
            this.ept = (c.get("CPU_BASED_VM_EXEC_CONTROL") & 1L << 31) != 0
                    && (c.get("SECONDARY_VM_EXEC_CONTROL") & 2) != 0;
            this.eptRoot = ept ? a.page() : 0;
            this.cpl3 = (c.get("GUEST_SS_AR_BYTES") >>> 5 & 3) == 3 || (c.get("GUEST_RFLAGS") & 1L << 17) != 0;
            this.smep = (c.get("GUEST_CR4") & 1L << 20) != 0;
        }

        /** A guest-physical table page (mapped through EPT when on) and its host-physical address. */
        long[] tablePage() {
            long gpa = a.page();
            return new long[] {gpa, mapGpa(gpa, false)};
        }

        /** Random attribute bits of a guest paging entry on the path to the code. */
        long attrs(boolean leaf) {
            long e = 1 | (forceWrite || r.nextBoolean() ? 2 : 0) | (r.nextBoolean() ? 1L << 5 : 0)
                    | (r.nextInt(4) == 0 ? 1L << 3 : 0) | (r.nextInt(4) == 0 ? 1L << 4 : 0);
            if (cpl3 || (!smep && r.nextBoolean())) {
                e |= 4;
            }
            if (leaf && r.nextBoolean()) {
                e |= 1L << 6;
            }
            return e;
        }

        long write(long hpa, int index, long entry, int size) {
            long pa = hpa + (long) index * size;
            if (size == 8) {
                c = c.withMemory(pa, entry);
            } else {
                long q = c.memory().getOrDefault(pa & ~7L, 0L);
                int sh = (int) (pa & 4) * 8;
                c = c.withMemory(pa & ~7L, q & ~(0xffffffffL << sh) | (entry & 0xffffffffL) << sh);
            }
            return entry;
        }

        long fourLevel(long linear) {
            long[] pml4 = tablePage();
            c = c.with("GUEST_CR3", pml4[0] | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 4 : 0));
            long[] pdpt = tablePage();
            write(pml4[1], (int) (linear >>> 39 & 511), pdpt[0] | attrs(false), 8);
            return fromPdpt(pdpt, linear);
        }

        long pae(long linear) {
            long[] pdpt = tablePage();  // guest-physical pages hold 4 PDPTEs at CR3 (32-byte aligned)
            long[] pd = tablePage();
            int i = (int) (linear >>> 30 & 3);
            long pdpte = pd[0] | 1 | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 4 : 0);
            c = c.with("GUEST_CR3", pdpt[0]);
            write(pdpt[1], i, pdpte, 8);
            if (ept) {
                c = c.with("GUEST_PDPTE" + i, pdpte);   // 28.3.2.4: loaded from the VMCS under EPT
            } else {
                c = c.withMemory(c.get("GUEST_CR3") + 8L * i, pdpte);
            }
            for (int k = 0; k < 4; k++) {
                if (k != i && ept) {
                    c = c.with("GUEST_PDPTE" + k, 0);
                }
            }
            return fromPd(pd, linear);
        }

        long bits32(long linear) {
            long[] pd = tablePage();
            c = c.with("GUEST_CR3", pd[0] | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 4 : 0));
            long[] pt = tablePage();
            write(pd[1], (int) (linear >>> 22 & 1023), pt[0] | attrs(false), 4);
            long code = a.page();
            write(pt[1], (int) (linear >>> 12 & 1023), code | attrs(true), 4);
            return code | linear & 0xfff;
        }

        private long fromPdpt(long[] pdpt, long linear) {
            long[] pd = tablePage();
            write(pdpt[1], (int) (linear >>> 30 & 511), pd[0] | attrs(false), 8);
            return fromPd(pd, linear);
        }

        private long fromPd(long[] pd, long linear) {
            int i = (int) (linear >>> 21 & 511);
            if (r.nextInt(3) == 0) {                  // a 2 MiB page (PS = 1; bits 20:13 reserved, 4.4.2, 4.5.4)
                long big = a.pageIn2M(linear & 0x1ff000L) & ~0x1fffffL;
                write(pd[1], i, big | attrs(true) | 1L << 7 | (r.nextBoolean() ? 1L << 12 : 0), 8);
                return big | linear & 0x1fffff;
            }
            long[] pt = tablePage();
            write(pd[1], i, pt[0] | attrs(false), 8);
            long code = a.page();
            write(pt[1], (int) (linear >>> 12 & 511), code | attrs(true), 8);
            return code | linear & 0xfff;
        }

        /** Maps the guest-physical page of {@code gpa} through EPT (identity without EPT); its host-physical address. */
        long mapGpa(long gpa, boolean code) {
            long page = gpa & ~0xfffL;
            Long known = gpaToHpa.get(page);
            if (known != null) {
                return known | gpa & 0xfff;
            }
            if (!ept) {
                a.used.add(page >>> 12);
                gpaToHpa.put(page, page);
                return gpa;
            }
            long hpa = a.page();
            gpaToHpa.put(page, hpa);
            long table = eptRoot;
            for (int level = 3; level >= 1; level--) {
                int idx = (int) (page >>> (12 + 9 * level) & 511);
                long e = c.memory().getOrDefault(table + 8L * idx, 0L);
                if ((e & 7) == 0) {
                    long next = a.page();
                    e = next | 7;                       // non-leaf: read, write, execute (29.3.2)
                    c = c.withMemory(table + 8L * idx, e);
                }
                table = e & 0x000ffffffffff000L;
            }
            int[] types = {0, 1, 4, 5, 6};
            long leaf = hpa | 1 | 2 | (code || r.nextBoolean() ? 4 : 0) | (long) types[r.nextInt(types.length)] << 3
                    | (r.nextBoolean() ? 1L << 6 : 0);
            if (code) {
                leaf = leaf & ~2L | (forceWrite || r.nextBoolean() ? 2 : 0);
            }
            c = c.withMemory(table + 8L * (int) (page >>> 12 & 511), leaf);
            return hpa | gpa & 0xfff;
        }

        VmxCase finishEpt(VmxCase cc) {
            if (!ept) {
                return cc;
            }
            return cc.with("EPT_POINTER", cc.get("EPT_POINTER") & 0xfffL | eptRoot);
        }
    }
}
