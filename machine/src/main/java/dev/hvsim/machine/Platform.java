package dev.hvsim.machine;

import dev.hvsim.machine.apic.ApicBus;
import dev.hvsim.machine.apic.LocalApic;
import dev.hvsim.machine.bus.IoPortBus;
import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.machine.device.AmdNorthbridge;
import dev.hvsim.machine.device.CmosRtc;
import dev.hvsim.machine.device.DmaEngine;
import dev.hvsim.machine.device.FwCfg;
import dev.hvsim.machine.device.IoApic;
import dev.hvsim.machine.device.IsaIrqs;
import dev.hvsim.machine.device.PcTestDev;
import dev.hvsim.machine.device.PciHost;
import dev.hvsim.machine.device.Pic8259;
import dev.hvsim.machine.device.Pit8254;
import dev.hvsim.machine.dma.DeviceExclusionVector;
import dev.hvsim.machine.dma.DmaPath;
import java.util.function.LongSupplier;

/**
 * The PC chipset around the CPUs, registered on the buses (machine/DESIGN.md, "Devices"): the 8259 pair,
 * the 8254, the IOAPIC, the APIC bus with the local APIC page, PCI configuration mechanism #1 with a host
 * bridge, fw_cfg, the CMOS/RTC and pc-testdev's interrupt lines; the platform {@link DmaPath} with the DMA
 * engine at 00:04.0 (INTA on ISA IRQ 11), and on AMD machines the northbridge functions 00:18.0 / 00:18.3
 * whose Device Exclusion Vector guards the DMA path. Interrupt wiring: ISA lines fan out to the 8259s and
 * the IOAPIC ({@link IsaIrqs}); the 8259's INTR goes to the BSP's LINT0 (ExtINT).
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
    /** Every device DMA goes through here. */
    public final DmaPath dma;
    public final DmaEngine dmaEngine;
    /** The Device Exclusion Vector (AMD machines), or null. */
    public final DeviceExclusionVector dev;

    Platform(MemoryBus memory, IoPortBus io, long ramBytes, int cpus, LongSupplier now, Runnable bspEvent,
            boolean amd) {
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
        dma = new DmaPath(memory);
        dmaEngine = new DmaEngine(dma, isa::set);
        pci.attach(DmaEngine.BUS, DmaEngine.DEVICE, DmaEngine.FUNCTION, dmaEngine);
        memory.map("dma-engine", DmaEngine.BAR_ADDRESS, DmaEngine.BAR_SIZE, dmaEngine);
        if (amd) {
            dev = new DeviceExclusionVector(memory);
            new AmdNorthbridge(dev).attachTo(pci);
            dma.setProtection(dev);
        } else {
            dev = null; // Intel hosts have no DEV (VT-d is their DMA protection, not modelled)
        }
    }
}
