#include "core.h"
#include "proc.h"
#include "timing.h"
#include "bytes.h"

#include <elf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif
#ifndef NT_SIGINFO
#define NT_SIGINFO 0x53494749
#endif

/* Layout of the x86_64 notes (struct elf_prstatus, elf_prpsinfo, siginfo_t
 * as the kernel writes them), read at fixed offsets so that any bytes are
 * safe to parse. */
enum {
	PRSTATUS_CURSIG = 12, PRSTATUS_PID = 32, PRSTATUS_REGS = 112,
	PRPSINFO_SIZE = 136, PRPSINFO_PID = 24, PRPSINFO_FNAME = 40, PRPSINFO_PSARGS = 56,
	SIGINFO_CODE = 8, SIGINFO_ADDR = 16,
	/* user_regs_struct */
	UREG_R15 = 0, UREG_R14, UREG_R13, UREG_R12, UREG_RBP, UREG_RBX, UREG_R11, UREG_R10, UREG_R9, UREG_R8,
	UREG_RAX, UREG_RCX, UREG_RDX, UREG_RSI, UREG_RDI, UREG_ORIG_RAX, UREG_RIP, UREG_CS, UREG_EFLAGS, UREG_RSP,
	UREG_SS, UREG_FS_BASE, UREG_COUNT = 27,
};

/* DWARF register i (snapshot.h order) is user_regs_struct slot dwarf_ureg[i]. */
static const int dwarf_ureg[SNAP_NREGS] = {
	UREG_RAX, UREG_RDX, UREG_RCX, UREG_RBX, UREG_RSI, UREG_RDI, UREG_RBP, UREG_RSP,
	UREG_R8, UREG_R9, UREG_R10, UREG_R11, UREG_R12, UREG_R13, UREG_R14, UREG_R15, UREG_RIP,
};

/* Bytes of each thread's stack copied into the snapshot (from sp up);
 * deeper reads are served from the core file. */
enum { CORE_STACK_COPY = 64 * 1024, CORE_STACK_TOP = 4096, MAX_BUILD_ID = 64 };

struct core_seg {
	uint64_t vaddr, memsz, offset;
	uint64_t avail; /* bytes of the segment present in the file */
	uint64_t filesz;
	uint32_t flags;
};

struct core_file {
	uint64_t start, end, pgoff;
	const char *path; /* into core.file_note */
};

enum mod_status { MOD_OK, MOD_UNVERIFIED, MOD_MISMATCH, MOD_MISSING };

struct core_module {
	char *path;      /* as the core names it, " (deleted)" removed */
	uint64_t base;   /* where its file offset 0 is mapped, 0 if not */
	unsigned char bid[MAX_BUILD_ID];
	size_t bidlen;   /* 0: the core does not hold its build-id */
	bool exec, is_exe;
	enum mod_status status;
	char *open_path; /* the local file that was verified, or NULL */
};

/* Per-thread facts gathered from the notes before the snapshot has them. */
struct core_thread {
	pid_t tid;
	int cursig;
	int signo, code; /* from its NT_SIGINFO, 0 none */
	uint64_t addr;
	bool have_siginfo;
	uint64_t ureg[UREG_COUNT];
};

struct core {
	int fd;
	size_t size;
	/* The whole file, mapped (copy-on-write, so libelf may do as it
	 * likes): notes and libdwfl's reads cost no copy; stacks are still
	 * read with pread (see copy_stacks). */
	unsigned char *map;
	Elf *elf;
	struct core_seg *segs;
	size_t nsegs;
	struct core_file *files;
	size_t nfiles;
	uint64_t page_size;
	struct core_module *mods;
	size_t nmods;
	struct core_thread *threads;
	size_t nthreads, capthreads;
	unsigned char *file_note; /* NT_FILE's data: files[].path point into it */
	unsigned char *pileup_note;
	size_t pileup_len;
	size_t cur_thread;        /* the thread later notes belong to, or SIZE_MAX */
	bool have_psinfo;
	pid_t ps_pid;
	char ps_fname[17];
	char ps_args[81];
	uint64_t at_entry, at_sysinfo;
	bool have_auxv;
	char *sysroot;
	char *dwfl_exe; /* the verified executable handed to libdwfl */
	uint64_t mapped_reads; /* bytes (and a page a read) read from the map since its pages were let go */
};

static void core_free(void *p)
{
	struct core *c = p;
	if (!c)
		return;
	if (c->elf)
		elf_end(c->elf);
	if (c->map)
		munmap(c->map, c->size);
	if (c->fd >= 0)
		close(c->fd);
	for (size_t i = 0; i < c->nmods; i++) {
		free(c->mods[i].path);
		free(c->mods[i].open_path);
	}
	free(c->mods);
	free(c->segs);
	free(c->files);
	free(c->threads);
	free(c->file_note);
	free(c->pileup_note);
	free(c->sysroot);
	free(c->dwfl_exe);
	free(c);
}

/* --- memory ---------------------------------------------------------------- */

/* The segment holding addr, or NULL (segments are sorted by vaddr). */
static const struct core_seg *find_seg(const struct core *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->segs[mid].vaddr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct core_seg *s = &c->segs[lo - 1];
	return addr - s->vaddr < s->memsz ? s : NULL;
}

/* Reads len bytes at file offset off; the core is read where needed, never
 * mapped or read whole, so memory does not grow with its size. */
static bool core_pread(const struct core *c, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(c->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/* Every page of the map that was read stays resident and counts in the
 * RSS: a million goroutines touch gigabytes of a core, a page or two each
 * for a few hundred bytes.  After reads that may have touched 256 MB of
 * pages, those of the memory segments are let go (the kernel reads them
 * again from the file, or its cache, if they are read again; nothing
 * writes to them, so their content is the file's). */
static void core_release_pages(struct core *c, uint64_t n)
{
	enum { RELEASE_EVERY = 256 << 20 };
	if ((c->mapped_reads += n + c->page_size) < RELEASE_EVERY)
		return;
	c->mapped_reads = 0;
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct core_seg *s = &c->segs[i];
		uint64_t lo = (s->offset + c->page_size - 1) & ~(c->page_size - 1);
		uint64_t hi = (s->offset + s->avail) & ~(c->page_size - 1);
		if (hi > lo)
			madvise(c->map + lo, (size_t)(hi - lo), MADV_DONTNEED);
	}
}

static size_t core_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct core *c = ctx;
	const struct core_seg *s = find_seg(c, addr);
	if (!s)
		return 0;
	uint64_t off = addr - s->vaddr;
	if (off >= s->avail)
		return 0;
	uint64_t n = s->avail - off;
	if (n > len)
		n = len;
	if (c->map) {
		memcpy(buf, c->map + s->offset + off, (size_t)n); /* avail is within the file */
		core_release_pages(c, n);
		return (size_t)n;
	}
	return core_pread(c, s->offset + off, buf, (size_t)n) ? (size_t)n : 0;
}

