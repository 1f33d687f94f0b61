package dev.hvsim.tools;

import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.RunStats;
import dev.hvsim.x86core.Cpu;
import java.util.Locale;

/** The lines hvsim prints about a run. */
final class Reports {
    private Reports() {}

    /** Prints the stderr line an outcome deserves (none for a halt or a guest exit) and returns the exit status. */
    static int outcome(Terminal t, RunOutcome o) {
        switch (o.kind()) {
            case HALTED:
            case GUEST_EXIT:
                break;
            case STOPPED:
                t.error(o.describe() + " (internal error; please report)");
                break;
            default:
                t.error(o.describe());
        }
        return ExitStatus.of(o);
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
