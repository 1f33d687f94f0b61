package dev.hvsim.vmcs.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small RFC 4180 CSV reader for the data files shipped in this module's resources.
 *
 * <p>Lines starting with {@code #} before the header row are comments (provenance notes). Fields may be
 * quoted; a quoted field may hold commas, doubled quotes and line breaks. Both CRLF and LF line ends are
 * accepted. The first non-comment row is the header; every data row must have exactly as many fields.
 */
public final class CsvTable {

    /** One data row; {@link #get} names the column and fails on an unknown one. */
    public static final class Row {
        private final CsvTable table;
        private final List<String> values;
        private final int line;

        Row(CsvTable table, List<String> values, int line) {
            this.table = table;
            this.values = values;
            this.line = line;
        }

        /** The value of {@code column}; throws IllegalArgumentException naming the file for an unknown column. */
        public String get(String column) {
            Integer i = table.columns.get(column);
            if (i == null) {
                throw new IllegalArgumentException(table.name + ": no column '" + column + "' (columns: "
                        + table.columns.keySet() + ")");
            }
            return values.get(i);
        }

        /** The 1-based line of the file where this row starts, for error messages. */
        public int line() {
            return line;
        }

        /** Where this row comes from, e.g. {@code vmcs-fields.csv:12}. */
        public String where() {
            return table.name + ":" + line;
        }
    }

    private final String name;
    private final Map<String, Integer> columns;
    private final List<Row> rows;

    private CsvTable(String name, List<String> header, List<List<String>> data, List<Integer> lines) {
        this.name = name;
        Map<String, Integer> cols = new LinkedHashMap<>();
        for (int i = 0; i < header.size(); i++) {
            cols.put(header.get(i), i);
        }
        this.columns = Collections.unmodifiableMap(cols);
        List<Row> rs = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            if (data.get(i).size() != header.size()) {
                throw new IllegalArgumentException(name + ":" + lines.get(i) + ": " + data.get(i).size()
                        + " fields, header has " + header.size());
            }
            rs.add(new Row(this, data.get(i), lines.get(i)));
        }
        this.rows = Collections.unmodifiableList(rs);
    }

    /** Loads a classpath resource (absolute path); throws IllegalStateException when it is missing. */
    public static CsvTable resource(String path) {
        InputStream in = CsvTable.class.getResourceAsStream(path);
        if (in == null) {
            throw new IllegalStateException("missing resource " + path);
        }
        try (in) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return parse(path.substring(path.lastIndexOf('/') + 1), text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /** Parses CSV text; {@code name} is used in error messages. */
    public static CsvTable parse(String name, String text) {
        List<List<String>> records = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        int pos = 0;
        int line = 1;
        boolean headerSeen = false;
        int n = text.length();
        while (pos < n) {
            if (!headerSeen && text.charAt(pos) == '#') {
                int end = text.indexOf('\n', pos);
                pos = end < 0 ? n : end + 1;
                line++;
                continue;
            }
            headerSeen = true;
            int startLine = line;
            List<String> rec = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            boolean quoted = false;
            boolean endOfRecord = false;
            while (pos < n && !endOfRecord) {
                char c = text.charAt(pos++);
                if (quoted) {
                    if (c == '"') {
                        if (pos < n && text.charAt(pos) == '"') {
                            cur.append('"');
                            pos++;
                        } else {
                            quoted = false;
                        }
                    } else {
                        if (c == '\n') {
                            line++;
                        }
                        cur.append(c);
                    }
                } else if (c == '"') {
                    quoted = true;
                } else if (c == ',') {
                    rec.add(cur.toString());
                    cur.setLength(0);
                } else if (c == '\r') {
                    // part of CRLF; a lone CR is dropped as well
                } else if (c == '\n') {
                    line++;
                    endOfRecord = true;
                } else {
                    cur.append(c);
                }
            }
            if (quoted) {
                throw new IllegalArgumentException(name + ":" + startLine + ": unterminated quoted field");
            }
            rec.add(cur.toString());
            if (rec.size() == 1 && rec.get(0).isEmpty()) {
                continue; // blank line
            }
            records.add(rec);
            lines.add(startLine);
        }
        if (records.isEmpty()) {
            throw new IllegalArgumentException(name + ": no header row");
        }
        return new CsvTable(name, records.get(0), records.subList(1, records.size()),
                lines.subList(1, lines.size()));
    }

    /** The file name this table was read from. */
    public String name() {
        return name;
    }

    /** The data rows, header excluded, in file order. */
    public List<Row> rows() {
        return rows;
    }

    /** The header's column names in order. */
    public List<String> columns() {
        return List.copyOf(columns.keySet());
    }

    /**
     * Parses a number as written in the reference tables: {@code 0x}-prefixed hex or decimal.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static long number(String s) {
        String t = s.trim();
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: '" + s + "'", e);
        }
    }
}
