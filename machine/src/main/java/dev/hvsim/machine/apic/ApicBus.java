package dev.hvsim.machine.apic;

import dev.hvsim.machine.bus.MmioDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The APIC bus of the machine: routes interrupt messages from local APICs (IPIs, SDM Vol. 3A 11.6) and
 * from the IOAPIC to their destinations, broadcasts EOIs of level-triggered interrupts to the IOAPIC
 * (11.8.5), hands INIT and STARTUP to the machine (which resets or starts the CPU, 8.4.4, 11.6.1), and
 * serves the xAPIC MMIO page: every CPU sees its own APIC at the same physical address, so the page
 * dispatches to the APIC of the CPU that is running.
 *
 * <p>Destinations (11.6.2): physical (APIC ID, 0xFF = broadcast) or logical (flat or cluster model of
 * each APIC's DFR/LDR); shorthands self, all including self, all excluding self. Lowest priority picks,
 * among the destinations, the APIC with the lowest PPR, ties broken by the lowest APIC ID (deterministic;
 * hardware arbitration is model specific, 11.6.2.4). In x2APIC mode (11.12) destinations are 32 bits:
 * physical x2APIC IDs (0xFFFFFFFF = broadcast) or logical cluster/bitmap pairs; the MMIO page of an APIC in
 * x2APIC mode does not answer (11.12.1: it behaves like a globally disabled xAPIC, so the access goes
 * to the bus: reads all ones, writes are ignored).
 */
public final class ApicBus implements dev.hvsim.x86core.Snapshottable, MmioDevice {
    /** What the machine does on INIT and STARTUP messages. */
    public interface StartupControl {
        void init(LocalApic target);

        void startup(LocalApic target, int vector);
    }

    private final List<LocalApic> apics = new ArrayList<>();
    private StartupControl startup;
    private IntConsumer eoiListener = v -> { };
    private int current;

    public void setStartupControl(StartupControl s) { this.startup = s; }

    /** Where EOIs of level-triggered vectors go (the IOAPIC's remote IRR). */
    public void setEoiListener(IntConsumer l) { this.eoiListener = l; }

    void attach(LocalApic apic) { apics.add(apic); }

    public List<LocalApic> apics() { return apics; }

    /** The APIC whose CPU runs now: its page answers MMIO accesses. */
    public void setCurrent(int index) { current = index; }

    public LocalApic current() { return apics.get(current); }

    @Override
    public long read(long offset, int size) {
        if (!apics.isEmpty() && current().x2apicMode()) {
            return size >= 8 ? -1L : (1L << (size * 8)) - 1; // unclaimed bus cycle
        }
        return apics.isEmpty() ? 0 : current().read(offset, size);
    }

    @Override
    public void write(long offset, int size, long value) {
        if (!apics.isEmpty() && !current().x2apicMode()) {
            current().write(offset, size, value);
        }
    }

    void init(LocalApic target) {
        if (startup != null) {
            startup.init(target);
        }
    }

    void startup(LocalApic target, int vector) {
        if (startup != null) {
            startup.startup(target, vector);
        }
    }

    void eoiBroadcast(int vector) {
        eoiListener.accept(vector);
    }

    /** An IPI from {@code from} (ICR fields; {@code x2Format}: a 32-bit x2APIC destination). */
    void send(LocalApic from, int shorthand, boolean logical, int dest, boolean x2Format, int mode, int vector) {
        switch (shorthand) {
            case 1: from.receive(mode, vector, false); return;
            case 2: case 3:
                for (LocalApic a : apics) {
                    if (shorthand == 2 || a != from) {
                        a.receive(mode, vector, false);
                    }
                }
                return;
            default: deliver(logical, dest, x2Format, mode, vector, false);
        }
    }

    /**
     * An interrupt message to destination {@code dest} (from the ICR or an IOAPIC redirection entry). A
     * message that selects no APIC is dropped.
     */
    public void deliver(boolean logical, int dest, int mode, int vector, boolean level) {
        deliver(logical, dest, false, mode, vector, level);
    }

    private void deliver(boolean logical, int dest, boolean x2Format, int mode, int vector, boolean level) {
        if (mode == LocalApic.LOWEST) {
            LocalApic best = null;
            for (LocalApic a : apics) {
                if (selects(a, logical, dest, x2Format) && (best == null || a.ppr() < best.ppr())) {
                    best = a;
                }
            }
            if (best != null) {
                best.receive(mode, vector, level);
            }
            return;
        }
        for (LocalApic a : apics) {
            if (selects(a, logical, dest, x2Format)) {
                a.receive(mode, vector, level);
            }
        }
    }

    private static boolean selects(LocalApic a, boolean logical, int dest, boolean x2Format) {
        return logical ? a.matchesLogical(dest, x2Format) : a.matchesPhysical(dest, x2Format);
    }

    /** Which CPU's local APIC the APIC page reaches now. */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        int c = current;
        return () -> current = c;
    }
}
