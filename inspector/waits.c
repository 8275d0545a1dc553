#include "waits.h"
#include "classify.h"
#include "error.h"
#include "fdinfo.h"
#include "glibc.h"
#include "objnamer.h"
#include "proc.h"
#include "unwind.h"

#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux futex(2) commands (linux/futex.h), without the private and
 * realtime-clock flags. */
enum {
	FUTEX_CMD_WAIT = 0, FUTEX_CMD_LOCK_PI = 6, FUTEX_CMD_WAIT_BITSET = 9, FUTEX_CMD_WAIT_REQUEUE_PI = 11,
	FUTEX_CMD_LOCK_PI2 = 13, FUTEX_CMD_MASK = ~(128 | 256),
};
/* The lock word of PI and robust mutexes (glibc's pthreadP.h, Linux's futex.h). */
enum { FUTEX_WAITERS_BIT = (int)0x80000000u, FUTEX_OWNER_DIED_BIT = 0x40000000, FUTEX_TID_BITS = 0x3fffffff };
/* pthread_mutex_t.__kind (glibc 2.36 pthreadP.h): the type in the low two
 * bits, then flags. */
enum {
	MK_TYPE = 3, MK_ROBUST = 16, MK_PI = 32, MK_PP = 64, MK_PSHARED = 128, MK_ELISION = 256, MK_NO_ELISION = 512,
	MK_KNOWN = MK_TYPE | MK_ROBUST | MK_PI | MK_PP | MK_PSHARED | MK_ELISION | MK_NO_ELISION,
};
/* pthread_mutex_t.__owner's marks for robust mutexes (pthreadP.h). */
enum { OWNER_INCONSISTENT = INT_MAX, OWNER_NOTRECOVERABLE = INT_MAX - 1 };
/* rwlock __readers bits and futex values (pthreadP.h; pthread_rwlock_common.c). */
enum { RW_WRPHASE = 1, RW_WRLOCKED = 2, RW_RWAITING = 4, RW_READER_SHIFT = 3, RW_FUTEX_USED = 2 };
/* Linux's PID_MAX_LIMIT on 64-bit: no thread id is larger. */
enum { TID_MAX = 4194304 };
/* A poll, select or epoll set is described up to this many fds. */
enum { MAX_SET = 64, MAX_POLL_READ = 4096 };

enum prim {
	P_NONE, P_MUTEX, P_LLL, P_RW_READ, P_RW_WRITE, P_COND, P_SEM, P_JOIN, P_BARRIER,
	P_RUST_MUTEX, P_RUST_RWLOCK, P_RUST_COND, P_CXX_SEM,
};

/* What frame_prim said about each function name (interned: one pointer
 * per name), so 10,000 threads with the same frames ask once per frame. */
struct prim_cache {
	const char *fn[256];
	uint8_t prim[256];
	bool weak[256];
};

struct layout_slot {
	Dwfl_Module *mod;
	bool ok;
	struct glibc_layout l;
	char why[256];
};

struct resolver {
	struct snapshot *snap;
	struct objnamer *names;
	Dwfl *dwfl;
	struct layout_slot *layouts; /* one per glibc module met */
	size_t nlayouts, cap_layouts;
	/* futex words that threads wait on, sorted: a condition variable's
	 * two words tell its start */
	uint64_t *words;
	size_t nwords;
	long pid_max; /* live: /proc/sys/kernel/pid_max, else 0 */
	/* what a futex word turned out to be, per primitive: ten thousand
	 * waiters of one condition variable are worked out once */
	struct word_memo {
		uint64_t word;
		uint32_t prim, ref;
		enum wobj_kind kind;
	} *memo;
	size_t cap_memo, nmemo;
	struct prim_cache prims;
	/* live, a target in another pid namespace (a container): its locks
	 * hold tids of that namespace; ns_tids[i] is threads[i]'s there */
	int other_ns; /* -1 not known yet */
	pid_t *ns_tids;
};

/* --- small helpers ---------------------------------------------------------- */

static const char *intern(struct resolver *r, const char *s)
{
	return strpool_intern(r->snap->strings, s);
}

