#include "symbols.h"
#include "demangle_rust.h"
#include "dwarf_rust.h"
#include "error.h"
#include "perfmap.h"
#include "symcache.h"
#include "symindex.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libiberty/demangle.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct modinfo {
	const char *name;     /* interned path */
	const char *build_id; /* interned hex, or NULL */
	bool library;
	Dwarf_Addr start;
};

struct slot {
	uint64_t key; /* pc << 1 | activation; 0 = empty */
	uint32_t first, n;
};

struct symbols {
	struct snapshot *snap;
	Dwfl *dwfl;
	struct slot *tab;
	size_t cap, used;
	struct frame *frames;
	size_t nframes, capframes;
	struct modinfo **mods;
	size_t nmods, capmods;
	struct dwarf_rust *rust; /* scopes dwarf_getscopes misses in Rust */
	struct symindex *si;
	struct symcache *cache; /* pcs symbolized by earlier runs */
	bool all_mods;           /* every module of dwfl is in mods */
	struct perfmap *perfmap; /* the program's JIT code names, if it has them */
	bool perfmap_tried;
};

struct symbols *symbols_create(struct snapshot *snap, Dwfl *dwfl, struct symindex *si, struct symcache *cache)
{
	struct symbols *s = xcalloc(1, sizeof(*s));
	s->snap = snap;
	s->dwfl = dwfl;
	s->si = si;
	s->cache = cache;
	s->cap = 4096;
	s->tab = xcalloc(s->cap, sizeof(*s->tab));
	s->rust = dwarf_rust_create();
	return s;
}

void symbols_destroy(struct symbols *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmods; i++)
		free(s->mods[i]);
	free(s->mods);
	free(s->tab);
	free(s->frames);
	dwarf_rust_destroy(s->rust);
	perfmap_destroy(s->perfmap);
	free(s);
}

