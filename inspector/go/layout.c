#include "go/layout.h"
#include "bytes.h"
#include "error.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

const char golayout_table_versions[] = "go1.19.x";

/* --- per-version tables --------------------------------------------------- */

/* Go 1.19 (runtime/runtime2.go, symtab.go of the go1.19 release branch),
 * linux/amd64.  Checked against the DWARF of go1.19.8 builds by
 * tests/t_go.sh (PILEUP_GO_LAYOUT=table vs dwarf). */
static const char *const wait_reasons_119[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)", "dumping heap",
	"garbage collection", "garbage collection scan", "panicwait", "select", "select (no cases)",
	"GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive", "chan send", "finalizer wait",
	"force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait", "timer goroutine (idle)",
	"trace reader (blocked)", "wait for GC cycle", "GC worker (idle)", "preempted", "debug call",
};

static void table_119(struct golayout *l)
{
	l->g_stack_lo = 0;
	l->g_stack_hi = 8;
	l->g_m = 48;
	l->g_sched_sp = 56;
	l->g_sched_pc = 64;
	l->g_sched_bp = 104;
	l->g_syscallsp = 112;
	l->g_syscallpc = 120;
	l->g_atomicstatus = 144;
	l->g_goid = 152;
	l->g_waitsince = 168;
	l->g_waitreason = 176;
	l->g_lockedm = 232;
	l->g_gopc = 296;
	l->g_ancestors = 304;
	l->g_startpc = 312;
	l->g_parent_goid = 0;
	l->m_procid = 72;
	l->m_curg = 192;
	l->anc_size = 40;
	l->anc_goid = 24;
	l->md_gofunc = 304;
	l->ms_last_gc_unix = 3592;
	l->ms_last_gc_nanotime = 7720;
	l->funcid_wrapper = 21;
}

/* "go1.19", "go1.19.8": the release series the tables know. */
static bool version_is(const char *v, const char *series)
{
	size_t n = strlen(series);
	return strncmp(v, series, n) == 0 && (v[n] == 0 || v[n] == '.' || v[n] == ' ');
}

static bool layout_from_table(struct golayout *l, const char *version)
{
	if (!version || !version_is(version, "go1.19"))
		return false;
	table_119(l);
	for (size_t i = 0; i < sizeof(wait_reasons_119) / sizeof(*wait_reasons_119); i++)
		l->wait_reasons[i] = wait_reasons_119[i];
	l->nwait_reasons = sizeof(wait_reasons_119) / sizeof(*wait_reasons_119);
	snprintf(l->source, sizeof(l->source), "table go1.19");
	return true;
}

bool golayout_version_at_least(const char *v, int major, int minor)
{
	int ma = 0, mi = 0;
	if (!v || sscanf(v, "go%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* --- DWARF ---------------------------------------------------------------- */

enum { DS_G, DS_GOBUF, DS_STACK, DS_M, DS_ANC, DS_MD, DS_MSTATS, DS__N };
static const char *const dw_structs[DS__N] = {"runtime.g", "runtime.gobuf", "runtime.stack", "runtime.m",
					      "runtime.ancestorInfo", "runtime.moduledata", "runtime.mstats"};

struct dw_member {
	char name[32];
	uint32_t off;
};

struct dw_struct {
	bool found;
	uint32_t size;
	struct dw_member *m;
	size_t n;
};

struct dw_info {
	struct dw_struct s[DS__N];
	uint64_t allgs, allglen, firstmoduledata, wait_reasons, memstats;
	uint64_t wait_reasons_count;
};

static bool member_off(const struct dw_struct *s, const char *name, uint32_t *out)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->m[i].name, name) == 0) {
			*out = s->m[i].off;
			return true;
		}
	return false;
}

static void read_struct(Dwarf_Die *die, struct dw_struct *s)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	s->found = true;
	if (dwarf_attr(die, DW_AT_byte_size, &a) && dwarf_formudata(&a, &w) == 0)
		s->size = (uint32_t)w;
	Dwarf_Die c;
	if (dwarf_child(die, &c) != 0)
		return;
	size_t cap = 0;
	do {
		if (dwarf_tag(&c) != DW_TAG_member)
			continue;
		const char *n = dwarf_diename(&c);
		if (!n || strlen(n) >= sizeof(s->m->name))
			continue;
		if (!dwarf_attr(&c, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &w) != 0)
			continue;
		xgrow(&s->m, &cap, s->n + 1, sizeof(*s->m));
		snprintf(s->m[s->n].name, sizeof(s->m->name), "%s", n);
		s->m[s->n++].off = (uint32_t)w;
	} while (dwarf_siblingof(&c, &c) == 0);
}

static uint64_t var_addr(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;
	if (!dwarf_attr(die, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &n) != 0 || n != 1 || ops[0].atom != DW_OP_addr)
		return 0;
	return ops[0].number;
}

