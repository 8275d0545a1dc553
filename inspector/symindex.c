#include "symindex.h"
#include "error.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	uint64_t value, size;
	const char *name;
	uint32_t ndx; /* in libdwfl's numbering: table order breaks ties */
	uint32_t shndx;
	uint8_t bind, type;
	bool global; /* in the global part of the table (libdwfl searches it first) */
};

struct modindex {
	Dwfl_Module *mod;
	struct entry *e; /* sorted by value, then ndx */
	uint64_t *maxend; /* maxend[i]: the highest end of a sized symbol in e[0..i] */
	size_t n;
	Elf *elf;         /* the symbols' ELF and bias, for sections */
	Dwarf_Addr bias;
	/* function names: open addressing over e, by name up to '@' */
	uint32_t *names; /* index + 1; 0 = empty */
	size_t names_cap;
};

struct symindex {
	Dwfl *dwfl;
	struct modindex **tab; /* by module pointer, open addressing */
	size_t cap, used;
	bool all; /* every module indexed */
};

struct symindex *symindex_create(Dwfl *dwfl)
{
	struct symindex *si = xcalloc(1, sizeof(*si));
	si->dwfl = dwfl;
	si->cap = 64;
	si->tab = xcalloc(si->cap, sizeof(*si->tab));
	return si;
}

void symindex_destroy(struct symindex *si)
{
	if (!si)
		return;
	for (size_t i = 0; i < si->cap; i++) {
		struct modindex *m = si->tab[i];
		if (!m)
			continue;
		free(m->e);
		free(m->maxend);
		free(m->names);
		free(m);
	}
	free(si->tab);
	free(si);
}

static size_t ptr_slot(const void *p, size_t cap)
{
	return (size_t)(((uintptr_t)p * 0x9e3779b97f4a7c15ULL) >> 24) & (cap - 1);
}

static int by_value(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->ndx < y->ndx ? -1 : x->ndx > y->ndx;
}

static void build(struct modindex *m)
{
	Dwfl_Module *mod = m->mod;
	int n = dwfl_module_getsymtab(mod);
	int first_global = dwfl_module_getsymtab_first_global(mod);
	if (n <= 1 || first_global < 0)
		return;
	m->e = xmalloc((size_t)n * sizeof(*m->e));
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		Elf *elf = NULL;
		Dwarf_Addr bias = 0;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, &elf, &bias);
		int type = GELF_ST_TYPE(sym.st_info);
		if (!name || !name[0] || sym.st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE ||
		    type == STT_TLS)
			continue;
		if (!m->elf && elf) {
			m->elf = elf;
			m->bias = bias;
		}
		m->e[m->n++] = (struct entry){
			.value = addr,
			.size = sym.st_size,
			.name = name,
			.ndx = (uint32_t)i,
			.shndx = shndx,
			.bind = (uint8_t)GELF_ST_BIND(sym.st_info),
			.type = (uint8_t)type,
			/* With only .dynsym read from memory, libdwfl says 0. */
			.global = first_global == 0 || i >= first_global,
		};
	}
	qsort(m->e, m->n, sizeof(*m->e), by_value);
	m->maxend = xmalloc((m->n ? m->n : 1) * sizeof(*m->maxend));
	uint64_t hi = 0;
	for (size_t i = 0; i < m->n; i++) {
		uint64_t end = m->e[i].value + m->e[i].size;
		if (m->e[i].size && end > hi)
			hi = end;
		m->maxend[i] = hi;
	}
}

static struct modindex *module_index(struct symindex *si, Dwfl_Module *mod)
{
	size_t j = ptr_slot(mod, si->cap);
	while (si->tab[j]) {
		if (si->tab[j]->mod == mod)
			return si->tab[j];
		j = (j + 1) & (si->cap - 1);
	}
	struct modindex *m = xcalloc(1, sizeof(*m));
	m->mod = mod;
	build(m);
	si->tab[j] = m;
	if (++si->used * 2 > si->cap) {
		size_t ncap = si->cap * 2;
		struct modindex **nt = xcalloc(ncap, sizeof(*nt));
		for (size_t i = 0; i < si->cap; i++) {
			if (!si->tab[i])
				continue;
			size_t k = ptr_slot(si->tab[i]->mod, ncap);
			while (nt[k])
				k = (k + 1) & (ncap - 1);
			nt[k] = si->tab[i];
		}
		free(si->tab);
		si->tab = nt;
		si->cap = ncap;
	}
	return m;
}

/* Index of the last entry whose value is <= addr, or -1. */
static long last_at_or_below(const struct modindex *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->e[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static int binding_rank(uint8_t bind)
{
	return bind == STB_GLOBAL ? 3 : bind == STB_WEAK ? 2 : bind == STB_LOCAL ? 1 : 0;
}

/* Better holder of the address than best (NULL: none yet)? */
static bool better(const struct entry *e, const struct entry *best)
{
	if (!best)
		return true;
	if (e->value != best->value)
		return e->value > best->value;
	if (binding_rank(e->bind) != binding_rank(best->bind))
		return binding_rank(e->bind) > binding_rank(best->bind);
	if (e->size != best->size)
		return e->size < best->size;
	return e->ndx < best->ndx;
}

/* The section index of the module's ELF holding addr (SHN_UNDEF: none). */
static unsigned section_of(const struct modindex *m, uint64_t addr)
{
	if (!m->elf)
		return SHN_UNDEF;
	uint64_t a = addr - m->bias;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(m->elf, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_ALLOC) && a >= sh.sh_addr && a - sh.sh_addr < sh.sh_size)
			return (unsigned)elf_ndxscn(scn);
	}
	return SHN_UNDEF;
}

