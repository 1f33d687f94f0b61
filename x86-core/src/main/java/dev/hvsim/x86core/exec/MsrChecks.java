package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Reserved-bit rules of the MSRs that are storage in this model: PAT (SDM Vol. 3A 12.12.2), the MTRRs
 * (12.11.2.1 IA32_MTRR_DEF_TYPE, 12.11.2.2 fixed ranges, 12.11.2.3 variable ranges), IA32_APIC_BASE
 * (11.4.4, Figure 11-5). All violations are #GP(0).
 */
final class MsrChecks {
    private MsrChecks() {}

    /** Memory types 0 (UC), 1 (WC), 4 (WT), 5 (WP), 6 (WB); 7 (UC-) only in the PAT. */
    static boolean validType(int t, boolean pat) {
        return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || pat && t == 7;
    }

    static void pat(long v) {
        for (int k = 0; k < 8; k++) {
            if (!validType((int) (v >>> (8 * k)) & 0xff, true)) {
                throw ArchFault.gp0();
            }
        }
    }

    static void mtrr(Cpu cpu, long i, long v) {
        long phys = cpu.mmu().physAddrMask();
        if (i == Msr.IA32_MTRR_DEF_TYPE) {
            if ((v & ~0xcffL) != 0 || !validType((int) v & 0xff, false)) {
                throw ArchFault.gp0();
            }
        } else if (i >= Msrs.MTRR_PHYS_BASE0 && i <= Msrs.MTRR_PHYS_MASK7) {
            boolean mask = (i & 1) != 0;
            long rsvd = ~phys | (mask ? 0x7ffL : 0xf00L);
            if ((v & rsvd) != 0 || !mask && !validType((int) v & 0xff, false)) {
                throw ArchFault.gp0();
            }
        } else {
            for (int k = 0; k < 8; k++) {
                if (!validType((int) (v >>> (8 * k)) & 0xff, false)) {
                    throw ArchFault.gp0();
                }
            }
        }
    }

    /** IA32_APIC_BASE.EN (bit 11) and EXTD (bit 10, x2APIC enable). */
    static final long APIC_EN = 0x800, APIC_EXTD = 0x400;

    /**
     * Bits 7:0 and 9 reserved, bit 10 (EXTD) only with X2APIC, base below MAXPHYADDR (11.4.4, Figure 11-5);
     * the mode transitions of 11.12.5 (Figure 11-27): EN=0 with EXTD=1 is invalid, x2APIC to xAPIC must go
     * through disabled, and disabled to x2APIC must go through xAPIC (as KVM enforces).
     */
    static void apicBase(Cpu cpu, long old, long v) {
        long rsvd = 0x2ffL | ~cpu.mmu().physAddrMask() | (cpu.has(Feature.X2APIC) ? 0 : APIC_EXTD);
        if ((v & rsvd) != 0) {
            throw ArchFault.gp0();
        }
        long mode = v & (APIC_EN | APIC_EXTD), oldMode = old & (APIC_EN | APIC_EXTD);
        boolean invalid = mode == APIC_EXTD;
        boolean x2ToX = oldMode == (APIC_EN | APIC_EXTD) && mode == APIC_EN;
        boolean offToX2 = oldMode == 0 && mode == (APIC_EN | APIC_EXTD);
        if (invalid || x2ToX || offToX2) {
            throw ArchFault.gp0();
        }
    }
}
