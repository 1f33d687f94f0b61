exec(open("gen_cases.py").read())
for op in ["bt", "bts", "btr", "btc"]:
    for size in (2, 4, 8):
        r = REG[size]
        for mode in MODES[size]:
            b32 = mode != "l64"
            add(mode, f"{op} {r[1]}, {r[0]}", dict(rax=random.choice([0, 5, 15, 31, 63, 100, 2**63 + 3]) & (0xffffffff if b32 else 2**64 - 1), rbx=val(b32), fl=random.getrandbits(12) & 0x8d5))
            add(mode, f"{op} {r[1]}, {random.choice([1, 15, 33, 200])}", dict(rbx=val(b32), fl=random.getrandbits(12) & 0x8d5))
            # memory: bit base with a register offset inside, after and before the operand
            for off, memoff in ((3, 0), (size * 8 + 5, size), (-1 & ((1 << (8 * size)) - 1), -size)):
                if memoff < 0 and BITS[mode] == 16:
                    continue  # 16-bit addressing would wrap [bx-2] to 0xfffe, unlike the host's [r9-2]
                add(mode, f"{op} {mem_operand(mode, size)}, {r[0]}", dict(rax=off, rbx=0, fl=random.getrandbits(12) & 0x8d5),
                    mem=val(b32), size=size, memoff=memoff)
            add(mode, f"{op} {mem_operand(mode, size)}, {size * 8 + 2}", dict(rbx=0, fl=0), mem=val(b32), size=size)
for op in ["bsf", "bsr", "tzcnt", "lzcnt", "popcnt"]:
    for size in (2, 4, 8):
        r = REG[size]
        for mode in MODES[size]:
            b32 = mode != "l64"
            for v in (0, val(b32), 1 << (8 * size - 1)):
                add(mode, f"{op} {r[0]}, {r[1]}", dict(rax=0x5555 if b32 else 0x1111222233334444, rbx=v, fl=random.getrandbits(12) & 0x8d5))
            add(mode, f"{op} {r[0]}, {mem_operand(mode, size)}", dict(rax=7, rbx=0, fl=0x8d5), mem=val(b32), size=size)
for mode, size in [("p32", 4), ("p16", 4), ("l64", 4), ("l64", 8)]:
    r = REG[size]
    b32 = mode != "l64"
    M = mem_operand(mode, size)
    for v in (0, val(b32)):
        add(mode, f"andn {r[0]}, {r[1]}, {r[2]}", dict(rbx=val(b32), rcx=v, fl=0x8d5))
        add(mode, f"bextr {r[0]}, {r[1]}, {r[2]}", dict(rbx=val(b32), rcx=random.choice([0x0804, 0x2000, 0x1010, 0xff00, 0x0840, 0x4000]), fl=0x8d5))
        for op in ("blsr", "blsmsk", "blsi"):
            add(mode, f"{op} {r[0]}, {r[1]}", dict(rbx=v, fl=random.getrandbits(12) & 0x8d5))
        add(mode, f"bzhi {r[0]}, {r[1]}, {r[2]}", dict(rbx=val(b32), rcx=random.choice([0, 7, 31, 32, 64, 0x1ff, 255]), fl=0x8d5))
        add(mode, f"pdep {r[0]}, {r[1]}, {r[2]}", dict(rbx=val(b32), rcx=v, fl=0x8d5))
        add(mode, f"pext {r[0]}, {r[1]}, {r[2]}", dict(rbx=val(b32), rcx=v, fl=0x8d5))
        add(mode, f"adcx {r[0]}, {r[1]}", dict(rax=val(b32), rbx=val(b32), fl=random.getrandbits(12) & 0x8d5))
        add(mode, f"adox {r[0]}, {r[1]}", dict(rax=val(b32), rbx=val(b32), fl=random.getrandbits(12) & 0x8d5))
    add(mode, f"andn {r[0]}, {r[2]}, {M}", dict(rbx=0, rcx=val(b32), fl=0), mem=val(b32), size=size)
    add(mode, f"bextr {r[0]}, {M}, {r[2]}", dict(rbx=0, rcx=0x0c04, fl=0), mem=val(b32), size=size)
    for op in ("blsr", "blsmsk", "blsi"):
        add(mode, f"{op} {r[0]}, {M}", dict(rbx=0, fl=0), mem=val(b32), size=size)
    add(mode, f"bzhi {r[0]}, {M}, {r[2]}", dict(rbx=0, rcx=9, fl=0), mem=val(b32), size=size)
    add(mode, f"pdep {r[0]}, {r[2]}, {M}", dict(rbx=0, rcx=val(b32), fl=0), mem=val(b32), size=size)
    add(mode, f"pext {r[0]}, {r[2]}, {M}", dict(rbx=0, rcx=val(b32), fl=0), mem=val(b32), size=size)
    add(mode, f"adcx {r[0]}, {M}", dict(rax=val(b32), rbx=0, fl=1), mem=val(b32), size=size)
    add(mode, f"adox {r[0]}, {M}", dict(rax=val(b32), rbx=0, fl=0x800), mem=val(b32), size=size)
run_all()
print(java_rows())
