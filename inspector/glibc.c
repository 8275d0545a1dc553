#include "glibc.h"
#include "debugcache.h"
#include "error.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CACHE_FORMAT = 1, MAX_CACHE_FILES = 64 };

static bool debug_on(void)
{
	const char *e = getenv("PILEUP_WAITS_DEBUG");
	return e && *e && *e != '0';
}

/* --- which release ------------------------------------------------------ */

/* glibc's banner, "GNU C Library (Debian GLIBC 2.36-9+deb12u14) stable
 * release version 2.36.", is in .rodata of libc.so.6 (and of a program
 * linked with glibc statically): the release is what follows "release
 * version ". */
static bool banner_version(Elf *elf, char *out, size_t size)
{
	size_t shstrndx;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".rodata") != 0)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return false;
		static const char key[] = "GNU C Library";
		const char *p = d->d_buf, *end = p + d->d_size;
		while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
			const char *nul = memchr(p, 0, (size_t)(end - p));
			if (!nul)
				return false;
			/* the banner's first line; copyright and licence follow */
			const char *eol = memchr(p, '\n', (size_t)(nul - p));
			if (eol)
				nul = eol;
			const char *v = nul - p < 200 ? memmem(p, (size_t)(nul - p), "release version ", 16) : NULL;
			if (v) {
				v += 16;
				size_t n = 0;
				while (v + n < nul && n + 1 < size && ((v[n] >= '0' && v[n] <= '9') || v[n] == '.'))
					n++;
				while (n && v[n - 1] == '.')
					n--;
				if (!n)
					return false;
				memcpy(out, v, n);
				out[n] = 0;
				return true;
			}
			p = nul;
		}
		return false;
	}
	return false;
}

/* --- DWARF ---------------------------------------------------------------- */

static bool member_offset(Dwarf_Die *m, Dwarf_Word *off)
{
	Dwarf_Attribute a;
	if (!dwarf_attr(m, DW_AT_data_member_location, &a))
		return false;
	return dwarf_formudata(&a, off) == 0; /* a constant; older location expressions are not trusted */
}

/* Reads the members of one struct definition into l; false when a member
 * is missing or has another size than the table's field. */
static bool read_struct(Dwarf_Die *st, enum glibc_struct which, struct glibc_layout *l)
{
	Dwarf_Word size;
	Dwarf_Attribute a;
	if (!dwarf_attr(st, DW_AT_byte_size, &a) || dwarf_formudata(&a, &size) != 0 || size > 4096)
		return false;
	l->size[which] = (uint16_t)size;
	bool seen[GF__COUNT] = {0};
	Dwarf_Die m;
	if (dwarf_child(st, &m) != 0)
		return false;
	do {
		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		const char *name = dwarf_diename(&m);
		for (int f = 0; name && f < GF__COUNT; f++) {
			if (glibc_fields[f].in != which || strcmp(glibc_fields[f].member, name) != 0)
				continue;
			Dwarf_Word off;
			Dwarf_Die type;
			Dwarf_Word msize;
			if (!member_offset(&m, &off) || off + glibc_fields[f].size > size ||
			    !dwarf_attr(&m, DW_AT_type, &a) || !dwarf_formref_die(&a, &type) ||
			    dwarf_aggregate_size(&type, &msize) != 0 || msize != glibc_fields[f].size)
				return false;
			l->off[f] = (uint16_t)off;
			seen[f] = true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	for (int f = 0; f < GF__COUNT; f++)
		if (glibc_fields[f].in == which && !seen[f])
			return false;
	return true;
}

/* The four structs from the top level of libc's compile units (each is
 * defined in the units that use it: the mutex in one of the first). */
static bool read_dwarf(Dwfl_Module *mod, struct glibc_layout *l)
{
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	if (!dw)
		return false;
	unsigned found = 0, all = (1u << GL__STRUCTS) - 1;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (found != all && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;
		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &d) == 0) {
			do {
				if (dwarf_tag(&d) != DW_TAG_structure_type || dwarf_hasattr(&d, DW_AT_declaration))
					continue;
				const char *name = dwarf_diename(&d);
				for (int s = 0; name && s < GL__STRUCTS; s++) {
					if ((found & (1u << s)) || strcmp(name, glibc_struct_names[s]) != 0)
						continue;
					if (!read_struct(&d, (enum glibc_struct)s, l))
						return false;
					found |= 1u << s;
				}
			} while (dwarf_siblingof(&d, &d) == 0);
		}
		off = next;
	}
	return found == all;
}

