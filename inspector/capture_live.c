#include "capture_live.h"
#include "go/bin.h"
#include "fdinfo.h"
#include "proc.h"
#include "timing.h"
#include "tracer.h"
#include "unwind.h"

#include <errno.h>
#include <stdatomic.h>
#include <limits.h>
#include <sys/mman.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <elf.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t capture_live_abort;

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* PILEUP_TIMING=1: the time each phase of the capture took (timing.h). */
static void phase(const char *what)
{
	timing_mark("capture", what);
}

/* A read found the process (or the thread read through) gone: set by
 * capture_live_read, cleared at the end of each capture. */
static atomic_bool read_gone;

void capture_live_note_gone(void)
{
	atomic_store(&read_gone, true);
}

bool capture_live_lost(const struct snapshot *snap)
{
	/* a killed process is dying well before its pidfd says so */
	return atomic_load(&read_gone) && (capture_live_exited(snap, 0) || (snap->source == SNAP_LIVE && proc_exiting(snap->pid)));
}

size_t capture_live_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	pid_t pid = (pid_t)(intptr_t)ctx;
	size_t done = 0;
	/* Read page by page so an unmapped page only shortens the result. */
	while (done < len) {
		uint64_t a = addr + done;
		size_t chunk = 4096 - (a & 4095);
		if (chunk > len - done)
			chunk = len - done;
		struct iovec l = {(char *)buf + done, chunk}, r = {(void *)(uintptr_t)a, chunk};
		ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (n < 0 && errno == ESRCH)
			capture_live_note_gone();
		if (n <= 0)
			break;
		done += (size_t)n;
		if ((size_t)n < chunk)
			break;
	}
	return done;
}

/* --- stacks --------------------------------------------------------------- */

/* Bytes copied up front from a thread's stack in the default mode: the
 * frames of a parked thread take a few hundred bytes, and the rest of the
 * stack mapping above them (thread descriptor, TLS) is not needed.  Deeper
 * frames are read when the unwinder gets there (snapshot_region_extend). */
enum { NONSTOP_WINDOW = 2048 };

/* The same with --stop-all, for a thread stopped in a system call: its
 * callers' frames stay put while it waits, as in the default mode; the
 * pause is shorter for not copying the rest.  A thread stopped in user
 * space gets its whole stack (max_stack) copied while it is stopped. */
enum { STOPPED_WINDOW = 4096 };

/* A Go program's threads run on system stacks of 16 KB (Go's g0) whose
 * frames can be large (runtime.netpoll keeps 128 epoll events, 1.5 KB, on
 * its stack), and its scheduler threads wake often (timers, sysmon): bytes
 * read after the capture, when the unwinder gets there, may already belong
 * to a later call.  So the whole of such a stack is copied up front, while
 * the thread is known to sit in its system call (there are few threads). */
enum { GO_WINDOW = 16384, GO_WINDOW_MAX_THREADS = 4096 };
static size_t nonstop_window = NONSTOP_WINDOW, stopped_window = STOPPED_WINDOW;

/* How much of [sp, end of sp's mapping) is planned: max at most, window
 * of it copied up front (0: all). */
static size_t stack_extent(const struct snapshot *snap, const struct snap_thread *t, size_t max, size_t window)
{
	if (!(t->regs.valid & (1u << SNAP_REG_RSP)))
		return 0;
	uint64_t sp = t->regs.r[SNAP_REG_RSP];
	const struct snap_map *m = snapshot_find_map(snap, sp);
	if (!m)
		return 0;
	size_t len = m->end - sp > max ? max : (size_t)(m->end - sp);
	return window && len > window ? window : len;
}

/* Sets t->stack to the range [sp, min(end of sp's mapping, sp+max)), of
 * which the first window bytes (0: all) get copied. */
static void plan_stack(struct snapshot *snap, struct snap_thread *t, size_t max, size_t window)
{
	if (!t->stack.in_arena)
		free(t->stack.data);
	t->stack = (struct mem_region){0};
	size_t full = stack_extent(snap, t, max, 0);
	if (!full)
		return;
	t->stack.addr = t->regs.r[SNAP_REG_RSP];
	t->stack.len = window && full > window ? window : full;
	t->stack.more = full - t->stack.len;
	t->stack.data = snapshot_arena_alloc(snap, t->stack.len);
	t->stack.in_arena = true;
}

/* Copies the planned stacks of threads idx[0..n) with as few
 * process_vm_readv calls as possible (up to IOV_MAX regions each), from
 * the process the snapshot reads (a live thread of it: see proc_live_tid). */
