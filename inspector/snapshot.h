/* snapshot.h - the one model in the middle of pileup.
 *
 * A snapshot is what an input produced: the target, its threads (registers,
 * the syscall each is blocked in, copied stack bytes), its mappings and a
 * way to read the rest of its memory.  Live capture and core files produce
 * one; a saved JSON report produces one that already carries frames.
 * Unwinding fills in frames, classify fills in wait classes and sites, and
 * grouping and the reports only ever read the snapshot, never knowing which
 * input made it. */
#ifndef PILEUP_SNAPSHOT_H
#define PILEUP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strpool.h"

/* x86_64 registers in DWARF numbering: rax rdx rcx rbx rsi rdi rbp rsp
 * r8..r15, then 16 = rip (the return-address column). */
enum { SNAP_NREGS = 17, SNAP_REG_RBP = 6, SNAP_REG_RSP = 7, SNAP_REG_RIP = 16 };

struct snap_regs {
	uint64_t r[SNAP_NREGS];
	uint32_t valid; /* bit i set: r[i] is known */
	int64_t orig_rax; /* syscall number at the stop, or -1 */
	bool have_orig_rax;
	uint64_t fs_base;
};

/* How a thread's state was obtained. */
enum snap_how {
	SNAP_HOW_NONE,    /* no registers: see thread->error */
	SNAP_HOW_SYSCALL, /* blocked in a syscall: sp/pc from /proc, not stopped */
	SNAP_HOW_STOPPED, /* briefly stopped with ptrace to read its registers */
	SNAP_HOW_CORE,    /* from a core file's NT_PRSTATUS */
	SNAP_HOW_SAVED,   /* loaded from a saved report: frames only */
};

enum wait_class {
	WAIT_UNKNOWN, WAIT_MUTEX, WAIT_RWLOCK, WAIT_CONDVAR, WAIT_SEMAPHORE,
	WAIT_FUTEX, WAIT_JOIN, WAIT_READ, WAIT_WRITE, WAIT_POLL, WAIT_ACCEPT,
	WAIT_CONNECT, WAIT_SLEEP, WAIT_SIGNAL, WAIT_WAITPID, WAIT_SYSCALL,
	WAIT_RUNNING, WAIT_STOPPED,
	WAIT__COUNT
};
const char *wait_class_name(enum wait_class c);
/* Returns WAIT__COUNT when name is not a class. */
enum wait_class wait_class_parse(const char *name);

/* One frame, innermost first.  Strings are interned in the snapshot pool. */
struct frame {
	uint64_t pc;          /* for inline frames: the pc of the physical frame */
	uint64_t offset;      /* pc - function start (or module offset if no symbol) */
	const char *function; /* demangled; NULL if unknown */
	const char *module;   /* path as the target names it; NULL if unmapped */
	const char *file;     /* source file, NULL if no line info */
	int line;
	bool inlined;
	bool library;         /* libc, ld.so, vdso, std:: primitives, Go runtime... */
	bool wrapper;         /* Go: compiler-generated wrapper, hidden by Go's default traceback */
	bool tail_call;       /* not on the stack: restored from DWARF call sites */
	bool jit;             /* named from the program's perf map (/tmp/perf-PID.map) */
	bool fp_guessed;      /* the walk to it rests on a frame pointer guessed from the stack */
	const char *engine;   /* the unwinder that walked it, when not the default (libdw) */
};

/* --- What threads and goroutines wait on -------------------------------
 *
 * The object a waiter is blocked on, and who holds it: filled for native
 * threads by waits.c (from the target's memory, after classify), for
 * goroutines by the Go support, and from a saved report by
 * snapshot_json.c.  Objects live once in snap->objects (twenty waiters of
 * one mutex share it); waitgraph.c follows owners from waiter to holder. */