static uint64_t array_count(Dwarf_Die *var)
{
	Dwarf_Attribute a;
	Dwarf_Die type, sub;
	Dwarf_Word w;
	if (!dwarf_attr(var, DW_AT_type, &a) || !dwarf_formref_die(&a, &type) || dwarf_tag(&type) != DW_TAG_array_type)
		return 0;
	if (dwarf_child(&type, &sub) != 0)
		return 0;
	do {
		if (dwarf_tag(&sub) != DW_TAG_subrange_type)
			continue;
		if (dwarf_attr(&sub, DW_AT_count, &a) && dwarf_formudata(&a, &w) == 0)
			return w;
		if (dwarf_attr(&sub, DW_AT_upper_bound, &a) && dwarf_formudata(&a, &w) == 0)
			return w + 1;
	} while (dwarf_siblingof(&sub, &sub) == 0);
	return 0;
}

static void scan_runtime_cu(Dwarf_Die *cu, struct dw_info *info)
{
	Dwarf_Die d;
	if (dwarf_child(cu, &d) != 0)
		return;
	do {
		int tag = dwarf_tag(&d);
		const char *n = dwarf_diename(&d);
		if (!n)
			continue;
		if (tag == DW_TAG_structure_type) {
			for (int i = 0; i < DS__N; i++)
				if (!info->s[i].found && strcmp(n, dw_structs[i]) == 0)
					read_struct(&d, &info->s[i]);
		} else if (tag == DW_TAG_variable) {
			if (strcmp(n, "runtime.allgs") == 0)
				info->allgs = var_addr(&d);
			else if (strcmp(n, "runtime.allglen") == 0)
				info->allglen = var_addr(&d);
			else if (strcmp(n, "runtime.firstmoduledata") == 0)
				info->firstmoduledata = var_addr(&d);
			else if (strcmp(n, "runtime.memstats") == 0)
				info->memstats = var_addr(&d);
			else if (strcmp(n, "runtime.waitReasonStrings") == 0) {
				info->wait_reasons = var_addr(&d);
				info->wait_reasons_count = array_count(&d);
			}
		}
	} while (dwarf_siblingof(&d, &d) == 0);
}

static void dw_info_free(struct dw_info *info)
{
	for (int i = 0; i < DS__N; i++)
		free(info->s[i].m);
}

/* The bytes of a debug section, decompressed in place if need be. */
static Elf_Data *debug_section(Elf *elf, const char *name)
{
	GElf_Shdr sh;
	Elf_Scn *scn = gobin_find_section(elf, name, &sh);
	if (scn)
		return (sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0 ? NULL : elf_getdata(scn, NULL);
	/* GNU style: .zdebug_info for .debug_info */
	char zname[64];
	snprintf(zname, sizeof(zname), ".z%s", name + 1);
	scn = gobin_find_section(elf, zname, NULL);
	return scn && elf_compress_gnu(scn, 0, 0) >= 0 ? elf_getdata(scn, NULL) : NULL;
}

/* libdw decompresses every debug section it knows (line tables, frame
 * tables, location lists: most of the time it takes on a Go binary);
 * the runtime types need only .debug_info and .debug_abbrev, so libdw
 * gets an ELF image in memory holding just those two. */
struct light_dwarf {
	unsigned char *image;
	Elf *elf;
	Dwarf *dw;
};

/* The ELF header of a light image: 4 sections (null, .debug_abbrev,
 * .debug_info, .shstrtab), their headers at off_sh. */
static void light_elf_header(unsigned char *img, size_t off_sh)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shoff = off_sh;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 4;
	eh->e_shstrndx = 3;
}

static bool light_dwarf_image(const Elf_Data *abbrev, const Elf_Data *info, struct light_dwarf *ld)
{
	memset(ld, 0, sizeof(*ld));
	static const char shstr[] = "\0.debug_abbrev\0.debug_info\0.shstrtab";
	size_t off_abbrev = sizeof(Elf64_Ehdr), off_info = (off_abbrev + abbrev->d_size + 7) & ~(size_t)7;
	size_t off_str = (off_info + info->d_size + 7) & ~(size_t)7;
	size_t off_sh = (off_str + sizeof(shstr) + 7) & ~(size_t)7, size = off_sh + 4 * sizeof(Elf64_Shdr);
	ld->image = xcalloc(1, size);
	light_elf_header(ld->image, off_sh);
	memcpy(ld->image + off_abbrev, abbrev->d_buf, abbrev->d_size);
	memcpy(ld->image + off_info, info->d_buf, info->d_size);
	memcpy(ld->image + off_str, shstr, sizeof(shstr));
	Elf64_Shdr *sh = (Elf64_Shdr *)(ld->image + off_sh);
	sh[1] = (Elf64_Shdr){.sh_name = 1, .sh_type = SHT_PROGBITS, .sh_offset = off_abbrev, .sh_size = abbrev->d_size, .sh_addralign = 1};
	sh[2] = (Elf64_Shdr){.sh_name = 15, .sh_type = SHT_PROGBITS, .sh_offset = off_info, .sh_size = info->d_size, .sh_addralign = 1};
	sh[3] = (Elf64_Shdr){.sh_name = 27, .sh_type = SHT_STRTAB, .sh_offset = off_str, .sh_size = sizeof(shstr), .sh_addralign = 1};
	ld->elf = elf_memory((char *)ld->image, size);
	ld->dw = ld->elf ? dwarf_begin_elf(ld->elf, DWARF_C_READ, NULL) : NULL;
	if (!ld->dw) {
		if (ld->elf)
			elf_end(ld->elf);
		free(ld->image);
		return false;
	}
	return true;
}