static void copy_stacks(struct snapshot *snap, const size_t *idx, size_t n)
{
	pid_t pid = (pid_t)(intptr_t)snap->read_ctx;
	enum { BATCH = 1024 };
	struct iovec local[BATCH], remote[BATCH];
	size_t who[BATCH];
	size_t i = 0;
	while (i < n) {
		size_t k = 0;
		for (; i < n && k < BATCH; i++) {
			struct snap_thread *t = &snap->threads[idx[i]];
			if (!t->stack.len)
				continue;
			local[k] = (struct iovec){t->stack.data, t->stack.len};
			remote[k] = (struct iovec){(void *)(uintptr_t)t->stack.addr, t->stack.len};
			who[k++] = idx[i];
		}
		size_t start = 0;
		while (start < k) {
			ssize_t got = process_vm_readv(pid, local + start, k - start, remote + start, k - start, 0);
			if (got < 0)
				got = 0;
			/* Transfers never split an element: skip the complete ones. */
			size_t j = start;
			while (j < k && (size_t)got >= local[j].iov_len) {
				got -= (ssize_t)local[j].iov_len;
				j++;
			}
			if (j >= k)
				break;
			/* Element j failed: salvage what can be read page by page. */
			struct snap_thread *t = &snap->threads[who[j]];
			t->stack.len = capture_live_read((void *)(intptr_t)pid, t->stack.addr, t->stack.data, t->stack.len);
			start = j + 1;
		}
	}
}

/* --- futex words ------------------------------------------------------------ */

/* Around each futex waiter's word, copied with the stacks: the lock it
 * belongs to (a pthread mutex, rwlock, condition variable, semaphore
 * lies within 64 bytes before and after the word), so the wait-for graph
 * (waits.c) reads locks as they were when the threads were: with
 * --stop-all, before a thread let go resumes and changes them. */
enum { WORD_WINDOW = 128 };

static int cmp_addr(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void copy_futex_words(pid_t pid, struct snapshot *snap)
{
	uint64_t *at = xmalloc((snap->nthreads ? snap->nthreads : 1) * sizeof(*at));
	size_t n = 0;
	for (size_t i = 0; i < snap->nthreads; i++) {
		const struct snap_thread *t = &snap->threads[i];
		uint64_t w = t->syscall_args[0] & ~(uint64_t)7;
		if (t->syscall == SYS_futex && (t->how == SNAP_HOW_SYSCALL || t->how == SNAP_HOW_STOPPED) &&
		    w >= WORD_WINDOW / 2 && w < UINT64_MAX - WORD_WINDOW)
			at[n++] = w - WORD_WINDOW / 2;
	}
	qsort(at, n, sizeof(*at), cmp_addr);
	/* One window per word; words close together share one. */
	struct mem_region *r = xmalloc((n ? n : 1) * sizeof(*r));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && at[i] <= r[m - 1].addr + r[m - 1].len) {
			r[m - 1].len = (size_t)(at[i] + WORD_WINDOW - r[m - 1].addr);
			continue;
		}
		r[m++] = (struct mem_region){.addr = at[i], .len = WORD_WINDOW, .in_arena = true};
	}
	free(at);
	enum { BATCH = 1024 };
	struct iovec local[BATCH], remote[BATCH];
	for (size_t i = 0; i < m; i++)
		r[i].data = snapshot_arena_alloc(snap, r[i].len);
	for (size_t i = 0; i < m;) {
		size_t k = 0;
		for (; i + k < m && k < BATCH; k++) {
			local[k] = (struct iovec){r[i + k].data, r[i + k].len};
			remote[k] = (struct iovec){(void *)(uintptr_t)r[i + k].addr, r[i + k].len};
		}
		ssize_t got = process_vm_readv(pid, local, k, remote, k, 0);
		size_t j = 0;
		while (got > 0 && j < k && (size_t)got >= r[i + j].len)
			got -= (ssize_t)r[i + j++].len;
		if (j < k) /* element j failed: what of it can be read, then on */
			r[i + j].len = capture_live_read((void *)(intptr_t)pid, r[i + j].addr, r[i + j].data, r[i + j].len), j++;
		i += j;
	}
	free(snap->copies);
	snap->copies = r;
	snap->ncopies = m;
}

/* --- writable memory (--leaks) ------------------------------------------------ */

/* Marking the heap needs all of it as it was at one moment: with
 * copy_memory, every private writable mapping is copied while the process
 * is stopped (the mappings read again then: the heap may have grown), and
 * snap->frozen makes every later read use the copies. */
static bool writable_map(const char *perms, const char *path)
{
	return perms[0] == 'r' && perms[1] == 'w' && perms[3] == 'p' &&
	       !(path && (!strcmp(path, "[vvar]") || !strcmp(path, "[vsyscall]") || !strcmp(path, "[vvar_vclock]")));
}

static size_t writable_bytes(const struct snapshot *snap)
{
	size_t n = 0;
	for (size_t i = 0; i < snap->nmaps; i++)
		if (writable_map(snap->maps[i].perms, snap->maps[i].path))
			n += (size_t)(snap->maps[i].end - snap->maps[i].start);
	return n;
}

static int cmp_region(const void *a, const void *b)
{
	uint64_t x = ((const struct mem_region *)a)->addr, y = ((const struct mem_region *)b)->addr;
	return (x > y) - (x < y);
}

