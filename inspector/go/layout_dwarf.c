/* go/layout_dwarf.c - the Go runtime's layout from the binary's DWARF.
 *
 * Go puts every type of the program in the runtime's compile unit, and
 * each package's constants in its own (internal/abi's funcIDs, sync's
 * mutex bits), so only the units named "runtime", "internal/abi", "sync"
 * and "internal/sync" are scanned.  Each fact of layout_fields.h is then
 * resolved by name: a member path through the structures (typedefs
 * followed, sizes from DW_AT_byte_size, pointers and funcs 8 bytes), a
 * structure's size, a constant's value.  The globals' link-time addresses
 * come from their DW_TAG_variable. */
#include "go/layout_dwarf.h"
#include "bytes.h"
#include "error.h"
#include "go/layout_table.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>

/* --- what is looked for ---------------------------------------------------- */

/* The DIEs found for the names the specs use, collected while the units
 * are walked and resolved once the walk is over (while libdw still holds
 * the image). */
enum { NAMES_MAX = 256 };

struct wanted {
	const char *name;
	size_t len;
	uint32_t hash;
	bool found;
	Dwarf_Die die;
};

struct collect {
	struct wanted structs[NAMES_MAX], consts[NAMES_MAX], vars[GG__N];
	size_t nstructs, nconsts;
	bool runtime_seen;
};

static uint32_t name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* Adds each '|'-separated name of list to w (once). */
static void want_names(struct wanted *w, size_t *n, const char *list)
{
	while (list && *list) {
		size_t len = strcspn(list, "|");
		bool dup = false;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = w[i].len == len && strncmp(w[i].name, list, len) == 0;
		if (!dup && *n < NAMES_MAX)
			w[(*n)++] = (struct wanted){list, len, name_hash(list, len), false, {0}};
		list += len;
		if (*list == '|')
			list++;
	}
}

static void collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < GL__N; i++) {
		const struct golayout_spec *s = &golayout_specs[i];
		if (s->kind == GOLAYOUT_CONST)
			want_names(c->consts, &c->nconsts, s->what);
		else
			want_names(c->structs, &c->nstructs, s->structs);
	}
	for (int i = 0; i < GG__N; i++) {
		const char *n = golayout_global_syms[i];
		c->vars[i] = (struct wanted){n, strlen(n), name_hash(n, strlen(n)), false, {0}};
	}
}

static struct wanted *lookup(struct wanted *w, size_t n, const char *name)
{
	size_t len = strlen(name);
	uint32_t h = name_hash(name, len);
	for (size_t i = 0; i < n; i++)
		if (w[i].hash == h && w[i].len == len && memcmp(w[i].name, name, len) == 0)
			return &w[i];
	return NULL;
}

static const struct wanted *lookup_n(const struct wanted *w, size_t n, const char *name, size_t len)
{
	uint32_t h = name_hash(name, len);
	for (size_t i = 0; i < n; i++)
		if (w[i].found && w[i].hash == h && w[i].len == len && memcmp(w[i].name, name, len) == 0)
			return &w[i];
	return NULL;
}

static void scan_cu(Dwarf_Die *cu, struct collect *c)
{
	Dwarf_Die d;
	if (dwarf_child(cu, &d) != 0)
		return;
	do {
		int tag = dwarf_tag(&d);
		if (tag != DW_TAG_structure_type && tag != DW_TAG_constant && tag != DW_TAG_variable)
			continue;
		const char *n = dwarf_diename(&d);
		if (!n)
			continue;
		struct wanted *w = tag == DW_TAG_structure_type ? lookup(c->structs, c->nstructs, n)
				   : tag == DW_TAG_constant    ? lookup(c->consts, c->nconsts, n)
								: lookup(c->vars, GG__N, n);
		/* The first definition wins (a struct declared twice is the
		 * same type). */
		if (w && !w->found) {
			w->found = true;
			w->die = d;
		}
	} while (dwarf_siblingof(&d, &d) == 0);
}

