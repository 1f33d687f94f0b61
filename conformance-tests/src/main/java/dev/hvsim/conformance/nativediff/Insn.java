package dev.hvsim.conformance.nativediff;

/**
 * One generated instruction. Branches ({@code cc >= 0}) get their bytes when the sequence is
 * laid out; {@code target} is then the index of the instruction they jump to.
 *
 * @param bytes    encoding, or null for a branch not yet laid out
 * @param text     Intel-syntax rendering
 * @param effect   flag effect (SDM Vol. 2 "Flags Affected")
 * @param template the catalogue row, or null for a fixed prelude
 * @param cc       condition code of a Jcc, else -1
 * @param longForm Jcc encoded as 0F 8x rel32 even when rel8 would reach
 */
record Insn(byte[] bytes, String text, FlagEffect effect, Template template, int cc,
            boolean longForm) {

    static Insn of(byte[] bytes, String text, FlagEffect effect, Template template) {
        return new Insn(bytes, text, effect, template, -1, false);
    }

    boolean isBranch() {
        return cc >= 0;
    }
}
