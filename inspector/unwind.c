/* unwind.c - the unwinder: engines walk, then one pass symbolizes.
 *
 * Modules are reported to libdwfl once; an engine (unwind/engine.h)
 * turns each thread's registers and memory into pcs, with the frame
 * pointer guessed where a thread read without a stop needs it; whether a
 * walk is complete is the CFI's answer; then symbols.c and tailcall.c
 * turn every walk's pcs into frames, whichever engine made it. */
#include "unwind.h"
#include "capture_live.h"
#include "cfirows.h"
#include "classify.h"
#include "debugcache.h"
#include "go/bin.h"
#include "memory.h"
#include "proc.h"
#include "symbols.h"
#include "symcache.h"
#include "symindex.h"
#include "tailcall.h"
#include "timing.h"
#include "unwind/engine.h"
#include "debuginfod.h"

#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <gelf.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* MAX_FUNCTION: the largest function a direct call is believed to
 * reach into, when no CFI says where the callee starts. */
enum { MAX_FP_CANDIDATES = 16, FP_CACHE = 64, MAX_FUNCTION = 1 << 20 };

/* Which frame-pointer slot (as an offset from sp) completed a stack that
 * started at pc0 and stopped early at pc_end: threads parked the same way
 * have the same layout, so the next one tries that offset first. */
struct fp_hint {
	uint64_t pc0, pc_end, delta;
	int n;
};

struct thread_walk;

struct unwinder {
	struct snapshot *snap;
	Dwfl *dwfl;
	struct symbols *sym;
	struct tailcalls *tails;
	struct symindex *si; /* shared by sym and tails */
	struct symcache *cache; /* theirs too: what earlier runs learned */
	struct cfirows *rows;    /* CFI rows by pc: fast walks, the entry frame */
	struct unwind_mem mem;   /* what the engines read */
	struct unwind_engine *dw, *lu; /* libdw's, libunwind's (made when first needed) */
	bool lu_failed;
	enum unwind_engine_id choice;
	bool cross;              /* --cross-check */
	struct thread_walk **tw; /* per thread: its walk, until symbolized */
	size_t ntw;
	uint64_t entry_lo, entry_hi; /* the executable's entry function */
	bool entry_done;
	char *debuginfo_path;
	Dwfl_Callbacks cbs;
	struct debuginfod *dfd;  /* --debuginfod: downloads of missing debug info */
	struct symcache *cache_dl; /* symbols with downloaded debug info */
	bool cache_tried;          /* symcache_open was called (it may say no) */
	struct fp_hint hints[FP_CACHE];
	size_t nhints;
	/* address ranges of Go executables: their threads are unwound from
	 * the pclntab (go/golang.c), without loading their DWARF here */
	struct { Dwarf_Addr lo, hi; } go[4];
	size_t ngo;
	struct prefetch *pre; /* set while loaded ahead by unwind_prefetch */
};

/* Modules reported and their debug information loaded on a thread of its
 * own while the capture goes on, from a copy of the mappings. */
struct prefetch {
	pthread_t thread;
	struct snapshot shadow; /* maps only: the capture still adds threads */
	uint64_t *pcs;
	size_t npcs;
	struct pu_error *err;
};

/* libdwfl's find_elf has no user argument; modules are opened eagerly,
 * right after reporting, while this names the unwinder doing it. */
static struct unwinder *g_reporting;
/* The debug directories of the latest unwinder (libdwfl's find_debuginfo
 * has no user argument either). */
static const char *g_debuginfo_path;

/* --debuginfod's downloads, for find_debuginfo (no user argument either). */
static struct debuginfod *g_debuginfod;

/* Whose DWARF is read: any module while threads are walked (libdwfl reads
 * .debug_frame where .eh_frame has no entry) and on the prefetch thread
 * (which loads the DWARF of the code the threads are in); in the symbols
 * pass, the modules the walks went through.  Only their compressed debug
 * files are worth an inflated copy (debugcache.h); another module's debug
 * file is opened for its symbol table alone, which is not compressed. */
static Dwfl_Module **g_dwarf_mods;
static size_t g_ndwarf_mods;
static __thread bool t_want_dwarf;

/* Opens of a module's or a debug file's that failed for want of file
 * descriptors (EMFILE, ENFILE): a low `ulimit -n` with a capture holding
 * descriptors per thread.  Such a module unwinds and symbolizes as if it
 * had no file, so a prefetch that ran short is not taken, and the report
 * says why its stacks may be cut short (unwind_snapshot). */
static atomic_int g_out_of_fds;

static int open_module_file(const char *path)
{
	int fd = file_open_regular(path);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE))
		atomic_fetch_add(&g_out_of_fds, 1);
	return fd;
}

/* After the prefetch thread has been joined. */
static void prefetch_release(struct unwinder *u)
{
	struct prefetch *p = u->pre;
	if (u->snap == &p->shadow)
		u->snap = NULL;
	free(p->shadow.maps);
	free(p->pcs);
	pu_error_free(p->err);
	free(p);
	u->pre = NULL;
}

static void prefetch_end(struct unwinder *u)
{
	if (!u->pre)
		return;
	pthread_join(u->pre->thread, NULL);
	prefetch_release(u);
}

static void unwinder_free(void *p)
{
	struct unwinder *u = p;
	if (!u)
		return;
	prefetch_end(u);
	symbols_destroy(u->sym);
	tailcalls_destroy(u->tails);
	symindex_destroy(u->si);
	symcache_close(u->cache);
	symcache_close(u->cache_dl);
	if (u->dw)
		u->dw->destroy(u->dw);
	if (u->lu)
		u->lu->destroy(u->lu);
	for (size_t i = 0; i < u->ntw; i++)
		free(u->tw[i]);
	free(u->tw);
	debuginfod_destroy(u->dfd);
	cfirows_destroy(u->rows);
	if (u->dwfl)
		dwfl_end(u->dwfl);
	if (g_debuginfo_path == u->debuginfo_path)
		g_debuginfo_path = NULL;
	if (u->sym) {
		/* this unwinder's modules */
		free(g_dwarf_mods);
		g_dwarf_mods = NULL;
		g_ndwarf_mods = 0;
	}
	free(u->debuginfo_path);
	free(u);
}

/* --- finding files as the target sees them ------------------------------- */

static bool wants_dwarf(Dwfl_Module *mod)
{
	if (t_want_dwarf)
		return true;
	for (size_t i = 0; i < g_ndwarf_mods; i++)
		if (g_dwarf_mods[i] == mod)
			return true;
	return false;
}

/* The build-id note of elf as hex into out (2 * 64 + 1); its length in
 * bytes, or 0. */
static int elf_build_id_hex(Elf *elf, char *out)
{
	const void *bits;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &bits) : -1;
	if (n <= 0 || n > 64)
		return 0;
	for (ssize_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", ((const unsigned char *)bits)[i]);
	return (int)n;
}