static bool core_read_all(const struct core *c, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t n = core_read((void *)c, addr + done, (char *)buf + done, len - done);
		if (!n)
			return false;
		done += n;
	}
	return true;
}

/* --- build-ids -------------------------------------------------------------- */

static size_t note_build_id(const unsigned char *p, size_t len, unsigned char *out)
{
	size_t off = 0;
	while (off + 12 <= len) {
		uint64_t namesz = rd32(p + off), descsz = rd32(p + off + 4), type = rd32(p + off + 8);
		uint64_t name_off = off + 12, desc_off = name_off + ((namesz + 3) & ~3ull);
		if (desc_off > len || descsz > len - desc_off)
			return 0;
		if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(p + name_off, "GNU", 4) == 0 && descsz > 0) {
			size_t n = descsz > MAX_BUILD_ID ? MAX_BUILD_ID : (size_t)descsz;
			memcpy(out, p + desc_off, n);
			return n;
		}
		off = (size_t)(desc_off + ((descsz + 3) & ~3ull));
	}
	return 0;
}

/* The build-id of the ELF image whose start is mapped at base, from the
 * headers the core holds (the kernel dumps the first page of every ELF
 * mapping); 0 when they are not there. */
static size_t mem_build_id(const struct core *c, uint64_t base, unsigned char *out)
{
	unsigned char eh[64];
	if (!core_read_all(c, base, eh, sizeof(eh)) || memcmp(eh, ELFMAG, SELFMAG) != 0 || eh[EI_CLASS] != ELFCLASS64)
		return 0;
	uint64_t phoff = rd64(eh + 32);
	unsigned phentsize = rd16(eh + 54), phnum = rd16(eh + 56);
	if (phentsize != sizeof(Elf64_Phdr) || phnum == 0 || phnum > 256 || phoff > 1 << 20)
		return 0;
	Elf64_Phdr *ph = xmalloc(phnum * sizeof(*ph));
	size_t n = 0;
	if (core_read_all(c, base + phoff, ph, phnum * sizeof(*ph))) {
		uint64_t first = UINT64_MAX;
		for (unsigned i = 0; i < phnum; i++)
			if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first)
				first = ph[i].p_vaddr;
		first &= ~0xfffull;
		for (unsigned i = 0; i < phnum && !n && first != (UINT64_MAX & ~0xfffull); i++) {
			if (ph[i].p_type != PT_NOTE || ph[i].p_filesz == 0 || ph[i].p_filesz > 65536 || ph[i].p_vaddr < first)
				continue;
			unsigned char *buf = xmalloc(ph[i].p_filesz);
			if (core_read_all(c, base + (ph[i].p_vaddr - first), buf, ph[i].p_filesz))
				n = note_build_id(buf, ph[i].p_filesz, out);
			free(buf);
		}
	}
	free(ph);
	return n;
}

/* The build-id of an ELF file: its length, 0 if it has none, -1 if the
 * file is not ELF. */
static int file_build_id(int fd, unsigned char *out)
{
	/* The usual case in three small reads (header, program headers, the
	 * notes they point to): no mapping, no section table. */
	unsigned char eh[64];
	if (pread(fd, eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) && memcmp(eh, ELFMAG, SELFMAG) == 0 &&
	    eh[EI_CLASS] == ELFCLASS64 && eh[EI_DATA] == ELFDATA2LSB) {
		uint64_t phoff = rd64(eh + 32);
		unsigned phentsize = rd16(eh + 54), phnum = rd16(eh + 56);
		Elf64_Phdr ph[64];
		if (phentsize == sizeof(Elf64_Phdr) && phnum > 0 && phnum <= 64 &&
		    pread(fd, ph, phnum * sizeof(*ph), (off_t)phoff) == (ssize_t)(phnum * sizeof(*ph))) {
			for (unsigned i = 0; i < phnum; i++) {
				if (ph[i].p_type != PT_NOTE || ph[i].p_filesz == 0 || ph[i].p_filesz > 4096)
					continue;
				unsigned char notes[4096];
				size_t len = (size_t)ph[i].p_filesz, n;
				if (pread(fd, notes, len, (off_t)ph[i].p_offset) == (ssize_t)len &&
				    (n = note_build_id(notes, len, out)) > 0)
					return (int)n;
			}
		}
	}
	/* Anything else (no note segment, 32-bit, big-endian): libelf. */
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return -1;
	int n = -1;
	if (elf_kind(e) == ELF_K_ELF) {
		const void *bits;
		ssize_t len = dwelf_elf_gnu_build_id(e, &bits);
		n = len > 0 ? (int)(len > MAX_BUILD_ID ? MAX_BUILD_ID : len) : 0;
		if (n > 0)
			memcpy(out, bits, (size_t)n);
	}
	elf_end(e);
	return n;
}

static void hex(const unsigned char *b, size_t n, char *out, size_t size)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 3 <= size; i++, k += 2)
		snprintf(out + k, 3, "%02x", b[i]);
	out[k < size ? k : size - 1] = 0;
}

/* --- modules ---------------------------------------------------------------- */

enum verdict { V_MISSING, V_NOT_REGULAR, V_NOT_ELF, V_MATCH, V_UNVERIFIED, V_MISMATCH };

/* Opens path and compares its build-id with the module's; *fbid gets the file's. */
static enum verdict check_file(const struct core_module *m, const char *path, unsigned char *fbid, int *fbidlen)
{
	int fd = file_open_regular(path);
	if (fd < 0)
		return errno == EINVAL ? V_NOT_REGULAR : V_MISSING;
	*fbidlen = file_build_id(fd, fbid);
	close(fd);
	if (*fbidlen < 0)
		return V_NOT_ELF;
	if (!m->bidlen || !*fbidlen)
		return V_UNVERIFIED;
	return (size_t)*fbidlen == m->bidlen && memcmp(fbid, m->bid, m->bidlen) == 0 ? V_MATCH : V_MISMATCH;
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b && b[1] ? b + 1 : p;
}

/* A list of names for a warning: "a, b, c and 2 more". */
struct namelist {
	char buf[400];
	size_t n, shown;
};

static void namelist_add(struct namelist *l, const char *name)
{
	l->n++;
	size_t len = strlen(l->buf);
	if (l->shown < 4 && len + strlen(name) + 3 < sizeof(l->buf)) {
		snprintf(l->buf + len, sizeof(l->buf) - len, "%s%s", l->shown ? ", " : "", name);
		l->shown++;
	}
}

static const char *namelist_str(struct namelist *l)
{
	size_t len = strlen(l->buf);
	if (l->n > l->shown)
		snprintf(l->buf + len, sizeof(l->buf) - len, " and %zu more", l->n - l->shown);
	return l->buf;
}