static const char *internf(struct resolver *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *internf(struct resolver *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return intern(r, buf);
}

static struct snap_object *obj(struct resolver *r, uint32_t ref)
{
	return &r->snap->objects[ref - 1];
}

static uint32_t object_for(struct resolver *r, enum wobj_kind kind, uint64_t key, bool *is_new)
{
	return snapshot_object_for(r->snap, kind, key, is_new);
}

static bool read_exact(struct resolver *r, uint64_t addr, void *buf, size_t len)
{
	return addr && addr + len > addr && snapshot_read(r->snap, addr, buf, len) == len;
}

static uint32_t u32_at(const unsigned char *b, size_t off)
{
	uint32_t v;
	memcpy(&v, b + off, 4);
	return v;
}

static uint64_t u64_at(const unsigned char *b, size_t off)
{
	uint64_t v;
	memcpy(&v, b + off, 8);
	return v;
}

/* Whether a live target lives in another pid namespace; if so, each
 * thread's tid there, from the last field of its status's NSpid line. */
static bool in_other_ns(struct resolver *r)
{
	struct snapshot *snap = r->snap;
	if (r->other_ns >= 0)
		return r->other_ns;
	r->other_ns = 0;
	char path[64];
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)snap->pid);
	if (snap->source != SNAP_LIVE || stat(path, &a) != 0 || stat("/proc/self/ns/pid", &b) != 0 ||
	    (a.st_ino == b.st_ino && a.st_dev == b.st_dev))
		return false;
	r->other_ns = 1;
	r->ns_tids = xcalloc(snap->nthreads ? snap->nthreads : 1, sizeof(*r->ns_tids));
	for (size_t i = 0; i < snap->nthreads; i++) {
		char buf[2048];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)snap->pid, (int)snap->threads[i].tid);
		const char *l = proc_read_file(path, buf, sizeof(buf)) > 0 ? strstr(buf, "\nNSpid:") : NULL;
		if (!l)
			continue;
		const char *end = strchr(l + 1, '\n'), *last = NULL;
		for (const char *p = l + 7; *p && (!end || p < end); p++)
			if ((*p == '\t' || *p == ' ') && p[1] >= '0' && p[1] <= '9')
				last = p + 1;
		if (last)
			r->ns_tids[i] = (pid_t)strtol(last, NULL, 10);
	}
	return true;
}

/* Sets o's owner from a thread id the lock recorded. */
static void set_owner(struct resolver *r, struct snap_object *o, int64_t tid)
{
	if (tid <= 0 || tid > TID_MAX) {
		o->owner_state = WOWNER_UNKNOWN;
		o->note = internf(r, "its owner field holds %" PRId64 ", which is no thread id", tid);
		return;
	}
	o->owner = (pid_t)tid;
	if (in_other_ns(r)) {
		/* The lock holds the namespace's tid: the report speaks of
		 * the thread by the tid it lists. */
		for (size_t i = 0; i < r->snap->nthreads; i++)
			if (r->ns_tids[i] == (pid_t)tid) {
				o->owner = r->snap->threads[i].tid;
				o->owner_state = WOWNER_THREAD;
				return;
			}
		o->owner_state = WOWNER_EXITED;
		o->note = internf(r, "its owner %d (a tid of the target's pid namespace) is no thread of the process: it exited "
				  "or was cancelled holding it (abandoned)", (int)tid);
		return;
	}
	if (snapshot_find_thread(r->snap, (pid_t)tid) >= 0) {
		o->owner_state = WOWNER_THREAD;
		return;
	}
	/* Live, a tid that is no thread of ours may still be one: started
	 * after the task list was read, or (a forged or corrupt lock) some
	 * other process's.  Only a tid nobody has is an exited owner. */
	if (r->snap->source == SNAP_LIVE) {
		char path[64], buf[1024];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)r->snap->pid, (int)tid);
		if (stat(path, &st) == 0) {
			o->owner_state = WOWNER_UNKNOWN;
			o->note = internf(r, "its owner %d is a thread that started after the capture", (int)tid);
			return;
		}
		snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
		ssize_t n = proc_read_file(path, buf, sizeof(buf));
		const char *tg = n > 0 ? strstr(buf, "\nTgid:") : NULL;
		if (tg) {
			o->owner_state = WOWNER_UNKNOWN;
			o->note = internf(r, "its owner field holds %d, a thread of another process (%ld): not believable", (int)tid,
					  strtol(tg + 6, NULL, 10));
			return;
		}
		if (r->pid_max && tid > r->pid_max) {
			o->owner_state = WOWNER_UNKNOWN;
			o->note = internf(r, "its owner field holds %" PRId64 ", above pid_max (%ld): no thread id", tid, r->pid_max);
			return;
		}
	}
	o->owner_state = WOWNER_EXITED;
	o->note = internf(r, "its owner %d is no thread of the process: it exited or was cancelled holding it (abandoned)",
			  (int)tid);
}

/* --- which primitive --------------------------------------------------------- */

static const char *plain(const char *name)
{
	while (*name == '_')
		name++;
	if (!strncmp(name, "GI_", 3))
		for (name += 3; *name == '_'; name++)
			;
	return name;
}

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* What one frame's function says; weak (glibc's internal lock word, the
 * semaphore's slow path) lets an outer frame say more. */