/* Opens candidate path if it is the debug file of a module with build-id
 * hex (any, when the module has none); -1 if not. */
static int open_debug_candidate(const char *path, const char *hex)
{
	int fd = open_module_file(path);
	if (fd < 0 || !*hex)
		return fd;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	char got[2 * 64 + 1] = "";
	bool same = elf_build_id_hex(elf, got) && strcmp(got, hex) == 0;
	elf_end(elf);
	if (same)
		return fd;
	close(fd);
	return -1;
}

/* The debug files that could serve a module, in libdwfl's order, tried
 * one open each: by build-id under each debug directory, then the
 * .gnu_debuglink name next to the file, in its .debug/, and under each
 * debug directory; then what --debuginfod downloaded.  The first that
 * opens (and carries the module's build-id) is used. */
static int open_debug_file(const char *dpath, const char *hex, const char *file_name, const char *link, char **ret_path)
{
	for (const char *p = dpath; *hex && p && *p;) {
		const char *end = strchrnul(p, ':');
		if (*p == '/') {
			char *path = xasprintf("%.*s/.build-id/%.2s/%s.debug", (int)(end - p), p, hex, hex + 2);
			int fd = open_module_file(path);
			if (fd >= 0) {
				*ret_path = path;
				return fd;
			}
			free(path);
		}
		p = *end ? end + 1 : end;
	}
	const char *slash = file_name ? strrchr(file_name, '/') : NULL;
	if (link && *link && !strchr(link, '/') && slash) {
		int dlen = (int)(slash - file_name);
		char *cand[2] = {xasprintf("%.*s/%s", dlen, file_name, link), xasprintf("%.*s/.debug/%s", dlen, file_name, link)};
		for (int i = 0; i < 2; i++) {
			/* a file is not its own debug file */
			int fd = strcmp(cand[i], file_name) != 0 ? open_debug_candidate(cand[i], hex) : -1;
			if (fd >= 0) {
				*ret_path = cand[i];
				free(cand[1 - i]);
				return fd;
			}
		}
		free(cand[0]);
		free(cand[1]);
		/* Under a debug directory, by the path the target names the file
		 * by (not the /proc/PID/root it is opened through). */
		const char *tp = file_name;
		if (strncmp(tp, "/proc/", 6) == 0) {
			const char *q = tp + 6;
			while (*q >= '0' && *q <= '9')
				q++;
			if (q > tp + 6 && strncmp(q, "/root/", 6) == 0)
				tp = q + 5;
		}
		int tlen = (int)(strrchr(tp, '/') - tp);
		for (const char *p = dpath; p && *p;) {
			const char *end = strchrnul(p, ':');
			if (*p == '/') {
				char *path = xasprintf("%.*s%.*s/%s", (int)(end - p), p, tlen, tp, link);
				int fd = open_debug_candidate(path, hex);
				if (fd >= 0) {
					*ret_path = path;
					return fd;
				}
				free(path);
			}
			p = *end ? end + 1 : end;
		}
	}
	const char *dl = *hex ? debuginfod_path(g_debuginfod, hex) : NULL;
	int fd = dl ? open_debug_candidate(dl, hex) : -1;
	if (fd >= 0)
		*ret_path = xstrdup(dl);
	return fd;
}

/* Separate debug info (see open_debug_file), as an inflated copy from the
 * cache when its DWARF is compressed (debugcache.h).  Not libdwfl's
 * standard finder: it would probe each candidate again (and more), and
 * ask debuginfod servers on its own. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base, const char *file_name,
			  const char *debuglink_file, GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	(void)userdata;
	(void)base;
	(void)debuglink_crc;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	char hex[2 * 64 + 1] = "";
	for (int i = 0; n > 1 && n <= 64 && i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", bits[i]);
	/* A module without a file (the vdso, "[vdso]" or "linux-vdso.so.1" in
	 * a core) has no .gnu_debuglink to follow. */
	if (!file_name || (modname && modname[0] == '['))
		debuglink_file = NULL;
	char *path = NULL;
	int fd = open_debug_file(g_debuginfo_path, hex, file_name, debuglink_file, &path);
	if (fd < 0)
		return -1;
	char *copy_path;
	int copy = wants_dwarf(mod) ? debugcache_inflated(fd, &copy_path) : -1;
	if (copy >= 0) {
		close(fd);
		free(path);
		fd = copy;
		path = copy_path;
	}
	free(*debuginfo_file_name);
	*debuginfo_file_name = path;
	return fd;
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	(void)mod;
	(void)userdata;
	(void)elfp;
	struct unwinder *u = g_reporting;
	if (!u)
		return -1;
	struct snapshot *snap = u->snap;
	/* The input knows its files better (a core: -e EXE, --sysroot, build-ids). */
	if (snap->open_module)
		return snap->open_module(snap, modname, base, file_name);
	if (modname[0] != '/')
		return -1;
	char *clean = xstrdup(modname);
	char *del = strstr(clean, " (deleted)");
	if (del && del[10] == 0)
		*del = 0;
	char *rooted = snap->root ? xasprintf("%s%s", snap->root, clean) : xstrdup(clean);
	int fd = -1;
	/* The exact file the target mapped, even if deleted or replaced. */
	if (snap->source == SNAP_LIVE) {
		const struct snap_map *m = snapshot_find_map(snap, base);
		if (m) {
			char *mf = xasprintf("/proc/%d/map_files/%" PRIx64 "-%" PRIx64, snap->pid, m->start, m->end);
			fd = open_module_file(mf);
			free(mf);
		}
	}
	if (fd < 0)
		fd = open_module_file(rooted);
	if (fd < 0 && snap->root && snap->source != SNAP_LIVE)
		fd = open_module_file(clean);
	/* Debug files are searched relative to the real path. */
	if (access(rooted, F_OK) == 0) {
		*file_name = rooted;
	} else {
		free(rooted);
		*file_name = xstrdup(clean);
	}
	free(clean);
	if (fd < 0) {
		free(*file_name);
		*file_name = NULL;
		/* its files went with it (map_files, /proc/PID/root) */
		if (snap->source == SNAP_LIVE)
			capture_live_note_gone();
	}
	return fd;
}

static int load_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)name;
	(void)start;
	(void)arg;
	Dwarf_Addr bias;
	dwfl_module_getelf(mod, &bias);
	return DWARF_CB_OK;
}

/* The vdso has no file: report it from its bytes in the target. */
static void report_vdso(struct unwinder *u)
{
	struct snapshot *snap = u->snap;
	for (size_t i = 0; i < snap->nmaps; i++) {
		const struct snap_map *m = &snap->maps[i];
		if (!m->path || strcmp(m->path, "[vdso]") != 0)
			continue;
		size_t len = (size_t)(m->end - m->start);
		if (len > (1u << 20))
			return;
		unsigned char *buf = xmalloc(len);
		size_t got = snapshot_read(snap, m->start, buf, len);
		int fd = -1;
		if (got == len && memcmp(buf, "\177ELF", 4) == 0)
			fd = memfd_create("vdso", MFD_CLOEXEC);
		if (fd >= 0 && write(fd, buf, len) == (ssize_t)len)
			dwfl_report_elf(u->dwfl, "[vdso]", "[vdso]", fd, m->start, false);
		else if (fd >= 0)
			close(fd);
		free(buf);
		return;
	}
}

