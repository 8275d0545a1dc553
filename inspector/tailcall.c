#include "tailcall.h"
#include "error.h"
#include "symcache.h"
#include "symindex.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

struct cached {
	uint64_t ra, callee_pc; /* the callee's lookup pc (pc - 1 for return addresses) */
	uint8_t n;
	uint64_t pcs[TAILCALL_MAX];
	bool used;
};

struct tailcalls {
	Dwfl *dwfl;
	struct symindex *si;
	struct symcache *saved; /* chains found by earlier runs */
	struct cached *cache;
	size_t cap, used;
};

struct tailcalls *tailcalls_create(Dwfl *dwfl, struct symindex *si, struct symcache *saved)
{
	struct tailcalls *tc = xcalloc(1, sizeof(*tc));
	tc->dwfl = dwfl;
	tc->si = si;
	tc->saved = saved;
	tc->cap = 256;
	tc->cache = xcalloc(tc->cap, sizeof(*tc->cache));
	return tc;
}

void tailcalls_destroy(struct tailcalls *tc)
{
	if (!tc)
		return;
	free(tc->cache);
	free(tc);
}

static const char *die_linkage_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) || dwarf_attr_integrate(die, DW_AT_name, &attr))
		return dwarf_formstring(&attr);
	return NULL;
}

/* Entry address of the function a call site calls, or 0 if unknown. */
static uint64_t call_target(struct tailcalls *tc, Dwarf_Die *site, Dwarf_Addr bias, uint64_t near)
{
	Dwarf_Attribute attr;
	Dwarf_Die origin;
	if (!dwarf_attr(site, DW_AT_call_origin, &attr) && !dwarf_attr(site, DW_AT_abstract_origin, &attr))
		return 0;
	if (!dwarf_formref_die(&attr, &origin))
		return 0;
	Dwarf_Addr entry;
	if (!dwarf_hasattr(&origin, DW_AT_declaration) && dwarf_entrypc(&origin, &entry) == 0)
		return entry + bias;
	const char *name = die_linkage_name(&origin);
	return name ? symindex_function_by_name(tc->si, name, near) : 0;
}

static bool site_return_pc(Dwarf_Die *site, Dwarf_Addr *ret)
{
	Dwarf_Attribute attr;
	if (dwarf_attr(site, DW_AT_call_return_pc, &attr) || dwarf_attr(site, DW_AT_low_pc, &attr))
		return dwarf_formaddr(&attr, ret) == 0;
	return false;
}

static bool is_tail(Dwarf_Die *site)
{
	return dwarf_hasattr(site, DW_AT_call_tail_call) || dwarf_hasattr(site, DW_AT_GNU_tail_call);
}

typedef bool (*site_fn)(Dwarf_Die *site, void *arg);

/* Visits the call sites in a function's DIE tree (inline instances and
 * lexical blocks included); stops when fn returns true. */
static bool walk_sites(Dwarf_Die *parent, site_fn fn, void *arg, int depth)
{
	Dwarf_Die child;
	if (depth > 64 || dwarf_child(parent, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) {
			if (fn(&child, arg))
				return true;
		} else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
			if (walk_sites(&child, fn, arg, depth + 1))
				return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* The subprogram DIE whose code holds addr, and its module's bias. */
static bool function_die(struct tailcalls *tc, uint64_t addr, Dwarf_Die *ret, Dwarf_Addr *bias)
{
	Dwfl_Module *mod = dwfl_addrmodule(tc->dwfl, addr);
	if (!mod)
		return false;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);
	if (!cu)
		return false;
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes(cu, addr - *bias, &scopes);
	bool found = false;
	for (int i = 0; i < n && !found; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_subprogram) {
			*ret = scopes[i];
			found = true;
		} else if (tag == DW_TAG_inlined_subroutine) {
			/* Leave the abstract definition for the function the
			 * code was inlined into (see symbols.c). */
			Dwarf_Die *outer = NULL;
			int nouter = dwarf_getscopes_die(&scopes[i], &outer);
			if (nouter > 0) {
				free(scopes);
				scopes = outer;
				n = nouter;
				i = 0;
			} else {
				free(outer);
			}
		}
	}
	free(scopes);
	return found;
}

struct find_ret {
	Dwarf_Addr want;
	Dwarf_Die site;
	bool found;
};

static bool match_ret(Dwarf_Die *site, void *arg)
{
	struct find_ret *f = arg;
	Dwarf_Addr pc;
	if (site_return_pc(site, &pc) && pc == f->want) {
		f->site = *site;
		f->found = true;
		return true;
	}
	return false;
}

struct search {
	struct tailcalls *tc;
	uint64_t goal;           /* entry of the function actually running */
	uint64_t path[TAILCALL_MAX], best[TAILCALL_MAX];
	int depth, best_len, found;
	Dwarf_Addr bias;
};