/* --- the cache ------------------------------------------------------------ */

static const struct glibc_release *table_for(const char *version)
{
	for (size_t i = 0; i < glibc_nreleases; i++)
		if (strcmp(glibc_releases[i]->version, version) == 0)
			return glibc_releases[i];
	return NULL;
}


/* Where libdwfl finds libc6-dbg's file, and whether it is there: a debug
 * file installed or removed since makes a new entry. */
static void debug_identity(const char *hex, char *out, size_t size)
{
	char path[256];
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
	struct stat st;
	if (strlen(hex) > 2 && stat(path, &st) == 0)
		snprintf(out, size, "%lld %lld %llu", (long long)st.st_size, (long long)st.st_mtime,
			 (unsigned long long)st.st_ino);
	else
		snprintf(out, size, "none");
}

static char *cache_path(const char *hex)
{
	char *dir = debugcache_dir();
	if (!dir)
		return NULL;
	char *p = xasprintf("%s/glibc-%s", dir, hex);
	free(dir);
	return p;
}

static bool cache_read(const char *path, const char *debug_id, struct glibc_layout *l)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[256], want[300];
	bool ok = true;
	int fields = 0;
	snprintf(want, sizeof(want), "debug %s\n", debug_id);
	int format = 0;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "pileup-glibc %d", &format) != 1 || format != CACHE_FORMAT)
		ok = false;
	if (ok && (!fgets(line, sizeof(line), f) || strcmp(line, want) != 0))
		ok = false;
	if (ok && (!fgets(line, sizeof(line), f) || sscanf(line, "version %15s", l->version) != 1))
		ok = false;
	char src[16] = "";
	if (ok && (!fgets(line, sizeof(line), f) || sscanf(line, "source %15s", src) != 1))
		ok = false;
	l->source = !strcmp(src, "dwarf") ? "dwarf" : !strcmp(src, "table") ? "table" : NULL;
	ok = ok && l->source;
	for (int s = 0; ok && s < GL__STRUCTS; s++) {
		unsigned v;
		char name[64];
		if (!fgets(line, sizeof(line), f) || sscanf(line, "struct %63s %u", name, &v) != 2 ||
		    strcmp(name, glibc_struct_names[s]) != 0 || v > 4096)
			ok = false;
		else
			l->size[s] = (uint16_t)v;
	}
	for (int i = 0; ok && i < GF__COUNT; i++) {
		unsigned v;
		char name[64];
		if (!fgets(line, sizeof(line), f) || sscanf(line, "field %63s %u", name, &v) != 2 ||
		    strcmp(name, glibc_fields[i].member) != 0 || v + glibc_fields[i].size > l->size[glibc_fields[i].in])
			ok = false;
		else
			l->off[i] = (uint16_t)v, fields++;
	}
	if (ok && (!fgets(line, sizeof(line), f) || strcmp(line, "end\n") != 0))
		ok = false;
	fclose(f);
	return ok && fields == GF__COUNT;
}

static void cache_write(const char *path, const char *debug_id, const struct glibc_layout *l)
{
	char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		free(tmp);
		return;
	}
	fprintf(f, "pileup-glibc %d\ndebug %s\nversion %s\nsource %s\n", CACHE_FORMAT, debug_id, l->version, l->source);
	for (int s = 0; s < GL__STRUCTS; s++)
		fprintf(f, "struct %s %u\n", glibc_struct_names[s], l->size[s]);
	for (int i = 0; i < GF__COUNT; i++)
		fprintf(f, "field %s %u\n", glibc_fields[i].member, l->off[i]);
	fputs("end\n", f);
	bool ok = fflush(f) == 0 && !ferror(f);
	fclose(f);
	if (ok && rename(tmp, path) == 0) {
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		*slash = 0;
		debugcache_prune(dir, "glibc-", "", slash + 1, MAX_CACHE_FILES);
		free(dir);
	} else {
		unlink(tmp);
	}
	free(tmp);
}

/* --- the layout ----------------------------------------------------------- */

/* Whatever its source: every field inside its struct, no two fields of a
 * struct overlapping, and each struct at least as big as its field
 * offsets allow; else the layout is not used. */
static bool sane(const struct glibc_layout *l)
{
	for (int i = 0; i < GF__COUNT; i++) {
		const struct glibc_field_name *a = &glibc_fields[i];
		if (!l->size[a->in] || l->off[i] + a->size > l->size[a->in])
			return false;
		for (int k = i + 1; k < GF__COUNT; k++) {
			const struct glibc_field_name *b = &glibc_fields[k];
			if (a->in == b->in && l->off[i] < l->off[k] + b->size && l->off[k] < l->off[i] + a->size)
				return false;
		}
	}
	return true;
}