static struct pu_error *report_modules(struct unwinder *u)
{
	struct snapshot *snap = u->snap;
	dwfl_report_begin(u->dwfl);
	if (snap->report_modules) {
		int r = snap->report_modules(snap, u->dwfl);
		if (r < 0)
			return pu_error_new(PU_EXIT_USAGE, "dwfl_core_file_report: %s", dwfl_errmsg(-1));
		if (r == 1)
			report_vdso(u);
	} else {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (!f)
			return &pu_enomem;
		for (size_t i = 0; i < snap->nmaps; i++) {
			const struct snap_map *m = &snap->maps[i];
			/* Files only: shared memory (memfd, SysV, /dev/shm and the
			 * like) is no module, and twenty of them in a Chromium
			 * process would make the program's symbol-cache key ambiguous
			 * (symcache.h). */
			if (!m->path || m->path[0] != '/' || strncmp(m->path, "/memfd:", 7) == 0 || strncmp(m->path, "/SYSV", 5) == 0 ||
			    strncmp(m->path, "/dev/", 5) == 0)
				continue;
			fprintf(f, "%" PRIx64 "-%" PRIx64 " %s %" PRIx64 " 00:01 %" PRIu64 " %s\n", m->start, m->end,
				m->perms[0] ? m->perms : "r--p", m->offset, m->inode ? m->inode : (uint64_t)i + 1, m->path);
		}
		fclose(f);
		FILE *r = fmemopen(text, len ? len : 1, "r");
		if (r) {
			if (len)
				dwfl_linux_proc_maps_report(u->dwfl, r);
			fclose(r);
		}
		free(text);
		report_vdso(u);
	}
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0)
		return pu_error_new(PU_EXIT_USAGE, "dwfl_report_end: %s", dwfl_errmsg(-1));
	dwfl_getmodules(u->dwfl, load_module, NULL, 0);
	return NULL;
}

/* --- walking: an engine gives pcs --------------------------------------- */

/* The executable's entry function: its FDE's range, found once. */
static void find_entry(struct unwinder *u)
{
	u->entry_done = true;
	struct snapshot *snap = u->snap;
	const char *exe = snap->exe;
	for (size_t i = 0; exe && i < snap->nmaps; i++) {
		const struct snap_map *m = &snap->maps[i];
		if (!m->path || strcmp(m->path, exe) != 0)
			continue;
		Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, m->start);
		Dwarf_Addr bias;
		Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
		GElf_Ehdr eh;
		if (!elf || !gelf_getehdr(elf, &eh) || !eh.e_entry)
			return;
		uint64_t entry = eh.e_entry + bias;
		if (!cfirows_fde_range(u->rows, entry, &u->entry_lo, &u->entry_hi)) {
			/* No CFI for it: the instructions right after the entry. */
			u->entry_lo = entry;
			u->entry_hi = entry + 64;
		}
		return;
	}
}

/* Did the walk reach the thread's first frame?  What the unwinder knows
 * says so: the CFI marks the return address undefined there (glibc's
 * _start, clone, clone3), or the frame is the executable's entry. */
static bool reached_entry(struct unwinder *u, const struct unwind_walk *w)
{
	if (!w->ended || !w->n)
		return false;
	uint64_t pc = w->pc[w->n - 1], lookup = w->act[w->n - 1] ? pc : pc - 1;
	if (cfirows_ra_undefined(u->rows, lookup) == 1)
		return true;
	if (!u->entry_done)
		find_entry(u);
	return u->entry_hi && lookup >= u->entry_lo && lookup < u->entry_hi;
}

/* Each caller's stack pointer lies above its callee's: the callee's return
 * address sits between them.  A wrong frame-pointer guess breaks this. */
static bool sp_increasing(const struct unwind_walk *w)
{
	for (int i = 1; i < w->n; i++)
		if (w->sp[i] && w->sp[i - 1] && w->sp[i] <= w->sp[i - 1])
			return false;
	return true;
}

static bool in_exec_map(const struct snapshot *snap, uint64_t addr)
{
	const struct snap_map *m = snapshot_find_map(snap, addr);
	return m && m->perms[2] == 'x';
}

/* --- the frame pointer of a thread read without a stop ------------------
 *
 * A thread read from /proc knows only sp and pc.  Code that keeps its
 * frame base in rbp (-O0, -fno-omit-frame-pointer, alloca) needs rbp,
 * which the kernel does not show without a stop.  While such a function
 * calls down into the library, rbp holds the address of the slot where it
 * saved its caller's rbp, followed by its return address.  Candidates are
 * the stack slots followed by an address in code; a guess is kept only
 * when its walk reaches the thread's entry frame with stack pointers
 * increasing and is consistent with the code: every return address
 * follows a call instruction, a direct call there goes to the function
 * the callee frame is in, and the guessed frame base is where that
 * function's prologue puts it.  Stale frame records left in the function's
 * locals by earlier calls fail these, though their chains rejoin the real
 * one and reach the entry frame. */

/* How the instruction before a return address calls. */
enum call_kind { CALL_NONE, CALL_INDIRECT, CALL_DIRECT };

static enum call_kind call_before(struct unwinder *u, uint64_t ra, uint64_t *target)
{
	unsigned char b[8];
	if (ra < 8 || !unwind_mem_read(&u->mem, ra - 8, b, 8))
		return CALL_NONE;
	if (b[3] == 0xe8) { /* call rel32 */
		int32_t rel;
		memcpy(&rel, b + 4, 4);
		*target = ra + (uint64_t)(int64_t)rel;
		return CALL_DIRECT;
	}
	/* ff /2: call through a register or memory, 2 to 7 bytes (with a
	 * REX prefix one more): ModRM's reg field is 2, and the length its
	 * mod and r/m fields imply ends at ra. */
	for (int len = 2; len <= 8; len++) {
		const unsigned char *p = b + 8 - len;
		int k = 0;
		if ((p[0] & 0xf0) == 0x40)
			k = 1; /* REX */
		if (p[k] != 0xff || ((p[k + 1] >> 3) & 7) != 2)
			continue;
		unsigned mod = p[k + 1] >> 6, rm = p[k + 1] & 7;
		int want = k + 2;
		if (mod != 3 && rm == 4)
			want++; /* SIB */
		if (mod == 1)
			want += 1;
		else if (mod == 2 || (mod == 0 && rm == 5))
			want += 4;
		else if (mod == 0 && rm == 4 && (p[k + 2] & 7) == 5)
			want += 4; /* SIB with no base: disp32 */
		if (want == len)
			return CALL_INDIRECT;
	}
	return CALL_NONE;
}