static void search_from(struct search *s, uint64_t entry);

struct tail_arg {
	struct search *s;
	Dwarf_Addr bias;
};

static bool visit_tail(Dwarf_Die *site, void *arg)
{
	struct tail_arg *ta = arg;
	struct search *s = ta->s;
	Dwarf_Addr ret;
	if (!is_tail(site) || !site_return_pc(site, &ret))
		return false;
	uint64_t target = call_target(s->tc, site, ta->bias, ret + ta->bias - 1);
	if (!target)
		return false;
	s->path[s->depth] = ret + ta->bias;
	s->depth++;
	if (target == s->goal) {
		if (s->found && (s->best_len != s->depth || memcmp(s->best, s->path, sizeof(uint64_t) * (size_t)s->depth)))
			s->found = 2; /* two different chains: ambiguous */
		else if (!s->found) {
			s->found = 1;
			s->best_len = s->depth;
			memcpy(s->best, s->path, sizeof(uint64_t) * (size_t)s->depth);
		}
	} else if (s->depth < TAILCALL_MAX) {
		search_from(s, target);
	}
	s->depth--;
	return s->found == 2;
}

static void search_from(struct search *s, uint64_t entry)
{
	Dwarf_Die fn;
	Dwarf_Addr bias;
	if (!function_die(s->tc, entry, &fn, &bias))
		return;
	struct tail_arg ta = {s, bias};
	walk_sites(&fn, visit_tail, &ta, 0);
}

static uint64_t function_entry(struct tailcalls *tc, uint64_t pc)
{
	Dwfl_Module *mod = dwfl_addrmodule(tc->dwfl, pc);
	struct symhit hit;
	if (mod && symindex_lookup(tc->si, mod, pc, &hit))
		return hit.value;
	return 0;
}

static size_t compute(struct tailcalls *tc, uint64_t callee_entry, uint64_t ra, uint64_t *out)
{
	Dwarf_Die caller;
	Dwarf_Addr bias;
	if (!callee_entry || !function_die(tc, ra - 1, &caller, &bias))
		return 0;
	struct find_ret f = {.want = ra - bias};
	walk_sites(&caller, match_ret, &f, 0);
	if (!f.found)
		return 0;
	uint64_t target = call_target(tc, &f.site, bias, ra - 1);
	if (!target || target == callee_entry)
		return 0;
	/* The caller called target, yet callee runs: target tail-called it,
	 * directly or through a chain. */
	struct search s = {.tc = tc, .goal = callee_entry};
	search_from(&s, target);
	if (s.found != 1)
		return 0;
	/* s.best runs outermost (target) first; frames go innermost first */
	for (int i = 0; i < s.best_len; i++)
		out[i] = s.best[s.best_len - 1 - i];
	return (size_t)s.best_len;
}

size_t tailcalls_between(struct tailcalls *tc, uint64_t callee_pc, bool activation, uint64_t ra, uint64_t out[TAILCALL_MAX])
{
	/* Keyed on the raw pcs: threads parked alike hit the cache without
	 * any symbol lookup. */
	uint64_t lookup = activation ? callee_pc : callee_pc - 1;
	uint64_t key = ra * 31 + lookup;
	size_t j = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 20) & (tc->cap - 1);
	while (tc->cache[j].used) {
		struct cached *c = &tc->cache[j];
		if (c->ra == ra && c->callee_pc == lookup) {
			memcpy(out, c->pcs, sizeof(uint64_t) * c->n);
			return c->n;
		}
		j = (j + 1) & (tc->cap - 1);
	}
	long got = symcache_get_tails(tc->saved, lookup, ra, out, TAILCALL_MAX);
	size_t n;
	if (got >= 0) {
		n = (size_t)got;
	} else {
		n = compute(tc, function_entry(tc, lookup), ra, out);
		symcache_put_tails(tc->saved, lookup, ra, out, n);
	}
	struct cached *c = &tc->cache[j];
	*c = (struct cached){.ra = ra, .callee_pc = lookup, .n = (uint8_t)n, .used = true};
	memcpy(c->pcs, out, sizeof(uint64_t) * n);
	if (++tc->used * 2 > tc->cap) {
		struct cached *old = tc->cache;
		size_t ocap = tc->cap;
		tc->cap *= 2;
		tc->cache = xcalloc(tc->cap, sizeof(*tc->cache));
		tc->used = 0;
		for (size_t i = 0; i < ocap; i++) {
			if (!old[i].used)
				continue;
			size_t k = (size_t)((old[i].ra * 31 + old[i].callee_pc) * 0x9e3779b97f4a7c15ULL >> 20) & (tc->cap - 1);
			while (tc->cache[k].used)
				k = (k + 1) & (tc->cap - 1);
			tc->cache[k] = old[i];
			tc->used++;
		}
		free(old);
	}
	return n;
}