static struct core_module *module_for(struct core *c, const char *path)
{
	for (size_t i = 0; i < c->nmods; i++)
		if (strcmp(c->mods[i].path, path) == 0)
			return &c->mods[i];
	c->mods = xrealloc(c->mods, (c->nmods + 1) * sizeof(*c->mods));
	struct core_module *m = &c->mods[c->nmods++];
	memset(m, 0, sizeof(*m));
	m->path = xstrdup(path);
	return m;
}

/* The files the core maps that are programs or libraries, each with the
 * build-id the core holds for it. */
static void collect_modules(struct core *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct core_file *f = &c->files[i];
		if (f->path[0] != '/')
			continue;
		char *clean = xstrdup(f->path);
		char *del = strstr(clean, " (deleted)");
		if (del && del[10] == 0)
			*del = 0;
		struct core_module *m = module_for(c, clean);
		free(clean);
		if (f->pgoff == 0 && (!m->base || f->start < m->base))
			m->base = f->start;
		const struct core_seg *s = find_seg(c, f->start);
		if (s && (s->flags & PF_X))
			m->exec = true;
	}
	/* Keep the ones that are ELF: executable code, or an ELF header. */
	size_t k = 0;
	for (size_t i = 0; i < c->nmods; i++) {
		struct core_module *m = &c->mods[i];
		unsigned char magic[4];
		bool elf = m->base && core_read_all(c, m->base, magic, 4) && memcmp(magic, ELFMAG, SELFMAG) == 0;
		if (!elf && !m->exec) {
			free(m->path);
			continue;
		}
		if (m->base)
			m->bidlen = mem_build_id(c, m->base, m->bid);
		c->mods[k++] = *m;
	}
	c->nmods = k;
}

/* The path of the program: the file mapped at the entry point, else the
 * lowest file mapped from offset 0, else what NT_PRPSINFO says. */
static char *exe_from_core(const struct core *c)
{
	if (c->at_entry)
		for (size_t i = 0; i < c->nfiles; i++)
			if (c->at_entry >= c->files[i].start && c->at_entry < c->files[i].end && c->files[i].path[0] == '/')
				return xstrdup(c->files[i].path);
	const struct core_file *low = NULL;
	for (size_t i = 0; i < c->nfiles; i++)
		if (c->files[i].pgoff == 0 && c->files[i].path[0] == '/' && (!low || c->files[i].start < low->start))
			low = &c->files[i];
	if (low)
		return xstrdup(low->path);
	if (c->have_psinfo && c->ps_args[0] == '/') {
		size_t n = strcspn(c->ps_args, " ");
		return strndup(c->ps_args, n);
	}
	return NULL;
}

static char *rooted(const struct core *c, const char *path)
{
	return c->sysroot ? xasprintf("%s%s", c->sysroot, path) : xstrdup(path);
}

/* Finds and checks the local file of every module; warns about the ones
 * missing or different.  user_exe is what the user named, or NULL. */
static void resolve_modules(struct core *c, struct snapshot *snap, const char *user_exe)
{
	struct namelist missing = {0}, differ = {0};
	char cb[2 * MAX_BUILD_ID + 1], fb[2 * MAX_BUILD_ID + 1];
	for (size_t i = 0; i < c->nmods; i++) {
		struct core_module *m = &c->mods[i];
		unsigned char fbid[MAX_BUILD_ID];
		int fbidlen = 0;
		hex(m->bid, m->bidlen, cb, sizeof(cb));
		if (m->is_exe && user_exe) {
			enum verdict v = check_file(m, user_exe, fbid, &fbidlen);
			if (v == V_MATCH || v == V_UNVERIFIED) {
				m->status = v == V_MATCH ? MOD_OK : MOD_UNVERIFIED;
				m->open_path = xstrdup(user_exe);
				continue;
			}
			if (v == V_MISMATCH) {
				hex(fbid, (size_t)fbidlen, fb, sizeof(fb));
				snapshot_warn(snap, "%s is not the program that dumped this core: its build-id %.12s differs from the core's %.12s, so it is not used",
					      user_exe, fb, cb);
			} else {
				snapshot_warn(snap, "%s: %s", user_exe, v == V_MISSING ? "no such file" : v == V_NOT_REGULAR ? "not a regular file; give the program that dumped the core" : "not an ELF file; give the program that dumped the core");
			}
			/* The path the core names may still hold the right file. */
		}
		char *local = rooted(c, m->path);
		enum verdict v = check_file(m, local, fbid, &fbidlen);
		if (v == V_MISSING && c->sysroot) {
			/* Not under the sysroot: the same path here, if it is the same file. */
			unsigned char hb[MAX_BUILD_ID];
			int hlen = 0;
			if (check_file(m, m->path, hb, &hlen) == V_MATCH) {
				free(local);
				local = xstrdup(m->path);
				v = V_MATCH;
			}
		}
		if (v == V_MATCH || v == V_UNVERIFIED) {
			m->status = v == V_MATCH ? MOD_OK : MOD_UNVERIFIED;
			m->open_path = local;
			continue;
		}
		if (v == V_MISMATCH) {
			m->status = MOD_MISMATCH;
			hex(fbid, (size_t)fbidlen, fb, sizeof(fb));
			if (m->is_exe)
				snapshot_warn(snap, "%s has changed since the core was dumped (build-id %.12s, the core's is %.12s), so it is not used: give the matching program as 'pileup CORE EXE' (its frames show as module+offset)",
					      local, fb, cb);
			else
				namelist_add(&differ, base_name(m->path));
		} else {
			m->status = MOD_MISSING;
			if (m->is_exe)
				snapshot_warn(snap, "the program %s is not found%s: give it as 'pileup CORE EXE' (its frames show as module+offset)",
					      local, c->sysroot ? " under the sysroot" : "");
			else
				namelist_add(&missing, base_name(m->path));
		}
		free(local);
	}
	if (missing.n)
		snapshot_warn(snap, "%zu librar%s not found%s: %s (frames in them show as module+offset; --sysroot DIR if the core comes from another machine)",
			      missing.n, missing.n == 1 ? "y" : "ies", c->sysroot ? " under the sysroot" : "", namelist_str(&missing));
	if (differ.n)
		snapshot_warn(snap, "%zu librar%s differ%s from the one%s the core was dumped with (build-id), so %s not used: %s (--sysroot DIR with the originals)",
			      differ.n, differ.n == 1 ? "y" : "ies", differ.n == 1 ? "s" : "", differ.n == 1 ? "" : "s",
			      differ.n == 1 ? "it is" : "they are", namelist_str(&differ));
}

/* --- the unwinder's hooks -------------------------------------------------- */