/* How far below its frame base a function keeps its stack pointer at its
 * calls, from its prologue: push %rbp; mov %rsp,%rbp; pushes of saved
 * registers; sub $N,%rsp (endbr64 first, with CET).  -1 when the
 * function starts some other way. */
static int64_t frame_size(struct unwinder *u, uint64_t fn)
{
	unsigned char b[32];
	if (!unwind_mem_read(&u->mem, fn, b, 8) || !unwind_mem_read(&u->mem, fn + 8, b + 8, 8) ||
	    !unwind_mem_read(&u->mem, fn + 16, b + 16, 8) || !unwind_mem_read(&u->mem, fn + 24, b + 24, 8))
		return -1;
	size_t i = 0;
	if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
		i = 4;
	if (b[i] != 0x55 || b[i + 1] != 0x48 || b[i + 2] != 0x89 || b[i + 3] != 0xe5)
		return -1;
	i += 4;
	int64_t size = 0;
	while (i < 28) {
		if (b[i] >= 0x53 && b[i] <= 0x57 && b[i] != 0x54 && b[i] != 0x55) { /* push rbx, rsi, rdi */
			size += 8;
			i++;
		} else if (b[i] == 0x41 && b[i + 1] >= 0x50 && b[i + 1] <= 0x57) { /* push r8..r15 */
			size += 8;
			i += 2;
		} else {
			break;
		}
	}
	if (i + 4 <= 32 && b[i] == 0x48 && b[i + 1] == 0x83 && b[i + 2] == 0xec)
		size += b[i + 3];
	else if (i + 7 <= 32 && b[i] == 0x48 && b[i + 1] == 0x81 && b[i + 2] == 0xec) {
		uint32_t imm;
		memcpy(&imm, b + i + 3, 4);
		size += imm;
	}
	return size;
}

/* Where the function holding pc starts, for code without CFI (built
 * with frame pointers and no unwind tables, as Chromium is): the nearest
 * frame-pointer prologue below it, at a 16-byte boundary after padding
 * or a return, within 32 KB; 0 if none. */
static uint64_t prologue_below(struct unwinder *u, uint64_t pc)
{
	enum { BLOCK = 4096, SCAN = 32768 };
	unsigned char b[BLOCK + 8];
	/* blocks [base, top), read with the byte before each candidate */
	for (uint64_t top = (pc & ~(uint64_t)15) + 16; top + SCAN > pc && top >= BLOCK + 8;) {
		uint64_t base = top - BLOCK;
		if (!unwind_mem_read(&u->mem, base - 8, b, BLOCK + 8))
			return 0;
		for (uint64_t a = top - 16;; a -= 16) {
			const unsigned char *p = b + 8 + (a - base);
			if (a + 4 <= pc + 1 && p[0] == 0x55 && p[1] == 0x48 && p[2] == 0x89 && p[3] == 0xe5 &&
			    (p[-1] == 0xcc || p[-1] == 0x90 || p[-1] == 0xc3))
				return a;
			if (a == base)
				break;
		}
		top = base;
	}
	return 0;
}

/* How well a walk from a guessed frame pointer fits the code, from frame
 * `from` (the first whose caller the guess decided) on; false when it
 * cannot be right. */
struct fit {
	int mismatches; /* direct calls to some other function */
	int matches;    /* direct calls to the callee's function */
};

static bool walk_fits(struct unwinder *u, const struct unwind_walk *w, int from, uint64_t rbp, struct fit *fit)
{
	fit->mismatches = fit->matches = 0;
	for (int i = from + 1; i < w->n; i++) {
		if (w->act[i])
			continue; /* interrupted by a signal: not a call */
		uint64_t target = 0, lo, hi;
		enum call_kind k = call_before(u, w->pc[i], &target);
		if (k == CALL_NONE)
			return false;
		uint64_t callee = w->act[i - 1] ? w->pc[i - 1] : w->pc[i - 1] - 1;
		if (k != CALL_DIRECT)
			continue;
		uint64_t tlo, thi;
		/* With CET, functions start with endbr64, and gcc's FDEs after it. */
		unsigned char eb[4];
		if (unwind_mem_read(&u->mem, target, eb, 4) && eb[0] == 0xf3 && eb[1] == 0x0f && eb[2] == 0x1e && eb[3] == 0xfa)
			target += 4;
		if (!cfirows_fde_range(u->rows, callee, &lo, &hi) || callee >= hi) {
			/* No CFI for the callee (code built without unwind tables,
			 * unwound by its frame pointers): a direct call to it goes
			 * to some address not far below it. */
			if (target > callee || callee - target > MAX_FUNCTION)
				fit->mismatches++;
			continue;
		}
		if (target == lo)
			fit->matches++;
		else if (cfirows_fde_range(u->rows, target, &tlo, &thi) && tlo == target && in_exec_map(u->snap, target)) {
			/* A call to the start of another function.  A PLT stub or
			 * a tail-calling function would do that too: only a count. */
			fit->mismatches++;
		}
	}
	/* The guessed frame base against the prologue of the function that
	 * keeps it: rbp - sp is at least the frame the prologue made. */
	uint64_t lo, hi, pc = w->pc[from], sp = w->sp[from], fn = w->act[from] ? pc : pc - 1;
	if (!cfirows_fde_range(u->rows, fn, &lo, &hi))
		lo = prologue_below(u, fn);
	if (sp && lo) {
		int64_t size = frame_size(u, lo);
		if (size >= 0 && (rbp < sp || (int64_t)(rbp - sp) < size))
			return false;
	}
	return true;
}

/* Candidate slots for the frame base, innermost first: a slot holding a
 * higher address on the same stack (or 0, at the outermost frame) and
 * then an address in code. */
static size_t fp_candidates(struct unwinder *u, struct snap_thread *t, uint64_t *out)
{
	struct mem_region *st = &t->stack;
	size_t n = 0;
	if (!st->data)
		return 0;
	for (size_t off = 0; n < MAX_FP_CANDIDATES; off += 8) {
		if (off + 16 > st->len && !snapshot_region_extend(u->snap, st, st->addr + off + 8))
			break;
		uint64_t slot = st->addr + off, saved, ret;
		memcpy(&saved, st->data + off, 8);
		memcpy(&ret, st->data + off + 8, 8);
		(void)saved; /* in -O2 callers rbp is a general register */
		if (!in_exec_map(u->snap, ret))
			continue;
		out[n++] = slot;
	}
	return n;
}

static void walk_with(struct unwinder *u, struct unwind_engine *e, struct snap_thread *t, const struct snap_regs *r,
		      struct unwind_walk *w)
{
	u->mem.cur = t;
	e->walk(e, r, w);
	u->mem.cur = NULL;
}

/* The thread's frame pointer guessed (see above): the walk kept in *w and
 * the slot, or 0. */
