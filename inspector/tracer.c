#include "tracer.h"
#include "capture_live.h"
#include "proc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- the set of tracees ------------------------------------------------------ */

void tracer_init(struct tracer *tr, pid_t pid)
{
	memset(tr, 0, sizeof(*tr));
	tr->pid = pid;
}

static size_t slot_of(pid_t tid, size_t nslots)
{
	return (size_t)(uint32_t)tid * 2654435761u & (nslots - 1);
}

/* The table stays at most half full: rescans of 10,000 threads must not
 * cost a search each. */
static void index_add(struct tracer *tr, size_t idx)
{
	if ((tr->n + 1) * 2 > tr->nslots) {
		size_t ns = tr->nslots ? tr->nslots * 2 : 1024;
		while ((tr->n + 1) * 2 > ns)
			ns *= 2;
		free(tr->slots);
		tr->slots = xcalloc(ns, sizeof(*tr->slots));
		tr->nslots = ns;
		for (size_t i = 0; i < tr->n; i++) {
			size_t j = slot_of(tr->v[i].tid, ns);
			while (tr->slots[j])
				j = (j + 1) & (ns - 1);
			tr->slots[j] = (uint32_t)i + 1;
		}
	}
	size_t j = slot_of(tr->v[idx].tid, tr->nslots);
	while (tr->slots[j])
		j = (j + 1) & (tr->nslots - 1);
	tr->slots[j] = (uint32_t)idx + 1;
}

struct tracee *tracer_find(struct tracer *tr, pid_t tid)
{
	if (!tr->nslots)
		return NULL;
	for (size_t j = slot_of(tid, tr->nslots); tr->slots[j]; j = (j + 1) & (tr->nslots - 1))
		if (tr->v[tr->slots[j] - 1].tid == tid)
			return &tr->v[tr->slots[j] - 1];
	return NULL;
}

int tracer_seize(struct tracer *tr, pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) != 0) {
		int e = errno;
		/* The kernel refuses a thread that is exiting with EPERM, as it
		 * refuses another tracer's thread: tell them apart. */
		if (e == EPERM && proc_task_exiting(tr->pid, tid))
			e = ESRCH;
		return e;
	}
	xgrow(&tr->v, &tr->cap, tr->n + 1, sizeof(*tr->v));
	tr->v[tr->n] = (struct tracee){.tid = tid, .state = TRACEE_RUNNING};
	index_add(tr, tr->n);
	tr->n++;
	return 0;
}

void tracer_interrupt(struct tracer *tr, size_t from)
{
	if (from < tr->n && !tr->first_interrupt_us)
		tr->first_interrupt_us = now_us();
	for (size_t i = from; i < tr->n; i++)
		if (tr->v[i].state == TRACEE_RUNNING)
			ptrace(PTRACE_INTERRUPT, tr->v[i].tid, 0, 0);
}

/* What a wait status says about tracee t. */
static void note(struct tracer *tr, struct tracee *t, int st)
{
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		t->state = TRACEE_GONE;
		tr->exited++;
		return;
	}
	if (!WIFSTOPPED(st) || t->state != TRACEE_RUNNING)
		return;
	t->state = TRACEE_STOPPED;
	/* An interrupt or a group stop hands nothing back; any other stop is
	 * a signal on its way to the thread, delivered on detach. */
	t->sig = (st >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(st);
}

/* waitpid for one tracee: whether it reported. */
static bool reap(struct tracer *tr, struct tracee *t, int flags)
{
	int st;
	pid_t w = waitpid(t->tid, &st, __WALL | flags);
	if (w == t->tid) {
		note(tr, t, st);
		return true;
	}
	if (w < 0 && errno == ECHILD) {
		/* Not ours any more (reaped, or gone through an exec). */
		t->state = TRACEE_GONE;
		return true;
	}
	return false;
}

/* One look at every tracee in state, without waiting: how many reported. */
static size_t sweep(struct tracer *tr, unsigned char state)
{
	size_t got = 0;
	for (size_t i = 0; i < tr->n; i++)
		if (tr->v[i].state == state && reap(tr, &tr->v[i], WNOHANG))
			got++;
	return got;
}

size_t tracer_poll(struct tracer *tr)
{
	sweep(tr, TRACEE_STOPPED);
	return tr->exited;
}

