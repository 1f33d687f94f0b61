package dev.hvsim.machine.apic;

import static dev.hvsim.machine.apic.LocalApic.*;

import dev.hvsim.x86core.fault.ArchFault;

/**
 * The x2APIC register interface (Intel SDM Vol. 3A 11.12): MSR 0x800 + offset / 16 is the xAPIC register at
 * MMIO offset {@code offset} (11.12.1.2, Table 11-6), with these differences:
 *
 * <ul>
 *   <li>Every access while the APIC is not in x2APIC mode (IA32_APIC_BASE.EXTD and EN) is #GP(0)
 *       (11.12.1.2).</li>
 *   <li>Not in Table 11-6, so #GP(0) on RDMSR and WRMSR: APR (0x809), RRD (0x80C), DFR (0x80E, 11.12.1.2:
 *       "there is no MSR with address 80EH"), the ICR's high half (0x831), LVT CMCI (0x82F: the version
 *       register says six LVT entries, without CMCI) and every other unlisted MSR of the range.</li>
 *   <li>RDMSR of a write-only register (EOI 0x80B, SELF IPI 0x83F) and WRMSR of a read-only one (ID, version,
 *       PPR, LDR, ISR/TMR/IRR, current count) are #GP(0).</li>
 *   <li>Reserved bits (11.12.1.3, "RsvdZ"): a WRMSR that sets one is #GP(0): bits 63:32 of every register but
 *       the ICR, TPR bits 31:8, SVR bits above 9 (no EOI-broadcast suppression), the bits Figure 11-8
 *       reserves in the LVT, the ICR's reserved bits including delivery status (bit 12, removed in x2APIC
 *       mode, 11.12.9), divide configuration bits other than 0, 1 and 3, SELF IPI bits 31:8. A non-zero
 *       write to EOI or ESR is #GP(0) (Table 11-6).</li>
 *   <li>The ICR is one 64-bit MSR (0x830) with a 32-bit destination in bits 63:32; writing it sends the
 *       IPI (11.12.9). SELF IPI (0x83F) sends a fixed, edge-triggered IPI with its vector to this APIC
 *       (11.12.11).</li>
 *   <li>The ID reads the 32-bit x2APIC ID (11.12.5.1) and the LDR the logical ID derived from it
 *       (11.12.10.2).</li>
 * </ul>
 */
final class X2ApicMsrs {
    static final long FIRST = 0x800, LAST = 0x8ff;
    /** MSR addresses of the registers that exist only as MSRs. */
    static final long ICR_MSR = 0x830, SELF_IPI_MSR = 0x83f;
    static final int SELF_IPI = 0x3f0;
    /** ICR bits that exist in x2APIC mode: vector, delivery mode, destination mode, level, trigger, shorthand. */
    static final int ICR_WRITABLE = 0x000ccfff & ~(1 << 12);
    /** LVT read-only status bits (delivery status 12; remote IRR 14 in LINT0/LINT1), not reserved. */
    private static final int LVT_STATUS = 1 << 12, LINT_REMOTE_IRR = 1 << 14;

    private X2ApicMsrs() {}

    static boolean inRange(long index) {
        return index >= FIRST && index <= LAST;
    }

    /** The register's MMIO offset. */
    private static int offset(long index) {
        return (int) (index - FIRST) << 4;
    }

    private static void require(boolean ok) {
        if (!ok) {
            throw ArchFault.gp0();
        }
    }

    private static boolean isBank(int off) {
        return off >= ISR && off < IRR + 0x80;
    }

    private static boolean isLvt(int off) {
        return off >= LVT_TIMER && off <= LVT_ERROR;
    }

    /** RDMSR of x2APIC register {@code index}. */
    static long read(LocalApic apic, long index) {
        require(apic.x2apicMode());
        int off = offset(index);
        switch (off) {
            case ID: return apic.id & 0xffffffffL;
            case LDR: return apic.ldr & 0xffffffffL;
            case ICR_LO: return (long) apic.icrDest32 << 32 | (apic.icrLo & ICR_WRITABLE);
            case VERSION: case TPR: case PPR: case SVR: case ESR: case TIMER_INITIAL: case TIMER_CURRENT:
            case TIMER_DIVIDE:
                return apic.read(off, 4) & 0xffffffffL;
            default:
                require(isBank(off) || isLvt(off)); // EOI, SELF IPI (write-only), APR, RRD, DFR, ICR high...
                return apic.read(off, 4) & 0xffffffffL;
        }
    }

    /** WRMSR of x2APIC register {@code index}. */
    static void write(LocalApic apic, long index, long value) {
        require(apic.x2apicMode());
        int off = offset(index);
        if (off == ICR_LO) {
            require((value & ~(0xffffffff00000000L | ICR_WRITABLE)) == 0);
            apic.icrDest32 = (int) (value >>> 32);
            apic.icrLo = (int) value;
            apic.sendIpi(apic.icrLo, apic.icrDest32, true);
            return;
        }
        require(value >>> 32 == 0);
        int v = (int) value;
        switch (off) {
            case TPR: require((v & ~0xff) == 0); break;
            case EOI: case ESR: require(v == 0); break;
            case SVR: require((v & ~0x3ff) == 0); break;
            case TIMER_INITIAL: break;
            case TIMER_DIVIDE: require((v & ~0xb) == 0); break;
            case SELF_IPI:
                require((v & ~0xff) == 0);
                apic.sendIpi(1 << 18 | v, 0, true); // fixed, edge, shorthand self; the ICR keeps its value
                return;
            default:
                require(isLvt(off)); // read-only (ID, version, PPR, LDR, banks, current count) and reserved
                int i = (off - LVT_TIMER) >> 4;
                int status = LVT_STATUS | (off == LVT_LINT0 || off == LVT_LINT1 ? LINT_REMOTE_IRR : 0);
                require((v & ~(LVT_WRITABLE[i] | status)) == 0);
                break;
        }
        apic.write(off, 4, v);
    }
}