static uint64_t recover_fp(struct unwinder *u, struct unwind_engine *e, struct snap_thread *t, struct unwind_walk *w)
{
	uint64_t sp = t->regs.r[SNAP_REG_RSP], pc0 = w->n ? w->pc[0] : 0, pc_end = w->n ? w->pc[w->n - 1] : 0;
	int from = w->n - 1; /* the frame whose caller needs rbp */
	struct fp_hint *hint = NULL;
	for (size_t i = 0; i < u->nhints && !hint; i++)
		if (u->hints[i].pc0 == pc0 && u->hints[i].pc_end == pc_end)
			hint = &u->hints[i];
	struct unwind_walk *try = xmalloc(sizeof(*try)), *best = xmalloc(sizeof(*best));
	best->n = 0;
	uint64_t best_slot = 0;
	struct fit fit, best_fit = {0, 0};
	if (hint) {
		struct snap_regs r = t->regs;
		r.r[SNAP_REG_RBP] = sp + hint->delta;
		r.valid |= 1u << SNAP_REG_RBP;
		walk_with(u, e, t, &r, try);
		if (try->n == hint->n && reached_entry(u, try) && sp_increasing(try) &&
		    walk_fits(u, try, from, r.r[SNAP_REG_RBP], &fit)) {
			*best = *try;
			best_slot = r.r[SNAP_REG_RBP];
		}
	}
	if (!best->n && from >= 0) {
		/* The best fit to the code; among equals, the innermost slot
		 * that fits the prologue (an outer function's slot fits too,
		 * but skips frames). */
		uint64_t cand[MAX_FP_CANDIDATES];
		size_t nc = fp_candidates(u, t, cand);
		for (size_t i = 0; i < nc; i++) {
			struct snap_regs r = t->regs;
			r.r[SNAP_REG_RBP] = cand[i];
			r.valid |= 1u << SNAP_REG_RBP;
			walk_with(u, e, t, &r, try);
			bool ok = try->n > w->n && reached_entry(u, try) && sp_increasing(try) && walk_fits(u, try, from, cand[i], &fit);
			if (!ok)
				continue;
			if (best->n && (fit.mismatches > best_fit.mismatches ||
					(fit.mismatches == best_fit.mismatches && fit.matches <= best_fit.matches)))
				continue;
			*best = *try;
			best_slot = cand[i];
			best_fit = fit;
		}
		if (best->n && u->nhints < FP_CACHE)
			u->hints[u->nhints++] = (struct fp_hint){pc0, pc_end, best_slot - sp, best->n};
	}
	bool found = best->n > 0;
	if (found)
		*w = *best;
	free(try);
	free(best);
	return found ? best_slot : 0;
}

/* What walking a thread gave, until the symbols pass turns it into frames. */
struct thread_walk {
	struct unwind_walk w;
	const char *engine; /* set when not the default engine's walk */
	int guessed_from;   /* physical frames from here on rest on a guessed frame pointer; -1 none */
	bool complete;      /* reached the entry frame */
};

/* The walk of one engine, its frame pointer recovered where the thread
 * was read without a stop and the walk ends early for want of it. */
static void walk_engine(struct unwinder *u, struct unwind_engine *e, struct snap_thread *t, struct thread_walk *tw,
			struct unwind_stats *stats)
{
	walk_with(u, e, t, &t->regs, &tw->w);
	tw->guessed_from = -1;
	tw->complete = reached_entry(u, &tw->w);
	if (tw->complete || t->how != SNAP_HOW_SYSCALL || (t->regs.valid & (1u << SNAP_REG_RBP)))
		return;
	int n0 = tw->w.n;
	uint64_t slot = recover_fp(u, e, t, &tw->w);
	if (!slot)
		return;
	tw->complete = true;
	tw->guessed_from = n0;
	if (stats)
		stats->recovered++;
	/* Kept: a core written from this snapshot (--gcore) carries it. */
	t->regs.r[SNAP_REG_RBP] = slot;
	t->regs.valid |= 1u << SNAP_REG_RBP;
}

static bool in_go(const struct unwinder *u, uint64_t pc);

/* C frames that return into Go code (a cgo call, a thread in the vdso or
 * libc under the Go runtime): Go code has no CFI, so what an engine makes
 * of its frames is not to be trusted; the walk ends at the first Go frame,
 * and go/golang.c goes on from it with the pclntab. */
static bool go_seam(struct unwinder *u, struct snap_thread *t, struct thread_walk *tw)
{
	struct unwind_walk *w = &tw->w;
	if (!u->ngo || !w->n || in_go(u, w->pc[0]))
		return false; /* a thread in Go code is go/golang.c's from the start */
	for (int i = 1; i < w->n; i++) {
		if (w->act[i] || !in_go(u, w->pc[i]))
			continue;
		t->go_resume.valid = w->sp[i] != 0;
		t->go_resume.pc = w->pc[i];
		t->go_resume.sp = w->sp[i];
		w->n = i;
		if (tw->guessed_from >= i)
			tw->guessed_from = -1;
		if (!t->go_resume.valid)
			snprintf(w->err, sizeof(w->err), "the stack goes on in Go code at 0x%" PRIx64 " with an unknown stack pointer",
				 w->pc[i]);
		w->ended = t->go_resume.valid;
		tw->complete = t->go_resume.valid; /* golang.c decides */
		return true;
	}
	return false;
}

static struct unwind_engine *engine_get(struct unwinder *u, enum unwind_engine_id id)
{
	if (id == UNWIND_LIBUNWIND && !u->lu && !u->lu_failed) {
		u->lu = unwind_libunwind_create(&u->mem);
		u->lu_failed = !u->lu;
	}
	return id == UNWIND_LIBUNWIND ? u->lu : u->dw;
}

static bool same_pcs(const struct unwind_walk *a, const struct unwind_walk *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->pc[i] != b->pc[i])
			return false;
	return true;
}

/* --cross-check: the other engine walks the thread too (from the same
 * registers, the recovered frame pointer included), and where the two
 * differ, stderr says so. */
static void cross_check(struct unwinder *u, struct snap_thread *t, const struct thread_walk *tw, struct unwind_engine *other,
			struct unwind_stats *stats)
{
	struct thread_walk *ow = xmalloc(sizeof(*ow));
	walk_with(u, other, t, &t->regs, &ow->w);
	ow->complete = reached_entry(u, &ow->w);
	if (!same_pcs(&tw->w, &ow->w)) {
		const char *mine = tw->engine ? tw->engine : u->dw->name;
		int k = 0;
		while (k < tw->w.n && k < ow->w.n && tw->w.pc[k] == ow->w.pc[k])
			k++;
		fprintf(stderr, "pileup: --cross-check: thread %d: %s and %s differ from frame %d on (", (int)t->tid, mine,
			other->name, k);
		if (k < tw->w.n)
			fprintf(stderr, "%s 0x%" PRIx64, mine, tw->w.pc[k]);
		else
			fprintf(stderr, "%s has no frame", mine);
		if (k < ow->w.n)
			fprintf(stderr, ", %s 0x%" PRIx64 ")", other->name, ow->w.pc[k]);
		else
			fprintf(stderr, ", %s has no frame)", other->name);
		fprintf(stderr, ": %s %d frames%s, %s %d frames%s\n", mine, tw->w.n, tw->complete ? " to the entry frame" : " (ends early)",
			other->name, ow->w.n, ow->complete ? " to the entry frame" : " (ends early)");
		stats->disagreements++;
	}
	stats->cross_checked++;
	free(ow);
}