bool tracer_held_killed(struct tracer *tr)
{
	/* A kill (or exit_group) puts a SIGKILL in every thread's own pending
	 * set, then wakes it (kernel/signal.c complete_signal,
	 * zap_other_threads): a held thread that still reads stopped ('t',
	 * or 'T') with no SIGKILL waiting (/proc/PID/task/TID/stat) was not
	 * killed, nor was the process.  One held thread says it. */
	for (size_t i = 0; i < tr->n; i++) {
		if (tr->v[i].state != TRACEE_STOPPED)
			continue;
		struct proc_task_stat st;
		errno = 0;
		if (!proc_task_stat(tr->pid, tr->v[i].tid, &st))
			return errno == ENOENT || errno == ESRCH; /* out of descriptors says nothing */
		return (st.state != 't' && st.state != 'T') || (st.pending >> (SIGKILL - 1) & 1);
	}
	return false;
}

/* --- waiting ------------------------------------------------------------------ */

/* A tick every TICK_MS interrupts the tracer thread's waitpid (EINTR), so
 * that it can look around: a signal to pileup, a tracee that exited out
 * of order, no progress at all.  The waits themselves block, one tracee
 * at a time, which costs nothing while the stops come. */
enum { TICK_MS = 10 };

static void on_tick(int sig)
{
	(void)sig;
}

struct ticker {
	timer_t id;
	bool on;
};

static void ticker_start(struct ticker *tk)
{
	tk->on = false;
	int sig = SIGRTMIN + 3; /* glibc keeps the first ones for itself */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the wait must return */
	if (sigaction(sig, &sa, NULL) != 0)
		return;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = sig;
	sev._sigev_un._tid = gettid(); /* this thread only */
	if (timer_create(CLOCK_MONOTONIC, &sev, &tk->id) != 0)
		return;
	struct itimerspec its = {{0, TICK_MS * 1000000L}, {0, TICK_MS * 1000000L}};
	if (timer_settime(tk->id, 0, &its, NULL) != 0) {
		timer_delete(tk->id);
		return;
	}
	tk->on = true;
}

static void ticker_stop(struct ticker *tk)
{
	if (tk->on)
		timer_delete(tk->id); /* a tick already queued is harmless */
	tk->on = false;
}

static void nap(unsigned us)
{
	struct timespec ts = {0, (long)us * 1000};
	nanosleep(&ts, NULL);
}

enum tracer_wait tracer_wait(struct tracer *tr)
{
	struct ticker tk;
	ticker_start(&tk);
	enum tracer_wait res = TRACER_DONE;
	uint64_t last = now_us();
	size_t events = 0, cur = 0;
	unsigned idle_us = 0;
	for (;;) {
		while (cur < tr->n && tr->v[cur].state != TRACEE_RUNNING)
			cur++;
		if (cur == tr->n) {
			/* Everyone reported, unless one was passed over while
			 * another reported out of order. */
			size_t i = 0;
			while (i < tr->n && tr->v[i].state != TRACEE_RUNNING)
				i++;
			if (i == tr->n)
				break;
			cur = i;
		}
		if (capture_live_abort) {
			res = TRACER_ABORTED;
			break;
		}
		struct tracee *t = &tr->v[cur];
		/* Without a ticker, poll: never block for good. */
		if (reap(tr, t, tk.on ? 0 : WNOHANG)) {
			events++;
			last = now_us();
			idle_us = 0;
			continue;
		}
		/* A tick (or a signal) with nobody reporting since the last
		 * one: look at every tracee, in case the one waited for can only
		 * report after the others (a dying process's leader, which also
		 * waits for the threads that had stopped before the kill). */
		if (!events) {
			size_t got = sweep(tr, TRACEE_RUNNING);
			size_t exited = tr->exited;
			sweep(tr, TRACEE_STOPPED);
			got += tr->exited - exited;
			if (got)
				last = now_us();
			else if (now_us() - last > (uint64_t)TRACER_STALL_MS * 1000) {
				res = TRACER_STALLED;
				break;
			}
			if (!tk.on && !got) {
				idle_us = idle_us ? (idle_us < 2000 ? idle_us * 2 : 2000) : 50;
				nap(idle_us);
			}
		}
		events = 0;
	}
	ticker_stop(&tk);
	return res;
}