static enum prim frame_prim(const char *fn, bool *weak)
{
	const char *p = plain(fn);
	*weak = false;
	if (starts(p, "pthread_mutex_") && !starts(p, "pthread_mutex_unlock") && !starts(p, "pthread_mutex_init") &&
	    !starts(p, "pthread_mutex_destroy"))
		return P_MUTEX;
	if (starts(p, "lll_lock_wait")) {
		*weak = true;
		return P_LLL;
	}
	if (starts(p, "pthread_rwlock_"))
		return strstr(p, "wrlock") ? P_RW_WRITE : strstr(p, "rdlock") ? P_RW_READ : P_NONE;
	if (starts(p, "pthread_cond_") && strstr(p, "wait"))
		return P_COND;
	if (starts(p, "sem_wait") || starts(p, "sem_timedwait") || starts(p, "sem_clockwait") || starts(p, "new_sem_wait"))
		return P_SEM;
	if (starts(p, "pthread_join") || starts(p, "pthread_clockjoin") || starts(p, "pthread_timedjoin") ||
	    starts(p, "pthread_tryjoin"))
		return P_JOIN;
	if (starts(p, "pthread_barrier_wait"))
		return P_BARRIER;
	if (strstr(fn, "std::sys::") || strstr(fn, "std::sync::")) {
		if (strstr(fn, "Condvar"))
			return P_RUST_COND;
		if (strstr(fn, "RwLock"))
			return P_RUST_RWLOCK;
		if (strstr(fn, "Mutex"))
			return P_RUST_MUTEX;
	}
	if (starts(fn, "std::counting_semaphore") || starts(fn, "std::binary_semaphore") ||
	    starts(fn, "std::__atomic_semaphore"))
		return P_CXX_SEM;
	return P_NONE;
}

/* The primitive a futex waiter is in, from its library frames innermost
 * first; *at is the frame that said so. */
static enum prim frame_prim_cached(struct prim_cache *c, const char *fn, bool *weak)
{
	size_t j = (size_t)(((uintptr_t)fn * 0x9e3779b97f4a7c15ULL) >> 56);
	if (c->fn[j] != fn) {
		c->prim[j] = (uint8_t)frame_prim(fn, &c->weak[j]);
		c->fn[j] = fn;
	}
	*weak = c->weak[j];
	return (enum prim)c->prim[j];
}

static enum prim primitive(struct prim_cache *c, const struct snap_thread *t, int *at)
{
	int limit = t->wait_site >= 0 ? t->wait_site : (int)t->nframes;
	enum prim found = P_NONE;
	*at = -1;
	for (int i = 0; i < limit; i++) {
		if (!t->frames[i].function)
			continue;
		bool weak;
		enum prim p = frame_prim_cached(c, t->frames[i].function, &weak);
		if (p == P_NONE)
			continue;
		if (found == P_NONE || !weak) {
			found = p;
			*at = i;
		}
		if (!weak)
			break;
	}
	return found;
}

static const struct layout_slot *layout_of(struct resolver *r, const struct frame *f)
{
	Dwfl_Module *mod = r->dwfl ? dwfl_addrmodule(r->dwfl, f->pc) : NULL;
	for (size_t i = 0; i < r->nlayouts; i++)
		if (r->layouts[i].mod == mod)
			return &r->layouts[i];
	xgrow(&r->layouts, &r->cap_layouts, r->nlayouts + 1, sizeof(*r->layouts));
	struct layout_slot *s = &r->layouts[r->nlayouts++];
	memset(s, 0, sizeof(*s));
	s->mod = mod;
	if (!mod)
		snprintf(s->why, sizeof(s->why), "the module of its glibc frames is unknown");
	else
		s->ok = glibc_layout(mod, &s->l, s->why, sizeof(s->why));
	struct snapshot *snap = r->snap;
	if (s->ok && !snap->glibc_version) {
		snap->glibc_version = intern(r, s->l.version);
		snap->glibc_layout = s->l.source;
	} else if (!s->ok && !snap->glibc_problem) {
		snap->glibc_problem = intern(r, s->why);
	}
	return s;
}

/* --- locks ------------------------------------------------------------------- */

static void mutex_type(struct resolver *r, struct snap_object *o, int32_t kind)
{
	static const char *const types[4] = {"normal", "recursive", "errorcheck", "adaptive"};
	char buf[128];
	snprintf(buf, sizeof(buf), "%s%s%s%s%s", types[kind & MK_TYPE], kind & MK_PI ? ", PI" : "",
		 kind & MK_PP ? ", priority-protect" : "", kind & MK_ROBUST ? ", robust" : "",
		 kind & MK_PSHARED ? ", process-shared" : "");
	o->type = intern(r, buf);
}

