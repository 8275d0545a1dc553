#include "go/bin.h"
#include "go/pcln.h"
#include "proc.h"
#include "bytes.h"
#include "error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char buildinfo_magic[14] = "\xff Go buildinf:";

Elf_Scn *gobin_find_section(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && strcmp(n, name) == 0) {
			if (shdr)
				*shdr = sh;
			return scn;
		}
	}
	return NULL;
}

const unsigned char *gobin_file_ptr(const struct gobin *b, uint64_t vaddr, size_t len)
{
	for (size_t i = 0; i < b->nloads; i++) {
		const struct gobin_load *l = &b->loads[i];
		if (vaddr < l->vaddr || vaddr - l->vaddr >= l->filesz || len > l->filesz - (vaddr - l->vaddr))
			continue;
		uint64_t off = l->offset + (vaddr - l->vaddr);
		if (off > b->rawlen || len > b->rawlen - off)
			return NULL;
		return b->raw + off;
	}
	return NULL;
}

bool gobin_in_data(const struct gobin *b, uint64_t vaddr)
{
	for (size_t i = 0; i < b->nloads; i++)
		if (vaddr >= b->loads[i].vaddr && vaddr - b->loads[i].vaddr < b->loads[i].memsz)
			return true;
	return false;
}

size_t gobin_read(const struct gobin *b, const struct snapshot *snap, uint64_t vaddr, void *buf, size_t len)
{
	for (size_t i = 0; i < b->nloads; i++) {
		const struct gobin_load *l = &b->loads[i];
		if (vaddr < l->vaddr || vaddr - l->vaddr >= l->memsz)
			continue;
		if (l->write) {
			size_t n = snapshot_read(snap, vaddr + b->bias, buf, len);
			if (n)
				return n;
		}
		/* Read-only, or not in the target's memory (a core without
		 * it): the file has the bytes, or zeros past filesz. */
		uint64_t rel = vaddr - l->vaddr;
		size_t n = len;
		if (n > l->memsz - rel)
			n = (size_t)(l->memsz - rel);
		for (size_t k = 0; k < n; k++) {
			uint64_t r = rel + k;
			((unsigned char *)buf)[k] = r < l->filesz && l->offset + r < b->rawlen ? b->raw[l->offset + r] : 0;
		}
		return n;
	}
	return snapshot_read(snap, vaddr + b->bias, buf, len);
}

uint64_t gobin_symbol(const struct gobin *b, const char *name, uint64_t *size)
{
	if (!b->symtab)
		return 0;
	GElf_Shdr sh;
	if (!gelf_getshdr(b->symtab, &sh) || !sh.sh_entsize)
		return 0;
	Elf_Data *d = elf_getdata(b->symtab, NULL);
	if (!d)
		return 0;
	size_t n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(d, (int)i, &sym) || !sym.st_name)
			continue;
		const char *s = elf_strptr(b->elf, sh.sh_link, sym.st_name);
		if (s && strcmp(s, name) == 0) {
			if (size)
				*size = sym.st_size;
			return sym.st_value;
		}
	}
	return 0;
}

/* --- build info ----------------------------------------------------------- */

static char *go_string_at(const struct gobin *b, uint64_t hdr_addr)
{
	const unsigned char *h = gobin_file_ptr(b, hdr_addr, 16);
	if (!h)
		return NULL;
	uint64_t ptr, len;
	memcpy(&ptr, h, 8);
	memcpy(&len, h + 8, 8);
	if (len > (1u << 20))
		return NULL;
	const unsigned char *s = gobin_file_ptr(b, ptr, (size_t)len);
	if (!s)
		return NULL;
	char *r = xmalloc((size_t)len + 1);
	memcpy(r, s, (size_t)len);
	r[len] = 0;
	return r;
}

/* "path\tcmd\nmod\tmodule\tversion\t...\n..." between 16-byte sentinels. */
static void parse_modinfo(struct gobin *b, const char *mod, size_t len)
{
	if (len < 33 || mod[len - 17] != '\n')
		return;
	char *text = xmalloc(len - 32 + 1);
	memcpy(text, mod + 16, len - 32);
	text[len - 32] = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = 0;
		char *val = tab + 1, *end = strchr(val, '\t');
		if (end)
			*end = 0;
		if (strcmp(line, "path") == 0 && !b->main_path)
			b->main_path = xstrdup(val);
		else if (strcmp(line, "mod") == 0 && !b->module)
			b->module = xstrdup(val);
	}
	free(text);
}

