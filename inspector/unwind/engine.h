/* engine.h - an unwinder engine: registers + memory in, pcs out.
 *
 * pileup has more than one way to walk a stack (libdw's CFI unwinder,
 * libunwind's, and in spirit the Go pclntab walker in go/): each is an
 * engine behind this interface, reading the target through the one memory
 * interface below (the thread's copied stack, then the snapshot's reader,
 * then the modules' files for read-only code and data), and producing
 * only pcs.  Turning pcs into frames (symbols.c, tailcall.c) is a separate
 * pass that every engine's walk goes through alike (unwind.c), as
 * eu-stack collects pcs first.
 *
 * Whether a walk reached the thread's outermost frame is not an engine's
 * guess either: unwind.c asks the call-frame information (cfirows.h)
 * whether the return address is undefined at the last pc (glibc marks
 * _start and clone/clone3 so), or whether that pc is in the executable's
 * entry function, never a symbol's name. */
#ifndef PILEUP_UNWIND_ENGINE_H
#define PILEUP_UNWIND_ENGINE_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>

#include "snapshot.h"

enum { UNWIND_MAX_FRAMES = 256 };

/* One walk: physical frames, innermost first. */
struct unwind_walk {
	uint64_t pc[UNWIND_MAX_FRAMES];
	uint64_t sp[UNWIND_MAX_FRAMES]; /* 0 if unknown */
	bool act[UNWIND_MAX_FRAMES];    /* pc is the current instruction, not a return address */
	int n;
	/* The engine found no caller of the last frame without an error
	 * (the CFI says there is none, or a register it needs is unknown);
	 * false: err says why it stopped. */
	bool ended;
	char err[160];
};

/* The target's memory as every engine reads it. */
struct unwind_mem {
	struct snapshot *snap;
	struct snap_thread *cur; /* the thread being walked: its stack first */
	Dwfl *dwfl;              /* modules: their files back read-only mappings */
};

/* Reads len bytes at addr; false at an unreadable byte. */
bool unwind_mem_read(struct unwind_mem *m, uint64_t addr, void *buf, size_t len);

struct unwind_engine {
	const char *name; /* "libdw", "libunwind": frames and reports say it */
	/* Walks m->cur from regs into w. */
	void (*walk)(struct unwind_engine *e, const struct snap_regs *regs, struct unwind_walk *w);
	void (*destroy)(struct unwind_engine *e);
	size_t walks, fast_walks; /* for PILEUP_TIMING */
};

struct cfirows;
/* libdw (unwind/libdw.c): cached simple CFI rows (cfirows.h) where every
 * frame has one, else libdwfl's own walk (dwfl_getthread_frames).  rows
 * NULL: always libdwfl (PILEUP_SLOW_UNWIND=1).  NULL with *err set when
 * libdwfl cannot take the snapshot's threads. */
struct unwind_engine *unwind_libdw_create(struct unwind_mem *m, struct cfirows *rows, void *machine_elf, char **err);

/* libunwind (unwind/libunwind.c): unw_create_addr_space over the memory
 * above, with .eh_frame_hdr tables found through the modules libdwfl
 * reported. */
struct unwind_engine *unwind_libunwind_create(struct unwind_mem *m);

#endif