static void read_mutex(struct resolver *r, struct snap_object *o, const struct glibc_layout *l, uint64_t base, int cmd)
{
	unsigned char b[256];
	size_t size = l->size[GL_MUTEX];
	if (size > sizeof(b) || !read_exact(r, base, b, size)) {
		o->note = internf(r, "its memory at 0x%" PRIx64 " cannot be read", base);
		return;
	}
	int32_t lock = (int32_t)u32_at(b, l->off[GF_MUTEX_LOCK]);
	uint32_t count = u32_at(b, l->off[GF_MUTEX_COUNT]);
	int32_t owner = (int32_t)u32_at(b, l->off[GF_MUTEX_OWNER]);
	int32_t kind = (int32_t)u32_at(b, l->off[GF_MUTEX_KIND]);
	if ((kind & ~MK_KNOWN) || ((kind & MK_PI) && (kind & MK_PP))) {
		o->note = internf(r, "its kind word 0x%x is not a pthread mutex's", (unsigned)kind);
		return;
	}
	bool pi = kind & MK_PI, robust = kind & MK_ROBUST;
	bool pi_call = cmd == FUTEX_CMD_LOCK_PI || cmd == FUTEX_CMD_LOCK_PI2;
	if (pi != pi_call) {
		o->note = intern(r, pi ? "a PI mutex, but the thread is not in a PI futex call"
				      : "not a PI mutex, but the thread is in a PI futex call");
		return;
	}
	mutex_type(r, o, kind);
	if ((kind & MK_TYPE) == 1)
		snapshot_object_fact(o, "depth", count);
	if (owner == OWNER_INCONSISTENT || owner == OWNER_NOTRECOVERABLE) {
		o->owner_state = WOWNER_NONE;
		o->note = intern(r, owner == OWNER_INCONSISTENT ? "inconsistent: its robust owner died holding it"
							   : "not recoverable: its robust owner died holding it");
		return;
	}
	if (pi || robust) {
		/* The kernel keeps the owner's tid in the lock word itself. */
		int32_t tid = lock & FUTEX_TID_BITS;
		if (!tid) {
			o->owner_state = WOWNER_NONE;
			return;
		}
		set_owner(r, o, tid);
		if (o->owner_state == WOWNER_THREAD && (lock & FUTEX_OWNER_DIED_BIT))
			o->note = intern(r, "its owner died (robust)");
		return;
	}
	if (lock == 0) {
		o->owner_state = WOWNER_NONE; /* released: its waiters are being woken */
		return;
	}
	if (lock != 1 && lock != 2) {
		o->note = internf(r, "its lock word %d is not a mutex's (0, 1 or 2)", (int)lock);
		return;
	}
	if (!owner) {
		o->note = intern(r, "locked, but its owner is not recorded (yet)");
		return;
	}
	set_owner(r, o, owner);
}

static void read_rwlock(struct resolver *r, struct snap_object *o, const struct glibc_layout *l, uint64_t base)
{
	unsigned char b[256];
	size_t size = l->size[GL_RWLOCK];
	if (size > sizeof(b) || !read_exact(r, base, b, size)) {
		o->note = internf(r, "its memory at 0x%" PRIx64 " cannot be read", base);
		return;
	}
	uint32_t readers = u32_at(b, l->off[GF_RW_READERS]);
	uint32_t flags = u32_at(b, l->off[GF_RW_FLAGS]), shared = u32_at(b, l->off[GF_RW_SHARED]);
	if (flags > 2 || shared > 1 || u32_at(b, l->off[GF_RW_PAD3]) || u32_at(b, l->off[GF_RW_PAD4])) {
		o->note = intern(r, "its flags and padding are not an rwlock's");
		return;
	}
	static const char *const prefs[3] = {"prefer readers", "prefer writers", "prefer writers, nonrecursive"};
	o->type = intern(r, prefs[flags]);
	/* In a read phase the count is of readers holding it; in a write
	 * phase, of readers queued for it. */
	uint32_t nreaders = readers >> RW_READER_SHIFT;
	if (!(readers & RW_WRPHASE))
		snapshot_object_fact(o, "readers", nreaders);
	if ((readers & RW_WRPHASE) && (readers & RW_WRLOCKED)) {
		int32_t w = (int32_t)u32_at(b, l->off[GF_RW_CUR_WRITER]);
		if (!w)
			o->note = intern(r, "write-locked, but its writer is not recorded (yet)");
		else
			set_owner(r, o, w);
	} else if (!(readers & RW_WRPHASE) && nreaders) {
		o->owner_state = WOWNER_READERS;
	} else if (!(readers & (RW_WRPHASE | RW_WRLOCKED)) && !nreaders) {
		o->owner_state = WOWNER_NONE;
	} else {
		o->note = intern(r, "changing hands");
	}
}

/* Where a waiter's futex word lies in its rwlock, from its role and the
 * value it waits for (glibc 2.36 pthread_rwlock_common.c): readers wait
 * on __readers (value with RWAITING) or __wrphase_futex (1 | FUTEX_USED),
 * writers on __writers_futex (1 | FUTEX_USED) or __wrphase_futex
 * (FUTEX_USED).  -1 when the value fits no case. */