/* The same ELF image built around sections already in place: the ELF
 * and section headers at img, .debug_abbrev at abbrev_off, .debug_info at
 * info_off (img stays the caller's). */
enum { LIGHT_HEAD = 512 }; /* bytes at img for the headers and names */

static bool light_dwarf_inplace(unsigned char *img, size_t abbrev_off, size_t abbrev_len, size_t info_off, size_t info_len,
				struct light_dwarf *ld)
{
	memset(ld, 0, sizeof(*ld));
	static const char shstr[] = "\0.debug_abbrev\0.debug_info\0.shstrtab";
	size_t off_sh = sizeof(Elf64_Ehdr), off_str = off_sh + 4 * sizeof(Elf64_Shdr);
	memset(img, 0, off_str);
	light_elf_header(img, off_sh);
	memcpy(img + off_str, shstr, sizeof(shstr));
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + off_sh);
	sh[1] = (Elf64_Shdr){.sh_name = 1, .sh_type = SHT_PROGBITS, .sh_offset = abbrev_off, .sh_size = abbrev_len, .sh_addralign = 1};
	sh[2] = (Elf64_Shdr){.sh_name = 15, .sh_type = SHT_PROGBITS, .sh_offset = info_off, .sh_size = info_len, .sh_addralign = 1};
	sh[3] = (Elf64_Shdr){.sh_name = 27, .sh_type = SHT_STRTAB, .sh_offset = off_str, .sh_size = sizeof(shstr), .sh_addralign = 1};
	ld->elf = elf_memory((char *)img, info_off + info_len);
	ld->dw = ld->elf ? dwarf_begin_elf(ld->elf, DWARF_C_READ, NULL) : NULL;
	if (!ld->dw) {
		if (ld->elf)
			elf_end(ld->elf);
		return false;
	}
	return true;
}

static bool light_dwarf_open(const struct gobin *b, struct light_dwarf *ld)
{
	memset(ld, 0, sizeof(*ld));
	Elf_Data *abbrev = debug_section(b->elf, ".debug_abbrev"), *info = debug_section(b->elf, ".debug_info");
	if (!abbrev || !info || !abbrev->d_buf || !info->d_buf)
		return false;
	return light_dwarf_image(abbrev, info, ld);
}

static void light_dwarf_close(struct light_dwarf *ld)
{
	dwarf_end(ld->dw);
	elf_end(ld->elf);
	free(ld->image);
}

/* --- the runtime's compile unit alone -------------------------------------
 *
 * Inflating all of a Go binary's .debug_info is most of the time the
 * layout takes; the runtime's types and variables are in the compile
 * unit named "runtime", often a third of the way in.  So .debug_info is
 * inflated as a stream only until that unit ends; its units' first DIE
 * (the name) is decoded here with .debug_abbrev.  Anything unexpected
 * (64-bit DWARF, a name in .debug_str, an unknown form) gives up, and the
 * whole section is read as before. */

/* Skips the value of an attribute of form f; false for forms not known. */
static bool skip_form(const unsigned char **p, const unsigned char *end, uint64_t f, unsigned addr_size)
{
	uint64_t n;
	size_t k;
	switch (f) {
	case DW_FORM_flag_present: case DW_FORM_implicit_const: return true;
	case DW_FORM_data1: case DW_FORM_ref1: case DW_FORM_flag: case DW_FORM_strx1: case DW_FORM_addrx1: k = 1; break;
	case DW_FORM_data2: case DW_FORM_ref2: case DW_FORM_strx2: case DW_FORM_addrx2: k = 2; break;
	case DW_FORM_strx3: case DW_FORM_addrx3: k = 3; break;
	case DW_FORM_data4: case DW_FORM_ref4: case DW_FORM_strp: case DW_FORM_sec_offset: case DW_FORM_ref_addr:
	case DW_FORM_line_strp: case DW_FORM_strx4: case DW_FORM_addrx4: k = 4; break;
	case DW_FORM_data8: case DW_FORM_ref8: case DW_FORM_ref_sig8: k = 8; break;
	case DW_FORM_data16: k = 16; break;
	case DW_FORM_addr: k = addr_size; break;
	case DW_FORM_udata: case DW_FORM_sdata: case DW_FORM_ref_udata: case DW_FORM_strx: case DW_FORM_addrx:
	case DW_FORM_loclistx: case DW_FORM_rnglistx:
		return rd_uleb(p, end, &n);
	case DW_FORM_string:
		while (*p < end && **p)
			(*p)++;
		if (*p >= end)
			return false;
		(*p)++;
		return true;
	case DW_FORM_block1: if (*p >= end) return false; k = 1 + **p; break;
	case DW_FORM_exprloc: case DW_FORM_block:
		if (!rd_uleb(p, end, &n) || n > (uint64_t)(end - *p))
			return false;
		k = (size_t)n;
		break;
	default: return false;
	}
	if (k > (size_t)(end - *p))
		return false;
	*p += k;
	return true;
}

