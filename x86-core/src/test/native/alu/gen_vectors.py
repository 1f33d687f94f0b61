import random, subprocess, sys
from asm import assemble
random.seed(2024)
R = lambda: random.choice([0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
                           2**63, 2**63 - 1, 2**64 - 1, random.getrandbits(8), random.getrandbits(16), random.getrandbits(32)]
                          + [random.getrandbits(64)] * 6)
F = lambda: random.getrandbits(12) & 0x8d5
insns64 = []
regs = {8: ("rax", "rbx", "rdx"), 4: ("eax", "ebx", "edx"), 2: ("ax", "bx", "dx"), 1: ("al", "bl", "dl")}
for op in ["rol", "ror", "rcl", "rcr", "shl", "shr", "sar"]:
    for s, (a, b, d) in regs.items():
        insns64 += [f"{op} {a}, 1", f"{op} {a}, cl", f"{op} {b}, cl"] + [f"{op} {a}, {random.randrange(256)}" for _ in range(2)]
    insns64 += [f"{op} ah, cl", f"{op} bh, 1"]
# /6 alias: hand-encoded below
for op in ["shld", "shrd"]:
    for s, (a, b, d) in regs.items():
        if s == 1: continue
        insns64 += [f"{op} {a}, {b}, cl", f"{op} {a}, {b}, {random.randrange(1, 64)}", f"{op} {a}, {b}, {random.randrange(16, 32)}"]
for op in ["sarx", "shlx", "shrx"]:
    insns64 += [f"{op} rax, rbx, rcx", f"{op} eax, ebx, ecx"]
insns64 += ["rorx rax, rbx, 13", "rorx eax, ebx, 37", "rorx rax, rbx, 0"]
for op in ["mul", "imul", "div", "idiv"]:
    for s, (a, b, d) in regs.items():
        insns64 += [f"{op} {b}"]
    insns64 += [f"{op} bh"]
insns64 += ["imul rax, rbx", "imul eax, ebx", "imul ax, bx", "imul rax, rbx, -3", "imul eax, ebx, 0x12345", "imul ax, bx, 0x7fff",
            "imul rax, rbx, 0x7fffffff", "imul eax, ebx, -128", "imul rbx, rbx, 3", "mulx rax, rbx, rcx", "mulx eax, ebx, ecx", "mulx rax, rax, rcx"]
for op in ["bt", "bts", "btr", "btc"]:
    insns64 += [f"{op} rax, rbx", f"{op} eax, ebx", f"{op} ax, bx", f"{op} rax, {random.randrange(256)}", f"{op} eax, {random.randrange(256)}", f"{op} ax, {random.randrange(256)}"]
for op in ["bsf", "bsr", "tzcnt", "lzcnt", "popcnt"]:
    insns64 += [f"{op} rax, rbx", f"{op} eax, ebx", f"{op} ax, bx"]
insns64 += ["andn rax, rbx, rcx", "andn eax, ebx, ecx", "bextr rax, rbx, rcx", "bextr eax, ebx, ecx",
            "blsr rax, rbx", "blsr eax, ebx", "blsmsk rax, rbx", "blsmsk eax, ebx", "blsi rax, rbx", "blsi eax, ebx",
            "bzhi rax, rbx, rcx", "bzhi eax, ebx, ecx", "pdep rax, rbx, rcx", "pdep eax, ebx, ecx", "pext rax, rbx, rcx", "pext eax, ebx, ecx",
            "adcx rax, rbx", "adcx eax, ebx", "adox rax, rbx", "adox eax, ebx",
            "clc", "stc", "cmc", "lahf", "sahf"]
asm64 = assemble(insns64, 64)
# SAL /6 alias (not assemblable): d0 f0 / d1 f0 / d2 f0 / d3 f0 / c0 f0 ib / c1 f0 ib with sizes
for pfx in ["48", "", "66"]:
    asm64 += [(pfx + "d1f0", "sal(/6) 1"), (pfx + "d3f0", "sal(/6) cl"), (pfx + "c1f00b", "sal(/6) 11")]
