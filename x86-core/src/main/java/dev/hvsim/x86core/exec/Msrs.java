package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * RDMSR / WRMSR and the model's MSR file (SDM Vol. 2B RDMSR, WRMSR; Vol. 4 ch. 2 "Model-Specific
 * Registers", Table 2-2 architectural MSRs; Vol. 3A 2.2.1 (EFER), 5.8.7-5.8.8 (SYSENTER/SYSCALL MSRs),
 * 10.8.5 (EFER.LME), 12.11 (MTRRs), 12.12 (PAT), 17.17 (TSC); AMD APM Vol. 2 Appendix A).
 *
 * <p>An index the profile does not implement is #GP(0), as on hardware; so are writes of reserved
 * bits, of read-only MSRs and of non-canonical addresses. Which MSRs exist follows the profile's CPUID
 * (SYSCALL/LM/NX, RDTSCP/RDPID, SEP) and vendor (Intel-only MISC_ENABLE, PLATFORM_ID, FEATURE_CONTROL).
 * MTRRs, APIC_BASE and MCG_STATUS are plain storage with their reserved-bit checks (DEVIATIONS.md).
 */
final class Msrs {
    static final long MISC_ENABLE_DEFAULT = 1; // fast-strings enable
    /** MTRRCAP: VCNT = 8 variable ranges, FIX = 1, WC = 1 (SDM Vol. 3A 12.11.1). */
    static final long MTRRCAP_VALUE = 0x508;
    static final long MTRR_PHYS_BASE0 = 0x200, MTRR_PHYS_MASK7 = 0x20f, MTRR_FIX64K = 0x250, MTRR_FIX16K_80000 = 0x258,
            MTRR_FIX16K_A0000 = 0x259, MTRR_FIX4K_C0000 = 0x268, MTRR_FIX4K_F8000 = 0x26f;

    private Msrs() {}

    /** RDMSR (0F 32): EDX:EAX = MSR[ECX]. */
    static void rdmsr(Cpu cpu, DecodedInsn d) {
        long index = cpu.gpr(Reg.RCX, 4);
        if (cpu.guestMode().active()) {
            cpu.guestMode().interceptMsr(index, false, cpu);
            if (cpu.vmExitTaken()) {
                return; // the guest mode's MSR exit (Cpu.exitWithoutUnwinding): the access does not happen
            }
        }
        long v = read(cpu, index);
        cpu.setGpr(Reg.RAX, 4, v);
        cpu.setGpr(Reg.RDX, 4, v >>> 32);
    }

    /** WRMSR (0F 30): MSR[ECX] = EDX:EAX. */
    static void wrmsr(Cpu cpu, DecodedInsn d) {
        long index = cpu.gpr(Reg.RCX, 4);
        long v = cpu.gpr(Reg.RDX, 4) << 32 | cpu.gpr(Reg.RAX, 4);
        if (cpu.guestMode().active()) {
            cpu.guestMode().interceptMsr(index, true, cpu);
            if (cpu.vmExitTaken()) {
                return;
            }
        }
        write(cpu, index, v);
    }

    static boolean cpuidBit(Cpu cpu, long leaf, int sub, int reg, int bit) {
        return (cpu.cpuidTable().exact(leaf, sub, reg) >>> bit & 1) != 0;
    }

    private static boolean intel(Cpu cpu) {
        return cpu.vendor() == Vendor.INTEL;
    }

    private static boolean hasTscAdjust(Cpu cpu) {
        return cpuidBit(cpu, 7, 0, 1, 1);
    }

    /** IA32_SPEC_CTRL exists with IBRS (CPUID.7.0:EDX[26]) or AMD IBRS (CPUID 8000_0008:EBX[14]). */
    private static boolean hasSpecCtrl(Cpu cpu) {
        return cpuidBit(cpu, 7, 0, 3, 26) || cpuidBit(cpu, 0x80000008L, 0, 1, 14);
    }

    private static boolean hasTscAux(Cpu cpu) {
        return cpu.has(Feature.RDTSCP) || cpu.has(Feature.RDPID);
    }

    private static boolean isMtrr(long i) {
        return i >= MTRR_PHYS_BASE0 && i <= MTRR_PHYS_MASK7 || i == MTRR_FIX64K || i == MTRR_FIX16K_80000
                || i == MTRR_FIX16K_A0000 || i >= MTRR_FIX4K_C0000 && i <= MTRR_FIX4K_F8000 || i == Msr.IA32_MTRR_DEF_TYPE;
    }

    private static boolean exists64(Cpu cpu) {
        return cpu.has(Feature.LM) || cpu.has(Feature.SYSCALL);
    }

