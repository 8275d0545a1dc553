/* go/layout_typedesc.c - the layout checked against the binary's own type
 * descriptors.
 *
 * A Go program keeps a runtime type descriptor for every type it
 * allocates with new() or reaches from one, stripped or not: for a
 * struct, its size and each field's name, type and offset.  The runtime's
 * g, m, p, sudog, hchan, timer, mspan, moduledata... are among them, so
 * the table a release was given can be compared, fact by fact, with the
 * program it is about to read.  The descriptors lie between
 * moduledata.types and etypes; a struct's is found by its name ("*runtime.g"
 * with the extra-star flag), at types + its nameOff.  Everything read here
 * comes from the target and is bounds-checked; a descriptor that does not
 * parse is skipped, never trusted. */
#include "go/layout_typedesc.h"
#include "bytes.h"
#include "error.h"
#include "go/layout_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	TD_KIND_STRUCT = 25, /* abi.Struct, every release */
	TD_TFLAG_EXTRASTAR = 2,
	TD_NAME_MAX = 64,
	TD_STRUCTS_MAX = 48,
};

struct td {
	const struct golayout *l;
	const struct gobin *b;
	const struct snapshot *snap;
	unsigned char *buf; /* [types, etypes) */
	uint64_t types, etypes; /* link-time */
	unsigned embed_shift;   /* StructField offsets are offset<<1|embedded before go1.19 */
};

/* len bytes at link-time address a: from the copy of the type region, else
 * from the binary or the target. */
static bool td_read(const struct td *t, uint64_t a, void *out, size_t len)
{
	if (a >= t->types && a < t->etypes && len <= t->etypes - a) {
		memcpy(out, t->buf + (a - t->types), len);
		return true;
	}
	return gobin_read(t->b, t->snap, a, out, len) == len;
}

/* The name at link-time address a (flags byte, uvarint length, bytes). */
static bool td_name(const struct td *t, uint64_t a, char *out, size_t cap)
{
	unsigned char h[4 + TD_NAME_MAX];
	if (!td_read(t, a, h, 1 + 1))
		return false;
	size_t n = 0, k = 1;
	unsigned shift = 0;
	for (;; k++) {
		if (k >= 4 || !td_read(t, a + k, h + k, 1))
			return false;
		n |= (size_t)(h[k] & 0x7f) << shift;
		shift += 7;
		if (!(h[k] & 0x80))
			break;
	}
	if (n >= cap || !td_read(t, a + k + 1, out, n))
		return false;
	out[n] = 0;
	return true;
}

struct td_field {
	char name[TD_NAME_MAX];
	uint64_t off, size, type; /* type: link-time address of its descriptor */
	bool is_struct;
};

/* Field i of the struct descriptor at link-time address d. */
static bool td_field(const struct td *t, uint64_t d, uint64_t i, struct td_field *f)
{
	uint64_t hdr[2], sf[3];
	if (!td_read(t, d + 56, hdr, sizeof(hdr)) || i >= hdr[1] || hdr[1] > 4096 ||
	    !td_read(t, hdr[0] - t->b->bias + 24 * i, sf, sizeof(sf)))
		return false;
	unsigned char ty[24];
	f->type = sf[1] - t->b->bias;
	if (!td_name(t, sf[0] - t->b->bias, f->name, sizeof(f->name)) || !td_read(t, f->type, ty, sizeof(ty)))
		return false;
	f->off = sf[2] >> t->embed_shift;
	f->size = rd64(ty);
	f->is_struct = (ty[23] & 0x1f) == TD_KIND_STRUCT;
	return true;
}

/* The offset and size of path (one '|' alternative, len bytes) inside the
 * struct descriptor d. */
static bool td_path(const struct td *t, uint64_t d, const char *path, size_t len, uint64_t *off, uint64_t *size)
{
	uint64_t total = 0;
	for (int depth = 0; depth < 4; depth++) {
		const char *dot = memchr(path, '.', len);
		size_t n = dot ? (size_t)(dot - path) : len;
		struct td_field f;
		bool found = false;
		for (uint64_t i = 0; !found && td_field(t, d, i, &f); i++)
			found = strlen(f.name) == n && memcmp(f.name, path, n) == 0;
		if (!found)
			return false;
		total += f.off;
		if (!dot) {
			*off = total;
			*size = f.size;
			return true;
		}
		if (!f.is_struct)
			return false;
		d = f.type;
		len -= n + 1;
		path = dot + 1;
	}
	return false;
}

