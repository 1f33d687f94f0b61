exec(open("gen_cases.py").read())
def to82(h):
    i = h.index("80")
    return h[:i] + "82" + h[i + 2:]
def test_alias(h):
    b = bytes.fromhex(h)
    for i, x in enumerate(b):
        if x in (0xf6, 0xf7) and (b[i + 1] >> 3) & 7 == 0:
            return (b[:i + 1] + bytes([b[i + 1] | 0x08]) + b[i + 2:]).hex()
    raise ValueError(h)
F = lambda: random.getrandbits(12) & 0x8d5
for op in ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]:
    for size in (1, 2, 4, 8):
        r = REG[size]
        for mode in MODES[size]:
            b32 = mode != "l64"
            M = mem_operand(mode, size)
            add(mode, f"{op} {r[1]}, {r[0]}", dict(rax=val(b32), rbx=val(b32), fl=F()))              # 00/01 Eb,Gb / Ev,Gv
            add(mode, f"{{load}} {op} {r[1]}, {r[0]}", dict(rax=val(b32), rbx=val(b32), fl=F()))     # 02/03 Gb,Eb / Gv,Ev
            add(mode, f"{op} {M}, {r[0]}", dict(rax=val(b32), rbx=0, fl=F()), mem=val(b32), size=size)
            add(mode, f"{op} {r[0]}, {M}", dict(rax=val(b32), rbx=0, fl=F()), mem=val(b32), size=size)
            imm = random.choice([0x7f, 0x80 if size == 1 else 0x12345 & ((1 << (8 * min(size, 4))) - 1) or 0x1234, 1])
            if size == 2: imm = random.choice([0x1234, 0x7fff, 1])
            if size == 1: imm = random.choice([0x7f, 0x80, 1])
            add(mode, f"{op} {r[0]}, {imm}", dict(rax=val(b32), fl=F()))                               # 04/05 (or 83)
            add(mode, f"{op} {r[1]}, {imm}", dict(rbx=val(b32), fl=F()))                               # 80/81
            if size > 1:
                add(mode, f"{op} {r[1]}, -3", dict(rbx=val(b32), fl=F()))                              # 83 Ibs
                add(mode, f"{op} {M}, -100", dict(rbx=0, fl=F()), mem=val(b32), size=size)
            add(mode, f"{op} {M}, {imm}", dict(rbx=0, fl=F()), mem=val(b32), size=size)
            if size == 1 and mode != "l64":
                add(mode, f"{op} {r[1]}, {imm}", dict(rbx=val(b32), fl=F()), post=to82, host_post=False)
                add(mode, f"{op} {M}, 5", dict(rbx=0, fl=F()), mem=val(b32), size=size, post=to82, host_post=False)
for size in (1, 2, 4, 8):
    r = REG[size]
    for mode in MODES[size]:
        b32 = mode != "l64"
        M = mem_operand(mode, size)
        imm = {1: 0x81, 2: 0x8001, 4: 0x80000001, 8: 0x7fffffff}[size]
        add(mode, f"test {r[1]}, {r[0]}", dict(rax=val(b32), rbx=val(b32), fl=F()))
        add(mode, f"test {M}, {r[0]}", dict(rax=val(b32), rbx=0, fl=F()), mem=val(b32), size=size)
        add(mode, f"test {r[0]}, {imm}", dict(rax=val(b32), fl=F()))
        add(mode, f"test {r[1]}, {imm}", dict(rbx=val(b32), fl=F()))
        add(mode, f"test {M}, {imm}", dict(rbx=0, fl=F()), mem=val(b32), size=size)
        add(mode, f"test {r[1]}, {imm}", dict(rbx=val(b32), fl=F()), post=test_alias)
        for op in ("not", "neg", "inc", "dec"):
            add(mode, f"{op} {r[1]}", dict(rbx=random.choice([0, 1, 0x7f, 0x80, val(b32)]), fl=F()))
            add(mode, f"{op} {M}", dict(rbx=0, fl=F()), mem=val(b32), size=size)
# 40-4F in 16/32-bit code (REX prefixes in 64-bit mode)
for mode, size in [("r16", 2), ("p32", 4), ("p16", 4), ("p32", 2)]:
    r = REG[size]
    for reg in r:
        add(mode, f"inc {reg}", dict(rax=val(True), rbx=val(True), rcx=0x7fffffff, rdx=0xffff, fl=F()),
            host_asm=f"inc {reg}")
        add(mode, f"dec {reg}", dict(rax=val(True), rbx=0x80000000, rcx=1, rdx=0, fl=F()), host_asm=f"dec {reg}")
run_all()
print(java_rows())
