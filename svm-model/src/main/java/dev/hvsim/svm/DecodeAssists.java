package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.bus.PhysicalBus;

/**
 * Decode assists (AMD APM Vol. 2 15.33, advertised by Fn8000_000A EDX[7]). The EXITINFO1 parts live at their
 * intercepts (MOV CRn/DRn: {@link SvmGuestMode#interceptCr}, {@link InstructionIntercepts}; INTn, INVLPG,
 * INVLPGA); this class holds 15.33.4 "Instruction bytes": on a #PF exception intercept (and a nested page fault,
 * whose exit belongs to the nested-paging code, which calls {@link #saveInstructionBytes}) the processor saves the
 * number of bytes fetched (VMCB 0D0H, 0-15) and the bytes (0D1H-0DFH) from the guest's CS:RIP.
 *
 * <p>The bytes are read through the guest's page tables (and the second stage) without setting accessed bits and
 * without faulting: the fetch stops at the first byte that is not mapped, beyond the CS limit outside 64-bit mode,
 * or at 15 bytes. Which bytes hardware reports when the fetch itself faulted is not specified; the model reports the
 * bytes it could read (0 if none).
 */
final class DecodeAssists {
    private DecodeAssists() {}

    /** Fills VMCB 0D0H-0DFH with the guest instruction bytes at CS:RIP (15.33.4). */
    static void saveInstructionBytes(Cpu c, long vmcbPa) {
        PhysicalBus b = c.bus();
        long rip = c.state().rip;
        boolean m64 = c.mode64();
        long base = m64 ? 0 : c.state().seg[Reg.CS].base;
        long limit = c.state().seg[Reg.CS].limit & 0xffffffffL;
        int n = 0;
        long page = -1, pagePa = -1;
        for (; n < 15; n++) {
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
