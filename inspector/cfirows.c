#include "cfirows.h"
#include "error.h"
#include "symcache.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t key; /* lookup | 1 << 63; 0 = empty */
	int32_t row;  /* index into rows, -1: none */
};

struct cfirows {
	Dwfl *dwfl;
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

/* The row at lookup, if it is one this file understands. */
static bool make_row(struct cfirows *c, uint64_t lookup, struct cfirow *row)
{
	Dwfl_Module *mod = dwfl_addrmodule(c->dwfl, lookup);
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = mod ? dwfl_module_eh_cfi(mod, &bias) : NULL;
	Dwarf_Frame *frame = NULL;
	if (!cfi || dwarf_cfi_addrframe(cfi, lookup - bias, &frame) != 0)
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
