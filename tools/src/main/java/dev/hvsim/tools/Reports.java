package dev.hvsim.tools;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.RunStats;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Decoder;
import java.util.Locale;

/** The lines hvsim prints about a run. */
final class Reports {
    private Reports() {}

    /** Prints the stderr line an outcome deserves (none for a halt or a guest exit) and returns the exit status. */
    static int outcome(Terminal t, RunOutcome o, Machine m) {
        switch (o.kind()) {
            case HALTED:
            case GUEST_EXIT:
                break;
            case SHUTDOWN:
                t.error(o.describe() + " (" + where(m) + ")");
                break;
            case STOPPED:
                t.error(o.describe() + " (internal error; please report)");
                break;
            default:
                t.error(o.describe());
        }
        return ExitStatus.of(o);
    }

    /**
     * Where the CPU stopped, for a shutdown message: "cs:rip 0008:0010005e, bytes 0f 01 15 .. (LGDT M)".
     * The bytes (and the form the decoder makes of them) are shown when paging is off.
     */
    static String where(Machine m) {
        Cpu cpu = m.cpu();
        CpuState s = cpu.state();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "cs:rip %04x:%08x", s.seg[Reg.CS].selector, s.rip));
        if (cpu.pagingEnabled()) {
            return b.toString();
        }
        long linear = s.seg[Reg.CS].base + s.rip;
        byte[] code = new byte[Decoder.MAX_LENGTH];
        for (int i = 0; i < code.length; i++) {
            code[i] = (byte) m.memory().read(cpu.mode64() ? linear + i : (linear + i) & 0xffffffffL, 1);
        }
        String form = decode(cpu, code);
        int shown = form == null ? 8 : Math.min(lengthOf(cpu, code), code.length);
        b.append(", bytes");
        for (int i = 0; i < shown; i++) {
            b.append(String.format(Locale.ROOT, " %02x", code[i] & 0xff));
        }
        return form == null ? b.toString() : b.append(" (").append(form).append(')').toString();
    }

    private static String decode(Cpu cpu, byte[] code) {
        try {
            DecodedInsn d = cpu.decoder().decode(i -> code[i] & 0xff, cpu.codeSize());
            return d.row == null ? null : d.toString();
        } catch (RuntimeException e) { // an undefined opcode raises #UD in the decoder
            return null;
        }
    }

    private static int lengthOf(Cpu cpu, byte[] code) {
        return cpu.decoder().decode(i -> code[i] & 0xff, cpu.codeSize()).length;
    }

    /** The {@code --stats} line. */
    static String stats(RunStats s) {
        return String.format(Locale.ROOT, "hvsim stats: instructions=%d cycles=%d wall=%.3fs mips=%.3f",
                s.instructions(), s.cycles(), s.seconds(), s.mips());
    }

    /** The mode the CPU is in, in words: "32-bit protected mode, paging off". */
    static String mode(Cpu cpu) {
        String mode;
        if (cpu.realMode()) {
            mode = "real-address mode";
        } else if (cpu.v86()) {
            mode = "virtual-8086 mode";
        } else if (cpu.longMode()) {
            mode = cpu.mode64() ? "64-bit mode" : "compatibility mode";
        } else {
            mode = cpu.codeSize() + "-bit protected mode";
        }
        return mode + (cpu.pagingEnabled() ? ", paging on" : ", paging off");
    }
}