static void copy_writable(pid_t pid, struct snapshot *snap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	struct mem_region *r = NULL;
	size_t n = 0, cap = 0;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char perms[8], name[4096] = "";
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %4095s", &start, &end, perms, name) < 3 || end <= start ||
		    strlen(perms) < 4 || !writable_map(perms, name[0] ? name : NULL))
			continue;
		xgrow(&r, &cap, n + 1, sizeof(*r));
		r[n++] = (struct mem_region){.addr = start, .len = (size_t)(end - start), .in_arena = true};
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		r[i].data = snapshot_arena_alloc(snap, r[i].len);
		struct iovec local = {r[i].data, r[i].len}, remote = {(void *)(uintptr_t)r[i].addr, r[i].len};
		ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (got != (ssize_t)r[i].len)
			r[i].len = capture_live_read((void *)(intptr_t)pid, r[i].addr, r[i].data, r[i].len);
	}
	/* the futex windows outside them stay */
	for (size_t i = 0; i < snap->ncopies; i++) {
		const struct mem_region *w = &snap->copies[i];
		bool inside = false;
		for (size_t k = 0; k < n && !inside; k++)
			inside = w->addr + w->len > r[k].addr && w->addr < r[k].addr + r[k].len;
		if (!inside) {
			xgrow(&r, &cap, n + 1, sizeof(*r));
			r[n++] = *w;
		}
	}
	qsort(r, n, sizeof(*r), cmp_region);
	free(snap->copies);
	snap->copies = r;
	snap->ncopies = n;
	snap->frozen = true;
}

/* --- registers ------------------------------------------------------------ */

static void regs_from_user(struct snap_regs *r, const struct user_regs_struct *u)
{
	uint64_t v[SNAP_NREGS] = {u->rax, u->rdx, u->rcx, u->rbx, u->rsi, u->rdi, u->rbp, u->rsp,
				  u->r8, u->r9, u->r10, u->r11, u->r12, u->r13, u->r14, u->r15, u->rip};
	memcpy(r->r, v, sizeof(v));
	r->valid = (1u << SNAP_NREGS) - 1;
	r->orig_rax = (int64_t)u->orig_rax;
	r->have_orig_rax = true;
	r->fs_base = u->fs_base;
}

static bool get_regs(pid_t tid, struct snap_regs *r)
{
	struct user_regs_struct u;
	struct iovec iov = {&u, sizeof(u)};
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) != 0)
		return false;
	regs_from_user(r, &u);
	return true;
}

static void fill_from_stat(pid_t pid, struct snap_thread *t)
{
	struct proc_task_stat st;
	if (proc_task_stat(pid, t->tid, &st)) {
		t->state = st.state;
		free(t->name);
		t->name = xstrdup(st.name);
	}
}

static void set_error(struct snap_thread *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct snap_thread *t, const char *fmt, ...)
{
	free(t->error);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&t->error, fmt, ap) < 0)
		t->error = NULL;
	va_end(ap);
}

static void set_exited(struct snap_thread *t)
{
	set_error(t, "thread exited during capture");
	t->exited = true;
}

/* A thread's /proc file could not be read: either the thread is gone,
 * or pileup ran out of something; the two are never confused. */
static void set_read_error(struct snap_thread *t, int e)
{
	if (e == EMFILE || e == ENFILE)
		set_error(t, "not read: pileup ran out of file descriptors (%s); raise the limit ('ulimit -n')", strerror(e));
	else if (e == ENOMEM || e == EAGAIN)
		set_error(t, "not read: %s", strerror(e));
	else
		set_exited(t);
}

/* Descriptors kept free for others while the capture holds one per
 * thread: the module files the prefetch opens, the unwinder's. */
enum { FD_RESERVE = 256 };

/* Threads that could not be read for want of descriptors are said once
 * for the whole capture too (the exit status is then 1). */
static void not_read_warning(struct snapshot *snap)
{
	static const char why[] = "not read: pileup ran out of file descriptors";
	size_t n = 0;
	for (size_t i = 0; i < snap->nthreads; i++)
		n += snap->threads[i].error && !strncmp(snap->threads[i].error, why, sizeof(why) - 1);
	if (!n)
		return;
	snapshot_warn(snap, "%zu of %zu threads could not be read (file descriptors: %lld allowed); raise 'ulimit -n' and capture again",
		      n, snap->nthreads, proc_nofile_limit());
}

/* --- nonstop -------------------------------------------------------------- */

static void read_blocked(struct snap_thread *t, const struct proc_syscall *sc)
{
	t->syscall = sc->nr >= 0 ? sc->nr : -1;
	if (sc->nr >= 0)
		memcpy(t->syscall_args, sc->args, sizeof(t->syscall_args));
	t->regs = (struct snap_regs){0};
	t->regs.orig_rax = -1;
	t->regs.r[SNAP_REG_RSP] = sc->sp;
	t->regs.r[SNAP_REG_RIP] = sc->pc;
	t->regs.valid = (1u << SNAP_REG_RSP) | (1u << SNAP_REG_RIP);
	t->how = SNAP_HOW_SYSCALL;
}


/* Briefly stops one thread that is running in user space.  The check that
 * it is still running is repeated right before the stop, so only a thread
 * that enters a blocking call in the microseconds between the two could
 * see it interrupted.  Runs on the tracer thread (tracer_run). */
