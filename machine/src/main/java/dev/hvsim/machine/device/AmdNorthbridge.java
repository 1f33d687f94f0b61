package dev.hvsim.machine.device;

import dev.hvsim.machine.dma.DeviceExclusionVector;

/**
 * The AMD northbridge's PCI functions that carry the Device Exclusion Vector (shared/reference/dev.csv,
 * "access-path"): on Family 10h parts the DEV registers live in function 3 ("Miscellaneous Control") of
 * the node-0 northbridge at bus 0, device 0x18. hvsim models two functions of that device, both host
 * bridges (class 06/00/00):
 * <ul>
 * <li>00:18.0 (HyperTransport configuration, 1022:1200, header type 0x80: multi-function), identity only;</li>
 * <li>00:18.3 (Miscellaneous Control, 1022:1203) with the capabilities list bit in its status register,
 * the capability pointer at 0x34 = {@value #CAP}, and the DEV capability block there: ID 0x0F ("Secure
 * Device"), next pointer 0, byte +2 bits 2:0 = subtype 0 (DEV), DEV_OP at +4, DEV_DATA at +8.</li>
 * </ul>
 * Functions 1, 2 and 4 of the real part (address map, DRAM controller, link control) are absent.
 */
public final class AmdNorthbridge {
    public static final int BUS = 0, DEVICE = 0x18, FUNCTION_HT = 0, FUNCTION_MISC = 3;
    public static final int VENDOR_AMD = 0x1022, DEVICE_HT = 0x1200, DEVICE_MISC = 0x1203;
    /** Configuration offset of the DEV capability block. */
    public static final int CAP = 0xf0, DEV_OP = CAP + 4, DEV_DATA = CAP + 8;
    public static final int CAP_ID_SECURE_DEVICE = 0x0f;

    private final DeviceExclusionVector dev;
    private final PciConfigSpace htConfig;
    private final MiscControl misc = new MiscControl();

    public AmdNorthbridge(DeviceExclusionVector dev) {
        this.dev = dev;
        this.htConfig = new PciConfigSpace(VENDOR_AMD, DEVICE_HT, 0x00, 0x060000, 0x80) { };
    }

    /** Attaches 00:18.0 and 00:18.3 to {@code pci}. */
    public void attachTo(PciHost pci) {
        pci.attach(BUS, DEVICE, FUNCTION_HT, htConfig);
        pci.attach(BUS, DEVICE, FUNCTION_MISC, misc);
    }

    public DeviceExclusionVector dev() {
        return dev;
    }

    /** 00:18.3: a plain configuration space whose DEV_OP / DEV_DATA dwords reach the {@link DeviceExclusionVector}. */
    private final class MiscControl extends PciConfigSpace {
        private int op;

        @Override
        public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
            dev.hvsim.x86core.Snapshottable.Snapshot cfg = super.snapshot();
            int o = op;
            return () -> {
                cfg.restore();
                op = o;
            };
        }

        MiscControl() {
            super(VENDOR_AMD, DEVICE_MISC, 0x00, 0x060000, 0x00);
            put(STATUS, 2, STATUS_CAP_LIST);
            put(CAP_PTR, 1, CAP);
            put(CAP, 1, CAP_ID_SECURE_DEVICE);
            put(CAP + 1, 1, 0);     // last capability
            put(CAP + 2, 1, 0);     // subtype 0: Device Exclusion Vector
        }

        @Override
        public long configRead(int reg, int size) {
            if (reg >= DEV_OP && reg < DEV_DATA + 4) {
                boolean data = reg >= DEV_DATA;
                long v = (data ? dev.read(op) : op) & 0xffffffffL;
                int shift = 8 * (reg - (data ? DEV_DATA : DEV_OP));
                return (v >>> shift) & (size >= 4 ? 0xffffffffL : (1L << (8 * size)) - 1);
            }
            return super.configRead(reg, size);
        }

        @Override
        public void configWrite(int reg, int size, long value) {
            if (reg >= DEV_OP && reg < DEV_DATA + 4) {
                boolean data = reg >= DEV_DATA;
                int shift = 8 * (reg - (data ? DEV_DATA : DEV_OP));
                long mask = (size >= 4 ? 0xffffffffL : (1L << (8 * size)) - 1) << shift;
                long old = (data ? dev.read(op) : op) & 0xffffffffL;
                int merged = (int) ((old & ~mask) | ((value << shift) & mask));
                if (data) {
                    dev.write(op, merged);
                } else {
                    op = merged & 0xffff; // FUNCTION 15:8, INDEX 7:0; 31:16 reserved
                }
                return;
            }
            super.configWrite(reg, size, value);
        }
    }
}
