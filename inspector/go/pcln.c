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
	size_t first; /* where the five table offsets start */
	if (magic == 0xfffffffa) {
		t->format = 116;
		first = 24;
	} else if (magic == 0xfffffff0 || magic == 0xfffffff1) {
		t->format = magic == 0xfffffff0 ? 118 : 120;
		first = 32;
	} else {
		*why = xasprintf("its pclntab has the format of Go 1.2 to 1.15 (magic 0x%x), which pileup does not read", magic);
		return false;
	}
	t->quantum = t->data[6];
	t->gofunc = t->format == 116 ? 0 : b->gofunc;
	t->nfunc = rd64(t->data + 8);
	t->ftab_entry = t->format == 116 ? 16 : 8;
	t->func_size = t->format == 120 ? 44 : t->format == 118 ? 40 : 44;
	if (t->format != 116) {
		/* Go 1.26 writes 0 here: the text start is moduledata.text. */
		t->text_start = rd64(t->data + 24);
		if (!t->text_start)
			t->text_start = b->text;
		if (!t->text_start) {
			*why = xstrdup("its text start is unknown (a Go 1.26 or later pclntab, and runtime.firstmoduledata was not found)");
			return false;
		}
		if (b->moduledata && b->text && b->text != t->text_start) {
			*why = xasprintf("its pclntab and runtime.firstmoduledata disagree on the text start (0x%llx, 0x%llx)",
					 (unsigned long long)t->text_start, (unsigned long long)b->text);
			return false;
		}
	}
	uint64_t offs[5];
	for (int i = 0; i < 5; i++)
		offs[i] = rd64(t->data + first + 8 * i);
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
	if (t->nfunc == 0 || t->nfunc > t->functab_len / t->ftab_entry - 1) {
		*why = xstrdup("its pclntab function table is inconsistent");
		return false;
	}
	/* The entries must ascend, or a binary search gives wrong functions:
	 * a forged or torn table is refused here rather than misread. */
	for (size_t i = 0; i < t->nfunc; i++)
		if (gopcln_entry_at(t, i + 1) < gopcln_entry_at(t, i)) {
			*why = xstrdup("its pclntab function table is not sorted");
			return false;
		}
	return true;
}

/* Link-time entry pc of functab entry i (i == nfunc: the end of text). */
uint64_t gopcln_entry_at(const struct gopcln *t, size_t i)
{
	if (t->format == 116)
		return rd64(t->functab + 16 * i);
	return t->text_start + rd32(t->functab + 8 * i);
}

static bool func_at(const struct gopcln *t, size_t i, struct gofunc *f)
{
	uint64_t funcoff = t->format == 116 ? rd64(t->functab + 16 * i + 8) : rd32(t->functab + 8 * i + 4);
	if (funcoff > t->functab_len || t->func_size > t->functab_len - funcoff)
		return false;
	const unsigned char *p = t->functab + funcoff;
	f->raw = p;
	size_t k = 0; /* the fields after the entry */
	if (t->format == 116) {
		f->entry = rd64(p);
		k = 8;
	} else {
		f->entry = t->text_start + rd32(p);
		k = 4;
	}
	if (f->entry != gopcln_entry_at(t, i))
		return false;
	f->nameoff = (int32_t)rd32(p + k);
	f->pcsp = rd32(p + k + 12);
	f->pcfile = rd32(p + k + 16);
	f->pcln = rd32(p + k + 20);
	f->npcdata = rd32(p + k + 24);
	f->cuoff = rd32(p + k + 28);
	/* go1.20 added startLine before funcID */
	size_t id = k + 32 + (t->format == 120 ? 4 : 0);
	f->funcid = p[id];
	f->flag = p[id + 1];
	f->nfuncdata = p[id + 3];
	if (f->npcdata > 1024 || f->nfuncdata > 64)
		return false;
	size_t need = t->func_size + 4 * (size_t)f->npcdata + (t->format == 116 ? 8 * ((size_t)f->nfuncdata + 1) : 4 * (size_t)f->nfuncdata);
	return need <= t->functab_len - funcoff;
}

/* The last function of the table whose entry is at most pc (the first
 * one if none is). */
static size_t func_index(const struct gopcln *t, uint64_t pc)
{
	size_t lo = 0, hi = (size_t)t->nfunc;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (gopcln_entry_at(t, mid) <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

bool gopcln_find(const struct gopcln *t, uint64_t pc, struct gofunc *f)
{
	if (pc < gopcln_entry_at(t, 0) || pc >= gopcln_entry_at(t, (size_t)t->nfunc))
		return false;
	size_t lo = func_index(t, pc);
	if (gopcln_entry_at(t, lo) > pc)
		return false;
	return func_at(t, lo, f);
}

uint64_t gopcln_func_end(const struct gopcln *t, const struct gofunc *f)
{
	size_t lo = func_index(t, f->entry);
	return gopcln_entry_at(t, lo + 1);
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

/* Where funcdata slot i of f points (link-time), 0 if nowhere. */
static uint64_t funcdata(const struct gopcln *t, const struct gofunc *f, unsigned i)
{
	if (i >= f->nfuncdata)
		return 0;
	const unsigned char *p = f->raw + t->func_size + 4 * (size_t)f->npcdata;
	if (t->format == 116) {
		/* pointers, 8-byte aligned (in the address space) after pcdata */
		uint64_t addr = t->bin->pclntab_addr + (uint64_t)(p - t->data);
		if (addr & 4)
			p += 4;
		return rd64(p + 8 * (size_t)i);
	}
	uint32_t off = rd32(p + 4 * (size_t)i);
	if (off == 0xffffffff || !t->gofunc)
		return 0;
	return t->gofunc + off;
}

bool gopcln_inl(const struct gopcln *t, const struct gofunc *f, int32_t ix, struct goinl *out)
{
	if (ix < 0)
		return false;
	uint64_t tree = funcdata(t, f, GO_FUNCDATA_INLTREE);
	if (!tree)
		return false;
	size_t esz = t->format == 120 ? 16 : 20;
	const unsigned char *p = gobin_file_ptr(t->bin, tree + (uint64_t)ix * esz, esz);
	if (!p)
		return false;
	if (t->format != 120) {
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

int gopcln_wrapper_funcid(const struct gopcln *t)
{
	/* The compiler marks every function it generates — method wrappers,
	 * and (in some releases) type hash and equality functions — with the
	 * wrapper funcID, and files them under "<autogenerated>": the binary
	 * says which number the wrapper funcID has in its release. */
	unsigned counts[256] = {0}, total = 0;
	for (size_t i = 0; i < t->nfunc; i++) {
		struct gofunc f;
		const char *file;
		int line;
		if (!func_at(t, i, &f) || !gopcln_line(t, &f, f.entry, &file, &line) || strcmp(file, "<autogenerated>") != 0)
			continue;
		counts[f.funcid]++;
		total += f.funcid != 0; /* type hash/eq functions are plain ones in some releases */
	}
	int best = -1;
	for (int id = 1; id < 256; id++)
		if (counts[id] && (best < 0 || counts[id] > counts[best]))
			best = id;
	return best >= 0 && counts[best] >= 3 && counts[best] * 10 >= total * 9 ? best : -1;
}