bool symindex_lookup(struct symindex *si, Dwfl_Module *mod, uint64_t addr, struct symhit *hit)
{
	if (!mod)
		return false;
	struct modindex *m = module_index(si, mod);
	long top = last_at_or_below(m, addr);
	if (top < 0)
		return false;
	const struct entry *sized[2] = {NULL, NULL}; /* [0] global, [1] local */
	const struct entry *label[2] = {NULL, NULL};
	/* Below i, no sized symbol reaches past maxend[i]. */
	for (long i = top; i >= 0 && m->maxend[i] > addr; i--) {
		const struct entry *e = &m->e[i];
		if (e->size && addr - e->value < e->size && better(e, sized[!e->global]))
			sized[!e->global] = e;
	}
	const struct entry *best = sized[0] ? sized[0] : sized[1];
	if (!best) {
		/* Hand-written assembly: a label with no size, nearest below,
		 * not inside (or below) any sized symbol's range. */
		uint64_t min_label = m->maxend[top];
		unsigned sec = 0;
		bool sec_known = false;
		for (long i = top; i >= 0 && m->e[i].value >= min_label; i--) {
			const struct entry *e = &m->e[i];
			if (e->size || label[!e->global])
				continue;
			/* absolute symbols and the like match only exactly */
			bool same = e->value == addr;
			if (e->shndx < SHN_LORESERVE) {
				if (!sec_known) {
					sec = section_of(m, addr);
					sec_known = true;
				}
				same = sec != SHN_UNDEF && e->shndx == sec;
			}
			if (same)
				label[!e->global] = e;
			if (label[0] && label[1])
				break;
		}
		best = label[0] ? label[0] : label[1];
	}
	if (!best)
		return false;
	*hit = (struct symhit){best->name, best->value, best->size, best->bind, best->type};
	return true;
}

const char *symindex_public_alias(struct symindex *si, Dwfl_Module *mod, uint64_t value)
{
	if (!mod)
		return NULL;
	struct modindex *m = module_index(si, mod);
	const char *alias = NULL;
	uint32_t ndx = UINT32_MAX;
	for (long i = last_at_or_below(m, value); i >= 0 && m->e[i].value == value; i--) {
		const struct entry *e = &m->e[i];
		if (e->name[0] != '_' && e->type == STT_FUNC && e->bind != STB_LOCAL && e->ndx < ndx) {
			alias = e->name;
			ndx = e->ndx;
		}
	}
	return alias;
}

static size_t name_len(const char *s)
{
	const char *at = strchr(s, '@');
	return at ? (size_t)(at - s) : strlen(s);
}

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static bool is_function(const struct entry *e)
{
	return e->type == STT_FUNC && e->value;
}

static void build_names(struct modindex *m)
{
	size_t nf = 0;
	for (size_t i = 0; i < m->n; i++)
		nf += is_function(&m->e[i]);
	m->names_cap = 16;
	while (m->names_cap < 2 * nf)
		m->names_cap *= 2;
	m->names = xcalloc(m->names_cap, sizeof(*m->names));
	for (size_t i = 0; i < m->n; i++) {
		if (!is_function(&m->e[i]))
			continue;
		size_t j = name_hash(m->e[i].name, name_len(m->e[i].name)) & (m->names_cap - 1);
		while (m->names[j])
			j = (j + 1) & (m->names_cap - 1);
		m->names[j] = (uint32_t)i + 1;
	}
}

struct name_count {
	uint64_t local, global;
	int nlocal, nglobal;
};

static void count_name(struct modindex *m, const char *name, size_t len, bool home, struct name_count *c)
{
	if (!m->names)
		build_names(m);
	for (size_t j = name_hash(name, len) & (m->names_cap - 1); m->names[j]; j = (j + 1) & (m->names_cap - 1)) {
		const struct entry *e = &m->e[m->names[j] - 1];
		if (name_len(e->name) != len || memcmp(e->name, name, len) != 0)
			continue;
		if (e->bind != STB_LOCAL) {
			if (c->global != e->value)
				c->nglobal++;
			c->global = e->value;
		} else if (home) {
			if (c->local != e->value)
				c->nlocal++;
			c->local = e->value;
		}
	}
}

static int index_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)name;
	(void)start;
	module_index(arg, mod);
	return DWARF_CB_OK;
}

uint64_t symindex_function_by_name(struct symindex *si, const char *name, uint64_t near)
{
	if (!si->all) {
		dwfl_getmodules(si->dwfl, index_module, si, 0);
		si->all = true;
	}
	Dwfl_Module *home = dwfl_addrmodule(si->dwfl, near);
	size_t len = name_len(name);
	struct name_count c = {0};
	for (size_t i = 0; i < si->cap; i++)
		if (si->tab[i])
			count_name(si->tab[i], name, len, si->tab[i]->mod == home, &c);
	if (c.nlocal == 1)
		return c.local;
	return c.nglobal == 1 ? c.global : 0;
}