/* The name of the unit whose first DIE is at die (DW_FORM_string only):
 * 1 and *name set, 0 no name, -1 cannot tell. */
static int unit_name(const unsigned char *die, const unsigned char *end, const Elf_Data *abbrev, uint64_t abbrev_off,
		     unsigned addr_size, const char **name)
{
	const unsigned char *p = die;
	uint64_t code;
	if (!rd_uleb(&p, end, &code) || abbrev_off >= abbrev->d_size)
		return -1;
	const unsigned char *a = (const unsigned char *)abbrev->d_buf + abbrev_off,
			    *aend = (const unsigned char *)abbrev->d_buf + abbrev->d_size;
	for (;;) {
		uint64_t c, tag, at, form, ic;
		if (!rd_uleb(&a, aend, &c) || c == 0 || !rd_uleb(&a, aend, &tag) || a >= aend)
			return -1;
		a++; /* children */
		for (;;) {
			if (!rd_uleb(&a, aend, &at) || !rd_uleb(&a, aend, &form))
				return -1;
			if (!at && !form)
				break;
			if (form == DW_FORM_implicit_const && !rd_uleb(&a, aend, &ic))
				return -1;
			if (c != code)
				continue;
			if (at == DW_AT_name) {
				if (form != DW_FORM_string)
					return -1;
				*name = (const char *)p;
				return memchr(p, 0, (size_t)(end - p)) ? 1 : -1;
			}
			if (!skip_form(&p, end, form, addr_size))
				return -1;
		}
		if (c == code)
			return 0;
	}
}

/* The raw (compressed) bytes of .debug_info and its inflated size. */
static bool info_stream(Elf *elf, const unsigned char **src, size_t *srclen, size_t *total)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
		if (!n)
			continue;
		bool gnu = strcmp(n, ".zdebug_info") == 0;
		if (!gnu && strcmp(n, ".debug_info") != 0)
			continue;
		Elf_Data *raw = elf_rawdata(scn, NULL);
		if (!raw || !raw->d_buf)
			return false;
		const unsigned char *d = raw->d_buf;
		*total = 0;
		if (gnu) {
			if (raw->d_size < 12 || memcmp(d, "ZLIB", 4) != 0)
				return false;
			for (int i = 4; i < 12; i++)
				*total = *total << 8 | d[i];
			*src = d + 12;
			*srclen = raw->d_size - 12;
		} else {
			Elf64_Chdr ch;
			if (!(sh.sh_flags & SHF_COMPRESSED) || raw->d_size < sizeof(ch))
				return false;
			memcpy(&ch, d, sizeof(ch));
			if (ch.ch_type != ELFCOMPRESS_ZLIB)
				return false;
			*total = ch.ch_size;
			*src = d + sizeof(ch);
			*srclen = raw->d_size - sizeof(ch);
		}
		return *total > 0 && *total < (1u << 30);
	}
	return false;
}

static bool scan_light(struct light_dwarf *ld, struct dw_info *info);
static bool dw_info_complete(const struct dw_info *info);
static void dw_info_free(struct dw_info *info);

/* Scans the runtime's units among the first len bytes of .debug_info,
 * inflated at img + info_off (see light_dwarf_inplace). */
static bool scan_prefix(unsigned char *img, size_t abbrev_len, size_t info_off, size_t len, struct dw_info *info)
{
	memset(info, 0, sizeof(*info));
	struct light_dwarf ld;
	if (!light_dwarf_inplace(img, LIGHT_HEAD, abbrev_len, info_off, len, &ld))
		return false;
	bool found = scan_light(&ld, info);
	light_dwarf_close(&ld);
	return found;
}

/* Memory written once and read by libdw: huge pages when the kernel
 * offers them (one fault per 2 MB, not per 4 KB).  Freed with free(). */
static void *big_alloc(size_t len)
{
	enum { HUGE = 2u << 20 };
	size_t r = (len + HUGE - 1) & ~(size_t)(HUGE - 1);
	void *p = NULL;
	if (posix_memalign(&p, HUGE, r) != 0)
		return xmalloc(len);
	madvise(p, r, MADV_HUGEPAGE);
	return p;
}

/* Inflates .debug_info as a stream; at the end of each run of units named
 * "runtime" (Go's code, its assembly, its types) scans what is there,
 * and stops once that has all the layout needs.  Returns false when
 * the section cannot be read this way (then it is read whole). */