enum wobj_kind {
	WOBJ_NONE,
	WOBJ_MUTEX, WOBJ_RWLOCK, WOBJ_CONDVAR, WOBJ_SEMAPHORE, WOBJ_FUTEX, WOBJ_THREAD, WOBJ_FD,
	WOBJ_CHAN, WOBJ_SELECT, WOBJ_SYNC_MUTEX, WOBJ_SYNC_RWMUTEX, WOBJ_SYNC_WAITGROUP, WOBJ_SYNC_COND,
	WOBJ_TIMER,
	WOBJ__COUNT
};
/* "mutex", ..., "sync.WaitGroup", "timer"; NULL for WOBJ_NONE. */
const char *wobj_kind_name(enum wobj_kind k);
/* WOBJ__COUNT when name is no kind. */
enum wobj_kind wobj_kind_parse(const char *name);

/* Who holds an object, as far as the target's memory says. */
enum wobj_owner {
	WOWNER_UNKNOWN,      /* not read, or read and not believable (see note) */
	WOWNER_NONE,         /* nobody: free right now (its waiters are being woken) */
	WOWNER_THREAD,       /* owner: a thread of the snapshot */
	WOWNER_EXITED,       /* owner: recorded, but no thread of the process: abandoned */
	WOWNER_NOT_RECORDED, /* the primitive keeps no owner (condvar, semaphore, Go's mutexes) */
	WOWNER_READERS,      /* an rwlock held by readers, who are not recorded */
	WOWNER__COUNT
};
const char *wobj_owner_name(enum wobj_owner o);
enum wobj_owner wobj_owner_parse(const char *name);

/* A number the primitive records: "depth" (a recursive mutex's), "readers",
 * "value", "waiters", "counter"...; boolean: true or false (Go's "locked",
 * "starving").  Keys are written as JSON keys of the object: none may be
 * one of its own (kind, address, name, futex, type, owner, owner_state,
 * note, chan, channels, fd, fds, count, and version 2's id and object). */
struct snap_fact {
	const char *key;  /* a literal or interned */
	int64_t value;
	bool boolean;
};
enum { SNAP_MAX_FACTS = 4 };

/* A Go channel; -1 (or closed -1) where unknown. */
struct snap_chan {
	const char *type;   /* "chan error", interned; NULL unknown */
	int64_t cap, len, senders, receivers;
	int closed;
	bool nil;           /* a nil channel: blocks forever */
};

struct snap_object {
	enum wobj_kind kind;
	uint64_t addr;          /* 0: none (an fd) */
	const char *name;       /* "big", "svc::g_cache", "heap", "stack of thread 77"; NULL unknown */
	const char *type;       /* "normal", "recursive", "PI"...; an fd's "TCP", "pipe"... */
	enum wobj_owner owner_state;
	pid_t owner;            /* WOWNER_THREAD, WOWNER_EXITED */
	struct snap_fact facts[SNAP_MAX_FACTS];
	uint8_t nfacts;
	bool have_chan;
	struct snap_chan chan;  /* WOBJ_CHAN */
	int fd;                 /* WOBJ_FD: the number; -1 */
	const char *desc;       /* WOBJ_FD: "TCP 127.0.0.1:43210 -> 127.0.0.1:5432" */
	const char *note;       /* why something is unknown, or NULL */
};

/* Object references are 1 + the index in snap->objects; 0 is none. */
struct snap_wait {
	enum wobj_kind kind;    /* WOBJ_NONE: nothing identified */
	uint32_t object;        /* the object, 0: none (a poll over several fds) */
	uint32_t nset;
	uint32_t *set;          /* more: a select's channels, the fds a poll or epoll watches */
	uint64_t futex;         /* native: the futex word waited on, 0 none */
	const char *note;       /* why the object is unknown, or NULL */
};

struct mem_region {
	uint64_t addr;
	size_t len;
	unsigned char *data;
	bool in_arena; /* data belongs to the snapshot's arena, not malloc */
	/* bytes after len that belong to the region but were not copied
	 * (live captures copy the top of a stack; snapshot_region_extend
	 * reads more on demand) */
	size_t more;
};

