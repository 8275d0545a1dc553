#include "symcache.h"
#include "cfirows.h"
#include "debugcache.h"
#include "error.h"
#include "go/bin.h"
#include "strpool.h"
#include "tailcall.h"
#include "timing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bump when what a cached frame means changes (symbols.c, tailcall.c). */
#define SYMCACHE_FORMAT 3
#define MAGIC "pileup-symcache\n"
enum { MAX_FILE = 64 << 20, MAX_SYMS_FILES = 256 };

struct module {
	Dwfl_Module *mod;
	uint64_t start, end;
	char *key;
};

struct frec {
	uint32_t mod;
	bool act;
	uint64_t off;
	uint32_t first, n; /* in frames[] */
};

struct trec {
	uint32_t cmod, rmod;
	uint64_t coff, roff;
	uint32_t n;
	uint32_t tmod[TAILCALL_MAX];
	uint64_t toff[TAILCALL_MAX];
};

/* A call-frame row (cfirows.h) at a module offset, or the fact that there
 * is no simple one. */
struct rrec {
	uint32_t mod;
	bool has;
	uint64_t off;
	struct cfirow row;
};

/* Open addressing over one record array: slots hold index + 1. */
struct index {
	uint32_t *slot;
	size_t cap;
};

struct symcache {
	char *path;
	char *key;
	struct module *mods; /* in key order */
	size_t nmods;
	uint32_t *by_start; /* indices into mods, by start address */
	struct strpool *strings;
	struct symcache_frame *frames;
	size_t nframes, capframes;
	struct frec *frecs;
	size_t nfrecs, capfrecs;
	struct index fidx;
	struct trec *trecs;
	size_t ntrecs, captrecs;
	struct index tidx;
	struct rrec *rrecs;
	size_t nrrecs, caprrecs;
	struct index ridx;
	struct symcache_stats st;
	size_t saved; /* st.added when last written */
};

/* --- the program's key ------------------------------------------------------ */

static void add_stat(char **key, const char *what, const char *path)
{
	struct stat sb;
	char *old = *key;
	if (path && stat(path, &sb) == 0)
		*key = xasprintf("%s %s %s %lld %lld.%09ld %llu", old, what, path, (long long)sb.st_size,
				 (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec, (unsigned long long)sb.st_ino);
	else
		*key = xasprintf("%s %s %s -", old, what, path ? path : "-");
	free(old);
}

/* The name in the .gnu_debuglink section of elf, or NULL. */
static const char *debuglink(Elf *elf)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf ? gobin_find_section(elf, ".gnu_debuglink", &sh) : NULL;
	Elf_Data *d = scn && sh.sh_type != SHT_NOBITS ? elf_getdata(scn, NULL) : NULL;
	if (!d || !d->d_buf || !d->d_size || !memchr(d->d_buf, 0, d->d_size))
		return NULL;
	const char *name = d->d_buf;
	return *name && !strchr(name, '/') ? name : NULL;
}

/* The state of the directories the debug files of the program's modules
 * would be in, each stat'ed once per run: a debug file that appears (a
 * -dbg package installed, one copied in) changes its directory's time, so
 * the absence of every candidate is in the key without looking for the
 * candidates themselves.  Of DIR/.build-id only the subdirectories that
 * exist are stat'ed (one read of DIR/.build-id says which): one that
 * appears changes DIR/.build-id's own time. */
struct dirs {
	char **path;
	char **state;
	size_t n, cap;
	struct { char *dir; unsigned char have[256]; bool read; } ids[8];
	size_t nids;
};

static const char *dir_state(struct dirs *d, const char *path)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->path[i], path) == 0)
			return d->state[i];
	struct stat sb;
	char *st = stat(path, &sb) == 0 ? xasprintf("%lld.%09ld %llu", (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
						      (unsigned long long)sb.st_ino)
					 : xstrdup("-");
	xgrow(&d->path, &d->cap, d->n + 1, sizeof(*d->path));
	d->state = xrealloc(d->state, d->cap * sizeof(*d->state));
	d->path[d->n] = xstrdup(path);
	d->state[d->n] = st;
	return d->state[d->n++];
}

static void add_dir(char **key, struct dirs *d, const char *what, const char *path)
{
	char *old = *key;
	*key = xasprintf("%s %s %s %s", old, what, path, dir_state(d, path));
	free(old);
}

