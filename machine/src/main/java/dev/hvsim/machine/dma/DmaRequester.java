package dev.hvsim.machine.dma;

/**
 * Who issues a DMA access, as the host bridge sees it: the PCI requester (bus, device, function) and the
 * HyperTransport I/O-link unit the device sits behind, which the DEV's DEV_MAP registers match to pick a
 * protection domain (AMD APM Vol. 2, "Device Exclusion Vector (DEV)"; shared/reference/dev.csv DEV_MAP).
 *
 * @param name     for diagnostics
 * @param bus      PCI bus number (also the HyperTransport bus number DEV_MAP.BUSNO is compared with)
 * @param device   PCI device number
 * @param function PCI function number
 * @param unitId   HyperTransport unit ID (0..31) DEV_MAP.UNIT0/UNIT1 are compared with
 */
public record DmaRequester(String name, int bus, int device, int function, int unitId) {
}
