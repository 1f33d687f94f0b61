package dev.hvsim.conformance.campaign;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/** Shrinking helpers shared by the intercept properties. */
final class Shrinking {
    private Shrinking() {}

    /**
     * Removes entries of {@code map} (a bitmap's non-zero qwords) from {@code t} while {@code fails} still holds: all
     * of them, then halves, quarters, ... down to single entries (a simple delta debugging); returns the smallest
     * failing trial found.
     */
    static <T> T removeKeys(T t, Map<Long, Long> map, BiFunction<T, Map<Long, Long>, T> with, Predicate<T> fails) {
        Map<Long, Long> current = new TreeMap<>(map);
        int chunk = Math.max(1, current.size());
        while (chunk >= 1 && !current.isEmpty()) {
            boolean removed = false;
            List<Long> keys = new ArrayList<>(current.keySet());
            for (int from = 0; from < keys.size(); from += chunk) {
                Map<Long, Long> m = new TreeMap<>(current);
                for (int i = from; i < Math.min(keys.size(), from + chunk); i++) {
                    m.remove(keys.get(i));
                }
                T c = with.apply(t, m);
                if (fails.test(c)) {
                    t = c;
                    current = m;
                    removed = true;
                    break;
                }
            }
            if (!removed) {
                if (chunk == 1) {
                    break;
                }
                chunk = chunk / 2;
            }
        }
        return t;
    }
}