static bool dwarf_read_info_stream(const struct gobin *b, struct dw_info *info, bool *found)
{
	Elf_Data *abbrev = debug_section(b->elf, ".debug_abbrev");
	const unsigned char *src;
	size_t srclen, total;
	if (!abbrev || !abbrev->d_buf || !info_stream(b->elf, &src, &srclen, &total))
		return false;
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return false;
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)srclen;
	/* Inflated in place inside the image libdw reads: nothing copied. */
	size_t info_off = (LIGHT_HEAD + abbrev->d_size + 15) & ~(size_t)15;
	unsigned char *img = big_alloc(info_off + total), *out = img + info_off;
	memcpy(img + LIGHT_HEAD, abbrev->d_buf, abbrev->d_size);
	size_t have = 0, pos = 0, run_end = 0;
	bool ok = false, done = false, in_run = false;
	*found = false;
	for (;;) {
		/* Units whose name can be told from what is inflated so far. */
		bool scan = false;
		while (pos + 16 <= have) {
			uint32_t ulen;
			uint16_t ver;
			memcpy(&ulen, out + pos, 4);
			memcpy(&ver, out + pos + 4, 2);
			if (ulen >= 0xfffffff0u || ver < 2 || ver > 5)
				goto out;
			size_t end = pos + 4 + (size_t)ulen, die;
			uint32_t aoff;
			unsigned asz;
			if (ver < 5) {
				memcpy(&aoff, out + pos + 6, 4);
				asz = out[pos + 10];
				die = pos + 11;
			} else {
				if (out[pos + 6] != DW_UT_compile)
					goto out;
				asz = out[pos + 7];
				memcpy(&aoff, out + pos + 8, 4);
				die = pos + 12;
			}
			const char *name = NULL;
			size_t avail = end < have ? end : have;
			int r = die < avail ? unit_name(out + die, out + avail, abbrev, aoff, asz, &name) : -1;
			if (r < 0 && avail < end && !done)
				break; /* the DIE may go on: inflate more */
			if (r < 0)
				goto out;
			bool rt = r == 1 && strcmp(name, "runtime") == 0;
			if (!rt && in_run) {
				scan = true; /* a run of the runtime's units ended at pos */
				run_end = pos;
			}
			in_run = rt;
			pos = end;
			if (scan)
				break;
		}
		if (scan) {
			struct dw_info tmp;
			bool f = scan_prefix(img, abbrev->d_size, info_off, run_end, &tmp);
			if (f && dw_info_complete(&tmp)) {
				*info = tmp;
				*found = true;
				ok = true;
				break;
			}
			dw_info_free(&tmp);
			continue;
		}
		if (done || have >= total) {
			/* All of it: the same as reading the section whole. */
			*found = scan_prefix(img, abbrev->d_size, info_off, have, info);
			ok = true;
			break;
		}
		z.next_out = out + have;
		z.avail_out = (uInt)(total - have < (256u << 10) ? total - have : (256u << 10));
		size_t before = z.avail_out;
		int r = inflate(&z, Z_NO_FLUSH);
		have += before - z.avail_out;
		if (r == Z_STREAM_END)
			done = true;
		else if (r != Z_OK)
			break;
	}
out:
	inflateEnd(&z);
	free(img);
	return ok;
}


static bool scan_light(struct light_dwarf *ld, struct dw_info *info)
{
	Dwarf *dw = ld->dw;
	Dwarf_Off off = 0, next;
	size_t hsize;
	bool found = false;
	/* A package can span several compile units (Go and assembly). */
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		if (dwarf_offdie(dw, off + hsize, &cu)) {
			const char *n = dwarf_diename(&cu);
			if (n && strcmp(n, "runtime") == 0) {
				scan_runtime_cu(&cu, info);
				found = true;
			}
		}
		off = next;
	}
	return found;
}

static bool dwarf_read_info(const struct gobin *b, struct dw_info *info)
{
	memset(info, 0, sizeof(*info));
	bool found;
	if (!getenv("PILEUP_GO_DWARF_FULL") && dwarf_read_info_stream(b, info, &found))
		return found;
	memset(info, 0, sizeof(*info));
	struct light_dwarf ld;
	if (!light_dwarf_open(b, &ld))
		return false;
	found = scan_light(&ld, info);
	light_dwarf_close(&ld);
	return found;
}

/* All the layout can use from the runtime's units. */
static bool dw_info_complete(const struct dw_info *info)
{
	for (int i = 0; i < DS__N; i++)
		if (!info->s[i].found)
			return false;
	return info->allgs && info->firstmoduledata && info->memstats && info->wait_reasons && info->wait_reasons_count;
}