static void stop_one(struct tracer *tr, pid_t pid, struct snapshot *snap, struct snap_thread *t, size_t max_stack, bool never_stop)
{
	struct proc_syscall sc;
	if (!proc_task_syscall(pid, t->tid, &sc)) {
		set_read_error(t, errno);
		return;
	}
	if (sc.nr != -2) {
		read_blocked(t, &sc);
		plan_stack(snap, t, max_stack, nonstop_window);
		size_t one = (size_t)(t - snap->threads);
		copy_stacks(snap, &one, 1);
		return;
	}
	if (never_stop) {
		set_error(t, "running in user space; not stopped (--no-stop)");
		return;
	}
	int e = tracer_seize(tr, t->tid);
	if (e) {
		char name[64];
		pid_t by;
		if (e == ESRCH)
			set_exited(t);
		else if (e == EPERM && (by = proc_task_tracer(pid, t->tid, name, sizeof(name))) > 0)
			set_error(t, "running, and already traced by PID %d (%s): its registers cannot be read; detach that tracer", by, name);
		else
			set_error(t, "running; PTRACE_SEIZE failed: %s", strerror(e));
		return;
	}
	uint64_t t0 = now_us();
	tracer_interrupt(tr, tr->n - 1);
	enum tracer_wait w = tracer_wait(tr);
	const struct tracee *te = &tr->v[tr->n - 1];
	if (te->state == TRACEE_GONE) {
		set_exited(t);
	} else if (te->state != TRACEE_STOPPED) {
		if (w == TRACER_ABORTED)
			set_error(t, "not read: pileup was interrupted");
		else
			set_error(t, "running, then did not stop within %d s (uninterruptible sleep?); its registers were not read",
				  TRACER_STALL_MS / 1000);
	} else if (get_regs(t->tid, &t->regs)) {
		t->how = SNAP_HOW_STOPPED;
		plan_stack(snap, t, max_stack, 0);
		size_t one = (size_t)(t - snap->threads);
		copy_stacks(snap, &one, 1);
	} else {
		set_error(t, "PTRACE_GETREGSET failed: %s", strerror(errno));
	}
	tracer_release(tr);
	uint64_t d = now_us() - t0;
	if (d > snap->pause_us)
		snap->pause_us = d; /* the longest any one thread was stopped */
	if (t->regs.have_orig_rax && t->regs.orig_rax >= 0)
		t->syscall = (long)t->regs.orig_rax;
}

/* Reads one thread until two looks agree it stayed put while its stack
 * was copied; a thread found running is stopped briefly instead. */
static void capture_one(struct tracer *tr, pid_t pid, struct snapshot *snap, struct snap_thread *t, size_t max_stack, bool never_stop)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		struct proc_syscall a, b;
		if (!proc_task_syscall(pid, t->tid, &a)) {
			set_read_error(t, errno);
			return;
		}
		if (a.nr == -2) {
			stop_one(tr, pid, snap, t, max_stack, never_stop);
			return;
		}
		fill_from_stat(pid, t);
		read_blocked(t, &a);
		plan_stack(snap, t, max_stack, nonstop_window);
		size_t one = (size_t)(t - snap->threads);
		copy_stacks(snap, &one, 1);
		if (proc_task_syscall(pid, t->tid, &b) && b.nr == a.nr && b.sp == a.sp && b.pc == a.pc)
			return;
	}
	set_error(t, "thread kept changing during capture; its stack may be inconsistent");
}

/* Runs fn over [0, n) split in two halves, one on a helper thread: the
 * /proc reads of thousands of threads are independent system calls, and
 * the kernel serves them in parallel. */
typedef void (*range_fn)(void *ctx, size_t from, size_t to);
struct half {
	range_fn fn;
	void *ctx;
	size_t from, to;
};

static void *half_main(void *arg)
{
	struct half *h = arg;
	h->fn(h->ctx, h->from, h->to);
	return NULL;
}

static void run_halves(range_fn fn, void *ctx, size_t n, bool parallel)
{
	static long ncpu;
	if (!ncpu)
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th;
	struct half h = {fn, ctx, n / 2, n};
	if (!parallel || n < 256 || ncpu < 2 || getenv("PILEUP_ONE_THREAD") || pthread_create(&th, NULL, half_main, &h) != 0) {
		fn(ctx, 0, n);
		return;
	}
	fn(ctx, 0, n / 2);
	pthread_join(th, NULL);
}

enum { SCAN_NONE, SCAN_BLOCKED, SCAN_RUNNING, SCAN_CHANGED };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The debug information of the code the threads are in loads on another
 * thread while the capture reads on (unwind_prefetch): pcs of a sample of
 * the threads (of all with tids NULL) tell which modules. */
static void prefetch_debuginfo(pid_t pid, struct snapshot *snap, const pid_t *tids, size_t ntids)
{
	enum { SAMPLE = 32 };
	size_t n = 0, max = tids ? SAMPLE : snap->nthreads;
	uint64_t *pcs = xmalloc((max ? max : 1) * sizeof(*pcs));
	if (tids) {
		for (size_t k = 0; k < SAMPLE && k < ntids; k++) {
			struct proc_syscall sc;
			size_t i = ntids <= SAMPLE ? k : k * ntids / SAMPLE;
			if (proc_task_syscall(pid, tids[i], &sc) && sc.nr != -2)
				pcs[n++] = sc.pc;
		}
	} else {
		for (size_t i = 0; i < snap->nthreads; i++)
			if (snap->threads[i].regs.valid & (1u << SNAP_REG_RIP))
				pcs[n++] = snap->threads[i].regs.r[SNAP_REG_RIP];
	}
	qsort(pcs, n, sizeof(*pcs), cmp_u64);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || pcs[i] != pcs[k - 1])
			pcs[k++] = pcs[i];
	unwind_prefetch(snap, pcs, k);
	free(pcs);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Closes the descriptors of fds (-1: none) and sets them to -1: each run
 * of consecutive numbers (all ours) with one close_range. */