/* The end of the highest mapping of the file at path (NT_FILE). */
static uint64_t module_end(const struct core *c, const struct core_module *m)
{
	uint64_t end = m->base;
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct core_file *f = &c->files[i];
		size_t n = strlen(m->path);
		if (f->start >= m->base && f->end > end && strncmp(f->path, m->path, n) == 0 &&
		    (f->path[n] == 0 || strcmp(f->path + n, " (deleted)") == 0))
			end = f->end;
	}
	return end;
}

/* Reports the modules this reader found in NT_FILE and checked by
 * build-id straight to libdwfl, each with the local file that matched, or
 * by its range alone (frames show module+offset).  dwfl_core_file_report
 * would find them again by probing the first page of every segment of the
 * core for an ELF header and walking the link map, which on a small core
 * costs more than all the rest of the analysis.  False when the core names
 * no file: then libdwfl's search it is. */
static bool report_known(struct core *c, Dwfl *dwfl)
{
	if (!c->nfiles || !c->nmods || getenv("PILEUP_DWFL_CORE_REPORT"))
		return false;
	for (size_t i = 0; i < c->nmods; i++) {
		const struct core_module *m = &c->mods[i];
		if (!m->base)
			continue;
		if (m->open_path) {
			int fd = file_open_regular(m->open_path);
			/* ET_DYN: placed at base; ET_EXEC: where its headers say */
			if (fd >= 0 && dwfl_report_elf(dwfl, m->path, m->open_path, fd, m->base, false))
				continue; /* fd is libdwfl's now */
			if (fd >= 0)
				close(fd);
		}
		uint64_t end = module_end(c, m);
		if (end > m->base)
			dwfl_report_module(dwfl, m->path, m->base, end);
	}
	return true;
}

static int core_report(struct snapshot *snap, void *dwfl)
{
	struct core *c = snap->input_state;
	if (!c->elf)
		return 0;
	if (report_known(c, dwfl))
		return 1; /* the vdso is the unwinder's to report, from the maps */
	int n = dwfl_core_file_report(dwfl, c->elf, c->dwfl_exe);
	if (n < 0)
		snapshot_warn(snap, "libdwfl found no modules in the core (%s): frames show addresses only", dwfl_errmsg(-1));
	return 0;
}

static int core_open_module(struct snapshot *snap, const char *name, uint64_t base, char **path)
{
	struct core *c = snap->input_state;
	struct core_module *m = NULL;
	for (size_t i = 0; i < c->nmods && !m; i++)
		if (c->mods[i].base && c->mods[i].base == base)
			m = &c->mods[i];
	for (size_t i = 0; i < c->nmods && !m; i++)
		if (strcmp(c->mods[i].path, name) == 0)
			m = &c->mods[i];
	if (m) {
		if (!m->open_path)
			return -1;
		int fd = file_open_regular(m->open_path);
		if (fd >= 0)
			*path = xstrdup(m->open_path);
		return fd;
	}
	/* A module the mappings do not name (found through the link map). */
	if (name[0] != '/')
		return -1;
	struct core_module tmp = {0};
	tmp.bidlen = mem_build_id(c, base, tmp.bid);
	char *local = rooted(c, name);
	unsigned char fbid[MAX_BUILD_ID];
	int fbidlen = 0;
	enum verdict v = check_file(&tmp, local, fbid, &fbidlen);
	if (v != V_MATCH && v != V_UNVERIFIED) {
		free(local);
		return -1;
	}
	int fd = file_open_regular(local);
	if (fd >= 0)
		*path = local;
	else
		free(local);
	return fd;
}

/* --- notes ------------------------------------------------------------------ */

static struct core_thread *add_thread(struct core *c)
{
	xgrow(&c->threads, &c->capthreads, c->nthreads + 1, sizeof(*c->threads));
	struct core_thread *t = &c->threads[c->nthreads++];
	memset(t, 0, sizeof(*t));
	return t;
}

