package dev.hvsim.ept;

/**
 * The vendor-specific part of a {@link Fault}: what the guest or the VMM is told.
 */
public sealed interface FaultDetail permits FaultDetail.GuestPageFault, FaultDetail.EptViolation,
        FaultDetail.EptMisconfiguration, FaultDetail.NestedPageFault {

    /** Which record this is (Java 17 has no pattern-matching switch). */
    enum Kind { GUEST_PAGE_FAULT, EPT_VIOLATION, EPT_MISCONFIGURATION, NESTED_PAGE_FAULT }

    Kind kind();

    /** The guest's own paging refused the access: #PF with this error code (SDM Vol. 3A 4.7), CR2 = the linear address. */
    record GuestPageFault(int errorCode) implements FaultDetail {
        public static final int P = 1, W = 2, U = 4, RSVD = 8, I = 16;

        @Override
        public Kind kind() { return Kind.GUEST_PAGE_FAULT; }
    }

    /** EPT violation: VM exit reason 48 with this exit qualification (SDM Vol. 3C 29.3.3.2, 28.2.1 Table 28-7). */
    record EptViolation(EptViolationQualification qualification) implements FaultDetail {
        public static final int EXIT_REASON = 48;

        @Override
        public Kind kind() { return Kind.EPT_VIOLATION; }
    }

    /**
     * EPT misconfiguration: VM exit reason 49, no exit qualification (SDM Vol. 3C 29.3.3.1). {@code reason}
     * says which rule the entry broke; {@code entry} is its value.
     */
    record EptMisconfiguration(EntryStatus reason, long entry) implements FaultDetail {
        public static final int EXIT_REASON = 49;

        @Override
        public Kind kind() { return Kind.EPT_MISCONFIGURATION; }
    }

    /** Nested page fault: #VMEXIT code 0x400 with EXITINFO1 and EXITINFO2 = the guest-physical address (APM Vol. 2 15.25.6). */
    record NestedPageFault(NpfExitInfo1 exitInfo1, long exitInfo2) implements FaultDetail {
        public static final int EXIT_CODE = 0x400;

        @Override
        public Kind kind() { return Kind.NESTED_PAGE_FAULT; }
    }
}
