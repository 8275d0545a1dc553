/* The libunwind engine (engine.h): libunwind's remote unwinder with
 * pileup's own accessors over the snapshot's memory, so the same code
 * walks a captured stack and a core.  No thread is stopped while pileup
 * unwinds (every one is resumed before the analysis starts), so
 * libunwind-ptrace's _UPT_ accessors, which read a stopped thread with
 * PTRACE_PEEKDATA, have no thread to read.
 *
 * find_proc_info locates the .eh_frame_hdr search table of the module
 * holding the pc (its PT_GNU_EH_FRAME segment, through the modules
 * libdwfl reported) and lets libunwind search it, as libunwind-ptrace's
 * own finder does; the layout facts (table right after the 4-byte header
 * and two 4-byte fields, entries of two sdata4 values relative to the
 * header, table_len counted in words) were checked in libunwind 1.6's
 * src/ptrace/_UPT_find_proc_info.c and src/dwarf/Gfind_unwind_table.c. */
#define UNW_REMOTE_ONLY
#include "engine.h"
#include "error.h"

#include <gelf.h>
#include <libunwind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exported by libunwind-x86_64 and used by its ptrace and coredump
 * finders (and by perf), but declared in no installed header. */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
					      unw_proc_info_t *pi, int need_unwind_info, void *arg);

enum { DW_EH_PE_udata4 = 0x03, DW_EH_PE_sdata4 = 0x0b, DW_EH_PE_pcrel = 0x10, DW_EH_PE_datarel = 0x30 };

/* A module's search table, found once. */
struct table {
	Dwfl_Module *mod;
	bool ok;
	unw_dyn_info_t di;
};

struct lu {
	struct unwind_engine e;
	struct unwind_mem *m;
	unw_addr_space_t as;
	const struct snap_regs *regs;
	struct table *tables;
	size_t ntables, cap;
};

static bool table_of(struct lu *l, Dwfl_Module *mod, struct table *t)
{
	Dwarf_Addr bias, lo, hi;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	size_t nph;
	if (!elf || elf_getphdrnum(elf, &nph) != 0)
		return false;
	dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME)
			continue;
		uint64_t hdr = ph.p_vaddr + bias;
		unsigned char h[12];
		if (!unwind_mem_read(l->m, hdr, h, 8) || !unwind_mem_read(l->m, hdr + 8, h + 8, 4))
			return false;
		/* version 1; eh_frame_ptr a 4-byte value; fde_count udata4;
		 * the table datarel sdata4 (what dwarf_search_unwind_table reads) */
		if (h[0] != 1 || (h[1] & 0x0f) == 0 || ((h[1] & 0x0f) != DW_EH_PE_udata4 && (h[1] & 0x0f) != DW_EH_PE_sdata4) ||
		    h[2] != DW_EH_PE_udata4 || h[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
			return false;
		uint32_t count;
		memcpy(&count, h + 8, 4);
		memset(&t->di, 0, sizeof(t->di));
		t->di.start_ip = lo;
		t->di.end_ip = hi;
		t->di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
		t->di.u.rti.segbase = hdr;
		t->di.u.rti.table_data = hdr + 12;
		t->di.u.rti.table_len = (unw_word_t)count * 8 / sizeof(unw_word_t);
		return count > 0;
	}
	return false;
}

static const struct table *find_table(struct lu *l, Dwfl_Module *mod)
{
	for (size_t i = 0; i < l->ntables; i++)
		if (l->tables[i].mod == mod)
			return &l->tables[i];
	xgrow(&l->tables, &l->cap, l->ntables + 1, sizeof(*l->tables));
	struct table *t = &l->tables[l->ntables++];
	t->mod = mod;
	t->ok = table_of(l, mod, t);
	return t;
}

static int lu_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need, void *arg)
{
	struct lu *l = arg;
	Dwfl_Module *mod = dwfl_addrmodule(l->m->dwfl, ip);
	const struct table *t = mod ? find_table(l, mod) : NULL;
	if (!t || !t->ok)
		return -UNW_ENOINFO;
	unw_dyn_info_t di = t->di;
	return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need, arg);
}

