package dev.hvsim.x86core.fault;

/**
 * An architectural exception raised by an instruction (SDM Vol. 3A 6.3, 6.15): a vector and, for the
 * vectors that push one, an error code. For #PF the faulting linear address travels in {@link #cr2()}.
 */
public final class ArchFault extends CpuSignal {
    private static final long serialVersionUID = 1L;
    /** Marker for "this exception pushes no error code". */
    public static final int NO_ERROR_CODE = -1;

    private final int vector;
    private final int errorCode;
    private final long cr2;

    private ArchFault(int vector, int errorCode, long cr2) {
        super(null);
        this.vector = vector;
        this.errorCode = errorCode;
        this.cr2 = cr2;
    }

    /** A fault without an error code, or with the one the vector architecturally requires as 0. */
    public static ArchFault of(int vector) {
        return new ArchFault(vector, Vectors.hasErrorCode(vector) ? 0 : NO_ERROR_CODE, 0);
    }

    public static ArchFault withCode(int vector, int errorCode) {
        return new ArchFault(vector, errorCode, 0);
    }

    public static ArchFault pageFault(int errorCode, long linear) {
        return new ArchFault(Vectors.PF, errorCode, linear);
    }

    public static ArchFault gp(int errorCode) { return new ArchFault(Vectors.GP, errorCode, 0); }
    public static ArchFault gp0() { return new ArchFault(Vectors.GP, 0, 0); }
    public static ArchFault ud() { return new ArchFault(Vectors.UD, NO_ERROR_CODE, 0); }
    public static ArchFault ss(int errorCode) { return new ArchFault(Vectors.SS, errorCode, 0); }
    public static ArchFault np(int errorCode) { return new ArchFault(Vectors.NP, errorCode, 0); }
    public static ArchFault ts(int errorCode) { return new ArchFault(Vectors.TS, errorCode, 0); }
    public static ArchFault de() { return new ArchFault(Vectors.DE, NO_ERROR_CODE, 0); }

    public int vector() { return vector; }
    public int errorCode() { return errorCode; }
    public boolean hasErrorCode() { return errorCode != NO_ERROR_CODE; }
    public long cr2() { return cr2; }

    @Override
    public String getMessage() {
        return Vectors.name(vector) + (hasErrorCode() ? "(" + Integer.toHexString(errorCode) + ")" : "")
                + (vector == Vectors.PF ? " cr2=" + Long.toHexString(cr2) : "");
    }
}
