/* proc.h - reading /proc for a live target (Linux only). */
#ifndef PILEUP_PROC_H
#define PILEUP_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "snapshot.h"

/* Opens a regular file read-only (not a device, FIFO or directory, which
 * could block or mislead); -1 otherwise.  For the target's files. */
int file_open_regular(const char *path);

/* pileup's own soft limit of open files (RLIMIT_NOFILE), -1 if unlimited,
 * for the warnings that tell the user to raise it. */
long long proc_nofile_limit(void);

/* Reads a whole small /proc file into buf (NUL-terminated); returns length or -1. */
ssize_t proc_read_file(const char *path, char *buf, size_t size);

/* pid, or a live thread of it once the main thread has exited
 * (pthread_exit): the kernel then finds no memory through pid, and the
 * process's own maps, exe, root, auxv and pagemap are empty.  proc_dir
 * gives "/proc/PID" or "/proc/PID/task/TID" for it, into buf. */
pid_t proc_live_tid(pid_t pid);
const char *proc_dir(pid_t pid, char *buf, size_t size);

/* Checks that pid names an inspectable user process; error says why not. */
struct pu_error *proc_check_target(pid_t pid, bool need_ptrace);

/* The number of threads of pid (its status file), or -1. */
long proc_thread_count(pid_t pid);
/* A pidfd of process pid (-1 where the kernel has none), and whether the
 * process has exited, all its threads, within wait_ms (pidfd -1: judged
 * from /proc). */
int proc_pidfd(pid_t pid);
bool proc_pidfd_exited(int pidfd, pid_t pid, int wait_ms);

/* Lists the thread ids of pid into *ret (sorted); returns count or -1. */
ssize_t proc_list_tasks(pid_t pid, pid_t **ret);

/* Opens /proc/PID/task for the per-thread reads below, which are then
 * safe to make from several threads at once (for the same pid). */
bool proc_task_dir_open(pid_t pid);

struct proc_task_stat {
	char state;
	char name[64];
	unsigned long flags;
	unsigned long long start; /* clock ticks after boot */
	unsigned long pending;    /* signals sent to this thread alone, not taken yet (bit N-1: signal N) */
};
bool proc_task_stat(pid_t pid, pid_t tid, struct proc_task_stat *ret);
/* The same, leaving the file open: returns its fd, or -1 (gone, or out of
 * descriptors).  Thousands of descriptors close in one close_range. */
int proc_task_stat_open(pid_t pid, pid_t tid, struct proc_task_stat *ret);

/* /proc/PID/task/TID/syscall: nr >= 0 blocked in that syscall (args, sp,
 * pc valid); nr == -1 blocked outside a syscall (sp, pc valid);
 * nr == -2 running; returns false if the thread is gone. */
struct proc_syscall {
	long nr;
	uint64_t args[6];
	uint64_t sp, pc;
};
bool proc_task_syscall(pid_t pid, pid_t tid, struct proc_syscall *ret);
/* The same, keeping the file open to look again with one pread:
 * returns the fd (or -1: gone, or out of descriptors). */
int proc_task_syscall_open(pid_t pid, pid_t tid, struct proc_syscall *ret);
bool proc_task_syscall_reread(int fd, struct proc_syscall *ret);

/* Fills snap->maps from /proc/PID/maps; what says what a failure means
 * ("nothing to report"). */
struct pu_error *proc_read_maps(pid_t pid, struct snapshot *snap, const char *what);

/* PID of the tracer of pid (0 if none) and its name (raw: it comes from
 * another process); of thread tid of pid. */
pid_t proc_tracer(pid_t pid, char *name, size_t size);
pid_t proc_task_tracer(pid_t pid, pid_t tid, char *name, size_t size);
/* Whether thread tid of pid is gone or on its way out (zombie, dead). */
bool proc_task_exiting(pid_t pid, pid_t tid);
/* Whether the whole of process pid is gone or on its way out (killed,
 * exit_group, an execve that ends its other threads), even while some of
 * its threads still run and its pidfd does not say so yet. */
bool proc_exiting(pid_t pid);

#endif