/* Walks a thread into u->tw[t - threads]: the chosen engine; with the
 * default choice, libunwind's walk where libdw's ends early and
 * libunwind's reaches the entry frame. */
static void unwind_thread(struct unwinder *u, struct snap_thread *t, struct unwind_stats *stats)
{
	size_t idx = (size_t)(t - u->snap->threads);
	struct thread_walk *tw = xmalloc(sizeof(*tw));
	free(u->tw[idx]);
	u->tw[idx] = tw;
	tw->engine = NULL;
	struct unwind_engine *first = engine_get(u, u->choice == UNWIND_LIBUNWIND ? UNWIND_LIBUNWIND : UNWIND_LIBDW);
	if (!first) {
		tw->w.n = 0;
		tw->w.ended = false;
		tw->complete = false;
		tw->guessed_from = -1;
		snprintf(tw->w.err, sizeof(tw->w.err), "libunwind could not make an address space");
		return;
	}
	t->go_resume.valid = false;
	walk_engine(u, first, t, tw, stats);
	if (first != u->dw)
		tw->engine = first->name;
	bool seam = go_seam(u, t, tw);
	if (!seam && !tw->complete && u->choice == UNWIND_AUTO && !u->cross) {
		struct unwind_engine *lu = engine_get(u, UNWIND_LIBUNWIND);
		struct thread_walk *alt = lu ? xmalloc(sizeof(*alt)) : NULL;
		if (alt) {
			walk_engine(u, lu, t, alt, NULL);
			go_seam(u, t, alt);
			if (alt->complete) {
				alt->engine = lu->name;
				*tw = *alt;
				stats->fallbacks++;
			}
			free(alt);
		}
	}
	if (u->cross) {
		struct unwind_engine *other = engine_get(u, first == u->dw ? UNWIND_LIBUNWIND : UNWIND_LIBDW);
		if (other)
			cross_check(u, t, tw, other, stats);
	}
	stats->frames += (size_t)tw->w.n;
}

/* --- symbols: one pass over the walks, for every engine ----------------- */

static void symbolize_thread(struct unwinder *u, struct snap_thread *t)
{
	size_t idx = (size_t)(t - u->snap->threads);
	struct thread_walk *tw = u->tw[idx];
	if (!tw)
		return;
	const struct unwind_walk *w = &tw->w;
	/* Each distinct pc once for the whole snapshot; between physical
	 * frames, the frames tail calls removed put back. */
	size_t cap = 0;
	for (int i = 0; i < w->n; i++) {
		uint64_t tails[TAILCALL_MAX];
		size_t ntails = i + 1 < w->n ? tailcalls_between(u->tails, w->pc[i], w->act[i], w->pc[i + 1], tails) : 0;
		for (size_t k = 0; k <= ntails; k++) {
			bool tail = k > 0;
			size_t n;
			const struct frame *f = symbols_lookup(u->sym, tail ? tails[k - 1] : w->pc[i], tail ? false : w->act[i], &n);
			xgrow(&t->frames, &cap, t->nframes + n, sizeof(*t->frames));
			memcpy(t->frames + t->nframes, f, n * sizeof(*f));
			for (size_t m = 0; m < n; m++) {
				struct frame *fr = &t->frames[t->nframes + m];
				fr->tail_call = tail;
				fr->engine = tw->engine;
				fr->fp_guessed = tw->guessed_from >= 0 && i >= tw->guessed_from;
			}
			t->nframes += n;
		}
	}
	if (!tw->complete && !t->error && atomic_load(&g_out_of_fds))
		t->error = xasprintf("unwinding stopped after %d frames: %s (pileup ran out of file descriptors opening the "
				     "program's files; raise the limit ('ulimit -n'))", w->n, w->err[0] ? w->err : "no caller");
	if (!tw->complete && !t->error) {
		if (w->ended && t->how == SNAP_HOW_SYSCALL && !(t->regs.valid & (1u << SNAP_REG_RBP)))
			t->error = xstrdup("the stack ends early: its frame pointer is unknown without stopping the thread "
					   "(--stop-all reads it)");
		else if (w->ended)
			t->error = xasprintf("unwinding stopped after %d frames: the call-frame information gives no caller of "
					     "0x%" PRIx64 ", and it is not the thread's entry frame", w->n, w->n ? w->pc[w->n - 1] : 0);
		else if (w->n == 0)
			t->error = xasprintf("no frames: %s", w->err);
		else
			t->error = xasprintf("unwinding stopped after %d frames: %s", w->n, w->err);
	}
	free(tw);
	u->tw[idx] = NULL;
}

/* A Go executable: its sections say so, or without them its pclntab. */
static bool is_go_elf(Elf *elf)
{
	return gobin_elf_is_go(elf);
}

static int find_go_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)name;
	(void)start;
	struct unwinder *u = arg;
	Dwarf_Addr bias;
	uint64_t lo, hi;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	/* Its Go functions, not the whole module: a cgo program's C code
	 * has CFI, and is unwound here like any other. */
	if (u->ngo < sizeof(u->go) / sizeof(*u->go) && is_go_elf(elf) && gobin_elf_go_text(elf, &lo, &hi)) {
		u->go[u->ngo].lo = lo + bias;
		u->go[u->ngo++].hi = hi + bias;
	}
	return DWARF_CB_OK;
}

static bool in_go(const struct unwinder *u, uint64_t pc)
{
	for (size_t i = 0; i < u->ngo; i++)
		if (pc >= u->go[i].lo && pc < u->go[i].hi)
			return true;
	return false;
}

const char *unwind_build_id(const struct snapshot *snap, const char *module)
{
	const struct unwinder *u = snap->unwind_state;
	return u && u->sym && snap->unwind_free == unwinder_free ? symbols_build_id(u->sym, module) : NULL;
}

static struct unwinder *unwinder_new(struct snapshot *snap, const char *debuginfo_path)
{
	struct unwinder *u = xcalloc(1, sizeof(*u));
	u->snap = snap;
	u->debuginfo_path = debuginfo_path && *debuginfo_path ? xasprintf("-:.debug:/usr/lib/debug:%s", debuginfo_path)
							      : xstrdup("-:.debug:/usr/lib/debug");
	u->cbs.find_elf = find_elf;
	u->cbs.find_debuginfo = find_debuginfo;
	g_debuginfo_path = u->debuginfo_path;
	u->cbs.section_address = dwfl_offline_section_address;
	u->cbs.debuginfo_path = &u->debuginfo_path;
	return u;
}

