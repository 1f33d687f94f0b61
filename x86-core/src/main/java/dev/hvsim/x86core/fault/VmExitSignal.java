package dev.hvsim.x86core.fault;

/**
 * Thrown by a {@code GuestMode} implementation when an intercept point turns into a VM exit. The
 * payload is the vendor model's own exit record; the core only carries it to the step loop.
 */
public final class VmExitSignal extends CpuSignal {
    private static final long serialVersionUID = 1L;
    private final transient Object exit;

    public VmExitSignal(Object exit) {
        super(null);
        this.exit = exit;
    }

    public Object exit() { return exit; }
}