size_t symbols_distinct(const struct symbols *s)
{
	return s->used;
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

bool symbols_is_library_module(const char *path)
{
	if (!path)
		return false;
	static const char *const prefixes[] = {
		"libc.so", "libc-", "libpthread", "ld-linux", "ld64.so", "ld-2.", "linux-vdso",
		"[vdso", "libstdc++", "libgcc_s", "libdl.", "librt.", "libc++.so", "libc++abi",
		"libm.so", "libresolv", "libnss_",
	};
	const char *b = base_name(path);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (strncmp(b, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* Code from system headers (libstdc++'s inline functions and templates)
 * is library code even when compiled into the program. */
static bool is_system_file(const char *file)
{
	return file && (strncmp(file, "/usr/include/", 13) == 0 || strncmp(file, "/usr/lib/gcc/", 13) == 0 ||
			strstr(file, "/rustc/") || strstr(file, "/lib/rustlib/"));
}

bool symbols_is_library_function(const char *name)
{
	if (!name)
		return false;
	/* Rust: "<std::sync::mutex::Mutex<T>>::lock", "<str>::find". */
	if (demangle_rust_is_std_impl(name))
		return true;
	/* Template functions demangle with their return type first:
	 * "void std::this_thread::sleep_for<...>(...)". */
	size_t open = strcspn(name, "(<");
	for (size_t i = open; i > 0; i--)
		if (name[i - 1] == ' ') {
			name += i;
			break;
		}
	static const char *const prefixes[] = {
		"std::", "__gnu_cxx::", "__cxxabiv1::", "core::", "alloc::", "__std_",
		"__lll_", "__futex", "__pthread", "___pthread", "pthread_", "__GI_",
	};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* C++ and Rust's legacy mangling through libiberty (what c++filt and
 * binutils use): for Rust it drops the "::h<hash>" suffix and decodes
 * "$LT$"-style escapes, which a C++ demangler leaves raw.  Rust's v0
 * names ("_R...") go through demangle_rust.c first: on its test table
 * (tests/helpers/demangle_test.c, rustc-demangle's output) libiberty of
 * binutils 2.40 differs in 18 of 95 names (".cold" suffixes dropped,
 * constant generics, chars, u128), so it is only the fallback there. */
char *symbols_demangle(const char *name)
{
	if (!name)
		return NULL;
	if (name[0] == '_' && name[1] == 'R') {
		char *d = demangle_rust_v0(name);
		if (!d)
			d = rust_demangle(name, DMGL_PARAMS | DMGL_ANSI);
		if (d)
			return d;
	}
	if (name[0] == '_' && name[1] == 'Z') {
		char *d = rust_demangle(name, DMGL_PARAMS | DMGL_ANSI);
		if (!d)
			d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
		if (d)
			return d;
	}
	return xstrdup(name);
}

static struct modinfo *module_info(struct symbols *s, Dwfl_Module *mod)
{
	void **ud;
	Dwarf_Addr start;
	const char *name = dwfl_module_info(mod, &ud, &start, NULL, NULL, NULL, NULL, NULL);
	if (*ud)
		return *ud;
	struct modinfo *mi = xcalloc(1, sizeof(*mi));
	/* Cores name modules by soname or file name: the mapping at the
	 * module's start says the path, as the target named it. */
	const struct snap_map *m = snapshot_find_map(s->snap, start);
	if (m && m->path && (m->path[0] == '/' || strcmp(m->path, "[vdso]") == 0))
		name = m->path;
	char *clean = xstrdup(name ? name : "?");
	char *del = strstr(clean, " (deleted)");
	if (del && del[10] == 0)
		*del = 0;
	if (strncmp(clean, "[vdso", 5) == 0)
		snprintf(clean, strlen(clean) + 1, "[vdso]");
	mi->name = strpool_intern(s->snap->strings, clean);
	free(clean);
	mi->library = symbols_is_library_module(mi->name);
	mi->start = start;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (len > 0) {
		char hex[2 * 64 + 1];
		if (len > 64)
			len = 64;
		for (int i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", bits[i]);
		mi->build_id = strpool_intern(s->snap->strings, hex);
	}
	*ud = mi;
	xgrow(&s->mods, &s->capmods, s->nmods + 1, sizeof(*s->mods));
	s->mods[s->nmods++] = mi;
	return mi;
}

static int add_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)name;
	(void)start;
	module_info(arg, mod);
	return DWARF_CB_OK;
}

const char *symbols_build_id(struct symbols *s, const char *module)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < s->nmods; i++)
			if (s->mods[i]->name == module || (module && strcmp(s->mods[i]->name, module) == 0))
				return s->mods[i]->build_id;
		/* A module no frame was symbolized in (a Go executable, whose
		 * frames come from its pclntab): the build-id note of the ELF
		 * libdwfl already opened, no debug information read. */
		if (pass || s->all_mods)
			break;
		s->all_mods = true;
		dwfl_getmodules(s->dwfl, add_module, s, 0);
	}
	return NULL;
}

/* The name of a subprogram or inlined-subroutine DIE, demangled, interned. */
static const char *die_name(struct symbols *s, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *n = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) || dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		n = dwarf_formstring(&attr);
	if (!n && dwarf_attr_integrate(die, DW_AT_name, &attr))
		n = dwarf_formstring(&attr);
	if (!n)
		return NULL;
	char *d = symbols_demangle(n);
	const char *r = strpool_intern(s->snap->strings, d);
	free(d);
	return r;
}

static void push(struct symbols *s, const struct frame *f)
{
	xgrow(&s->frames, &s->capframes, s->nframes + 1, sizeof(*s->frames));
	s->frames[s->nframes++] = *f;
}

static void resolve(struct symbols *s, uint64_t pc, bool activation)
{
	Dwarf_Addr lookup = activation ? pc : pc - 1;
	struct frame base = {.pc = pc};
	Dwfl_Module *mod = s->dwfl ? dwfl_addrmodule(s->dwfl, lookup) : NULL;
	if (!mod) {
		const struct snap_map *m = snapshot_find_map(s->snap, lookup);
		if (m) {
			base.module = m->path ? strpool_intern(s->snap->strings, m->path) : NULL;
			base.offset = pc - m->start + m->offset;
		} else {
			base.offset = pc;
		}
		push(s, &base);
		return;
	}
	struct modinfo *mi = module_info(s, mod);
	base.module = mi->name;
	base.library = mi->library;

	uint64_t off = 0;
	struct symhit hit;
	const char *symname = NULL;
	if (symindex_lookup(s->si, mod, lookup, &hit)) {
		symname = hit.name;
		off = lookup - hit.value;
		/* glibc names its functions __pthread_mutex_lock and exports
		 * them as pthread_mutex_lock at the same address: show the
		 * name programs call. */
		const char *alias = symname[0] == '_' ? symindex_public_alias(s->si, mod, hit.value) : NULL;
		if (alias)
			symname = alias;
	}
	const char *physname = NULL;
	if (symname) {
		/* .symtab names carry versions: pthread_cond_wait@@GLIBC_2.3.2 */
		char *d = symbols_demangle(symname), *at = strchr(d, '@');
		if (at && at != d)
			*at = 0;
		physname = strpool_intern(s->snap->strings, d);
		free(d);
		base.offset = off + (pc - lookup);
	} else {
		base.offset = pc - mi->start;
	}

	Dwfl_Line *line = dwfl_module_getsrc(mod, lookup);
	const char *file = NULL;
	int lineno = 0;
	if (line) {
		const char *f = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		file = f ? strpool_intern(s->snap->strings, f) : NULL;
	}

	Dwarf_Addr bias = 0;
	Dwarf_Die *cudie = dwfl_module_addrdie(mod, lookup, &bias);
	Dwarf_Die *scopes = NULL;
	int nscopes = cudie ? dwarf_getscopes(cudie, lookup - bias, &scopes) : 0;
	/* Rust's functions sit in namespaces, where dwarf_getscopes does not
	 * look; that chain is concrete all the way out. */
	bool concrete = false;
	if (nscopes <= 0 && cudie && dwarf_srclang(cudie) == DW_LANG_Rust) {
		free(scopes);
		nscopes = dwarf_rust_getscopes(s->rust, cudie, lookup - bias, &scopes);
		concrete = nscopes > 0;
	}
	Dwarf_Files *files = NULL;
	size_t nfiles = 0;
	bool emitted_physical = false;
	for (int i = 0; i < nscopes; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		struct frame f = base;
		f.file = file;
		f.line = lineno;
		if (tag == DW_TAG_subprogram) {
			f.function = physname ? physname : die_name(s, &scopes[i]);
			push(s, &f);
			emitted_physical = true;
			break;
		}
		f.function = die_name(s, &scopes[i]);
		f.inlined = true;
		/* Library code inlined into the program (std::mutex::lock)
		 * is still library code. */
		f.library = base.library || symbols_is_library_function(f.function) || is_system_file(f.file);
		push(s, &f);
		/* The caller's position is where this was inlined. */
		Dwarf_Attribute attr;
		Dwarf_Word cf = 0, cl = 0;
		file = NULL;
		lineno = 0;
		if (dwarf_attr(&scopes[i], DW_AT_call_file, &attr) && dwarf_formudata(&attr, &cf) == 0) {
			if (!files)
				dwarf_getsrcfiles(cudie, &files, &nfiles);
			if (files && cf < nfiles) {
				const char *fn = dwarf_filesrc(files, cf, NULL, NULL);
				file = fn ? strpool_intern(s->snap->strings, fn) : NULL;
			}
		}
		if (dwarf_attr(&scopes[i], DW_AT_call_line, &attr) && dwarf_formudata(&attr, &cl) == 0)
			lineno = (int)cl;
		/* Past an inlined instance, dwarf_getscopes goes on into the
		 * abstract definition; the scopes of the concrete instance lead
		 * to the function it was inlined into. */
		Dwarf_Die *outer = NULL;
		int nouter = concrete ? 0 : dwarf_getscopes_die(&scopes[i], &outer);
		if (nouter > 0) {
			free(scopes);
			scopes = outer;
			nscopes = nouter;
			i = 0; /* outer[0] is this instance; go on from outer[1] */
		} else {
			free(outer);
		}
	}
	free(scopes);
	if (!emitted_physical) {
		struct frame f = base;
		f.function = physname;
		f.file = file;
		f.line = lineno;
		push(s, &f);
	}
	/* The physical frame: a program's own function statically linked
	 * from a runtime (static glibc, Rust std) is library code too. */
	struct frame *phys = &s->frames[s->nframes - 1];
	phys->library = phys->library || symbols_is_library_function(phys->function) || is_system_file(phys->file);
}

/* Frames an earlier run worked out for this pc (symcache.h): what depends
 * on the module's load address or path is filled in here. */
static bool from_cache(struct symbols *s, uint64_t pc, bool activation)
{
	const struct symcache_frame *cf;
	uint64_t lookup = activation ? pc : pc - 1;
	long n = symcache_get_frames(s->cache, lookup, activation, &cf);
	Dwfl_Module *mod = n > 0 ? dwfl_addrmodule(s->dwfl, lookup) : NULL;
	if (!mod)
		return false;
	struct modinfo *mi = module_info(s, mod);
	for (long i = 0; i < n; i++) {
		struct frame f = {
			.pc = pc,
			.offset = cf[i].offset,
			.function = strpool_intern(s->snap->strings, cf[i].function),
			.module = mi->name,
			.file = strpool_intern(s->snap->strings, cf[i].file),
			.line = cf[i].line,
			.inlined = cf[i].inlined,
		};
		f.library = mi->library || symbols_is_library_function(f.function) || is_system_file(f.file);
		push(s, &f);
	}
	return true;
}

static void to_cache(struct symbols *s, uint64_t pc, bool activation, size_t first)
{
	if (!s->cache)
		return;
	size_t n = s->nframes - first;
	struct symcache_frame *cf = xmalloc((n ? n : 1) * sizeof(*cf));
	for (size_t i = 0; i < n; i++) {
		const struct frame *f = &s->frames[first + i];
		cf[i] = (struct symcache_frame){f->function, f->file, f->line, f->offset, f->inlined};
	}
	symcache_put_frames(s->cache, activation ? pc : pc - 1, activation, cf, n);
	free(cf);
}

static void rehash(struct symbols *s)
{
	size_t ncap = s->cap * 2;
	struct slot *nt = xcalloc(ncap, sizeof(*nt));
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->tab[i].key)
			continue;
		size_t j = (s->tab[i].key * 0x9e3779b97f4a7c15ULL) >> 20 & (ncap - 1);
		while (nt[j].key)
			j = (j + 1) & (ncap - 1);
		nt[j] = s->tab[i];
	}
	free(s->tab);
	s->tab = nt;
	s->cap = ncap;
}