static struct pu_error *unwinder_report(struct unwinder *u)
{
	u->dwfl = dwfl_begin(&u->cbs);
	if (!u->dwfl)
		return pu_error_new(PU_EXIT_USAGE, "dwfl_begin: %s", dwfl_errmsg(-1));
	g_reporting = u;
	struct pu_error *err = report_modules(u);
	g_reporting = NULL;
	return err;
}

/* Opens the symbol cache; false when no earlier run of this program left
 * its symbols.  Then the debug information will be read: megabytes of
 * heap (memory.h). */
static bool open_cache(struct unwinder *u)
{
	u->cache_tried = true;
	u->cache = symcache_open(u->dwfl, u->debuginfo_path);
	struct symcache_stats st;
	symcache_stats(u->cache, &st);
	if (!st.file_found)
		memory_expect_growth();
	return st.file_found;
}

static void *prefetch_main(void *arg)
{
	struct unwinder *u = arg;
	struct prefetch *p = u->pre;
	p->err = unwinder_report(u);
	/* An earlier run of this program left its symbols: the debug info
	 * may not be needed at all (symcache.h). */
	bool found = !p->err && open_cache(u);
	t_want_dwarf = true;
	for (size_t i = 0; !p->err && !found && i < p->npcs; i++) {
		Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, p->pcs[i]);
		Dwarf_Addr bias;
		/* Not a Go executable's: go/golang.c walks its threads. */
		if (mod && !is_go_elf(dwfl_module_getelf(mod, &bias)))
			dwfl_module_getdwarf(mod, &bias);
	}
	return NULL;
}

void unwind_prefetch(struct snapshot *snap, const uint64_t *pcs, size_t npcs)
{
	if (snap->unwind_state || snap->report_modules || snap->open_module || getenv("PILEUP_NO_PREFETCH"))
		return;
	struct unwinder *u = unwinder_new(NULL, NULL);
	struct prefetch *p = xcalloc(1, sizeof(*p));
	p->shadow = *snap;
	p->shadow.maps = xmalloc((snap->nmaps ? snap->nmaps : 1) * sizeof(*snap->maps));
	memcpy(p->shadow.maps, snap->maps, snap->nmaps * sizeof(*snap->maps));
	p->shadow.cap_maps = snap->nmaps;
	p->shadow.threads = NULL;
	p->shadow.nthreads = p->shadow.cap_threads = 0;
	p->shadow.strings = NULL;
	p->pcs = xmalloc((npcs ? npcs : 1) * sizeof(*pcs));
	memcpy(p->pcs, pcs, npcs * sizeof(*pcs));
	p->npcs = npcs;
	u->snap = &p->shadow;
	u->pre = p;
	if (pthread_create(&p->thread, NULL, prefetch_main, u) != 0) {
		free(p->shadow.maps);
		free(p->pcs);
		free(p);
		u->pre = NULL;
		unwinder_free(u);
		return;
	}
	snap->unwind_state = u;
	snap->unwind_free = unwinder_free;
}

/* The modules of every walk's pcs: their DWARF is read next. */
static void mark_dwarf_modules(struct unwinder *u)
{
	size_t cap = 0;
	g_ndwarf_mods = 0;
	for (size_t i = 0; i < u->ntw; i++) {
		const struct thread_walk *tw = u->tw[i];
		for (int k = 0; tw && k < tw->w.n; k++) {
			Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, tw->w.act[k] ? tw->w.pc[k] : tw->w.pc[k] - 1);
			if (!mod || wants_dwarf(mod))
				continue;
			xgrow(&g_dwarf_mods, &cap, g_ndwarf_mods + 1, sizeof(*g_dwarf_mods));
			g_dwarf_mods[g_ndwarf_mods++] = mod;
		}
	}
}

/* Whether a module has debug information here: in its file, or a
 * separate debug file that opens. */
static bool has_local_debug(struct unwinder *u, Dwfl_Module *mod)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	if (!elf || gobin_find_section(elf, ".debug_info", NULL))
		return true; /* no file: nothing to ask for either */
	const char *mainfile = NULL;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
	char hex[2 * 64 + 1] = "";
	elf_build_id_hex(elf, hex);
	GElf_Word crc;
	const char *link = dwelf_elf_gnu_debuglink(elf, &crc);
	char *path = NULL;
	struct debuginfod *saved = g_debuginfod;
	g_debuginfod = NULL;
	int fd = open_debug_file(u->debuginfo_path, hex, mainfile, link, &path);
	g_debuginfod = saved;
	free(path);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* --debuginfod: the modules walks went through that have no debug
 * information here are asked of the servers, all at once, within the
 * run's time limit; what they send is used as if it were installed. */
static void fetch_missing(struct unwinder *u, struct unwind_stats *stats)
{
	const char **ids = NULL;
	size_t n = 0, cap = 0;
	Dwfl_Module **mods = NULL;
	size_t capm = 0;
	for (size_t i = 0; i < u->ntw; i++) {
		const struct thread_walk *tw = u->tw[i];
		for (int k = 0; tw && k < tw->w.n; k++) {
			uint64_t pc = tw->w.act[k] ? tw->w.pc[k] : tw->w.pc[k] - 1;
			Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, pc);
			bool seen = !mod;
			for (size_t j = 0; j < n && !seen; j++)
				seen = mods[j] == mod;
			if (seen)
				continue;
			const unsigned char *bits;
			GElf_Addr vaddr;
			int len = dwfl_module_build_id(mod, &bits, &vaddr);
			if (len <= 0 || len > 64 || has_local_debug(u, mod))
				continue;
			char hex[2 * 64 + 1];
			for (int b = 0; b < len; b++)
				snprintf(hex + 2 * b, 3, "%02x", bits[b]);
			xgrow(&ids, &cap, n + 1, sizeof(*ids));
			xgrow(&mods, &capm, n + 1, sizeof(*mods));
			ids[n] = strpool_intern(u->snap->strings, hex);
			mods[n++] = mod;
		}
	}
	if (n)
		debuginfod_fetch(u->dfd, ids, n);
	stats->debuginfod_asked = n;
	stats->debuginfod_found = debuginfod_found(u->dfd);
	free(ids);
	free(mods);
}