static int rwlock_field(enum prim p, uint32_t val)
{
	if (p == P_RW_READ)
		return (val & RW_RWAITING) && !(val & 0x80000000u) ? GF_RW_READERS
		       : val == (1 | RW_FUTEX_USED)		  ? GF_RW_WRPHASE_FUTEX
								  : -1;
	return val == (1 | RW_FUTEX_USED) ? GF_RW_WRITERS_FUTEX : val == RW_FUTEX_USED ? GF_RW_WRPHASE_FUTEX : -1;
}

static bool word_waited(const struct resolver *r, uint64_t w)
{
	size_t lo = 0, hi = r->nwords;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->words[mid] < w)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nwords && r->words[lo] == w;
}

/* Whether base holds a condition variable one of whose waiters waits on
 * __g_signals[g]: it has waiters (__wrefs), group g took the waiter's
 * reference (__g_refs[g] >= 2), and no more waiters than ever began
 * (__wseq). */
static bool cond_plausible(struct resolver *r, const struct glibc_layout *l, uint64_t base, int g)
{
	unsigned char b[256];
	size_t size = l->size[GL_COND];
	if (size > sizeof(b) || !read_exact(r, base, b, size))
		return false;
	uint32_t wrefs = u32_at(b, l->off[GF_COND_WREFS]);
	uint32_t refs = u32_at(b, l->off[GF_COND_G_REFS] + 4 * (size_t)g);
	uint64_t wseq = u64_at(b, l->off[GF_COND_WSEQ]);
	return (wrefs >> 3) >= 1 && refs >= 2 && (wseq >> 1) >= (wrefs >> 3);
}

/* The start of the condition variable whose __g_signals[0] or [1] is the
 * word w: from a variable of that size holding it, from waiters on both
 * words, or from which reading is plausible; 0 when it stays ambiguous. */
static uint64_t cond_base(struct resolver *r, const struct glibc_layout *l, uint64_t w)
{
	uint64_t sig = l->off[GF_COND_G_SIGNALS];
	uint64_t cand[2] = {w - sig, w - sig - 4};
	bool ok[2] = {cond_plausible(r, l, cand[0], 0), cond_plausible(r, l, cand[1], 1)};
	if (word_waited(r, w + 4) && ok[0])
		return cand[0];
	if (word_waited(r, w - 4) && ok[1])
		return cand[1];
	if (ok[0] != ok[1])
		return ok[0] ? cand[0] : cand[1];
	return 0;
}

static void read_cond(struct resolver *r, struct snap_object *o, const struct glibc_layout *l, uint64_t base)
{
	unsigned char b[256];
	size_t size = l->size[GL_COND];
	o->owner_state = WOWNER_NOT_RECORDED;
	if (size <= sizeof(b) && read_exact(r, base, b, size))
		snapshot_object_fact(o, "waiters", u32_at(b, l->off[GF_COND_WREFS]) >> 3);
}

static void read_sem(struct resolver *r, struct snap_object *o, const struct glibc_layout *l, uint64_t base)
{
	unsigned char b[64];
	size_t size = l->size[GL_SEM];
	o->owner_state = WOWNER_NOT_RECORDED;
	if (size > sizeof(b) || !read_exact(r, base, b, size)) {
		o->note = internf(r, "its memory at 0x%" PRIx64 " cannot be read", base);
		return;
	}
	uint64_t data = u64_at(b, l->off[GF_SEM_DATA]);
	uint32_t priv = u32_at(b, l->off[GF_SEM_PRIVATE]);
	/* sem_init stores FUTEX_PRIVATE (0) or FUTEX_SHARED (128). */
	if (priv != 0 && priv != 128) {
		o->owner_state = WOWNER_UNKNOWN;
		o->note = intern(r, "not a sem_t (its private word is neither 0 nor 128)");
		return;
	}
	o->type = priv ? intern(r, "process-shared") : NULL;
	snapshot_object_fact(o, "value", (uint32_t)data);
	snapshot_object_fact(o, "waiters", data >> 32);
}

/* --- futex waits ------------------------------------------------------------- */

static size_t memo_slot(const struct resolver *r, uint64_t word, uint32_t prim)
{
	size_t j = (size_t)((word ^ (uint64_t)prim << 59) * 0x9e3779b97f4a7c15ULL >> 20) & (r->cap_memo - 1);
	while (r->memo[j].ref && (r->memo[j].word != word || r->memo[j].prim != prim))
		j = (j + 1) & (r->cap_memo - 1);
	return j;
}

static const struct word_memo *memo_find(const struct resolver *r, uint64_t word, uint32_t prim)
{
	if (!r->cap_memo)
		return NULL;
	const struct word_memo *m = &r->memo[memo_slot(r, word, prim)];
	return m->ref ? m : NULL;
}

