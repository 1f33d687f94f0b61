package dev.hvsim.x86core.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The opcode map as data: rows contributed by each instruction family, indexed by (map, opcode) for
 * the decoder. Built once per CPU profile (it depends on nothing but the rows) and then read-only.
 */
public final class OpcodeTable {
    /** [map][opcode] candidate rows in priority order (more specific first); empty when invalid. */
    private final OpcodeRow[][][] rows = new OpcodeRow[4][256][];
    /** [map][opcode]: whether the encoding takes a ModRM byte. */
    private final boolean[][] modrm = new boolean[4][256];
    private final List<OpcodeRow> all;

    private OpcodeTable(List<OpcodeRow> list) {
        this.all = List.copyOf(list);
        @SuppressWarnings("unchecked")
        List<OpcodeRow>[][] tmp = new List[4][256];
        for (OpcodeRow r : list) {
            if (tmp[r.map()][r.opcode()] == null) {
                tmp[r.map()][r.opcode()] = new ArrayList<>();
            }
            tmp[r.map()][r.opcode()].add(r);
            if (needsModrm(r)) {
                modrm[r.map()][r.opcode()] = true;
            }
        }
        for (int m = 0; m < 4; m++) {
            for (int o = 0; o < 256; o++) {
                List<OpcodeRow> l = tmp[m][o];
                if (l == null) {
                    rows[m][o] = new OpcodeRow[0];
                    continue;
                }
                l.sort((a, b) -> specificity(b) - specificity(a));
                rows[m][o] = l.toArray(new OpcodeRow[0]);
            }
        }
    }

    private static int specificity(OpcodeRow r) {
        return (r.prefix() != OpcodeRow.ANY ? 8 : 0) + (r.rm() >= 0 ? 4 : 0) + (r.reg() >= 0 ? 2 : 0)
                + (r.mod() != OpcodeRow.MOD_ANY ? 1 : 0)
                + (r.has(OpcodeRow.A_REXW1 | OpcodeRow.A_REXW0 | OpcodeRow.A_VEXW1) ? 16 : 0);
    }

    static boolean needsModrm(OpcodeRow r) {
        if (r.reg() >= 0 || r.mod() != OpcodeRow.MOD_ANY || r.rm() >= 0) {
            return true;
        }
        for (String op : r.operands()) {
            char c = op.charAt(0);
            if (op.length() >= 2 && Character.isLowerCase(op.charAt(1))
                    && "EGMRSCDNPQUVW".indexOf(c) >= 0) {
                return true;
            }
        }
        return false;
    }

    public OpcodeRow[] candidates(int map, int opcode) {
        return rows[map][opcode];
    }

    public boolean hasModrm(int map, int opcode) {
        return modrm[map][opcode];
    }

    public List<OpcodeRow> rows() {
        return all;
    }

    /** Collects rows; families add theirs through {@link #row}. */
    public static final class Builder {
        private final List<OpcodeRow> list = new ArrayList<>();

        /** Starts a row: {@code b.row(map, opcode, "ADD Eb,Gb", family, handler)}. */
        public RowBuilder row(int map, int opcode, String text, int family, int handler) {
            return new RowBuilder(this, map, opcode, text, family, handler);
        }

        /** A row for each of the 8 opcodes {@code opcode..opcode+7} with the register in the low bits. */
        public void rowPlusR(int map, int opcode, String text, int family, int handler, int attrs, String cost) {
            for (int i = 0; i < 8; i++) {
                row(map, opcode + i, text, family, handler).attrs(attrs).cost(cost).add();
            }
        }

        void add(OpcodeRow r) {
            list.add(r);
        }

        public OpcodeTable build() {
            return new OpcodeTable(list);
        }
    }

    /** Fluent construction of one row. */
    public static final class RowBuilder {
        private final Builder owner;
        private final int map, opcode, family, handler;
        private final String mnemonic;
        private final List<String> operands;
        private int prefix = OpcodeRow.ANY, reg = -1, mod = OpcodeRow.MOD_ANY, rm = -1, attrs;
        private Feature feature;
        private InterceptPoint intercept;
        private String cost = "alu";

        RowBuilder(Builder owner, int map, int opcode, String text, int family, int handler) {
            this.owner = owner;
            this.map = map;
            this.opcode = opcode;
            this.family = family;
            this.handler = handler;
            int sp = text.indexOf(' ');
            this.mnemonic = sp < 0 ? text : text.substring(0, sp);
            this.operands = sp < 0 ? List.of() : Arrays.asList(text.substring(sp + 1).split(","));
        }

        public RowBuilder prefix(int p) { this.prefix = p; return this; }
        public RowBuilder reg(int r) { this.reg = r; return this; }
        public RowBuilder mem() { this.mod = OpcodeRow.MOD_MEM; return this; }
        public RowBuilder regOnly() { this.mod = OpcodeRow.MOD_REG; return this; }
        public RowBuilder rm(int r) { this.rm = r; this.mod = OpcodeRow.MOD_REG; return this; }
        public RowBuilder attrs(int a) { this.attrs |= a; return this; }
        public RowBuilder feature(Feature f) { this.feature = f; return this; }
        public RowBuilder intercept(InterceptPoint p) { this.intercept = p; return this; }
        public RowBuilder cost(String c) { if (c != null) { this.cost = c; } return this; }

        public void add() {
            for (String op : operands) {
                if (op.matches("M[a-z]*") && mod == OpcodeRow.MOD_ANY) {
                    mod = OpcodeRow.MOD_MEM;
                } else if (op.matches("[RNU][a-z]+") && mod == OpcodeRow.MOD_ANY && (attrs & OpcodeRow.A_MOD_IGNORED) == 0) {
                    mod = OpcodeRow.MOD_REG;
                }
            }
            owner.add(new OpcodeRow(map, opcode, prefix, reg, mod, rm, mnemonic, operands, family, handler, attrs,
                    feature, intercept, cost));
        }
    }
}