static int cmp_file(const void *a, const void *b)
{
	const struct core_file *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

static void parse_file_note(struct core *c, const unsigned char *d, size_t len)
{
	if (len < 16)
		return;
	uint64_t count = rd64(d), page = rd64(d + 8);
	if (count == 0 || count > (len - 16) / 24 || page == 0 || (page & (page - 1)) != 0)
		return;
	c->page_size = page;
	c->file_note = xmalloc(len);
	memcpy(c->file_note, d, len);
	d = c->file_note;
	const char *names = (const char *)d + 16 + count * 24;
	size_t left = len - 16 - (size_t)count * 24;
	c->files = xcalloc((size_t)count, sizeof(*c->files));
	for (uint64_t i = 0; i < count; i++) {
		const char *nul = memchr(names, 0, left);
		if (!nul)
			break;
		const unsigned char *e = d + 16 + i * 24;
		struct core_file *f = &c->files[c->nfiles];
		f->start = rd64(e);
		f->end = rd64(e + 8);
		f->pgoff = rd64(e + 16);
		f->path = names;
		left -= (size_t)(nul + 1 - names);
		names = nul + 1;
		if (f->end > f->start && f->pgoff <= UINT64_MAX / page)
			c->nfiles++;
	}
	qsort(c->files, c->nfiles, sizeof(*c->files), cmp_file);
}

static void parse_auxv(struct core *c, const unsigned char *d, size_t len)
{
	c->have_auxv = true;
	for (size_t off = 0; off + 16 <= len; off += 16) {
		uint64_t type = rd64(d + off), val = rd64(d + off + 8);
		if (type == AT_NULL)
			break;
		if (type == AT_ENTRY)
			c->at_entry = val;
		else if (type == AT_SYSINFO_EHDR)
			c->at_sysinfo = val;
	}
}

static void handle_note(struct core *c, const char *name, uint64_t namesz, uint64_t type, const unsigned char *d, size_t dl)
{
	bool core_owner = namesz == 5 && memcmp(name, "CORE", 5) == 0;
	bool linux_owner = namesz == 6 && memcmp(name, "LINUX", 6) == 0;
	struct core_thread *cur = c->cur_thread < c->nthreads ? &c->threads[c->cur_thread] : NULL;
	if (core_owner && type == NT_PRSTATUS && dl >= PRSTATUS_REGS + UREG_COUNT * 8) {
		cur = add_thread(c);
		c->cur_thread = c->nthreads - 1;
		cur->tid = (pid_t)rd32(d + PRSTATUS_PID);
		cur->cursig = (int16_t)rd16(d + PRSTATUS_CURSIG);
		for (int i = 0; i < UREG_COUNT; i++)
			cur->ureg[i] = rd64(d + PRSTATUS_REGS + 8 * i);
	} else if (core_owner && type == NT_PRPSINFO && dl >= PRPSINFO_SIZE) {
		c->have_psinfo = true;
		c->ps_pid = (pid_t)rd32(d + PRPSINFO_PID);
		memcpy(c->ps_fname, d + PRPSINFO_FNAME, 16);
		c->ps_fname[16] = 0;
		memcpy(c->ps_args, d + PRPSINFO_PSARGS, 80);
		c->ps_args[80] = 0;
	} else if ((core_owner || linux_owner) && type == NT_SIGINFO && dl >= SIGINFO_ADDR + 8 && cur) {
		cur->have_siginfo = true;
		cur->signo = (int)rd32(d);
		cur->code = (int)rd32(d + SIGINFO_CODE);
		cur->addr = rd64(d + SIGINFO_ADDR);
	} else if (core_owner && type == NT_AUXV && !c->have_auxv) {
		parse_auxv(c, d, dl);
	} else if (core_owner && type == NT_FILE && !c->files) {
		parse_file_note(c, d, dl);
	} else if (namesz == sizeof(PILEUP_NOTE_NAME) && memcmp(name, PILEUP_NOTE_NAME, namesz) == 0 &&
		   type == NT_PILEUP_THREADS && dl >= sizeof(struct pileup_note_header) && !c->pileup_note) {
		c->pileup_note = xmalloc(dl);
		memcpy(c->pileup_note, d, dl);
		c->pileup_len = dl;
	}
}

/* Notes are read a piece at a time: 10,000 threads make 30 MB of them,
 * and memory holds a piece and the largest note, never all of them. */
struct note_reader {
	const struct core *c;
	uint64_t off, len; /* the segment in the file */
	uint64_t pos;      /* segment offset of the current note */
	unsigned char *buf;
	size_t at, have, cap; /* buf[at, at + have) holds the segment from pos */
	bool direct; /* buf is the mapped segment itself */
};

/* Buffers at least want bytes from pos (fewer if the segment ends). */
static bool fill(struct note_reader *r, uint64_t want)
{
	enum { PIECE = 1 << 20 };
	if (r->have >= want)
		return true;
	if (r->direct)
		return false;
	if (r->at) {
		memmove(r->buf, r->buf + r->at, r->have);
		r->at = 0;
	}
	uint64_t more = want - r->have;
	if (more < PIECE)
		more = PIECE;
	if (more > r->len - r->pos - r->have)
		more = r->len - r->pos - r->have;
	xgrow(&r->buf, &r->cap, r->have + (size_t)more, 1);
	if (more && !core_pread(r->c, r->off + r->pos + r->have, r->buf + r->have, (size_t)more))
		return false;
	r->have += (size_t)more;
	return r->have >= want;
}

/* Walks the notes of the PT_NOTE segment of len bytes at file offset off.
 * Returns false if they are cut short or malformed. */
static bool read_notes(struct core *c, uint64_t off, uint64_t len, uint64_t align)
{
	enum { MAX_NOTE = 256 << 20 };
	struct note_reader r = {.c = c, .off = off, .len = len};
	if (c->map) {
		/* off + len is within the file */
		r.buf = c->map + off;
		r.have = (size_t)len;
		r.direct = true;
	}
	bool ok = true;
	c->cur_thread = SIZE_MAX;
	while (len - r.pos >= 12) {
		if (!fill(&r, 12)) {
			ok = false;
			break;
		}
		const unsigned char *p = r.buf + r.at;
		uint64_t namesz = rd32(p), descsz = rd32(p + 4), type = rd32(p + 8);
		uint64_t desc_off = 12 + ((namesz + align - 1) & ~(align - 1));
		uint64_t end = desc_off + descsz, next = desc_off + ((descsz + align - 1) & ~(align - 1));
		if (end > len - r.pos) {
			ok = false; /* runs past the segment: cut short, or garbage */
			break;
		}
		if (end <= MAX_NOTE) {
			if (!fill(&r, end)) {
				ok = false;
				break;
			}
			p = r.buf + r.at;
			handle_note(c, (const char *)p + 12, namesz, type, p + desc_off, (size_t)descsz);
		}
		/* else: no note pileup reads is that big; skip it */
		if (next > len - r.pos)
			next = len - r.pos;
		if (next < r.have) {
			r.at += (size_t)next;
			r.have -= (size_t)next;
		} else {
			r.at = r.have = 0;
		}
		r.pos += next;
	}
	if (!r.direct)
		free(r.buf);
	return ok;
}

/* --- reading ---------------------------------------------------------------- */

/* A machine's name with its article, as said aloud ("an s390"). */
static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_X86_64: return "an x86_64";
	case EM_386: return "an i386";
	case EM_ARM: return "an arm";
	case EM_AARCH64: return "an aarch64";
	case EM_PPC: return "a ppc";
	case EM_PPC64: return "a ppc64";
	case EM_S390: return "an s390";
	case EM_RISCV: return "a riscv";
	case EM_MIPS: return "a mips";
	case EM_SPARCV9: return "a sparc64";
	case EM_LOONGARCH: return "a loongarch";
	}
	return NULL;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct core_seg *x = a, *y = b;
	return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
}

static bool is_core_signal(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
	case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return true;
	}
	return false;
}

static bool is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

