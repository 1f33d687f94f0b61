package dev.hvsim.vmcs.controls;

/**
 * The default class of a control bit (SDM Vol. 3C Appendix A.2): a default1 bit must be 1 unless the
 * TRUE capability MSR reports that its 0-setting is allowed; every other bit is default0.
 */
public enum DefaultClass {
    DEFAULT0, DEFAULT1
}
