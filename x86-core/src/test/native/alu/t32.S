    .set BASE, 0x40000000
    .set ST, BASE + 0x800
    .text
    .code64
entry64:
    push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15
    mov %rsp, saved_rsp
    mov $(BASE + 0xf00), %rsp
    lcall *farptr
    mov saved_rsp, %rsp
    pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx
    ret
    .balign 8
saved_rsp: .quad 0
farptr: .long code32
        .word 0x23
    .code32
code32:
    push %ss; pop %ds
    push %ss; pop %es
    mov ST+0, %eax
    mov ST+4, %ebx
    mov ST+8, %ecx
    mov ST+12, %edx
    mov ST+16, %esi
    mov ST+20, %edi
    pushl ST+24
    popfl
slot:
    .fill 32,1,0x90
    pushfl
    popl ST+24
    mov %eax, ST+0
    mov %ebx, ST+4
    mov %ecx, ST+8
    mov %edx, ST+12
    mov %esi, ST+16
    mov %edi, ST+20
    lret
