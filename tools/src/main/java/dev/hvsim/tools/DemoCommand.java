package dev.hvsim.tools;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.load.LoadedImage;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Vendor;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code hvsim demo}: runs the shipped "hello" guest, then explains what happened. Exits 0 when the
 * guest passed (wrote v = 0 to the debug-exit port); otherwise with the status {@code hvsim run}
 * would give.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = {"Run the shipped 'hello' guest and explain what the modelled CPU did."})
final class DemoCommand implements Callable<Integer> {
    static final String GUEST = "hello";
    static final RunLimits LIMITS = RunLimits.instructions(100_000_000L).withTimeout(Duration.ofSeconds(60));

    private final Terminal term;

    DemoCommand(Terminal term) {
        this.term = term;
    }

    @Override
    public Integer call() throws BadInputException {
        byte[] elf = GuestImages.elf(GUEST);
        CpuProfile profile = CpuProfile.forVendor(Vendor.INTEL);
        Machine m = GuestSetup.machine(profile, 128, term.out());
        FormCounter forms = new FormCounter();
        m.cpu().setListener(forms);
        PrintStream out = term.out();
        out.println("hvsim demo: running the '" + GUEST + "' guest on the " + profile.name() + " CPU model");
        out.println("--- guest output ---");
        LoadedImage image = GuestSetup.load(m, elf, new LoadSpec(LoadSpec.Kind.ELF, 0), -1);
        RunOutcome o = m.run(LIMITS);
        out.println("--- end of guest output ---");
        explain(out, m, image, o, forms);
        int status = Reports.outcome(term, o, m);
        return o instanceof RunOutcome.GuestExit && ((RunOutcome.GuestExit) o).value() == 0 ? 0 : status;
    }

    private static void explain(PrintStream out, Machine m, LoadedImage image, RunOutcome o, FormCounter forms) {
        out.println();
        out.println("What happened:");
        out.printf(Locale.ROOT, "  - hvsim loaded the %s image of '%s' into a modelled PC with %d MiB of sparse RAM%n",
                image.format(), GUEST, m.config().memoryMiB());
        out.printf(Locale.ROOT, "    and started the %s CPU model at 0x%x in 32-bit protected mode (paging off,%n",
                m.cpu().profile().name(), image.entry());
        out.println("    flat segments, EAX=0x2BADB002), as a multiboot boot loader does.");
        out.printf(Locale.ROOT, "  - The CPU retired %,d instructions of %d different forms (most frequent: %s)%n",
                o.stats().instructions(), forms.distinctForms(), String.join(", ", forms.top(3)));
        out.printf(Locale.ROOT, "    in %,d modelled cycles; that took %.3f s of host time (%.2f MIPS).%n",
                o.stats().cycles(), o.stats().seconds(), o.stats().mips());
        out.println("  - It ended in " + Reports.mode(m.cpu()) + ".");
        out.println("  - " + ending(o));
        out.println();
        out.println("Next: run a guest of your own with `./hvsim run --stats GUEST.elf` (--vendor amd for the");
        out.println("AMD model); `./hvsim help run` lists every option and the exit statuses.");
    }

    private static String ending(RunOutcome o) {
        if (o instanceof RunOutcome.GuestExit) {
            long v = ((RunOutcome.GuestExit) o).value();
            return "The guest printed through the 16550 UART (port 0x3f8) and then wrote " + v
                    + " to the debug-exit\n    port 0xf4" + (v == 0 ? ": all its checks passed." : ": a failure code.");
        }
        return "The guest did not finish normally: " + o.describe()
                + ".\n    (x86-core may not implement every instruction it uses yet.)";
    }
}
