package dev.hvsim.ept;

import java.util.ArrayList;
import java.util.List;

/**
 * The extended-page-table pointer (VMCS field 0x201A; SDM Vol. 3C 25.6.11, Table 25-9 in the current
 * numbering, 24.6.11 / Table 24-8 in the 2016 edition): bits 2:0 memory type of the EPT paging
 * structures, 5:3 page-walk length minus 1, 6 A/D enable, 7 supervisor shadow-stack control, 11:8
 * reserved, N-1:12 the PML4 (PML5) table, 63:N reserved.
 */
public record Eptp(long raw) {

    /** EPTP for a table at {@code table}: WB, the given walk length, A/D as asked. */
    public static Eptp of(long table, int levels, boolean accessedDirty) {
        return new Eptp(table | (long) (levels - 1) << 3 | (accessedDirty ? 1L << 6 : 0) | 6);
    }

    public int memoryTypeBits() { return (int) (raw & 7); }
    public int walkLength() { return (int) ((raw >>> 3) & 7) + 1; }
    public boolean accessedDirty() { return (raw & 1L << 6) != 0; }
    public boolean supervisorShadowStack() { return (raw & 1L << 7) != 0; }
    public long table(int maxPhysAddr) { return raw & ((1L << maxPhysAddr) - 1) & ~0xfffL; }

    /**
     * Checks the EPTP as VM entry does when "enable EPT" is 1 (SDM Vol. 3C 27.2.1.1 / 2016: 26.2.1.1,
     * "VM-Execution Control Fields"), and as INVEPT and VMFUNC 0 do for the EPTPs they take. Every rule
     * that fails is named.
     */
    public EptpCheck validate(EptCapabilities caps, int maxPhysAddr) {
        List<String> failed = new ArrayList<>();
        int mt = memoryTypeBits();
        if (!(mt == 0 && caps.memoryTypeUc() || mt == 6 && caps.memoryTypeWb())) {
            failed.add("EPTP_MEMORY_TYPE: bits 2:0 = " + mt + " (UC = 0 and WB = 6 only, as IA32_VMX_EPT_VPID_CAP bits 8/14 allow)");
        }
        int len = walkLength();
        if (!(len == 4 && caps.pageWalk4() || len == 5 && caps.pageWalk5())) {
            failed.add("EPTP_WALK_LENGTH: bits 5:3 = " + (len - 1) + " (3 = 4-level, 4 = 5-level if EPT_VPID_CAP bit 7)");
        }
        if (accessedDirty() && !caps.accessedDirty()) {
            failed.add("EPTP_ACCESSED_DIRTY: bit 6 set without EPT_VPID_CAP bit 21");
        }
        if (supervisorShadowStack() && !caps.supervisorShadowStack()) {
            failed.add("EPTP_SSS: bit 7 set without EPT_VPID_CAP bit 23 (reserved on such processors)");
        }
        if ((raw & 0xf00) != 0) {
            failed.add("EPTP_RESERVED: bits 11:8 must be 0");
        }
        if ((raw & ~((1L << maxPhysAddr) - 1)) != 0) {
            failed.add("EPTP_ADDRESS_WIDTH: bits 63:" + maxPhysAddr + " must be 0 (MAXPHYADDR)");
        }
        return failed.isEmpty() ? new EptpCheck.Valid(this) : new EptpCheck.Invalid(this, List.copyOf(failed));
    }
}
