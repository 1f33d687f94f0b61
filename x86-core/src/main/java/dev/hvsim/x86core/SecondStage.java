package dev.hvsim.x86core;

/**
 * The SPI for second-stage translation (nested paging): guest-physical to host-physical for one access.
 * Intel EPT (SDM Vol. 3C "EPT") and AMD nested paging (APM Vol. 2 15.25) implement it in {@code ept/};
 * the core only calls it. Installed with {@link Cpu#setSecondStage}; when none is installed (or
 * {@link #IDENTITY}), guest-physical is host-physical and the core pays one null check per TLB miss.
 *
 * <p>The core calls {@link #translate} for every guest paging-structure read, every guest A/D-bit write,
 * every PAE PDPTE load, and for the final guest-physical address of an access (also with paging off).
 * A translation that the second stage refuses ends the instruction: the implementation throws
 * {@link dev.hvsim.x86core.fault.VmExitSignal} carrying its own typed fault record (an EPT violation or
 * misconfiguration, a nested page fault), which the step loop hands to the VMM.
 *
 * <p>The call is on the TLB-miss path only: the core's TLB caches final linear to host-physical
 * translations (with the permissions {@link #lastAllowed} reports), so a TLB hit never reaches here.
 * An implementation charges the memory references of its own walks to the CPU
 * ({@link Mmu#chargeWalkReferences}).
 */
public interface SecondStage {
    /** Access kinds (the same values as {@link Mmu#READ}, {@link Mmu#WRITE}, {@link Mmu#EXEC}). */
    int READ = Mmu.READ, WRITE = Mmu.WRITE, EXEC = Mmu.EXEC;

    /** Flag: the access is to a guest paging-structure entry (a walk read, an A/D write, a PDPTE load), not the final access. */
    int PAGING_STRUCTURE = 1;
    /** Flag: {@code guestLinear} is meaningful (false for PDPTE loads by MOV CR3 / CR0 / CR4). */
    int LINEAR_VALID = 2;
    /** Flag: the access is made with user privilege (CPL 3, not an implicit supervisor access). */
    int USER = 4;
    /** Flag (final accesses): the guest translation is a user-mode address (U/S = 1 at every level). */
    int GUEST_USER_PAGE = 8;
    /** Flag (final accesses): the guest translation allows writes (R/W = 1 at every level). */
    int GUEST_WRITABLE_PAGE = 16;
    /** Flag (final accesses): the guest translation is execute-disable. */
    int GUEST_NX_PAGE = 32;
    /** Flag: CR0.CD = 1 (the effective memory type is UC). */
    int CACHE_DISABLED = 64;
    /** Bits 10:8 of the flags: the guest PAT index (PAT, PCD, PWT) selecting the PAT memory type. */
    int PAT_SHIFT = 8;

    /** Bit masks of {@link #lastAllowed}. */
    int ALLOW_READ = 1 << READ, ALLOW_WRITE = 1 << WRITE, ALLOW_EXEC = 1 << EXEC;

    /**
     * Translates a guest-physical address for one access.
     *
     * @param guestPhys   the guest-physical address
     * @param access      {@link #READ}, {@link #WRITE} or {@link #EXEC}
     * @param flags       {@link #PAGING_STRUCTURE}, {@link #LINEAR_VALID}, {@link #USER}, the guest-page flags
     *                    and the PAT index
     * @param guestLinear the guest-linear address being translated, when {@link #LINEAR_VALID}
     * @return the host-physical address
     * @throws dev.hvsim.x86core.fault.VmExitSignal when the second stage refuses the access
     */
    long translate(long guestPhys, int access, int flags, long guestLinear);

    /**
     * After a successful {@link #translate}: the accesses ({@link #ALLOW_READ} | {@link #ALLOW_WRITE} |
     * {@link #ALLOW_EXEC}) that the same translation permits without any further side effect (for
     * example, write is not reported while a dirty flag still has to be set). The core caches only these
     * in its TLB. The default, 0, means "only the access just translated".
     */
    default int lastAllowed() {
        return 0;
    }

    /** A side-effect-free translation for debuggers: no A/D updates, no faults, no cycles; -1 if unmapped. */
    default long probe(long guestPhys) {
        return guestPhys;
    }

    /** The identity: guest-physical is host-physical. Installing it is the same as installing none. */
    SecondStage IDENTITY = new SecondStage() {
        @Override
        public long translate(long guestPhys, int access, int flags, long guestLinear) {
            return guestPhys;
        }

        @Override
        public int lastAllowed() {
            return ALLOW_READ | ALLOW_WRITE | ALLOW_EXEC;
        }

        @Override
        public String toString() {
            return "SecondStage.IDENTITY";
        }
    };
}
