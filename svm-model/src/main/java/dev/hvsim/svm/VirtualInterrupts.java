package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.InterruptSource;
import dev.hvsim.x86core.Interrupts;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Virtual interrupts (AMD APM Vol. 2 15.21 "Interrupt and Local APIC Support"): the VMCB's VINTR quadword at 060H
 * (V_TPR 7:0, V_IRQ 8, V_GIF 9, V_INTR_PRIO 19:16, V_IGN_TPR 20, V_INTR_MASKING 24, V_GIF_ENABLE 25,
 * V_INTR_VECTOR 39:32) is loaded at VMRUN and V_TPR, V_IRQ and V_GIF are written back at #VMEXIT.
 *
 * <ul>
 *   <li>15.21.1: with V_INTR_MASKING = 1 physical maskable interrupts are masked by the host's RFLAGS.IF (as it
 *       was at VMRUN), not the guest's; the guest's IF masks only virtual interrupts.</li>
 *   <li>15.21.2: guest MOV CR8 writes always set V_TPR; with V_INTR_MASKING = 1 only V_TPR (reads return it), with
 *       V_INTR_MASKING = 0 also the APIC's TPR (CR8).</li>
 *   <li>15.21.4: a pending virtual interrupt (V_IRQ) is taken when V_IGN_TPR = 1 or V_INTR_PRIO &gt; V_TPR, the
 *       guest's IF = 1, no interrupt shadow, (virtual) GIF = 1 and no physical interrupt is deliverable (physical
 *       interrupts take priority); V_IRQ is cleared after the VINTR intercept check and vector V_INTR_VECTOR is
 *       delivered through the guest IDT like an external interrupt.</li>
 *   <li>15.13.5, 15.21.6: with the VINTR intercept (word 3 bit 4) the guest exits (code 64H) instead, at the point
 *       where it would take the virtual interrupt (KVM's "interrupt window"); V_IRQ stays set.</li>
 *   <li>15.33.2 "Virtual GIF (VGIF)" (Fn8000_000A EDX[16]): with V_GIF_ENABLE = 1 a guest STGI/CLGI that is not
 *       intercepted sets/clears V_GIF; V_GIF = 0 holds virtual interrupts.</li>
 * </ul>
 */
final class VirtualInterrupts {
    static final long V_IRQ = 1L << 8, V_GIF = 1L << 9, V_IGN_TPR = 1L << 20, V_INTR_MASKING = 1L << 24,
            V_GIF_ENABLE = 1L << 25;

    private final SvmExtension x;
    int vTpr;
    boolean vIrq, vIgnTpr, masking, vGif, vGifEnable;
    int vIntrPrio, vIntrVector;
    /** The host's RFLAGS.IF at VMRUN (masks physical interrupts when V_INTR_MASKING = 1). */
    boolean hostIf;

    VirtualInterrupts(SvmExtension x) {
        this.x = x;
    }

    /** At VMRUN (15.21): load the VINTR fields; {@code hostRflags} is the host's RFLAGS before the guest's load. */
    void load(long vintr, long hostRflags, boolean vgifAdvertised) {
        vTpr = (int) vintr & 0xf;
        vIrq = (vintr & V_IRQ) != 0;
        vIntrPrio = (int) (vintr >>> 16) & 0xf;
        vIgnTpr = (vintr & V_IGN_TPR) != 0;
        masking = (vintr & V_INTR_MASKING) != 0;
        vGifEnable = vgifAdvertised && (vintr & V_GIF_ENABLE) != 0;
        vGif = (vintr & V_GIF) != 0;
        vIntrVector = (int) (vintr >>> 32) & 0xff;
        hostIf = (hostRflags & Flags.IF) != 0;
        if (vIrq) {
            x.cpu().signalEvent();
        }
    }

    /** At #VMEXIT: the VINTR quadword with V_TPR, V_IRQ (and V_GIF when enabled) updated. */
    long store(long vintr) {
        long v = (vintr & ~0xffL & ~V_IRQ) | vTpr | (vIrq ? V_IRQ : 0);
        if (vGifEnable) {
            v = (v & ~V_GIF) | (vGif ? V_GIF : 0);
        }
        return v;
    }

    /** 15.21.1: whether physical maskable interrupts are masked in the guest. */
    boolean physicalMasked(Cpu c) {
        return masking ? !hostIf : (c.state().flagsRest & Flags.IF) == 0;
    }

    /** 15.21.2: guest CR8 reads see V_TPR with V_INTR_MASKING. */
    long cr8Read(long cr8) {
        return masking ? vTpr : cr8;
    }

    /**
     * 15.21.2: a guest CR8 write always sets V_TPR (a lower TPR may unmask V_IRQ); with V_INTR_MASKING = 0 it also
     * writes the APIC's TPR (returns false: the core writes CR8), with V_INTR_MASKING = 1 only V_TPR (returns true).
     */
    boolean cr8Write(Cpu c, long value) {
        vTpr = (int) value & 0xf;
        c.signalEvent();
        return masking;
    }

    /** VGIF: a guest STGI/CLGI not intercepted acts on V_GIF when V_GIF_ENABLE = 1; true when it did. */
    boolean setVirtualGif(Cpu c, boolean set) {
        if (!vGifEnable) {
            return false;
        }
        vGif = set;
        if (set) {
            c.signalEvent();
        }
        return true;
    }

    /** Whether a physical NMI or maskable interrupt would be taken at this boundary (they win over V_IRQ). */
    private boolean physicalDeliverable(Cpu c, boolean shadow) {
        InterruptSource src = c.interruptSource();
        if (src == InterruptSource.NONE || shadow) {
            return false;
        }
        return src.pendingNmi() && !c.state().nmiBlocked || !physicalMasked(c) && src.pendingInterrupt() >= 0;
    }

    /** At an instruction boundary in the guest (15.21.4, 15.13.5). */
    void atBoundary(Cpu c) {
        if (!vIrq) {
            return;
        }
        boolean shadow = c.inShadow();
        boolean prio = vIgnTpr || vIntrPrio > vTpr;
        boolean open = (c.state().flagsRest & Flags.IF) != 0 && !shadow && (!vGifEnable || vGif);
        if (!prio || !open || physicalDeliverable(c, shadow)) {
            c.signalEvent(); // look again at the next boundary
            return;
        }
        if (x.guest.intercepted(V.MISC1, V.M1_VINTR)) {
            x.transitions.exit(ExitCode.VINTR, 0, 0, 0);
        }
        vIrq = false;
        c.state().halted = false;
        c.interrupts().inject(vIntrVector, ArchFault.NO_ERROR_CODE, Interrupts.Kind.EXTERNAL, c.state().rip);
    }

    /** Every field. */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        int tpr = vTpr, prio = vIntrPrio, vec = vIntrVector;
        boolean[] b = {vIrq, vIgnTpr, masking, vGif, vGifEnable, hostIf};
        return () -> {
            vTpr = tpr;
            vIntrPrio = prio;
            vIntrVector = vec;
            vIrq = b[0]; vIgnTpr = b[1]; masking = b[2]; vGif = b[3]; vGifEnable = b[4]; hostIf = b[5];
        };
    }
}
