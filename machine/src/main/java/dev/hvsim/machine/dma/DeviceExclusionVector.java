package dev.hvsim.machine.dma;

import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.x86core.bus.DmaProtectionHook;

/**
 * AMD's Device Exclusion Vector (AMD APM Vol. 2, chapter 15, section "Device Exclusion Vector (DEV)"; the
 * section number differs between editions) as the northbridge implements it: a bitmap in system memory,
 * one bit per 4 KiB physical page, that blocks device DMA to the pages whose bit is set. Register layout,
 * function codes and bitmap semantics follow shared/reference/dev.csv; where it marks a detail undocumented,
 * the choice is written here and in machine/DEVIATIONS.md ("DEV").
 *
 * <p>Software reaches the registers through the DEV capability of the host bridge function
 * ({@link dev.hvsim.machine.device.AmdNorthbridge}): DEV_OP selects FUNCTION (bits 15:8) and INDEX (7:0),
 * DEV_DATA reads and writes the selected 32-bit register:
 *
 * <table>
 * <caption>DEV registers</caption>
 * <tr><th>FUNCTION</th><th>register</th><th>hvsim</th></tr>
 * <tr><td>0</td><td>DEV_BASE_LO[INDEX = domain]</td><td>VALID 0, PROTECT 1, SIZE 6:2, BASE 31:12; 11:7 reserved (0)</td></tr>
 * <tr><td>1</td><td>DEV_BASE_HI[domain]</td><td>BASE 47:32 in 15:0; 31:16 reserved (0)</td></tr>
 * <tr><td>2</td><td>DEV_MAP[INDEX = map]</td><td>all 32 bits read/write; matched against the requester</td></tr>
 * <tr><td>3</td><td>DEV_CAP</td><td>read-only: REV 0, N_DOMS {@value #DOMAINS}, N_MAPS {@value #MAPS}</td></tr>
 * <tr><td>4</td><td>DEV_CR</td><td>bits 6:0 except 1; INV_CACHE reads 0 (done at once)</td></tr>
 * <tr><td>5</td><td>DEV_ERR_STATUS</td><td>set on a blocked access; software writes it (0 clears)</td></tr>
 * <tr><td>6, 7</td><td>DEV_ERR_ADDR_LO / HI</td><td>the blocked address (31:2 / 47:32)</td></tr>
 * </table>
 * Other function codes, and indexes at or above N_DOMS / N_MAPS, read 0 and ignore writes. Every register
 * resets to 0 (the reset state is undocumented).
 *
 * <p>The check ({@link #blocks}): with DEV_CR.DEV_EN = 1, the requester's domain is the DOM0/DOM1 of the
 * first DEV_MAP whose BUSNO is the requester's bus and whose valid UNIT0/UNIT1 is its unit ID, else domain 0.
 * A domain whose DEV_BASE_LO.VALID is 0 blocks nothing. An address below the covered size 4 GiB × 2^SIZE is
 * blocked when bit (page mod 8) of byte page / 8 of the bitmap is set; above it, when PROTECT is 1. The
 * bitmap is read from memory at every check (the host bridge's own access, not DMA and never blocked): no
 * walk cache is modelled, so DEV_CR.INV_CACHE has nothing to invalidate.
 *
 * <p>SL_DEV (APM Vol. 2 15.24.8 "Secure Initialization Support"): the host bridge holds a hidden SL_DEV_BASE that
 * SKINIT loads with the 64 KiB-aligned secure loader block ({@link #protectSecureLoaderBlock}, the CPU's
 * {@link DmaProtectionHook}), setting DEV_CR.SL_DEV_EN. While SL_DEV_EN = 1 the 64 KiB at SL_DEV_BASE are blocked
 * for every device, whatever DEV_EN, the domains and the bitmap say ("as if protected by the DEV"; the DEV need not
 * be active yet, 15.27.3); such a block is logged like any other. Software can clear SL_DEV_EN (the secure loader's
 * abort path, 15.27.8) but cannot read or write SL_DEV_BASE; it resets to 0 (hvsim's choice, DEVIATIONS.md).
 */
