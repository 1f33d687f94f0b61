package dev.hvsim.ept;

import dev.hvsim.x86core.SecondStage;

/** The kind of a memory access being translated. */
public enum Access {
    READ, WRITE, EXECUTE;

    /** From the core's access codes ({@link SecondStage#READ}, {@link SecondStage#WRITE}, {@link SecondStage#EXEC}). */
    public static Access ofCore(int access) {
        switch (access) {
            case SecondStage.READ: return READ;
            case SecondStage.WRITE: return WRITE;
            case SecondStage.EXEC: return EXECUTE;
            default: throw new IllegalArgumentException("access " + access);
        }
    }
}
