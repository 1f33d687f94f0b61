package dev.hvsim.x86core;

/** The CPU vendor a profile models; it selects vendor-specific behaviour where the manuals differ. */
public enum Vendor {
    INTEL, AMD
}