/* The link-time address of a variable, the length of an array one. */
static uint64_t var_addr(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	Dwarf_Block blk;
	size_t n;
	if (!dwarf_attr(die, DW_AT_location, &a))
		return 0;
	/* Go writes the location as a DW_FORM_block1, which libdw does not
	 * take for an expression in DWARF 4: the block is DW_OP_addr ADDR. */
	if (dwarf_formblock(&a, &blk) == 0)
		return blk.length == 9 && blk.data[0] == DW_OP_addr ? rd64(blk.data + 1) : 0;
	if (dwarf_getlocation(&a, &ops, &n) != 0 || n != 1 || ops[0].atom != DW_OP_addr)
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


/* --- resolving the facts -------------------------------------------------- */

static bool die_type(Dwarf_Die *d, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	return dwarf_attr(d, DW_AT_type, &a) && dwarf_formref_die(&a, out);
}

/* The byte size of a type: its DW_AT_byte_size, through typedefs;
 * pointers and funcs are a word (Go's DWARF gives them no size). */
static bool type_size(Dwarf_Die *t, uint32_t *sz)
{
	Dwarf_Die cur = *t;
	for (int depth = 0; depth < 8; depth++) {
		Dwarf_Attribute a;
		Dwarf_Word w;
		if (dwarf_attr(&cur, DW_AT_byte_size, &a) && dwarf_formudata(&a, &w) == 0) {
			if (w > UINT32_MAX)
				return false;
			*sz = (uint32_t)w;
			return true;
		}
		int tag = dwarf_tag(&cur);
		if (tag == DW_TAG_pointer_type || tag == DW_TAG_subroutine_type) {
			*sz = 8;
			return true;
		}
		if (tag != DW_TAG_typedef || !die_type(&cur, &cur))
			return false;
	}
	return false;
}

static bool strip_typedefs(Dwarf_Die *t)
{
	for (int depth = 0; depth < 8 && dwarf_tag(t) == DW_TAG_typedef; depth++)
		if (!die_type(t, t))
			return false;
	return dwarf_tag(t) != DW_TAG_typedef;
}

/* The member name (len bytes) of structure s: its offset and type. */
static bool member(Dwarf_Die *s, const char *name, size_t len, uint64_t *off, Dwarf_Die *type)
{
	Dwarf_Die c;
	if (dwarf_child(s, &c) != 0)
		return false;
	do {
		if (dwarf_tag(&c) != DW_TAG_member)
			continue;
		const char *n = dwarf_diename(&c);
		if (!n || strlen(n) != len || memcmp(n, name, len) != 0)
			continue;
		Dwarf_Attribute a;
		Dwarf_Word w;
		if (!dwarf_attr(&c, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &w) != 0)
			return false;
		*off = w;
		return die_type(&c, type);
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

/* path ("sched.sp", one alternative, len bytes) inside structure s. */
static bool resolve_path(Dwarf_Die s, const char *path, size_t len, struct golayout_val *out)
{
	uint64_t total = 0;
	const char *p = path, *end = path + len;
	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
		uint64_t off;
		Dwarf_Die t;
		if (!member(&s, p, n, &off, &t))
			return false;
		total += off;
		if (!dot) {
			uint32_t sz;
			if (!type_size(&t, &sz) || total > UINT32_MAX)
				return false;
			*out = (struct golayout_val){(int64_t)total, sz, GOLAYOUT_DWARF};
			return true;
		}
		if (!strip_typedefs(&t) || dwarf_tag(&t) != DW_TAG_structure_type)
			return false;
		s = t;
		p = dot + 1;
	}
}

/* The i-th alternative of a '|'-separated list (false past the last). */
static bool alt(const char *list, int i, const char **p, size_t *n)
{
	for (const char *s = list;; i--) {
		size_t len = strcspn(s, "|");
		if (i == 0) {
			*p = s;
			*n = len;
			return len > 0;
		}
		if (s[len] != '|')
			return false;
		s += len + 1;
	}
}

static void resolve(const struct collect *c, struct godwarf *out)
{
	for (int i = 0; i < GL__N; i++) {
		const struct golayout_spec *s = &golayout_specs[i];
		struct golayout_val *v = &out->f[i];
		const char *p, *q;
		size_t n, m;
		if (s->kind == GOLAYOUT_CONST) {
			for (int k = 0; !v->from && alt(s->what, k, &p, &n); k++) {
				const struct wanted *w = lookup_n(c->consts, c->nconsts, p, n);
				Dwarf_Attribute a;
				Dwarf_Sword sv;
				Dwarf_Die d;
				if (!w)
					continue;
				d = w->die;
				if (dwarf_attr(&d, DW_AT_const_value, &a) && dwarf_formsdata(&a, &sv) == 0)
					*v = (struct golayout_val){sv, 0, GOLAYOUT_DWARF};
			}
			continue;
		}
		for (int k = 0; !v->from && alt(s->structs, k, &p, &n); k++) {
			const struct wanted *w = lookup_n(c->structs, c->nstructs, p, n);
			if (!w)
				continue;
			if (s->kind == GOLAYOUT_SIZE) {
				Dwarf_Die d = w->die;
				uint32_t sz;
				if (type_size(&d, &sz))
					*v = (struct golayout_val){sz, 0, GOLAYOUT_DWARF};
				continue;
			}
			for (int j = 0; !v->from && alt(s->what, j, &q, &m); j++)
				resolve_path(w->die, q, m, v);
		}
	}
	for (int i = 0; i < GG__N; i++)
		if (c->vars[i].found) {
			Dwarf_Die d = c->vars[i].die;
			out->global[i] = var_addr(&d);
			if (i == GG_waitreasonstrings)
				out->wait_reasons_count = array_count(&d);
		}
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


/* --- the units that matter ------------------------------------------------ */

/* Units whose names say they hold what the layout needs. */
static bool unit_wanted(const char *name)
{
	return strcmp(name, "runtime") == 0 || strcmp(name, "internal/abi") == 0 || strcmp(name, "sync") == 0 ||
	       strcmp(name, "internal/sync") == 0;
}

/* A package can span several compile units (Go and assembly). */
static void scan_light(struct light_dwarf *ld, struct collect *c)
{
	Dwarf *dw = ld->dw;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		if (dwarf_offdie(dw, off + hsize, &cu)) {
			const char *n = dwarf_diename(&cu);
			if (n && unit_wanted(n)) {
				scan_cu(&cu, c);
				if (strcmp(n, "runtime") == 0)
					c->runtime_seen = true;
			}
		}
		off = next;
	}
}

/* Scans and resolves what libdw reads in ld; false without a runtime unit. */
static bool read_light(struct light_dwarf *ld, struct godwarf *out)
{
	struct collect *c = xmalloc(sizeof(*c));
	collect_init(c);
	scan_light(ld, c);
	memset(out, 0, sizeof(*out));
	bool found = c->runtime_seen;
	if (found)
		resolve(c, out);
	free(c);
	return found;
}

/* Scans the wanted units among the first len bytes of .debug_info,
 * inflated at img + info_off (see light_dwarf_inplace). */
static bool scan_prefix(unsigned char *img, size_t abbrev_len, size_t info_off, size_t len, struct godwarf *out)
{
	struct light_dwarf ld;
	if (!light_dwarf_inplace(img, LIGHT_HEAD, abbrev_len, info_off, len, &ld))
		return false;
	bool found = read_light(&ld, out);
	light_dwarf_close(&ld);
	return found;
}

/* Everything the goroutine reader needs (the rest is optional).  The
 * funcIDs of go1.21+ are in internal/abi's unit, often far past the
 * runtime's: they are waited for only when no table has them. */
static bool dwarf_complete(const struct godwarf *d, bool funcids)
{
	static const enum golayout_id need[] = {GL_g_stack_lo, GL_g_sched_sp, GL_g_goid, GL_g_waitreason,
						GL_m_procid,   GL_m_curg,     GL_c_Gwaiting};
	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++)
		if (!d->f[need[i]].from)
			return false;
	if (funcids && !d->f[GL_fid_wrapper].from)
		return false;
	return d->global[GG_allgs] && d->global[GG_firstmoduledata] && d->global[GG_waitreasonstrings];
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

/* Inflates .debug_info as a stream; at the end of each run of wanted
 * units (the runtime's code, its assembly, its types; internal/abi's
 * constants...) scans what is there, and stops once that has all the
 * layout needs.  Returns false when the section cannot be read this way
 * (then it is read whole). */
static bool dwarf_read_info_stream(const struct gobin *b, bool funcids, struct godwarf *info, bool *found)
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
	bool ok = false, done = false, in_run = false, seen_runtime = false;
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
			bool rt = r == 1 && unit_wanted(name);
			seen_runtime |= r == 1 && strcmp(name, "runtime") == 0;
			if (!rt && in_run && seen_runtime) {
				scan = true; /* a run of wanted units ended at pos */
				run_end = pos;
			}
			in_run = rt;
			pos = end;
			if (scan)
				break;
		}
		if (scan) {
			bool f = scan_prefix(img, abbrev->d_size, info_off, run_end, info);
			if (f && dwarf_complete(info, funcids)) {
				*found = true;
				ok = true;
				break;
			}
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



bool godwarf_read(const struct gobin *b, bool funcids, struct godwarf *out)
{
	memset(out, 0, sizeof(*out));
	bool found;
	if (!getenv("PILEUP_GO_DWARF_FULL") && dwarf_read_info_stream(b, funcids, out, &found))
		return found;
	struct light_dwarf ld;
	if (!light_dwarf_open(b, &ld))
		return false;
	found = read_light(&ld, out);
	light_dwarf_close(&ld);
	return found;
}
