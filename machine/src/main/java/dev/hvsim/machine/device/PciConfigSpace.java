package dev.hvsim.machine.device;

/**
 * A plain type-0 configuration space (PCI Local Bus Specification 3.0, 6.1): 256 bytes with a per-byte
 * write mask, so that read-only fields (IDs, class code, header type, capability pointer) stay fixed and
 * only the bits a function declares writable change. Subclasses add registers with side effects by
 * overriding {@link #configRead} / {@link #configWrite} for their offsets.
 */
public class PciConfigSpace implements dev.hvsim.x86core.Snapshottable, PciFunction {
    public static final int COMMAND = 0x04, STATUS = 0x06, BAR0 = 0x10, CAP_PTR = 0x34, INTERRUPT_LINE = 0x3c,
            INTERRUPT_PIN = 0x3d;
    /** Command register bits (6.2.2): memory space, bus master. */
    public static final int CMD_MEMORY = 1 << 1, CMD_BUS_MASTER = 1 << 2;
    /** Status register bits (6.2.3): capabilities list, received master abort (write 1 to clear). */
    public static final int STATUS_CAP_LIST = 1 << 4, STATUS_RECEIVED_MASTER_ABORT = 1 << 13;

    protected final byte[] config = new byte[256];
    private final byte[] writable = new byte[256];

    /** Identity and class: vendor, device, revision, class code (base, sub, prog-if), header type. */
    protected PciConfigSpace(int vendor, int device, int revision, int classCode, int headerType) {
        put(0x00, 2, vendor);
        put(0x02, 2, device);
        put(0x08, 1, revision);
        put(0x09, 3, classCode);
        put(0x0e, 1, headerType);
    }

    /** Sets {@code size} bytes at {@code off} to {@code v} (little-endian), regardless of the write mask. */
    protected final void put(int off, int size, long v) {
        for (int i = 0; i < size; i++) {
            config[off + i] = (byte) (v >>> (8 * i));
        }
    }

    /** The {@code size}-byte little-endian value at {@code off}. */
    protected final long get(int off, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (config[off + i] & 0xff);
        }
        return v;
    }

    /** Declares the bits of {@code mask} ({@code size} bytes at {@code off}) writable by software. */
    protected final void writable(int off, int size, long mask) {
        for (int i = 0; i < size; i++) {
            writable[off + i] = (byte) (mask >>> (8 * i));
        }
    }

    /** Makes the whole command register writable (a host bridge that stores what software writes). */
    final void writableCommand() {
        writable(COMMAND, 2, 0xffff);
    }

    /** The command register. */
    public final int command() {
        return (int) get(COMMAND, 2);
    }

    @Override
    public long configRead(int reg, int size) {
        return get(reg, size);
    }

    @Override
    public void configWrite(int reg, int size, long value) {
        for (int i = 0; i < size; i++) {
            int m = writable[reg + i] & 0xff;
            int b = (int) (value >>> (8 * i)) & 0xff;
            if (reg + i == STATUS + 1) {
                config[reg + i] &= (byte) ~(b & 0xf9); // status bits 15:11, 8: write 1 to clear (6.2.3)
            }
            config[reg + i] = (byte) ((config[reg + i] & ~m) | (b & m));
        }
    }

    /** The 256 bytes of configuration space (what is writable never changes). */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        byte[] c = config.clone();
        return () -> System.arraycopy(c, 0, config, 0, c.length);
    }
}