/* Whether DIR/.build-id/XX exists, from one read of DIR/.build-id. */
static bool id_dir_exists(struct dirs *d, const char *dir, const char *xx)
{
	size_t i = 0;
	while (i < d->nids && strcmp(d->ids[i].dir, dir) != 0)
		i++;
	if (i == d->nids) {
		if (d->nids == sizeof(d->ids) / sizeof(*d->ids))
			return true; /* many debug directories: just stat it */
		d->ids[i].dir = xstrdup(dir);
		memset(d->ids[i].have, 0, sizeof(d->ids[i].have));
		char *b = xasprintf("%s/.build-id", dir);
		DIR *dh = opendir(b);
		free(b);
		struct dirent *e;
		while (dh && (e = readdir(dh))) {
			unsigned v;
			if (strlen(e->d_name) == 2 && sscanf(e->d_name, "%2x", &v) == 1)
				d->ids[i].have[v] = 1;
		}
		if (dh)
			closedir(dh);
		d->nids++;
	}
	unsigned v;
	return sscanf(xx, "%2x", &v) == 1 && d->ids[i].have[v];
}

static void dirs_free(struct dirs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->path[i]);
		free(d->state[i]);
	}
	free(d->path);
	free(d->state);
	for (size_t i = 0; i < d->nids; i++)
		free(d->ids[i].dir);
}

/* The file's path as the target names it: without the /proc/PID/root a
 * live target's files are opened through. */
static const char *target_path(const char *path)
{
	if (strncmp(path, "/proc/", 6) != 0)
		return path;
	const char *p = path + 6;
	while (*p >= '0' && *p <= '9')
		p++;
	return p > path + 6 && strncmp(p, "/root/", 6) == 0 ? p + 5 : path;
}

/* What decides how the module's pcs are symbolized: its code (build-id),
 * its file (a stripped and an unstripped copy share a build-id) and the
 * debug files libdwfl could find for it: the directories they would be
 * in (see struct dirs), not the files. */
static char *module_key(Dwfl_Module *mod, const char *dpath, struct dirs *d)
{
	const char *mainfile = NULL;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	char hex[2 * 64 + 1] = "-";
	for (int i = 0; n > 0 && n <= 64 && i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", bits[i]);
	char *key = xasprintf("module %s", hex);
	add_stat(&key, "file", mainfile);
	for (const char *p = dpath; n > 0 && n <= 64 && p && *p;) {
		const char *end = strchrnul(p, ':');
		if (*p == '/') {
			char *dir = xasprintf("%.*s", (int)(end - p), p);
			char *ids = xasprintf("%s/.build-id", dir);
			add_dir(&key, d, "ids", ids);
			char xx[3] = {hex[0], hex[1], 0};
			if (id_dir_exists(d, dir, xx)) {
				char *c = xasprintf("%s/%s", ids, xx);
				add_dir(&key, d, "id", c);
				free(c);
			}
			free(ids);
			free(dir);
		}
		p = *end ? end + 1 : end;
	}
	Dwarf_Addr bias;
	const char *link = debuglink(dwfl_module_getelf(mod, &bias));
	const char *slash = mainfile ? strrchr(mainfile, '/') : NULL;
	if (link && slash) {
		int dlen = (int)(slash - mainfile);
		char *c = xasprintf("%.*s", dlen, mainfile);
		add_dir(&key, d, "link", c);
		free(c);
		c = xasprintf("%.*s/.debug", dlen, mainfile);
		add_dir(&key, d, "link", c);
		free(c);
		const char *tp = target_path(mainfile);
		int tlen = (int)(strrchr(tp, '/') - tp);
		for (const char *p = dpath; p && *p;) {
			const char *end = strchrnul(p, ':');
			if (*p == '/') {
				c = xasprintf("%.*s%.*s", (int)(end - p), p, tlen, tp);
				add_dir(&key, d, "link", c);
				free(c);
			}
			p = *end ? end + 1 : end;
		}
		char *l = xasprintf("%s name %s", key, link);
		free(key);
		key = l;
	}
	return key;
}

struct collect {
	struct symcache *c;
	const char *dpath;
	struct dirs dirs;
};

static int collect_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)name;
	(void)start;
	struct collect *col = arg;
	struct symcache *c = col->c;
	c->mods = xrealloc(c->mods, (c->nmods + 1) * sizeof(*c->mods));
	struct module *m = &c->mods[c->nmods++];
	m->mod = mod;
	Dwarf_Addr lo = 0, hi = 0;
	dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	m->start = lo;
	m->end = hi;
	m->key = module_key(mod, col->dpath, &col->dirs);
	return DWARF_CB_OK;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct module *)a)->key, ((const struct module *)b)->key);
}

