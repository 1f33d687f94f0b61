package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.bus.PhysicalBus;

/**
 * Decode assists (AMD APM Vol. 2 15.8, rev. 3.44; advertised by Fn8000_000A EDX[7]). The EXITINFO1 parts live at
 * their intercepts (15.8.1 MOV CRn/DRn: {@link SvmGuestMode#interceptCr}, {@link InstructionIntercepts}; 15.8.2
 * INTn; 15.8.3 INVLPG; INVLPGA reports nothing: its address is in rAX). This class holds 15.8.4 "Nested and
 * Intercepted #PF": on a #PF exception intercept, and on a nested page fault (whose exit belongs to the nested-paging
 * code, which calls {@link #saveInstructionBytes}), up to 15 bytes are read from the guest's CS:RIP into VMCB 0D1H-0DFH
 * and their number into 0D0H (bits 3:0). Fewer bytes are recorded only when fetching them faults (a page that is not
 * present, the CS limit); an instruction-fetch fault records none. Every other #VMEXIT clears 0D0H
 * ({@link Transitions#exit}).
 *
 * <p>The bytes are read through the guest's page tables (and the second stage) with the debugger's probe: no
 * accessed bits are set and nothing faults.
 */
final class DecodeAssists {
    private DecodeAssists() {}

    /** #PF error code bit 4: the access was an instruction fetch (set when NX or SMEP is on). */
    private static final int PF_FETCH = 0x10;

    /**
     * Whether a #PF at {@code faultAddress} with {@code errorCode} was raised by the instruction fetch: the I/D bit,
     * or (I/D is reported only with NX or SMEP) no instruction is executing (x86-core has not advanced
     * {@code nextRip} past RIP: the fetch faulted before decode) and the address is CS:RIP itself or the start of the
     * next page within 15 bytes.
     */
    static boolean fetchFault(Cpu c, long faultAddress, int errorCode) {
        if ((errorCode & PF_FETCH) != 0) {
            return true;
        }
        long rip = c.state().rip;
        long lin = c.mode64() ? rip : (c.state().seg[Reg.CS].base + rip) & 0xffffffffL;
        long d = faultAddress - lin;
        return c.nextRip == rip && (d == 0 || (faultAddress & 0xfff) == 0 && d > 0 && d < 15);
    }

    /** Fills VMCB 0D0H-0DFH with the guest instruction bytes at CS:RIP (15.8.4); none after a fetch fault. */
    static void saveInstructionBytes(Cpu c, long vmcbPa, boolean fetchFault) {
        PhysicalBus b = c.bus();
        long rip = c.state().rip;
        boolean m64 = c.mode64();
        long base = m64 ? 0 : c.state().seg[Reg.CS].base;
        long limit = c.state().seg[Reg.CS].limit & 0xffffffffL;
        int n = 0;
        long page = -1, pagePa = -1;
        for (; n < 15 && !fetchFault; n++) {
            long off = rip + n;
            if (!m64 && Long.compareUnsigned(off & 0xffffffffL, limit) > 0) {
                break;
            }
            long lin = m64 ? off : (base + off) & 0xffffffffL;
            if (lin >>> 12 != page) {
                page = lin >>> 12;
                pagePa = c.mmu().probe(lin & ~0xfffL);
                if (pagePa < 0) {
                    break;
                }
            }
            b.write(vmcbPa + V.INSN_BYTES + 1 + n, 1, b.read(pagePa + (lin & 0xfff), 1));
        }
        for (int i = n; i < 15; i++) {
            b.write(vmcbPa + V.INSN_BYTES + 1 + i, 1, 0);
        }
        b.write(vmcbPa + V.INSN_BYTES, 1, n);
    }
}