static void from_table(const struct glibc_release *r, struct glibc_layout *l)
{
	memcpy(l->size, r->size, sizeof(l->size));
	memcpy(l->off, r->off, sizeof(l->off));
	l->source = "table";
}

/* PILEUP_WAITS_DEBUG: the table row against the DWARF, field by field. */
static void compare_with_table(const struct glibc_layout *dw, const struct glibc_release *r)
{
	int differ = 0;
	for (int s = 0; s < GL__STRUCTS; s++)
		if (dw->size[s] != r->size[s]) {
			fprintf(stderr, "pileup: glibc %s: sizeof(struct %s): DWARF %u, table %u\n", dw->version,
				glibc_struct_names[s], dw->size[s], r->size[s]);
			differ++;
		}
	for (int i = 0; i < GF__COUNT; i++)
		if (dw->off[i] != r->off[i]) {
			fprintf(stderr, "pileup: glibc %s: %s.%s: DWARF offset %u, table %u\n", dw->version,
				glibc_struct_names[glibc_fields[i].in], glibc_fields[i].member, dw->off[i], r->off[i]);
			differ++;
		}
	if (differ)
		fprintf(stderr, "pileup: glibc %s: the table differs from the DWARF in %d places\n", dw->version, differ);
	else
		fprintf(stderr, "pileup: glibc %s: the table agrees with the DWARF (%d structs, %d fields)\n", dw->version,
			GL__STRUCTS, GF__COUNT);
}

bool glibc_layout(Dwfl_Module *mod, struct glibc_layout *ret, char *why, size_t why_size)
{
	memset(ret, 0, sizeof(*ret));
	const char *force = getenv("PILEUP_GLIBC_LAYOUT");
	bool only_table = force && !strcmp(force, "table"), only_dwarf = force && !strcmp(force, "dwarf");
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	char hex[2 * 64 + 1] = "";
	for (int i = 0; n > 0 && n <= 64 && i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", bits[i]);
	char debug_id[128];
	debug_identity(hex, debug_id, sizeof(debug_id));
	char *path = hex[0] && !force ? cache_path(hex) : NULL;
	/* A layout the table gave stands only while the table still says so. */
	if (path && cache_read(path, debug_id, ret) && sane(ret) &&
	    (strcmp(ret->source, "table") != 0 ||
	     (table_for(ret->version) && !memcmp(table_for(ret->version)->off, ret->off, sizeof(ret->off)) &&
	      !memcmp(table_for(ret->version)->size, ret->size, sizeof(ret->size))))) {
		if (debug_on())
			fprintf(stderr, "pileup: glibc %s: layout from the cache (%s, found by %s)\n", ret->version, path,
				ret->source);
		free(path);
		return true;
	}
	Dwarf_Addr bias;
	if (!banner_version(dwfl_module_getelf(mod, &bias), ret->version, sizeof(ret->version))) {
		free(path);
		snprintf(why, why_size, "its glibc's release is unknown (no version banner in its .rodata): install its debug package (libc6-dbg)");
		return false;
	}
	const struct glibc_release *row = table_for(ret->version);
	bool ok = false;
	if (!only_table && read_dwarf(mod, ret) && sane(ret)) {
		ret->source = "dwarf";
		ok = true;
		if (debug_on()) {
			fprintf(stderr, "pileup: glibc %s: layout from the DWARF\n", ret->version);
			if (row)
				compare_with_table(ret, row);
			else
				fprintf(stderr, "pileup: glibc %s: no table for this release\n", ret->version);
		}
	} else if (!only_dwarf && row) {
		from_table(row, ret);
		ok = true;
		if (debug_on())
			fprintf(stderr, "pileup: glibc %s: layout from the table (%s)\n", ret->version, row->checked);
	}
	if (!ok) {
		free(path);
		if (only_dwarf)
			snprintf(why, why_size, "PILEUP_GLIBC_LAYOUT=dwarf, and glibc %s has no readable DWARF", ret->version);
		else
			snprintf(why, why_size, "pileup has no lock layout for glibc %s and no DWARF of it: install its debug package (libc6-dbg)",
				 ret->version);
		return false;
	}
	if (path)
		cache_write(path, debug_id, ret);
	free(path);
	return true;
}
