package dev.hvsim.machine.apic;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.InterruptSource;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * One CPU's local APIC in xAPIC mode (Intel SDM Vol. 3A ch. 11), and the CPU's {@link InterruptSource}.
 *
 * <p>Registers (Table 11-1, 32-bit at 16-byte aligned offsets of the 4 KiB page at IA32_APIC_BASE): ID,
 * version (0x00050014: version 0x14, six LVT entries, as QEMU), TPR, APR (reads 0), PPR (11.8.3.1), EOI,
 * LDR, DFR, SVR, ISR/TMR/IRR (256 bits each), ESR (11.5.3), the LVT (timer, thermal, performance
 * counters, LINT0, LINT1, error: 11.5.1), ICR (11.6.1), the timer's initial/current count and divide
 * configuration (11.5.4). In x2APIC mode (IA32_APIC_BASE.EXTD and EN, 11.12) the same registers are MSRs
 * 0x800-0x8FF ({@link X2ApicMsrs}), the ID is the CPU's APIC ID (read-only), the LDR is derived from it
 * (11.12.10.2) and the MMIO page no longer answers (11.12.1).
 *
 * <p>Acceptance (11.8.3, 11.8.4): {@link #pendingInterrupt()} offers the highest vector in the IRR when its
 * priority class is above the PPR's; acknowledging moves it to the ISR. The core applies IF, the STI/MOV SS
 * shadows and NMI blocking. CR8 is the TPR's bits 7:4 (11.8.6.1): {@link #cr8Written} and TPR writes keep
 * them equal. The 8259's INTR reaches the BSP through LINT0 in ExtINT mode, or directly when the APIC is
 * disabled in IA32_APIC_BASE (11.4.3).
 *
 * <p>Guest misbehaviour is architecture: an access that is not a 4-byte access at a 16-byte aligned
 * offset reads 0 and is ignored on writes (the SDM leaves it undefined; DEVIATIONS.md), writes to
 * read-only registers are ignored, illegal vectors set the ESR bits (11.5.3).
 */
public final class LocalApic implements InterruptSource, dev.hvsim.x86core.Snapshottable {
    public static final long DEFAULT_BASE = 0xfee00000L;
    public static final int ID = 0x20, VERSION = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, RRD = 0xc0,
            LDR = 0xd0, DFR = 0xe0, SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280, ICR_LO = 0x300,
            ICR_HI = 0x310, LVT_TIMER = 0x320, LVT_THERMAL = 0x330, LVT_PERF = 0x340, LVT_LINT0 = 0x350,
            LVT_LINT1 = 0x360, LVT_ERROR = 0x370, TIMER_INITIAL = 0x380, TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3e0;
    /** Version register: version 0x14 (integrated xAPIC), max LVT entry 5 (QEMU's value). */
    public static final int VERSION_VALUE = 0x00050014;
    /** Delivery modes (ICR bits 10:8, LVT bits 10:8; SDM 11.6.1). */
    public static final int FIXED = 0, LOWEST = 1, SMI = 2, NMI = 4, INIT = 5, STARTUP = 6, EXTINT = 7;
    static final int LVT_MASK = 1 << 16;
    /** IA32_TSC_DEADLINE (SDM Vol. 4, Table 2-2). */
    public static final long TSC_DEADLINE_MSR = 0x6e0;
    /** ESR bits (11.5.3, Figure 11-9). */
    public static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5, ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6,
            ESR_ILLEGAL_REGISTER = 1 << 7;
    private static final int L_TIMER = 0, L_THERMAL = 1, L_PERF = 2, L_LINT0 = 3, L_LINT1 = 4, L_ERROR = 5;
    /** Writable bits of each LVT entry (Figure 11-8). */
    static final int[] LVT_WRITABLE = {0x000700ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff};

    private final Cpu cpu;
    private final ApicBus bus;
    private final boolean tscDeadlineSupported;
    private final boolean x2apicSupported;
    private ExtIntSource extInt;

    int id;
    int tpr;
    int ldr;
    int dfr;
    int svr;
    final int[] isr = new int[8], irr = new int[8], tmr = new int[8];
    int esr, esrPending;
    final int[] lvt = new int[6];
    int icrLo, icrHi;
    /** The ICR's 32-bit destination (ICR bits 63:32) as written in x2APIC mode (11.12.9). */
    int icrDest32;
    final ApicTimer timer = new ApicTimer();
    boolean nmiPending;
    /** An SMI message was accepted; nothing services it (no SMM: DEVIATIONS.md). */
    boolean smiPending;
    /** The last vector offered came from the 8259 (ExtINT), so acknowledging it is an INTA to the PIC. */
    private boolean offeredExtInt;
    private final java.util.function.LongUnaryOperator tscToCycleFn = this::tscToCycle;

    /** The local APIC of {@code cpu} (its ID is the CPU's APIC ID), attached to the system {@code bus}. */
    public LocalApic(Cpu cpu, ApicBus bus) {
        this.cpu = cpu;
        this.bus = bus;
        this.tscDeadlineSupported = cpu.has(Feature.TSC_DEADLINE);
        this.x2apicSupported = cpu.has(Feature.X2APIC);
        reset();
        bus.attach(this);
        cpu.setInterruptSource(this);
    }

    /**
     * Power-up and INIT state (SDM 11.4.7.1): IRR/ISR/TMR/ESR clear, LVT masked, SVR 0xFF, DFR all ones. In
     * x2APIC mode (kept by INIT, 11.12.5.1) the LDR is the one derived from the x2APIC ID.
     */
    public void reset() {
        id = cpu.apicId();
        tpr = 0;
        ldr = x2apicMode() ? x2apicLdr(id) : 0;
        dfr = 0xffffffff;
        svr = 0xff;
        java.util.Arrays.fill(isr, 0);
        java.util.Arrays.fill(irr, 0);
        java.util.Arrays.fill(tmr, 0);
        esr = 0;
        esrPending = 0;
        java.util.Arrays.fill(lvt, LVT_MASK);
        icrLo = 0;
        icrHi = 0;
        icrDest32 = 0;
        timer.divideConfig = 0;
        timer.modeChanged();
        nmiPending = false;
        smiPending = false;
        cpu.state().cr8 = 0;
    }

    /** Connects the 8259's INTR output (only the BSP's LINT0 is wired to it). */
    public void connectExtInt(ExtIntSource pic) {
        this.extInt = pic;
    }

    public Cpu cpu() { return cpu; }
    public int id() { return id; }

    /** IA32_APIC_BASE bit 11 (11.4.4). */
    public boolean hardwareEnabled() {
        return (cpu.state().msr(Msr.IA32_APIC_BASE) & 0x800) != 0;
    }

    /** IA32_APIC_BASE.EXTD and EN (bits 10 and 11): the APIC is in x2APIC mode (11.12.1). */
    public boolean x2apicMode() {
        return (cpu.state().msr(Msr.IA32_APIC_BASE) & 0xc00) == 0xc00;
    }

    /** The x2APIC logical ID (11.12.10.2): cluster ID = x2APIC ID[19:4] in bits 31:16, 1 << ID[3:0] below. */
    static int x2apicLdr(int x2apicId) {
        return (x2apicId >>> 4) << 16 | 1 << (x2apicId & 0xf);
    }

    /** SVR bit 8 (11.4.7.2). */
    public boolean softwareEnabled() {
        return (svr & 0x100) != 0;
    }

    // ------------------------------------------------------------------ InterruptSource

    @Override
    public int pendingInterrupt() {
        offeredExtInt = false;
        if (extInt != null && extIntRouted() && extInt.intr()) {
            offeredExtInt = true;
            return extInt.pendingVector();
        }
        if (!hardwareEnabled()) {
            return -1;
        }
        int v = highest(irr);
        if (v < 0 || (v & 0xf0) <= (ppr() & 0xf0)) {
            return -1;
        }
        return v;
    }

    private boolean extIntRouted() {
        int l = lvt[L_LINT0];
        return !hardwareEnabled() || ((l & LVT_MASK) == 0 && ((l >>> 8) & 7) == EXTINT);
    }

    @Override
    public void acknowledge(int vector) {
        if (offeredExtInt) {
            offeredExtInt = false;
            extInt.acknowledge();
            return;
        }
        clear(irr, vector);
        set(isr, vector);
    }

    @Override
    public boolean pendingNmi() {
        return nmiPending;
    }

    @Override
    public void acknowledgeNmi() {
        nmiPending = false;
    }

    @Override
    public void cr8Written(long cr8) {
        tpr = (int) (cr8 & 0xf) << 4;
    }

    /** IA32_TSC_DEADLINE with TSC_DEADLINE, and the x2APIC range 0x800-0x8FF with X2APIC (11.12.1.2). */
    @Override
    public boolean ownsMsr(long index) {
        return index == TSC_DEADLINE_MSR && tscDeadlineSupported || x2apicSupported && X2ApicMsrs.inRange(index);
    }

    /** IA32_TSC_DEADLINE (SDM 11.5.4.1): reads 0 outside TSC-deadline mode and after the timer fired. */
    @Override
    public long readMsr(long index) {
        if (X2ApicMsrs.inRange(index)) {
            return X2ApicMsrs.read(this, index);
        }
        return timerMode() == ApicTimer.TSC_DEADLINE ? timer.tscDeadline : 0;
    }

    /** Arms (non-zero) or disarms (0) the TSC-deadline timer; ignored in the other timer modes. */
    @Override
    public void writeMsr(long index, long value) {
        if (X2ApicMsrs.inRange(index)) {
            X2ApicMsrs.write(this, index, value);
            return;
        }
        if (timerMode() == ApicTimer.TSC_DEADLINE) {
            timer.tscDeadline = value;
            timerReprogrammed();
        }
    }

    /**
     * The APIC follows IA32_APIC_BASE (the core checked the transitions of 11.12.5): entering x2APIC mode
     * makes the ID the CPU's x2APIC ID and derives the LDR (11.12.5.1, 11.12.10.2); leaving x2APIC mode
     * for disabled resets the APIC to its power-up state (11.12.5.1), from which xAPIC mode starts.
     */
    @Override
    public void apicBaseWritten(long oldValue, long newValue) {
        boolean wasX2 = (oldValue & 0xc00) == 0xc00, isX2 = (newValue & 0xc00) == 0xc00;
        if (!wasX2 && isX2) {
            id = cpu.apicId();
            ldr = x2apicLdr(id);
        } else if (wasX2 && (newValue & 0x800) == 0) {
            reset();
        }
        cpu.signalEvent();
    }

    /** An SMI was delivered to this CPU and is latched; without SMM it is never serviced. */
    public boolean smiPending() {
        return smiPending;
    }

    // ------------------------------------------------------------------ priorities (11.8.3.1)

    /** PPR: the TPR if its class is at least the highest in-service class, else that class. */
    public int ppr() {
        int isrv = Math.max(highest(isr), 0);
        return (tpr >>> 4) >= (isrv >>> 4) ? tpr & 0xff : isrv & 0xf0;
    }

    static int highest(int[] bits) {
        for (int w = 7; w >= 0; w--) {
            if (bits[w] != 0) {
                return w * 32 + 31 - Integer.numberOfLeadingZeros(bits[w]);
            }
        }
        return -1;
    }

    static boolean test(int[] bits, int v) { return (bits[v >>> 5] & (1 << (v & 31))) != 0; }
    static void set(int[] bits, int v) { bits[v >>> 5] |= 1 << (v & 31); }
    static void clear(int[] bits, int v) { bits[v >>> 5] &= ~(1 << (v & 31)); }

    // ------------------------------------------------------------------ receiving (11.6, 11.5)

    /**
     * An interrupt message for this APIC from an IPI, the IOAPIC or a local source. Fixed and
     * lowest-priority interrupts with vectors 0..15 are discarded with ESR "receive illegal vector"
     * (11.5.3). SMI (11.6.1 delivery mode 010B, vector ignored) is accepted and latched in {@link
     * #smiPending()}, as the processor latches SMI#, but hvsim has no SMM, so nothing services it and the
     * CPU carries on (DEVIATIONS.md). INIT and SIPI go to the machine.
     */
    public void receive(int mode, int vector, boolean level) {
        vector &= 0xff;
        switch (mode) {
            case FIXED: case LOWEST:
                if (vector < 16) {
                    error(ESR_RECEIVE_ILLEGAL_VECTOR);
                    return;
                }
                set(irr, vector);
                if (level) {
                    set(tmr, vector);
                } else {
                    clear(tmr, vector);
                }
                cpu.signalEvent();
                break;
            case NMI:
                nmiPending = true;
                cpu.signalEvent();
                break;
            case INIT: bus.init(this); break;
            case STARTUP: bus.startup(this, vector); break;
            case SMI: smiPending = true; break;
            default: break; // ExtINT from an IOAPIC, reserved modes: ignored
        }
    }

    /** A local interrupt from LVT entry {@code index} (timer, error), edge-triggered. */
    private void localInterrupt(int index) {
        int l = lvt[index];
        if ((l & LVT_MASK) != 0) {
            return;
        }
        int mode = index == L_TIMER || index == L_ERROR ? FIXED : (l >>> 8) & 7;
        if (mode == FIXED && (l & 0xff) < 16) {
            esrPending |= ESR_RECEIVE_ILLEGAL_VECTOR; // not re-raised: the error LVT may itself be illegal
            return;
        }
        receive(mode, l & 0xff, false);
    }

    private void error(int bit) {
        esrPending |= bit;
        localInterrupt(L_ERROR);
    }

    // ------------------------------------------------------------------ the timer

    private int timerMode() {
        int m = (lvt[L_TIMER] >>> 17) & 3;
        return m == 2 && !tscDeadlineSupported ? ApicTimer.ONE_SHOT : m;
    }

    /** The cycle (of this CPU's counter) at which the timer next fires, or {@link Long#MAX_VALUE}. */
    public long timerDeadline() {
        if ((lvt[L_TIMER] & LVT_MASK) != 0 && timerMode() != ApicTimer.TSC_DEADLINE) {
            return Long.MAX_VALUE; // a masked countdown interrupts nobody; its count is computed lazily
        }
        return timer.deadline(timerMode(), tscToCycleFn);
    }

    private long tscToCycle(long tsc) {
        long ratio = cpu.profile().tscPerCycle();
        long rel = tsc - cpu.state().tscAdjust;
        return rel <= 0 ? 0 : (rel + ratio - 1) / ratio;
    }

    /** Fires the timer if its deadline has passed on this CPU's cycle counter. */
    public void tick() {
        long now = cpu.cycles();
        if (timerDeadline() <= now) {
            timer.expire(timerMode(), now);
            localInterrupt(L_TIMER);
        }
    }

    /** The guest changed the timer while running: end the CPU's slice so the machine rereads the deadline. */
    private void timerReprogrammed() {
        cpu.stopAfterInstruction(StopReason.CYCLE_LIMIT);
    }

    // ------------------------------------------------------------------ registers

    /** Reads register {@code offset}; only aligned 4-byte accesses are defined (others read 0). */
    public long read(long offset, int size) {
        if (size != 4 || (offset & 0xf) != 0 || offset >= 0x400) {
            return 0;
        }
        int r = (int) offset;
        switch (r) {
            case ID: return (long) id << 24;
            case VERSION: return VERSION_VALUE;
            case TPR: return tpr;
            case PPR: return ppr();
            case LDR: return ldr & 0xff000000L;
            case DFR: return (dfr | 0x0fffffff) & 0xffffffffL;
            case SVR: return svr;
            case ESR: return esr;
            case ICR_LO: return icrLo & ~(1 << 12); // delivery status: idle
            case ICR_HI: return icrHi & 0xffffffffL;
            case LVT_TIMER: case LVT_THERMAL: case LVT_PERF: case LVT_LINT0: case LVT_LINT1: case LVT_ERROR:
                return lvt[(r - LVT_TIMER) >> 4];
            case TIMER_INITIAL: return timer.initial;
            case TIMER_CURRENT: return timer.current(timerMode(), cpu.cycles());
            case TIMER_DIVIDE: return timer.divideConfig;
            default:
                if (r >= ISR && r < ISR + 0x80) { return isr[(r - ISR) >> 4] & 0xffffffffL; }
                if (r >= TMR && r < TMR + 0x80) { return tmr[(r - TMR) >> 4] & 0xffffffffL; }
                if (r >= IRR && r < IRR + 0x80) { return irr[(r - IRR) >> 4] & 0xffffffffL; }
                return 0; // APR, RRD, reserved registers
        }
    }

    /** Writes register {@code offset}; read-only registers and undefined accesses are ignored. */
    public void write(long offset, int size, long value) {
        if (size != 4 || (offset & 0xf) != 0 || offset >= 0x400) {
            return;
        }
        int v = (int) value;
        switch ((int) offset) {
            case ID: id = v >>> 24; break;
            case TPR: tpr = v & 0xff; cpu.state().cr8 = tpr >>> 4; cpu.signalEvent(); break;
            case EOI: eoi(); break;
            case LDR: ldr = v & 0xff000000; break;
            case DFR: dfr = v | 0x0fffffff; break;
            case SVR: writeSvr(v); break;
            case ESR: esr = esrPending; esrPending = 0; break; // 11.5.3: a write loads the ESR
            case ICR_HI: icrHi = v & 0xff000000; break;
            case ICR_LO: icrLo = v & 0x000ccfff; sendIpi(); break;
            case LVT_TIMER: case LVT_THERMAL: case LVT_PERF: case LVT_LINT0: case LVT_LINT1: case LVT_ERROR:
                writeLvt((int) (offset - LVT_TIMER) >> 4, v);
                break;
            case TIMER_INITIAL:
                if (timerMode() != ApicTimer.TSC_DEADLINE) { // ignored in TSC-deadline mode (11.5.4.1)
                    timer.load(v, cpu.cycles());
                    timerReprogrammed();
                }
                break;
            case TIMER_DIVIDE: timer.divideConfig = v & 0xb; break;
            default: break; // read-only and reserved registers
        }
    }

    private void writeSvr(int v) {
        svr = v & 0x3ff; // vector, APIC software enable (8), focus processor checking (9)
        if (!softwareEnabled()) {
            for (int i = 0; i < lvt.length; i++) {
                lvt[i] |= LVT_MASK; // 11.4.7.2: disabling masks every LVT entry
            }
        }
        cpu.signalEvent();
    }

    private void writeLvt(int index, int v) {
        int old = lvt[index];
        int nv = (old & ~LVT_WRITABLE[index]) | (v & LVT_WRITABLE[index]);
        if (!softwareEnabled()) {
            nv |= LVT_MASK; // mask bits cannot be cleared while software-disabled (11.4.7.2)
        }
        lvt[index] = nv;
        if (index == L_TIMER && ((old ^ nv) & (3 << 17)) != 0) {
            timer.modeChanged();
        }
        if (index == L_TIMER) {
            timerReprogrammed();
        }
        cpu.signalEvent();
    }

    /** EOI (11.8.5): retire the highest in-service vector; a level-triggered one is broadcast to the IOAPICs. */
    private void eoi() {
        int v = highest(isr);
        if (v < 0) {
            return;
        }
        clear(isr, v);
        if (test(tmr, v)) {
            clear(tmr, v);
            bus.eoiBroadcast(v);
        }
        cpu.signalEvent();
    }

    /** ICR low write: send the IPI it describes (11.6.1). */
    private void sendIpi() {
        sendIpi(icrLo, icrHi >>> 24, false);
    }

    /**
     * The IPI described by ICR low half {@code lo} to {@code dest}: an 8-bit xAPIC destination or, from
     * x2APIC mode, a 32-bit one (11.12.9).
     */
    void sendIpi(int lo, int dest, boolean x2Format) {
        int vector = lo & 0xff, mode = (lo >>> 8) & 7, shorthand = (lo >>> 18) & 3;
        boolean logical = (lo & (1 << 11)) != 0, assert_ = (lo & (1 << 14)) != 0;
        boolean levelTrig = (lo & (1 << 15)) != 0;
        if (mode == INIT && !assert_ && levelTrig) {
            return; // INIT level de-assert: not supported by Pentium 4 and later, no effect (11.6.1)
        }
        if ((mode == FIXED || mode == LOWEST) && vector < 16) {
            error(ESR_SEND_ILLEGAL_VECTOR);
            return;
        }
        bus.send(this, shorthand, logical, dest, x2Format, mode, vector);
    }

    /**
     * Whether physical destination {@code dest} selects this APIC: its (x2)APIC ID, or the broadcast ID
     * (0xFF for an 8-bit destination, 0xFFFFFFFF for a 32-bit x2APIC one, 11.12.9).
     */
    boolean matchesPhysical(int dest, boolean x2Format) {
        return dest == (x2Format ? 0xffffffff : 0xff) || id == dest;
    }

    /**
     * Whether logical destination {@code dest} selects this APIC: in xAPIC mode the flat or cluster model
     * of the DFR (11.6.2.2); in x2APIC mode always the cluster model (11.12.10.2: cluster ID in bits 31:16
     * and a bitmap in 15:0; 0xFFFFFFFF is the broadcast).
     */
    boolean matchesLogical(int dest, boolean x2Format) {
        if (x2apicMode()) {
            return dest == 0xffffffff || (dest >>> 16) == (ldr >>> 16) && (dest & ldr & 0xffff) != 0;
        }
        int logicalId = ldr >>> 24;
        if ((dfr >>> 28) == 0xf) {
            return (logicalId & dest) != 0;
        }
        return (logicalId >>> 4) == (dest >>> 4) && (logicalId & dest & 0xf) != 0;
    }

    /** The 8259 side of ExtINT (the PIC pair). */
    public interface ExtIntSource {
        /** INTR is asserted. */
        boolean intr();

        /** The vector the next INTA cycle returns, without acknowledging. */
        int pendingVector();

        /** The INTA cycle. */
        void acknowledge();
    }

    /** Every register, the timer, the pending NMI/SMI and whether the last vector offered came from the 8259. */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        int[] v = {id, tpr, ldr, dfr, svr, esr, esrPending, icrLo, icrHi, icrDest32, nmiPending ? 1 : 0,
            smiPending ? 1 : 0, offeredExtInt ? 1 : 0, timer.divideConfig, timer.expired ? 1 : 0};
        int[] is = isr.clone(), ir = irr.clone(), tm = tmr.clone(), lv = lvt.clone();
        long[] t = {timer.initial, timer.start, timer.tscDeadline};
        return () -> {
            id = v[0]; tpr = v[1]; ldr = v[2]; dfr = v[3]; svr = v[4]; esr = v[5]; esrPending = v[6]; icrLo = v[7];
            icrHi = v[8]; icrDest32 = v[9]; nmiPending = v[10] != 0; smiPending = v[11] != 0;
            offeredExtInt = v[12] != 0; timer.divideConfig = v[13]; timer.expired = v[14] != 0;
            System.arraycopy(is, 0, isr, 0, 8);
            System.arraycopy(ir, 0, irr, 0, 8);
            System.arraycopy(tm, 0, tmr, 0, 8);
            System.arraycopy(lv, 0, lvt, 0, lv.length);
            timer.initial = t[0];
            timer.start = t[1];
            timer.tscDeadline = t[2];
        };
    }
}
