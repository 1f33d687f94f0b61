#!/usr/bin/env python3
"""Cross-checks the "bytes | disassembly" columns of the datactl family tests against objdump.

Usage: python3 check_disasm.py x86-core/src/test/java/dev/hvsim/x86core/exec/{Move,Exchange,Stack,Branch,StringOps,Misc}Test.java

Each table row "mode | hex bytes | disassembly | setup | expectation" is disassembled with objdump in the
row's code size (-M intel; -M amd64 for ":amd" rows; addresses as in the tests: IP 0 in real mode, linear
0x10000 otherwise) and compared after normalising operand-size keywords and ds: forms. Rows whose
disassembly column starts with "(" are descriptions (vendor-specific or invalid encodings) and are skipped.
Needs binutils; not part of the Maven build.
"""
import re,subprocess,sys,os,tempfile
tmp=os.path.join(tempfile.mkdtemp(),'x.bin')
arch={'r16':'i8086','p16':'i8086','p32':'i386','l64':'i386:x86-64'}
bad=0; n=0
for f in sys.argv[1:]:
    for line in open(f):
        m=re.match(r'\s*(r16|p16|p32|l64)((?::amd)?)\s*\|\s*([0-9a-f ]+?)\s*\|\s*([^|]*?)\s*\|',line)
        if not m: continue
        mode,amd,hexs,asm=m.groups()
        if asm.startswith('('): continue
        b=bytes.fromhex(hexs.replace(' ',''))
        open(tmp,'wb').write(b)
        out=subprocess.run(['objdump','-D','-b','binary','-m',arch[mode],'-M','intel' + (',amd64' if amd else ''),'--adjust-vma='+('0' if mode=='r16' else '0x10000'),tmp],capture_output=True,text=True).stdout
        lines=[l for l in out.splitlines() if re.match(r'\s+[0-9a-f]+:\t',l)]
        # join instruction text of all lines (prefix-only lines)
        txt=' '.join(l.split('\t')[2] if len(l.split('\t'))>2 else '' for l in lines)
        def norm(x):
            x=re.sub(r'\s+',' ',x.lower().replace(', ',',')).strip()
            x=re.sub(r'(byte|word|dword|qword|tbyte|xmmword) ptr ','',x)
            x=re.sub(r'\b(ds|cs|es|ss|fs|gs):(0x[0-9a-f]+)',lambda m:(m.group(1)+':' if m.group(1)!='ds' else '')+'['+m.group(2)+']',x)
            x=re.sub(r'\bds:\[','[',x)
            return x
        n+=1
        a=norm(asm); t=norm(txt)
        t2=re.sub(r'\s*#.*','',t)
        if a!=t2 and a.replace(' ','')!=t2.replace(' ',''):
            bad+=1
            print(f"{os.path.basename(f)}: {mode} {hexs!r}: table='{asm}' objdump='{t2}'")
print(n,'rows checked,',bad,'differ')