static bool parse_buildinfo(struct gobin *b, const unsigned char *p, size_t len)
{
	if (len < 32 || memcmp(p, buildinfo_magic, sizeof(buildinfo_magic)) != 0)
		return false;
	int ptrsize = p[14], flags = p[15];
	if (ptrsize != 8)
		return false;
	char *vers = NULL, *mod = NULL;
	size_t modlen = 0;
	if (flags & 2) {
		const unsigned char *q = p + 32, *end = p + len;
		uint64_t n;
		if (!rd_uleb(&q, end, &n) || n > (uint64_t)(end - q))
			return false;
		vers = strndup((const char *)q, (size_t)n);
		q += n;
		if (rd_uleb(&q, end, &n) && n <= (uint64_t)(end - q)) {
			mod = xmalloc((size_t)n + 1);
			memcpy(mod, q, (size_t)n);
			mod[n] = 0;
			modlen = (size_t)n;
		}
	} else if (!(flags & 1)) {
		uint64_t va, ma;
		memcpy(&va, p + 16, 8);
		memcpy(&ma, p + 24, 8);
		vers = go_string_at(b, va);
		mod = go_string_at(b, ma);
		modlen = mod ? strlen(mod) : 0;
	}
	if (!vers || !vers[0]) {
		free(vers);
		free(mod);
		return false;
	}
	b->version = vers;
	if (mod)
		parse_modinfo(b, mod, modlen);
	free(mod);
	return true;
}

/* Every writable segment's bytes in the file, in turn: fn returns true
 * to stop. */
static bool each_loaded(const struct gobin *b, bool writable, bool (*fn)(struct gobin *, const struct gobin_load *, const unsigned char *, size_t, void *),
			void *arg)
{
	for (size_t i = 0; i < b->nloads; i++) {
		const struct gobin_load *l = &b->loads[i];
		if (l->write != writable || l->exec || l->offset >= b->rawlen || !l->filesz)
			continue;
		size_t n = (size_t)l->filesz;
		if (n > b->rawlen - l->offset)
			n = b->rawlen - l->offset;
		if (fn((struct gobin *)b, l, b->raw + l->offset, n, arg))
			return true;
	}
	return false;
}

static bool scan_buildinfo(struct gobin *b, const struct gobin_load *l, const unsigned char *p, size_t n, void *arg)
{
	(void)l;
	(void)arg;
	/* The linker aligns the blob to 16 bytes. */
	for (size_t off = 0; off + 32 <= n; off += 16)
		if (p[off] == 0xff && memcmp(p + off, buildinfo_magic, sizeof(buildinfo_magic)) == 0 &&
		    parse_buildinfo(b, p + off, n - off))
			return true;
	return false;
}

static bool find_buildinfo(struct gobin *b)
{
	GElf_Shdr sh;
	if (gobin_find_section(b->elf, ".go.buildinfo", &sh) && sh.sh_type != SHT_NOBITS && sh.sh_offset < b->rawlen &&
	    parse_buildinfo(b, b->raw + sh.sh_offset, b->rawlen - sh.sh_offset))
		return true;
	/* Renamed or no section headers: the blob is in a writable segment. */
	return each_loaded(b, true, scan_buildinfo, NULL);
}

/* --- runtime.buildVersion ------------------------------------------------- */

/* A release version as the linker writes runtime.buildVersion: "go1.N",
 * "go1.N.P", "go1.NrcK"/"go1.NbetaK", possibly followed by " X:exp". */
