#include "go/pcln.h"
#include "bytes.h"
#include "error.h"

#include <string.h>

bool gopcln_init(struct gopcln *t, const struct gobin *b, char **why)
{
	memset(t, 0, sizeof(*t));
	t->bin = b;
	t->data = gobin_file_ptr(b, b->pclntab_addr, b->pclntab_len);
	t->len = b->pclntab_len;
	*why = NULL;
	if (!t->data || t->len < 72) {
		*why = xstrdup("the pclntab is not in the file");
		return false;
	}
	uint32_t magic = rd32(t->data);
	if (magic == 0xfffffff0)
		t->format = 118;
	else if (magic == 0xfffffff1)
		t->format = 120;
	else {
		*why = xasprintf("its pclntab has the format of Go 1.16/1.17 or older (magic 0x%x), which pileup does not read", magic);
		return false;
	}
	t->quantum = t->data[6];
	t->func_size = t->format == 118 ? 40 : 44;
	t->nfunc = rd64(t->data + 8);
	t->text_start = rd64(t->data + 24);
	uint64_t offs[5];
	for (int i = 0; i < 5; i++)
		offs[i] = rd64(t->data + 32 + 8 * i);
	/* funcname, cu, file, pc, func tables, in that order in the file. */
	for (int i = 0; i < 5; i++) {
		uint64_t end = i < 4 ? offs[i + 1] : t->len;
		if (offs[i] > t->len || end > t->len || end < offs[i]) {
			*why = xstrdup("its pclntab header is inconsistent");
			return false;
		}
	}
	t->funcnametab = t->data + offs[0];
	t->funcnametab_len = offs[1] - offs[0];
	t->cutab = t->data + offs[1];
	t->cutab_len = offs[2] - offs[1];
	t->filetab = t->data + offs[2];
	t->filetab_len = offs[3] - offs[2];
	t->pctab = t->data + offs[3];
	t->pctab_len = offs[4] - offs[3];
	t->functab = t->data + offs[4];
	t->functab_len = t->len - offs[4];
	if (t->nfunc == 0 || t->nfunc > t->functab_len / 8 - 1) {
		*why = xstrdup("its pclntab function table is inconsistent");
		return false;
	}
	return true;
}

static bool func_at(const struct gopcln *t, size_t i, struct gofunc *f)
{
	uint32_t funcoff = rd32(t->functab + 8 * i + 4);
	if ((size_t)funcoff + t->func_size > t->functab_len)
		return false;
	const unsigned char *p = t->functab + funcoff;
	f->raw = p;
	f->entry = t->text_start + rd32(p);
	f->nameoff = (int32_t)rd32(p + 4);
	f->pcsp = rd32(p + 16);
	f->pcfile = rd32(p + 20);
	f->pcln = rd32(p + 24);
	f->npcdata = rd32(p + 28);
	f->cuoff = rd32(p + 32);
	size_t k = t->format == 118 ? 36 : 40;
	f->funcid = p[k];
	f->flag = p[k + 1];
	f->nfuncdata = p[k + 3];
	if ((size_t)funcoff + t->func_size + 4 * ((size_t)f->npcdata + f->nfuncdata) > t->functab_len)
		return false;
	return true;
}

/* The last function of the table whose entry offset is at most off (the
 * first one if none is). */
