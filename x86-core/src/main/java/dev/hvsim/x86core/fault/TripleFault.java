package dev.hvsim.x86core.fault;

/** A fault while delivering a double fault: the processor enters shutdown (SDM Vol. 3A 6.15, #DF). */
public final class TripleFault extends CpuSignal {
    private static final long serialVersionUID = 1L;

    public TripleFault(String why) {
        super(why);
    }
}
