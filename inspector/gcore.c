#include "gcore.h"
#include "capture_live.h"
#include "core.h"
#include "proc.h"
#include "tracer.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

enum { PAGE = 4096, PAGEMAP_BATCH = 4096, COPY_CHUNK = 1 << 20 };

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One thread as it goes into the core. */
struct gthread {
	pid_t tid;
	struct user_regs_struct regs;
	struct user_fpregs_struct fp;
	bool have_regs, have_fp;
	uint32_t valid; /* registers really read (snap_regs.valid bits) */
	uint8_t how;    /* enum snap_how */
	char state;
	char name[16];
};

/* What the writer needs besides the threads. */
struct gsource {
	pid_t pid;
	pid_t reader;          /* pid, or a live thread once the main thread exited (proc_live_tid) */
	struct snapshot *snap; /* maps, and (nonstop) the copied stacks */
	struct gthread *threads;
	size_t nthreads;
	enum snap_mode mode;
	/* whether the process died meanwhile: its memory then reads as
	 * nothing, and the core would be wrong */
	bool (*lost)(const struct gsource *src);
	struct tracer *tracer; /* stop-all: the threads held */
	size_t exited_held;    /* tracees seen exiting before all were held */
	int pidfd;             /* nonstop */
};

/* --- registers ------------------------------------------------------------ */

static void regs_to_user(const struct snap_thread *t, struct user_regs_struct *u)
{
	memset(u, 0, sizeof(*u));
	const uint64_t *r = t->regs.r;
	u->rax = r[0];
	u->rdx = r[1];
	u->rcx = r[2];
	u->rbx = r[3];
	u->rsi = r[4];
	u->rdi = r[5];
	u->rbp = r[6];
	u->rsp = r[7];
	u->r8 = r[8];
	u->r9 = r[9];
	u->r10 = r[10];
	u->r11 = r[11];
	u->r12 = r[12];
	u->r13 = r[13];
	u->r14 = r[14];
	u->r15 = r[15];
	u->rip = r[16];
	u->cs = 0x33;
	u->ss = 0x2b;
	u->eflags = 0x246;
	u->fs_base = t->regs.fs_base;
	u->orig_rax = t->regs.have_orig_rax ? (uint64_t)t->regs.orig_rax : (uint64_t)(int64_t)t->syscall;
	if (t->how == SNAP_HOW_SYSCALL) {
		/* What the kernel holds for a thread inside a system call: its
		 * arguments, rcx/r11 as the syscall instruction left them, and
		 * -ENOSYS until it returns. */
		if (t->syscall >= 0) {
			u->rdi = t->syscall_args[0];
			u->rsi = t->syscall_args[1];
			u->rdx = t->syscall_args[2];
			u->r10 = t->syscall_args[3];
			u->r8 = t->syscall_args[4];
			u->r9 = t->syscall_args[5];
			u->rax = (uint64_t)-ENOSYS;
			u->rcx = u->rip;
			u->r11 = u->eflags;
		}
		u->orig_rax = (uint64_t)(int64_t)t->syscall;
	}
}

/* --- nonstop: the live capture, plus the frame pointers it recovers ------- */

static struct pu_error *from_live(pid_t pid, const struct gcore_opts *o, struct gsource *src, struct gcore_result *res)
{
	struct capture_opts co = o->capture;
	co.stop_all = false;
	struct snapshot *snap;
	struct pu_error *err = capture_live(pid, &co, &snap);
	if (err)
		return err;
	src->snap = snap;
	src->mode = SNAP_MODE_NONSTOP;
	uint32_t *valid = xcalloc(snap->nthreads, sizeof(*valid));
	bool need_fp = false;
	for (size_t i = 0; i < snap->nthreads; i++) {
		valid[i] = snap->threads[i].regs.valid;
		need_fp |= snap->threads[i].how == SNAP_HOW_SYSCALL && !(valid[i] & (1u << SNAP_REG_RBP));
	}
	/* Unwinding recovers the frame pointer of threads read without a
	 * stop (unwind.c keeps it in their registers), for gdb's sake. */
	if (need_fp) {
		struct unwind_stats st;
		struct pu_error *uerr = unwind_snapshot(snap, o->unwind, &st);
		pu_error_free(uerr);
	}
	src->threads = xcalloc(snap->nthreads, sizeof(*src->threads));
	for (size_t i = 0; i < snap->nthreads; i++) {
		const struct snap_thread *t = &snap->threads[i];
		struct gthread *g = &src->threads[src->nthreads];
		if (t->how == SNAP_HOW_NONE && t->exited)
			continue; /* gone: nothing to write */
		src->nthreads++;
		g->tid = t->tid;
		g->state = t->state;
		snprintf(g->name, sizeof(g->name), "%s", t->name ? t->name : "");
		g->how = (uint8_t)t->how;
		g->valid = t->how == SNAP_HOW_NONE ? 0 : valid[i];
		g->have_regs = t->how != SNAP_HOW_NONE;
		if (g->have_regs) {
			regs_to_user(t, &g->regs);
		} else {
			res->partial = true;
			if (!res->unread++)
				snprintf(res->unread_why, sizeof(res->unread_why), "thread %d: %s", t->tid, t->error ? t->error : "no registers");
		}
		if (t->how == SNAP_HOW_STOPPED)
			res->stopped++;
	}
	free(valid);
	res->pause_us = snap->pause_us;
	return NULL;
}

