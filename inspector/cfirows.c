#include "cfirows.h"
#include "error.h"
#include "symcache.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t key; /* lookup | 1 << 63; 0 = empty */
	int32_t row;  /* index into rows, -1: none */
};

/* A module's .eh_frame_hdr search table: FDE start addresses, sorted. */
struct fdetab {
	Dwfl_Module *mod;
	const unsigned char *table; /* n pairs of sdata4, relative to hdr */
	size_t n;
	uint64_t hdr;
};

struct cfirows {
	Dwfl *dwfl;
	struct fdetab *fdes;
	size_t nfdes, capfdes;
	struct symcache *saved; /* rows of earlier runs */
	struct slot *tab;
	size_t cap, used;
	struct cfirow *rows;
	size_t nrows, caprows;
};

struct cfirows *cfirows_create(Dwfl *dwfl, struct symcache *saved)
{
	struct cfirows *c = xcalloc(1, sizeof(*c));
	c->dwfl = dwfl;
	c->saved = saved;
	c->cap = 256;
	c->tab = xcalloc(c->cap, sizeof(*c->tab));
	return c;
}

void cfirows_destroy(struct cfirows *c)
{
	if (!c)
		return;
	free(c->tab);
	free(c->rows);
	free(c->fdes);
	free(c);
}

/* CFA + off, as libdw spells a register's rule: call_frame_cfa, then
 * nothing, plus_uconst N, or consts N + plus; a trailing stack_value makes
 * it the value rather than where the value is saved. */
static bool parse_rule(const Dwarf_Op *ops, size_t nops, uint8_t *rule, int64_t *off)
{
	bool val = false;
	if (nops && ops[nops - 1].atom == DW_OP_stack_value) {
		val = true;
		nops--;
	}
	if (!nops || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (nops == 1)
		*off = 0;
	else if (nops == 2 && ops[1].atom == DW_OP_plus_uconst)
		*off = (int64_t)ops[1].number;
	else if (nops == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus)
		*off = (int64_t)ops[1].number;
	else
		return false;
	*rule = val ? CFI_VAL : CFI_AT;
	return true;
}

/* The .eh_frame CFI frame at lookup, malloc'd, and the module's bias;
 * NULL if none.  Not .debug_frame: that would load the module's debug
 * file (and inflate its DWARF) to unwind, which libdwfl's own walk does
 * when it has to. */
static Dwarf_Frame *frame_at(struct cfirows *c, uint64_t lookup, Dwarf_Addr *bias)
{
	Dwfl_Module *mod = dwfl_addrmodule(c->dwfl, lookup);
	Dwarf_Frame *frame = NULL;
	Dwarf_CFI *cfi = mod ? dwfl_module_eh_cfi(mod, bias) : NULL;
	if (cfi && dwarf_cfi_addrframe(cfi, lookup - *bias, &frame) == 0)
		return frame;
	return NULL;
}

int cfirows_ra_undefined(struct cfirows *c, uint64_t lookup)
{
	const struct cfirow *row = cfirows_get(c, lookup);
	if (row)
		return row->rule[CFI_RA] == CFI_UNDEF;
	/* Not a simple row: ask libdw about the return address alone. */
	Dwarf_Addr bias;
	Dwarf_Frame *frame = frame_at(c, lookup, &bias);
	if (!frame)
		return -1;
	Dwarf_Op mem[3], *ops;
	size_t nops;
	int undef = dwarf_frame_register(frame, CFI_RA, mem, &ops, &nops) == 0 && nops == 0 && ops == mem;
	free(frame);
	return undef;
}

/* The search table of the module, from its file (PT_GNU_EH_FRAME, the
 * encodings every linker writes: version 1, a 4-byte eh_frame pointer,
 * udata4 count, datarel sdata4 entries). */
static const struct fdetab *fde_table(struct cfirows *c, Dwfl_Module *mod)
{
	for (size_t i = 0; i < c->nfdes; i++)
		if (c->fdes[i].mod == mod)
			return &c->fdes[i];
	xgrow(&c->fdes, &c->capfdes, c->nfdes + 1, sizeof(*c->fdes));
	struct fdetab *t = &c->fdes[c->nfdes++];
	memset(t, 0, sizeof(*t));
	t->mod = mod;
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	size_t nph, size;
	const unsigned char *image = elf ? (const unsigned char *)elf_rawfile(elf, &size) : NULL;
	if (!image || elf_getphdrnum(elf, &nph) != 0)
		return t;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME)
			continue;
		if (ph.p_offset > size || size - ph.p_offset < 12)
			break;
		const unsigned char *h = image + ph.p_offset;
		if (h[0] != 1 || (h[1] & 0x07) != 0x03 || h[2] != 0x03 || h[3] != 0x3b)
			break;
		uint32_t n;
		memcpy(&n, h + 8, 4);
		if ((size - ph.p_offset - 12) / 8 < n)
			break;
		t->table = h + 12;
		t->n = n;
		t->hdr = ph.p_vaddr + bias;
		break;
	}
	return t;
}

