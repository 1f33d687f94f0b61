import subprocess, re, tempfile, os
def assemble(lines, bits=64):
    """Returns list of hex strings, one per instruction line (intel syntax)."""
    src = ".intel_syntax noprefix\n" + (".code32\n" if bits == 32 else ".code16\n" if bits == 16 else "") + "\n".join(lines) + "\n"
    d = tempfile.mkdtemp()
    open(d + "/a.s", "w").write(src)
    subprocess.run(["as", "--64" if bits == 64 else "--32", "-o", d + "/a.o", d + "/a.s"], check=True)
    arch = "i386:x86-64" if bits == 64 else "i386" if bits == 32 else "i8086"
    out = subprocess.run(["objdump", "-d", "--insn-width=16", "-M", "intel" + ("" if bits != 16 else ",i8086"), d + "/a.o"], capture_output=True, text=True).stdout
    res = []
    for l in out.split("\n"):
        m = re.match(r"\s+[0-9a-f]+:\t((?:[0-9a-f]{2} )+)\s*\t(.*)", l)
        if m: res.append((m.group(1).replace(" ", ""), m.group(2).strip()))
    assert len(res) == len(lines), (len(res), len(lines))
    return res
if __name__ == "__main__":
    print(assemble(["shl rax, cl", "sal eax, 1", "shld ax, bx, 17", "sarx rax, rbx, rcx", "rorx eax, ebx, 5", "mulx rax, rbx, rcx", "andn rax, rbx, rcx", "bextr rax, rbx, rcx", "blsr rax, rbx", "pdep rax, rbx, rcx", "adcx rax, rbx", "adox eax, ebx", "lzcnt ax, bx", "imul rax, rbx, -3", "bt rax, rbx"]))
