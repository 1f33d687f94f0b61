package dev.hvsim.vmm;

import dev.hvsim.guests.Guests;
import org.junit.jupiter.api.Test;

class Probe {
    @Test
    void probe() throws Exception {
        String only = System.getProperty("guest");
        for (String g : Guests.names()) {
            if (only != null && !only.equals(g)) continue;
            for (Virt v : new Virt[] {Virt.NONE, Virt.VMX, Virt.SVM}) {
                String prof = v == Virt.SVM ? "amd-zen" : "intel-core";
                long t0 = System.nanoTime();
                GuestRun r = GuestRun.run(g, prof, v);
                GuestRun bare = v == Virt.NONE ? null : GuestRun.run(g, prof, Virt.NONE);
                System.out.printf("%-12s %-4s %-60s exits=%d same=%s %dms fail=%s%n", g, v, r.outcome.describe(),
                        r.vmm == null ? 0 : r.vmm.exits(), bare == null ? "-" : bare.console.equals(r.console) && bare.outcome.describe().split(" after")[0].equals(r.outcome.describe().split(" after")[0]),
                        (System.nanoTime() - t0) / 1000000, r.vmm == null ? null : r.vmm.failure());
                if (bare != null && !bare.console.equals(r.console)) {
                    String[] a = bare.console.split("\n"), b = r.console.split("\n");
                    for (int i = 0; i < Math.max(a.length, b.length); i++) {
                        String x = i < a.length ? a[i] : "<none>", y = i < b.length ? b[i] : "<none>";
                        if (!x.equals(y)) { System.out.println("   bare: " + x + "\n   virt: " + y); break; }
                    }
                }
            }
        }
    }
}
