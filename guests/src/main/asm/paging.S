# paging: every paging mode, with aliases (write through one linear address, read through
# another that maps the same physical page) and accessed/dirty bits.
#   1. 32-bit paging (CR4.PAE=0): 4 KiB pages; 4 MiB pages (CR4.PSE=1); PSE-36 (physical-address
#      bits 32+ in PDE bits 13+, when CPUID.1:EDX.PSE-36=1): SKIP when there is no RAM at 4 GiB.
#   2. PAE paging: 4 KiB and 2 MiB pages; PDPTE loading: a PDPTE is used after MOV CR3 (and the
#      behaviour for a PDPTE changed in memory without MOV CR3, which differs between Intel (PDPTE
#      registers) and other implementations, is printed as INFO, not checked).
#   3. 4-level paging (IA-32e mode): 4 KiB, 2 MiB and 1 GiB pages (1 GiB when
#      CPUID.80000001H:EDX.Page1GB=1), and an alias in the upper canonical half (PML4 entry 511).
#   4. 5-level paging (CR4.LA57, when CPUID.(7,0):ECX.LA57=1): left IA-32e mode through
#      compatibility mode, set CR4.LA57, loaded a PML5 table and re-entered 64-bit mode; an alias at
#      linear (1<<48) + 0xb000 (PML5 entry 1), which 4-level paging cannot address.
# For each alias: a read through the alias sets A (not D) in the leaf entry and A in the entries
# above it, a write sets D.
# SDM references: Vol. 3A 4.1 (paging modes, 4.1.2 enabling), 4.3 (32-bit paging, tables 4-4 to
# 4-6, PSE-36), 4.4 (PAE paging, 4.4.1 PDPTE registers), 4.5 (4-level and 5-level paging), 4.8
# (accessed and dirty flags), 4.10.4.1 (MOV to CR3 invalidation), 9.8.5 (initializing IA-32e mode),
# 9.8.5.4 (leaving IA-32e mode).
  .include "hvsim.inc"

# Physical test page tpage (.bss, below 2 MiB) and the linear aliases of it.
.set A32_4K,   0x00805000       # 32-bit paging: PDE 2 -> pt32_alias, PTE 5 -> tpage
.set A32_4M,   0x00c00000       # 32-bit paging: PDE 3 = 4 MiB page at physical 0 (+ tpage)
.set A32_PSE36, 0x01000000      # 32-bit paging: PDE 4 = 4 MiB page at physical 4 GiB
.set APAE_2M,  0x00400000       # PAE: PDE 2 = 2 MiB page at physical 0 (+ tpage)
.set APAE_4K,  0x00607000       # PAE: PDE 3 -> pt_pae_alias, PTE 7 -> tpage
.set APAE_PDPT1, 0x40000000     # PAE: PDPTE 1 -> pd_pae1 (2 MiB page at 0) / pd_pae2 (at 2 MiB)
.set A64_4K,   0x80009000       # 4-level: PDPTE 2 -> pd_l, PDE 0 -> pt_l, PTE 9 -> tpage
.set A64_2M,   0x80200000       # 4-level: PDPTE 2 -> pd_l, PDE 1 = 2 MiB page at 0 (+ tpage)
.set A64_1G,   0xc0000000       # 4-level: PDPTE 3 = 1 GiB page at 0 (+ tpage)
.set A64_HIGH, 0xffffff800000a000   # 4-level: PML4E 511 -> pdpt_hi, PDPTE 0 -> pd_l, PTE 10 -> tpage
.set A57,      0x000100000000b000   # 5-level: PML5E 1 -> pml4_57 -> pdpt_57 -> pd_57 -> pt_57, PTE 11


# ALIAS32 name, alias, ident, offset, entry, v1, v2 (32-bit code, paging on): write v1 through
# ident+offset and read it through alias+offset; check the leaf entry then has A=1, D=0; write v2
# through alias+offset, read it through ident+offset, check D=1.
.macro ALIAS32 name, alias, ident, offset, entry, v1, v2
  movl $\v1, \ident+\offset
  mov \alias+\offset, %eax
  CHECK32 "\name: read through the alias sees a write through the identity map", %eax, $\v1
  mov \entry, %eax
  and $(PTE_A | PTE_D), %eax
  CHECK32 "\name: after a read, leaf A=1 D=0", %eax, $PTE_A
  movl $\v2, \alias+\offset
  mov \ident+\offset, %eax
  CHECK32 "\name: a write through the alias is seen through the identity map", %eax, $\v2
  mov \entry, %eax
  and $(PTE_A | PTE_D), %eax
  CHECK32 "\name: after a write, leaf A=1 D=1", %eax, $(PTE_A | PTE_D)
.endm

# ALIAS64 name, alias, ident, entry, v1, v2: the same in 64-bit code, for any 64-bit alias.
.macro ALIAS64 name, alias, ident, entry, v1, v2
  movabs $\alias, %rbx
  lea \ident(%rip), %rcx
  movabs $\v1, %rdx
  mov %rdx, (%rcx)
  mov (%rbx), %rax
  CHECK64 "\name: read through the alias sees a write through the identity map", %rax, %rdx
  mov \entry(%rip), %rax
  and $(PTE_A | PTE_D), %eax
  CHECK64 "\name: after a read, leaf A=1 D=0", %rax, $PTE_A
  movabs $\v2, %rdx
  mov %rdx, (%rbx)
  mov (%rcx), %rax
  CHECK64 "\name: a write through the alias is seen through the identity map", %rax, %rdx
  mov \entry(%rip), %rax
  and $(PTE_A | PTE_D), %eax
  CHECK64 "\name: after a write, leaf A=1 D=1", %rax, $(PTE_A | PTE_D)
.endm

  .text
  .code32
main32:
  PUTS32 "paging: 32-bit paging\n"
  # ---- 1. 32-bit paging -----------------------------------------------------------------------
  # pd32[0] -> pt32_0: identity 0..4 MiB in 4 KiB pages.
  mov $pt32_0, %edi
  xor %ecx, %ecx
1:
  mov %ecx, %eax
  shl $12, %eax
  or $(PTE_P | PTE_W), %eax
  mov %eax, (%edi,%ecx,4)
  inc %ecx
  cmp $1024, %ecx
  jb 1b
  movl $(pt32_0 + PTE_P + PTE_W), pd32
  movl $(pt32_alias + PTE_P + PTE_W), pd32+2*4
  movl $(tpage + PTE_P + PTE_W), pt32_alias+5*4
  mov $pd32, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $CR0_PG, %eax
  mov %eax, %cr0
  ALIAS32 "32-bit 4K", A32_4K, tpage, 0x000, pt32_alias+5*4, 0x11111111, 0x11112222
  mov pd32+2*4, %eax
  and $PTE_A, %eax
  CHECK32 "32-bit 4K: PDE.A set", %eax, $PTE_A

  # 4 MiB pages
  mov %cr4, %eax
  or $CR4_PSE, %eax
  mov %eax, %cr4
  movl $(PTE_P + PTE_W + PTE_PS), pd32+3*4
  mov %cr3, %eax
  mov %eax, %cr3
  ALIAS32 "32-bit 4M (PSE)", A32_4M+tpage, tpage, 0x010, pd32+3*4, 0x22221111, 0x22222222

  # PSE-36: PDE bits 16:13 hold physical-address bits 35:32 (SDM Vol. 3A table 4-4).
  CPUID32_BT 1, 0, edx, CPUID1_EDX_PSE36
  jc 2f
  SKIP32 "32-bit PSE-36", "CPUID.1:EDX.PSE-36=0"
  jmp pse36_done
2:
  movl $(PTE_P + PTE_W + PTE_PS + (1 << 13)), pd32+4*4   # physical 0x1_0000_0000
  mov %cr3, %eax
  mov %eax, %cr3
  movl $0xaaaa5555, tpage+0x20                  # physical tpage+0x20 (below 4 GiB)
  movl $0x3636aaaa, A32_PSE36+tpage+0x20        # physical 4 GiB + tpage + 0x20
  mov A32_PSE36+tpage+0x20, %eax
  mov tpage+0x20, %edx
  cmp $0xaaaa5555, %edx
  je 3f
  FAIL32 "32-bit PSE-36: a write to physical 4 GiB + x changed physical x (bits 32+ ignored)"
  jmp pse36_done
3:
  cmp $0x3636aaaa, %eax
  je 4f
  SKIP32 "32-bit PSE-36", "no RAM at physical 4 GiB: the write did not read back"
  jmp pse36_done
4:
  PASS32 "32-bit PSE-36: 4 MiB page at physical 4 GiB, distinct from physical 0"
pse36_done:

  # ---- 2. PAE paging --------------------------------------------------------------------------
  mov %cr0, %eax
  and $~CR0_PG, %eax
  mov %eax, %cr0
  PUTS32 "paging: PAE paging\n"
  mov $pt_pae0, %edi            # identity 0..2 MiB in 4 KiB pages
  xor %ecx, %ecx