static const struct module *g_sort_mods;
static int by_start(const void *a, const void *b)
{
	uint64_t x = g_sort_mods[*(const uint32_t *)a].start, y = g_sort_mods[*(const uint32_t *)b].start;
	return x < y ? -1 : x > y;
}

/* --- lookups ---------------------------------------------------------------- */

static bool locate(const struct symcache *c, uint64_t pc, uint32_t *mod, uint64_t *off)
{
	size_t lo = 0, hi = c->nmods;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->mods[c->by_start[mid]].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	const struct module *m = &c->mods[c->by_start[lo - 1]];
	if (pc >= m->end)
		return false;
	*mod = c->by_start[lo - 1];
	*off = pc - m->start;
	return true;
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t fhash(uint32_t mod, uint64_t off, bool act)
{
	return mix(off * 2 + act + ((uint64_t)mod << 48));
}

static uint64_t thash(uint32_t cmod, uint64_t coff, uint32_t rmod, uint64_t roff)
{
	return mix(coff + ((uint64_t)cmod << 48)) ^ mix(roff * 31 + ((uint64_t)rmod << 40) + 7);
}

static uint64_t rhash(uint32_t mod, uint64_t off)
{
	return mix(off ^ ((uint64_t)mod << 48) ^ 0x5bd1e995ULL);
}

static uint64_t frec_hash(const struct symcache *c, size_t i)
{
	return fhash(c->frecs[i].mod, c->frecs[i].off, c->frecs[i].act);
}

static uint64_t trec_hash(const struct symcache *c, size_t i)
{
	const struct trec *r = &c->trecs[i];
	return thash(r->cmod, r->coff, r->rmod, r->roff);
}

static uint64_t rrec_hash(const struct symcache *c, size_t i)
{
	return rhash(c->rrecs[i].mod, c->rrecs[i].off);
}

static void index_insert(struct index *x, uint64_t h, size_t idx)
{
	size_t j = h & (x->cap - 1);
	while (x->slot[j])
		j = (j + 1) & (x->cap - 1);
	x->slot[j] = (uint32_t)idx + 1;
}

/* Record n - 1 was just appended: index it, or rebuild twice as big. */
static void index_added(struct symcache *c, struct index *x, size_t n, uint64_t (*hash)(const struct symcache *, size_t))
{
	if (n * 2 <= x->cap) {
		index_insert(x, hash(c, n - 1), n - 1);
		return;
	}
	free(x->slot);
	x->cap = x->cap ? x->cap * 2 : 256;
	x->slot = xcalloc(x->cap, sizeof(*x->slot));
	for (size_t i = 0; i < n; i++)
		index_insert(x, hash(c, i), i);
}

/* Visits the records whose hash is h: j is the slot. */
#define INDEX_EACH(x, h, j) for (size_t j = (x)->cap ? (h) & ((x)->cap - 1) : 0; (x)->cap && (x)->slot[j]; j = (j + 1) & ((x)->cap - 1))

static const struct frec *find_frec(const struct symcache *c, uint32_t mod, uint64_t off, bool act)
{
	INDEX_EACH(&c->fidx, fhash(mod, off, act), j) {
		const struct frec *r = &c->frecs[c->fidx.slot[j] - 1];
		if (r->mod == mod && r->off == off && r->act == act)
			return r;
	}
	return NULL;
}

static const struct trec *find_trec(const struct symcache *c, uint32_t cmod, uint64_t coff, uint32_t rmod, uint64_t roff)
{
	INDEX_EACH(&c->tidx, thash(cmod, coff, rmod, roff), j) {
		const struct trec *r = &c->trecs[c->tidx.slot[j] - 1];
		if (r->cmod == cmod && r->coff == coff && r->rmod == rmod && r->roff == roff)
			return r;
	}
	return NULL;
}

static const struct rrec *find_rrec(const struct symcache *c, uint32_t mod, uint64_t off)
{
	INDEX_EACH(&c->ridx, rhash(mod, off), j) {
		const struct rrec *r = &c->rrecs[c->ridx.slot[j] - 1];
		if (r->mod == mod && r->off == off)
			return r;
	}
	return NULL;
}

static void add_frec(struct symcache *c, uint32_t mod, uint64_t off, bool act, const struct symcache_frame *f, size_t n)
{
	xgrow(&c->frames, &c->capframes, c->nframes + n, sizeof(*c->frames));
	for (size_t i = 0; i < n; i++) {
		struct symcache_frame *d = &c->frames[c->nframes + i];
		*d = f[i];
		d->function = strpool_intern(c->strings, f[i].function);
		d->file = strpool_intern(c->strings, f[i].file);
	}
	xgrow(&c->frecs, &c->capfrecs, c->nfrecs + 1, sizeof(*c->frecs));
	c->frecs[c->nfrecs++] = (struct frec){mod, act, off, (uint32_t)c->nframes, (uint32_t)n};
	c->nframes += n;
	index_added(c, &c->fidx, c->nfrecs, frec_hash);
}

static void add_trec(struct symcache *c, const struct trec *r)
{
	xgrow(&c->trecs, &c->captrecs, c->ntrecs + 1, sizeof(*c->trecs));
	c->trecs[c->ntrecs++] = *r;
	index_added(c, &c->tidx, c->ntrecs, trec_hash);
}

static void add_rrec(struct symcache *c, const struct rrec *r)
{
	xgrow(&c->rrecs, &c->caprrecs, c->nrrecs + 1, sizeof(*c->rrecs));
	c->rrecs[c->nrrecs++] = *r;
	index_added(c, &c->ridx, c->nrrecs, rrec_hash);
}

long symcache_get_frames(struct symcache *c, uint64_t pc, bool activation, const struct symcache_frame **frames)
{
	uint32_t mod;
	uint64_t off;
	if (!c || !locate(c, pc, &mod, &off))
		return -1;
	const struct frec *r = find_frec(c, mod, off, activation);
	if (!r)
		return -1;
	c->st.hits++;
	*frames = c->frames + r->first;
	return r->n;
}

void symcache_put_frames(struct symcache *c, uint64_t pc, bool activation, const struct symcache_frame *f, size_t n)
{
	uint32_t mod;
	uint64_t off;
	if (!c || !n || !locate(c, pc, &mod, &off) || find_frec(c, mod, off, activation))
		return;
	add_frec(c, mod, off, activation, f, n);
	c->st.added++;
}

long symcache_get_tails(struct symcache *c, uint64_t callee, uint64_t ra, uint64_t *out, size_t max)
{
	uint32_t cmod, rmod;
	uint64_t coff, roff;
	if (!c || !locate(c, callee, &cmod, &coff) || !locate(c, ra, &rmod, &roff))
		return -1;
	const struct trec *r = find_trec(c, cmod, coff, rmod, roff);
	if (!r || r->n > max)
		return -1;
	for (uint32_t i = 0; i < r->n; i++)
		out[i] = c->mods[r->tmod[i]].start + r->toff[i];
	c->st.hits++;
	return r->n;
}

void symcache_put_tails(struct symcache *c, uint64_t callee, uint64_t ra, const uint64_t *pcs, size_t n)
{
	struct trec r = {0};
	if (!c || n > TAILCALL_MAX || !locate(c, callee, &r.cmod, &r.coff) || !locate(c, ra, &r.rmod, &r.roff) ||
	    find_trec(c, r.cmod, r.coff, r.rmod, r.roff))
		return;
	for (size_t i = 0; i < n; i++)
		if (!locate(c, pcs[i], &r.tmod[i], &r.toff[i]))
			return;
	r.n = (uint32_t)n;
	add_trec(c, &r);
	c->st.added++;
}

int symcache_get_row(struct symcache *c, uint64_t lookup, struct cfirow *row)
{
	uint32_t mod;
	uint64_t off;
	if (!c || !locate(c, lookup, &mod, &off))
		return -1;
	const struct rrec *r = find_rrec(c, mod, off);
	if (!r)
		return -1;
	c->st.hits++;
	if (r->has)
		*row = r->row;
	return r->has;
}

void symcache_put_row(struct symcache *c, uint64_t lookup, const struct cfirow *row)
{
	struct rrec r = {0};
	if (!c || !locate(c, lookup, &r.mod, &r.off) || find_rrec(c, r.mod, r.off))
		return;
	r.has = row != NULL;
	if (row)
		r.row = *row;
	add_rrec(c, &r);
	c->st.added++;
}

void symcache_stats(const struct symcache *c, struct symcache_stats *st)
{
	if (c)
		*st = c->st;
	else
		memset(st, 0, sizeof(*st));
}

/* --- the file ----------------------------------------------------------------
 *
 * MAGIC, then little-endian fields: u32 format, u32 key length, the key;
 * u32 string count, each u32 length + bytes; u32 pc count, each u32 module,
 * u8 activation, u64 offset, u32 frame count, each frame u32 function and
 * u32 file (string number + 1, 0 = none), i32 line, u64 offset, u8 inlined;
 * u32 tail count, each u32 + u64 callee, u32 + u64 return address, u32 n,
 * n times u32 + u64; u32 row count, each u32 module, u64 offset, u8 has a
 * row, and if it has, u8 CFA register, i64 CFA offset, 17 times u8 rule +
 * i64 offset (cfirows.h); last, a u64 FNV-1a hash of every byte before it (a
 * damaged file is not believed).  Module numbers index the key's modules. */

struct rd {
	const unsigned char *p, *end;
	bool bad;
};

static const void *take(struct rd *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	const void *q = r->p;
	r->p += n;
	return q;
}

static uint32_t rd_u32(struct rd *r)
{
	const unsigned char *q = take(r, 4);
	return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24 : 0;
}

static uint64_t rd_u64(struct rd *r)
{
	uint64_t lo = rd_u32(r);
	return lo | (uint64_t)rd_u32(r) << 32;
}

static uint8_t rd_u8(struct rd *r)
{
	const unsigned char *q = take(r, 1);
	return q ? q[0] : 0;
}

static void load(struct symcache *c)
{
	int fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat sb;
	unsigned char *buf = NULL;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && sb.st_size <= MAX_FILE) {
		buf = xmalloc((size_t)sb.st_size);
		size_t got = 0;
		while (got < (size_t)sb.st_size) {
			ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got != (size_t)sb.st_size) {
			free(buf);
			buf = NULL;
		}
	}
	if (buf)
		debugcache_touch(fd);
	close(fd);
	if (!buf)
		return;
	size_t size = (size_t)sb.st_size;
	const char **strs = NULL;
	struct symcache_frame *f = NULL;
	uint64_t sum = 0;
	if (size < strlen(MAGIC) + 8)
		goto out;
	for (int i = 7; i >= 0; i--)
		sum = sum << 8 | buf[size - 8 + (size_t)i];
	if (sum != pu_hash_bytes(PU_HASH_INIT, buf, size - 8))
		goto out;
	struct rd r = {buf, buf + size - 8, false};
	const void *magic = take(&r, strlen(MAGIC));
	if (!magic || memcmp(magic, MAGIC, strlen(MAGIC)) != 0 || rd_u32(&r) != SYMCACHE_FORMAT)
		goto out;
	uint32_t klen = rd_u32(&r);
	const void *key = take(&r, klen);
	if (!key || klen != strlen(c->key) || memcmp(key, c->key, klen) != 0)
		goto out;
	uint32_t nstr = rd_u32(&r);
	if (r.bad || nstr > (size_t)(r.end - r.p) / 4)
		goto out;
	strs = xcalloc(nstr + 1, sizeof(*strs));
	for (uint32_t i = 0; i < nstr; i++) {
		uint32_t len = rd_u32(&r);
		const char *s = take(&r, len);
		if (!s || memchr(s, 0, len))
			goto out;
		strs[i] = strpool_intern_n(c->strings, s, len);
	}
	uint32_t npc = rd_u32(&r);
	for (uint32_t i = 0; i < npc && !r.bad; i++) {
		uint32_t mod = rd_u32(&r);
		bool act = rd_u8(&r) != 0;
		uint64_t off = rd_u64(&r);
		uint32_t n = rd_u32(&r);
		if (r.bad || mod >= c->nmods || !n || n > 4096 || n > (size_t)(r.end - r.p) / 21)
			goto out;
		f = xrealloc(f, n * sizeof(*f));
		for (uint32_t k = 0; k < n; k++) {
			uint32_t fn = rd_u32(&r), file = rd_u32(&r);
			f[k].line = (int32_t)rd_u32(&r);
			f[k].offset = rd_u64(&r);
			f[k].inlined = rd_u8(&r) != 0;
			if (fn > nstr || file > nstr)
				goto out;
			f[k].function = fn ? strs[fn - 1] : NULL;
			f[k].file = file ? strs[file - 1] : NULL;
		}
		if (r.bad || find_frec(c, mod, off, act))
			goto out;
		add_frec(c, mod, off, act, f, n);
	}
	uint32_t ntail = rd_u32(&r);
	for (uint32_t i = 0; i < ntail && !r.bad; i++) {
		struct trec t = {0};
		t.cmod = rd_u32(&r);
		t.coff = rd_u64(&r);
		t.rmod = rd_u32(&r);
		t.roff = rd_u64(&r);
		t.n = rd_u32(&r);
		if (r.bad || t.cmod >= c->nmods || t.rmod >= c->nmods || t.n > TAILCALL_MAX)
			goto out;
		for (uint32_t k = 0; k < t.n; k++) {
			t.tmod[k] = rd_u32(&r);
			t.toff[k] = rd_u64(&r);
			if (t.tmod[k] >= c->nmods)
				goto out;
		}
		if (r.bad || find_trec(c, t.cmod, t.coff, t.rmod, t.roff))
			goto out;
		add_trec(c, &t);
	}
	uint32_t nrows = rd_u32(&r);
	for (uint32_t i = 0; i < nrows && !r.bad; i++) {
		struct rrec row = {0};
		row.mod = rd_u32(&r);
		row.off = rd_u64(&r);
		row.has = rd_u8(&r) != 0;
		if (row.has) {
			row.row.cfa_reg = rd_u8(&r);
			row.row.cfa_off = (int64_t)rd_u64(&r);
			for (int k = 0; k < CFI_NREGS; k++) {
				row.row.rule[k] = rd_u8(&r);
				row.row.off[k] = (int64_t)rd_u64(&r);
				if (row.row.rule[k] > CFI_VAL)
					goto out;
			}
			if (row.row.cfa_reg >= CFI_RA ||
			    (row.row.rule[CFI_RA] != CFI_AT && row.row.rule[CFI_RA] != CFI_UNDEF))
				goto out;
		}
		if (r.bad || row.mod >= c->nmods || find_rrec(c, row.mod, row.off))
			goto out;
		add_rrec(c, &row);
	}
	if (r.bad || r.p != r.end)
		goto out;
	c->st.loaded = c->nfrecs + c->ntrecs + c->nrrecs;
	c->st.file_found = true;
	free(f);
	free(strs);
	free(buf);
	return;
out:
	/* Not this program's, or damaged: start empty (and rewrite it). */
	free(f);
	free(strs);
	free(buf);
	c->nframes = c->nfrecs = c->ntrecs = c->nrrecs = 0;
	struct index *idx[] = {&c->fidx, &c->tidx, &c->ridx};
	for (size_t i = 0; i < 3; i++)
		if (idx[i]->slot)
			memset(idx[i]->slot, 0, idx[i]->cap * sizeof(*idx[i]->slot));
}

