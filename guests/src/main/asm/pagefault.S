# pagefault: page faults in 4-level paging with exact error codes and CR2.
# Every faulting access is an EXPECT_PF / EXPECT_AT record: the #PF handler (runtime64.inc) checks
# the pushed error code and CR2 against the record and resumes after the access.
#   CPL0: read / write of a not-present page (0, 2); write to a read-only page with CR0.WP=1 (3)
#         and without fault with CR0.WP=0; reserved bits: a physical-address bit >= MAXPHYADDR in a
#         PTE (9, 0xb), XD=1 with EFER.NXE=0 (9), PS=1 in a PML4E (9); instruction fetch from an
#         XD page with EFER.NXE=1 (0x11) and from a not-present page (0x10);
#         SMEP: fetch from a user page (0x11); SMAP: read / write of a user page with EFLAGS.AC=0
#         (1, 3) and no fault with STAC.
#   CPL3: read / write not present (4, 6); read / write of a supervisor page (5, 7); write to a
#         user read-only page (7); fetch from a supervisor page (0x15); PKU: read with PKRU.AD=1
#         (0x25), write with PKRU.WD=1 (0x27).
# SMEP, SMAP and PKU are tested only when CPUID advertises them (SKIP lines otherwise).
# SDM references: Vol. 3A 4.7 (page-fault exceptions, error code bits P W/R U/S RSVD I/D PK),
# 4.6 (access rights: 4.6.1 CR0.WP, SMEP, SMAP, 4.6.2 protection keys), 4.5 (4-level paging,
# reserved bits in tables 4-14 to 4-20), 6.15 (interrupt 14), 2.2.1 (IA32_EFER.NXE).
  .include "hvsim.inc"

.set TBASE, 0x40000000          # test region: PDPT entry 1 of the identity map -> pd_t -> pt_t
.set T_NP,   TBASE + 0x0000     # page 0: not present
.set T_SRO,  TBASE + 0x1000     # page 1: supervisor, read-only
.set T_URW,  TBASE + 0x2000     # page 2: user, read/write
.set T_URO,  TBASE + 0x3000     # page 3: user, read-only
.set T_NX,   TBASE + 0x4000     # page 4: supervisor, read/write, XD
.set T_RSVD, TBASE + 0x5000     # page 5: supervisor, physical-address bit MAXPHYADDR set
.set T_UX,   TBASE + 0x6000     # page 6: user, executable (read-only)
.set T_PK,   TBASE + 0x7000     # page 7: user, read/write, protection key 1
.set T_XD0,  TBASE + 0x8000     # page 8: supervisor, XD (tested while EFER.NXE=0)
.set T_PAGES, 9
.set T_PML4_RSVD, 0x8000000000  # PML4 entry 1, which has PS=1 (reserved)
.set UD2_FILL, 0x0b0f0b0f0b0f0b0f

  .text
  .code32
main32:
  jmp enter_long_mode

  .code64
main64:
  PUTS64 "pagefault: 4-level paging, #PF error codes and CR2\n"
  call setup_region
  CR0_SET CR0_WP

  # ---- CPL0: not present, read-only, CR0.WP ----
  EXPECT_PF "cpl0 read not-present", 0, T_NP+0x123, mov T_NP+0x123, %rax
  EXPECT_PF "cpl0 write not-present", PFEC_W, T_NP+0x128, movq $1, T_NP+0x128
  EXPECT_PF "cpl0 write read-only page, CR0.WP=1", PFEC_P|PFEC_W, T_SRO+0x8, movq $2, T_SRO+0x8
  CR0_CLEAR CR0_WP
  mov $0x1234abcd, %eax
  mov %rax, T_SRO+0x10          # no fault: supervisor writes ignore R/W when CR0.WP=0
  CR0_SET CR0_WP
  mov tpages+0x1000+0x10(%rip), %rax
  CHECK64 "cpl0 write read-only page, CR0.WP=0: no fault, value stored", %rax, $0x1234abcd
  mov pt_t+1*8(%rip), %rax
  and $PTE_D, %eax
  CHECK64 "cpl0 write read-only page, CR0.WP=0: PTE.D set", %rax, $PTE_D

  # ---- reserved bits (SDM Vol. 3A 4.5.4 / table 4-20 and 4.7 RSVD) ----
  EXPECT_PF "cpl0 read, XD=1 while EFER.NXE=0 (reserved)", PFEC_P|PFEC_RSVD, T_XD0+0x10, mov T_XD0+0x10, %rax
  EXPECT_PF "cpl0 read, PML4E.PS=1 (reserved)", PFEC_P|PFEC_RSVD, T_PML4_RSVD+0x18, mov T_PML4_RSVD+0x18, %rax
  cmpb $0, have_rsvd_pa_bit(%rip)
  je 1f
pf_rsvd_read:
  EXPECT_PF "cpl0 read, PTE address bit MAXPHYADDR set (reserved)", PFEC_P|PFEC_RSVD, T_RSVD+0x20, mov T_RSVD+0x20, %rax
