/*
 * nested-walk.h: what the page-walk benchmarks vmx-ept-walk and svm-npt-walk share (include hvlib.h first).
 *
 * Both build two identity maps of the first WALK_MAP_BYTES (16 MiB) with 4 KiB pages only: the guest's own
 * 4-level tables (IA-32e paging, SDM Vol. 3A 4.5; entries P, R/W, A and, for leaves, D preset so that no walk
 * writes an A/D flag) and the second-stage tables (4-level EPT, SDM Vol. 3C 29.3.2; or 4-level nested tables in
 * the host's long-mode format, AMD APM Vol. 2 15.25.5). Every TLB miss of the guest is then a walk of 4 guest
 * entries, each found through a 4-reference second-stage walk, plus the 4-reference walk of the final
 * guest-physical address: 4 x (4 + 1) + 4 = 24 references, as the model keeps no paging-structure caches.
 *
 * The guest (walk_guest in the .S files) sums the first quadword of WALK_PAGES buffer pages WALK_PASSES times
 * per round; each round starts with MOV CR3 (same value), which flushes the guest's non-global translations of
 * its own tag (VPID / ASID) only (SDM Vol. 3A 4.10.4.1; APM 15.16). The first pass of a round misses the TLB on
 * every page, the other passes hit. The hypervisor writes page i's quadword as i + 1 and checks the sum.
 */
#ifndef NESTED_WALK_H
#define NESTED_WALK_H

#define WALK_MAP_BYTES (16ul << 20)
#define WALK_PTS (WALK_MAP_BYTES >> 21) /* page tables of 512 4 KiB entries */
/* WALK_PAGES, WALK_PASSES and WALK_ROUNDS are set in walk-guest.inc and read here as walk_pages, ... */

/* One 4-level identity map: a top table, one table below it, one page directory and WALK_PTS page tables. */
struct walk_tables {
    u64 top[512] __attribute__((aligned(4096)));
    u64 pdpt[512] __attribute__((aligned(4096)));
    u64 pd[512] __attribute__((aligned(4096)));
    u64 pt[WALK_PTS][512] __attribute__((aligned(4096)));
};

/* Fills `t` with the identity map: `table` flags on non-leaf entries, `leaf` flags on the 4 KiB leaves. */
static void walk_identity_map(struct walk_tables *t, u64 table, u64 leaf) {
    t->top[0] = (u64) t->pdpt | table;
    t->pdpt[0] = (u64) t->pd | table;
    for (u64 i = 0; i < WALK_PTS; i++) {
        t->pd[i] = (u64) t->pt[i] | table;
        for (u64 j = 0; j < 512; j++) {
            t->pt[i][j] = ((i << 21) | (j << 12)) | leaf;
        }
    }
}

extern u64 walk_buffer[][512];
extern const u64 walk_pages, walk_passes, walk_rounds;

/* Writes the values the guest sums; returns the sum it must report. */
static u64 walk_prepare_buffer(void) {
    u64 sum = 0;
    for (u64 i = 0; i < walk_pages; i++) {
        walk_buffer[i][0] = i + 1;
        sum += i + 1;
    }
    return sum * walk_passes * walk_rounds;
}

/* The line printed when the guest reported the right sum. */
static void walk_report_done(void) {
    puts(HV_NAME ": ");
    putdec(walk_rounds);
    puts(" rounds of ");
    putdec(walk_pages);
    puts(" pages x ");
    putdec(walk_passes);
    puts(" passes, sum right\n");
}

/* The guest's tables: P, R/W, A (bits 0, 1, 5); leaves also D (bit 6). */
static struct walk_tables walk_guest_tables;

static u64 walk_guest_cr3(void) {
    walk_identity_map(&walk_guest_tables, 0x23, 0x63);
    return (u64) walk_guest_tables.top;
}

#endif