static void memo_put(struct resolver *r, uint64_t word, uint32_t prim, uint32_t ref, enum wobj_kind kind)
{
	if (!ref)
		return;
	if (r->nmemo * 2 >= r->cap_memo) {
		struct word_memo *old = r->memo;
		size_t ocap = r->cap_memo;
		r->cap_memo = ocap ? ocap * 2 : 64;
		r->memo = xcalloc(r->cap_memo, sizeof(*r->memo));
		for (size_t i = 0; i < ocap; i++)
			if (old[i].ref)
				r->memo[memo_slot(r, old[i].word, old[i].prim)] = old[i];
		free(old);
	}
	struct word_memo *m = &r->memo[memo_slot(r, word, prim)];
	if (!m->ref)
		r->nmemo++;
	*m = (struct word_memo){word, prim, ref, kind};
}

static void futex_wait_new(struct resolver *r, struct snap_thread *t, enum prim p, int at, int cmd);

static void futex_wait(struct resolver *r, struct snap_thread *t)
{
	uint64_t uaddr = t->syscall_args[0];
	int cmd = (int)(t->syscall_args[1] & FUTEX_CMD_MASK);
	if (cmd != FUTEX_CMD_WAIT && cmd != FUTEX_CMD_WAIT_BITSET && cmd != FUTEX_CMD_LOCK_PI &&
	    cmd != FUTEX_CMD_LOCK_PI2 && cmd != FUTEX_CMD_WAIT_REQUEUE_PI)
		return;
	int at;
	enum prim p = primitive(&r->prims, t, &at);
	/* The futex value matters to rwlocks (which field): part of the key. */
	uint32_t key = (uint32_t)p | (uint32_t)cmd << 8 |
		       (p == P_RW_READ || p == P_RW_WRITE ? (uint32_t)(t->syscall_args[2] & 0xffff) << 16 : 0);
	const struct word_memo *m = memo_find(r, uaddr, key);
	if (m) {
		t->waits_on.kind = m->kind;
		t->waits_on.object = m->ref;
		t->waits_on.futex = uaddr;
		return;
	}
	futex_wait_new(r, t, p, at, cmd);
	memo_put(r, uaddr, key, t->waits_on.object, t->waits_on.kind);
}

