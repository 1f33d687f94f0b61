    .text
    .globl thunk_start, thunk_slot, thunk_end
# void thunk(struct st *p)  p: 0 rax,8 rbx,16 rcx,24 rdx,32 rsi,40 rdi,48 r8,56 r9,64 flags, 72 mem[64]
thunk_start:
    push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15
    mov %rdi, %r15
    mov 0(%r15), %rax
    mov 8(%r15), %rbx
    mov 16(%r15), %rcx
    mov 24(%r15), %rdx
    mov 32(%r15), %rsi
    mov 48(%r15), %r8
    lea 104(%r15), %r9
    pushq 64(%r15)
    popfq
    mov 40(%r15), %rdi
thunk_slot:
    .fill 32,1,0x90
    pushfq
    popq 64(%r15)
    mov %rax, 0(%r15)
    mov %rbx, 8(%r15)
    mov %rcx, 16(%r15)
    mov %rdx, 24(%r15)
    mov %rsi, 32(%r15)
    mov %rdi, 40(%r15)
    mov %r8, 48(%r15)
    mov %r9, 56(%r15)
    pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx
    ret
thunk_end:
