/*
 * vmx.h: the VMX set-up shared by vmx-hv and vmx-exit-loop (include hvlib.h first). What a real
 * hypervisor does before its first VMLAUNCH, with the sections of the Intel SDM Vol. 3C it follows:
 *
 *   - CPUID.1:ECX.VMX[bit 5] (24.6 "Discovering support for VMX");
 *   - IA32_FEATURE_CONTROL (MSR 3AH): lock it with "enable VMX outside SMX" if firmware left it
 *     unlocked; if it is locked without that bit, VMXON would #GP (24.7 "Enabling and entering VMX
 *     operation");
 *   - CR0 and CR4 adjusted to IA32_VMX_CR0_FIXED0/1 and IA32_VMX_CR4_FIXED0/1 (24.8 "Restrictions on
 *     VMX operation"), which sets CR4.VMXE;
 *   - the VMCS revision identifier from IA32_VMX_BASIC[30:0] in the VMXON region and the VMCS region
 *     (25.2 "Format of the VMCS region", Appendix A.1);
 *   - VMXON, VMCLEAR, VMPTRLD, each checked for VMfail (31.2 "Conventions");
 *   - every VM-execution, VM-exit and VM-entry control word computed from its capability MSR, the
 *     TRUE_ one when IA32_VMX_BASIC[55] is 1 (Appendix A.3-A.5, 25.6 "VM-execution control fields"):
 *     bits that are allowed-0 = 0 (bits 31:0 of the MSR set) are forced to 1, bits whose allowed-1 is 0
 *     (bits 63:32 clear) are forced to 0; a wanted control that is not allowed-1 is an error;
 *   - "enable VPID" with VPID 1 when the capability MSRs allow it (25.6.2, 30.1: with VPIDs the processor
 *     need not flush its TLB at every VM entry and exit, which is what real hypervisors use them for);
 *   - host state from the running processor (28.2.2-28.2.4 "Checks on host control registers, MSRs,
 *     segment and descriptor-table registers"), a 64-bit guest with its own RIP and RSP on the host's page
 *     tables, GDT and IDT, and every guest exception sent to the hypervisor through the exception bitmap.
 */
/* The including guest defines HV_NAME, the prefix of its console lines. */
#ifndef VMX_H
#define VMX_H

#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101

/* VMCS field encodings (SDM Vol. 3C Appendix B). */
enum {
    VIRTUAL_PROCESSOR_ID = 0x0000, GUEST_ES_SELECTOR = 0x800, HOST_ES_SELECTOR = 0xc00,
    IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, VMCS_LINK_POINTER = 0x2800,
    PIN_BASED_VM_EXEC_CONTROL = 0x4000, CPU_BASED_VM_EXEC_CONTROL = 0x4002, EXCEPTION_BITMAP = 0x4004,
    SECONDARY_VM_EXEC_CONTROL = 0x401e,
    VM_EXIT_CONTROLS = 0x400c, VM_ENTRY_CONTROLS = 0x4012,
    VM_INSTRUCTION_ERROR = 0x4400, VM_EXIT_REASON = 0x4402, VM_EXIT_INTR_INFO = 0x4404,
    VM_EXIT_INSTRUCTION_LEN = 0x440c,
    GUEST_ES_LIMIT = 0x4800, GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812, GUEST_ES_AR_BYTES = 0x4814,
    GUEST_INTERRUPTIBILITY_INFO = 0x4824, GUEST_ACTIVITY_STATE = 0x4826, GUEST_SYSENTER_CS = 0x482a,
    HOST_IA32_SYSENTER_CS = 0x4c00,
    EXIT_QUALIFICATION = 0x6400,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_ES_BASE = 0x6806,
    GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681a, GUEST_RSP = 0x681c,
    GUEST_RIP = 0x681e, GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG_EXCEPTIONS = 0x6822,
    GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
    HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_FS_BASE = 0x6c06, HOST_GS_BASE = 0x6c08,
    HOST_TR_BASE = 0x6c0a, HOST_GDTR_BASE = 0x6c0c, HOST_IDTR_BASE = 0x6c0e, HOST_IA32_SYSENTER_ESP = 0x6c10,
    HOST_IA32_SYSENTER_EIP = 0x6c12, HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};
/* The guest segment fields of one register are 2 encodings apart in each group (ES, CS, SS, DS, FS, GS, LDTR, TR). */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

/* Control bits used (SDM Vol. 3C 25.6.2, 25.7.1, 25.8.1). */
#define CPU_HLT_EXITING (1u << 7)
#define CPU_USE_IO_BITMAPS (1u << 25)
#define CPU_ACTIVATE_SECONDARY (1u << 31)
#define CPU2_ENABLE_VPID (1u << 5)
#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define ENTRY_IA32E_MODE_GUEST (1u << 9)

/* Basic exit reasons (SDM Vol. 3C Appendix C). */
#define EXIT_EXCEPTION_NMI 0
#define EXIT_CPUID 10
#define EXIT_HLT 12
#define EXIT_VMCALL 18
#define EXIT_IO 30

static u8 vmxon_region[4096] __attribute__((aligned(4096)));
static u8 vmcs_region[4096] __attribute__((aligned(4096)));
static u8 io_bitmap_a[4096] __attribute__((aligned(4096))); /* ports 0000H-7FFFH */
static u8 io_bitmap_b[4096] __attribute__((aligned(4096))); /* ports 8000H-FFFFH */

/* The instruction's VMfail: CF (VMfailInvalid) or ZF (VMfailValid) set (SDM Vol. 3C 31.2). */
static int vmx_vmxon(u64 pa) { u8 f; __asm__ volatile("vmxon %1; setna %0" : "=r"(f) : "m"(pa) : "cc", "memory"); return f; }
static int vmx_vmclear(u64 pa) { u8 f; __asm__ volatile("vmclear %1; setna %0" : "=r"(f) : "m"(pa) : "cc", "memory"); return f; }
static int vmx_vmptrld(u64 pa) { u8 f; __asm__ volatile("vmptrld %1; setna %0" : "=r"(f) : "m"(pa) : "cc", "memory"); return f; }

static u64 vmread(u64 field) {
    u64 v;
    __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
    return v;
}

static int vmwrite_failed;

static void vmwrite(u64 field, u64 v) {
    u8 f;
    __asm__ volatile("vmwrite %1, %2; setna %0" : "=r"(f) : "r"(v), "r"(field) : "cc");
    if (f && !vmwrite_failed) {
        vmwrite_failed = 1;
        puts(HV_NAME ": VMWRITE of field ");
        puthexn(field, 4);
        puts(" failed\n");
    }
}

/* A control word from its capability MSR: allowed-0 settings forced to 1, allowed-1 = 0 forced to 0. */
static int vmx_controls(const char *name, u32 msr, u32 want, u32 *out) {
    u64 cap = rdmsr(msr);
    u32 must1 = (u32) cap, may1 = (u32) (cap >> 32);
    if (want & ~may1) {
        puts(HV_NAME ": ");
        puts(name);
        puts(": wanted controls not allowed-1: ");
        puthexn(want & ~may1, 8);
        putc('\n');
        return 1;
    }
    *out = (want | must1) & may1;
    return 0;
}

static void vmx_guest_segment(int i, struct seg s) {
    /* access rights (25.4.1, Table 25-2): descriptor bits 47:40 in 7:0, bits 55:52 in 15:12; unusable (bit 16) for a null selector */
    u32 ar = s.sel == 0 ? 1u << 16 : (s.attr & 0xffu) | (s.attr & 0xf00u) << 4;
    if (s.sel != 0 && (ar & 0x10)) {
        ar |= 1;                                /* code and data segments: accessed (28.3.1.2) */
    }
    if (i == SEG_TR) {
        ar = (ar & ~0xfu) | 0xb;                /* a busy 64-bit TSS (28.3.1.2) */
    }
    vmwrite(GUEST_ES_SELECTOR + 2 * i, s.sel);
    vmwrite(GUEST_ES_BASE + 2 * i, s.base);
    vmwrite(GUEST_ES_LIMIT + 2 * i, s.limit);
    vmwrite(GUEST_ES_AR_BYTES + 2 * i, ar);
}