/* --- stop-all: every thread held stopped while the core is written -------- */

static struct pu_error *from_stopped(pid_t pid, struct tracer *tr, struct gsource *src, struct gcore_result *res)
{
	struct snapshot *snap = snapshot_create(SNAP_LIVE);
	snap->pid = pid;
	src->snap = snap;
	src->mode = SNAP_MODE_STOP_ALL;
	struct pu_error *err = proc_read_maps(pid, snap, "no core was written");
	if (err)
		return err;
	snapshot_sort(snap);
	src->threads = xcalloc(tr->n ? tr->n : 1, sizeof(*src->threads));
	for (size_t i = 0; i < tr->n; i++) {
		const struct tracee *te = &tr->v[i];
		if (te->state == TRACEE_GONE)
			continue;
		struct gthread *g = &src->threads[src->nthreads];
		g->tid = te->tid;
		struct proc_task_stat st;
		bool named = proc_task_stat(pid, te->tid, &st);
		if (named)
			memcpy(g->name, st.name, strnlen(st.name, sizeof(g->name) - 1));
		if (te->state != TRACEE_STOPPED) {
			/* It never reached its stop (uninterruptible sleep): what
			 * /proc shows of a blocked thread, as without --stop-all. */
			struct proc_syscall sc;
			src->nthreads++;
			res->partial = true;
			if (proc_task_syscall(pid, te->tid, &sc) && sc.nr != -2) {
				struct snap_thread t = {.tid = te->tid, .how = SNAP_HOW_SYSCALL, .syscall = sc.nr >= 0 ? sc.nr : -1};
				memcpy(t.syscall_args, sc.args, sizeof(t.syscall_args));
				t.regs.r[SNAP_REG_RSP] = sc.sp;
				t.regs.r[SNAP_REG_RIP] = sc.pc;
				regs_to_user(&t, &g->regs);
				g->have_regs = true;
				g->valid = (1u << SNAP_REG_RSP) | (1u << SNAP_REG_RIP);
				g->how = SNAP_HOW_SYSCALL;
				g->state = named ? st.state : 'D';
			}
			if (!res->unread++)
				snprintf(res->unread_why, sizeof(res->unread_why), "thread %d did not stop within %d s%s", te->tid,
					 TRACER_STALL_MS / 1000, g->have_regs ? "; written with the stack and instruction pointers /proc shows" : "");
			continue;
		}
		struct iovec iov = {&g->regs, sizeof(g->regs)};
		if (ptrace(PTRACE_GETREGSET, te->tid, (void *)NT_PRSTATUS, &iov) != 0) {
			/* Killed since its stop: the check before naming the core
			 * refuses it; a thread that merely failed is said. */
			res->partial = true;
			if (!res->unread++)
				snprintf(res->unread_why, sizeof(res->unread_why), "thread %d: PTRACE_GETREGSET failed: %s", te->tid, strerror(errno));
			memset(g, 0, sizeof(*g));
			continue;
		}
		src->nthreads++;
		g->have_regs = true;
		g->valid = (1u << SNAP_NREGS) - 1;
		g->how = SNAP_HOW_STOPPED;
		g->have_fp = ptrace(PTRACE_GETFPREGS, te->tid, 0, &g->fp) == 0;
		if (named)
			g->state = (int64_t)g->regs.orig_rax >= 0 ? 'S' : 'R';
		res->stopped++;
	}
	return NULL;
}

