/* tracer.h - stopping threads of a live process with ptrace, and always
 * letting them go.
 *
 * ptrace ties a tracee to the thread that seized it, and when that thread
 * ends the kernel detaches whatever it still holds: a thread that never
 * reached its stop (uninterruptible sleep), one that died meanwhile (its
 * zombie goes back to the parent).  tracer_run() therefore does a
 * capture's ptrace work on a thread of its own, so the target is never
 * left stopped or unreapable, whichever way the capture ends.
 *
 * Waiting never blocks for good: a thread that exits instead of stopping
 * is seen at once, whatever the order (a dying process's leader is only
 * reported once every other thread was reaped, and pileup reaps them as
 * they come), a signal to pileup (capture_live_abort) ends the wait within
 * milliseconds, and threads that make no progress for TRACER_STALL_MS
 * (uninterruptible sleep, a hung NFS read) are given up and left to the
 * kernel's release. */
#ifndef PILEUP_TRACER_H
#define PILEUP_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum { TRACER_STALL_MS = 2000 };

enum tracee_state {
	TRACEE_RUNNING, /* seized; its stop was asked for and has not come */
	TRACEE_STOPPED,
	TRACEE_GONE,    /* exited (reaped), or no longer ours */
};

struct tracee {
	pid_t tid;
	int sig;             /* a signal that arrived meanwhile, handed back on detach */
	unsigned char state; /* enum tracee_state */
};

struct tracer {
	pid_t pid;
	struct tracee *v; /* in the order seized */
	size_t n, cap;
	uint32_t *slots;  /* tid -> index + 1 (open addressing) */
	size_t nslots;
	size_t exited;    /* tracees whose exit was seen */
	uint64_t first_interrupt_us;
};

enum tracer_wait { TRACER_DONE, TRACER_ABORTED, TRACER_STALLED };

void tracer_init(struct tracer *tr, pid_t pid);
/* Detaches every stopped tracee (handing back its signal) and forgets
 * them all; one still running is released when the tracer thread ends. */
void tracer_release(struct tracer *tr);

/* PTRACE_SEIZE of thread tid (which stops nothing).  0, or why not:
 * ESRCH for a thread that is gone or exiting (the kernel says EPERM for
 * those), EPERM otherwise (another tracer: proc_task_tracer says who). */
int tracer_seize(struct tracer *tr, pid_t tid);
/* Asks every tracee from index from on to stop, in one tight loop. */
void tracer_interrupt(struct tracer *tr, size_t from);
/* Waits until no tracee is TRACEE_RUNNING. */
enum tracer_wait tracer_wait(struct tracer *tr);
/* Collects what happened to stopped tracees meanwhile, without waiting:
 * returns how many exited so far (a held thread only exits when the
 * process is killed). */
size_t tracer_poll(struct tracer *tr);
struct tracee *tracer_find(struct tracer *tr, pid_t tid);
/* Whether the process was killed while its threads are held: at once,
 * before the exits tracer_poll would see (which come only once done). */
bool tracer_held_killed(struct tracer *tr);

/* Seizes and stops every thread of tr->pid, reading the task list again
 * until it shows nobody new (a thread not yet stopped may start others).
 * Threads that exit meanwhile are skipped; threads that do not stop stay
 * TRACEE_RUNNING.  Errors name the cause; what says what the failure
 * means for the user ("nothing to report", "no core was written"). */
struct pu_error *tracer_stop_all(struct tracer *tr, const char *what);

/* Runs fn(arg) on a thread of its own and returns its result: every
 * tracee it still holds is released when that thread ends. */
struct pu_error *tracer_run(struct pu_error *(*fn)(void *arg), void *arg);

#endif
