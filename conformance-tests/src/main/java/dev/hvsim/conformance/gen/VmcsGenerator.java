package dev.hvsim.conformance.gen;

import dev.hvsim.vmcs.controls.ControlWord;
import dev.hvsim.vmcs.msr.AllowedSettings;
import dev.hvsim.vmcs.msr.VmxCapabilities;
import java.util.SplittableRandom;

/**
 * Valid VMCS states by construction (SDM Vol. 3C 28.2-28.4): start from the {@link GuestMode}'s base and change, at
 * random, only what can be changed while keeping every check satisfied: optional controls the capability MSRs allow
 * (with the fields they need), exception bitmap and page-fault mask/match, CR masks and shadows, guest RIP/RSP/RFLAGS,
 * data segments (selectors, bases, limits with a consistent G bit, types, DPLs, unusable), interruptibility, activity state (HLT, shutdown),
 * event injection, VM-entry MSR-load lists in memory, VM-exit MSR areas, I/O and MSR bitmaps, EPT and VPID, PAE PDPTEs.
 * The same seed gives the same case.
 */
public final class VmcsGenerator {
    private final VmxCpu cpu;

    public VmcsGenerator(VmxCpu cpu) {
        this.cpu = cpu;
    }

    public VmxCpu cpu() {
        return cpu;
    }

    /** A valid case for {@code mode}. */
    public VmxCase valid(GuestMode mode, SplittableRandom r) {
        VmxCase c = VmxCase.ofBase(cpu, mode);
        c = modeShape(c, mode, r);
        c = controls(c, mode, r);
        c = guestRegisters(c, mode, r);
        c = segments(c, mode, r);
        c = events(c, mode, r);
        c = msrLoad(c, mode, r);
        return c;
    }

    /** A valid case for a random mode. */
    public VmxCase valid(SplittableRandom r) {
        GuestMode[] ms = GuestMode.values();
        return valid(ms[r.nextInt(ms.length)], r);
    }

    private long page(SplittableRandom r) {
        // a 4 KiB-aligned address in [1 MiB, 1 GiB): below MAXPHYADDR of every profile, away from the bases' tables
        return (0x100L + r.nextInt(0x3ff00)) << 12;
    }

    /**
     * The mode's base with the shape of {@code mode} (CS.L / CS.D, PAE with valid PDPTEs, RFLAGS.VM and 8086
     * segments, real-mode segments and IP) and nothing else random: the starting point of the intercept properties.
     */
    public VmxCase shaped(GuestMode mode, SplittableRandom r) {
        return modeShape(VmxCase.ofBase(cpu, mode), mode, r);
    }

    private VmxCase modeShape(VmxCase c, GuestMode mode, SplittableRandom r) {
        switch (mode) {
            case COMPATIBILITY:
                return c.with("GUEST_CS_AR_BYTES", 0xc09bL); // L = 0, D = 1
            case PROTECTED_PAE: {
                long cr3 = (long) r.nextInt(1 << 20) << 12 | (long) r.nextInt(128) << 5; // 32-byte aligned, < 4 GiB
                c = c.with("GUEST_CR4", c.get("GUEST_CR4") | 1L << 5).with("GUEST_CR3", cr3);
                for (int i = 0; i < 4; i++) {
                    long e = r.nextBoolean() ? 0 : page(r) | 1 | (r.nextBoolean() ? 1L << 3 : 0) | (r.nextBoolean() ? 1L << 4 : 0);
                    c = c.withMemory(cr3 + 8L * i, e); // present entries: no reserved bit (28.3.1.6, 4.4.1)
                }
                return c;
            }
            case VIRTUAL_8086: {
                c = c.with("GUEST_RFLAGS", c.get("GUEST_RFLAGS") | 1L << 17);
                for (String s : new String[] {"ES", "CS", "SS", "DS", "FS", "GS"}) {
                    long sel = r.nextInt(0x10000);
                    c = c.with("GUEST_" + s + "_SELECTOR", sel).with("GUEST_" + s + "_BASE", sel << 4)
                            .with("GUEST_" + s + "_LIMIT", 0xffffL).with("GUEST_" + s + "_AR_BYTES", 0xf3L);
                }
                return c.with("GUEST_RIP", r.nextInt(0x10000));
            }
            case REAL_UNRESTRICTED: {
                for (String s : new String[] {"ES", "CS", "SS", "DS", "FS", "GS"}) {
                    long sel = r.nextInt(0x10000);
                    c = c.with("GUEST_" + s + "_SELECTOR", sel).with("GUEST_" + s + "_BASE", sel << 4);
                }
                return c.with("GUEST_RIP", r.nextInt(0x10000)).with("GUEST_RSP", r.nextInt(0x10000));
            }
            default:
                return c;
        }
    }