1:
  mov %ecx, %eax
  shl $12, %eax
  or $(PTE_P | PTE_W), %eax
  mov %eax, (%edi,%ecx,8)
  inc %ecx
  cmp $512, %ecx
  jb 1b
  movl $(pt_pae0 + PTE_P + PTE_W), pd_pae0
  movl $(0x200000 + PTE_P + PTE_W + PTE_PS), pd_pae0+1*8    # identity 2..4 MiB
  movl $(PTE_P + PTE_W + PTE_PS), pd_pae0+2*8               # APAE_2M -> physical 0
  movl $(pt_pae_alias + PTE_P + PTE_W), pd_pae0+3*8
  movl $(tpage + PTE_P + PTE_W), pt_pae_alias+7*8
  movl $(pd_pae0 + PTE_P), pdpt_pae                         # PDPTEs: only P, PWT, PCD
  movl $(pd_pae1 + PTE_P), pdpt_pae+1*8
  movl $(PTE_P + PTE_W + PTE_PS), pd_pae1                   # APAE_PDPT1 -> physical 0
  movl $(0x200000 + PTE_P + PTE_W + PTE_PS), pd_pae2        # APAE_PDPT1 -> physical 2 MiB
  mov %cr4, %eax
  or $CR4_PAE, %eax
  mov %eax, %cr4
  mov $pdpt_pae, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $CR0_PG, %eax
  mov %eax, %cr0
  ALIAS32 "PAE 4K", APAE_4K, tpage, 0x030, pt_pae_alias+7*8, 0x33331111, 0x33332222
  ALIAS32 "PAE 2M", APAE_2M+tpage, tpage, 0x040, pd_pae0+2*8, 0x44441111, 0x44442222
  mov pd_pae0+3*8, %eax
  and $PTE_A, %eax
  CHECK32 "PAE 4K: PDE.A set", %eax, $PTE_A

  # PDPTE loading: PDPTE 1 selects pd_pae1 (physical 0) or pd_pae2 (physical 2 MiB).
  movl $0x50501111, tpage+0x50
  movl $0x50502222, 0x200000+tpage+0x50
  mov APAE_PDPT1+tpage+0x50, %eax
  CHECK32 "PAE: PDPTE 1 loaded by MOV CR3 maps the 1 GiB region", %eax, $0x50501111
  movl $(pd_pae2 + PTE_P), pdpt_pae+1*8   # change the PDPTE in memory only
  invlpg APAE_PDPT1+tpage+0x50
  mov APAE_PDPT1+tpage+0x50, %eax
  PUTS32 "INFO PAE: PDPTE changed in memory without MOV CR3: "
  cmp $0x50501111, %eax
  jne 5f
  PUTS32 "old mapping still used (PDPTE registers, as on Intel)\n"
  jmp 6f
5:
  PUTS32 "new mapping used (PDPTEs not cached)\n"
6:
  mov %cr3, %eax
  mov %eax, %cr3
  mov APAE_PDPT1+tpage+0x50, %eax
  CHECK32 "PAE: after MOV CR3 the changed PDPTE is used", %eax, $0x50502222

  # ---- 3. 4-level paging ----------------------------------------------------------------------
  mov %cr0, %eax
  and $~CR0_PG, %eax
  mov %eax, %cr0
  call build_identity_tables    # runtime64.inc: pml4 -> pdpt0 -> pd0 (-> pt0), identity 1 GiB
  movl $(pd_l + PTE_P + PTE_W), pdpt0+2*8
  movl $(pt_l + PTE_P + PTE_W), pd_l
  movl $(PTE_P + PTE_W + PTE_PS), pd_l+1*8
  movl $(tpage + PTE_P + PTE_W), pt_l+9*8
  movl $(tpage + PTE_P + PTE_W), pt_l+10*8
  movl $(pdpt_hi + PTE_P + PTE_W), pml4+511*8
  movl $(pd_l + PTE_P + PTE_W), pdpt_hi
  mov $pml4, %eax
  xor %edx, %edx
  jmp enter_long_mode_cr3

  .code64
