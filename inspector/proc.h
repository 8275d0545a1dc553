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

/* Reads a whole small /proc file into buf (NUL-terminated); returns length or -1. */
ssize_t proc_read_file(const char *path, char *buf, size_t size);

/* Checks that pid names an inspectable user process; error says why not. */
struct pu_error *proc_check_target(pid_t pid, bool need_ptrace);

/* Lists the thread ids of pid into *ret (sorted); returns count or -1. */
ssize_t proc_list_tasks(pid_t pid, pid_t **ret);

/* Opens /proc/PID/task for the per-thread reads below, which are then
 * safe to make from several threads at once (for the same pid). */
bool proc_task_dir_open(pid_t pid);

struct proc_task_stat {
	char state;
	char name[64];
	unsigned long flags;
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

/* Fills snap->maps from /proc/PID/maps. */
struct pu_error *proc_read_maps(pid_t pid, struct snapshot *snap);

/* PID of the tracer of pid (0 if none) and its name. */
pid_t proc_tracer(pid_t pid, char *name, size_t size);

#endif