static size_t func_index(const struct gopcln *t, uint64_t off)
{
	size_t lo = 0, hi = (size_t)t->nfunc;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (rd32(t->functab + 8 * mid) <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

bool gopcln_find(const struct gopcln *t, uint64_t pc, struct gofunc *f)
{
	if (pc < t->text_start)
		return false;
	uint64_t off = pc - t->text_start;
	if (off >= rd32(t->functab + 8 * t->nfunc))
		return false;
	size_t lo = func_index(t, off);
	if (rd32(t->functab + 8 * lo) > off)
		return false;
	return func_at(t, lo, f);
}

uint64_t gopcln_func_end(const struct gopcln *t, const struct gofunc *f)
{
	size_t lo = func_index(t, f->entry - t->text_start);
	return t->text_start + rd32(t->functab + 8 * (lo + 1));
}

bool gopcln_lookup(const struct gopcln *t, const char *name, struct gofunc *f)
{
	for (size_t i = 0; i < t->nfunc; i++) {
		struct gofunc g;
		if (!func_at(t, i, &g))
			continue;
		const char *n = gopcln_name(t, g.nameoff);
		if (n && strcmp(n, name) == 0) {
			*f = g;
			return true;
		}
	}
	return false;
}

const char *gopcln_name(const struct gopcln *t, int32_t nameoff)
{
	if (nameoff <= 0 || (size_t)nameoff >= t->funcnametab_len)
		return NULL;
	const char *s = (const char *)t->funcnametab + nameoff;
	if (!memchr(s, 0, t->funcnametab_len - (size_t)nameoff))
		return NULL;
	return s;
}

static bool varint(const unsigned char **p, const unsigned char *end, uint32_t *out)
{
	uint64_t v;
	if (!rd_uleb(p, end, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool gopcln_value(const struct gopcln *t, const struct gofunc *f, uint32_t off, uint64_t targetpc, int32_t *val)
{
	if (off == 0 || off >= t->pctab_len)
		return false;
	const unsigned char *p = t->pctab + off, *end = t->pctab + t->pctab_len;
	uint64_t pc = f->entry;
	int32_t v = -1;
	for (bool first = true;; first = false) {
		if (p >= end)
			return false;
		uint32_t uv;
		if (*p == 0 && !first)
			return false; /* the table ended before targetpc */
		if (!varint(&p, end, &uv))
			return false;
		v += (int32_t)(-(uv & 1) ^ (uv >> 1));
		uint32_t pcd;
		if (!varint(&p, end, &pcd))
			return false;
		pc += (uint64_t)pcd * t->quantum;
		if (targetpc < pc) {
			*val = v;
			return true;
		}
	}
}

bool gopcln_pcdata(const struct gopcln *t, const struct gofunc *f, uint32_t table, uint64_t targetpc, int32_t *val)
{
	if (table >= f->npcdata)
		return false;
	return gopcln_value(t, f, rd32(f->raw + t->func_size + 4 * table), targetpc, val);
}

const char *gopcln_file(const struct gopcln *t, const struct gofunc *f, int32_t fileno)
{
	if (fileno < 0)
		return NULL;
	uint64_t idx = (uint64_t)f->cuoff + (uint64_t)fileno;
	if (idx >= t->cutab_len / 4)
		return NULL;
	uint32_t off = rd32(t->cutab + 4 * idx);
	if (off == 0xffffffff || off >= t->filetab_len)
		return NULL;
	const char *s = (const char *)t->filetab + off;
	if (!memchr(s, 0, t->filetab_len - off))
		return NULL;
	return s;
}

bool gopcln_line(const struct gopcln *t, const struct gofunc *f, uint64_t targetpc, const char **file, int *line)
{
	int32_t fileno, ln;
	if (!gopcln_value(t, f, f->pcfile, targetpc, &fileno) || !gopcln_value(t, f, f->pcln, targetpc, &ln) || fileno < 0 ||
	    ln < 0)
		return false;
	*file = gopcln_file(t, f, fileno);
	*line = ln;
	return *file != NULL;
}

bool gopcln_inl(const struct gopcln *t, const struct gofunc *f, int32_t ix, struct goinl *out)
{
	if (!t->gofunc || ix < 0 || GO_FUNCDATA_INLTREE >= f->nfuncdata)
		return false;
	uint32_t off = rd32(f->raw + t->func_size + 4 * ((size_t)f->npcdata + GO_FUNCDATA_INLTREE));
	if (off == 0xffffffff)
		return false;
	size_t esz = t->format == 118 ? 20 : 16;
	const unsigned char *p = gobin_file_ptr(t->bin, t->gofunc + off + (uint64_t)ix * esz, esz);
	if (!p)
		return false;
	if (t->format == 118) {
		int16_t parent;
		memcpy(&parent, p, 2);
		out->parent = parent;
		out->funcid = p[2];
		out->nameoff = (int32_t)rd32(p + 12);
		out->parent_pc = (int32_t)rd32(p + 16);
	} else {
		out->parent = -1;
		out->funcid = p[0];
		out->nameoff = (int32_t)rd32(p + 4);
		out->parent_pc = (int32_t)rd32(p + 8);
	}
	return true;
}
