package dev.hvsim.vmm;

/**
 * A user's handler of VM exits, called before the VMM's own (see vmm/DESIGN.md for a runnable example). It sees
 * each exit as the vendor-neutral {@link GuestExit} (with the raw vendor record in {@link GuestExit#raw()}) and acts
 * on the guest through the {@link Vcpu}.
 */
@FunctionalInterface
public interface ExitHandler {
    /**
     * Handles one exit.
     *
     * @return how it was handled (the VMM resumes the guest), or null to let the VMM's own handling do it
     */
    Handled handle(Vcpu vcpu, GuestExit exit);
}
