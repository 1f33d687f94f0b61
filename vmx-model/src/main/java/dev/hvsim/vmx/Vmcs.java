package dev.hvsim.vmx;

import dev.hvsim.vmcs.LaunchState;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmcs.VmcsLayout;
import dev.hvsim.vmcs.VmcsMemory;
import dev.hvsim.x86core.bus.PhysicalBus;

/**
 * A VMCS region in physical memory viewed through a layout (SDM Vol. 3C 25.2): fields by symbol, encoding
 * or catalogue entry, and the launch state. The model keeps no processor-side copy of a VMCS: every
 * VMREAD/VMWRITE reads or writes the region (DEVIATIONS.md), so VMCLEAR has nothing to write back.
 */
public final class Vmcs {
    private final VmcsMemory memory;
    private final VmcsLayout layout;
    private final long address;

    public Vmcs(PhysicalBus bus, long address, VmcsLayout layout) {
        this.memory = VmcsMemory.of(bus, address);
        this.layout = layout;
        this.address = address;
    }

    /** A VMCS over an array (the check-vmcs tool and tests). */
    public Vmcs(byte[] region, VmcsLayout layout) {
        this.memory = VmcsMemory.of(region);
        this.layout = layout;
        this.address = -1;
    }

    public long address() { return address; }
    public VmcsLayout layout() { return layout; }

    public long read(VmcsField f) {
        return layout.read(memory, f);
    }

    public void write(VmcsField f, long value) {
        layout.write(memory, f, value);
    }

    /** Reads a field given by symbol ({@code GUEST_RIP}) or encoding ({@code 0x681e}). */
    public long read(String field) {
        return read(VmcsFields.get().lookup(field));
    }

    /** Writes a field given by symbol or encoding; the value is truncated to the field's width. */
    public void write(String field, long value) {
        write(VmcsFields.get().lookup(field), value);
    }

    /** Every full field of the catalogue in {@code VmcsFields.fullFields()} order into {@code out} (0 when absent). */
    void readFullFields(long[] out) {
        layout.readFullFields(memory, out);
    }

    public LaunchState launchState() {
        return layout.launchState(memory);
    }

    public void setLaunchState(LaunchState s) {
        layout.writeLaunchState(memory, s);
    }

    /** Bits 30:0 of the first dword. */
    public int revisionId() {
        return VmcsLayout.revisionIdOf(memory);
    }

    /** Bit 31 of the first dword (shadow-VMCS indicator). */
    public boolean shadowIndicator() {
        return VmcsLayout.shadowIndicatorOf(memory);
    }

    /** Writes the revision id (and shadow indicator) header, as software does before VMPTRLD. */
    public void writeHeader(int revisionId, boolean shadow) {
        VmcsLayout.writeHeader(memory, revisionId, shadow);
    }
}