    /** The value of an MSR; #GP(0) when the profile does not implement it. */
    static long read(Cpu cpu, long i) {
        CpuState s = cpu.state();
        CpuExtension x = cpu.extension();
        if (x != null && x.ownsMsr(i)) {
            return x.readMsr(cpu, i);
        }
        if (isMtrr(i)) {
            return s.msr(i);
        }
        switch ((int) i) {
            case (int) Msr.IA32_TIME_STAMP_COUNTER: return cpu.readTsc();
            case (int) Msr.IA32_APIC_BASE: case (int) Msr.IA32_PAT: case (int) Msr.IA32_BIOS_SIGN_ID:
            case (int) Msr.IA32_MCG_STATUS:
                return s.msr(i);
            case (int) Msr.IA32_MCG_CAP: return 0;
            case (int) Msr.IA32_MTRRCAP: return MTRRCAP_VALUE;
            case (int) Msr.IA32_SYSENTER_CS: case (int) Msr.IA32_SYSENTER_ESP: case (int) Msr.IA32_SYSENTER_EIP:
                return require(cpu.has(Feature.SEP), s.msr(i));
            case (int) Msr.IA32_FEATURE_CONTROL: case (int) Msr.IA32_PLATFORM_ID: return require(intel(cpu), 0);
            case (int) Msr.IA32_MISC_ENABLE: return require(intel(cpu), s.msr.getIfAbsent(i, MISC_ENABLE_DEFAULT));
            case (int) Msr.IA32_TSC_ADJUST: return require(hasTscAdjust(cpu), s.msr(i));
            case (int) Msr.IA32_SPEC_CTRL: return require(hasSpecCtrl(cpu), s.msr(i));
            case (int) Msr.IA32_EFER: return s.efer;
            case (int) Msr.IA32_STAR: case (int) Msr.IA32_LSTAR: case (int) Msr.IA32_CSTAR: case (int) Msr.IA32_FMASK:
            case (int) Msr.IA32_KERNEL_GS_BASE:
                return require(exists64(cpu), s.msr(i));
            case (int) Msr.IA32_FS_BASE: return require(exists64(cpu), s.seg[Reg.FS].base);
            case (int) Msr.IA32_GS_BASE: return require(exists64(cpu), s.seg[Reg.GS].base);
            case (int) Msr.IA32_TSC_AUX: return require(hasTscAux(cpu), s.msr(i));
            default:
                if (cpu.interruptSource().ownsMsr(i)) {
                    return cpu.interruptSource().readMsr(i); // the platform's local APIC (InterruptSource)
                }
                throw ArchFault.gp0();
        }
    }

    private static long require(boolean exists, long v) {
        if (!exists) {
            throw ArchFault.gp0();
        }
        return v;
    }

    /** Canonical with respect to the profile's linear-address width (SDM Vol. 2B WRMSR, Vol. 3A 4.1.4). */
    static void canonical(Cpu cpu, long v) {
        int sh = 64 - cpu.linearAddressBits();
        if (((v << sh) >> sh) != v) {
            throw ArchFault.gp0();
        }
    }

    /** Writes an MSR with its reserved-bit and read-only rules; #GP(0) otherwise. */
    static void write(Cpu cpu, long i, long v) {
        CpuState s = cpu.state();
        CpuExtension x = cpu.extension();
        if (x != null && x.ownsMsr(i)) {
            x.writeMsr(cpu, i, v);
            return;
        }
        if (isMtrr(i)) {
            MsrChecks.mtrr(cpu, i, v);
            s.msr.put(i, v);
            return;
        }
        switch ((int) i) {
            case (int) Msr.IA32_TIME_STAMP_COUNTER: writeTsc(cpu, v); break;
            case (int) Msr.IA32_TSC_ADJUST:
                require(hasTscAdjust(cpu), 0);
                s.tscAdjust += v - s.msr(i); // SDM Vol. 3A 17.17.3
                s.msr.put(i, v);
                break;
            case (int) Msr.IA32_APIC_BASE: {
                long old = s.msr(i);
                MsrChecks.apicBase(cpu, old, v);
                s.msr.put(i, v);
                cpu.interruptSource().apicBaseWritten(old, v); // the platform's local APIC changes mode
                break;
            }
            case (int) Msr.IA32_PAT: MsrChecks.pat(v); s.msr.put(i, v); cpu.mmu().flushAll(); break;
            case (int) Msr.IA32_BIOS_SIGN_ID: s.msr.put(i, v); break;
            case (int) Msr.IA32_MCG_STATUS: require(v == 0, 0); s.msr.put(i, v); break;
            case (int) Msr.IA32_SYSENTER_CS: require(cpu.has(Feature.SEP), 0); s.msr.put(i, v & 0xffffffffL); break;
            case (int) Msr.IA32_SYSENTER_ESP: case (int) Msr.IA32_SYSENTER_EIP:
                require(cpu.has(Feature.SEP), 0);
                if (intel(cpu)) {
                    canonical(cpu, v);
                } else {
                    v &= 0xffffffffL; // AMD: 32-bit registers (DEVIATIONS.md)
                }
                s.msr.put(i, v);
                break;
            case (int) Msr.IA32_MISC_ENABLE: require(intel(cpu), 0); s.msr.put(i, v); break;
            case (int) Msr.IA32_SPEC_CTRL: require(hasSpecCtrl(cpu) && (v & ~7L) == 0, 0); s.msr.put(i, v); break;
            case (int) Msr.IA32_EFER: writeEfer(cpu, v); break;
            default: write64(cpu, i, v);
        }
    }

