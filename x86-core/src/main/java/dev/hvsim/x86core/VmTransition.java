package dev.hvsim.x86core;

import java.util.List;

/**
 * A vendor-neutral description of a VM transition, given to {@link ExecutionListener#onVmExit},
 * {@link ExecutionListener#onVmEntry} and {@link ExecutionListener#onVmEntryFailed} by whichever virtualization
 * extension is installed. x86-core does not interpret {@code code}: it is the extension's own number (a basic exit
 * reason, an exit code, a VM-instruction error); {@code structure} names the control structure ("VMCS", "VMCB")
 * so a reader knows how to look the number up.
 *
 * @param kind          exit, entry, or failed entry
 * @param structure     the control structure's name
 * @param code          the exit reason / exit code (exits, entry-failure exits) or the instruction error (VMfail)
 * @param qualification the exit qualification / first exit information word, or 0
 * @param guestRip      the guest RIP the transition left (exits) or entered (entries); for failed entries the RIP of
 *                      the entry instruction
 * @param toHost        the transition ended an instruction without retiring it and the CPU now runs the host's code
 *                      (every exit, an entry-failure exit, an invalid VMRUN); false for an entry and for a VMfail,
 *                      which retire the entry instruction
 * @param failures      for a failed entry, the failing checks (rule id, manual section, detail) as text; else empty
 */
public record VmTransition(Kind kind, String structure, long code, long qualification, long guestRip, boolean toHost,
        List<String> failures) {

    /** What happened. */
    public enum Kind { EXIT, ENTRY, ENTRY_FAILED }

    public VmTransition {
        failures = List.copyOf(failures);
    }
}
