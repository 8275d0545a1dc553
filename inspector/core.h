/* core.h - an ELF core file as a snapshot.
 *
 * Threads and their registers come from NT_PRSTATUS (orig_rax says which
 * system call each was blocked in), the fatal signal, the thread that got
 * it and the fault address from NT_SIGINFO / pr_cursig, the mappings from
 * the PT_LOAD headers named by NT_FILE, and the process from NT_PRPSINFO.
 * Modules are reported to libdwfl with dwfl_core_file_report (NT_FILE and
 * the dynamic linker's link map, matched by build-id), and every file is
 * checked against the build-id the core holds: a different file is never
 * used, and the snapshot warns about it, as about missing files and a
 * truncated core.  The core is read where needed, never whole: memory
 * holds its notes a piece at a time and each thread's stack, and other
 * memory reads are served from its PT_LOAD segments in the file.  Any
 * byte sequence gives either a snapshot (possibly with warnings) or one
 * error line, never a crash. */
#ifndef PILEUP_CORE_H
#define PILEUP_CORE_H

#include <stdint.h>

#include "error.h"
#include "snapshot.h"

struct core_opts {
	const char *exe;     /* the program that dumped the core, or NULL: from the core */
	const char *sysroot; /* the core's files are looked up under this directory */
	const char *damage;  /* what decompressing said about the data, or NULL */
	int64_t taken_at;    /* when the core was written (0: the file's mtime) */
};

/* Reads the uncompressed core open on fd, which the snapshot keeps (and
 * closes); name is the path shown in reports and messages. */
struct pu_error *core_open_fd(int fd, const char *name, const struct core_opts *o, struct snapshot **ret);

/* A note in pileup's own cores (--gcore), ignored by other readers: what
 * the live capture knew about each thread that the standard notes cannot
 * say.  Name "PILEUP", type NT_PILEUP_THREADS, desc a header and one
 * record per thread, little-endian. */
#define PILEUP_NOTE_NAME "PILEUP"
#define NT_PILEUP_THREADS 0x50494c45u /* "PILE" */
struct pileup_note_header {
	uint32_t version; /* 1 */
	uint32_t nthreads;
	uint32_t mode;    /* enum snap_mode of the capture */
	uint32_t reserved;
};
struct pileup_note_thread {
	int32_t tid;
	uint32_t valid;   /* snap_regs.valid as captured: registers not set are unknown */
	uint8_t how;      /* enum snap_how */
	char state;       /* R S D T ... */
	uint8_t pad[6];
	char name[16];    /* comm, NUL-padded */
};

#endif
