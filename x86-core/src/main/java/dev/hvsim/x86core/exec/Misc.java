package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Miscellaneous instructions (SDM Vol. 2B NOP, PAUSE, PREFETCHh, PREFETCHW, UD (UD0/UD1/UD2), RDTSC, RDTSCP,
 * RDPID, RDRAND, RDSEED; Vol. 2A CPUID (in {@link Cpuid}), ENDBR32/ENDBR64; SDM Vol. 2D Table A-3 and AMD APM
 * Vol. 3 Table A-4 for the reserved-NOP/hint space {@code 0F 18..0F 1F}; AMD APM Vol. 3 same pages).
 *
 * <ul>
 *   <li>{@code 90} is NOP; with REX.B it is XCHG r8,rAX (and with F3 and REX.B too: checked on hardware),
 *       delegated to {@link Exchange}.</li>
 *   <li>{@code 0F 18..1F /r} (any ModRM) and {@code 0F 0D /r} (memory) execute as NOPs: prefetch hints,
 *       CLDEMOTE, MPX encodings without MPX enabled, ENDBR without CET.</li>
 *   <li>UD0 takes a ModRM byte (SDM Vol. 2B UD); on AMD UD0 is two bytes, see DEVIATIONS.md.</li>
 *   <li>RDTSC/RDTSCP fault with #GP(0) when CR4.TSD = 1 at CPL > 0; that check is central
 *       ({@link OpcodeRow#A_TSD}) so it precedes a guest-mode intercept (SDM Vol. 3C 26.1.1; APM Vol. 2 15.7).</li>
 *   <li>RDRAND/RDSEED are deterministic ({@link dev.hvsim.x86core.Rng}) and never fail: CF = 1, the other
 *       status flags 0.</li>
 * </ul>
 */
final class Misc {
    static final int NOP = 0, NOP90 = 1, PAUSE = 2, CPUID = 3, RDTSC = 4, RDTSCP = 5, RDPID = 6, RDRAND = 7;

    private Misc() {}

    static void register(OpcodeTable.Builder b) {
        b.row(0, 0x90, "NOP", Family.MISC, NOP90).cost("nop").add();
        b.row(0, 0x90, "PAUSE", Family.MISC, PAUSE).prefix(0xF3).intercept(InterceptPoint.PAUSE).cost("pause").add();
        b.row(1, 0x1F, "NOP Ev", Family.MISC, NOP).reg(0).cost("nop").add();
        for (int op = 0x18; op <= 0x1F; op++) { // reserved-NOP / hint space (0F 1F /0 above is the documented NOP)
            b.row(1, op, op == 0x18 ? "PREFETCHh Eb" : "NOP Ev", Family.MISC, NOP).cost("nop").add();
        }
        b.row(1, 0x1E, "ENDBR64", Family.MISC, NOP).prefix(0xF3).reg(7).rm(2).feature(Feature.CET_IBT).cost("nop").add();
        b.row(1, 0x1E, "ENDBR32", Family.MISC, NOP).prefix(0xF3).reg(7).rm(3).feature(Feature.CET_IBT).cost("nop").add();
        b.row(1, 0x0D, "PREFETCHW Mb", Family.MISC, NOP).cost("nop").add();
        b.row(1, 0x0B, "UD2", Family.MISC, NOP).attrs(OpcodeRow.A_UD).add();
        b.row(1, 0xB9, "UD1 Gv,Ev", Family.MISC, NOP).attrs(OpcodeRow.A_UD).add();
        b.row(1, 0xFF, "UD0 Gd,Ed", Family.MISC, NOP).attrs(OpcodeRow.A_UD).add();
        b.row(1, 0xA2, "CPUID", Family.MISC, CPUID).intercept(InterceptPoint.CPUID).cost("cpuid").add();
        b.row(1, 0x31, "RDTSC", Family.MISC, RDTSC).attrs(OpcodeRow.A_TSD).intercept(InterceptPoint.RDTSC)
                .cost("rdtsc").add();
        b.row(1, 0x01, "RDTSCP", Family.MISC, RDTSCP).reg(7).rm(1).attrs(OpcodeRow.A_TSD).feature(Feature.RDTSCP)
                .intercept(InterceptPoint.RDTSCP).cost("rdtsc").add();
        b.row(1, 0xC7, "RDPID Rd", Family.MISC, RDPID).prefix(0xF3).reg(7).regOnly().feature(Feature.RDPID)
                .intercept(InterceptPoint.RDPID).cost("rdtsc").add();
        for (int p : new int[] {OpcodeRow.NONE, 0x66}) { // F3 0F C7 /6 is SENDUIPI, F3 /7 RDPID
            b.row(1, 0xC7, "RDRAND Rv", Family.MISC, RDRAND).prefix(p).reg(6).regOnly().feature(Feature.RDRAND)
                    .intercept(InterceptPoint.RDRAND).cost("rdrand").add();
            b.row(1, 0xC7, "RDSEED Rv", Family.MISC, RDRAND).prefix(p).reg(7).regOnly().feature(Feature.RDSEED)
                    .intercept(InterceptPoint.RDSEED).cost("rdrand").add();
        }
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case NOP: break;
            case NOP90: case PAUSE:
                if (d.reg != Reg.RAX) { // REX.B: XCHG r8,rAX
                    Exchange.xchgAccumulator(cpu, d);
                }
                break;
            case CPUID: Cpuid.execute(cpu); break;
            case RDTSC: edxEax(cpu, cpu.readTsc()); break;
            case RDTSCP:
                edxEax(cpu, cpu.readTsc());
                cpu.setGpr(Reg.RCX, 4, cpu.state().msr(Msr.IA32_TSC_AUX));
                break;
            case RDPID: // the whole register in 64-bit mode, 32 bits otherwise (SDM Vol. 2B RDPID)
                cpu.setGpr(d.rm, cpu.mode64() ? 8 : 4, cpu.state().msr(Msr.IA32_TSC_AUX) & 0xffffffffL);
                break;
            case RDRAND:
                cpu.writeReg(d, d.rm, d.opSize, cpu.rng().next());
                cpu.state().setOszapc(Flags.CF);
                break;
            default: throw ArchFault.ud();
        }
    }

    /** EDX:EAX = v; in 64-bit mode the upper halves of RAX and RDX are cleared. */
    private static void edxEax(Cpu cpu, long v) {
        cpu.setGpr(Reg.RAX, 4, v);
        cpu.setGpr(Reg.RDX, 4, v >>> 32);
    }
}