static void futex_wait_new(struct resolver *r, struct snap_thread *t, enum prim p, int at, int cmd)
{
	uint64_t uaddr = t->syscall_args[0];
	uint32_t val = (uint32_t)t->syscall_args[2];
	struct snap_wait *w = &t->waits_on;
	w->futex = uaddr;
	/* A PI lock wait whose frames say nothing (a libc without its debug
	 * information names none of them): glibc takes PI mutexes with
	 * FUTEX_LOCK_PI(2), and by the kernel's ABI the word then holds the
	 * owner's tid. */
	bool pi_inferred = false;
	if ((p == P_NONE || p == P_LLL) && (cmd == FUTEX_CMD_LOCK_PI || cmd == FUTEX_CMD_LOCK_PI2) && t->nframes &&
	    t->frames[0].module) {
		p = P_MUTEX;
		at = 0;
		pi_inferred = true;
	}
	const struct layout_slot *ls = NULL;
	if (p == P_MUTEX || p == P_RW_READ || p == P_RW_WRITE || p == P_COND || p == P_SEM)
		ls = layout_of(r, &t->frames[at]);
	enum wobj_kind kind;
	switch (p) {
	case P_MUTEX: case P_LLL: case P_RUST_MUTEX: kind = WOBJ_MUTEX; break;
	case P_RW_READ: case P_RW_WRITE: case P_RUST_RWLOCK: kind = WOBJ_RWLOCK; break;
	case P_COND: case P_RUST_COND: kind = WOBJ_CONDVAR; break;
	case P_SEM: case P_CXX_SEM: kind = WOBJ_SEMAPHORE; break;
	case P_JOIN: kind = WOBJ_THREAD; break;
	default: kind = WOBJ_FUTEX; break;
	}
	w->kind = kind;
	if (pi_inferred && !ls->ok) {
		/* Not a glibc: the kernel's word alone. */
		bool fresh;
		uint32_t ref = object_for(r, WOBJ_MUTEX, uaddr, &fresh);
		w->object = ref;
		struct snap_object *o = obj(r, ref);
		uint32_t word;
		if (fresh) {
			o->addr = uaddr;
			o->name = objnamer_name(r->names, uaddr);
			o->type = intern(r, "PI futex");
			if (!read_exact(r, uaddr, &word, 4))
				o->note = internf(r, "its memory at 0x%" PRIx64 " cannot be read", uaddr);
			else if (!(word & FUTEX_TID_BITS))
				o->owner_state = WOWNER_NONE;
			else
				set_owner(r, o, word & FUTEX_TID_BITS);
		}
		return;
	}
	if (ls && !ls->ok) {
		/* No layout to read the lock with: the word and its variable
		 * are known, not the lock's start or its owner. */
		bool fresh;
		uint32_t ref = object_for(r, kind, uaddr | 1ull << 63, &fresh);
		w->object = ref;
		struct snap_object *o = obj(r, ref);
		if (fresh) {
			o->name = objnamer_name(r->names, uaddr);
			o->note = intern(r, ls->why);
		}
		return;
	}
	uint64_t base = uaddr;
	int field = -1;
	if (p == P_MUTEX)
		base = uaddr - ls->l.off[GF_MUTEX_LOCK];
	else if (p == P_RW_READ || p == P_RW_WRITE) {
		field = rwlock_field(p, val);
		base = field >= 0 ? uaddr - ls->l.off[field] : 0;
	} else if (p == P_COND) {
		base = cond_base(r, &ls->l, uaddr);
	} else if (p == P_SEM) {
		base = uaddr - ls->l.off[GF_SEM_DATA];
	}
	if (!base) {
		/* Its start is ambiguous: known by its futex word only. */
		bool fresh;
		uint32_t ref = object_for(r, kind, uaddr | 1ull << 63, &fresh);
		w->object = ref;
		struct snap_object *o = obj(r, ref);
		if (fresh) {
			o->name = objnamer_name(r->names, uaddr);
			o->note = intern(r, p == P_COND ? "which condition variable holds its futex word is ambiguous"
							: "its futex value fits no rwlock state");
		}
		return;
	}
	bool fresh;
	uint32_t ref = object_for(r, kind, base, &fresh);
	w->object = ref;
	struct snap_object *o = obj(r, ref);
	if (!fresh)
		return;
	o->addr = base;
	o->name = objnamer_name(r->names, base);
	switch (p) {
	case P_MUTEX:
		read_mutex(r, o, &ls->l, base, cmd);
		break;
	case P_RW_READ:
	case P_RW_WRITE:
		read_rwlock(r, o, &ls->l, base);
		break;
	case P_COND:
		read_cond(r, o, &ls->l, base);
		break;
	case P_SEM:
		read_sem(r, o, &ls->l, base);
		break;
	case P_JOIN: {
		/* pthread_join waits while the joined thread's tid word holds
		 * its tid (the kernel clears it at the thread's exit). */
		uint32_t tid;
		if (!read_exact(r, uaddr, &tid, 4)) {
			o->note = internf(r, "its memory at 0x%" PRIx64 " cannot be read", uaddr);
		} else if (!tid) {
			o->owner_state = WOWNER_NONE;
		} else {
			set_owner(r, o, tid);
			if (o->owner_state == WOWNER_EXITED) {
				/* A joined thread that is gone has a zero word. */
				o->owner_state = WOWNER_UNKNOWN;
				o->note = internf(r, "the word holds %u, which is no thread of the process", tid);
			} else if (o->owner_state == WOWNER_THREAD) {
				o->name = internf(r, "thread %u", tid);
			}
		}
		break;
	}
	case P_LLL:
		o->type = intern(r, "glibc internal lock");
		o->owner_state = WOWNER_NOT_RECORDED;
		break;
	case P_RUST_MUTEX:
	case P_RUST_RWLOCK:
	case P_RUST_COND:
		o->type = intern(r, "Rust std (futex)");
		o->owner_state = WOWNER_NOT_RECORDED;
		break;
	case P_CXX_SEM:
		o->type = intern(r, "std::counting_semaphore");
		o->owner_state = WOWNER_NOT_RECORDED;
		break;
	case P_BARRIER:
		o->type = intern(r, "pthread_barrier_t");
		o->owner_state = WOWNER_NOT_RECORDED;
		break;
	case P_NONE:
		if (t->wait == WAIT_FUTEX)
			o->owner_state = WOWNER_NOT_RECORDED; /* a bare futex has no owner */
		else
			o->note = intern(r, "a lock pileup does not know (no pthread or std frame)");
		break;
	}
}

/* --- file descriptors ------------------------------------------------------- */

static uint32_t fd_object(struct resolver *r, int fd)
{
	bool fresh;
	uint32_t ref = object_for(r, WOBJ_FD, (uint64_t)(uint32_t)fd, &fresh);
	struct snap_object *o = obj(r, ref);
	if (fresh) {
		o->fd = fd;
		o->owner_state = WOWNER_NOT_RECORDED;
		struct fdinfo_desc d;
		if (fdinfo_describe(r->snap, fd, &d)) {
			o->type = intern(r, d.type);
			o->desc = d.desc;
		} else if (r->snap->source == SNAP_LIVE) {
			o->note = intern(r, "not open (any more)");
		} else {
			o->note = intern(r, "what it is needs the live process: a core has no fd table");
		}
	}
	return ref;
}

static void add_to_set(struct snap_wait *w, uint32_t ref, size_t *cap)
{
	for (uint32_t i = 0; i < w->nset; i++)
		if (w->set[i] == ref)
			return;
	xgrow(&w->set, cap, w->nset + 1, sizeof(*w->set));
	w->set[w->nset++] = ref;
}