static uint64_t fde_start(const struct fdetab *t, size_t i)
{
	int32_t v;
	memcpy(&v, t->table + 8 * i, 4);
	return t->hdr + (uint64_t)(int64_t)v;
}

bool cfirows_fde_range(struct cfirows *c, uint64_t lookup, uint64_t *start, uint64_t *end)
{
	Dwfl_Module *mod = dwfl_addrmodule(c->dwfl, lookup);
	const struct fdetab *t = mod ? fde_table(c, mod) : NULL;
	if (!t || !t->n)
		return false;
	/* Some FDE must cover lookup (code built without unwind tables has
	 * none): libdw knows; the table then says where it starts. */
	Dwarf_Addr bias;
	Dwarf_Frame *frame = frame_at(c, lookup, &bias);
	if (!frame)
		return false;
	free(frame);
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fde_start(t, mid) <= lookup)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	*start = fde_start(t, lo - 1);
	Dwarf_Addr mlo, mhi;
	dwfl_module_info(mod, NULL, &mlo, &mhi, NULL, NULL, NULL, NULL);
	*end = lo < t->n ? fde_start(t, lo) : mhi;
	return true;
}

/* The row at lookup, if it is one this file understands. */
static bool make_row(struct cfirows *c, uint64_t lookup, struct cfirow *row)
{
	Dwarf_Addr bias;
	Dwarf_Frame *frame = frame_at(c, lookup, &bias);
	if (!frame)
		return false;
	bool ok = false;
	bool signal = false;
	Dwarf_Op *ops;
	size_t nops;
	int ra = dwarf_frame_info(frame, NULL, NULL, &signal);
	if (ra != CFI_RA || signal || dwarf_frame_cfa(frame, &ops, &nops) != 0 || nops != 1)
		goto out;
	if (ops[0].atom == DW_OP_bregx) {
		row->cfa_reg = (uint8_t)(ops[0].number < 255 ? ops[0].number : 255);
		row->cfa_off = (int64_t)ops[0].number2;
	} else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		row->cfa_reg = (uint8_t)(ops[0].atom - DW_OP_breg0);
		row->cfa_off = (int64_t)ops[0].number;
	} else {
		goto out;
	}
	if (row->cfa_reg >= CFI_RA)
		goto out;
	for (int r = 0; r < CFI_NREGS; r++) {
		Dwarf_Op mem[3];
		if (dwarf_frame_register(frame, r, mem, &ops, &nops) != 0)
			goto out;
		row->off[r] = 0;
		if (nops == 0)
			row->rule[r] = ops == mem ? CFI_UNDEF : CFI_SAME;
		else if (!parse_rule(ops, nops, &row->rule[r], &row->off[r]))
			goto out;
	}
	/* The return address: saved on the stack, or undefined (the
	 * outermost frame). */
	ok = row->rule[CFI_RA] == CFI_AT || row->rule[CFI_RA] == CFI_UNDEF;
out:
	free(frame);
	return ok;
}

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

const struct cfirow *cfirows_get(struct cfirows *c, uint64_t lookup)
{
	uint64_t key = lookup | 1ULL << 63;
	size_t j = slot_of(key, c->cap);
	while (c->tab[j].key) {
		if (c->tab[j].key == key)
			return c->tab[j].row >= 0 ? &c->rows[c->tab[j].row] : NULL;
		j = (j + 1) & (c->cap - 1);
	}
	struct cfirow row;
	memset(&row, 0, sizeof(row));
	int32_t idx = -1;
	int saved = symcache_get_row(c->saved, lookup, &row);
	bool have = saved == 1;
	if (saved < 0) {
		have = make_row(c, lookup, &row);
		symcache_put_row(c->saved, lookup, have ? &row : NULL);
	}
	if (have) {
		xgrow(&c->rows, &c->caprows, c->nrows + 1, sizeof(*c->rows));
		c->rows[c->nrows] = row;
		idx = (int32_t)c->nrows++;
	}
	c->tab[j] = (struct slot){key, idx};
	if (++c->used * 2 > c->cap) {
		size_t ncap = c->cap * 2;
		struct slot *nt = xcalloc(ncap, sizeof(*nt));
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->tab[i].key)
				continue;
			size_t k = slot_of(c->tab[i].key, ncap);
			while (nt[k].key)
				k = (k + 1) & (ncap - 1);
			nt[k] = c->tab[i];
		}
		free(c->tab);
		c->tab = nt;
		c->cap = ncap;
	}
	return idx >= 0 ? &c->rows[idx] : NULL;
}