/* --- the file --------------------------------------------------------------- */

struct notes {
	unsigned char *buf;
	size_t len, cap;
};

static void note_add(struct notes *n, const char *name, uint32_t type, const void *desc, size_t dlen)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	size_t need = 12 + ((namesz + 3) & ~3u) + ((dlen + 3) & ~(size_t)3);
	xgrow(&n->buf, &n->cap, n->len + need, 1);
	unsigned char *p = n->buf + n->len;
	memset(p, 0, need);
	uint32_t hdr[3] = {namesz, (uint32_t)dlen, type};
	memcpy(p, hdr, 12);
	memcpy(p + 12, name, namesz);
	memcpy(p + 12 + ((namesz + 3) & ~3u), desc, dlen);
	n->len += need;
}

/* The fields of /proc/PID/stat after the command name. */
static bool read_stat(pid_t pid, char *state, long *ppid, long *pgrp, long *sid, unsigned long *flags, char *comm, size_t commsz)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (proc_read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return false;
	snprintf(comm, commsz, "%.*s", (int)(close - open - 1), open + 1);
	int tty, tpgid;
	return sscanf(close + 2, "%c %ld %ld %ld %d %d %lu", state, ppid, pgrp, sid, &tty, &tpgid, flags) == 7;
}

static void add_process_notes(struct notes *n, const struct gsource *src)
{
	pid_t pid = src->pid;
	unsigned char ps[136] = {0};
	char state = 'S', comm[64] = "";
	long ppid = 0, pgrp = 0, sid = 0;
	unsigned long flags = 0;
	read_stat(pid, &state, &ppid, &pgrp, &sid, &flags, comm, sizeof(comm));
	static const char states[] = "RSDTZW";
	const char *sp = strchr(states, state);
	ps[0] = sp ? (unsigned char)(sp - states) : 0;
	ps[1] = (unsigned char)state;
	uint64_t f64 = flags;
	memcpy(ps + 8, &f64, 8);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", pid);
	struct stat st;
	if (stat(path, &st) == 0) {
		uint32_t uid = st.st_uid, gid = st.st_gid;
		memcpy(ps + 16, &uid, 4);
		memcpy(ps + 20, &gid, 4);
	}
	int32_t ids[4] = {pid, (int32_t)ppid, (int32_t)pgrp, (int32_t)sid};
	memcpy(ps + 24, ids, sizeof(ids));
	memcpy(ps + 40, comm, strnlen(comm, 15));
	char args[81] = "";
	snprintf(path, sizeof(path), "/proc/%d/cmdline", src->reader);
	ssize_t len = proc_read_file(path, args, sizeof(args));
	for (ssize_t i = 0; i + 1 < len; i++)
		if (!args[i])
			args[i] = ' ';
	memcpy(ps + 56, args, strnlen(args, 80));
	note_add(n, "CORE", NT_PRPSINFO, ps, sizeof(ps));

	for (size_t i = 0; i < src->nthreads; i++) {
		const struct gthread *g = &src->threads[i];
		unsigned char pr[336] = {0};
		int32_t tids[4] = {g->tid, (int32_t)ppid, (int32_t)pgrp, (int32_t)sid};
		memcpy(pr + 32, tids, sizeof(tids));
		memcpy(pr + 112, &g->regs, sizeof(g->regs));
		int32_t fpvalid = g->have_fp;
		memcpy(pr + 328, &fpvalid, 4);
		note_add(n, "CORE", NT_PRSTATUS, pr, sizeof(pr));
		if (g->have_fp)
			note_add(n, "CORE", NT_FPREGSET, &g->fp, sizeof(g->fp));
	}

	unsigned char auxv[4096];
	snprintf(path, sizeof(path), "/proc/%d/auxv", src->reader);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t a = read(fd, auxv, sizeof(auxv));
		close(fd);
		if (a > 0)
			note_add(n, "CORE", NT_AUXV, auxv, (size_t)a);
	}

	/* NT_FILE: the file-backed mappings, as the kernel writes it. */
	const struct snapshot *snap = src->snap;
	size_t count = 0, names = 0;
	for (size_t i = 0; i < snap->nmaps; i++)
		if (snap->maps[i].path && snap->maps[i].path[0] == '/' && snap->maps[i].inode) {
			count++;
			names += strlen(snap->maps[i].path) + 1;
		}
	if (count) {
		size_t dlen = 16 + count * 24 + names;
		unsigned char *d = xcalloc(1, dlen), *e = d + 16;
		char *nm = (char *)d + 16 + count * 24;
		uint64_t hdr[2] = {count, PAGE};
		memcpy(d, hdr, 16);
		for (size_t i = 0; i < snap->nmaps; i++) {
			const struct snap_map *m = &snap->maps[i];
			if (!m->path || m->path[0] != '/' || !m->inode)
				continue;
			uint64_t ent[3] = {m->start, m->end, m->offset / PAGE};
			memcpy(e, ent, 24);
			e += 24;
			size_t l = strlen(m->path) + 1;
			memcpy(nm, m->path, l);
			nm += l;
		}
		note_add(n, "CORE", NT_FILE, d, dlen);
		free(d);
	}

	/* What only pileup knew. */
	size_t plen = sizeof(struct pileup_note_header) + src->nthreads * sizeof(struct pileup_note_thread);
	unsigned char *p = xcalloc(1, plen);
	struct pileup_note_header h = {1, (uint32_t)src->nthreads, (uint32_t)src->mode, 0};
	memcpy(p, &h, sizeof(h));
	for (size_t i = 0; i < src->nthreads; i++) {
		const struct gthread *g = &src->threads[i];
		struct pileup_note_thread pt;
		memset(&pt, 0, sizeof(pt));
		pt.tid = g->tid;
		pt.valid = g->valid;
		pt.how = g->how;
		pt.state = g->state;
		memcpy(pt.name, g->name, strnlen(g->name, 15));
		memcpy(p + sizeof(h) + i * sizeof(pt), &pt, sizeof(pt));
	}
	note_add(n, PILEUP_NOTE_NAME, NT_PILEUP_THREADS, p, plen);
	free(p);
}

