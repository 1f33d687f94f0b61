package dev.hvsim.x86core.decode;

/**
 * CPUID feature bits that gate instructions (SDM Vol. 2A CPUID, Tables 3-8..3-10; AMD APM Vol. 3
 * Appendix E). An instruction whose feature the profile does not advertise raises #UD.
 */
public enum Feature {
    // leaf, subleaf, register (0 EAX, 1 EBX, 2 ECX, 3 EDX), bit
    CX8(1, 0, 3, 8), CMOV(1, 0, 3, 15), CLFLUSH(1, 0, 3, 19), FXSR(1, 0, 3, 24), SSE2(1, 0, 3, 26), TSC(1, 0, 3, 4),
    MSR(1, 0, 3, 5), SEP(1, 0, 3, 11), PSE(1, 0, 3, 3), PAE(1, 0, 3, 6), PGE(1, 0, 3, 13), PSE36(1, 0, 3, 17),
    APIC(1, 0, 3, 9), DE(1, 0, 3, 2),
    SSE3(1, 0, 2, 0), MONITOR(1, 0, 2, 3), VMX(1, 0, 2, 5), CX16(1, 0, 2, 13), PCID(1, 0, 2, 17), X2APIC(1, 0, 2, 21),
    MOVBE(1, 0, 2, 22), POPCNT(1, 0, 2, 23), TSC_DEADLINE(1, 0, 2, 24), XSAVE(1, 0, 2, 26), OSXSAVE(1, 0, 2, 27),
    RDRAND(1, 0, 2, 30), HYPERVISOR(1, 0, 2, 31),
    FSGSBASE(7, 0, 1, 0), BMI1(7, 0, 1, 3), SMEP(7, 0, 1, 7), BMI2(7, 0, 1, 8), ERMS(7, 0, 1, 9), INVPCID(7, 0, 1, 10),
    RDSEED(7, 0, 1, 18), ADX(7, 0, 1, 19), SMAP(7, 0, 1, 20), CLFLUSHOPT(7, 0, 1, 23),
    UMIP(7, 0, 2, 2), PKU(7, 0, 2, 3), OSPKE(7, 0, 2, 4), LA57(7, 0, 2, 16), RDPID(7, 0, 2, 22),
    CET_IBT(7, 0, 3, 20),
    LAHF_LM(0x80000001, 0, 2, 0), SVM(0x80000001, 0, 2, 2), ABM(0x80000001, 0, 2, 5), SKINIT(0x80000001, 0, 2, 12),
    SYSCALL(0x80000001, 0, 3, 11), NX(0x80000001, 0, 3, 20), PAGE1GB(0x80000001, 0, 3, 26),
    RDTSCP(0x80000001, 0, 3, 27), LM(0x80000001, 0, 3, 29);

    public final int leaf, subleaf, register, bit;

    Feature(int leaf, int subleaf, int register, int bit) {
        this.leaf = leaf;
        this.subleaf = subleaf;
        this.register = register;
        this.bit = bit;
    }
}