void tracer_release(struct tracer *tr)
{
	/* Stopped ones that were killed meanwhile are reaped here too. */
	sweep(tr, TRACEE_STOPPED);
	sweep(tr, TRACEE_RUNNING);
	for (size_t i = 0; i < tr->n; i++) {
		struct tracee *t = &tr->v[i];
		if (t->state == TRACEE_STOPPED && ptrace(PTRACE_DETACH, t->tid, 0, (void *)(intptr_t)t->sig) != 0 && errno == ESRCH)
			reap(tr, t, WNOHANG); /* killed just now: its exit is ours to collect */
		t->state = TRACEE_GONE;
	}
	free(tr->v);
	free(tr->slots);
	pid_t pid = tr->pid;
	tracer_init(tr, pid);
}

/* --- every thread --------------------------------------------------------- */

/* Why thread tid could not be seized, as one line. */
static struct pu_error *seize_error(struct tracer *tr, pid_t tid, int e, const char *what)
{
	char name[64];
	pid_t by = proc_task_tracer(tr->pid, tid, name, sizeof(name));
	if (by > 0 && by != getpid())
		return pu_error_new(PU_EXIT_USAGE,
				    "permission denied: thread %d of process %d is already traced by PID %d (%s); detach that tracer first, "
				    "or drop --stop-all (the default mode needs no ptrace attach for blocked threads)",
				    tid, tr->pid, by, name[0] ? name : "?");
	struct pu_error *err = proc_check_target(tr->pid, true);
	if (err)
		return err;
	return pu_error_new(PU_EXIT_USAGE, "PTRACE_SEIZE of thread %d of process %d failed: %s; %s; drop --stop-all to read blocked threads without ptrace",
			    tid, tr->pid, strerror(e), what);
}

struct pu_error *tracer_stop_all(struct tracer *tr, const char *what)
{
	for (int round = 0;; round++) {
		pid_t *tids;
		ssize_t n = proc_list_tasks(tr->pid, &tids);
		if (n <= 0)
			return pu_error_new(PU_EXIT_USAGE, "process %d exited during capture; %s", tr->pid, what);
		size_t first_new = tr->n;
		for (ssize_t i = 0; i < n; i++) {
			if (tracer_find(tr, tids[i]))
				continue;
			int e = tracer_seize(tr, tids[i]);
			if (e == ESRCH)
				continue; /* gone, or on its way out */
			if (e) {
				struct pu_error *err = seize_error(tr, tids[i], e, what);
				free(tids);
				return err;
			}
		}
		free(tids);
		size_t added = tr->n - first_new;
		/* Seizing stops nobody; the pause starts with the first
		 * interrupt, and all of them go out in one tight loop. */
		tracer_interrupt(tr, first_new);
		if (capture_live_abort)
			return NULL;
		if (!added && round > 0)
			return NULL;
		enum tracer_wait w = tracer_wait(tr);
		if (w != TRACER_DONE)
			return NULL; /* the caller looks at abort and at who is still running */
		if (!added)
			return NULL;
		/* Nobody is left: the process died while being stopped (the
		 * exits of threads killed after their stop are collected first). */
		tracer_poll(tr);
		size_t live = 0;
		for (size_t i = 0; i < tr->n; i++)
			live += tr->v[i].state == TRACEE_STOPPED;
		if (!live)
			return pu_error_new(PU_EXIT_USAGE, "process %d exited during capture; %s", tr->pid, what);
	}
}

/* --- the tracer thread ---------------------------------------------------- */

struct run {
	struct pu_error *(*fn)(void *);
	void *arg;
	struct pu_error *err;
};

static void *run_main(void *p)
{
	struct run *r = p;
	r->err = r->fn(r->arg);
	return NULL;
}

struct pu_error *tracer_run(struct pu_error *(*fn)(void *arg), void *arg)
{
	struct run r = {fn, arg, NULL};
	pthread_t th;
	if (pthread_create(&th, NULL, run_main, &r) != 0)
		return fn(arg); /* no thread to spare: ptrace from this one */
	pthread_join(th, NULL);
	return r.err;
}
