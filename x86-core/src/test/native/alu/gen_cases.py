import random, subprocess, sys
from asm import assemble
random.seed(77)
REG = {1: ["al", "bl", "cl", "dl"], 2: ["ax", "bx", "cx", "dx"], 4: ["eax", "ebx", "ecx", "edx"], 8: ["rax", "rbx", "rcx", "rdx"]}
PTR = {1: "byte ptr", 2: "word ptr", 4: "dword ptr", 8: "qword ptr"}
MODES = {1: ["r16", "p32", "l64"], 2: ["r16", "p32", "l64"], 4: ["p32", "p16", "l64"], 8: ["l64"]}
BITS = {"r16": 16, "p16": 16, "p32": 32, "l64": 64}
def val(bits32):
    v = random.choice([0, 1, 0x7f, 0x80, 0xff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 2**63, 2**64-1] + [random.getrandbits(64)] * 8)
    return v & 0xffffffff if bits32 else v
def mem_operand(mode, size, disp=""):
    base = {"r16": "bx", "p16": "bx", "p32": "ebx", "l64": "rbx"}[mode]
    return f"{PTR[size]} [{base}{disp}]"
def alias6(h):
    # turn SHL (/4) encodings into the /6 alias: ModRM follows the opcode byte D0-D3/C0/C1
    b = bytes.fromhex(h)
    for i, x in enumerate(b):
        if x in (0xd0, 0xd1, 0xd2, 0xd3, 0xc0, 0xc1) and i + 1 < len(b) and (b[i + 1] >> 3) & 7 == 4:
            return (b[:i + 1] + bytes([b[i + 1] | 0x10]) + b[i + 2:]).hex()
    raise ValueError(h)
cases = []  # (mode, asm_target, asm_host, regs(dict), mem(int or None), size, memoff, post)
def add(mode, asm, regs, mem=None, size=None, memoff=0, post=None, host_asm=None, host_post=True):
    cases.append(dict(host_post=host_post, mode=mode, asm=asm, host=host_asm or asm.replace("[bx", "[r9").replace("[ebx", "[r9").replace("[rbx", "[r9"),
                      regs=regs, mem=mem, size=size, memoff=memoff, post=post))
def emit(javafile_marker, outname, post_asm=None):
    pass
def run_all():
    # assemble target encodings per mode, host encodings in 64-bit
    by_bits = {}
    for i, c in enumerate(cases):
        by_bits.setdefault(BITS[c["mode"]], []).append(i)
    for bits, idx in by_bits.items():
        enc = assemble([cases[i]["asm"] for i in idx], bits)
        for i, (h, d) in zip(idx, enc):
            cases[i]["hex"] = h if not cases[i]["post"] else cases[i]["post"](h)
            cases[i]["dis"] = d
    enc = assemble([c["host"] for c in cases], 64)
    lines = []
    for c, (h, d) in zip(cases, enc):
        c["hosthex"] = h if not (c["post"] and c["host_post"]) else c["post"](h)
        r = c["regs"]
        memq = [0] * 8
        if c["mem"] is not None:
            # r9 = mem + 32
            off = 32 + c["memoff"]
            full = bytearray(64)
            full[off:off + 8] = (c["mem"] & (2**64 - 1)).to_bytes(8, "little")
            memq = [int.from_bytes(full[k:k + 8], "little") for k in range(0, 64, 8)]
        lines.append("%s %x %x %x %x 0 0 0 %x %s\n" % (c["hosthex"], r.get("rax", 0), r.get("rbx", 0), r.get("rcx", 0), r.get("rdx", 0), r.get("fl", 0), " ".join("%x" % q for q in memq)))
    out = subprocess.run(["./run"], input="".join(lines), capture_output=True, text=True).stdout.strip().split("\n")
    for c, o in zip(cases, out):
        if "SIG" in o:
            c["out"] = {8: "#DE", 4: "#UD"}[int(o.split("SIG")[1])]
            continue
        p = dict(x.split("=") for x in o.split()[1:])
        mem = [int(q, 16) for q in p["mem"].split(",")]
        blob = b"".join(q.to_bytes(8, "little") for q in mem)
        res = {k: int(p[k], 16) for k in ("rax", "rbx", "rcx", "rdx")}
        res["fl"] = int(p["fl"], 16)
        if c["mem"] is not None:
            off = 32 + c["memoff"]
            res["m"] = int.from_bytes(blob[off:off + c["size"]], "little")
        c["res"] = res
FL = lambda f: "".join(n for n, b in [("O",0x800),("S",0x80),("Z",0x40),("A",0x10),("P",4),("C",1)] if f & b) or "-"
def java_rows(profile=":amd"):
    rows = []
    for c in cases:
        regs = c["regs"]
        ins = []
        for k in ("rax", "rbx", "rcx", "rdx"):
            regs.setdefault(k, 0)
            if k in regs:
                ins.append("%s=%s" % (k, "@" if (k == "rbx" and c["mem"] is not None) else "0x%x" % regs[k]))
        ins.append("fl=" + FL(regs.get("fl", 0)))
        if c["mem"] is not None:
            ins.append("m%d%s=0x%x" % (c["size"] * 8, "" if c["memoff"] == 0 else "@%d" % c["memoff"], c["mem"] & ((1 << (8 * c["size"])) - 1)))
        if "out" in c:
            outs = c["out"]
        else:
            r = c["res"]
            o = []
            for k in ("rax", "rbx", "rcx", "rdx"):
                if k == "rbx" and c["mem"] is not None:
                    continue
                o.append("%s=0x%x" % (k, r[k]))
            o.append("fl=" + FL(r["fl"]))
            if c["mem"] is not None:
                o.append("m%d%s=0x%x" % (c["size"] * 8, "" if c["memoff"] == 0 else "@%d" % c["memoff"], r["m"]))
            outs = " ".join(o)
        hexs = " ".join(c["hex"][i:i + 2] for i in range(0, len(c["hex"]), 2))
        dis = c["dis"].replace("  ", " ")
        if c["post"]:
            dis = dis.replace("shl", "sal(/6)") + " (" + c["hex"][:2] + " form)" if "test" in dis or not c["host_post"] else dis.replace("shl", "sal(/6)")
        rows.append('            c("%s%s", "%s", "%s", "%s", "%s")' % (c["mode"], profile, hexs, " ".join(dis.split()), " ".join(ins), outs))
    return ",\n".join(rows)