/* How much of a mapping goes into the core. */
enum dump { DUMP_NONE, DUMP_HEADER, DUMP_ALL };

static bool special(const char *path, const char *name)
{
	return path && strcmp(path, name) == 0;
}

/* Whether a private file mapping holds pages of its own (written, so
 * copied from the file: .data, relocated RELRO): bit 61 of a pagemap
 * entry is clear for those, bit 62 says swapped. */
static bool has_anon_pages(int pagemap, const struct snap_map *m)
{
	if (pagemap < 0)
		return m->perms[1] == 'w';
	uint64_t ents[PAGEMAP_BATCH];
	for (uint64_t a = m->start; a < m->end;) {
		size_t npages = (size_t)((m->end - a) / PAGE);
		if (npages > PAGEMAP_BATCH)
			npages = PAGEMAP_BATCH;
		ssize_t got = pread(pagemap, ents, npages * 8, (off_t)(a / PAGE * 8));
		if (got < (ssize_t)(npages * 8))
			return m->perms[1] == 'w';
		for (size_t i = 0; i < npages; i++)
			if ((ents[i] >> 62 & 1) || ((ents[i] >> 63 & 1) && !(ents[i] >> 61 & 1)))
				return true;
		a += npages * PAGE;
	}
	return false;
}

/* What the kernel's default coredump_filter (0x33) keeps. */
static enum dump dump_policy(const struct snap_map *m, int pagemap)
{
	if (m->perms[0] != 'r' || special(m->path, "[vvar]") || special(m->path, "[vvar_vclock]") || special(m->path, "[vsyscall]"))
		return DUMP_NONE;
	bool file = m->path && m->path[0] == '/' && m->inode;
	if (!file)
		return DUMP_ALL; /* anonymous, heap, stacks, vdso, shared memory */
	if (m->perms[3] == 's')
		return DUMP_NONE; /* the file holds it */
	if (has_anon_pages(pagemap, m))
		return DUMP_ALL;  /* written data (.data, .dynamic after relocation) */
	return m->offset == 0 ? DUMP_HEADER : DUMP_NONE;
}

struct writer {
	int fd;
	pid_t pid;
	int pagemap;
	unsigned char *buf;
	uint64_t written; /* bytes of memory */
	int err;
};

