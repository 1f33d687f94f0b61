package dev.hvsim.x86core;

/** The null guest mode: the CPU runs natively (root mode), nothing is intercepted. */
public final class NativeMode implements GuestMode {
    public static final NativeMode INSTANCE = new NativeMode();

    private NativeMode() {}

    @Override
    public boolean active() {
        return false;
    }
}
