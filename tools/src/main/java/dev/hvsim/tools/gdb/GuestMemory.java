package dev.hvsim.tools.gdb;

import dev.hvsim.machine.Machine;
import dev.hvsim.x86core.Cpu;
import java.io.ByteArrayOutputStream;

/**
 * The debugger's memory access: linear addresses through the selected CPU's current paging (the page walk of
 * {@code Mmu.probe}: no TLB fill, no accessed/dirty write), or physical addresses after {@code monitor phys on}.
 * Reads stop at the first page that is not mapped (a partial read, or null when the first byte is not
 * mapped); writes go only to RAM, never to a device or past the end of RAM, and tell every CPU's decode cache.
 */
final class GuestMemory {
    private final Machine machine;
    boolean physical;

    GuestMemory(Machine machine) {
        this.machine = machine;
    }

    /** Up to {@code len} bytes at {@code addr}; fewer if a page is not mapped; null if none can be read. */
    byte[] read(Cpu cpu, long addr, int len) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(len);
        long a = addr;
        int left = len;
        while (left > 0) {
            long pa = physicalOf(cpu, a);
            int n = (int) Math.min(left, 4096 - (a & 0xfff));
            if (pa < 0) {
                break;
            }
            byte[] page = machine.memory().ramPage(pa);
            byte[] chunk = new byte[n];
            for (int i = 0; i < n; i++) {
                chunk[i] = page != null ? page[(int) ((pa + i) & 0xfff)] : (byte) machine.memory().read(pa + i, 1);
            }
            for (Cpu c : machine.cpus()) {
                if (c.extension() != null) {
                    c.extension().overlay(c, pa, chunk, 0, n); // e.g. the current VMCS's processor-side copy
                }
            }
            b.write(chunk, 0, n);
            a += n;
            left -= n;
        }
        return b.size() == 0 && len > 0 ? null : b.toByteArray();
    }

    /** Writes {@code data} at {@code addr}; false (nothing written) if any byte is unmapped or not RAM. */
    boolean write(Cpu cpu, long addr, byte[] data) {
        long[] pas = new long[data.length];
        for (int i = 0; i < data.length; i++) {
            long pa = physicalOf(cpu, addr + i);
            if (pa < 0 || machine.memory().ramPage(pa) == null) {
                return false;
            }
            pas[i] = pa;
        }
        for (int i = 0; i < data.length; i++) {
            machine.memory().ramPage(pas[i])[(int) (pas[i] & 0xfff)] = data[i];
            for (Cpu c : machine.cpus()) {
                c.physicalWritten(pas[i], 1);
            }
        }
        return true;
    }

    /** The physical address of {@code a} in the current view, or -1 if not mapped. */
    long physicalOf(Cpu cpu, long a) {
        if (physical) {
            return a >= 0 && a < machine.ram().size() ? a : mmio(a);
        }
        long lin = cpu.longMode() ? a : a & 0xffffffffL;
        if (cpu.longMode() && !cpu.canonical(lin)) {
            return -1;
        }
        try {
            return cpu.mmu().probe(lin);
        } catch (RuntimeException e) { // never a JVM exception for a guest-controlled walk
            return -1;
        }
    }

    private long mmio(long a) {
        return machine.memory().regions().stream().anyMatch(r -> a >= r.base() && a - r.base() < r.size()) ? a : -1;
    }
}