    private boolean may(ControlWord w, int bit) {
        AllowedSettings a = cpu.caps().controls(w);
        return a.allowed1(bit);
    }

    private VmxCase setIf(VmxCase c, SplittableRandom r, String field, ControlWord w, int bit) {
        return may(w, bit) && r.nextBoolean() ? c.with(field, c.get(field) | 1L << bit) : c;
    }

    private VmxCase controls(VmxCase c, GuestMode mode, SplittableRandom r) {
        String pin = "PIN_BASED_VM_EXEC_CONTROL", proc = "CPU_BASED_VM_EXEC_CONTROL", exit = "VM_EXIT_CONTROLS",
                entry = "VM_ENTRY_CONTROLS";
        // pin-based: external-interrupt exiting (0), NMI exiting (3)
        c = setIf(c, r, pin, ControlWord.PIN_BASED, 0);
        c = setIf(c, r, pin, ControlWord.PIN_BASED, 3);
        // primary: interrupt window 2, TSC offsetting 3, HLT 7, INVLPG 9, MWAIT 10, RDPMC 11, RDTSC 12,
        // CR3 load/store 15/16, CR8 load/store 19/20, MOV DR 23, MONITOR 29, PAUSE 30 (SDM 25.6.2)
        for (int b : new int[] {2, 3, 7, 9, 10, 11, 12, 15, 16, 19, 20, 23, 29, 30}) {
            c = setIf(c, r, proc, ControlWord.PRIMARY_PROC, b);
        }
        // I/O exiting: unconditional (24) or through bitmaps (25) at 4 KiB-aligned addresses (28.2.1.1)
        if (may(ControlWord.PRIMARY_PROC, 25) && r.nextBoolean()) {
            c = c.with(proc, c.get(proc) | 1L << 25).with("IO_BITMAP_A", page(r)).with("IO_BITMAP_B", page(r));
        }
        if (may(ControlWord.PRIMARY_PROC, 28) && r.nextBoolean()) {
            c = c.with(proc, c.get(proc) | 1L << 28).with("MSR_BITMAP", page(r));
        }
        c = c.with("EXCEPTION_BITMAP", r.nextInt() & 0xffffffffL)
                .with("PAGE_FAULT_ERROR_CODE_MASK", r.nextInt() & 0xffffffffL)
                .with("PAGE_FAULT_ERROR_CODE_MATCH", r.nextInt() & 0xffffffffL)
                .with("CR0_GUEST_HOST_MASK", r.nextLong() & 0xffffffffL)
                .with("CR4_GUEST_HOST_MASK", r.nextLong() & 0xffffffffL)
                .with("CR0_READ_SHADOW", r.nextLong() & 0xffffffffL)
                .with("CR4_READ_SHADOW", r.nextLong() & 0xffffffffL)
                .with("TSC_OFFSET", r.nextLong());
        int cr3Targets = cpu.caps().misc().cr3TargetCount();
        c = c.with("CR3_TARGET_COUNT", r.nextInt(cr3Targets + 1));
        // EPT (+ VPID) in the protected and long modes when secondary controls allow them (real mode has EPT already)
        if (mode != GuestMode.REAL_UNRESTRICTED && may(ControlWord.PRIMARY_PROC, 31)
                && may(ControlWord.SECONDARY_PROC, 1) && r.nextBoolean()) {
            c = c.with(proc, c.get(proc) | 1L << 31).with("SECONDARY_VM_EXEC_CONTROL", 1L << 1);
        }
        if ((c.get("SECONDARY_VM_EXEC_CONTROL") & 2) != 0) {
            boolean ad = cpu.caps().eptVpidCap().accessedDirty() && r.nextBoolean();
            long type = cpu.caps().eptVpidCap().memoryTypeUc() && r.nextBoolean() ? 0 : 6;
            c = c.with("EPT_POINTER", page(r) | type | 3 << 3 | (ad ? 1 << 6 : 0));
            if (may(ControlWord.SECONDARY_PROC, 5) && r.nextBoolean()) {
                c = c.with("SECONDARY_VM_EXEC_CONTROL", c.get("SECONDARY_VM_EXEC_CONTROL") | 1L << 5)
                        .with("VIRTUAL_PROCESSOR_ID", 1 + r.nextInt(0xffff));
            }
        }
        c = newerControls(c, r);
        // exit: acknowledge interrupt on exit 15, save/load PAT 18/19, save/load EFER 20/21
        c = setIf(c, r, exit, ControlWord.EXIT, 15);
        c = setIf(c, r, exit, ControlWord.EXIT, 18);
        c = setIf(c, r, exit, ControlWord.EXIT, 20);
        if (may(ControlWord.EXIT, 19) && r.nextBoolean()) {
            c = c.with(exit, c.get(exit) | 1L << 19).with("HOST_IA32_PAT", pat(r));
        }
        if (may(ControlWord.EXIT, 21) && r.nextBoolean()) {
            // host address-space size = 1 (the bases): LMA = LME = 1 (28.2.2)
            c = c.with(exit, c.get(exit) | 1L << 21).with("HOST_IA32_EFER", 0x500L | (r.nextBoolean() ? 1 : 0)
                    | (r.nextBoolean() ? 0x800 : 0));
        }
        if (may(ControlWord.ENTRY, 14) && r.nextBoolean()) {
            c = c.with(entry, c.get(entry) | 1L << 14).with("GUEST_IA32_PAT", pat(r));
        }
        if (may(ControlWord.ENTRY, 15) && r.nextBoolean()) {
            boolean lma = mode.ia32e();
            boolean pg = (c.get("GUEST_CR0") & 1L << 31) != 0;
            c = c.with(entry, c.get(entry) | 1L << 15).with("GUEST_IA32_EFER", (lma ? 0x400L : 0)
                    | (lma && pg ? 0x100L : 0) | (r.nextBoolean() ? 1 : 0) | (r.nextBoolean() ? 0x800 : 0));
        }
        // VM-exit MSR-store and MSR-load areas: 16-byte aligned, inside MAXPHYADDR (28.2.1.2); not read at entry
        if (r.nextBoolean()) {
            c = c.with("VM_EXIT_MSR_STORE_COUNT", r.nextInt(4)).with("VM_EXIT_MSR_STORE_ADDR", page(r) | 16L * r.nextInt(8));
        }
        if (r.nextBoolean()) {
            c = c.with("VM_EXIT_MSR_LOAD_COUNT", r.nextInt(4)).with("VM_EXIT_MSR_LOAD_ADDR", page(r) | 16L * r.nextInt(8));
        }
        return c;
    }