static void close_all(int *fds, size_t n)
{
	int *v = xmalloc((n ? n : 1) * sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			v[k++] = fds[i];
		fds[i] = -1;
	}
	qsort(v, k, sizeof(*v), cmp_int);
	for (size_t i = 0; i < k;) {
		size_t j = i + 1;
		while (j < k && v[j] == v[j - 1] + 1)
			j++;
		if (j - i < 4 || close_range((unsigned)v[i], (unsigned)v[j - 1], 0) != 0)
			for (size_t m = i; m < j; m++)
				close(v[m]);
		i = j;
	}
	free(v);
}

struct scan {
	pid_t pid;
	struct snapshot *snap;
	struct proc_syscall *first;
	int *fds;      /* syscall files, open from the first look to the second */
	int *sfds;     /* stat files, all closed at the end */
	bool keep_stat; /* descriptors enough to keep the stat files open */
	/* syscall files that may stay open: the descriptors beyond those
	 * are opened and closed thread by thread, so a low RLIMIT_NOFILE
	 * costs time, never threads */
	atomic_long fd_budget;
	unsigned char *kind;
	size_t *blocked, nblocked;
};

/* The syscall of threads [from, to). */
static void scan_first(void *ctx, size_t from, size_t to)
{
	struct scan *sc = ctx;
	for (size_t i = from; i < to && !capture_live_abort; i++) {
		struct snap_thread *t = &sc->snap->threads[i];
		struct proc_syscall now;
		/* Kept open, so the second look below is one pread. */
		int fd = atomic_fetch_sub(&sc->fd_budget, 1) > 0 ? proc_task_syscall_open(sc->pid, t->tid, &now) : -1;
		if (fd < 0 && !proc_task_syscall(sc->pid, t->tid, &now)) {
			int e = errno;
			fill_from_stat(sc->pid, t);
			if (t->state == 'Z') {
				set_error(t, "thread has exited (zombie)");
				t->exited = true;
			} else {
				set_read_error(t, e);
			}
			sc->kind[i] = SCAN_NONE;
			continue;
		}
		if (now.nr == -2) {
			if (fd >= 0)
				close(fd);
			sc->kind[i] = SCAN_RUNNING; /* read on its own below */
			continue;
		}
		read_blocked(t, &now);
		sc->first[i] = now;
		sc->fds[i] = fd;
		sc->kind[i] = SCAN_BLOCKED;
	}
}

/* Names and states of threads [from, to), once their stacks are copied;
 * the files stay open when there are descriptors enough, to be closed
 * all at once. */
static void scan_stat(void *ctx, size_t from, size_t to)
{
	struct scan *sc = ctx;
	for (size_t i = from; i < to && !capture_live_abort; i++) {
		struct snap_thread *t = &sc->snap->threads[i];
		if (sc->kind[i] == SCAN_NONE)
			continue; /* read already */
		struct proc_task_stat st;
		sc->sfds[i] = sc->keep_stat ? proc_task_stat_open(sc->pid, t->tid, &st) : -1;
		if (sc->sfds[i] >= 0) {
			t->state = st.state;
			free(t->name);
			t->name = xstrdup(st.name);
		} else {
			fill_from_stat(sc->pid, t);
		}
	}
}

struct copy_job {
	pid_t pid;
	struct snapshot *snap;
	const size_t *idx;
};

static void copy_range(void *ctx, size_t from, size_t to)
{
	struct copy_job *c = ctx;
	copy_stacks(c->snap, c->idx + from, to - from);
}

/* A thread that woke up while its stack was being copied may have changed
 * it: is each still where it was? */
static void scan_again(void *ctx, size_t from, size_t to)
{
	struct scan *sc = ctx;
	for (size_t k = from; k < to && !capture_live_abort; k++) {
		size_t i = sc->blocked[k];
		struct snap_thread *t = &sc->snap->threads[i];
		struct proc_syscall now;
		bool ok = sc->fds[i] >= 0 ? proc_task_syscall_reread(sc->fds[i], &now) : proc_task_syscall(sc->pid, t->tid, &now);
		if (!ok)
			set_read_error(t, errno);
		else if (now.nr != sc->first[i].nr || now.sp != sc->first[i].sp || now.pc != sc->first[i].pc)
			sc->kind[i] = SCAN_CHANGED;
	}
}

struct rest_job {
	pid_t pid;
	struct snapshot *snap;
	size_t max_stack;
	bool never_stop;
	size_t *idx, n;
};