public final class DeviceExclusionVector implements dev.hvsim.x86core.Snapshottable, DmaProtection, DmaProtectionHook {
    /** Protection domains and DEV_MAP registers implemented (hvsim's choice; "at least four domains" on the first parts). */
    public static final int DOMAINS = 4, MAPS = 4;
    public static final int FN_BASE_LO = 0, FN_BASE_HI = 1, FN_MAP = 2, FN_CAP = 3, FN_CR = 4, FN_ERR_STATUS = 5,
            FN_ERR_ADDR_LO = 6, FN_ERR_ADDR_HI = 7;
    public static final int BASE_VALID = 1, BASE_PROTECT = 1 << 1;
    public static final int CR_DEV_EN = 1, CR_IODIS = 1 << 2, CR_MCE_EN = 1 << 3, CR_INV_CACHE = 1 << 4,
            CR_SL_DEV_EN = 1 << 5, CR_WALK_PROBE = 1 << 6;
    /** DEV_CR bits software can set: 0, 2, 3, 5, 6 (bit 1 is reserved here, bit 4 self-clears). */
    static final int CR_WRITABLE = CR_DEV_EN | CR_IODIS | CR_MCE_EN | CR_SL_DEV_EN | CR_WALK_PROBE;
    public static final int ERR_ACCESS_READ = 1, ERR_ACCESS_WRITE = 2, ERR_SOURCE_DEVICE = 2 << 2,
            ERR_DEST_DRAM = 1 << 5, ERR_ADDR_VALID = 1 << 29, ERR_OVERFLOW = 1 << 30, ERR_VALID = 1 << 31;
    /** DEV_ERR_STATUS bits that exist: 7:0, 23:16, 31:29. */
    static final int ERR_STATUS_DEFINED = 0xe0ff00ff;
    /** DEV_CAP: REV 0 (7:0), N_DOMS (15:8), N_MAPS (23:16). */
    public static final int CAP_VALUE = MAPS << 16 | DOMAINS << 8;

    private final MemoryBus memory;
    private final int[] baseLo = new int[DOMAINS], baseHi = new int[DOMAINS], map = new int[MAPS];
    private int cr, errStatus, errAddrLo, errAddrHi;
    /** The hidden SL_DEV_BASE (15.24.8): not software-accessible; loaded by SKINIT only. */
    private long slDevBase;
    private long blockedCount;

    public DeviceExclusionVector(MemoryBus memory) {
        this.memory = memory;
    }

    /** DEV_DATA read of the register DEV_OP = {@code op} selects. */
    public int read(int op) {
        int fn = (op >>> 8) & 0xff, index = op & 0xff;
        switch (fn) {
            case FN_BASE_LO: return index < DOMAINS ? baseLo[index] : 0;
            case FN_BASE_HI: return index < DOMAINS ? baseHi[index] : 0;
            case FN_MAP: return index < MAPS ? map[index] : 0;
            case FN_CAP: return CAP_VALUE;
            case FN_CR: return cr;
            case FN_ERR_STATUS: return errStatus;
            case FN_ERR_ADDR_LO: return errAddrLo;
            case FN_ERR_ADDR_HI: return errAddrHi;
            default: return 0;
        }
    }

    /** DEV_DATA write of {@code v} to the register DEV_OP = {@code op} selects. */
    public void write(int op, int v) {
        int fn = (op >>> 8) & 0xff, index = op & 0xff;
        switch (fn) {
            case FN_BASE_LO:
                if (index < DOMAINS) {
                    baseLo[index] = v & 0xfffff07f; // 11:7 reserved
                }
                break;
            case FN_BASE_HI:
                if (index < DOMAINS) {
                    baseHi[index] = v & 0xffff; // 31:16 reserved
                }
                break;
            case FN_MAP:
                if (index < MAPS) {
                    map[index] = v;
                }
                break;
            case FN_CR:
                // INV_CACHE: "hardware clears the bit when done"; there is no walk cache, so it is done at once
                cr = v & CR_WRITABLE;
                break;
            case FN_ERR_STATUS:
                errStatus = v & ERR_STATUS_DEFINED;
                break;
            case FN_ERR_ADDR_LO:
                errAddrLo = v & ~3;
                break;
            case FN_ERR_ADDR_HI:
                errAddrHi = v & 0xffff;
                break;
            default: // DEV_CAP is read-only; unknown function codes ignore writes
                break;
        }
    }

    /** DEV_CR. */
    public int control() {
        return cr;
    }

    /** Accesses blocked since the machine was built (each page-sized part of a DMA counts once). */
    public long blockedCount() {
        return blockedCount;
    }