static void put(struct writer *w, const void *p, size_t n, uint64_t off)
{
	while (n && !w->err) {
		ssize_t k = pwrite(w->fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->err = k < 0 ? errno : ENOSPC;
			return;
		}
		p = (const char *)p + k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
}

/* Whether n bytes (at most a page) are all zero; memcmp is vectorized. */
static bool all_zero(const unsigned char *p, size_t n)
{
	static const unsigned char zeros[4096];
	return memcmp(p, zeros, n) == 0;
}

/* Writes n bytes at off, leaving pages of zeros as holes. */
static void put_pages(struct writer *w, const unsigned char *buf, size_t n, uint64_t off)
{
	for (size_t p = 0; p < n; p += PAGE) {
		size_t k = n - p < PAGE ? n - p : PAGE;
		if (!all_zero(buf + p, k))
			put(w, buf + p, k, off + p);
	}
}

/* Copies [addr, addr+len) of the process to the file at off; pages that
 * cannot be read stay zero, and zero pages are left as holes. */
static void copy_range(struct writer *w, uint64_t addr, uint64_t len, uint64_t off)
{
	while (len && !w->err) {
		size_t n = len > COPY_CHUNK ? COPY_CHUNK : (size_t)len;
		size_t got = capture_live_read((void *)(intptr_t)w->pid, addr, w->buf, n);
		put_pages(w, w->buf, got, off);
		w->written += got;
		if (got < n) {
			/* An unreadable page (unmapped meanwhile, or I/O memory): skip it. */
			size_t skip = ((got / PAGE) + 1) * PAGE;
			if (skip > n)
				skip = n;
			n = skip;
		}
		addr += n;
		off += n;
		len -= n;
	}
}

/* Private file pages never written read as the file: from the file. */
static void copy_from_file(struct writer *w, const struct snap_map *m, uint64_t addr, uint64_t len, uint64_t off)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, w->pid, m->start, m->end);
	int fd = file_open_regular(path);
	if (fd < 0 && m->path)
		fd = file_open_regular(m->path); /* the target's path: never a FIFO's open */
	if (fd < 0) {
		copy_range(w, addr, len, off);
		return;
	}
	uint64_t foff = m->offset + (addr - m->start);
	while (len && !w->err) {
		size_t n = len > COPY_CHUNK ? COPY_CHUNK : (size_t)len;
		ssize_t got = pread(fd, w->buf, n, (off_t)foff);
		if (got <= 0)
			break; /* beyond the end of the file: zero, as in memory */
		put_pages(w, w->buf, (size_t)got, off);
		w->written += (uint64_t)got;
		addr += (uint64_t)got;
		foff += (uint64_t)got;
		off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	close(fd);
}

/* Copies a mapping: only the pages the process has (present or swapped,
 * per /proc/PID/pagemap), so untouched memory is neither read nor
 * faulted in.  Without pagemap, everything readable. */
static void dump_map(struct writer *w, const struct snap_map *m, uint64_t off)
{
	uint64_t start = m->start, end = m->end;
	if (w->pagemap < 0) {
		copy_range(w, start, end - start, off);
		return;
	}
	bool file = m->path && m->path[0] == '/' && m->inode;
	uint64_t ents[PAGEMAP_BATCH];
	for (uint64_t a = start; a < end && !w->err;) {
		size_t npages = (size_t)((end - a) / PAGE);
		if (npages > PAGEMAP_BATCH)
			npages = PAGEMAP_BATCH;
		ssize_t got = pread(w->pagemap, ents, npages * 8, (off_t)(a / PAGE * 8));
		if (got < (ssize_t)(npages * 8)) {
			copy_range(w, a, end - a, off + (a - start));
			return;
		}
		for (size_t i = 0; i < npages;) {
			bool have = ents[i] >> 62 & 3; /* present or swapped */
			size_t j = i + 1;
			while (j < npages && (bool)(ents[j] >> 62 & 3) == have)
				j++;
			uint64_t ra = a + i * PAGE, rl = (uint64_t)(j - i) * PAGE;
			if (have)
				copy_range(w, ra, rl, off + (ra - start));
			else if (file)
				copy_from_file(w, m, ra, rl, off + (ra - start));
			i = j;
		}
		a += npages * PAGE;
	}
}

/* --- where the core goes ---------------------------------------------------- */

/* The core is written to an unnamed file in FILE's directory (O_TMPFILE)
 * that gets its name only once complete: a pileup killed midway leaves
 * nothing behind, and the kernel frees the space.  Where the file system
 * has no O_TMPFILE, a temporary name beside FILE is used, and such names
 * that a killed run left are removed by the next run to the same FILE. */
