/* The libdw engine (engine.h): libdwfl's unwinder over the snapshot. */
#include "cfirows.h"
#include "engine.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct libdw {
	struct unwind_engine e;
	struct unwind_mem *m;
	struct cfirows *rows;           /* simple CFI rows by pc, for fast_walk; NULL: never */
	const struct snap_regs *start;  /* registers to start the current walk from */
};

/* --- thread callbacks: the snapshot is the process ----------------------- */

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl;
	struct libdw *l = arg;
	size_t i = (size_t)(uintptr_t)*thread_argp;
	if (i >= l->m->snap->nthreads)
		return 0;
	*thread_argp = (void *)(uintptr_t)(i + 1);
	return l->m->snap->threads[i].tid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	struct libdw *l = arg;
	if (!l->m->cur || l->m->cur->tid != tid)
		return false;
	*thread_argp = l;
	return true;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	(void)dwfl;
	struct libdw *l = arg;
	uint64_t v;
	if (!unwind_mem_read(l->m, addr, &v, 8))
		return false;
	*result = v;
	return true;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct libdw *l = arg;
	const struct snap_regs *r = l->start;
	for (int i = 0; i < SNAP_REG_RIP; i++) {
		if (!(r->valid & (1u << i)))
			continue;
		Dwarf_Word w = r->r[i];
		if (!dwfl_thread_state_registers(thread, i, 1, &w))
			return false;
	}
	dwfl_thread_state_register_pc(thread, r->r[SNAP_REG_RIP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_cbs = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
};

/* --- walking -------------------------------------------------------------- */

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct unwind_walk *w = arg;
	Dwarf_Addr pc;
	bool act;
	if (!dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	Dwarf_Word sp;
	w->sp[w->n] = dwfl_frame_reg(state, SNAP_REG_RSP, &sp) == 0 ? sp : 0;
	w->pc[w->n] = pc;
	w->act[w->n] = act;
	if (++w->n == UNWIND_MAX_FRAMES)
		return DWARF_CB_ABORT;
	return DWARF_CB_OK;
}

/* The walk libdwfl would make, made with cached rows (cfirows.h) where
 * every frame's row is a simple one; false when some frame needs libdwfl
 * (then libdwfl walks the whole thread). */
static bool fast_walk(struct libdw *l, const struct snap_regs *regs, struct unwind_walk *w)
{
	if (!l->rows || !(regs->valid & (1u << SNAP_REG_RIP)))
		return false;
	uint64_t r[CFI_NREGS], nr[CFI_NREGS];
	uint32_t known = regs->valid & ((1u << CFI_RA) - 1);
	memcpy(r, regs->r, sizeof(uint64_t) * CFI_RA);
	uint64_t pc = regs->r[SNAP_REG_RIP];
	bool act = true; /* the first frame is executing, the others return */
	w->n = 0;
	w->err[0] = 0;
	for (;;) {
		if (w->n == UNWIND_MAX_FRAMES)
			return false;
		w->pc[w->n] = pc;
		w->act[w->n] = act;
		w->sp[w->n] = known & (1u << SNAP_REG_RSP) ? r[SNAP_REG_RSP] : 0;
		w->n++;
		const struct cfirow *row = cfirows_get(l->rows, act ? pc : pc - 1);
		if (!row || !(known & (1u << row->cfa_reg)))
			return false;
		uint64_t cfa = r[row->cfa_reg] + (uint64_t)row->cfa_off;
		uint32_t nknown = 0;
		for (int i = 0; i < CFI_NREGS; i++) {
			switch (row->rule[i]) {
			case CFI_SAME:
				if (i < CFI_RA && (known & (1u << i))) {
					nr[i] = r[i];
					nknown |= 1u << i;
				}
				break;
			case CFI_VAL:
				nr[i] = cfa + (uint64_t)row->off[i];
				nknown |= 1u << i;
				break;
			case CFI_AT: {
				uint64_t v;
				if (!unwind_mem_read(l->m, cfa + (uint64_t)row->off[i], &v, 8))
					return false; /* libdwfl says how it fails */
				nr[i] = v;
				nknown |= 1u << i;
				break;
			}
			default: /* CFI_UNDEF */
				break;
			}
		}
		/* No return address, or 0: libdwfl stops there too. */
		if (!(nknown & (1u << CFI_RA)) || nr[CFI_RA] == 0) {
			w->ended = true;
			return true;
		}
		pc = nr[CFI_RA];
		act = false;
		memcpy(r, nr, sizeof(uint64_t) * CFI_RA);
		known = nknown & ((1u << CFI_RA) - 1);
	}
}

static void libdw_walk(struct unwind_engine *e, const struct snap_regs *regs, struct unwind_walk *w)
{
	struct libdw *l = (struct libdw *)e;
	e->walks++;
	w->ended = false;
	if (fast_walk(l, regs, w)) {
		e->fast_walks++;
		return;
	}
	l->start = regs;
	w->n = 0;
	w->err[0] = 0;
	w->ended = false;
	int rc = dwfl_getthread_frames(l->m->dwfl, l->m->cur->tid, frame_cb, w);
	l->start = NULL;
	if (rc == 0)
		w->ended = true;
	else if (rc == -1)
		snprintf(w->err, sizeof(w->err), "%s", dwfl_errmsg(-1));
	else if (w->n == UNWIND_MAX_FRAMES)
		snprintf(w->err, sizeof(w->err), "stack deeper than %d frames, cut there", UNWIND_MAX_FRAMES);
	else
		snprintf(w->err, sizeof(w->err), "frame has no pc");
}

static void libdw_destroy(struct unwind_engine *e)
{
	free(e);
}

struct unwind_engine *unwind_libdw_create(struct unwind_mem *m, struct cfirows *rows, void *machine_elf, char **err)
{
	struct libdw *l = xcalloc(1, sizeof(*l));
	l->e.name = "libdw";
	l->e.walk = libdw_walk;
	l->e.destroy = libdw_destroy;
	l->m = m;
	l->rows = rows;
	pid_t pid = m->snap->pid ? m->snap->pid : 1;
	if (!dwfl_attach_state(m->dwfl, machine_elf, pid, &thread_cbs, l)) {
		*err = xasprintf("dwfl_attach_state: %s; is the target an x86_64 program?", dwfl_errmsg(-1));
		free(l);
		return NULL;
	}
	return &l->e;
}