struct wr {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct wr *w, const void *p, size_t n)
{
	xgrow(&w->p, &w->cap, w->n + n, 1);
	memcpy(w->p + w->n, p, n);
	w->n += n;
}

static void put_u32(struct wr *w, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
	put(w, b, 4);
}

static void put_u64(struct wr *w, uint64_t v)
{
	put_u32(w, (uint32_t)v);
	put_u32(w, (uint32_t)(v >> 32));
}

/* Strings are interned: numbered by pointer. */
struct strnum {
	const char **ptr;
	uint32_t *num;
	size_t cap, n;
	struct wr *w;
};

static uint32_t str_number(struct strnum *s, const char *p)
{
	if (!p)
		return 0;
	size_t j = (size_t)(mix((uintptr_t)p)) & (s->cap - 1);
	while (s->ptr[j]) {
		if (s->ptr[j] == p)
			return s->num[j];
		j = (j + 1) & (s->cap - 1);
	}
	s->ptr[j] = p;
	s->num[j] = (uint32_t)++s->n;
	size_t len = strlen(p);
	put_u32(s->w, (uint32_t)len);
	put(s->w, p, len);
	return s->num[j];
}

static void save(struct symcache *c)
{
	struct wr w = {0}, strs = {0}, body = {0};
	struct strnum sn = {0};
	sn.cap = 64;
	while (sn.cap < 4 * c->nframes + 64)
		sn.cap *= 2;
	sn.ptr = xcalloc(sn.cap, sizeof(*sn.ptr));
	sn.num = xcalloc(sn.cap, sizeof(*sn.num));
	sn.w = &strs;
	put_u32(&body, (uint32_t)c->nfrecs);
	for (size_t i = 0; i < c->nfrecs; i++) {
		const struct frec *r = &c->frecs[i];
		put_u32(&body, r->mod);
		unsigned char act = r->act;
		put(&body, &act, 1);
		put_u64(&body, r->off);
		put_u32(&body, r->n);
		for (uint32_t k = 0; k < r->n; k++) {
			const struct symcache_frame *f = &c->frames[r->first + k];
			put_u32(&body, str_number(&sn, f->function));
			put_u32(&body, str_number(&sn, f->file));
			put_u32(&body, (uint32_t)f->line);
			put_u64(&body, f->offset);
			unsigned char inl = f->inlined;
			put(&body, &inl, 1);
		}
	}
	put_u32(&body, (uint32_t)c->ntrecs);
	for (size_t i = 0; i < c->ntrecs; i++) {
		const struct trec *t = &c->trecs[i];
		put_u32(&body, t->cmod);
		put_u64(&body, t->coff);
		put_u32(&body, t->rmod);
		put_u64(&body, t->roff);
		put_u32(&body, t->n);
		for (uint32_t k = 0; k < t->n; k++) {
			put_u32(&body, t->tmod[k]);
			put_u64(&body, t->toff[k]);
		}
	}
	put_u32(&body, (uint32_t)c->nrrecs);
	for (size_t i = 0; i < c->nrrecs; i++) {
		const struct rrec *row = &c->rrecs[i];
		put_u32(&body, row->mod);
		put_u64(&body, row->off);
		unsigned char has = row->has;
		put(&body, &has, 1);
		if (!has)
			continue;
		put(&body, &row->row.cfa_reg, 1);
		put_u64(&body, (uint64_t)row->row.cfa_off);
		for (int k = 0; k < CFI_NREGS; k++) {
			put(&body, &row->row.rule[k], 1);
			put_u64(&body, (uint64_t)row->row.off[k]);
		}
	}
	put(&w, MAGIC, strlen(MAGIC));
	put_u32(&w, SYMCACHE_FORMAT);
	put_u32(&w, (uint32_t)strlen(c->key));
	put(&w, c->key, strlen(c->key));
	put_u32(&w, (uint32_t)sn.n);
	if (strs.n)
		put(&w, strs.p, strs.n);
	put(&w, body.p, body.n);
	put_u64(&w, pu_hash_bytes(PU_HASH_INIT, w.p, w.n));
	if (w.n > MAX_FILE)
		goto out;
	/* Written aside, then renamed over: a reader sees the old file or the
	 * new one, never half of one. */
	char *tmp = xasprintf("%s.%d.tmp", c->path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	bool ok = fd >= 0;
	for (size_t done = 0; ok && done < w.n;) {
		ssize_t n = write(fd, w.p + done, w.n - done);
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		done += ok ? (size_t)n : 0;
	}
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, c->path) != 0)
		unlink(tmp);
	free(tmp);
	/* The files of programs, libraries and pileups not seen for a month
	 * go (debugcache.h). */
	const char *slash = strrchr(c->path, '/');
	if (ok && slash) {
		char *dir = xasprintf("%.*s", (int)(slash - c->path), c->path);
		debugcache_prune(dir, "syms-", "", slash + 1, MAX_SYMS_FILES);
		free(dir);
	}
