import random, subprocess
random.seed(99)
FL = lambda f: "".join(n for n, b in [("O",0x800),("S",0x80),("Z",0x40),("A",0x10),("P",4),("C",1)] if f & b) or "-"
ops = [("27", "daa"), ("2f", "das"), ("37", "aaa"), ("3f", "aas"), ("d4 0a", "aam 0xa"), ("d4 10", "aam 0x10"), ("d4 00", "aam 0x0"),
       ("d5 0a", "aad 0xa"), ("d5 07", "aad 0x7")]
cases = []
for h, dis in ops:
    for mode in ("r16", "p16", "p32"):
        for _ in range(4 if mode == "p32" else 2):
            ax = random.choice([random.getrandbits(16), random.choice([0x0009, 0x000a, 0x0099, 0x009a, 0x00ff, 0x7ffa, 0x0100, 0xff00])])
            f = random.getrandbits(12) & 0x8d5
            cases.append((mode, h, dis, ax, f))
inp = "".join("%s %x 0 0 0 0 0 %x\n" % (h.replace(" ", ""), ax, f) for _, h, _, ax, f in cases)
out = subprocess.run(["./run32", "74"], input=inp, capture_output=True, text=True).stdout.strip().split("\n")
rows = []
for (mode, h, dis, ax, f), o in zip(cases, out):
    if "SIG" in o:
        res = "#DE"
    else:
        p = dict(x.split("=") for x in o.split()[1:])
        res = "rax=0x%x fl=%s" % (int(p["eax"], 16), FL(int(p["fl"], 16)))
    rows.append('            c("%s:amd", "%s", "%s", "rax=0x%x fl=%s", "%s")' % (mode, h, dis, ax, FL(f), res))
print(",\n".join(rows))
