/* gcore.h - a core file of a running process (pileup --gcore PID -o FILE).
 *
 * The core is a standard ELF core, as gdb and eu-stack read it: one
 * NT_PRSTATUS per thread, NT_PRPSINFO, NT_AUXV, NT_FILE, and a PT_LOAD per
 * mapping holding what the kernel's default coredump_filter keeps
 * (anonymous and written memory, present pages only, and the first page
 * of every ELF file, for build-ids).  A "PILEUP" note adds what only the
 * live capture knew: thread names, and which registers were really read.
 *
 * By default nothing is stopped that is blocked: threads come from the
 * nonstop live capture (capture_live.h), registers of blocked threads are
 * what /proc shows plus the frame pointer the unwinder recovers, and
 * memory is copied while the process runs.  With capture.stop_all every
 * thread is held stopped for the whole copy: every register is exact and
 * memory is consistent, at the price of EINTR in calls like epoll_wait.
 * The file is written unnamed in FILE's directory (O_TMPFILE, mode 0600)
 * and linked as FILE only when complete; on failure, interruption, even
 * SIGKILL, nothing is left (a file system without O_TMPFILE gets a
 * temporary name beside FILE, removed by the next run if left).  A process
 * that dies while its core is written gets no core: its memory would have
 * read as nothing.  The ptrace work runs on a tracer thread (tracer.h). */
#ifndef PILEUP_GCORE_H
#define PILEUP_GCORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture_live.h"
#include "error.h"
#include "unwind.h"

struct gcore_opts {
	struct capture_opts capture;
	const struct unwind_opts *unwind; /* for recovering frame pointers */
};

struct gcore_result {
	size_t threads;     /* threads written */
	size_t stopped;     /* threads stopped (all of them with stop_all) */
	uint64_t pause_us;  /* longest stop (stop_all: the whole pause) */
	uint64_t elapsed_us;
	uint64_t memory;    /* bytes of memory written */
	size_t segments;
	bool partial;       /* some thread's registers could not be read */
	size_t unread;      /* how many, and why for the first */
	char unread_why[256];
};

struct pu_error *gcore_write(pid_t pid, const char *path, const struct gcore_opts *o, struct gcore_result *ret);

#endif