    /** The x86-64 MSRs (SYSCALL targets, segment bases, TSC_AUX). */
    private static void write64(Cpu cpu, long i, long v) {
        CpuState s = cpu.state();
        switch ((int) i) {
            case (int) Msr.IA32_STAR: require(exists64(cpu), 0); s.msr.put(i, v); break;
            case (int) Msr.IA32_LSTAR: case (int) Msr.IA32_CSTAR: case (int) Msr.IA32_KERNEL_GS_BASE:
                require(exists64(cpu), 0);
                canonical(cpu, v);
                s.msr.put(i, v);
                break;
            case (int) Msr.IA32_FMASK: require(exists64(cpu), 0); s.msr.put(i, v & 0xffffffffL); break;
            case (int) Msr.IA32_FS_BASE: require(exists64(cpu), 0); canonical(cpu, v); s.seg[Reg.FS].base = v; break;
            case (int) Msr.IA32_GS_BASE: require(exists64(cpu), 0); canonical(cpu, v); s.seg[Reg.GS].base = v; break;
            case (int) Msr.IA32_TSC_AUX: require(hasTscAux(cpu) && (v >>> 32) == 0, 0); s.msr.put(i, v); break;
            default:
                if (cpu.interruptSource().ownsMsr(i)) {
                    cpu.interruptSource().writeMsr(i, v); // the platform's local APIC (InterruptSource)
                    break;
                }
                throw ArchFault.gp0(); // unknown and read-only MSRs (MTRRCAP, MCG_CAP, FEATURE_CONTROL...)
        }
    }

    /** WRMSR IA32_TIME_STAMP_COUNTER; with TSC_ADJUST the adjust MSR moves by the same amount (17.17.3). */
    private static void writeTsc(Cpu cpu, long v) {
        CpuState s = cpu.state();
        if (hasTscAdjust(cpu)) {
            s.msr.put(Msr.IA32_TSC_ADJUST, s.msr(Msr.IA32_TSC_ADJUST) + (v - cpu.tsc()));
        }
        cpu.setTsc(v);
    }

    /**
     * IA32_EFER (SDM Vol. 3A 2.2.1, 10.8.5; APM Vol. 2 3.1.7): bits for features the profile lacks are
     * reserved; LME cannot change while CR0.PG = 1; LMA is read-only (the written value is ignored).
     * NXE changes the page permissions the TLB caches: flush.
     */
    static void writeEfer(Cpu cpu, long v) {
        CpuState s = cpu.state();
        long allowed = (cpu.has(Feature.SYSCALL) ? Cpu.EFER_SCE : 0) | (cpu.has(Feature.LM) ? Cpu.EFER_LME | Cpu.EFER_LMA : 0)
                | (cpu.has(Feature.NX) ? Cpu.EFER_NXE : 0) | (cpu.has(Feature.SVM) ? Cpu.EFER_SVME : 0);
        if ((v & ~allowed) != 0) {
            throw ArchFault.gp0();
        }
        if (cpu.pagingEnabled() && ((v ^ s.efer) & Cpu.EFER_LME) != 0) {
            throw ArchFault.gp0();
        }
        if (cpu.extension() != null) {
            cpu.extension().checkEferWrite(cpu, s.efer, v); // e.g. EFER.SVME is MBZ while VM_CR.SVMDIS = 1
        }
        long nv = (v & ~Cpu.EFER_LMA) | (s.efer & Cpu.EFER_LMA);
        long changed = nv ^ s.efer;
        s.efer = nv;
        if ((changed & Cpu.EFER_NXE) != 0) {
            cpu.mmu().flushAll();
        }
    }
}