/* Validates the ELF header; NULL if the file is an x86_64 core. */
static struct pu_error *check_header(const unsigned char *m, size_t size, const char *name)
{
	if (size < SELFMAG || memcmp(m, ELFMAG, SELFMAG) != 0)
		return pu_error_new(PU_EXIT_USAGE, "%s is not a core file (no ELF header), nor a Go traceback or pprof profile; give a core dump, a pileup JSON report, a goroutine dump or a process ID", name);
	if (size < EI_NIDENT + 2 || (m[EI_CLASS] == ELFCLASS64 && size < sizeof(Elf64_Ehdr)) ||
	    (m[EI_CLASS] == ELFCLASS32 && size < sizeof(Elf32_Ehdr)))
		return pu_error_new(PU_EXIT_USAGE, "%s is truncated within its ELF header (%zu bytes); nothing to read", name, size);
	if (m[EI_CLASS] != ELFCLASS64 && m[EI_CLASS] != ELFCLASS32)
		return pu_error_new(PU_EXIT_USAGE, "%s has an ELF header of unknown class %d; it is not a core pileup can read", name, m[EI_CLASS]);
	if (m[EI_DATA] != ELFDATA2LSB && m[EI_DATA] != ELFDATA2MSB)
		return pu_error_new(PU_EXIT_USAGE, "%s has an ELF header of unknown byte order %d; it is damaged or not a core", name, m[EI_DATA]);
	bool le = m[EI_DATA] == ELFDATA2LSB;
	unsigned type = le ? (unsigned)(m[16] | m[17] << 8) : (unsigned)(m[17] | m[16] << 8);
	unsigned machine = le ? (unsigned)(m[18] | m[19] << 8) : (unsigned)(m[19] | m[18] << 8);
	/* The same fields read in the other byte order: an ET_CORE there
	 * means the byte-order byte lies, not that the file is no core. */
	unsigned type_x = le ? (unsigned)(m[17] | m[16] << 8) : (unsigned)(m[16] | m[17] << 8);
	unsigned machine_x = le ? (unsigned)(m[19] | m[18] << 8) : (unsigned)(m[18] | m[19] << 8);
	if (type != ET_CORE && type_x == ET_CORE) {
		const char *mn = machine_name(machine_x);
		return pu_error_new(PU_EXIT_USAGE, "%s is damaged: its header says %s-endian, but its fields read as a %s-endian core%s%s%s; restore the core from a good copy",
				    name, le ? "little" : "big", le ? "big" : "little", mn ? " of " : "", mn ? mn : "", mn ? " process" : "");
	}
	if (type != ET_CORE) {
		const char *what = type == ET_EXEC ? "an executable" : type == ET_DYN ? "a shared object or PIE executable"
				   : type == ET_REL ? "an object file" : NULL;
		if (!what)
			return pu_error_new(PU_EXIT_USAGE, "%s is an ELF file of unknown type %u, not a core; give a core dump, a pileup JSON report or a process ID", name, type);
		return pu_error_new(PU_EXIT_USAGE, "%s is %s, not a core; give the core first: 'pileup CORE [EXE]'", name, what);
	}
	if (m[EI_CLASS] != ELFCLASS64 || !le || machine != EM_X86_64) {
		const char *mn = machine_name(machine);
		char what[96];
		if (machine == EM_X86_64 && m[EI_CLASS] == ELFCLASS32)
			return pu_error_new(PU_EXIT_USAGE, "%s is a core of an x32 process (x86_64 with 32-bit pointers); pileup reads only 64-bit x86_64 cores (try gdb on it)", name);
		if (mn && m[EI_CLASS] == ELFCLASS32)
			snprintf(what, sizeof(what), "a 32-bit %s%s process", strchr(mn, ' ') + 1, le ? "" : " (big-endian)");
		else if (mn)
			snprintf(what, sizeof(what), "%s%s process", mn, le ? "" : " (big-endian)");
		else
			snprintf(what, sizeof(what), "a process of an unknown machine (ELF e_machine %u, %d-bit, %s-endian)", machine,
				 m[EI_CLASS] == ELFCLASS32 ? 32 : 64, le ? "little" : "big");
		return pu_error_new(PU_EXIT_USAGE, "%s is a core of %s; pileup reads x86_64 cores (try gdb-multiarch on it)", name, what);
	}
	return NULL;
}

static void fill_thread(struct core *c, struct snapshot *snap, const struct core_thread *ct)
{
	struct snap_thread *t = snapshot_add_thread(snap, ct->tid);
	t->how = SNAP_HOW_CORE;
	struct snap_regs *r = &t->regs;
	for (int i = 0; i < SNAP_NREGS; i++)
		r->r[i] = ct->ureg[dwarf_ureg[i]];
	r->valid = (1u << SNAP_NREGS) - 1;
	r->orig_rax = (int64_t)ct->ureg[UREG_ORIG_RAX];
	r->have_orig_rax = true;
	r->fs_base = ct->ureg[UREG_FS_BASE];
	/* In a system call, orig_rax holds its number: the thread slept there. */
	if (r->orig_rax >= 0 && r->orig_rax < 4096) {
		t->syscall = (long)r->orig_rax;
		t->state = 'S';
		uint64_t a[6] = {ct->ureg[UREG_RDI], ct->ureg[UREG_RSI], ct->ureg[UREG_RDX], ct->ureg[UREG_R10], ct->ureg[UREG_R8], ct->ureg[UREG_R9]};
		memcpy(t->syscall_args, a, sizeof(a));
	} else {
		t->state = 'R';
	}
	if (c->have_psinfo && ct->tid == c->ps_pid && c->ps_fname[0])
		t->name = xstrdup(c->ps_fname);
}

/* What pileup's own cores add: names, and which registers the capture
 * really read (a thread read without a stop knows only sp and pc, and is
 * unwound as the live capture would). */
static void apply_pileup_note(struct core *c, struct snapshot *snap)
{
	if (!c->pileup_note)
		return;
	struct pileup_note_header h;
	memcpy(&h, c->pileup_note, sizeof(h));
	if (h.version != 1)
		return;
	size_t n = (c->pileup_len - sizeof(h)) / sizeof(struct pileup_note_thread);
	if (h.nthreads < n)
		n = h.nthreads;
	for (size_t i = 0; i < n; i++) {
		struct pileup_note_thread pt;
		memcpy(&pt, c->pileup_note + sizeof(h) + i * sizeof(pt), sizeof(pt));
		/* Written in the order of the NT_PRSTATUS notes: try that first. */
		for (size_t j = 0; j < snap->nthreads; j++) {
			size_t k = (i + j) % snap->nthreads;
			struct snap_thread *t = &snap->threads[k];
			if (t->tid != pt.tid)
				continue;
			pt.name[15] = 0;
			free(t->name);
			t->name = pt.name[0] ? xstrdup(pt.name) : NULL;
			if (pt.state >= 'A' && pt.state <= 'z')
				t->state = pt.state;
			if (pt.how == SNAP_HOW_NONE) {
				/* --gcore --no-stop: it was running, and nobody read it. */
				t->how = SNAP_HOW_NONE;
				t->regs.valid = 0;
				t->syscall = -1;
				free(t->error);
				t->error = xstrdup("running in user space; not stopped (--no-stop)");
			} else if (pt.how == SNAP_HOW_SYSCALL) {
				t->how = SNAP_HOW_SYSCALL;
				t->regs.valid &= pt.valid;
				t->regs.have_orig_rax = false;
				t->regs.orig_rax = -1;
				if (!(pt.valid & (1u << SNAP_REG_RBP)))
					t->regs.r[SNAP_REG_RBP] = 0;
			}
			break;
		}
	}
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Copies the top of every thread's stack (CORE_STACK_TOP from sp up; the
 * rest, up to CORE_STACK_COPY, is read when the unwinder gets there), as
 * the live capture does, so the unwinder reads both alike; the copies go
 * to the snapshot's arena, one allocation instead of one per thread.
 * A stack whose memory the core lacks (no bytes in its segment, or only
 * zeros where return addresses must be) would unwind to a frame or two
 * that look complete: such threads say so, and the core gets a warning. */