struct outfile {
	int fd;
	char *tmp; /* the temporary name, or NULL (unnamed) */
};

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

/* Files named FILE.pileup-XXXXXX (mkostemp's six characters), ours (our
 * user, mode 0600, one link) and not written to for a minute: what a run
 * killed before renaming its temporary file left. */
static void clean_stale(const char *path)
{
	char *dir = dir_of(path);
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t blen = strlen(base);
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		time_t now = time(NULL);
		while ((e = readdir(d))) {
			const char *n = e->d_name;
			if (strncmp(n, base, blen) != 0 || strncmp(n + blen, ".pileup-", 8) != 0 || strlen(n + blen + 8) != 6)
				continue;
			struct stat st;
			if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
			    (st.st_mode & 07777) != 0600 || st.st_nlink != 1 || now - st.st_mtime < 60)
				continue;
			unlinkat(dirfd(d), n, 0);
		}
		closedir(d);
	}
	free(dir);
}

static struct pu_error *out_open(const char *path, struct outfile *of)
{
	of->fd = -1;
	of->tmp = NULL;
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return pu_error_new(PU_EXIT_USAGE, "%s is not a regular file; give -o a file name for the core", path);
	clean_stale(path);
	char *dir = dir_of(path);
	of->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	int e = errno;
	free(dir);
	if (of->fd < 0 && e != EOPNOTSUPP && e != EISDIR && e != EINVAL)
		return pu_error_new(PU_EXIT_USAGE, "cannot create a core in the directory of %s: %s; %s", path, strerror(e),
				    pu_remedy(e, "choose a writable path for -o"));
	if (of->fd < 0) {
		of->tmp = xasprintf("%s.pileup-XXXXXX", path);
		of->fd = mkostemp(of->tmp, O_CLOEXEC);
		if (of->fd < 0) {
			struct pu_error *err = pu_error_new(PU_EXIT_USAGE, "cannot create %s: %s; %s", of->tmp, strerror(errno),
							    pu_remedy(errno, "choose a writable path for -o"));
			free(of->tmp);
			of->tmp = NULL;
			return err;
		}
	}
	fchmod(of->fd, 0600);
	return NULL;
}

/* Gives the complete file its name, replacing what was there. */
static struct pu_error *out_commit(struct outfile *of, const char *path)
{
	if (of->tmp) {
		/* A network file system reports a failed write at close. */
		int fd = of->fd;
		of->fd = -1;
		if (close(fd) != 0)
			return pu_error_new(PU_EXIT_USAGE, "writing the core to %s failed: %s; %s", path, strerror(errno),
					    pu_remedy(errno, "choose another path for -o"));
		if (rename(of->tmp, path) != 0)
			return pu_error_new(PU_EXIT_USAGE, "cannot rename %s to %s: %s; choose a writable path for -o", of->tmp, path, strerror(errno));
		free(of->tmp);
		of->tmp = NULL;
		return NULL;
	}
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", of->fd);
	if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return NULL;
	if (errno != EEXIST)
		return pu_error_new(PU_EXIT_USAGE, "cannot write the core to %s: %s; %s", path, strerror(errno),
				    pu_remedy(errno, "choose a writable path for -o"));
	/* FILE exists: link beside it, then rename over it (atomic). */
	for (int attempt = 0; attempt < 100; attempt++) {
		char *tmp = xasprintf("%s.pileup-XXXXXX", path);
		int tfd = mkostemp(tmp, O_CLOEXEC); /* reserves a fresh name */
		if (tfd < 0) {
			struct pu_error *err = pu_error_new(PU_EXIT_USAGE, "cannot create %s: %s; %s", tmp, strerror(errno),
							    pu_remedy(errno, "choose a writable path for -o"));
			free(tmp);
			return err;
		}
		close(tfd);
		unlink(tmp);
		if (linkat(AT_FDCWD, self, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0) {
			struct pu_error *err = NULL;
			if (rename(tmp, path) != 0) {
				err = pu_error_new(PU_EXIT_USAGE, "cannot rename %s to %s: %s; choose a writable path for -o", tmp, path, strerror(errno));
				unlink(tmp);
			}
			free(tmp);
			return err;
		}
		int e = errno;
		free(tmp);
		if (e != EEXIST)
			return pu_error_new(PU_EXIT_USAGE, "cannot write the core to %s: %s; %s", path, strerror(e),
					    pu_remedy(e, "choose a writable path for -o"));
	}
	return pu_error_new(PU_EXIT_USAGE, "cannot find a free temporary name beside %s", path);
}

/* Closes the file; an uncommitted one is gone (unnamed) or unlinked. */
static void out_close(struct outfile *of)
{
	if (of->fd >= 0)
		close(of->fd);
	if (of->tmp)
		unlink(of->tmp);
	free(of->tmp);
	of->fd = -1;
	of->tmp = NULL;
}

static struct pu_error *write_file(const struct gsource *src, const char *path, struct gcore_result *res)
{
	const struct snapshot *snap = src->snap;
	struct notes notes = {0};
	add_process_notes(&notes, src);

