/* go/layout_table.h - the per-release tables of the Go runtime's layout
 * (inside the layout module only).
 *
 * One table per release series (layout_go117.c ... layout_go127.c): rows
 * naming the facts of layout_fields.h that the release has, its wait
 * reason strings, and how it was checked, for the table as a whole and
 * for any row checked differently.  golayout_table_find maps a toolchain
 * version ("go1.22.12", "go1.26.5 X:boringcrypto") to its table, or says
 * why none applies. */
#ifndef PILEUP_GOLANG_LAYOUT_TABLE_H
#define PILEUP_GOLANG_LAYOUT_TABLE_H

#include <stddef.h>

#include "go/layout.h"

struct golayout_row {
	uint16_t id; /* enum golayout_id */
	uint32_t size;
	int64_t v;
	const char *checked; /* NULL: as the table says */
	/* The point releases the row is for, when a structure changed within
	 * the series (both 0: all of them). */
	uint16_t min_patch, max_patch;
};

enum { GOLAYOUT_PATCH_MAX = 0xffff };

/* Rows: a member's offset and size, a structure's size, a constant. */
#define GF(id, off, sz) {GL_##id, (sz), (off), NULL, 0, 0}
#define GS(id, sz) {GL_##id, 0, (sz), NULL, 0, 0}
#define GC(id, val) {GL_##id, 0, (val), NULL, 0, 0}
/* The same with a note on how that row was checked. */
#define GFN(id, off, sz, note) {GL_##id, (sz), (off), (note), 0, 0}
#define GSN(id, sz, note) {GL_##id, 0, (sz), (note), 0, 0}
#define GCN(id, val, note) {GL_##id, 0, (val), (note), 0, 0}
/* Rows for point releases lo to hi only (hi GOLAYOUT_PATCH_MAX: and later). */
#define GFP(id, off, sz, lo, hi, note) {GL_##id, (sz), (off), (note), (lo), (hi)}
#define GSP(id, sz, lo, hi, note) {GL_##id, 0, (sz), (note), (lo), (hi)}

struct golayout_table {
	const char *series;  /* "go1.21" */
	const char *checked; /* how the rows were checked */
	const struct golayout_row *rows;
	size_t nrows;
	const char *const *wait_reasons; /* indexed by runtime.waitReason */
	size_t nwait_reasons;
	const char *wait_reasons_checked;
};

#define GOLAYOUT_NROWS(a) (sizeof(a) / sizeof((a)[0]))

extern const struct golayout_table golayout_go117, golayout_go118, golayout_go119, golayout_go120, golayout_go121,
	golayout_go122, golayout_go123, golayout_go124, golayout_go125, golayout_go126, golayout_go127;

/* What each fact is (its kind and DWARF names), indexed by golayout_id. */
struct golayout_spec {
	const char *name;
	enum golayout_kind kind;
	const char *structs; /* F, S: struct names, '|' between alternatives */
	const char *what;    /* F: member path; C: constant names */
};
extern const struct golayout_spec golayout_specs[GL__N];
extern const char *const golayout_global_syms[GG__N];

/* The table for toolchain version v, and its point release (go1.22.12:
 * 12; go1.20: 0), or NULL with *why set (static text: no table for that
 * series, or a build whose layout may differ). */
const struct golayout_table *golayout_table_find(const char *v, unsigned *patch, const char **why);

/* Whether row r is for point release patch. */
static inline bool golayout_row_applies(const struct golayout_row *r, unsigned patch)
{
	return (!r->min_patch && !r->max_patch) || (patch >= r->min_patch && patch <= r->max_patch);
}

#endif