static struct pu_error *rest_main(void *arg)
{
	struct rest_job *rj = arg;
	struct tracer tr;
	tracer_init(&tr, rj->pid);
	for (size_t k = 0; k < rj->n && !capture_live_abort; k++)
		capture_one(&tr, rj->pid, rj->snap, &rj->snap->threads[rj->idx[k]], rj->max_stack, rj->never_stop);
	tracer_release(&tr);
	return NULL;
}

static struct pu_error *capture_nonstop(pid_t pid, struct snapshot *snap, const struct capture_opts *o, size_t max_stack)
{
	pid_t *tids;
	ssize_t n = proc_list_tasks(pid, &tids);
	if (n <= 0)
		return pu_error_new(PU_EXIT_USAGE, "process %d exited during capture; nothing to report", pid);
	/* Test hook: widen the window in which the target can exit or change. */
	const char *delay = getenv("PILEUP_TEST_DELAY_US");
	if (delay)
		usleep((useconds_t)atoi(delay));
	phase("list tasks");
	if (n > GO_WINDOW_MAX_THREADS)
		nonstop_window = NONSTOP_WINDOW;
	/* The per-thread files are opened relative to /proc/PID/task: with
	 * it open, two threads can read them. */
	bool par = proc_task_dir_open(pid);
	prefetch_debuginfo(pid, snap, tids, (size_t)n);
	for (ssize_t i = 0; i < n; i++)
		snapshot_add_thread(snap, tids[i]);
	free(tids);
	struct scan sc = {.pid = pid, .snap = snap};
	sc.first = xmalloc((size_t)n * sizeof(*sc.first));
	sc.fds = xmalloc((size_t)n * sizeof(*sc.fds));
	sc.sfds = xmalloc((size_t)n * sizeof(*sc.sfds));
	sc.kind = xcalloc((size_t)n, sizeof(*sc.kind));
	sc.blocked = xmalloc((size_t)n * sizeof(*sc.blocked));
	for (ssize_t i = 0; i < n; i++)
		sc.fds[i] = sc.sfds[i] = -1;
	/* Descriptors for the module files the prefetch opens meanwhile, and
	 * for the unwinder, are kept in reserve. */
	struct rlimit nofile;
	bool lim = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY;
	sc.keep_stat = !lim || (rlim_t)n + FD_RESERVE < nofile.rlim_cur;
	atomic_init(&sc.fd_budget, !lim ? (long)n : (long)nofile.rlim_cur - FD_RESERVE);
	run_halves(scan_first, &sc, (size_t)n, par);
	phase("syscall");

	/* The top of each stack, all in one arena. */
	size_t total = 0;
	for (size_t i = 0; i < (size_t)n; i++) {
		if (sc.kind[i] != SCAN_BLOCKED)
			continue;
		sc.blocked[sc.nblocked++] = i;
		total += (stack_extent(snap, &snap->threads[i], max_stack, nonstop_window) + 15) & ~(size_t)15;
	}
	snapshot_arena_reserve(snap, total);
	for (size_t k = 0; k < sc.nblocked; k++)
		plan_stack(snap, &snap->threads[sc.blocked[k]], max_stack, nonstop_window);
	if (timing_on())
		fprintf(stderr, "pileup: capture: %zu stacks, %zu KB\n", sc.nblocked, total / 1024);
	phase("plan stacks");
	struct copy_job cj = {pid, snap, sc.blocked};
	run_halves(copy_range, &cj, sc.nblocked, true);
	phase("copy stacks");
	copy_futex_words((pid_t)(intptr_t)snap->read_ctx, snap);
	phase("futex words");
	run_halves(scan_again, &sc, sc.nblocked, par);
	close_all(sc.fds, (size_t)n);
	phase("recheck");
	run_halves(scan_stat, &sc, (size_t)n, par);
	close_all(sc.sfds, (size_t)n);
	phase("stat");
	/* Threads that moved, and those running in user space, one by one;
	 * a running one is stopped briefly, from the tracer thread. */
	struct rest_job rj = {pid, snap, max_stack, o->never_stop, xmalloc(((size_t)n + 1) * sizeof(size_t)), 0};
	for (size_t i = 0; i < (size_t)n; i++)
		if (sc.kind[i] == SCAN_CHANGED)
			rj.idx[rj.n++] = i;
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (sc.kind[i] != SCAN_CHANGED && t->how == SNAP_HOW_NONE && !t->error)
			rj.idx[rj.n++] = i;
	}
	free(sc.fds);
	free(sc.sfds);
	free(sc.first);
	free(sc.kind);
	free(sc.blocked);
	if (rj.n && !capture_live_abort)
		tracer_run(rest_main, &rj);
	free(rj.idx);
	phase("changed + running");
	return NULL;
}

/* --- stop-all ------------------------------------------------------------- */

/* Names and states of threads [from, to) once detached.  The state of a
 * stopped thread reads 't'; we record what it was doing. */
static void stat_after_stop(void *ctx, size_t from, size_t to)
{
	struct scan *sc = ctx;
	for (size_t i = from; i < to; i++) {
		struct snap_thread *t = &sc->snap->threads[i];
		fill_from_stat(sc->pid, t);
		if (t->state == 't')
			t->state = t->syscall >= 0 ? 'S' : 'R';
	}
}