	/* Layout: header, program headers, notes, then page-aligned memory. */
	size_t nload = 0;
	for (size_t i = 0; i < snap->nmaps; i++)
		if (!special(snap->maps[i].path, "[vsyscall]"))
			nload++;
	size_t phnum = nload + 1;
	uint64_t hdr_len = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
	uint64_t notes_off = hdr_len, data_off = (notes_off + notes.len + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	char pm[64];
	snprintf(pm, sizeof(pm), "/proc/%d/pagemap", src->reader);
	int pagemap = open(pm, O_RDONLY | O_CLOEXEC);
	Elf64_Phdr *ph = xcalloc(phnum, sizeof(*ph));
	enum dump *policy = xcalloc(snap->nmaps ? snap->nmaps : 1, sizeof(*policy));
	ph[0] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = notes.len, .p_align = 4};
	uint64_t off = data_off;
	size_t k = 1;
	for (size_t i = 0; i < snap->nmaps; i++) {
		const struct snap_map *m = &snap->maps[i];
		if (special(m->path, "[vsyscall]"))
			continue;
		policy[i] = dump_policy(m, pagemap);
		uint64_t size = m->end - m->start, filesz = 0;
		if (policy[i] == DUMP_ALL)
			filesz = size;
		else if (policy[i] == DUMP_HEADER)
			filesz = PAGE;
		uint32_t flags = (m->perms[0] == 'r' ? PF_R : 0) | (m->perms[1] == 'w' ? PF_W : 0) | (m->perms[2] == 'x' ? PF_X : 0);
		ph[k++] = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = off, .p_vaddr = m->start, .p_filesz = filesz,
				       .p_memsz = size, .p_flags = flags, .p_align = PAGE};
		off += filesz;
	}
	uint64_t total = off;

	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	Elf64_Shdr sh0;
	memset(&sh0, 0, sizeof(sh0));
	if (phnum >= PN_XNUM) {
		/* Too many for e_phnum: the count goes in section header 0. */
		eh.e_phnum = PN_XNUM;
		eh.e_shoff = total;
		eh.e_shentsize = sizeof(Elf64_Shdr);
		eh.e_shnum = 1;
		sh0.sh_info = (uint32_t)phnum;
		total += sizeof(sh0);
	} else {
		eh.e_phnum = (uint16_t)phnum;
	}