struct snap_thread {
	pid_t tid;
	char *name;             /* comm, raw bytes from the target */
	char state;             /* R S D T t Z X, or '?' */
	long syscall;           /* blocked-in syscall number, -1 none */
	uint64_t syscall_args[6];
	enum snap_how how;
	struct snap_regs regs;
	struct mem_region stack; /* copied stack bytes (may be empty) */
	struct frame *frames;
	size_t nframes;
	char *error;            /* why the stack is incomplete, or NULL */
	bool exited;            /* live capture: the thread exited before it was read */
	/* filled by classify */
	enum wait_class wait;
	int wait_site;          /* index into frames, -1 */
	int blocking_call;      /* index into frames, -1 */
	bool crashed;           /* the thread that got the fatal signal (cores) */
	/* set by unwind: the thread is in Go code, which golang.c unwinds
	 * (pclntab); unwind_finish() walks it with libdwfl if not */
	bool unwind_deferred;
	/* set by unwind: a walk through C frames (libc, cgo) reached Go
	 * code, which has no CFI; go/golang.c goes on from here with the
	 * pclntab (pc is a return address, sp the caller's) */
	struct {
		uint64_t pc, sp;
		bool valid;
	} go_resume;
	uint32_t host;          /* merged snapshots: index into snapshot.hosts */
	struct snap_wait waits_on; /* filled by waits.c */
};

/* Go goroutine statuses, as runtime2.go numbers them.  A goroutine read
 * from a pprof profile has id 0 (a profile counts goroutines per stack and
 * names none; Go numbers goroutines from 1). */
struct snap_goroutine {
	int64_t id;             /* 0: unknown */
	const char *status;      /* "waiting", "runnable", ... */
	const char *wait_reason; /* "chan send", ... or NULL */
	int64_t wait_minutes;    /* -1 unknown */
	pid_t thread;            /* OS thread running it, 0 none */
	bool locked;
	const char *created_function, *created_file;
	int created_line;
	int64_t created_goroutine; /* 0 unknown */
	struct frame *frames;
	size_t nframes;
	int wait_site, blocking_call;
	char *error;
	/* frames is another goroutine's (identical stacks share one array):
	 * not freed with this one */
	bool frames_shared;
	/* the runtime's own (GC workers, finalizers...): started in a
	 * runtime.* function other than runtime.main; Go's tracebacks hide
	 * them unless GOTRACEBACK=system */
	bool system;
	bool leaked;            /* Go 1.26+: found leaked by the GC ("(leaked)") */
	uint32_t host;          /* merged snapshots: index into snapshot.hosts */
	/* pprof labels (a profile's): dump.h's string of them, or NULL */
	const char *labels;
	struct snap_wait waits_on;
};

struct snap_map {
	uint64_t start, end, offset;
	char perms[5];
	uint64_t inode;
	char *path;       /* as the target names it, or NULL for anonymous */
};

/* SNAP_DUMP: what a Go service publishes (a traceback, a pprof goroutine
 * profile, from a file or HTTP): goroutines with frames, no threads, no
 * memory; analyze_snapshot() only groups them, as for SNAP_SAVED. */
enum snap_source { SNAP_LIVE, SNAP_CORE, SNAP_SAVED, SNAP_DUMP };
enum snap_mode { SNAP_MODE_NONSTOP, SNAP_MODE_STOP_ALL, SNAP_MODE_CORE, SNAP_MODE_SAVED, SNAP_MODE_DUMP };

/* What an input cannot know, as flags in snapshot.lacks: a comparison or a
 * merge of snapshots that lack different things first lowers each to what
 * all of them have (goview.h), so groups still match.
 *   THREADS     no OS threads (dumps)
 *   GO_RUNTIME  no frames of unexported runtime.* functions, compiler
 *               wrappers or runtime.goexit, no system goroutines (Go's
 *               default traceback, pprof profiles)
 *   GO_WAIT     no wait reasons, statuses or wait minutes (pprof)
 *   GO_IDS      no goroutine ids, creators' ids or threads (pprof)
 *   GO_DEEP     no frames past the 100 Go's traceback prints of a goroutine */