static void copy_stacks(struct core *c, struct snapshot *snap, const char *name)
{
	size_t zeros = 0, absent = 0;
	uint64_t *foff = xcalloc(snap->nthreads + 1, sizeof(*foff));
	size_t *len = xcalloc(snap->nthreads + 1, sizeof(*len)), total = 0;
	size_t *more = xcalloc(snap->nthreads + 1, sizeof(*more));
	for (size_t i = 0; i < snap->nthreads; i++) {
		const struct snap_thread *t = &snap->threads[i];
		if (!(t->regs.valid & (1u << SNAP_REG_RSP)))
			continue;
		uint64_t sp = t->regs.r[SNAP_REG_RSP];
		const struct core_seg *s = find_seg(c, sp);
		if (s && !s->filesz && t->how != SNAP_HOW_NONE) {
			/* Left out when the core was written (coredump_filter),
			 * not cut off: a truncated core is warned about already. */
			absent++;
			free(snap->threads[i].error);
			snap->threads[i].error = xstrdup("its stack is not in the core (the segment holding it was written without its bytes)");
		}
		if (!s || sp - s->vaddr >= s->avail)
			continue;
		uint64_t n = s->avail - (sp - s->vaddr);
		size_t full = n > CORE_STACK_COPY ? CORE_STACK_COPY : (size_t)n;
		len[i] = full > CORE_STACK_TOP ? CORE_STACK_TOP : full;
		more[i] = full - len[i];
		foff[i] = s->offset + (sp - s->vaddr);
		total += len[i];
	}
	/* The arena rounds each piece up to 16 bytes. */
	if (total)
		snapshot_arena_reserve(snap, total + 16 * snap->nthreads);
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (!len[i])
			continue;
		unsigned char *dst = snapshot_arena_alloc(snap, len[i]);
		if (core_pread(c, foff[i], dst, len[i]))
			t->stack = (struct mem_region){.addr = t->regs.r[SNAP_REG_RSP], .len = len[i], .data = dst, .in_arena = true,
						       .more = more[i]};
		/* A live stack's top holds return addresses within a few hundred
		 * bytes; a kilobyte and more of nothing but zeros is missing
		 * memory (a zeroed or damaged core). */
		if (t->stack.len >= 1024 && t->how != SNAP_HOW_NONE && all_zero(dst, t->stack.len)) {
			zeros++;
			free(t->error);
			t->error = xasprintf("its stack memory in the core is all zeros (%zu bytes from sp up): the memory is missing", t->stack.len);
		}
	}
	if (zeros + absent)
		snapshot_warn(snap, "%s lacks the stack memory of %zu of %zu threads (%s): their stacks cannot be unwound; was it written with a coredump_filter that leaves anonymous memory out, or damaged? Capture again (pileup --gcore) if the process still runs",
			      name, zeros + absent, snap->nthreads, zeros && absent ? "all zeros, or left out" : zeros ? "all zeros" : "left out");
	free(foff);
	free(len);
	free(more);
}

static void human(uint64_t n, char *buf, size_t size)
{
	if (n >= (1ull << 20))
		snprintf(buf, size, "%.1f MB", (double)n / 1048576.0);
	else if (n >= (1ull << 10))
		snprintf(buf, size, "%.1f KB", (double)n / 1024.0);
	else
		snprintf(buf, size, "%" PRIu64 " bytes", n);
}