struct pu_error *unwind_snapshot(struct snapshot *snap, const struct unwind_opts *o, struct unwind_stats *stats)
{
	struct unwind_stats dummy;
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	const char *dpath = o ? o->debuginfo_path : NULL;
	struct unwinder *u = NULL;
	if (snap->unwind_state && snap->unwind_free == unwinder_free) {
		struct unwinder *old = snap->unwind_state;
		/* Loaded ahead with the default search path: take it. */
		if (old->pre && !old->sym && !(dpath && *dpath) && !(o && o->debuginfod)) {
			pthread_join(old->pre->thread, NULL);
			struct pu_error *perr = old->pre->err;
			old->pre->err = NULL;
			prefetch_release(old);
			old->snap = snap;
			/* Short of descriptors while the capture held them: its
			 * modules are opened again now that they are free. */
			if (!perr && !atomic_exchange(&g_out_of_fds, 0))
				u = old;
			else
				pu_error_free(perr);
		}
		if (!u)
			unwinder_free(old);
		snap->unwind_state = NULL;
	}
	struct pu_error *err = NULL;
	timing_begin("unwind");
	if (!u) {
		atomic_store(&g_out_of_fds, 0);
		u = unwinder_new(snap, dpath);
		if (o && o->debuginfod)
			u->dfd = debuginfod_create(o->debuginfod_urls, o->debuginfod_seconds);
		g_debuginfod = u->dfd;
		err = unwinder_report(u);
	}
	timing_mark("unwind", "modules");
	snap->unwind_state = u;
	snap->unwind_free = unwinder_free;
	if (err)
		return err;
	if (!u->cache_tried)
		open_cache(u);
	u->si = symindex_create(u->dwfl);
	timing_mark("unwind", "symbol cache");
	u->rows = cfirows_create(u->dwfl, u->cache);
	u->mem = (struct unwind_mem){.snap = snap, .dwfl = u->dwfl};
	u->choice = o ? o->unwinder : UNWIND_AUTO;
	u->cross = o && o->cross_check;
	char *emsg = NULL;
	u->dw = unwind_libdw_create(&u->mem, getenv("PILEUP_SLOW_UNWIND") ? NULL : u->rows, snap->machine_elf, &emsg);
	if (!u->dw) {
		err = pu_error_new(PU_EXIT_USAGE, "%s", emsg);
		free(emsg);
		return err;
	}
	u->ntw = snap->nthreads;
	u->tw = xcalloc(u->ntw ? u->ntw : 1, sizeof(*u->tw));
	/* Loading a Go executable's DWARF (compressed, for its CFI) costs more
	 * than walking all its threads: go/golang.c walks threads in Go code from
	 * the pclntab, and unwind_finish() takes the ones it could not. */
	if (o && o->defer_go && !getenv("PILEUP_GO_DWFL"))
		dwfl_getmodules(u->dwfl, find_go_module, u, 0);
	t_want_dwarf = true;
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (t->how == SNAP_HOW_NONE || t->how == SNAP_HOW_SAVED)
			continue;
		if (!(t->regs.valid & (1u << SNAP_REG_RIP))) {
			if (!t->error)
				t->error = xstrdup("no registers");
			continue;
		}
		if (u->ngo && (t->regs.valid & (1u << SNAP_REG_RSP)) && in_go(u, t->regs.r[SNAP_REG_RIP])) {
			t->unwind_deferred = true;
			continue;
		}
		unwind_thread(u, t, stats);
	}
	t_want_dwarf = false;
	timing_mark("unwind", "threads");
	struct symcache *syms = u->cache;
	if (u->dfd) {
		fetch_missing(u, stats);
		timing_mark("unwind", "debuginfod");
		/* What earlier runs symbolized without these files is no answer
		 * now: symbols are cached under a key that names them. */
		char *key = debuginfod_key(u->dfd, u->debuginfo_path);
		if (key) {
			u->cache_dl = symcache_open(u->dwfl, key);
			syms = u->cache_dl;
			free(key);
		}
	}
	u->sym = symbols_create(snap, u->dwfl, u->si, syms);
	u->tails = tailcalls_create(u->dwfl, u->si, syms);
	mark_dwarf_modules(u);
	for (size_t i = 0; i < snap->nthreads; i++)
		symbolize_thread(u, &snap->threads[i]);
	timing_mark("unwind", "symbols");
	if (atomic_load(&g_out_of_fds))
		snapshot_warn(snap, "pileup ran out of file descriptors opening the program's files (%lld allowed): frames in "
			      "them may lack names or end early; raise 'ulimit -n' and capture again", proc_nofile_limit());
	if (timing_on())
		fprintf(stderr, "pileup: unwind: %zu of %zu walks from cached CFI rows\n", u->dw->fast_walks, u->dw->walks);
	stats->distinct_pcs = symbols_distinct(u->sym);
	return NULL;
}

bool unwind_walk_from(struct snapshot *snap, struct snap_thread *t, const struct snap_regs *regs)
{
	struct unwinder *u = snap->unwind_state;
	if (snap->unwind_free != unwinder_free || !u || !u->sym)
		return false;
	size_t idx = (size_t)(t - snap->threads);
	if (idx >= u->ntw)
		return false;
	struct thread_walk *tw = xmalloc(sizeof(*tw));
	free(u->tw[idx]);
	u->tw[idx] = tw;
	tw->engine = NULL;
	tw->guessed_from = -1;
	t->go_resume.valid = false;
	walk_with(u, u->dw, t, regs, &tw->w);
	tw->complete = reached_entry(u, &tw->w);
	go_seam(u, t, tw);
	t_want_dwarf = true;
	symbolize_thread(u, t); /* appends to the frames the thread has */
	t_want_dwarf = false;
	return true;
}

void unwind_finish(struct snapshot *snap, struct unwind_stats *stats)
{
	struct unwinder *u = snap->unwind_state;
	if (snap->unwind_free != unwinder_free || (u && !u->sym))
		u = NULL;
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (t->go_resume.valid) {
			/* go/golang.c could not go on into the Go frames */
			t->go_resume.valid = false;
			if (!t->error)
				t->error = xasprintf("the stack goes on in Go code at 0x%" PRIx64 ", which pileup could not read "
						     "(see the Go warning)", t->go_resume.pc);
		}
		if (!t->unwind_deferred)
			continue;
		t->unwind_deferred = false;
		if (!u || i >= u->ntw)
			continue;
		struct unwind_stats dummy = {0};
		t_want_dwarf = true;
		unwind_thread(u, t, stats ? stats : &dummy);
		symbolize_thread(u, t);
		t_want_dwarf = false;
		classify_thread(t);
	}
	if (u && stats)
		stats->distinct_pcs = symbols_distinct(u->sym);
}

void unwind_flush(struct snapshot *snap)
{
	struct unwinder *u = snap->unwind_state;
	if (u && snap->unwind_free == unwinder_free) {
		symcache_flush(u->cache);
		symcache_flush(u->cache_dl);
	}
}

void *unwind_dwfl(const struct snapshot *snap)
{
	const struct unwinder *u = snap->unwind_state;
	return u && snap->unwind_free == unwinder_free && u->sym ? u->dwfl : NULL;
}

struct symindex *unwind_symindex(const struct snapshot *snap)
{
	const struct unwinder *u = snap->unwind_state;
	return u && snap->unwind_free == unwinder_free && u->sym ? u->si : NULL;
}
