package dev.hvsim.ept;

/** Which stage of a two-stage translation refused an access. */
public enum Stage {
    /** The guest's own paging (linear to guest-physical): the guest gets a #PF. */
    GUEST,
    /** The second stage (guest-physical to host-physical, EPT or nested paging): a VM exit. */
    NESTED
}