/* A mapping of no file: the heap, a thread's stack, memory the program
 * mapped itself ([anon:name] with PR_SET_VMA), a memfd.  Code there was
 * made at run time; it belongs to no module, whatever range a module's
 * mappings span around it. */
static bool is_anonymous(const struct snap_map *m)
{
	if (!m->path)
		return true;
	if (m->path[0] == '/')
		return strncmp(m->path, "/memfd:", 7) == 0 || strncmp(m->path, "//anon", 6) == 0;
	return strcmp(m->path, "[vdso]") != 0 && strcmp(m->path, "[vsyscall]") != 0;
}

/* A pc in anonymous memory: "[jit]" when the mapping is writable and
 * executable or the program declares JIT code (a perf map), named from
 * the perf map where it has the pc; else "[anon]". */
static void resolve_anonymous(struct symbols *s, const struct snap_map *m, uint64_t pc, bool activation)
{
	if (!s->perfmap_tried) {
		s->perfmap_tried = true;
		if (s->snap->source == SNAP_LIVE && s->snap->pid)
			s->perfmap = perfmap_open(s->snap->pid, s->snap->root);
	}
	uint64_t lookup = activation ? pc : pc - 1, start;
	const char *name;
	struct frame f = {.pc = pc, .offset = pc - m->start};
	bool jit = s->perfmap || (m->perms[1] == 'w' && m->perms[2] == 'x');
	f.module = strpool_intern(s->snap->strings, jit ? "[jit]" : "[anon]");
	if (perfmap_lookup(s->perfmap, lookup, &name, &start)) {
		f.function = strpool_intern(s->snap->strings, name);
		f.offset = pc - start;
		f.jit = true;
	}
	push(s, &f);
}