asm64 += [("d0f0", "sal(/6) al,1"), ("d2f0", "sal(/6) al,cl"), ("c0f003", "sal(/6) al,3")]
def inputs(hexs, dis):
    n = 12 if any(k in dis for k in ("rc", "shld", "shrd", "div", "bextr", "bzhi", "sal(")) else 6
    out = []
    for _ in range(n):
        rax, rbx, rcx, rdx = R(), R(), R(), R()
        if "cl" in dis or "x " in dis or "shld" in dis or "shrd" in dis:
            rcx = random.choice([random.randrange(0, 70), random.randrange(256), R()])
        if "bextr" in dis:
            rcx = random.randrange(0x10000) if random.random() < 0.5 else (random.randrange(70) | random.randrange(70) << 8)
        if "bzhi" in dis:
            rcx = random.choice([random.randrange(70), random.randrange(256), R()])
        if "div" in dis and random.random() < 0.7:
            rdx = random.getrandbits(random.choice([0, 1, 8, 16, 31, 63]))
        if "div" in dis and random.random() < 0.1:
            rbx = 0
        out.append((rax, rbx, rcx, rdx, R(), R(), R(), F()))
    return out
def run_native(exe, lines, extra=()):
    p = subprocess.run([exe, *extra], input="".join(lines), capture_output=True, text=True)
    return p.stdout.strip().split("\n")
out_lines = []
jobs = []
for hexs, dis in asm64:
    for inp in inputs(hexs, dis):
        jobs.append((64, hexs, dis, inp))
res = run_native("./run", ["%s %s\n" % (h, " ".join("%x" % v for v in inp)) for _, h, _, inp in jobs])
for (bits, h, dis, inp), line in zip(jobs, res):
    if "SIG" in line:
        sig = int(line.split("SIG")[1])
        outs = {8: "#DE", 4: "#UD"}[sig]
    else:
        p = dict(x.split("=") for x in line.split()[1:] if "=" in x and not x.startswith("mem"))
        outs = " ".join(p[k] for k in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "fl"))
    out_lines.append("%d %s ; %s | %s | %s" % (bits, h, dis, " ".join("%x" % v for v in inp), outs))
# 32-bit compat: decimal, SALC
insns32 = [("27", "daa"), ("2f", "das"), ("37", "aaa"), ("3f", "aas"), ("d40a", "aam"), ("d410", "aam 16"), ("d400", "aam 0"),
           ("d50a", "aad"), ("d507", "aad 7"), ("d6", "salc")]
jobs = []
for h, dis in insns32:
    for _ in range(40):
        v = [random.getrandbits(32) if random.random() < 0.5 else random.getrandbits(16) for _ in range(6)] + [0, F()]
        jobs.append((32, h, dis, v))
res = run_native("./run32", ["%s %s\n" % (h, " ".join("%x" % x for x in (inp[:6] + [inp[7]]))) for _, h, _, inp in jobs], ["74"])
for (bits, h, dis, inp), line in zip(jobs, res):
    if "SIG" in line:
        outs = {8: "#DE", 4: "#UD"}[int(line.split("SIG")[1])]
    else:
        p = dict(x.split("=") for x in line.split()[1:] if "=" in x)
        outs = " ".join(p[k] for k in ("eax", "ebx", "ecx", "edx", "esi", "edi")) + " 0 " + p["fl"]
    out_lines.append("%d %s ; %s | %s | %s" % (bits, h, dis, " ".join("%x" % v for v in inp), outs))
hdr = ["# Native vectors measured on this host's CPU (%s) by x86-core/src/test/native/alu/gen_vectors.py." % sys.argv[1],
       "# mode hex ; disassembly | rax rbx rcx rdx rsi rdi r8 rflags-in | same registers and OSZAPC out, or #DE/#UD",
       "# 32-bit lines ran in a compatibility-mode code segment (registers are the low halves)."]
open(sys.argv[2], "w").write("\n".join(hdr + out_lines) + "\n")
print(len(out_lines))