/* Reports a VMfail of the current VMCS: VMfailValid has an error number (31.4), VMfailInvalid none. */
static void vmx_report_error(const char *what) {
    puts(HV_NAME ": ");
    puts(what);
    puts(" failed, VM-instruction error ");
    putdec(vmread(VM_INSTRUCTION_ERROR));
    putc('\n');
}

/*
 * Checks for VMX, enters VMX operation and builds the VMCS. HLT exiting and I/O bitmaps (the ports with
 * bits set in io_bitmap_a/b exit) are wanted on top of what the capability MSRs force; `quiet` leaves out
 * the informational lines. Returns 0 or an HV_* status.
 */
static int vmx_setup(u64 guest_rip, u64 guest_rsp, u64 host_rip, u64 host_rsp, int quiet) {
    struct cpuid_regs v = cpuid2(1, 0);
    if (!(v.c & (1u << 5))) {
        puts(HV_NAME ": VMX not supported (CPUID.1:ECX.VMX = 0)\n");
        return HV_UNSUPPORTED;
    }
    u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & 1)) {
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | 1 | 4); /* lock, enable VMX outside SMX */
        fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    }
    if (!(fc & 4)) {
        puts(HV_NAME ": VMX disabled in IA32_FEATURE_CONTROL (locked without VMX outside SMX)\n");
        return HV_UNSUPPORTED;
    }
    u64 basic = rdmsr(MSR_IA32_VMX_BASIC);
    u32 rev = (u32) basic & 0x7fffffff;
    if (!quiet) {
        puts(HV_NAME ": VMX supported, IA32_FEATURE_CONTROL ");
        puthexn(fc, 1);
        puts(", VMCS revision ");
        puthexn(rev, 8);
        putc('\n');
    }
    write_cr0((read_cr0() | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1));
    write_cr4((read_cr4() | rdmsr(MSR_IA32_VMX_CR4_FIXED0)) & rdmsr(MSR_IA32_VMX_CR4_FIXED1));
    *(u32 *) vmxon_region = rev;
    *(u32 *) vmcs_region = rev;
    if (vmx_vmxon((u64) vmxon_region)) {
        puts(HV_NAME ": VMXON failed\n");
        return HV_ENTRY_FAILED;
    }
    if (vmx_vmclear((u64) vmcs_region) || vmx_vmptrld((u64) vmcs_region)) {
        puts(HV_NAME ": VMCLEAR/VMPTRLD failed\n");
        return HV_ENTRY_FAILED;
    }
    int truectl = (basic >> 55) & 1;
    u32 pin, cpu, exit, entry, cpu2 = 0;
    /* "enable VPID" if both "activate secondary controls" and it may be 1 (A.3.2, A.3.3). */
    int vpid = (rdmsr(MSR_IA32_VMX_PROCBASED_CTLS) >> 63) & 1 && (rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & CPU2_ENABLE_VPID;
    if (vmx_controls("pin-based", truectl ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS, 0, &pin)
            || vmx_controls("primary", truectl ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
                    CPU_HLT_EXITING | CPU_USE_IO_BITMAPS | (vpid ? CPU_ACTIVATE_SECONDARY : 0), &cpu)
            || (vpid && vmx_controls("secondary", MSR_IA32_VMX_PROCBASED_CTLS2, CPU2_ENABLE_VPID, &cpu2))
            || vmx_controls("exit", truectl ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
                    EXIT_HOST_ADDR_SPACE_SIZE, &exit)
            || vmx_controls("entry", truectl ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
                    ENTRY_IA32E_MODE_GUEST, &entry)) {
        return HV_ENTRY_FAILED;
    }
    if (!quiet) {
        puts(HV_NAME ": controls pin ");
        puthexn(pin, 8);
        puts(" primary ");
        puthexn(cpu, 8);
        puts(" exit ");
        puthexn(exit, 8);
        puts(" entry ");
        puthexn(entry, 8);
        puts(" secondary ");
        puthexn(cpu2, 8);
        puts(truectl ? " (TRUE capability MSRs)\n" : "\n");
    }
    vmwrite(PIN_BASED_VM_EXEC_CONTROL, pin);
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, cpu);
    if (vpid) {
        vmwrite(SECONDARY_VM_EXEC_CONTROL, cpu2);
        vmwrite(VIRTUAL_PROCESSOR_ID, 1);
    }
    vmwrite(VM_EXIT_CONTROLS, exit);
    vmwrite(VM_ENTRY_CONTROLS, entry);
    vmwrite(EXCEPTION_BITMAP, 0xffffffff);
    vmwrite(IO_BITMAP_A, (u64) io_bitmap_a);
    vmwrite(IO_BITMAP_B, (u64) io_bitmap_b);
    vmwrite(VMCS_LINK_POINTER, ~0ul);

    /* Host state: the processor as it runs now (28.2.2-28.2.4). */
    struct dtr gdtr = read_gdtr(), idtr = read_idtr();
    u16 tr = read_tr();
    vmwrite(HOST_CR0, read_cr0());
    vmwrite(HOST_CR3, read_cr3());
    vmwrite(HOST_CR4, read_cr4());
    u16 hsel[7] = {read_es(), read_cs(), read_ss(), read_ds(), read_fs(), read_gs(), tr};
    for (int i = 0; i < 7; i++) {
        vmwrite(HOST_ES_SELECTOR + 2 * i, hsel[i] & ~7);
    }
    vmwrite(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
    vmwrite(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
    vmwrite(HOST_TR_BASE, gdt_segment(tr).base);
    vmwrite(HOST_GDTR_BASE, gdtr.base);
    vmwrite(HOST_IDTR_BASE, idtr.base);
    vmwrite(HOST_IA32_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
    vmwrite(HOST_IA32_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
    vmwrite(HOST_IA32_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
    vmwrite(HOST_RSP, host_rsp);
    vmwrite(HOST_RIP, host_rip);

    /* Guest state: 64-bit mode on the host's paging structures, GDT and IDT, its own code and stack. */
    vmwrite(GUEST_CR0, read_cr0());
    vmwrite(GUEST_CR3, read_cr3());
    vmwrite(GUEST_CR4, read_cr4());
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_RSP, guest_rsp);
    vmwrite(GUEST_RIP, guest_rip);
    vmwrite(GUEST_RFLAGS, 0x2);
    u16 gsel[8] = {read_ds(), read_cs(), read_ss(), read_ds(), read_ds(), read_ds(), 0, tr};
    for (int i = 0; i < 8; i++) {
        vmx_guest_segment(i, gdt_segment(gsel[i]));
    }
    vmwrite(GUEST_GDTR_BASE, gdtr.base);
    vmwrite(GUEST_GDTR_LIMIT, gdtr.limit);
    vmwrite(GUEST_IDTR_BASE, idtr.base);
    vmwrite(GUEST_IDTR_LIMIT, idtr.limit);
    vmwrite(GUEST_SYSENTER_CS, 0);
    vmwrite(GUEST_SYSENTER_ESP, 0);
    vmwrite(GUEST_SYSENTER_EIP, 0);
    vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
    vmwrite(GUEST_ACTIVITY_STATE, 0);
    vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
    return vmwrite_failed ? HV_ENTRY_FAILED : 0;
}

#endif