const struct frame *symbols_lookup(struct symbols *s, uint64_t pc, bool activation, size_t *n)
{
	uint64_t key = (pc << 1 | activation) | (1ULL << 63);
	size_t j = (key * 0x9e3779b97f4a7c15ULL) >> 20 & (s->cap - 1);
	while (s->tab[j].key) {
		if (s->tab[j].key == key) {
			*n = s->tab[j].n;
			return &s->frames[s->tab[j].first];
		}
		j = (j + 1) & (s->cap - 1);
	}
	size_t first = s->nframes;
	const struct snap_map *m = snapshot_find_map(s->snap, activation ? pc : pc - 1);
	/* A live process's mappings are the kernel's word; a core's name no
	 * file where it lacks NT_FILE, and then libdwfl's modules decide. */
	if (m && is_anonymous(m) && (s->snap->source == SNAP_LIVE || !s->dwfl || !dwfl_addrmodule(s->dwfl, activation ? pc : pc - 1)))
		resolve_anonymous(s, m, pc, activation);
	else if (!from_cache(s, pc, activation)) {
		resolve(s, pc, activation);
		to_cache(s, pc, activation, first);
	}
	s->tab[j] = (struct slot){key, (uint32_t)first, (uint32_t)(s->nframes - first)};
	if (++s->used * 2 > s->cap)
		rehash(s);
	*n = s->nframes - first;
	return &s->frames[first];
}