static void build_maps(struct core *c, struct snapshot *snap)
{
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct core_seg *s = &c->segs[i];
		if (!s->memsz)
			continue;
		struct snap_map *m = snapshot_add_map(snap);
		m->start = s->vaddr;
		m->end = s->vaddr + s->memsz < s->vaddr ? UINT64_MAX : s->vaddr + s->memsz;
		snprintf(m->perms, sizeof(m->perms), "%c%c%cp", s->flags & PF_R ? 'r' : '-', s->flags & PF_W ? 'w' : '-',
			 s->flags & PF_X ? 'x' : '-');
		/* The file mapped there: the last one starting at or below it. */
		size_t lo = 0, hi = c->nfiles;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (c->files[mid].start <= s->vaddr)
				lo = mid + 1;
			else
				hi = mid;
		}
		const struct core_file *f = lo ? &c->files[lo - 1] : NULL;
		if (f && s->vaddr < f->end) {
			m->path = xstrdup(f->path);
			m->offset = f->pgoff * c->page_size + (s->vaddr - f->start);
			m->inode = (uint64_t)(f - c->files) + 1;
		}
		if (!m->path && c->at_sysinfo && s->vaddr == c->at_sysinfo)
			m->path = xstrdup("[vdso]");
	}
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct pu_error *core_open_fd(int fd, const char *name, const struct core_opts *o, struct snapshot **ret)
{
	*ret = NULL;
	uint64_t t0 = now_us();
	timing_begin("core");
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return pu_error_new(PU_EXIT_USAGE, "cannot read %s: %s", name, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return pu_error_new(PU_EXIT_USAGE, "%s is not a regular file; give a core file", name);
	}
	if (st.st_size == 0) {
		close(fd);
		return pu_error_new(PU_EXIT_USAGE, "%s is empty: the core was not written (ulimit -c 0? a full disk?)", name);
	}
	struct core *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->size = (size_t)st.st_size;
	c->map = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (c->map == MAP_FAILED)
		c->map = NULL; /* read piece by piece instead */
	c->page_size = 4096;
	unsigned char head[sizeof(Elf64_Ehdr)] = {0};
	size_t headlen = c->size < sizeof(head) ? c->size : sizeof(head);
	struct pu_error *err = core_pread(c, 0, head, headlen) ? check_header(head, headlen, name)
							       : pu_error_new(PU_EXIT_USAGE, "cannot read %s: %s", name, strerror(errno));
	if (err) {
		core_free(c);
		return err;
	}
	Elf64_Ehdr ehdr;
	memcpy(&ehdr, head, sizeof(ehdr));
	const Elf64_Ehdr *eh = &ehdr;
	uint64_t phoff = eh->e_phoff, phnum = eh->e_phnum;
	if (phnum == PN_XNUM) {
		/* More than 65534 headers: the count is in section header 0. */
		phnum = 0;
		Elf64_Shdr sh0;
		if (eh->e_shoff && eh->e_shoff <= c->size && c->size - eh->e_shoff >= sizeof(Elf64_Shdr) &&
		    core_pread(c, eh->e_shoff, &sh0, sizeof(sh0)))
			phnum = sh0.sh_info;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || phnum == 0) {
		core_free(c);
		return pu_error_new(PU_EXIT_USAGE, "%s is a corrupt core: it has no program headers", name);
	}
	if (phoff > c->size || phnum > (c->size - phoff) / sizeof(Elf64_Phdr)) {
		err = pu_error_new(PU_EXIT_USAGE, "%s is truncated within its program headers (%zu bytes); nothing to read", name, c->size);
		core_free(c);
		return err;
	}

	struct snapshot *snap = snapshot_create(SNAP_CORE);
	snap->mode = SNAP_MODE_CORE;
	snap->core_path = xstrdup(name);
	snap->input_state = c;
	snap->input_free = core_free;
	if (o->damage)
		snapshot_warn(snap, "%s: %s", name, o->damage);

	uint64_t missing = 0, want = 0;
	size_t cut_segs = 0;
	bool notes_ok = true, have_notes = false;
	c->segs = xcalloc((size_t)phnum, sizeof(*c->segs));
	Elf64_Phdr *phs = xmalloc((size_t)phnum * sizeof(*phs));
	if (!core_pread(c, phoff, phs, (size_t)phnum * sizeof(*phs))) {
		free(phs);
		err = pu_error_new(PU_EXIT_USAGE, "cannot read %s: %s", name, strerror(errno));
		snapshot_destroy(snap);
		return err;
	}
	timing_mark("core", "headers");
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph = phs[i];
		uint64_t avail = 0;
		if (ph.p_offset < c->size)
			avail = ph.p_filesz < c->size - ph.p_offset ? ph.p_filesz : c->size - ph.p_offset;
		if (ph.p_type == PT_NOTE) {
			have_notes = true;
			uint64_t align = ph.p_align == 8 ? 8 : 4;
			if (avail < ph.p_filesz)
				notes_ok = false;
			if (avail && !read_notes(c, ph.p_offset, avail, align))
				notes_ok = false;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			ph.p_filesz = ph.p_memsz;
		if (avail > ph.p_filesz)
			avail = ph.p_filesz;
		want += ph.p_filesz;
		if (avail < ph.p_filesz) {
			missing += ph.p_filesz - avail;
			cut_segs++;
		}
		c->segs[c->nsegs++] = (struct core_seg){ph.p_vaddr, ph.p_memsz, ph.p_offset, avail, ph.p_filesz, ph.p_flags};
	}
	free(phs);
	qsort(c->segs, c->nsegs, sizeof(*c->segs), cmp_seg);

	if (!c->nthreads) {
		err = pu_error_new(PU_EXIT_USAGE, "%s %s: no thread to show", name,
				   !have_notes ? "has no notes (a core written without threads?)"
				   : !notes_ok ? "is truncated before its thread notes" : "holds no thread (no NT_PRSTATUS note)");
		snapshot_destroy(snap);
		return err;
	}
	if (missing) {
		char a[32], b[32];
		human(want - missing, a, sizeof(a));
		human(want, b, sizeof(b));
		if (o->damage)
			snapshot_warn(snap, "%s: %s of the %s of memory the core describes is there; %zu of %zu segments are cut",
				      name, a, b, cut_segs, c->nsegs);
		else
			snapshot_warn(snap, "%s is truncated: it holds %s of the %s of memory its headers describe (%zu of %zu segments cut); was it cut short by 'ulimit -c' or a full disk?",
				      name, a, b, cut_segs, c->nsegs);
	} else if (!notes_ok) {
		snapshot_warn(snap, "%s: the notes are truncated or malformed; read what came before", name);
	}

	snap->taken_at = o->taken_at ? o->taken_at : (int64_t)st.st_mtime;
	if (o->sysroot) {
		c->sysroot = xstrdup(o->sysroot);
		size_t n = strlen(c->sysroot);
		while (n > 1 && c->sysroot[n - 1] == '/')
			c->sysroot[--n] = 0;
		snap->root = xstrdup(c->sysroot);
	}
	build_maps(c, snap);

	/* Threads, and the one that got the fatal signal: the kernel writes
	 * the dumping thread first, with the signal in NT_SIGINFO. */
	size_t bad_tids = 0;
	for (size_t i = 0; i < c->nthreads; i++) {
		const struct core_thread *ct = &c->threads[i];
		if (ct->tid <= 0) {
			bad_tids++;
			continue;
		}
		fill_thread(c, snap, ct);
		int sig = ct->have_siginfo && ct->signo ? ct->signo : ct->cursig;
		if (!snap->have_crash && is_core_signal(sig)) {
			snap->have_crash = true;
			snap->crash_tid = ct->tid;
			snap->crash_signal = sig;
			if (ct->have_siginfo && ct->signo == sig && ct->code > 0 && is_fault_signal(sig))
				snap->crash_addr = ct->addr;
			snap->threads[snap->nthreads - 1].crashed = true;
		}
	}
	if (bad_tids)
		snapshot_warn(snap, "%s: %zu thread note%s with an impossible thread ID ignored", name, bad_tids, bad_tids == 1 ? "" : "s");
	if (!snap->nthreads) {
		err = pu_error_new(PU_EXIT_USAGE, "%s is a corrupt core: no thread note names a thread", name);
		snapshot_destroy(snap);
		return err;
	}
	snap->pid = c->have_psinfo && c->ps_pid > 0 ? c->ps_pid : snap->threads[0].tid;
	apply_pileup_note(c, snap);
	timing_mark("core", "notes");
	copy_stacks(c, snap, name);
	timing_mark("core", "stacks");
	snapshot_sort(snap);

	/* The program and its libraries, checked against the core's build-ids. */
	char *exe = exe_from_core(c);
	collect_modules(c);
	if (exe) {
		char *clean = xstrdup(exe);
		char *del = strstr(clean, " (deleted)");
		if (del && del[10] == 0)
			*del = 0;
		for (size_t i = 0; i < c->nmods; i++)
			if (strcmp(c->mods[i].path, clean) == 0)
				c->mods[i].is_exe = true;
		free(clean);
	}
	if (o->exe && !exe)
		snap->exe = xstrdup(o->exe);
	else
		snap->exe = exe;
	bool exe_is_module = false;
	for (size_t i = 0; i < c->nmods; i++)
		exe_is_module |= c->mods[i].is_exe;
	if (o->exe && !exe_is_module) {
		/* The core does not say where the program was: take the user's word. */
		int fd2 = file_open_regular(o->exe);
		if (fd2 < 0)
			snapshot_warn(snap, "%s: %s", o->exe, errno == EINVAL ? "not a regular file; give the program that dumped the core" : strerror(errno));
		else
			close(fd2);
		if (fd2 >= 0)
			c->dwfl_exe = xstrdup(o->exe);
	}
	resolve_modules(c, snap, o->exe);
	timing_mark("core", "modules");
	for (size_t i = 0; i < c->nmods; i++)
		if (c->mods[i].is_exe && c->mods[i].open_path && !snap->exe_open) {
			free(c->dwfl_exe);
			c->dwfl_exe = xstrdup(c->mods[i].open_path);
			snap->exe_open = xstrdup(c->mods[i].open_path);
		}

	elf_version(EV_CURRENT);
	/* Mapped, libelf hands libdwfl pointers into the file; else libelf
	 * reads the pieces libdwfl asks for. */
	c->elf = elf_begin(c->fd, ELF_C_READ, NULL);
	if (c->elf && elf_kind(c->elf) != ELF_K_ELF) {
		elf_end(c->elf);
		c->elf = NULL;
	}
	if (!c->elf)
		snapshot_warn(snap, "%s: libelf cannot read it (%s): frames show addresses only", name, elf_errmsg(-1));
	snap->read_fn = core_read;
	snap->read_ctx = c;
	snap->report_modules = core_report;
	snap->open_module = core_open_module;
	snap->machine_elf = c->elf;
	snap->elapsed_us = now_us() - t0;
	*ret = snap;
	return NULL;
}
