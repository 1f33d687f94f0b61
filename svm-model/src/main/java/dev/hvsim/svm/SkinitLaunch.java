package dev.hvsim.svm;

/**
 * What an executed SKINIT found (AMD APM Vol. 2 15.27.2-15.27.6): the SLB base (EAX with bits 15:0 cleared), the
 * secure loader's entry offset (the SLB's first word) and its image length (the second word; the bytes a TPM would
 * have hashed: hvsim models no TPM, so nothing is hashed or sent).
 */
public record SkinitLaunch(long slbBase, int entryOffset, int imageLength) {}