    /**
     * Use TPR shadow (primary 21) with a virtual-APIC page whose VTPR is at or above the TPR threshold; TSC scaling
     * (secondary 25) with a non-zero multiplier; VMCS shadowing (14) with 4 KiB-aligned VMREAD/VMWRITE bitmaps; VM
     * functions (13) with EPTP switching only under EPT and a 4 KiB-aligned EPTP list (SDM 28.2.1.1).
     */
    private VmxCase newerControls(VmxCase c, SplittableRandom r) {
        String proc = "CPU_BASED_VM_EXEC_CONTROL", proc2 = "SECONDARY_VM_EXEC_CONTROL";
        if (may(ControlWord.PRIMARY_PROC, 21) && r.nextBoolean()) {
            long page = page(r);
            int threshold = r.nextInt(16);
            c = c.with(proc, c.get(proc) | 1L << 21).with("VIRTUAL_APIC_PAGE_ADDR", page)
                    .with("TPR_THRESHOLD", threshold)
                    .withMemory(page + 0x80, (long) (threshold + r.nextInt(16 - threshold)) << 4);
        }
        if (!may(ControlWord.PRIMARY_PROC, 31)) {
            return c;
        }
        boolean ept = (c.get(proc2) & 2) != 0;
        if (may(ControlWord.SECONDARY_PROC, 25) && r.nextBoolean()) {
            c = c.with(proc, c.get(proc) | 1L << 31).with(proc2, c.get(proc2) | 1L << 25)
                    .with("TSC_MULTIPLIER", r.nextLong() | 1);
        }
        if (may(ControlWord.SECONDARY_PROC, 14) && r.nextBoolean()) {
            c = c.with(proc, c.get(proc) | 1L << 31).with(proc2, c.get(proc2) | 1L << 14)
                    .with("VMREAD_BITMAP", page(r)).with("VMWRITE_BITMAP", page(r));
        }
        if (may(ControlWord.SECONDARY_PROC, 13) && r.nextBoolean()) {
            long allowed = cpu.caps().vmfunc().raw() & (ept ? 1 : 0);
            c = c.with(proc, c.get(proc) | 1L << 31).with(proc2, c.get(proc2) | 1L << 13)
                    .with("VM_FUNCTION_CONTROL", allowed & r.nextLong()).with("EPTP_LIST_ADDRESS", page(r));
        }
        return c;
    }