struct stop_job {
	pid_t pid;
	struct snapshot *snap;
	size_t max_stack;
	bool copy_memory;
	size_t gone; /* seized threads that exited before they were read */
};

/* A thread that never reached its stop (uninterruptible sleep: a hung
 * NFS read, a stuck device) is read as the default mode reads a blocked
 * thread, which needs no stop. */
static void read_unstopped(pid_t pid, struct snapshot *snap, struct snap_thread *t, size_t max_stack)
{
	struct proc_syscall sc;
	if (!proc_task_syscall(pid, t->tid, &sc)) {
		set_read_error(t, errno);
	} else if (sc.nr == -2) {
		set_error(t, "did not stop within %d s; its registers were not read", TRACER_STALL_MS / 1000);
	} else {
		read_blocked(t, &sc);
		plan_stack(snap, t, max_stack, nonstop_window);
	}
}

/* Runs on the tracer thread: stop everyone, copy, let go. */
static struct pu_error *stop_all_main(void *arg)
{
	struct stop_job *j = arg;
	struct snapshot *snap = j->snap;
	struct tracer tr;
	tracer_init(&tr, j->pid);
	/* Memory for every stack, faulted in before anyone stops: the pause
	 * then holds no allocation.  A thread in a system call gets the top
	 * of its stack copied (STOPPED_WINDOW), one in user space all of
	 * it; more comes from the arena later. */
	long nthr = proc_thread_count(j->pid);
	if (nthr > GO_WINDOW_MAX_THREADS)
		stopped_window = STOPPED_WINDOW;
	snapshot_arena_reserve(snap, (size_t)(nthr > 0 ? nthr : 1) * (stopped_window + 1024 + WORD_WINDOW) + (4u << 20) +
					     (j->copy_memory ? writable_bytes(snap) : 0));
	phase("arena");
	struct pu_error *err = tracer_stop_all(&tr, "nothing to report");
	phase("seize, interrupt, wait");
	if (!err && capture_live_abort)
		err = pu_error_new(PU_EXIT_USAGE, "interrupted; the target was detached and left running");
	if (!err) {
		/* Everyone is stopped: registers, then all stacks in one batch. */
		size_t exited = tr.exited;
		size_t *idx = xmalloc((tr.n + 1) * sizeof(*idx)), nidx = 0;
		for (size_t i = 0; i < tr.n; i++) {
			const struct tracee *te = &tr.v[i];
			if (te->state == TRACEE_GONE) {
				j->gone++; /* exited meanwhile */
				continue;
			}
			struct snap_thread *t = snapshot_add_thread(snap, te->tid);
			if (te->state != TRACEE_STOPPED) {
				read_unstopped(j->pid, snap, t, j->max_stack);
			} else if (!get_regs(te->tid, &t->regs)) {
				set_error(t, "PTRACE_GETREGSET failed: %s", strerror(errno));
				continue;
			} else {
				t->how = SNAP_HOW_STOPPED;
				if (t->regs.orig_rax >= 0)
					t->syscall = (long)t->regs.orig_rax;
				/* ptrace's syscall args: rdi rsi rdx r10 r8 r9 */
				uint64_t *r = t->regs.r;
				uint64_t a[6] = {r[5], r[4], r[1], r[10], r[8], r[9]};
				memcpy(t->syscall_args, a, sizeof(a));
				plan_stack(snap, t, j->max_stack, t->regs.orig_rax >= 0 ? stopped_window : 0);
			}
			if (t->stack.len)
				idx[nidx++] = (size_t)(t - snap->threads);
		}
		phase("registers");
		copy_stacks(snap, idx, nidx);
		free(idx);
		phase("copy stacks");
		copy_futex_words((pid_t)(intptr_t)snap->read_ctx, snap);
		phase("futex words");
		if (j->copy_memory) {
			copy_writable((pid_t)(intptr_t)snap->read_ctx, snap);
			phase("writable memory");
		}
		/* A thread held stopped exits only when the process is killed
		 * (or ended by a thread that never stopped): its memory may have
		 * gone before the copies, which then read nothing and say
		 * nothing of it.  The exit is reported only once done; the
		 * threads still held say at once that they were killed. */
		if (tracer_poll(&tr) > exited || tracer_held_killed(&tr))
			err = pu_error_new(PU_EXIT_USAGE, "process %d exited during capture; nothing to report", j->pid);
	}
	uint64_t first = tr.first_interrupt_us;
	tracer_release(&tr);
	phase("detach");
	if (first)
		snap->pause_us = now_us() - first;
	return err;
}

static struct pu_error *capture_stop_all(pid_t pid, struct snapshot *snap, size_t max_stack, bool copy_memory, size_t *gone)
{
	struct stop_job j = {pid, snap, max_stack, copy_memory, 0};
	struct pu_error *err = tracer_run(stop_all_main, &j);
	*gone = j.gone;
	if (!err)
		prefetch_debuginfo(pid, snap, NULL, 0);
	/* Names and states after detaching: /proc reads need no stop. */
	struct scan sc = {.pid = pid, .snap = snap};
	run_halves(stat_after_stop, &sc, snap->nthreads, proc_task_dir_open(pid));
	phase("stat");
	return err;
}