static bool layout_from_dwarf(struct golayout *l, const struct dw_info *info)
{
	const struct dw_struct *g = &info->s[DS_G], *gobuf = &info->s[DS_GOBUF], *stack = &info->s[DS_STACK],
			       *m = &info->s[DS_M], *anc = &info->s[DS_ANC], *md = &info->s[DS_MD];
	uint32_t sched, stk, lo, hi, sp, pc, bp;
	bool ok = g->found && gobuf->found && stack->found && m->found && md->found;
	ok = ok && member_off(g, "sched", &sched) && member_off(g, "stack", &stk) && member_off(stack, "lo", &lo) &&
	     member_off(stack, "hi", &hi) && member_off(gobuf, "sp", &sp) && member_off(gobuf, "pc", &pc) &&
	     member_off(gobuf, "bp", &bp);
	ok = ok && member_off(g, "m", &l->g_m) && member_off(g, "syscallsp", &l->g_syscallsp) &&
	     member_off(g, "syscallpc", &l->g_syscallpc) && member_off(g, "atomicstatus", &l->g_atomicstatus) &&
	     member_off(g, "goid", &l->g_goid) && member_off(g, "waitsince", &l->g_waitsince) &&
	     member_off(g, "waitreason", &l->g_waitreason) && member_off(g, "lockedm", &l->g_lockedm) &&
	     member_off(g, "gopc", &l->g_gopc) && member_off(g, "startpc", &l->g_startpc);
	ok = ok && member_off(m, "procid", &l->m_procid) && member_off(m, "curg", &l->m_curg) &&
	     member_off(md, "gofunc", &l->md_gofunc);
	if (!ok)
		return false;
	l->g_stack_lo = stk + lo;
	l->g_stack_hi = stk + hi;
	l->g_sched_sp = sched + sp;
	l->g_sched_pc = sched + pc;
	l->g_sched_bp = sched + bp;
	if (!member_off(g, "ancestors", &l->g_ancestors))
		l->g_ancestors = 0;
	if (!member_off(g, "parentGoid", &l->g_parent_goid))
		l->g_parent_goid = 0;
	l->anc_size = 0;
	if (anc->found && member_off(anc, "goid", &l->anc_goid))
		l->anc_size = anc->size;
	const struct dw_struct *ms = &info->s[DS_MSTATS];
	if (!ms->found || !member_off(ms, "last_gc_unix", &l->ms_last_gc_unix) ||
	    !member_off(ms, "last_gc_nanotime", &l->ms_last_gc_nanotime))
		l->ms_last_gc_unix = l->ms_last_gc_nanotime = 0;
	l->funcid_wrapper = -1;
	snprintf(l->source, sizeof(l->source), "DWARF");
	return true;
}

/* --- wait reason strings from the binary ---------------------------------- */

static bool read_wait_reasons(struct golayout *l, const struct gobin *b, const struct snapshot *snap, uint64_t addr,
			      uint64_t count)
{
	if (!addr || count < 2 || count > GO_NWAIT_REASONS_MAX)
		return false;
	size_t total = 0;
	uint64_t hdr[GO_NWAIT_REASONS_MAX][2];
	if (gobin_read(b, snap, addr, hdr, (size_t)count * 16) != count * 16)
		return false;
	for (uint64_t i = 0; i < count; i++) {
		if (hdr[i][1] > 64 || (hdr[i][1] && !gobin_file_ptr(b, hdr[i][0] - b->bias, (size_t)hdr[i][1]) &&
					!gobin_file_ptr(b, hdr[i][0], (size_t)hdr[i][1])))
			return false;
		total += (size_t)hdr[i][1] + 1;
	}
	char *buf = xmalloc(total), *p = buf;
	for (uint64_t i = 0; i < count; i++) {
		size_t n = (size_t)hdr[i][1];
		const unsigned char *s = n ? gobin_file_ptr(b, hdr[i][0] - b->bias, n) : NULL;
		if (n && !s)
			s = gobin_file_ptr(b, hdr[i][0], n);
		if (n)
			memcpy(p, s, n);
		p[n] = 0;
		l->wait_reasons[i] = p;
		p += n + 1;
	}
	free(l->owned_strings);
	l->owned_strings = buf;
	l->nwait_reasons = (unsigned)count;
	return true;
}

/* --- globals without symbols ---------------------------------------------- */

/* runtime.firstmoduledata: starts with a pointer to the pclntab header,
 * then the funcnametab slice, which points into the pclntab. */
static uint64_t find_moduledata(const struct gobin *b, const struct gopcln *t, const struct snapshot *snap)
{
	if (!b->noptrdata || b->enoptrdata <= b->noptrdata)
		return 0;
	size_t len = (size_t)(b->enoptrdata - b->noptrdata);
	if (len > (64u << 20))
		return 0;
	unsigned char *buf = xmalloc(len);
	size_t got = gobin_read(b, snap, b->noptrdata, buf, len);
	uint64_t want = b->pclntab_addr + b->bias, names = want + (uint64_t)(t->funcnametab - t->data), found = 0;
	for (size_t off = 0; off + 64 <= got && !found; off += 8) {
		if (rd64(buf + off) != want || rd64(buf + off + 8) != names)
			continue;
		/* the slice's length: the table, less the padding after it */
		uint64_t len = rd64(buf + off + 16);
		if (len > t->funcnametab_len || t->funcnametab_len - len > 64)
			continue;
		found = b->noptrdata + off;
	}
	free(buf);
	return found;
}

