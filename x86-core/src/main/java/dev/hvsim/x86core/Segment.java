package dev.hvsim.x86core;

/**
 * A segment register: the visible selector and the hidden descriptor cache (SDM Vol. 3A 3.4.3).
 *
 * <p>{@link #attr} uses the VMX access-rights layout (SDM Vol. 3C 25.4.1, Table 25-2): bits 3:0 type,
 * 4 S, 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable. {@link #limit} is the expanded byte
 * limit (already scaled by G).
 */
public final class Segment {
    public static final int ATTR_S = 1 << 4, ATTR_P = 1 << 7, ATTR_AVL = 1 << 12, ATTR_L = 1 << 13,
            ATTR_DB = 1 << 14, ATTR_G = 1 << 15, ATTR_UNUSABLE = 1 << 16;

    public int selector;
    public long base;
    public long limit;
    public int attr;

    public Segment() {}

    public Segment(int selector, long base, long limit, int attr) {
        set(selector, base, limit, attr);
    }

    public void set(int selector, long base, long limit, int attr) {
        this.selector = selector & 0xffff;
        this.base = base;
        this.limit = limit & 0xffffffffL;
        this.attr = attr;
    }

    public void copyFrom(Segment o) {
        set(o.selector, o.base, o.limit, o.attr);
    }

    public Segment copy() {
        return new Segment(selector, base, limit, attr);
    }

    public int type() { return attr & 0xf; }
    public int dpl() { return (attr >>> 5) & 3; }
    public boolean present() { return (attr & ATTR_P) != 0; }
    public boolean system() { return (attr & ATTR_S) == 0; }
    public boolean code() { return (attr & ATTR_S) != 0 && (attr & 8) != 0; }
    public boolean longMode() { return (attr & ATTR_L) != 0; }
    public boolean big() { return (attr & ATTR_DB) != 0; }
    public boolean unusable() { return (attr & ATTR_UNUSABLE) != 0; }
    public int rpl() { return selector & 3; }

    /** Real-mode / virtual-8086 load: base = selector * 16, limit 64 KiB, data read/write accessed. */
    public void loadReal(int sel, int attrIfReal) {
        set(sel, (long) (sel & 0xffff) << 4, 0xffff, attrIfReal);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Segment s && s.selector == selector && s.base == base && s.limit == limit && s.attr == attr;
    }

    @Override
    public int hashCode() {
        return (int) (selector * 31 + base * 17 + limit * 7 + attr);
    }

    @Override
    public String toString() {
        return String.format("%04x base=%x limit=%x attr=%x", selector, base, limit, attr);
    }
}