/* --- entry ---------------------------------------------------------------- */

/* A zombie thread has exited and has no stack; the kernel keeps a main
 * thread that called pthread_exit so while the others run.  Not listed,
 * as in the --stop-all capture, which cannot seize it. */
static void drop_zombies(struct snapshot *snap)
{
	size_t k = 0;
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (t->state == 'Z') {
			free(t->name);
			free(t->error);
			if (!t->stack.in_arena)
				free(t->stack.data);
			continue;
		}
		if (k != i)
			snap->threads[k] = *t;
		k++;
	}
	snap->nthreads = k;
}

/* What the snapshot of a live process keeps of it: a pidfd, to tell
 * later whether the process has exited since (its files are gone then). */
struct live_state {
	int pidfd;
};

static void live_free(void *p)
{
	struct live_state *ls = p;
	if (ls->pidfd >= 0)
		close(ls->pidfd);
	free(ls);
}

bool capture_live_exited(const struct snapshot *snap, int wait_ms)
{
	if (snap->source != SNAP_LIVE || snap->input_free != live_free)
		return false;
	const struct live_state *ls = snap->input_state;
	return proc_pidfd_exited(ls->pidfd, snap->pid, wait_ms);
}

struct pu_error *capture_live(pid_t pid, const struct capture_opts *o, struct snapshot **ret)
{
	*ret = NULL;
	struct pu_error *err = proc_check_target(pid, o->stop_all);
	if (err)
		return err;
	/* One descriptor per thread is held briefly: allow as many as we may. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	timing_begin("capture");
	uint64_t t0 = now_us();
	struct snapshot *snap = snapshot_create(SNAP_LIVE);
	snap->pid = pid;
	struct live_state *ls = xmalloc(sizeof(*ls));
	ls->pidfd = proc_pidfd(pid);
	snap->input_state = ls;
	snap->input_free = live_free;
	snap->mode = o->stop_all ? SNAP_MODE_STOP_ALL : SNAP_MODE_NONSTOP;
	snap->taken_at = (int64_t)time(NULL);
	char dir[64], path[80], buf[PATH_MAX];
	proc_dir(pid, dir, sizeof(dir));
	snap->root = xasprintf("%s/root", dir);
	snap->read_fn = capture_live_read;
	snap->read_ctx = (void *)(intptr_t)proc_live_tid(pid);
	fdinfo_attach(snap, (pid_t)(intptr_t)snap->read_ctx); /* fds are described when a waiter names one */
	snprintf(path, sizeof(path), "%s/exe", dir);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		snap->exe = xstrdup(buf);
	}
	snap->exe_open = xstrdup(path);
	bool go = gobin_path_is_go(path);
	nonstop_window = go ? GO_WINDOW : NONSTOP_WINDOW;
	stopped_window = go ? GO_WINDOW : STOPPED_WINDOW;
	phase(NULL);
	err = proc_read_maps(pid, snap, "nothing to report");
	if (!err && !snap->nmaps)
		/* A process has mappings until its memory is torn down on exit. */
		err = pu_error_new(PU_EXIT_USAGE, "process %d exited during capture; nothing to report", pid);
	if (err)
		goto fail;
	phase("maps");
	snapshot_sort(snap);
	size_t max_stack = o->stack_bytes ? o->stack_bytes : CAPTURE_DEFAULT_STACK_BYTES;
	size_t gone = 0;
	err = o->stop_all ? capture_stop_all(pid, snap, max_stack, o->copy_memory, &gone) : capture_nonstop(pid, snap, o, max_stack);
	if (err)
		goto fail;
	if (capture_live_abort) {
		err = pu_error_new(PU_EXIT_USAGE, "interrupted; the target was detached and left running");
		goto fail;
	}
	/* Gone before we finished: what was read is of a process in the
	 * middle of exiting, and its files (map_files, /proc/PID/root) are
	 * gone with it.  Its pidfd says so only once the last thread is
	 * gone; until then the threads left say whether they were killed.
	 * A thread found a zombie (dropped below) went missing too. */
	for (size_t i = 0; i < snap->nthreads; i++)
		gone += snap->threads[i].state == 'Z';
	if ((snapshot_partial_threads(snap) || !snap->nthreads || gone) && (capture_live_exited(snap, 0) || proc_exiting(pid))) {
		err = pu_error_new(PU_EXIT_USAGE, "process %d exited during capture; nothing to report", pid);
		goto fail;
	}
	drop_zombies(snap);
	not_read_warning(snap);
	snapshot_sort(snap);
	phase("rest");
	snap->elapsed_us = now_us() - t0;
	/* what a thread that exited took with it is said per thread */
	atomic_store(&read_gone, false);
	/* Test hook (t_faults_kill.sh): a pause between the capture and the
	 * unwinding, announced on stderr, in which a test ends the target. */
	const char *pause_ms = getenv("PILEUP_TEST_PAUSE_AFTER_CAPTURE_MS");
	if (pause_ms) {
		fprintf(stderr, "pileup: test: captured, pausing\n");
		usleep((useconds_t)atoi(pause_ms) * 1000);
	}
	*ret = snap;
	return NULL;
fail:
	snapshot_destroy(snap);
	return err;
}