static void poll_set(struct resolver *r, struct snap_thread *t)
{
	uint64_t arr = t->syscall_args[0], n = t->syscall_args[1];
	struct snap_wait *w = &t->waits_on;
	w->kind = WOBJ_FD;
	size_t want = n > MAX_POLL_READ ? MAX_POLL_READ : (size_t)n;
	if (!want)
		return;
	struct {
		int32_t fd;
		int16_t events, revents;
	} *p = xmalloc(want * 8);
	size_t got = snapshot_read(r->snap, arr, p, want * 8) / 8;
	size_t cap = 0, shown = 0, more = 0;
	for (size_t i = 0; i < got; i++) {
		if (p[i].fd < 0)
			continue;
		if (shown < MAX_SET) {
			add_to_set(w, fd_object(r, p[i].fd), &cap);
			shown = w->nset;
		} else {
			more++;
		}
	}
	if (got < (size_t)n || more)
		w->note = internf(r, "%" PRIu64 " fds watched; the first %zu shown", n, (size_t)w->nset);
	if (w->nset == 1)
		w->object = w->set[0];
	free(p);
}

static void select_set(struct resolver *r, struct snap_thread *t)
{
	uint64_t nfds = t->syscall_args[0];
	struct snap_wait *w = &t->waits_on;
	w->kind = WOBJ_FD;
	if (nfds > 65536)
		nfds = 65536;
	size_t bytes = (size_t)((nfds + 63) / 64 * 8), cap = 0;
	unsigned char *bits = xmalloc(bytes ? bytes : 1);
	for (int set = 1; set <= 3 && bytes; set++) {
		uint64_t a = t->syscall_args[set];
		if (!a || snapshot_read(r->snap, a, bits, bytes) != bytes)
			continue;
		for (uint64_t fd = 0; fd < nfds && w->nset < MAX_SET; fd++)
			if (bits[fd / 8] & (1u << (fd % 8)))
				add_to_set(w, fd_object(r, (int)fd), &cap);
	}
	if (w->nset == 1)
		w->object = w->set[0];
	free(bits);
}

static void epoll_set(struct resolver *r, struct snap_thread *t)
{
	int epfd = (int)t->syscall_args[0];
	struct snap_wait *w = &t->waits_on;
	w->kind = WOBJ_FD;
	w->object = fd_object(r, epfd);
	int fds[MAX_SET];
	long n = fdinfo_epoll(r->snap, epfd, fds, NULL, MAX_SET);
	size_t cap = 0;
	for (long i = 0; i < n && i < MAX_SET; i++)
		add_to_set(w, fd_object(r, fds[i]), &cap);
	if (n > MAX_SET)
		w->note = internf(r, "%ld fds watched; the first %d shown", n, MAX_SET);
}

static void fd_wait(struct resolver *r, struct snap_thread *t)
{
	switch (t->syscall) {
	case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv: case SYS_preadv2:
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev: case SYS_pwritev2:
	case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg: case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
	case SYS_accept: case SYS_accept4: case SYS_connect: case SYS_sendfile: {
		int fd = (int)t->syscall_args[0];
		if (fd < 0 || t->syscall_args[0] > INT_MAX)
			return;
		t->waits_on.kind = WOBJ_FD;
		t->waits_on.object = fd_object(r, fd);
		return;
	}
	case SYS_poll: case SYS_ppoll:
		poll_set(r, t);
		return;
	case SYS_select: case SYS_pselect6:
		select_set(r, t);
		return;
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
		epoll_set(r, t);
		return;
	}
}

/* --- the pass -------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static bool has_args(const struct snap_thread *t)
{
	return t->how == SNAP_HOW_SYSCALL || t->how == SNAP_HOW_STOPPED || t->how == SNAP_HOW_CORE;
}

void waits_resolve(struct snapshot *snap)
{
	if (snap->source == SNAP_SAVED)
		return;
	struct resolver r = {.snap = snap, .dwfl = unwind_dwfl(snap), .other_ns = -1};
	r.names = objnamer_create(snap);
	char pm[32];
	if (snap->source == SNAP_LIVE && proc_read_file("/proc/sys/kernel/pid_max", pm, sizeof(pm)) > 0)
		r.pid_max = strtol(pm, NULL, 10);
	r.words = xmalloc((snap->nthreads ? snap->nthreads : 1) * sizeof(*r.words));
	for (size_t i = 0; i < snap->nthreads; i++) {
		const struct snap_thread *t = &snap->threads[i];
		if (t->syscall == SYS_futex && has_args(t))
			r.words[r.nwords++] = t->syscall_args[0];
	}
	qsort(r.words, r.nwords, sizeof(*r.words), cmp_u64);
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (t->waits_on.kind != WOBJ_NONE || !has_args(t) || t->syscall < 0)
			continue;
		if (t->syscall == SYS_futex)
			futex_wait(&r, t);
		else
			fd_wait(&r, t);
	}
	free(r.words);
	free(r.layouts);
	free(r.ns_tids);
	free(r.memo);
	objnamer_destroy(r.names);
}
