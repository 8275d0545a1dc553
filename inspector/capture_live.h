/* capture_live.h - a snapshot of a running process.
 *
 * Default (nonstop): threads blocked in a syscall or in the kernel are read
 * through /proc/PID/task/TID/syscall (syscall, sp, pc) and the top of their
 * stacks copied with process_vm_readv (the rest, up to stack_bytes, is read
 * when the unwinder gets there), without stopping them, so no blocked call
 * is interrupted.  Only threads running in user space are stopped, one at
 * a time, for the few microseconds it takes to read their registers.
 * With stop_all, every thread is seized and interrupted, registers and
 * stacks are copied (of a thread stopped in a system call, the top 4 KB:
 * its callers stay put while it waits), and all are detached before
 * anything else happens.  All ptrace work is done on a tracer thread
 * (tracer.h), so nothing stays stopped whichever way the capture ends. */
#ifndef PILEUP_CAPTURE_LIVE_H
#define PILEUP_CAPTURE_LIVE_H

#include <stdbool.h>
#include <signal.h>

#include "error.h"
#include "snapshot.h"

struct capture_opts {
	bool stop_all;     /* consistent snapshot: stop every thread briefly */
	bool never_stop;   /* never ptrace: running threads get no stack */
	size_t stack_bytes; /* bytes of stack above sp per thread (0: default) */
	bool copy_memory;  /* with stop_all: copy every writable mapping too (--leaks) */
};

#define CAPTURE_DEFAULT_STACK_BYTES (256 * 1024)

struct pu_error *capture_live(pid_t pid, const struct capture_opts *opts, struct snapshot **ret);

/* Set from a signal handler: capture stops, detaches everything and fails. */
extern volatile sig_atomic_t capture_live_abort;

/* Reads live memory of pid (process_vm_readv); for snap->read_fn. */
size_t capture_live_read(void *ctx, uint64_t addr, void *buf, size_t len);

/* Whether the process of a live snapshot has exited since its capture
 * began, or does within wait_ms (a killed process takes a moment to be
 * gone, and its files go first); false for other snapshots. */
bool capture_live_exited(const struct snapshot *snap, int wait_ms);

/* After the capture, a read of the process (or a module file it mapped)
 * failed because it was gone: capture_live_note_gone.  capture_live_lost
 * says whether that happened and the process of snap has exited: what was
 * worked out after the capture from more than its copies is incomplete. */
void capture_live_note_gone(void);
bool capture_live_lost(const struct snapshot *snap);

#endif