/* "runtime.g" for "runtime.g", "abi.Type" for "internal/abi.Type"; NULL
 * for the other internal packages (internal/sync.Mutex is "sync.Mutex"
 * too, and would be taken for sync's). */
static bool td_struct_name(const char *dw, size_t len, char *out, size_t cap)
{
	const char *dot = NULL;
	for (size_t i = 0; i < len; i++)
		if (dw[i] == '.')
			dot = dw + i;
	if (!dot)
		return false;
	size_t plen = (size_t)(dot - dw), nlen = len - plen; /* nlen counts the dot */
	const char *pkg = dw;
	if (plen > 9 && strncmp(dw, "internal/", 9) == 0) {
		if (plen != 12 || strncmp(dw, "internal/abi", 12) != 0)
			return false;
		pkg = "abi";
		plen = 3;
	}
	if (1 + plen + nlen + 1 > cap)
		return false;
	out[0] = '*';
	memcpy(out + 1, pkg, plen);
	memcpy(out + 1 + plen, dot, nlen);
	out[1 + plen + nlen] = 0;
	return true;
}

struct td_struct {
	char name[TD_NAME_MAX]; /* "*runtime.g" */
	uint64_t desc;          /* link-time; 0 not found */
};

/* Finds the descriptors of the structures the specs name, in one pass over
 * the type region. */
static size_t td_find(const struct td *t, struct td_struct *s, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < GL__N; i++) {
		const struct golayout_spec *sp = &golayout_specs[i];
		if (sp->kind == GOLAYOUT_CONST)
			continue;
		const char *p = sp->structs;
		while (*p) {
			size_t len = strcspn(p, "|");
			char nm[TD_NAME_MAX];
			bool dup = false;
			if (td_struct_name(p, len, nm, sizeof(nm))) {
				for (size_t k = 0; k < n && !dup; k++)
					dup = strcmp(s[k].name, nm) == 0;
				if (!dup && n < max) {
					snprintf(s[n].name, sizeof(s[n].name), "%s", nm);
					s[n++].desc = 0;
				}
			}
			p += len + (p[len] == '|');
		}
	}
	size_t len = (size_t)(t->etypes - t->types);
	for (size_t off = 0; off + 80 <= len; off += 8) {
		const unsigned char *d = t->buf + off;
		if ((d[23] & 0x1f) != TD_KIND_STRUCT || !(d[20] & TD_TFLAG_EXTRASTAR))
			continue;
		int32_t str;
		memcpy(&str, d + 40, 4);
		if (str <= 0 || (uint64_t)str + 2 >= len)
			continue;
		const unsigned char *nm = t->buf + str;
		size_t nlen = nm[1]; /* names of interest are shorter than 128: one length byte */
		if ((nm[1] & 0x80) || (size_t)str + 2 + nlen > len || nlen >= TD_NAME_MAX || nm[2] != '*')
			continue;
		for (size_t k = 0; k < n; k++)
			if (!s[k].desc && strlen(s[k].name) == nlen && memcmp(s[k].name, nm + 2, nlen) == 0)
				s[k].desc = t->types + off;
	}
	return n;
}

static uint64_t td_desc_of(const struct td_struct *s, size_t n, const char *dw, size_t len)
{
	char nm[TD_NAME_MAX];
	if (!td_struct_name(dw, len, nm, sizeof(nm)))
		return 0;
	for (size_t k = 0; k < n; k++)
		if (strcmp(s[k].name, nm) == 0)
			return s[k].desc;
	return 0;
}

struct td_cmp {
	bool done, found, same; /* done: the structure is described */
	uint64_t off, size;
};

