package dev.hvsim.vmm;

/**
 * Nested VMX on one vCPU (see vmm/DESIGN.md, "Nested VMX"): the guest is itself a hypervisor (L1) whose
 * virtualization instructions exit to the Java VMM (L0), which emulates them and runs L1's own guest (L2) on the
 * model. The VMM asks it at every exit after the user's handler ({@link Vmm#vmExit}); a vCPU without it has none (one
 * null check). (Nested SVM has its own hooks in {@code SvmVcpu}: {@link NestedSvm}.)
 */
interface Nesting {
    /**
     * Handles {@code x} if it belongs to the nesting (an L1 virtualization instruction, an L1 access to a
     * virtualization MSR or control bit, an L2 exit that L1 asked for, which is reflected to L1): returns how, or null
     * when the VMM's usual handling applies (to L1, or to L2 on L1's behalf when only L0 intercepts it).
     */
    Handled exit(Vcpu v, GuestExit x);

    /** True while the vCPU runs (or last exited from) L2, the guest hypervisor's guest ({@link GuestExit#level()} 2). */
    boolean inL2();

    /** Port-I/O interception for one single-stepped instruction of L2 ({@link Vcpu#ioIntercept}). */
    void ioIntercept(boolean on);
}