main64:
  PUTS64 "paging: 4-level paging\n"
  ALIAS64 "4-level 4K", A64_4K+0x60, tpage+0x60, pt_l+9*8, 0x6666666611111111, 0x6666666622222222
  ALIAS64 "4-level 2M", A64_2M+tpage+0x70, tpage+0x70, pd_l+1*8, 0x7777777711111111, 0x7777777722222222
  mov pd_l(%rip), %rax
  and $PTE_A, %eax
  CHECK64 "4-level 4K: PDE.A set", %rax, $PTE_A
  mov pdpt0+2*8(%rip), %rax
  and $PTE_A, %eax
  CHECK64 "4-level 4K: PDPTE.A set", %rax, $PTE_A
  mov pml4(%rip), %rax
  and $PTE_A, %eax
  CHECK64 "4-level 4K: PML4E.A set", %rax, $PTE_A
  ALIAS64 "4-level upper half (PML4E 511)", A64_HIGH+0x80, tpage+0x80, pt_l+10*8, 0x8888888811111111, 0x8888888822222222
  mov pml4+511*8(%rip), %rax
  and $PTE_A, %eax
  CHECK64 "4-level upper half: PML4E 511.A set", %rax, $PTE_A

  CPUID64_BT 0x80000001, 0, edx, CPUIDX1_EDX_PAGE1GB
  jc 1f
  SKIP64 "4-level 1G", "CPUID.80000001H:EDX.Page1GB=0"
  jmp 2f
1:
  movq $(PTE_P + PTE_W + PTE_PS), pdpt0+3*8(%rip)
  mov %cr3, %rax
  mov %rax, %cr3
  ALIAS64 "4-level 1G", A64_1G+tpage+0x90, tpage+0x90, pdpt0+3*8, 0x9999999911111111, 0x9999999922222222
2:

  # ---- 4. 5-level paging ----------------------------------------------------------------------
  CPUID64_BT 7, 0, ecx, CPUID7_ECX_LA57
  jc 3f
  SKIP64 "5-level paging", "CPUID.(7,0):ECX.LA57=0"
  FINISH64
3:
  PUTS64 "paging: 5-level paging\n"
  lea pml4+PTE_P+PTE_W(%rip), %rax
  mov %rax, pml5(%rip)          # PML5E 0: the 4-level identity map
  lea pml4_57+PTE_P+PTE_W(%rip), %rax
  mov %rax, pml5+1*8(%rip)
  lea pdpt_57+PTE_P+PTE_W(%rip), %rax
  mov %rax, pml4_57(%rip)
  lea pd_57+PTE_P+PTE_W(%rip), %rax
  mov %rax, pdpt_57(%rip)
  lea pt_57+PTE_P+PTE_W(%rip), %rax
  mov %rax, pd_57(%rip)
  lea tpage+PTE_P+PTE_W(%rip), %rax
  mov %rax, pt_57+11*8(%rip)
  # CR4.LA57 can change only outside IA-32e mode: leave it through compatibility mode.
  pushq $SEL_CODE32
  pushq $la57_compat
  lretq
  .code32
la57_compat:
  mov %cr0, %eax
  and $~CR0_PG, %eax
  mov %eax, %cr0                # EFER.LMA=0: 32-bit protected mode, paging off
  mov %cr4, %eax
  or $CR4_LA57, %eax
  mov %eax, %cr4
  mov $pml5, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $CR0_PG, %eax
  mov %eax, %cr0                # EFER.LMA=1 with 5-level paging
  ljmp $SEL_CODE64, $la57_64
  .code64
la57_64:
  mov %cr4, %rax
  and $CR4_LA57, %eax
  CHECK64 "5-level: CR4.LA57=1 in 64-bit mode", %rax, $CR4_LA57
  ALIAS64 "5-level (PML5E 1, linear 1<<48)", A57+0xa0, tpage+0xa0, pt_57+11*8, 0xaaaaaaaa11111111, 0xaaaaaaaa22222222
  mov pml5+1*8(%rip), %rax
  and $PTE_A, %eax
  CHECK64 "5-level: PML5E.A set", %rax, $PTE_A
  FINISH64

  .bss
  .balign 4096
tpage:        .space 4096
pd32:         .space 4096
pt32_0:       .space 4096
pt32_alias:   .space 4096
pd_pae0:      .space 4096
pt_pae0:      .space 4096
pt_pae_alias: .space 4096
pd_pae1:      .space 4096
pd_pae2:      .space 4096
pd_l:         .space 4096
pt_l:         .space 4096
pdpt_hi:      .space 4096
pml5:         .space 4096
pml4_57:      .space 4096
pdpt_57:      .space 4096
pd_57:        .space 4096
pt_57:        .space 4096
pdpt_pae:     .space 32         # 32-byte aligned (here: page aligned)

  .include "runtime64.inc"
  .include "runtime32.inc"