static void lu_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)as;
	(void)pi;
	(void)arg; /* DWARF unwind info is libunwind's to free */
}

static int lu_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	(void)as;
	(void)addr;
	(void)arg;
	return -UNW_ENOINFO;
}

static int lu_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	(void)as;
	struct lu *l = arg;
	if (write)
		return -UNW_EINVAL; /* the snapshot is read only */
	uint64_t v;
	if (!unwind_mem_read(l->m, addr, &v, 8))
		return -UNW_EINVAL;
	*val = v;
	return 0;
}

static int lu_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	(void)as;
	struct lu *l = arg;
	/* libunwind's x86_64 numbering is DWARF's, as the snapshot's. */
	if (write || reg < 0 || reg >= SNAP_NREGS || !(l->regs->valid & (1u << reg)))
		return -UNW_EBADREG;
	*val = l->regs->r[reg];
	return 0;
}

static int lu_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
	(void)as;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

static int lu_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as;
	(void)c;
	(void)arg;
	return -UNW_EINVAL;
}

static int lu_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len, unw_word_t *off, void *arg)
{
	(void)as;
	(void)addr;
	(void)buf;
	(void)len;
	(void)off;
	(void)arg;
	return -UNW_ENOINFO; /* symbols.c names frames, for every engine */
}

static unw_accessors_t accessors = {
	.find_proc_info = lu_find_proc_info,
	.put_unwind_info = lu_put_unwind_info,
	.get_dyn_info_list_addr = lu_get_dyn_info_list_addr,
	.access_mem = lu_access_mem,
	.access_reg = lu_access_reg,
	.access_fpreg = lu_access_fpreg,
	.resume = lu_resume,
	.get_proc_name = lu_get_proc_name,
};

static void lu_walk(struct unwind_engine *e, const struct snap_regs *regs, struct unwind_walk *w)
{
	struct lu *l = (struct lu *)e;
	e->walks++;
	w->n = 0;
	w->ended = false;
	w->err[0] = 0;
	if (!(regs->valid & (1u << SNAP_REG_RIP)) || !(regs->valid & (1u << SNAP_REG_RSP))) {
		snprintf(w->err, sizeof(w->err), "no pc or stack pointer");
		return;
	}
	l->regs = regs;
	unw_cursor_t c;
	int rc = unw_init_remote(&c, l->as, l);
	bool act = true;
	while (rc >= 0) {
		unw_word_t ip = 0, sp = 0;
		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || !ip)
			break;
		unw_get_reg(&c, UNW_REG_SP, &sp);
		if (w->n == UNWIND_MAX_FRAMES) {
			snprintf(w->err, sizeof(w->err), "stack deeper than %d frames, cut there", UNWIND_MAX_FRAMES);
			l->regs = NULL;
			return;
		}
		w->pc[w->n] = ip;
		w->sp[w->n] = sp;
		w->act[w->n] = act;
		w->n++;
		/* The frame a signal interrupted executes its pc. */
		act = unw_is_signal_frame(&c) > 0;
		rc = unw_step(&c);
		if (rc == 0) {
			w->ended = true;
			break;
		}
	}
	if (rc < 0)
		snprintf(w->err, sizeof(w->err), "libunwind: %s", unw_strerror(rc));
	else if (!w->ended && !w->n)
		snprintf(w->err, sizeof(w->err), "libunwind: no pc");
	else
		w->ended = true;
	l->regs = NULL;
}

static void lu_destroy(struct unwind_engine *e)
{
	struct lu *l = (struct lu *)e;
	unw_destroy_addr_space(l->as);
	free(l->tables);
	free(l);
}

struct unwind_engine *unwind_libunwind_create(struct unwind_mem *m)
{
	unw_addr_space_t as = unw_create_addr_space(&accessors, 0);
	if (!as)
		return NULL;
	unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
	struct lu *l = xcalloc(1, sizeof(*l));
	l->e.name = "libunwind";
	l->e.walk = lu_walk;
	l->e.destroy = lu_destroy;
	l->m = m;
	l->as = as;
	return &l->e;
}