    /** The protection domain of {@code who}: the first valid DEV_MAP entry for its bus and unit, else 0. */
    int domain(DmaRequester who) {
        for (int m : map) {
            if (((m >>> 12) & 0xff) != who.bus()) {
                continue;
            }
            if ((m & (1 << 5)) != 0 && (m & 0x1f) == who.unitId()) {
                return (m >>> 20) & 0x3f;
            }
            if ((m & (1 << 11)) != 0 && ((m >>> 6) & 0x1f) == who.unitId()) {
                return (m >>> 26) & 0x3f;
            }
        }
        return 0;
    }

    /**
     * SKINIT's SL_DEV step (APM Vol. 2 15.27.6 step 2, 15.24.8): SL_DEV_BASE = {@code slbBase} (bits 15:0 and above
     * 51 dropped: the region is 64 KiB aligned), DEV_CR.SL_DEV_EN = 1.
     */
    @Override
    public void protectSecureLoaderBlock(long slbBase) {
        slDevBase = slbBase & ~(SLB_SIZE - 1) & (DmaPath.ADDRESS_LIMIT - 1);
        cr |= CR_SL_DEV_EN;
    }

    /** The hidden SL_DEV_BASE (for tests and tools; software has no access to it). */
    public long secureLoaderBase() {
        return slDevBase;
    }

    @Override
    public boolean blocks(DmaRequester who, long pa, boolean write) {
        if ((cr & CR_SL_DEV_EN) != 0 && Long.compareUnsigned(pa - slDevBase, SLB_SIZE) < 0) {
            return true; // 15.24.8: the SLB is protected from every device while SL_DEV_EN = 1
        }
        if ((cr & CR_DEV_EN) == 0) {
            return false;
        }
        int d = domain(who);
        if (d >= DOMAINS) {
            return true; // hvsim choice: a domain without base registers protects everything (fail safe)
        }
        int lo = baseLo[d];
        if ((lo & BASE_VALID) == 0) {
            return false;
        }
        int size = (lo >>> 2) & 0x1f;
        long covered = size >= 20 ? DmaPath.ADDRESS_LIMIT : 1L << (32 + size);
        long page = pa >>> 12;
        if (pa < 0 || pa >= covered) {
            return (lo & BASE_PROTECT) != 0;
        }
        long bitmap = ((long) baseHi[d] << 32) | (lo & 0xfffff000L);
        long b = memory.read(bitmap + (page >>> 3), 1); // the host bridge's table read: not DMA, not checked
        return (b >>> (page & 7) & 1) != 0;
    }

    /**
     * Logs the violation in DEV_ERR_STATUS / DEV_ERR_ADDR (dev.csv; single-source layout): the first one sets
     * VALID, ADDR_VALID, ACCESS_TYPE, SOURCE = device, DEST = DRAM or generic, and the address; while VALID is
     * set, a further one only sets OVERFLOW. MCE_EN is stored, but no machine check is raised (no MCA model).
     */
    @Override
    public void recordBlocked(DmaRequester who, long pa, boolean write) {
        blockedCount++;
        if ((errStatus & ERR_VALID) != 0) {
            errStatus |= ERR_OVERFLOW;
            return;
        }
        errStatus = ERR_VALID | ERR_ADDR_VALID | ERR_SOURCE_DEVICE | (write ? ERR_ACCESS_WRITE : ERR_ACCESS_READ)
                | (memory.ram().contains(pa, 1) ? ERR_DEST_DRAM : 0);
        errAddrLo = (int) pa & ~3;
        errAddrHi = (int) (pa >>> 32) & 0xffff;
    }

    /** The DEV registers (base, map, control, error) and the SKINIT-protected range. */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        int[] lo = baseLo.clone(), hi = baseHi.clone(), mp = map.clone();
        int[] v = {cr, errStatus, errAddrLo, errAddrHi};
        long sl = slDevBase, blocked = blockedCount;
        return () -> {
            System.arraycopy(lo, 0, baseLo, 0, lo.length);
            System.arraycopy(hi, 0, baseHi, 0, hi.length);
            System.arraycopy(mp, 0, map, 0, mp.length);
            cr = v[0]; errStatus = v[1]; errAddrLo = v[2]; errAddrHi = v[3];
            slDevBase = sl;
            blockedCount = blocked;
        };
    }
}
