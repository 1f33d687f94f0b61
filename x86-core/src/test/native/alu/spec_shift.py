exec(open("gen_cases.py").read())
for op in ["rol", "ror", "rcl", "rcr", "shl", "shr", "sar", "sal6"]:
    real = "shl" if op == "sal6" else op
    post = alias6 if op == "sal6" else None
    for size in (1, 2, 4, 8):
        r = REG[size]
        for mode in MODES[size]:
            b32 = mode != "l64"
            cnt = random.choice([1, 2, 3, 7, 9, 17, 31, 33, 63]) if size == 8 else random.choice([1, 2, 3, 7, 8, 9, 16, 17, 31])
            # register forms: by 1, by CL, by imm8
            add(mode, f"{real} {r[1]}, 1", dict(rbx=val(b32), fl=random.getrandbits(12) & 0x8d5), post=post)
            add(mode, f"{real} {r[1]}, cl", dict(rbx=val(b32), rcx=cnt, fl=random.getrandbits(12) & 0x8d5), post=post)
            add(mode, f"{real} {r[1]}, {random.choice([2, 5, 12, 40, 200])}", dict(rbx=val(b32), fl=random.getrandbits(12) & 0x8d5), post=post)
            # memory forms
            m = mem_operand(mode, size)
            add(mode, f"{real} {m}, 1", dict(rbx=0, fl=random.getrandbits(12) & 0x8d5), mem=val(b32), size=size, post=post)
            add(mode, f"{real} {m}, cl", dict(rbx=0, rcx=cnt, fl=random.getrandbits(12) & 0x8d5), mem=val(b32), size=size, post=post)
            add(mode, f"{real} {m}, {random.choice([3, 6, 13])}", dict(rbx=0, fl=random.getrandbits(12) & 0x8d5), mem=val(b32), size=size, post=post)
    # count 0 (masked): flags unaffected; ah (high byte) form
    add("l64", f"{real} ebx, cl", dict(rbx=2**64 - 1, rcx=32, fl=0x8d5), post=post)
    add("p32", f"{real} ah, cl", dict(rax=0x1234, rcx=3, fl=0), post=post)
for op in ["shld", "shrd"]:
    for size in (2, 4, 8):
        r = REG[size]
        for mode in MODES[size]:
            b32 = mode != "l64"
            for cnt in ([1, 5, 16, 17, 24, 31] if size == 2 else [1, 7, 31] if size == 4 else [1, 40, 63]):
                add(mode, f"{op} {r[1]}, {r[0]}, cl", dict(rax=val(b32), rbx=val(b32), rcx=cnt, fl=random.getrandbits(12) & 0x8d5))
            add(mode, f"{op} {r[1]}, {r[0]}, {random.choice([3, 9, 20])}", dict(rax=val(b32), rbx=val(b32), fl=random.getrandbits(12) & 0x8d5))
            m = mem_operand(mode, size)
            add(mode, f"{op} {m}, {r[0]}, cl", dict(rax=val(b32), rbx=0, rcx=random.choice([4, 11]), fl=random.getrandbits(12) & 0x8d5), mem=val(b32), size=size)
            add(mode, f"{op} {m}, {r[0]}, 5", dict(rax=val(b32), rbx=0, fl=random.getrandbits(12) & 0x8d5), mem=val(b32), size=size)
for op in ["sarx", "shlx", "shrx"]:
    for mode, size in [("p32", 4), ("p16", 4), ("l64", 4), ("l64", 8)]:
        r = REG[size]
        add(mode, f"{op} {r[0]}, {r[1]}, {r[2]}", dict(rbx=val(mode != "l64"), rcx=random.choice([0, 1, 31, 33, 63, 100]), fl=0x8d5))
        add(mode, f"{op} {r[0]}, {mem_operand(mode, size)}, {r[2]}", dict(rbx=0, rcx=random.choice([4, 35]), fl=0), mem=val(mode != "l64"), size=size)
for mode, size in [("p32", 4), ("p16", 4), ("l64", 4), ("l64", 8)]:
    r = REG[size]
    add(mode, f"rorx {r[0]}, {r[1]}, {random.choice([1, 8, 31, 45])}", dict(rbx=val(mode != "l64"), fl=0x8d5))
    add(mode, f"rorx {r[0]}, {mem_operand(mode, size)}, 3", dict(rbx=0, fl=0), mem=val(mode != "l64"), size=size)
run_all()
print(java_rows())