pf_rsvd_write:
  EXPECT_PF "cpl0 write, PTE address bit MAXPHYADDR set (reserved)", PFEC_P|PFEC_W|PFEC_RSVD, T_RSVD+0x28, movq $3, T_RSVD+0x28
  jmp 2f
1:
  lea pf_rsvd_read(%rip), %rdi
  call xt_skip
  lea pf_rsvd_write(%rip), %rdi
  call xt_skip
2:

  # ---- EFER.NXE: instruction fetches ----
  CPUID64_BT 0x80000001, 0, edx, CPUIDX1_EDX_NX
  jnc no_nx
  EFER_SET EFER_NXE
  mov $T_NX+0x30, %eax
  EXPECT_AT "cpl0 fetch from XD page, EFER.NXE=1", VEC_PF, PFEC_P|PFEC_I, T_NX+0x30, T_NX+0x30, jmp *%rax
  mov $T_NP+0x40, %eax
  EXPECT_AT "cpl0 fetch from not-present page, EFER.NXE=1", VEC_PF, PFEC_I, T_NP+0x40, T_NP+0x40, jmp *%rax
  movb $1, have_nx(%rip)
  movb $1, user_have_nx(%rip)
  jmp nx_done
no_nx:
  SKIP64 "XD / instruction-fetch error codes", "CPUID.80000001H:EDX.NX=0"
  mov $T_NX+0x30, %edi
  call xt_skip
  mov $T_NP+0x40, %edi
  call xt_skip
nx_done:

  # ---- SMEP ----
  CPUID64_BT 7, 0, ebx, CPUID7_EBX_SMEP
  jnc no_smep
  CR4_SET CR4_SMEP
  mov $T_UX+0x10, %eax
  EXPECT_AT "cpl0 fetch from user page, CR4.SMEP=1", VEC_PF, PFEC_P|PFEC_I, T_UX+0x10, T_UX+0x10, jmp *%rax
  CR4_CLEAR CR4_SMEP
  jmp smep_done
no_smep:
  mov $T_UX+0x10, %edi
  call xt_skip
smep_done:

  # ---- SMAP ----
  CPUID64_BT 7, 0, ebx, CPUID7_EBX_SMAP
  jnc no_smap
  CR4_SET CR4_SMAP
  clac
smap_read:
  EXPECT_PF "cpl0 read user page, CR4.SMAP=1, EFLAGS.AC=0", PFEC_P, T_URW+0x10, mov T_URW+0x10, %rax
smap_write:
  EXPECT_PF "cpl0 write user page, CR4.SMAP=1, EFLAGS.AC=0", PFEC_P|PFEC_W, T_URW+0x18, movq $4, T_URW+0x18
  stac
  mov T_URW+0x20, %rax          # no fault with EFLAGS.AC=1
  clac
  movabs $UD2_FILL, %rdx
  CHECK64 "cpl0 read user page, CR4.SMAP=1, EFLAGS.AC=1: no fault", %rax, %rdx
  CR4_CLEAR CR4_SMAP
  jmp smap_done
no_smap:
  lea smap_read(%rip), %rdi
  call xt_skip
  lea smap_write(%rip), %rdi
  call xt_skip
smap_done:

  # ---- CPL3 ----
  cmpb $0, have_nx(%rip)
  jne 1f
  mov $T_SRO+0x40, %edi         # without NX, I/D is not reported: skip the fetch check
  call xt_skip
1:
  lea user_pf_tests(%rip), %rdi
  lea user_stack_top(%rip), %rsi
  mov $RFLAGS_FIXED1, %edx
  call run_user64
  mov user_read_value(%rip), %rax
  movabs $UD2_FILL, %rdx
  CHECK64 "cpl3 read user page: no fault", %rax, %rdx

  # ---- protection keys ----
  CPUID64_BT 7, 0, ecx, CPUID7_ECX_PKU
  jnc no_pku
  CR4_SET CR4_PKE
  mov $(1 << 2), %eax           # PKRU.AD for key 1
  xor %ecx, %ecx
  xor %edx, %edx
  wrpkru
  lea user_pk_read(%rip), %rdi
  lea user_stack_top(%rip), %rsi
  mov $RFLAGS_FIXED1, %edx
  call run_user64
  mov $(1 << 3), %eax           # PKRU.WD for key 1
  xor %ecx, %ecx
  xor %edx, %edx
  wrpkru
  lea user_pk_write(%rip), %rdi
  lea user_stack_top(%rip), %rsi
  mov $RFLAGS_FIXED1, %edx
  call run_user64
  xor %eax, %eax
  xor %ecx, %ecx
  xor %edx, %edx
  wrpkru
  CR4_CLEAR CR4_PKE
  jmp pku_done
no_pku:
  lea pk_read(%rip), %rdi
  call xt_skip
  lea pk_write(%rip), %rdi
  call xt_skip
pku_done:
  FINISH64

