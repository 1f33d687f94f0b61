exec(open("gen_cases.py").read())
for op in ["mul", "imul", "div", "idiv"]:
    for size in (1, 2, 4, 8):
        r = REG[size]
        for mode in MODES[size]:
            b32 = mode != "l64"
            for k in range(2):
                a, dd, b = val(b32), val(b32), val(b32)
                if op in ("div", "idiv"):
                    # keep most quotients in range: small high half
                    dd = random.choice([0, 1, dd & 0xf]) if size > 1 else dd
                    b = b or 3
                add(mode, f"{op} {r[1]}", dict(rax=a, rbx=b, rdx=dd, fl=random.getrandbits(12) & 0x8d5))
            add(mode, f"{op} {mem_operand(mode, size)}", dict(rax=val(b32), rbx=0, rdx=random.choice([0, 1]), fl=random.getrandbits(12) & 0x8d5),
                mem=(val(b32) or 7), size=size)
    add("p32", f"{op} bh", dict(rax=0x1234, rbx=0x0300, rdx=0, fl=0))
# #DE: zero divisor and quotient overflow, per size
for op in ["div", "idiv"]:
    for size in (1, 2, 4, 8):
        r = REG[size]
        mode = "l64" if size == 8 else "p32"
        add(mode, f"{op} {r[1]}", dict(rax=5, rbx=0, rdx=0))
        hi = {1: 0, 2: 0xffff, 4: 0xffffffff, 8: 2**64 - 1}[size]
        add(mode, f"{op} {r[1]}", dict(rax=(0xff00 if size == 1 else 0), rbx=1, rdx=(hi if op == "div" else 1)))
    # IDIV most-negative / -1
    add("p32", "idiv bl", dict(rax=0x8000, rbx=0xff, rdx=0))
    add("p32", "idiv bx", dict(rax=0, rbx=0xffff, rdx=0x8000))
    add("p32", "idiv ebx", dict(rax=0, rbx=0xffffffff, rdx=0x80000000))
    add("l64", "idiv rbx", dict(rax=0, rbx=2**64 - 1, rdx=2**63))
    add("l64", "idiv rbx", dict(rax=2**63, rbx=2**64 - 1, rdx=2**64 - 1))  # -2^63 / -1
    add("l64", "idiv rbx", dict(rax=2**63, rbx=1, rdx=2**64 - 1))           # -2^63 / 1 fits
    add("l64", "idiv rbx", dict(rax=0, rbx=2, rdx=2**64 - 1))               # -2^64/2 = -2^63 fits
    add("l64", "idiv rbx", dict(rax=2, rbx=2**64 - 1, rdx=0))
    add("l64", "div rbx", dict(rax=0x123456789abcdef0, rbx=0xfedcba9876543210, rdx=0xfedcba9876543200))
    add("l64", "div rbx", dict(rax=5, rbx=0x8000000000000001, rdx=0x8000000000000000))
for size in (2, 4, 8):
    r = REG[size]
    for mode in MODES[size]:
        b32 = mode != "l64"
        add(mode, f"imul {r[0]}, {r[1]}", dict(rax=val(b32), rbx=val(b32), fl=0x8d5))
        add(mode, f"imul {r[0]}, {mem_operand(mode, size)}", dict(rax=val(b32), rbx=0, fl=0), mem=val(b32), size=size)
        add(mode, f"imul {r[0]}, {r[1]}, {random.choice([-3, 100, 0x7f])}", dict(rbx=val(b32), fl=0))
        imm = random.choice([0x1234, -1000, 0x7fff])
        add(mode, f"imul {r[0]}, {r[1]}, {imm}", dict(rbx=val(b32), fl=0x8d5))
        add(mode, f"imul {r[0]}, {mem_operand(mode, size)}, -2", dict(rbx=0, fl=0), mem=val(b32), size=size)
for mode, size in [("p32", 4), ("p16", 4), ("l64", 4), ("l64", 8)]:
    r = REG[size]
    b32 = mode != "l64"
    add(mode, f"mulx {r[0]}, {r[1]}, {r[2]}", dict(rdx=val(b32), rcx=val(b32), fl=0x8d5))
    add(mode, f"mulx {r[0]}, {r[0]}, {r[2]}", dict(rdx=val(b32), rcx=val(b32), fl=0))
    add(mode, f"mulx {r[0]}, {r[2]}, {mem_operand(mode, size)}", dict(rbx=0, rdx=val(b32), fl=0), mem=val(b32), size=size)
run_all()
print(java_rows())