/* Targets of RIP-relative operands of common 64-bit moves in code. */
static size_t rip_targets(const unsigned char *code, size_t len, uint64_t addr, uint64_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i + 7 <= len && n < max; i++) {
		if ((code[i] & 0xf8) != 0x48)
			continue;
		unsigned char op = code[i + 1];
		if (op != 0x8b && op != 0x89 && op != 0x8d && op != 0x3b && op != 0x39 && op != 0x87)
			continue;
		if ((code[i + 2] & 0xc7) != 0x05)
			continue;
		int32_t disp;
		memcpy(&disp, code + i + 3, 4);
		out[n++] = addr + i + 7 + (uint64_t)(int64_t)disp;
	}
	return n;
}

static bool has(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Checks that addr holds runtime.allgs: a slice of g pointers whose first
 * element is the main goroutine (id 1). */
static bool check_allgs(const struct golayout *l, const struct snapshot *snap, uint64_t addr)
{
	uint64_t s[3], g0, goid;
	if (snapshot_read(snap, addr, s, sizeof(s)) != sizeof(s))
		return false;
	if (!s[0] || !s[1] || s[1] > s[2] || s[2] > (1ull << 28))
		return false;
	if (!snapshot_read_u64(snap, s[0], &g0) || !g0)
		return false;
	return snapshot_read_u64(snap, g0 + l->g_goid, &goid) && goid == 1;
}

/* The rip-relative addresses the code of runtime function fn refers to
 * (at most max); 0 when the function is unknown or implausibly large. */
static size_t function_rip_targets(const struct gobin *b, const struct gopcln *t, const char *fn, uint64_t *tg,
				   size_t max)
{
	struct gofunc f;
	if (!gopcln_lookup(t, fn, &f))
		return 0;
	uint64_t end = gopcln_func_end(t, &f);
	if (end <= f.entry || end - f.entry > 65536)
		return 0;
	const unsigned char *code = gobin_file_ptr(b, f.entry, (size_t)(end - f.entry));
	if (!code)
		return 0;
	return rip_targets(code, (size_t)(end - f.entry), f.entry, tg, max);
}

/* A global structure that function fn reads or writes at two field
 * offsets: the address X with X+off1 and X+off2 both operands. */
static uint64_t find_struct_by_fields(const struct gobin *b, const struct gopcln *t, const char *fn, uint32_t off1,
				      uint32_t off2)
{
	uint64_t tg[1024];
	size_t n = off1 && off2 ? function_rip_targets(b, t, fn, tg, 1024) : 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = tg[i] - off1;
		if (tg[i] >= off1 && gobin_in_data(b, x) && has(tg, n, x + off2))
			return x;
	}
	return 0;
}

static uint64_t find_allgs(const struct golayout *l, const struct gobin *b, const struct gopcln *t,
			   const struct snapshot *snap)
{
	uint64_t tg[256];
	size_t n = function_rip_targets(b, t, "runtime.allgadd", tg, 256);
	for (size_t i = 0; i < n; i++) {
		uint64_t x = tg[i];
		if (!gobin_in_data(b, x) || !has(tg, n, x + 8) || !has(tg, n, x + 16))
			continue;
		if (check_allgs(l, snap, x + b->bias))
			return x + b->bias;
	}
	return 0;
}

/* --- entry ---------------------------------------------------------------- */