out:
	free(w.p);
	free(strs.p);
	free(body.p);
	free(sn.ptr);
	free(sn.num);
}

/* --- open / close ------------------------------------------------------------ */

/* pileup's own build-id: a rebuilt pileup may symbolize differently, and
 * must not trust what an older build wrote. */
static int self_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	char *out = arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
		while (end - p >= 12) {
			uint32_t namesz, descsz, type;
			memcpy(&namesz, p, 4);
			memcpy(&descsz, p + 4, 4);
			memcpy(&type, p + 8, 4);
			size_t name_off = 12, desc_off = name_off + ((namesz + 3) & ~3u), next = desc_off + ((descsz + 3) & ~3u);
			if (next > (size_t)(end - p))
				break;
			if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(p + name_off, "GNU", 4) == 0 && descsz <= 64) {
				for (uint32_t k = 0; k < descsz; k++)
					snprintf(out + 2 * k, 3, "%02x", p[desc_off + k]);
				return 1;
			}
			p += next;
		}
	}
	return 1; /* the first object is the program itself */
}

struct symcache *symcache_open(Dwfl *dwfl, const char *debuginfo_path)
{
	const char *off = getenv("PILEUP_NO_SYMCACHE");
	if (!dwfl || (off && *off && strcmp(off, "0") != 0))
		return NULL;
	char *dir = debugcache_dir();
	if (!dir)
		return NULL;
	struct symcache *c = xcalloc(1, sizeof(*c));
	struct collect col = {c, debuginfo_path, {0}};
	dwfl_getmodules(dwfl, collect_module, &col, 0);
	dirs_free(&col.dirs);
	if (c->nmods > 1)
		qsort(c->mods, c->nmods, sizeof(*c->mods), by_key);
	bool usable = c->nmods > 0;
	for (size_t i = 1; i < c->nmods; i++)
		if (strcmp(c->mods[i - 1].key, c->mods[i].key) == 0)
			usable = false; /* the same file twice: offsets would be ambiguous */
	if (!usable) {
		free(dir);
		c->path = NULL;
		symcache_close(c);
		return NULL;
	}
	char self[2 * 64 + 1] = "-";
	dl_iterate_phdr(self_build_id, self);
	c->key = xasprintf("pileup %s build %s format %d\ndebuginfo-path %s", PILEUP_VERSION, self, SYMCACHE_FORMAT,
			   debuginfo_path ? debuginfo_path : "-");
	for (size_t i = 0; i < c->nmods; i++) {
		char *k = xasprintf("%s\n%s", c->key, c->mods[i].key);
		free(c->key);
		c->key = k;
	}
	c->by_start = xmalloc(c->nmods * sizeof(*c->by_start));
	for (size_t i = 0; i < c->nmods; i++)
		c->by_start[i] = (uint32_t)i;
	g_sort_mods = c->mods;
	qsort(c->by_start, c->nmods, sizeof(*c->by_start), by_start);
	g_sort_mods = NULL;
	c->strings = strpool_create();
	uint64_t h = pu_hash_bytes(PU_HASH_INIT, c->key, strlen(c->key));
	c->path = xasprintf("%s/syms-%016" PRIx64, dir, h);
	free(dir);
	load(c);
	return c;
}

static void write_new(struct symcache *c)
{
	if (c->path && c->st.added > c->saved) {
		save(c);
		c->saved = c->st.added;
	}
}

void symcache_flush(struct symcache *c)
{
	if (!c)
		return;
	write_new(c);
	if (timing_on())
		fprintf(stderr, "pileup: symcache: %s: %zu entries read, %zu used, %zu added\n", c->path ? c->path : "-",
			c->st.loaded, c->st.hits, c->st.added);
}

void symcache_close(struct symcache *c)
{
	if (!c)
		return;
	write_new(c);
	for (size_t i = 0; i < c->nmods; i++)
		free(c->mods[i].key);
	free(c->mods);
	free(c->by_start);
	free(c->key);
	free(c->path);
	if (c->strings)
		strpool_destroy(c->strings);
	free(c->frames);
	free(c->frecs);
	free(c->fidx.slot);
	free(c->trecs);
	free(c->tidx.slot);
	free(c->rrecs);
	free(c->ridx.slot);
	free(c);
}