# setup_region: fill the test pages with UD2, build pt_t / pd_t, link them at TBASE, and put a
# PML4 entry with PS=1 at index 1.
setup_region:
  lea tpages(%rip), %rdi
  mov $(T_PAGES * 4096 / 8), %ecx
  movabs $UD2_FILL, %rax
  rep stosq
  # reserved physical-address bit: MAXPHYADDR from CPUID.80000008H:EAX[7:0] (36 if absent)
  mov $36, %r8d
  mov $0x80000000, %eax
  cpuid
  cmp $0x80000008, %eax
  jb 1f
  mov $0x80000008, %eax
  cpuid
  movzbl %al, %r8d
1:
  xor %r9d, %r9d                # reserved bit as a mask, or 0 if MAXPHYADDR is 52
  cmp $52, %r8d
  jae 2f
  bts %r8, %r9
  movb $1, have_rsvd_pa_bit(%rip)
2:
  lea tpages(%rip), %rbx
  lea pt_t(%rip), %rdi
  movq $0, 0*8(%rdi)
  lea 0x1000+PTE_P(%rbx), %rax
  mov %rax, 1*8(%rdi)
  lea 0x2000+PTE_P+PTE_W+PTE_U(%rbx), %rax
  mov %rax, 2*8(%rdi)
  lea 0x3000+PTE_P+PTE_U(%rbx), %rax
  mov %rax, 3*8(%rdi)
  lea 0x4000+PTE_P+PTE_W(%rbx), %rax
  bts $63, %rax
  mov %rax, 4*8(%rdi)
  lea 0x5000+PTE_P+PTE_W(%rbx), %rax
  or %r9, %rax
  mov %rax, 5*8(%rdi)
  lea 0x6000+PTE_P+PTE_U(%rbx), %rax
  mov %rax, 6*8(%rdi)
  lea 0x7000+PTE_P+PTE_W+PTE_U(%rbx), %rax
  bts $59, %rax                 # protection key 1 (bits 62:59)
  mov %rax, 7*8(%rdi)
  lea 0x8000+PTE_P+PTE_W(%rbx), %rax
  bts $63, %rax
  mov %rax, 8*8(%rdi)
  lea PTE_P+PTE_W+PTE_U(%rdi), %rax
  mov %rax, pd_t(%rip)
  lea pd_t+PTE_P+PTE_W+PTE_U(%rip), %rax
  mov %rax, pdpt0+1*8(%rip)
  lea pdpt0+PTE_P+PTE_W+PTE_PS(%rip), %rax
  mov %rax, pml4+1*8(%rip)
  mov %cr3, %rax
  mov %rax, %cr3
  ret

# ---- CPL3 code (in .user, mapped user-accessible) ----
  .section .user.text, "ax"
user_pf_tests:
  EXPECT_PF "cpl3 read not-present", PFEC_U, T_NP+0x10, mov T_NP+0x10, %rax
  EXPECT_PF "cpl3 write not-present", PFEC_U|PFEC_W, T_NP+0x18, movq $5, T_NP+0x18
  EXPECT_PF "cpl3 read supervisor page", PFEC_U|PFEC_P, T_SRO+0x20, mov T_SRO+0x20, %rax
  EXPECT_PF "cpl3 write supervisor page", PFEC_U|PFEC_P|PFEC_W, T_SRO+0x28, movq $6, T_SRO+0x28
  EXPECT_PF "cpl3 write user read-only page", PFEC_U|PFEC_P|PFEC_W, T_URO+0x30, movq $7, T_URO+0x30
  mov T_URW+0x38, %rax          # no fault
  mov %rax, user_read_value(%rip)
  cmpb $0, user_have_nx(%rip)
  je 1f
  mov $T_SRO+0x40, %eax
  EXPECT_AT "cpl3 fetch from supervisor page", VEC_PF, PFEC_U|PFEC_P|PFEC_I, T_SRO+0x40, T_SRO+0x40, jmp *%rax
1:
  syscall

user_pk_read:
pk_read:
  EXPECT_PF "cpl3 read, PKRU.AD=1 for the page's key", PFEC_U|PFEC_P|PFEC_PK, T_PK+0x10, mov T_PK+0x10, %rax
  syscall
user_pk_write:
  mov T_PK+0x18, %rax           # reads are allowed with only WD set
pk_write:
  EXPECT_PF "cpl3 write, PKRU.WD=1 for the page's key", PFEC_U|PFEC_P|PFEC_W|PFEC_PK, T_PK+0x20, movq $8, T_PK+0x20
  syscall

  .section .user.data, "aw"
  .balign 8
user_read_value: .quad 0
user_have_nx: .byte 0

  .data
have_rsvd_pa_bit: .byte 0
have_nx: .byte 0

  .bss
  .balign 4096
pd_t: .space 4096
pt_t: .space 4096
tpages: .space T_PAGES * 4096

  .include "runtime64.inc"
  .include "runtime32.inc"