enum {
	SNAP_LACKS_THREADS = 1u << 0,
	SNAP_LACKS_GO_RUNTIME = 1u << 1,
	SNAP_LACKS_GO_WAIT = 1u << 2,
	SNAP_LACKS_GO_IDS = 1u << 3,
	SNAP_LACKS_GO_DEEP = 1u << 4,
	/* no pprof labels: never saved, but set (with the others) when a
	 * diff or merge lowers snapshots of which not all have go_labels */
	SNAP_LACKS_GO_LABELS = 1u << 5,
};

/* Reads target memory not captured in the snapshot; returns bytes read. */
typedef size_t (*snap_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct snapshot {
	enum snap_source source;
	enum snap_mode mode;
	pid_t pid;
	char *exe;           /* path as the target names it */
	char *exe_open;      /* path pileup opens for it (may be /proc/PID/exe) */
	char *core_path;
	char *root;          /* prefix for the target's files ("/proc/PID/root", sysroot) */
	uint64_t pause_us, elapsed_us;
	int64_t taken_at;    /* unix seconds */

	struct snap_thread *threads;
	size_t nthreads, cap_threads;
	struct snap_goroutine *goroutines;
	size_t ngoroutines;
	char *go_version;
	char *go_module;
	unsigned lacks;      /* SNAP_LACKS_* */
	bool go_labels;      /* the input carries pprof labels (a profile) */
	/* dumps: where the data came from (a file or URL) and what it was
	 * ("Go traceback", "pprof goroutine profile", ...) */
	char *dump_from;
	const char *dump_format;
	/* merged snapshots (pileup merge): one name per input, in the order
	 * given; every thread and goroutine says which it came from */
	char **hosts;
	size_t nhosts;

	struct snap_map *maps;
	size_t nmaps, cap_maps;

	/* what waiters wait on (struct snap_wait refers to them) */
	struct snap_object *objects;
	size_t nobjects, cap_objects;
	struct snap_objkey { uint64_t key; uint32_t kind, ref; } *objkeys; /* snapshot_object_for's hash */
	size_t nobjkeys, cap_objkeys;
	/* the glibc whose lock layout waits.c used ("2.36") and where the
	 * layout came from ("dwarf", "table"), or why there was none;
	 * interned, NULL when no lock was read */
	const char *glibc_version, *glibc_layout, *glibc_problem;
	/* a live process's file descriptors, described on demand (fdinfo.h) */
	void *fd_state;
	void (*fd_free)(void *);

	/* memory the capture copied besides stacks, sorted by address: the
	 * words futex waiters wait on and the locks around them, so locks are
	 * read as they were when the threads were (snapshot_read serves them
	 * before read_fn); data in the arena */
	struct mem_region *copies;
	size_t ncopies;
	/* live --stop-all --leaks: the capture copied every writable mapping
	 * while the process was stopped (in copies): read only those */
	bool frozen;
	/* --leaks (go/leaks.h): asked for; then either done (every
	 * goroutine's leaked is a verdict) or a problem saying why not */
	struct snap_leaks {
		bool wanted, done;
		char *problem;            /* malloc'd */
		uint64_t heap_bytes;      /* bytes of heap objects */
		uint64_t scanned_bytes;   /* bytes of roots and objects scanned */
		uint64_t us;              /* time the pass took */
		size_t leaked, reachable; /* candidates: can never wake / wait on something reachable */
	} leaks;
	/* memory beyond the copied stacks */
	snap_read_fn read_fn;
	void *read_ctx;

	/* crash information (cores) */
	pid_t crash_tid;
	int crash_signal;
	uint64_t crash_addr;
	bool have_crash;

	/* Problems of the input as a whole, one line each (a core whose
	 * executable is missing or different, a truncated core): every
	 * report shows them, and they make the report partial (exit 1). */
	char **warnings;
	size_t nwarnings;

	struct strpool *strings;
	/* bump arena for copied stacks: one allocation, not one per thread */
	struct arena_block {
		unsigned char *p;
		size_t len;
	} *arena; /* mapped */
	size_t narena, cap_arena, arena_left;
	unsigned char *arena_next;
	/* opaque per-input and per-unwinder state */
	void *unwind_state;
	void (*unwind_free)(void *);
	void *input_state;
	void (*input_free)(void *);

	/* Inputs that know the modules better than the mappings (cores) set
	 * these, and the unwinder uses them.  report_modules reports modules
	 * into a Dwfl * between dwfl_report_begin and _end (0; 1 when the
	 * unwinder is to add the vdso from the maps; -1 with the libdwfl
	 * error set); open_module opens the file of the module named
	 * name loaded at base (an fd and a malloc'd path in *path, or -1);
	 * machine_elf, an Elf *, tells libdwfl the machine even when no
	 * module has a file. */
	int (*report_modules)(struct snapshot *snap, void *dwfl);
	int (*open_module)(struct snapshot *snap, const char *name, uint64_t base, char **path);
	void *machine_elf;
};

struct snapshot *snapshot_create(enum snap_source source);
void snapshot_destroy(struct snapshot *snap);
struct snap_thread *snapshot_add_thread(struct snapshot *snap, pid_t tid);
struct snap_map *snapshot_add_map(struct snapshot *snap);
/* Frees every thread (a comparison with a dump, which has none). */
void snapshot_drop_threads(struct snapshot *snap);
/* A new object (zeroed, fd -1): its reference (1 + index). */
uint32_t snapshot_add_object(struct snapshot *snap);
/* The object of kind known by key (its address, an fd number, ...): the
 * same one for the same pair, made (zeroed, with kind set) the first time,
 * when *is_new says so. */
uint32_t snapshot_object_for(struct snapshot *snap, enum wobj_kind kind, uint64_t key, bool *is_new);
/* The object a reference names, or NULL (0 or out of range). */
const struct snap_object *snapshot_object(const struct snapshot *snap, uint32_t ref);
/* Adds a fact to an object (ignored beyond SNAP_MAX_FACTS). */
void snapshot_object_fact(struct snap_object *o, const char *key, int64_t value);
void snapshot_object_flag(struct snap_object *o, const char *key, bool value);
/* The index of thread tid, or -1 (threads sorted by tid, as every input
 * leaves them: snapshot_sort). */
long snapshot_find_thread(const struct snapshot *snap, pid_t tid);
/* Sorts threads by tid and mappings by address. */
void snapshot_sort(struct snapshot *snap);
const struct snap_map *snapshot_find_map(const struct snapshot *snap, uint64_t addr);
/* Reads target memory: copied stacks first, then snap->read_fn.
 * Returns the number of bytes read (short at the first unreadable byte). */
size_t snapshot_read(const struct snapshot *snap, uint64_t addr, void *buf, size_t len);
/* Memory for copied stacks, freed with the snapshot.  Reserving first
 * makes the later allocations page-fault free (used before stopping
 * threads, so the pause holds no allocation): one mapping, populated in
 * one call, of huge pages from 2 MB on where the kernel offers them. */
void snapshot_arena_reserve(struct snapshot *snap, size_t bytes);
void *snapshot_arena_alloc(struct snapshot *snap, size_t bytes);
/* Extends r (a copied stack) through addr + 8 and beyond, up to r->more
 * bytes, reading the target with snap->read_fn; returns whether addr + 8
 * is now inside r. */
bool snapshot_region_extend(const struct snapshot *snap, struct mem_region *r, uint64_t addr);
bool snapshot_read_u64(const struct snapshot *snap, uint64_t addr, uint64_t *out);
/* Number of threads whose stacks are incomplete. */
size_t snapshot_partial_threads(const struct snapshot *snap);
/* Adds a warning about the input (see snapshot.warnings). */
void snapshot_warn(struct snapshot *snap, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
