/* cfirows.h - the call-frame rules at a pc, when they are simple, cached.
 *
 * libdwfl unwinds a frame by finding its FDE and running the CFI program
 * every time, and allocates as it goes: ~10 us a thread.  Threads parked
 * alike go through the same few pcs, and on x86_64 nearly every row says
 * "CFA = rsp or rbp + N; the return address and the saved registers at
 * CFA + N".  Such a row is read from libdw once per pc and kept; the
 * unwinder (unwind.c) then walks with it directly.  Anything else (a DWARF
 * expression, a signal frame, no CFI, a register it does not track) gets
 * no row, and the whole thread is walked by libdwfl as before, so the
 * result is the same either way (PILEUP_SLOW_UNWIND=1 always uses
 * libdwfl; tests compare the two). */
#ifndef PILEUP_CFIROWS_H
#define PILEUP_CFIROWS_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>

enum { CFI_NREGS = 17, CFI_RA = 16 }; /* x86_64 DWARF numbering: 0-15, return address */

enum cfi_rule {
	CFI_SAME,       /* the caller's value is this frame's */
	CFI_UNDEF,      /* not recoverable */
	CFI_AT,         /* saved at CFA + off */
	CFI_VAL,        /* is CFA + off */
};

struct cfirow {
	uint8_t cfa_reg;
	int64_t cfa_off;
	uint8_t rule[CFI_NREGS];
	int64_t off[CFI_NREGS];
};

struct cfirows;

/* saved (may be NULL): rows of earlier runs are taken from it, new ones
 * added to it. */
struct symcache;
struct cfirows *cfirows_create(Dwfl *dwfl, struct symcache *saved);
void cfirows_destroy(struct cfirows *c);

/* The row for the code at address lookup (a return address minus 1), or
 * NULL when libdwfl has to unwind that frame itself. */
const struct cfirow *cfirows_get(struct cfirows *c, uint64_t lookup);

/* Whether the CFI marks the return address undefined at lookup: the
 * outermost frame of a thread (glibc's _start and clone/clone3 say so).
 * 1 yes, 0 no, -1 no CFI there. */
int cfirows_ra_undefined(struct cfirows *c, uint64_t lookup);

/* The function holding lookup, from the module's .eh_frame_hdr search
 * table: from the start of the FDE at or below lookup (a function, or a
 * part of one the compiler split off) to the next FDE's start; false
 * when no FDE covers lookup. */
bool cfirows_fde_range(struct cfirows *c, uint64_t lookup, uint64_t *start, uint64_t *end);

#endif