bool golayout_init(struct golayout *l, const struct gobin *b, struct gopcln *t, const struct snapshot *snap, char **why)
{
	memset(l, 0, sizeof(*l));
	l->funcid_wrapper = -1;
	*why = NULL;
	const char *force = getenv("PILEUP_GO_LAYOUT"); /* "table" or "dwarf", for tests */
	struct dw_info info;
	bool have_info = false, ok = false;
	if (b->has_dwarf && !(force && strcmp(force, "table") == 0)) {
		have_info = dwarf_read_info(b, &info);
		ok = have_info && layout_from_dwarf(l, &info);
	}
	if (!ok && !(force && strcmp(force, "dwarf") == 0))
		ok = layout_from_table(l, b->version);
	if (!ok) {
		if (have_info)
			dw_info_free(&info);
		if (b->has_dwarf)
			*why = xasprintf("%s: its DWARF lacks the runtime types pileup needs, and its Go version (%s) is not in "
					 "pileup's runtime tables (%s); goroutines are not listed",
					 b->name, b->version ? b->version : "unknown: the binary does not say", golayout_table_versions);
		else if (!b->version)
			*why = xasprintf("%s is a Go program that does not say which Go release built it (no build info, no "
					 "runtime.buildVersion), and it has no debug info; goroutines are not listed", b->name);
		else
			*why = xasprintf("%s was built with %s, whose runtime layout pileup does not know without debug info "
					 "(its tables cover %s); rebuild without -ldflags=-w to keep DWARF; goroutines are not listed",
					 b->name, b->version, golayout_table_versions);
		return false;
	}
	if (l->funcid_wrapper < 0) {
		struct golayout tmp;
		memset(&tmp, 0, sizeof(tmp));
		if (layout_from_table(&tmp, b->version))
			l->funcid_wrapper = tmp.funcid_wrapper;
	}
	/* _Gleaked and _Gdeadextra came with go1.26 (runtime2.go) */
	if (!l->max_status)
		l->max_status = b->version && golayout_version_at_least(b->version, 1, 26) ? 11 : 9;
	l->g_read = l->g_startpc + 8;
	uint32_t fields[] = {l->g_stack_hi, l->g_m, l->g_sched_bp, l->g_syscallpc, l->g_goid, l->g_waitsince, l->g_lockedm,
			     l->g_gopc, l->g_ancestors, l->g_parent_goid};
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		if (fields[i] + 8 > l->g_read)
			l->g_read = fields[i] + 8;
	if (l->g_read > 4096) {
		*why = xasprintf("%s: implausible runtime.g layout; goroutines are not listed", b->name);
		goto fail;
	}

	/* Wait reasons: the binary's own table when a symbol names it. */
	uint64_t wsize = 0, waddr = gobin_symbol(b, "runtime.waitReasonStrings", &wsize);
	bool wr = waddr && read_wait_reasons(l, b, snap, waddr, wsize / 16);
	if (!wr && have_info)
		wr = read_wait_reasons(l, b, snap, info.wait_reasons, info.wait_reasons_count);
	if (!wr && !l->nwait_reasons) {
		struct golayout tmp;
		memset(&tmp, 0, sizeof(tmp));
		if (!layout_from_table(&tmp, b->version)) {
			*why = xasprintf("%s: the wait reasons of %s are unknown (no symbols, and pileup's tables cover %s); "
					 "goroutines are not listed", b->name, b->version, golayout_table_versions);
			goto fail;
		}
		memcpy(l->wait_reasons, tmp.wait_reasons, sizeof(l->wait_reasons));
		l->nwait_reasons = tmp.nwait_reasons;
	}

	/* runtime.firstmoduledata, for go:func.* (inline trees). */
	uint64_t md = b->moduledata;
	if (!md)
		md = gobin_symbol(b, "runtime.firstmoduledata", NULL);
	if (!md && have_info)
		md = info.firstmoduledata;
	md = md ? md + b->bias : 0;
	if (!md) {
		uint64_t link = find_moduledata(b, t, snap);
		md = link ? link + b->bias : 0;
	}
	uint64_t gofunc = 0;
	/* go1.16/1.17 point to inline trees directly: no go:func.* base */
	if (t->format == 116 && md)
		gofunc = b->bias + 1;
	else if (!md || gobin_read(b, snap, md - b->bias + l->md_gofunc, &gofunc, 8) != 8 || !gofunc ||
		 !gobin_file_ptr(b, gofunc - b->bias, 1)) {
		*why = xasprintf("%s: runtime.firstmoduledata was not found or is unreadable; goroutines are not listed", b->name);
		goto fail;
	}
	l->firstmoduledata = md;
	if (!t->gofunc && t->format != 116)
		t->gofunc = gofunc - b->bias;

	/* runtime.allgs */
	uint64_t allgs = gobin_symbol(b, "runtime.allgs", NULL);
	if (!allgs && have_info)
		allgs = info.allgs;
	if (allgs)
		allgs += b->bias;
	else
		allgs = find_allgs(l, b, t, snap);
	/* A live program may be growing allgs while we read its three words:
	 * a torn read looks invalid, so look again a few times. */
	bool allgs_ok = allgs && check_allgs(l, snap, allgs);
	for (int i = 0; allgs && !allgs_ok && snap->source == SNAP_LIVE && i < 20; i++) {
		usleep(2000);
		allgs_ok = check_allgs(l, snap, allgs);
	}
	if (!allgs_ok) {
		*why = xasprintf("%s: the goroutine list (runtime.allgs) was not found or does not look like one; "
				 "goroutines are not listed", b->name);
		goto fail;
	}
	l->allgs = allgs;

	/* runtime.memstats (optional): dates a core's wait minutes. */
	uint64_t ms = gobin_symbol(b, "runtime.memstats", NULL);
	if (!ms && have_info)
		ms = info.memstats;
	if (!ms)
		ms = find_struct_by_fields(b, t, "runtime.gcMarkTermination", l->ms_last_gc_unix, l->ms_last_gc_nanotime);
	l->memstats = ms && l->ms_last_gc_unix ? ms + b->bias : 0;
	if (have_info)
		dw_info_free(&info);
	return true;
fail:
	if (have_info)
		dw_info_free(&info);
	golayout_deinit(l);
	return false;
}

void golayout_deinit(struct golayout *l)
{
	free(l->owned_strings);
	l->owned_strings = NULL;
}
