package dev.hvsim.tools.gdb;

import dev.hvsim.ept.GuestPaging;
import dev.hvsim.ept.SecondStageFormat;
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
    static final String HELP = String.join("\n",
            "hvsim monitor commands:",
            "  help                      this list",
            "  mode | regs               CPU mode, CPL, paging mode, CR0/CR3/CR4/EFER, VMX root/non-root or SVM host/guest",
            "  phys on|off               memory access (m/M/X, x/...) as physical instead of linear addresses",
            "  info tlb ADDR             the page walk for linear ADDR (same as walk)",
            "  pagewalk ADDR | walk ADDR the page walk for linear ADDR, every guest entry and, under EPT/NPT, its",
            "                            nested translation; no accessed/dirty writes",
            "  cycles                    instructions retired and modelled cycles, per vCPU",
            "  break-exit [WHAT...|off]  stop at VM exits (before the VMM's first instruction); WHAT: all, a reason or",
            "                            exit-code symbol (CPUID, IO, IOIO, EPT_VIOLATION, EXCP_0E), a kind (IO, MSR,",
            "                            HLT, HYPERCALL, NESTED_PAGE_FAULT, EXCEPTION, CR, INTERRUPT) or a number",
            "  break-entry [on|off]      stop at the guest's first instruction after each VM entry / VMRUN",
            "  break-entry-fail [on|off] stop after a failed VM entry or VMRUN, with the failing checks",
            "  vmcs [FIELD...|all]       the current VMCS by field name (GUEST_RIP, VM_EXIT_REASON, ...)",
            "  vmcb [FIELD...|all]       the current VMCB by field name (control.EXITCODE, save.RIP, ...)",
            "  exits [N]                 the last N VM exits and failed entries (default 10)",
            "  snapshots                 the snapshots reverse execution restores: count, interval, memory used",
            "gdb's reverse-stepi and reverse-continue restore the nearest earlier snapshot and re-execute from there",
            "(hvsim gdb only; --snapshot-interval, --snapshot-limit).", "");
    /** The fields {@code monitor vmcs} prints without arguments. */
    private static final String[] VMCS_DEFAULT = {"VM_EXIT_REASON", "EXIT_QUALIFICATION", "VM_EXIT_INSTRUCTION_LEN",
        "VM_EXIT_INTR_INFO", "GUEST_PHYSICAL_ADDRESS", "GUEST_RIP", "GUEST_RSP", "GUEST_RFLAGS", "GUEST_CR0",
        "GUEST_CR3", "GUEST_CR4", "GUEST_IA32_EFER", "GUEST_CS_SELECTOR", "PIN_BASED_VM_EXEC_CONTROL",
        "CPU_BASED_VM_EXEC_CONTROL", "SECONDARY_VM_EXEC_CONTROL", "VM_EXIT_CONTROLS", "VM_ENTRY_CONTROLS",
        "EXCEPTION_BITMAP", "EPT_POINTER", "VIRTUAL_PROCESSOR_ID", "HOST_RIP", "HOST_RSP", "HOST_CR3"};
    /** The fields {@code monitor vmcb} prints without arguments. */
    private static final String[] VMCB_DEFAULT = {"control.EXITCODE", "control.EXITINFO1", "control.EXITINFO2",
        "control.EXITINTINFO", "control.NRIP", "control.GUEST_ASID", "control.NESTED_CTL", "control.N_CR3",
        "control.EVENTINJ", "control.IOPM_BASE_PA", "control.MSRPM_BASE_PA", "save.RIP", "save.RSP", "save.RAX",
        "save.RFLAGS", "save.CR0", "save.CR3", "save.CR4", "save.EFER", "save.CPL", "save.CS.selector"};

    private final Machine machine;
    private final GuestMemory memory;
    private final DebugControl control;
    /** The {@code snapshots} report (set by the stub). */
    java.util.function.Supplier<String> snapshots = () -> "no reverse execution in this session\n";

    Monitor(Machine machine, GuestMemory memory, DebugControl control) {
        this.machine = machine;
        this.memory = memory;
        this.control = control;
    }

    String run(String line, Cpu cpu) {
        String[] w = line.trim().split("\\s+");
        String[] args = java.util.Arrays.copyOfRange(w, 1, w.length);
        switch (w[0]) {
            case "":
            case "help":
                return HELP;
            case "snapshots":
                return snapshots.get();
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
                return breakExit(args);
            case "break-entry":
            case "break-entry-fail":
                return breakEntry(w[0], args);
            case "vmcs":
                return VmStructures.vmcs(cpu, args.length == 0 ? VMCS_DEFAULT : args);
            case "vmcb":
                return VmStructures.vmcb(cpu, args.length == 0 ? VMCB_DEFAULT : args);
            case "exits":
                return exits(args);
            default:
                return "unknown monitor command '" + w[0] + "' (try 'monitor help')\n";
        }
    }

    private String breakExit(String[] args) {
        if (args.length == 1 && (args[0].equals("off") || args[0].equals("none"))) {
            control.breakExit = null;
            breakExitWords = null;
            return "break-exit: off\n";
        }
        if (args.length > 0) {
            for (String a : args) {
                if (!VmNames.known(a)) {
                    return "break-exit: unknown exit '" + a + "' (all, a reason/exit-code symbol, a kind or a number)\n";
                }
            }
            control.breakExit = VmNames.filter(args);
            breakExitWords = String.join(" ", args);
        }
        return "break-exit: " + (breakExitWords == null ? "off" : breakExitWords) + "\n";
    }

    private String breakExitWords;

    private String breakEntry(String cmd, String[] args) {
        boolean fail = cmd.equals("break-entry-fail");
        if (args.length > 1 || args.length == 1 && !args[0].equals("on") && !args[0].equals("off")) {
            return "usage: monitor " + cmd + " [on|off]\n";
        }
        boolean on = args.length == 0 || args[0].equals("on");
        if (fail) {
            control.breakEntryFail = on;
        } else {
            control.breakEntry = on;
        }
        return cmd + ": " + (on ? "on" : "off") + "\n";
    }

    private String exits(String[] args) {
        int n = 10;
        if (args.length == 1) {
            try {
                n = Integer.parseInt(args[0]);
            } catch (NumberFormatException e) {
                n = -1;
            }
        }
        if (args.length > 1 || n < 0) {
            return "usage: monitor exits [N]\n";
        }
        java.util.List<DebugControl.Transition> all = java.util.List.copyOf(control.history);
        if (all.isEmpty()) {
            return "no VM exits yet\n";
        }
        StringBuilder b = new StringBuilder();
        int from = Math.max(0, all.size() - n);
        b.append(String.format("last %d of %d VM exits and failed entries recorded (oldest first):%n", all.size() - from,
                all.size()));
        for (DebugControl.Transition t : all.subList(from, all.size())) {
            b.append(String.format("  vCPU %d step %d: %s%n", t.cpu(), t.tick(), VmNames.describe(t.what())));
        }
        return b.toString();
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
                + "virtualization: %s%n", cpu.apicId(), mode, cpu.cpl(), paging(cpu),
                s.cr0, s.cr3, s.cr4, s.efer, s.rflags(), VmStructures.virtualization(cpu));
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
        SecondStageFormat nested = VmStructures.secondStage(cpu);
        TwoStageWalker walker = new TwoStageWalker(machine.memory());
        try {
            guestEntries(cpu, walker, nested, lin, b);
        } catch (RuntimeException e) {
            b.append("guest entries: ").append(e.getMessage()).append('\n');
        }
        try {
            WalkResult r = walker.inspect(guestPaging(cpu), nested, lin);
            b.append(nested == null ? "two-stage walker (no A/D writes, no second stage): "
                    : "two-stage walker (no A/D writes, through " + (nested instanceof dev.hvsim.ept.EptFormat ? "EPT"
                            : "NPT") + "): ").append(r).append('\n');
        } catch (RuntimeException e) {
            b.append("two-stage walker: ").append(e.getMessage()).append('\n');
        }
        b.append("TLB: not changed by this walk\n");
        return b.toString();
    }

    /**
     * Every guest paging-structure entry on the way to {@code lin} (4- and 5-level, PAE, 32-bit paging), each entry's
     * guest-physical address with its translation through the second stage {@code nested} (null: none), read from RAM
     * only, nothing written.
     */
    private void guestEntries(Cpu cpu, TwoStageWalker walker, SecondStageFormat nested, long lin, StringBuilder b) {
        if (!cpu.pagingEnabled()) {
            long[] hpa = new long[1];
            b.append(String.format("guest paging off: guest-physical %#x%s%n", lin & 0xffffffffL,
                    VmStructures.nested(walker, nested, lin & 0xffffffffL, lin, hpa)));
            return;
        }
        boolean legacy = !cpu.cr4(Cpu.CR4_PAE);
        boolean pae = !legacy && !cpu.longMode();
        int level = legacy ? 2 : pae ? 3 : cpu.cr4(Cpu.CR4_LA57) ? 5 : 4;
        int entrySize = legacy ? 4 : 8;
        long addrMask = ((1L << cpu.profile().maxPhysAddr()) - 1) & ~0xfffL;
        long table = pae ? cpu.state().cr3 & 0xffffffe0L : cpu.state().cr3 & addrMask;
        long[] hpa = new long[1];
        for (; level >= 1; level--) {
            int shift = legacy ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
            long index = pae && level == 3 ? (lin >>> 30) & 3 : (lin >>> shift) & (legacy ? 0x3ff : 0x1ff);
            long gpa = table + index * entrySize;
            String n = VmStructures.nested(walker, nested, gpa, lin, hpa);
            byte[] page = hpa[0] < 0 ? null : machine.memory().ramPage(hpa[0]);
            if (page == null) {
                b.append(String.format("  level %d entry at gpa %#x%s: not in RAM%n", level, gpa, n));
                return;
            }
            long e = 0;
            int off = (int) (hpa[0] & 0xfff);
            for (int k = entrySize - 1; k >= 0; k--) {
                e = e << 8 | (page[off + k] & 0xff);
            }
            boolean present = (e & 1) != 0;
            boolean large = present && level > 1 && level < 4 && !(pae && level == 3) && (e & 0x80) != 0
                    && (!legacy || cpu.cr4(Cpu.CR4_PSE));
            b.append(String.format("  level %d entry %d at gpa %#x%s: %#018x %s%n", level, index, gpa, n, e,
                    present ? entryBits(e, pae && level == 3, large) : "not present"));
            if (!present) {
                return;
            }
            if (large || level == 1) {
                long pageMask = (1L << shift) - 1;
                long frame = legacy && large ? (e & 0xffc00000L) | ((e >>> 13) & 0xffL) << 32 : e & addrMask & ~pageMask;
                long out = frame | (lin & pageMask);
                b.append(String.format("  guest-physical %#x%s%n", out, VmStructures.nested(walker, nested, out, lin, hpa)));
                return;
            }
            table = e & addrMask;
        }
    }

    private static String entryBits(long e, boolean pdpte, boolean large) {
        if (pdpte) {
            return "P";
        }
        return "P" + ((e & 2) != 0 ? " W" : " R/O") + ((e & 4) != 0 ? " U" : " S") + ((e & 0x20) != 0 ? " A" : "")
                + ((e & 0x40) != 0 && large ? " D" : "") + (large ? " PS" : "") + (e < 0 ? " XD" : "");
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