    /** A PAT value whose eight entries are valid memory types (0, 1, 4, 5, 6, 7; 28.2.2, 28.3.1.1). */
    private static long pat(SplittableRandom r) {
        int[] types = {0, 1, 4, 5, 6, 7};
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (long) types[r.nextInt(types.length)] << 8 * i;
        }
        return v;
    }

    private VmxCase guestRegisters(VmxCase c, GuestMode mode, SplittableRandom r) {
        if (mode == GuestMode.LONG_64) {
            c = c.with("GUEST_RIP", r.nextLong() & 0x00007fffffffffffL).with("GUEST_RSP", r.nextLong());
        } else if (mode == GuestMode.COMPATIBILITY || mode == GuestMode.PROTECTED_32 || mode == GuestMode.PROTECTED_PAE) {
            c = c.with("GUEST_RIP", r.nextLong() & 0xffffffffL).with("GUEST_RSP", r.nextLong() & 0xffffffffL);
        }
        // RFLAGS: bit 1 set, reserved bits clear; random CF PF AF ZF SF DF OF, IOPL, IF (TF stays 0: no pending #DB)
        long flags = c.get("GUEST_RFLAGS");
        for (int b : new int[] {0, 2, 4, 6, 7, 9, 10, 11}) {
            flags = r.nextBoolean() ? flags | 1L << b : flags & ~(1L << b);
        }
        if (mode != GuestMode.VIRTUAL_8086) {
            flags = flags & ~(3L << 12) | (long) r.nextInt(4) << 12;
        }
        c = c.with("GUEST_RFLAGS", flags);
        c = c.with("GUEST_SYSENTER_CS", r.nextInt() & 0xffffffffL)
                .with("GUEST_SYSENTER_ESP", canonical(r)).with("GUEST_SYSENTER_EIP", canonical(r))
                .with("GUEST_DR7", 0x400L | (r.nextInt() & 0xffff00ffL) & ~(0x3L << 14) & ~(1L << 12) & ~(1L << 11));
        return c;
    }

    private static long canonical(SplittableRandom r) {
        long v = r.nextLong() & 0x00007fffffffffffL;
        return r.nextBoolean() ? v | 0xffff800000000000L : v;
    }

    private VmxCase segments(VmxCase c, GuestMode mode, SplittableRandom r) {
        if (mode == GuestMode.VIRTUAL_8086 || mode == GuestMode.REAL_UNRESTRICTED) {
            return c;
        }
        for (String s : new String[] {"ES", "DS", "FS", "GS"}) {
            String p = "GUEST_" + s + "_";
            if (r.nextInt(4) == 0) {
                c = c.with(p + "AR_BYTES", 0x10000L).with(p + "SELECTOR", 0); // unusable (null)
                continue;
            }
            long sel = (long) (1 + r.nextInt(0x1fff)) << 3;                  // GDT, RPL 0
            boolean g = r.nextBoolean();
            long limit = g ? (r.nextInt(1 << 20) & 0xfffffL) << 12 | 0xfff : r.nextInt(1 << 20);
            int type = new int[] {1, 3, 5, 7, 0xb, 0xf}[r.nextInt(6)];         // accessed data, readable code
            long ar = type | 1 << 4 | (long) r.nextInt(4) << 5 | 1 << 7 | (g ? 1L << 15 : 0) | (r.nextBoolean() ? 1L << 14 : 0);
            boolean wide = mode.ia32e() && (s.equals("FS") || s.equals("GS"));
            long base = wide ? canonical(r) : r.nextLong() & 0xffffffffL;
            c = c.with(p + "SELECTOR", sel).with(p + "AR_BYTES", ar).with(p + "LIMIT", limit).with(p + "BASE", base);
        }
        return c;
    }

    private VmxCase events(VmxCase c, GuestMode mode, SplittableRandom r) {
        boolean ifSet = (c.get("GUEST_RFLAGS") & 1L << 9) != 0;
        int blocking = 0;
        switch (r.nextInt(3)) {
            case 1: blocking = ifSet ? 1 : 0; break;     // blocking by STI needs RFLAGS.IF = 1 (28.3.1.5)
            case 2: blocking = 2; break;                 // blocking by MOV SS
            default: break;
        }
        c = c.with("GUEST_INTERRUPTIBILITY_INFO", blocking);
        // activity HLT or shutdown where IA32_VMX_MISC allows them: SS.DPL = 0 for HLT, no STI / MOV SS blocking,
        // and then no event injection (28.3.1.5)
        boolean ssDpl0 = (c.get("GUEST_SS_AR_BYTES") >>> 5 & 3) == 0;
        if (blocking == 0 && r.nextInt(4) == 0) {
            if (cpu.caps().misc().activityHlt() && ssDpl0 && r.nextBoolean()) {
                return c.with("GUEST_ACTIVITY_STATE", 1);
            }
            if (cpu.caps().misc().activityShutdown()) {
                return c.with("GUEST_ACTIVITY_STATE", 2);
            }
        }
        if (r.nextInt(3) != 0) {
            return c;
        }
        boolean pe = (c.get("GUEST_CR0") & 1) != 0;
        long info;
        switch (r.nextInt(4)) {
            case 0:    // external interrupt: IF = 1 and no STI/MOV SS blocking
                if (!ifSet || blocking != 0) {
                    return c;
                }
                info = 32 + r.nextInt(224);
                break;
            case 1:    // NMI: no MOV SS blocking, and none by STI (GUEST-INTR-NMI-STI: this processor requires it)
                if (blocking != 0) {
                    return c;
                }
                info = 2 | 2 << 8;
                break;
            case 2: {  // hardware exception, error code exactly for 8, 10-14, 17 in protected mode (28.2.1.3)
                int v = new int[] {0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19}[r.nextInt(17)];
                info = v | 3 << 8;
                boolean ec = pe && (v == 8 || (v >= 10 && v <= 14) || v == 17);
                if (ec) {
                    info |= 1 << 11;
                    c = c.with("VM_ENTRY_EXCEPTION_ERROR_CODE", r.nextInt(0x10000));
                }
                break;
            }
            default:   // software interrupt with an instruction length of 1-15
                info = r.nextInt(256) | 4 << 8;
                c = c.with("VM_ENTRY_INSTRUCTION_LEN", 1 + r.nextInt(15));
        }
        return c.with("VM_ENTRY_INTR_INFO_FIELD", info | 1L << 31);
    }

    /** MSRs a VM-entry MSR-load list may write in this model, and valid values (28.4). */
    private VmxCase msrLoad(VmxCase c, GuestMode mode, SplittableRandom r) {
        int n = r.nextInt(4);
        if (n == 0) {
            return c;
        }
        long area = page(r) | 16L * r.nextInt(16);
        for (int i = 0; i < n; i++) {
            long index, value;
            switch (r.nextInt(4)) {
                case 0: index = 0x174; value = r.nextInt() & 0xffffffffL; break;   // IA32_SYSENTER_CS
                case 1: index = 0x175; value = canonical(r); break;                // IA32_SYSENTER_ESP
                case 2: index = 0x176; value = canonical(r); break;                // IA32_SYSENTER_EIP
                default: index = 0x277; value = pat(r); break;                     // IA32_PAT
            }
            c = c.withMemory(area + 16L * i, index).withMemory(area + 16L * i + 8, value);
        }
        return c.with("VM_ENTRY_MSR_LOAD_COUNT", n).with("VM_ENTRY_MSR_LOAD_ADDR", area);
    }

    /** Capabilities used (for tests that need to know). */
    public VmxCapabilities caps() {
        return cpu.caps();
    }
}
