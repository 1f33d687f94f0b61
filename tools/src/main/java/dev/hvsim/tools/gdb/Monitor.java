package dev.hvsim.tools.gdb;

import dev.hvsim.ept.GuestPaging;
import dev.hvsim.ept.TwoStageWalker;
import dev.hvsim.ept.WalkResult;
import dev.hvsim.ept.X86PagingFormat;
import dev.hvsim.machine.Machine;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.decode.Feature;

/** gdb's {@code monitor} commands ({@code qRcmd}): text in, text out. */
final class Monitor {
    static final String NO_HV = "not supported yet: this CPU has no VMX/SVM model";
    static final String HELP = String.join("\n",
            "hvsim monitor commands:",
            "  help                      this list",
            "  mode | regs               CPU mode, CPL, paging mode, CR0/CR3/CR4/EFER of the selected vCPU",
            "  phys on|off               memory access (m/M/X, x/...) as physical instead of linear addresses",
            "  info tlb ADDR             the page walk for linear ADDR (same as pagewalk)",
            "  pagewalk ADDR | walk ADDR the page walk for linear ADDR, without accessed/dirty writes",
            "  cycles                    instructions retired and modelled cycles, per vCPU",
            "  break-exit, break-entry, break-entry-fail, vmcs, vmcb, exits",
            "                            " + NO_HV,
            "gdb's reverse-stepi and reverse-continue replay the run from the start (hvsim gdb only).", "");

    private final Machine machine;
    private final GuestMemory memory;

    Monitor(Machine machine, GuestMemory memory) {
        this.machine = machine;
        this.memory = memory;
    }

    String run(String line, Cpu cpu) {
        String[] w = line.trim().split("\\s+");
        switch (w[0]) {
            case "":
            case "help":
                return HELP;
            case "mode":
            case "regs":
                return mode(cpu);
            case "phys":
                if (w.length == 2 && (w[1].equals("on") || w[1].equals("off"))) {
                    memory.physical = w[1].equals("on");
                } else if (w.length != 1) {
                    return "usage: monitor phys on|off\n";
                }
                return "memory access: " + (memory.physical ? "physical" : "linear (through the guest's paging)") + "\n";
            case "info":
                if (w.length == 3 && w[1].equals("tlb")) {
                    return walk(cpu, w[2]);
                }
                return "usage: monitor info tlb ADDR\n";
            case "pagewalk":
            case "walk":
                return w.length == 2 ? walk(cpu, w[1]) : "usage: monitor " + w[0] + " ADDR\n";
            case "cycles":
                return cycles();
            case "break-exit":
            case "break-entry":
            case "break-entry-fail":
            case "vmcs":
            case "vmcb":
            case "exits":
            case "vmx":
            case "svm":
                return w[0] + ": " + NO_HV + "\n";
            default:
                return "unknown monitor command '" + w[0] + "' (try 'monitor help')\n";
        }
    }

    static String mode(Cpu cpu) {
        CpuState s = cpu.state();
        String mode = !cpu.protectedMode() ? "real-address mode"
                : cpu.v86() ? "virtual-8086 mode"
                : cpu.longMode() ? (cpu.mode64() ? "64-bit mode (IA-32e)" : "compatibility mode (IA-32e), "
                        + cpu.codeSize() + "-bit code")
                : cpu.codeSize() + "-bit protected mode";
        return String.format("vCPU %d: %s, CPL %d, paging %s%n"
                + "CR0=%016x CR3=%016x CR4=%016x EFER=%016x RFLAGS=%08x%n"
                + "virtualization: native (root/non-root: %s)%n", cpu.apicId(), mode, cpu.cpl(), paging(cpu),
                s.cr0, s.cr3, s.cr4, s.efer, s.rflags(), NO_HV);
    }

    static String paging(Cpu cpu) {
        if (!cpu.pagingEnabled()) {
            return "off";
        }
        if (!cpu.cr4(Cpu.CR4_PAE)) {
            return "32-bit";
        }
        return cpu.longMode() ? cpu.cr4(Cpu.CR4_LA57) ? "5-level" : "4-level" : "PAE";
    }

    private String cycles() {
        StringBuilder b = new StringBuilder();
        for (Cpu c : machine.cpus()) {
            b.append(String.format("vCPU %d: %d instructions, %d cycles%n", c.apicId(), c.instructions(), c.cycles()));
        }
        return b.toString();
    }

    private String walk(Cpu cpu, String arg) {
        long lin;
        try {
            lin = Long.parseUnsignedLong(arg.startsWith("0x") || arg.startsWith("0X") ? arg.substring(2) : arg,
                    arg.startsWith("0x") || arg.startsWith("0X") ? 16 : 10);
        } catch (NumberFormatException e) {
            return "bad address '" + arg + "'\n";
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format("linear %#x, paging %s, CR3=%#x%n", lin, paging(cpu), cpu.state().cr3));
        long pa;
        try {
            pa = cpu.mmu().probe(cpu.longMode() ? lin : lin & 0xffffffffL);
        } catch (RuntimeException e) {
            pa = -1;
        }
        b.append(pa < 0 ? "CPU walk (Mmu.probe): not mapped\n" : String.format("CPU walk (Mmu.probe): physical %#x%n", pa));
        try {
            WalkResult r = new TwoStageWalker(machine.memory()).inspect(guestPaging(cpu), null, lin);
            b.append("two-stage walker (no A/D writes, no second stage): ").append(r).append('\n');
        } catch (RuntimeException e) {
            b.append("two-stage walker: ").append(e.getMessage()).append('\n');
        }
        b.append("TLB: not changed by this walk\n");
        return b.toString();
    }

    private static GuestPaging guestPaging(Cpu cpu) {
        if (!cpu.pagingEnabled()) {
            return new GuestPaging(null, 0, false, false, 0x0007040600070406L, cpu.cr0(Cpu.CR0_CD));
        }
        X86PagingFormat.Mode m = !cpu.cr4(Cpu.CR4_PAE) ? X86PagingFormat.Mode.LEGACY32
                : !cpu.longMode() ? X86PagingFormat.Mode.PAE
                : cpu.cr4(Cpu.CR4_LA57) ? X86PagingFormat.Mode.LONG5 : X86PagingFormat.Mode.LONG4;
        X86PagingFormat f = new X86PagingFormat(m, cpu.nxEnabled(), cpu.cr4(Cpu.CR4_PSE), cpu.has(Feature.PAGE1GB),
                cpu.profile().maxPhysAddr());
        long pat = cpu.state().msr.getIfAbsent(Msr.IA32_PAT, 0x0007040600070406L);
        return new GuestPaging(f, cpu.state().cr3, cpu.cr0(Cpu.CR0_WP), cpu.cr4(Cpu.CR4_SMEP), pat,
                cpu.cr0(Cpu.CR0_CD));
    }
}
