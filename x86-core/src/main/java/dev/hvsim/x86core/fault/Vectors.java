package dev.hvsim.x86core.fault;

/** Exception and interrupt vector numbers and their classes (SDM Vol. 3A 6.3.1, Table 6-1; 6.15 Table 6-4). */
public final class Vectors {
    public static final int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
            TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19, VE = 20, CP = 21;

    private static final String[] NAMES = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9",
        "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};

    private Vectors() {}

    /** Vectors that push an error code when delivered as exceptions (Table 6-1). */
    public static boolean hasErrorCode(int v) {
        return v == DF || v == TS || v == NP || v == SS || v == GP || v == PF || v == AC || v == CP;
    }

    /** Contributory exceptions for the #DF rules (Table 6-4). */
    public static boolean isContributory(int v) {
        return v == DE || v == TS || v == NP || v == SS || v == GP;
    }

    /** Faults (as opposed to traps): RIP points at the faulting instruction. */
    public static boolean isTrap(int v) {
        return v == BP || v == OF;
    }

    public static String name(int v) {
        return v >= 0 && v < NAMES.length ? NAMES[v] : "vector " + v;
    }
}