static bool is_version(const unsigned char *s, size_t n)
{
	if (n < 5 || n > 64 || memcmp(s, "go1.", 4) != 0)
		return false;
	size_t i = 4, digits = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (!digits)
		return false;
	for (; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '.' || s[i] == ' ' ||
		      s[i] == ':' || s[i] == ',' || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

struct version_scan {
	const struct gobin *b;
	char *found;
	bool ambiguous;
};

/* A string header {ptr, len} in the data whose bytes are a version: the
 * variable runtime.buildVersion (the linker initializes it statically). */
static bool scan_version(struct gobin *b, const struct gobin_load *l, const unsigned char *p, size_t n, void *arg)
{
	(void)l;
	struct version_scan *vs = arg;
	for (size_t off = 0; off + 16 <= n; off += 8) {
		uint64_t len = rd64(p + off + 8);
		if (len < 5 || len > 64)
			continue;
		const unsigned char *s = gobin_file_ptr(b, rd64(p + off), (size_t)len);
		if (!s || s[0] != 'g' || !is_version(s, (size_t)len))
			continue;
		if (!vs->found)
			vs->found = strndup((const char *)s, (size_t)len);
		else if (strlen(vs->found) != len || memcmp(vs->found, s, (size_t)len) != 0)
			vs->ambiguous = true;
	}
	return false;
}

static bool find_build_version(struct gobin *b)
{
	uint64_t size = 0, addr = gobin_symbol(b, "runtime.buildVersion", &size);
	const unsigned char *h = addr && size == 16 ? gobin_file_ptr(b, addr, 16) : NULL;
	if (h) {
		uint64_t len = rd64(h + 8);
		const unsigned char *s = len <= 64 ? gobin_file_ptr(b, rd64(h), (size_t)len) : NULL;
		if (s && is_version(s, (size_t)len)) {
			b->version = strndup((const char *)s, (size_t)len);
			return true;
		}
	}
	struct version_scan vs = {b, NULL, false};
	each_loaded(b, true, scan_version, &vs);
	if (vs.found && !vs.ambiguous) {
		b->version = vs.found;
		return true;
	}
	free(vs.found);
	return false;
}

/* --- pclntab -------------------------------------------------------------- */

/* The header of a pclntab: magic, two zero bytes, the instruction size
 * quantum, the pointer size; then for Go 1.16 and later the offsets of its
 * tables, which must lie inside it in order (runtime/symtab.go pcHeader,
 * checked at go1.16, go1.18, go1.20, go1.26). */
static bool plausible_pclntab(const unsigned char *p, size_t len)
{
	if (len < 64)
		return false;
	uint32_t magic = rd32(p);
	if (magic != 0xfffffff0 && magic != 0xfffffff1 && magic != 0xfffffffa && magic != 0xfffffffb)
		return false;
	if (p[4] != 0 || p[5] != 0 || (p[6] != 1 && p[6] != 2 && p[6] != 4) || p[7] != 8)
		return false;
	uint64_t nfunc = rd64(p + 8);
	if (nfunc == 0 || nfunc > len / 8)
		return false;
	if (magic == 0xfffffffb)
		return true;
	size_t first = magic == 0xfffffffa ? 24 : 32, prev = first + 40;
	for (size_t k = 0; k < 5; k++) {
		uint64_t o = rd64(p + first + 8 * k);
		if (o < prev || o > len)
			return false;
		prev = (size_t)o;
	}
	return true;
}

static bool scan_pclntab(struct gobin *b, const struct gobin_load *l)
{
	if (l->offset >= b->rawlen || !l->filesz)
		return false;
	size_t n = (size_t)(l->filesz < b->rawlen - l->offset ? l->filesz : b->rawlen - l->offset);
	const unsigned char *p = b->raw + l->offset;
	for (size_t off = 0; off + 64 <= n; off += 8) {
		if (p[off + 3] != 0xff || p[off + 2] != 0xff || !plausible_pclntab(p + off, n - off))
			continue;
		b->pclntab_addr = l->vaddr + off;
		b->pclntab_len = n - off;
		return true;
	}
	return false;
}

static void find_pclntab(struct gobin *b)
{
	GElf_Shdr sh;
	/* PIE binaries up to Go 1.25 keep it in RELRO: .data.rel.ro.gopclntab */
	static const char *const names[] = {".gopclntab", ".data.rel.ro.gopclntab"};
	for (size_t k = 0; k < 2; k++)
		if (gobin_find_section(b->elf, names[k], &sh) && sh.sh_type != SHT_NOBITS && sh.sh_offset < b->rawlen &&
		    sh.sh_size <= b->rawlen - sh.sh_offset && plausible_pclntab(b->raw + sh.sh_offset, sh.sh_size)) {
			b->pclntab_addr = sh.sh_addr;
			b->pclntab_len = sh.sh_size;
			return;
		}
	/* Go's linker names the section whenever it writes section headers
	 * (every release since 1.2; cmd/link's ELF writer): readable section
	 * names without it are a program of another language (a browser's
	 * 150 MB would be scanned on every run).  A Go section of another
	 * name says it is Go all the same: esbuild 0.27 keeps .gopclntab but
	 * drops .go.buildinfo and .note.go.buildid. */
	static const char *const go_names[] = {".go.buildinfo", ".note.go.buildid", ".gosymtab", ".go.module", ".typelink",
					       ".itablink", ".go.fipsinfo"};
	bool named = gobin_find_section(b->elf, ".text", NULL) || gobin_find_section(b->elf, ".shstrtab", NULL);
	bool go_named = false;
	for (size_t k = 0; named && !go_named && k < sizeof(go_names) / sizeof(go_names[0]); k++)
		go_named = gobin_find_section(b->elf, go_names[k], NULL);
	if (named && !go_named)
		return;
	/* No such section: the header is found by its magic, in the
	 * read-only data, then in writable segments (RELRO), then in code
	 * (old linkers put read-only data there). */
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < b->nloads; i++) {
			const struct gobin_load *l = &b->loads[i];
			bool want = pass == 0 ? !l->write && !l->exec : pass == 1 ? l->write : l->exec;
			if (want && scan_pclntab(b, l))
				return;
		}
}

/* --- runtime.firstmoduledata ---------------------------------------------- */

/* Where a moduledata's first fields are (runtime/symtab.go, checked at
 * go1.15, go1.16, go1.18, go1.20, go1.26): up to Go 1.15 it starts with the
 * pclntable slice and text is its 13th word; from 1.16 it starts with
 * the pcHeader pointer, then the funcnametab slice, and text is the 23rd. */
static unsigned md_text_word(uint32_t magic)
{
	return magic == 0xfffffffb ? 12 : 22;
}

static bool md_matches(const struct gobin *b, const unsigned char *w, size_t avail)
{
	unsigned tw = md_text_word(b->pclntab_magic);
	if (avail < 8 * (size_t)(tw + 2) || rd64(w) != b->pclntab_addr)
		return false;
	const unsigned char *hdr = gobin_file_ptr(b, b->pclntab_addr, 64);
	if (!hdr)
		return false;
	if (b->pclntab_magic == 0xfffffffb) {
		/* pclntable: the pclntab itself, its length and capacity */
		if (rd64(w + 8) != rd64(w + 16) || rd64(w + 8) > b->pclntab_len)
			return false;
	} else {
		uint64_t names = b->pclntab_addr + rd64(hdr + (b->pclntab_magic == 0xfffffffa ? 24 : 32)),
			 cu = b->pclntab_addr + rd64(hdr + (b->pclntab_magic == 0xfffffffa ? 32 : 40));
		/* funcnametab slice: its bytes run up to the cu table (less
		 * padding); the cutab slice follows */
		uint64_t len = rd64(w + 16);
		if (rd64(w + 8) != names || len > cu - names || cu - names - len > 64 || rd64(w + 32) != cu)
			return false;
	}
	uint64_t text = rd64(w + 8 * tw), etext = rd64(w + 8 * tw + 8);
	return text && etext > text && gobin_file_ptr(b, text, 1) != NULL;
}

static bool take_moduledata(struct gobin *b, uint64_t vaddr)
{
	const unsigned char *w = gobin_file_ptr(b, vaddr, 8 * GOBIN_MD_WORDS);
	if (!w || !md_matches(b, w, 8 * GOBIN_MD_WORDS))
		return false;
	b->moduledata = vaddr;
	memcpy(b->md_words, w, sizeof(b->md_words));
	unsigned tw = md_text_word(b->pclntab_magic);
	b->text = b->md_words[tw];
	b->etext = b->md_words[tw + 1];
	/* go:func.*, the base of funcdata offsets in the go1.18 and go1.20
	 * pclntab formats, follows text, etext and the data, bss, noptrbss,
	 * (go1.20+: covctrs,) end, gcdata, gcbss, types, etypes and rodata
	 * bounds: word 38 (go1.18, go1.19), 40 (go1.20 to go1.26); go1.27
	 * put typedesclen after types and itaboffset, itabsize before rodata:
	 * word 43 (runtime/symtab.go at each tag).  The pclntab format does
	 * not tell 1.26 from 1.27, so a candidate counts only where the word
	 * before it (rodata) is in the same segment, below it (go1.21's word
	 * 43 is textsectmap's capacity, 1, after its length, 1); exactly one
	 * must.  (go1.27's word 40, itaboffset, is an offset:
	 * in an externally linked PIE, whose first segment starts at 0, it
	 * looked like an address, and inline trees were read from it.)  The
	 * release's layout, when pileup has one, says which word it is. */
	static const unsigned f0[] = {38}, f1[] = {40, 43};
	const unsigned *cand = b->pclntab_magic == 0xfffffff0 ? f0 : b->pclntab_magic == 0xfffffff1 ? f1 : NULL;
	size_t ncand = b->pclntab_magic == 0xfffffff0 ? 1 : b->pclntab_magic == 0xfffffff1 ? 2 : 0;
	uint64_t found = 0;
	unsigned nfound = 0;
	for (size_t k = 0; k < ncand; k++) {
		uint64_t gofunc = b->md_words[cand[k]], rodata = b->md_words[cand[k] - 1];
		for (size_t i = 0; i < b->nloads; i++) {
			const struct gobin_load *l = &b->loads[i];
			if (l->exec || gofunc < l->vaddr || gofunc - l->vaddr >= l->filesz)
				continue;
			if (rodata >= l->vaddr && rodata < gofunc) {
				found = gofunc;
				nfound++;
			}
			break;
		}
	}
	if (nfound == 1)
		b->gofunc = found;
	return true;
}

static bool scan_moduledata(struct gobin *b, const struct gobin_load *l, const unsigned char *p, size_t n, void *arg)
{
	(void)arg;
	for (size_t off = 0; off + 8 * GOBIN_MD_WORDS <= n; off += 8)
		if (rd64(p + off) == b->pclntab_addr && take_moduledata(b, l->vaddr + off))
			return true;
	return false;
}

static void find_moduledata(struct gobin *b)
{
	GElf_Shdr sh;
	/* Go 1.26 gives it a section of its own. */
	if (gobin_find_section(b->elf, ".go.module", &sh) && take_moduledata(b, sh.sh_addr))
		return;
	uint64_t sym = gobin_symbol(b, "runtime.firstmoduledata", NULL);
	if (sym && take_moduledata(b, sym))
		return;
	each_loaded(b, true, scan_moduledata, NULL);
}

/* The ELF header and loadable segments of b->elf into b. */
static bool load_elf(struct gobin *b)
{
	GElf_Ehdr eh;
	size_t nph;
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF || !gelf_getehdr(b->elf, &eh) || eh.e_machine != EM_X86_64)
		return false;
	b->raw = (const unsigned char *)elf_rawfile(b->elf, &b->rawlen);
	if (!b->raw || elf_getphdrnum(b->elf, &nph) != 0)
		return false;
	for (size_t i = 0; i < nph && b->nloads < GOBIN_MAX_LOADS; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(b->elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			b->loads[b->nloads++] = (struct gobin_load){ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz,
								    (ph.p_flags & PF_W) != 0, (ph.p_flags & PF_X) != 0};
	}
	return true;
}

/* The pclntab, moduledata and text start of b (loaded): false if not Go. */
static bool find_tables(struct gobin *b)
{
	find_pclntab(b);
	const unsigned char *hdr = b->pclntab_addr ? gobin_file_ptr(b, b->pclntab_addr, 64) : NULL;
	if (!hdr)
		return false;
	b->pclntab_magic = rd32(hdr);
	b->symtab = gobin_find_section(b->elf, ".symtab", NULL);
	find_moduledata(b);
	GElf_Shdr sh;
	if (!b->moduledata && gobin_find_section(b->elf, ".text", &sh)) {
		b->text = sh.sh_addr;
		b->etext = sh.sh_addr + sh.sh_size;
	}
	return true;
}

bool gobin_elf_is_go(Elf *elf)
{
	if (!elf)
		return false;
	if (gobin_find_section(elf, ".gopclntab", NULL) || gobin_find_section(elf, ".data.rel.ro.gopclntab", NULL) ||
	    gobin_find_section(elf, ".go.buildinfo", NULL) || gobin_find_section(elf, ".note.go.buildid", NULL))
		return true;
	/* Stripped of section names: the pclntab by content. */
	struct gobin b = {.elf = elf, .fd = -1};
	if (!load_elf(&b))
		return false;
	find_pclntab(&b);
	return b.pclntab_addr != 0;
}

bool gobin_elf_go_text(Elf *elf, uint64_t *lo, uint64_t *hi)
{
	struct gobin b = {.elf = elf, .fd = -1};
	struct gopcln t;
	char *why = NULL;
	if (!load_elf(&b) || !find_tables(&b))
		return false;
	if (!gopcln_init(&t, &b, &why)) {
		free(why);
		return false;
	}
	*lo = gopcln_entry_at(&t, 0);
	*hi = gopcln_entry_at(&t, (size_t)t.nfunc);
	return *hi > *lo;
}

bool gobin_path_is_go(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool go = elf && elf_kind(elf) == ELF_K_ELF && gobin_elf_is_go(elf);
	if (elf)
		elf_end(elf);
	close(fd);
	return go;
}

/* --- opening -------------------------------------------------------------- */

static int open_exe(const struct snapshot *snap, char **path)
{
	const char *cands[3] = {snap->exe_open, NULL, snap->exe};
	char *rooted = NULL;
	if (snap->exe && snap->root && snap->source != SNAP_LIVE)
		cands[1] = rooted = xasprintf("%s%s", snap->root, snap->exe);
	int fd = -1;
	for (int i = 0; i < 3 && fd < 0; i++) {
		if (!cands[i])
			continue;
		fd = file_open_regular(cands[i]); /* never blocks on a FIFO */
		if (fd >= 0)
			*path = xstrdup(cands[i]);
	}
	free(rooted);
	return fd;
}

static void compute_bias(struct gobin *b, const struct snapshot *snap, const GElf_Ehdr *eh)
{
	if (eh->e_type == ET_EXEC) {
		b->bias = 0;
		b->bias_known = true;
		return;
	}
	if (!b->nloads)
		return;
	uint64_t first = b->loads[0].vaddr & ~(uint64_t)0xfff;
	for (size_t i = 0; i < snap->nmaps; i++) {
		const struct snap_map *m = &snap->maps[i];
		if (!m->path || m->offset != 0 || !snap->exe)
			continue;
		const char *mp = m->path, *ep = snap->exe;
		size_t ml = strlen(mp), el = strlen(ep);
		/* " (deleted)" may follow either */
		if (strncmp(mp, ep, ml < el ? ml : el) != 0)
			continue;
		b->bias = m->start - first;
		b->bias_known = true;
		return;
	}
}

struct gobin *gobin_open(const struct snapshot *snap, char **why)
{
	*why = NULL;
	char *path = NULL;
	int fd = open_exe(snap, &path);
	if (fd < 0)
		return NULL;
	struct gobin *b = xcalloc(1, sizeof(*b));
	b->fd = fd;
	b->path = path;
	b->name = xstrdup(snap->exe ? snap->exe : path);
	elf_version(EV_CURRENT);
	b->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	GElf_Ehdr eh;
	if (!load_elf(b) || !gelf_getehdr(b->elf, &eh))
		goto not_go;
	if (!find_tables(b))
		goto not_go; /* every Go program has a pclntab: this is not Go */
	if (find_buildinfo(b))
		b->version_from = "build info";
	else if (find_build_version(b))
		b->version_from = "runtime.buildVersion";
	GElf_Shdr sh;
	if (gobin_find_section(b->elf, ".noptrdata", &sh)) {
		b->noptrdata = sh.sh_addr;
		b->enoptrdata = sh.sh_addr + sh.sh_size;
	} else {
		for (size_t i = 0; i < b->nloads; i++)
			if (b->loads[i].write) {
				b->noptrdata = b->loads[i].vaddr;
				b->enoptrdata = b->loads[i].vaddr + b->loads[i].filesz;
				break;
			}
	}
	b->has_dwarf = gobin_find_section(b->elf, ".debug_info", NULL) || gobin_find_section(b->elf, ".zdebug_info", NULL);
	compute_bias(b, snap, &eh);
	if (!b->bias_known) {
		*why = xasprintf("%s is a position-independent Go program whose load address is unknown; goroutines are not listed",
				 b->name);
		gobin_close(b);
		return NULL;
	}
	return b;
not_go:
	gobin_close(b);
	return NULL;
}

void gobin_close(struct gobin *b)
{
	if (!b)
		return;
	if (b->elf)
		elf_end(b->elf);
	if (b->fd >= 0)
		close(b->fd);
	free(b->path);
	free(b->name);
	free(b->version);
	free(b->main_path);
	free(b->module);
	free(b);
}
