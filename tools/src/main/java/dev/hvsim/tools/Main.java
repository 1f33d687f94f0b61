package dev.hvsim.tools;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code hvsim} command line. {@link #main} only maps {@link #run}'s status to the process exit
 * status; everything else takes its streams as arguments, so tests run commands in-process.
 *
 * <p>Exit statuses: see {@link ExitStatus}. Every error is one line on stderr starting with
 * {@code "hvsim: "}, never a stack trace.
 */
public final class Main {
    private Main() {}

    /** The top-level command: prints usage when given no subcommand. */
    @Command(name = "hvsim", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "hvsim: a cycle-approximate x86-64 CPU model with Intel VMX and AMD SVM.",
            subcommands = CommandLine.HelpCommand.class)
    static final class Hvsim implements Callable<Integer> {
        private final Terminal term;

        Hvsim(Terminal term) {
            this.term = term;
        }

        @Override
        public Integer call() {
            term.error("no command given (try 'hvsim help')");
            return ExitStatus.BAD_INPUT;
        }
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    /** Runs {@code hvsim args} with the given streams and returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Terminal term = new Terminal(out, err);
        try {
            return commandLine(term).execute(args);
        } catch (Throwable t) { // last resort: never a stack trace, whatever escaped picocli
            return internalError(term, t);
        }
    }

    /** The configured command line with its subcommands (run, demo, bench, check-vmcs, help). */
    static CommandLine commandLine(Terminal term) {
        CommandLine cmd = new CommandLine(new Hvsim(term));
        cmd.addSubcommand("run", new RunCommand(term));
        cmd.addSubcommand("demo", new DemoCommand(term));
        cmd.addSubcommand("bench", new BenchCommand(term));
        cmd.addSubcommand("gdb", new GdbCommand(term));
        cmd.addSubcommand("check-vmcs", new CheckVmcsCommand(term));
        cmd.addSubcommand("check-vmcb", new CheckVmcbCommand(term));
        cmd.addSubcommand("conform", new ConformCommand(term));
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setOut(new PrintWriter(term.out(), true));
        cmd.setErr(new PrintWriter(term.err(), true));
        cmd.setParameterExceptionHandler((ex, args) -> {
            term.error(firstLine(ex.getMessage()) + " (try 'hvsim help"
                    + (ex.getCommandLine().getParent() == null ? "" : " " + ex.getCommandLine().getCommandName())
                    + "')");
            return ExitStatus.BAD_INPUT;
        });
        cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof BadInputException) {
                term.error(ex.getMessage());
                return ExitStatus.BAD_INPUT;
            }
            return internalError(term, ex);
        });
        return cmd;
    }

    private static int internalError(Terminal term, Throwable t) {
        String what = t.getMessage() == null ? t.getClass().getSimpleName()
                : t.getClass().getSimpleName() + ": " + firstLine(t.getMessage());
        term.error(what + " (internal error; please report)");
        return ExitStatus.INTERNAL;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