	struct outfile of;
	struct pu_error *oerr = out_open(path, &of);
	if (oerr) {
		free(ph);
		free(policy);
		free(notes.buf);
		if (pagemap >= 0)
			close(pagemap);
		return oerr;
	}
	int fd = of.fd;
	fchmod(fd, 0600);
	struct writer w = {fd, src->reader, pagemap, xmalloc(COPY_CHUNK), 0, 0};
	if (ftruncate(fd, (off_t)total) != 0)
		w.err = errno;
	put(&w, &eh, sizeof(eh), 0);
	put(&w, ph, phnum * sizeof(*ph), sizeof(eh));
	put(&w, notes.buf, notes.len, notes_off);
	if (eh.e_shoff)
		put(&w, &sh0, sizeof(sh0), eh.e_shoff);
	k = 1;
	for (size_t i = 0; i < snap->nmaps && !w.err && !capture_live_abort; i++) {
		const struct snap_map *m = &snap->maps[i];
		if (special(m->path, "[vsyscall]"))
			continue;
		const Elf64_Phdr *p = &ph[k++];
		if (policy[i] == DUMP_ALL)
			dump_map(&w, m, p->p_offset);
		else if (policy[i] == DUMP_HEADER) {
			unsigned char head[PAGE];
			size_t got = capture_live_read((void *)(intptr_t)src->reader, m->start, head, PAGE);
			if (got >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0)
				put(&w, head, got, p->p_offset);
			w.written += got;
		}
	}
	/* The stacks as they were when the registers were read. */
	for (size_t i = 0; i < snap->nthreads && !w.err; i++) {
		const struct mem_region *s = &snap->threads[i].stack;
		if (!s->data || !s->len)
			continue;
		for (size_t j = 1; j < phnum; j++)
			if (ph[j].p_filesz == ph[j].p_memsz && s->addr >= ph[j].p_vaddr && s->addr + s->len <= ph[j].p_vaddr + ph[j].p_memsz) {
				put(&w, s->data, s->len, ph[j].p_offset + (s->addr - ph[j].p_vaddr));
				break;
			}
	}
	if (w.pagemap >= 0)
		close(w.pagemap);
	free(w.buf);
	struct pu_error *err = NULL;
	if (capture_live_abort)
		err = pu_error_new(PU_EXIT_USAGE, "interrupted; no core was written and the process was left running");
	else if (w.err)
		err = pu_error_new(PU_EXIT_USAGE, "writing the core to %s failed: %s; %s", path, strerror(w.err),
				   pu_remedy(w.err, "choose another path for -o"));
	else if (src->lost(src))
		/* Its memory read as nothing once it was gone: the core would lie. */
		err = pu_error_new(PU_EXIT_USAGE, "process %d exited while its core was written; no core was written", src->pid);
	else
		err = out_commit(&of, path);
	out_close(&of);
	res->memory = w.written;
	res->segments = nload;
	res->threads = src->nthreads;
	free(ph);
	free(policy);
	free(notes.buf);
	return err;
}

static bool lost_held(const struct gsource *src)
{
	/* A held thread exits only when the process is killed, and it says
	 * so only once its exit is done; the threads held say at once whether
	 * they were killed, a kill before all were held included.  A process
	 * with no thread or mapping left is gone. */
	return tracer_poll(src->tracer) > src->exited_held || !src->nthreads || !src->snap->nmaps || tracer_held_killed(src->tracer);
}

static bool lost_pidfd(const struct gsource *src)
{
	return proc_pidfd_exited(src->pidfd, src->pid, 0);
}

struct held_job {
	pid_t pid;
	const char *path;
	struct gsource *src;
	struct gcore_result *res;
};

/* Runs on the tracer thread: every thread stays stopped while the core
 * is written, and is let go whatever happens. */
static struct pu_error *held_main(void *arg)
{
	struct held_job *j = arg;
	struct tracer tr;
	tracer_init(&tr, j->pid);
	struct pu_error *err = tracer_stop_all(&tr, "no core was written");
	if (!err && capture_live_abort)
		err = pu_error_new(PU_EXIT_USAGE, "interrupted; the process was left running and no core was written");
	j->src->tracer = &tr;
	j->src->exited_held = tr.exited;
	j->src->lost = lost_held;
	if (!err)
		err = from_stopped(j->pid, &tr, j->src, j->res);
	if (!err)
		err = write_file(j->src, j->path, j->res);
	uint64_t first = tr.first_interrupt_us;
	tracer_release(&tr);
	j->src->tracer = NULL;
	if (first)
		j->res->pause_us = now_us() - first;
	return err;
}

struct pu_error *gcore_write(pid_t pid, const char *path, const struct gcore_opts *o, struct gcore_result *res)
{
	memset(res, 0, sizeof(*res));
	uint64_t t0 = now_us();
	struct gsource src = {.pid = pid, .reader = proc_live_tid(pid), .pidfd = -1};
	struct pu_error *err;
	if (o->capture.stop_all) {
		err = proc_check_target(pid, true);
		if (err)
			return err;
		struct held_job j = {pid, path, &src, res};
		err = tracer_run(held_main, &j);
	} else {
		src.pidfd = proc_pidfd(pid);
		src.lost = lost_pidfd;
		err = from_live(pid, o, &src, res);
		if (!err)
			err = write_file(&src, path, res);
		if (src.pidfd >= 0)
			close(src.pidfd);
	}
	snapshot_destroy(src.snap);
	free(src.threads);
	res->elapsed_us = now_us() - t0;
	return err;
}