unsigned golayout_typedesc_check(struct golayout *l, const struct gobin *b, const struct snapshot *snap, bool adopt,
				 FILE *dump, const char **bad)
{
	*bad = NULL;
	uint64_t md = l->firstmoduledata, types, etypes;
	if (!md || !golayout_has(l, GL_md_types) || !golayout_has(l, GL_md_etypes) ||
	    gobin_read(b, snap, md - b->bias + (uint64_t)golayout_get(l, GL_md_types), &types, 8) != 8 ||
	    gobin_read(b, snap, md - b->bias + (uint64_t)golayout_get(l, GL_md_etypes), &etypes, 8) != 8 ||
	    types < b->bias || etypes <= types || etypes - types > (256u << 20))
		return 0;
	struct td t = {.l = l, .b = b, .snap = snap, .types = types - b->bias, .etypes = etypes - b->bias};
	t.embed_shift = golayout_has(l, GL_c_structfield_embed_bit) ? (unsigned)golayout_get(l, GL_c_structfield_embed_bit) : 0;
	size_t len = (size_t)(t.etypes - t.types);
	t.buf = xmalloc(len);
	if (gobin_read(b, snap, t.types, t.buf, len) != len) {
		free(t.buf);
		return 0;
	}
	struct td_struct s[TD_STRUCTS_MAX];
	size_t ns = td_find(&t, s, TD_STRUCTS_MAX);
	struct td_cmp *cmp = xcalloc(GL__N, sizeof(*cmp));
	unsigned compared = 0, same = 0, differ = 0;
	for (int i = 0; i < GL__N; i++) {
		const struct golayout_spec *sp = &golayout_specs[i];
		if (sp->kind == GOLAYOUT_CONST)
			continue;
		uint64_t d = 0;
		for (const char *p = sp->structs; *p && !d;) {
			size_t n = strcspn(p, "|");
			d = td_desc_of(s, ns, p, n);
			p += n + (p[n] == '|');
		}
		if (!d)
			continue;
		struct td_cmp *c = &cmp[i];
		c->done = true;
		if (sp->kind == GOLAYOUT_SIZE) {
			c->found = td_read(&t, d, &c->size, 8);
		} else {
			for (const char *p = sp->what; *p && !c->found;) {
				size_t n = strcspn(p, "|");
				c->found = td_path(&t, d, p, n, &c->off, &c->size);
				p += n + (p[n] == '|');
			}
		}
		/* The structure is described: a member it lacks is one the
		 * release does not have. */
		const struct golayout_val *v = &l->f[i];
		c->same = c->found ? v->from && (sp->kind == GOLAYOUT_SIZE ? (uint64_t)v->v == c->size
									  : (uint64_t)v->v == c->off && v->size == c->size)
				   : !v->from;
		compared++;
		if (c->same) {
			same++;
			continue;
		}
		differ++;
		if (!*bad)
			*bad = sp->name;
	}
	/* Descriptors read right agree with nearly all of a table: a few
	 * differences are a point release's; many mean something is off. */
	bool trust = same >= 20 && differ * 4 <= same;
	if (getenv("PILEUP_GO_DEBUG"))
		fprintf(stderr, "pileup: go: type descriptors: %u facts the same, %u different\n", same, differ);
	for (int i = 0; i < GL__N; i++) {
		const struct golayout_spec *sp = &golayout_specs[i];
		struct td_cmp *c = &cmp[i];
		struct golayout_val *v = &l->f[i];
		if (!c->done)
			continue;
		if (dump) {
			fprintf(dump, "golayout typedesc %s ", sp->name);
			if (c->found && sp->kind == GOLAYOUT_SIZE)
				fprintf(dump, "%llu", (unsigned long long)c->size);
			else if (c->found)
				fprintf(dump, "%llu %llu", (unsigned long long)c->off, (unsigned long long)c->size);
			else
				fprintf(dump, "absent");
			fprintf(dump, " %s\n", c->same ? "same" : "DIFFERENT");
		}
		if (c->same || !adopt || (!c->found && !v->from))
			continue;
		if (trust && c->found)
			*v = (struct golayout_val){(int64_t)(sp->kind == GOLAYOUT_SIZE ? c->size : c->off),
						   sp->kind == GOLAYOUT_SIZE ? 0 : (uint32_t)c->size, GOLAYOUT_TYPEDESC};
		else
			v->from = GOLAYOUT_NONE;
	}
	free(cmp);
	free(t.buf);
	return compared;
}
