package dev.hvsim.machine;

import dev.hvsim.machine.apic.ApicBus;
import dev.hvsim.machine.apic.LocalApic;
import dev.hvsim.machine.bus.IoPortBus;
import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.machine.device.CmosRtc;
import dev.hvsim.machine.device.FwCfg;
import dev.hvsim.machine.device.IoApic;
import dev.hvsim.machine.device.IsaIrqs;
import dev.hvsim.machine.device.PcTestDev;
import dev.hvsim.machine.device.PciHost;
import dev.hvsim.machine.device.Pic8259;
import dev.hvsim.machine.device.Pit8254;
import java.util.function.LongSupplier;

/**
 * The PC chipset around the CPUs, registered on the buses (machine/DESIGN.md, "Devices"): the 8259 pair,
 * the 8254, the IOAPIC, the APIC bus with the local APIC page, PCI configuration mechanism #1 with a host
 * bridge, fw_cfg, the CMOS/RTC and pc-testdev's interrupt lines. Interrupt wiring: ISA lines fan out to
 * the 8259s and the IOAPIC ({@link IsaIrqs}); the 8259's INTR goes to the BSP's LINT0 (ExtINT).
 */
public final class Platform {
    public final ApicBus apicBus = new ApicBus();
    public final Pic8259 pic;
    public final IoApic ioapic;
    public final IsaIrqs isa;
    public final Pit8254 pit;
    public final PciHost pci = new PciHost();
    public final FwCfg fwCfg;
    public final CmosRtc cmos;

    Platform(MemoryBus memory, IoPortBus io, long ramBytes, int cpus, LongSupplier now, Runnable bspEvent) {
        pic = new Pic8259(bspEvent);
        ioapic = new IoApic(apicBus);
        isa = new IsaIrqs(pic, ioapic);
        pit = new Pit8254(now, high -> isa.set(0, high), () -> isa.routed(0));
        fwCfg = new FwCfg(ramBytes, cpus);
        cmos = new CmosRtc(now, ramBytes, cpus);
        memory.map("ioapic", IoApic.BASE, IoApic.SIZE, ioapic);
        memory.map("local-apic", LocalApic.DEFAULT_BASE, 0x1000, apicBus);
        io.register("pic-master", 0x20, 2, pic.master());
        io.register("pic-slave", 0xa0, 2, pic.slave());
        io.register("elcr", Pic8259.ELCR_PORT, 2, pic.elcr());
        io.register("pit", Pit8254.PORT, Pit8254.SIZE, pit);
        io.register("cmos", CmosRtc.PORT, CmosRtc.SIZE, cmos);
        io.register("pci-address", PciHost.ADDRESS_PORT, 4, pci.address());
        io.register("pci-data", PciHost.DATA_PORT, 4, pci);
        io.register("fw_cfg", FwCfg.PORT, FwCfg.SIZE, fwCfg);
        io.register("pc-testdev", PcTestDev.PORT, PcTestDev.SIZE, new PcTestDev(isa));
    }
}
