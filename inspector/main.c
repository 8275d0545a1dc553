/* pileup - where do the threads of a hung process pile up?
 *
 * main.c turns the command line into one pipeline: an input makes a
 * snapshot, the analysis (unwind, classify, group) fills it in, and one
 * output prints it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progress.h"
#include "analyze.h"
#include "compare.h"
#include "error.h"
#include "failif.h"
#include "gcore.h"
#include "goview.h"
#include "merge.h"
#include "memory.h"
#include "report.h"
#include "sanitize.h"
#include "snapshot.h"
#include "target.h"
#include "timing.h"
#include "tui.h"

static const char usage_text[] =
"NAME\n"
"    pileup - show where the threads of a hung process pile up\n"
"\n"
"SYNOPSIS\n"
"    pileup [OPTIONS] PID\n"
"    pileup [OPTIONS] -p PID\n"
"    pileup [OPTIONS] CORE [EXE]\n"
"    pileup [OPTIONS] --core CORE [-e EXE]\n"
"    pileup [OPTIONS] --coredump [PID|latest]\n"
"    pileup --gcore PID -o FILE [--stop-all]\n"
"    pileup --watch SECONDS [--count N] [OPTIONS] PID\n"
"    pileup diff [OPTIONS] BEFORE AFTER\n"
"    pileup merge [OPTIONS] [NAME=]TARGET [NAME=]TARGET...\n"
"    pileup [OPTIONS] http://HOST:PORT[/PATH]\n"
"    pileup [OPTIONS] GOROUTINE-DUMP | PROFILE\n"
"\n"
"DESCRIPTION\n"
"    pileup reads every thread of a running process, unwinds its stack with\n"
"    elfutils libdw, symbolizes it (functions, inline frames, source lines,\n"
"    demangled C++ and Rust names), tells what each thread waits for (mutex,\n"
"    condvar, read, poll, sleep, ...), groups threads whose stacks are\n"
"    identical and ranks the groups, so the wait sites that dominate a hang\n"
"    show at once.\n"
"\n"
"    By default pileup does not disturb the target: a thread blocked in a\n"
"    system call is read through /proc/PID/task/TID/syscall and\n"
"    process_vm_readv without being stopped, so no blocked call returns\n"
"    early with EINTR. Only a thread running in user space is stopped, alone,\n"
"    for the microseconds it takes to read its registers. Such threads only\n"
"    give their stack pointer and program counter; pileup recovers the frame\n"
"    pointer from the stack where the code needs it.\n"
"\n"
"    A core dump gives the same report, through the same analysis (see CORE\n"
"    FILES); --gcore writes one of a running process, to analyze later or\n"
"    elsewhere.\n"
"\n"
"OPTIONS\n"
"    -p, --pid PID          the process to inspect (also the first argument)\n"
"        --tui              browse the groups in a full-screen terminal browser\n"
"                           (the default when stdin and stdout are terminals)\n"
"        --text             plain text report (the default otherwise)\n"
"        --json[=VERSION]   JSON report, format version 2 (each distinct stack\n"
"                           written once; see README), or 1 (--json=1: frames\n"
"                           in every thread and goroutine); a saved report of\n"
"                           either version opens again: pileup FILE.json\n"
"        --folded           folded stacks, one line per distinct stack: its\n"
"                           frames outermost first, joined by ';', the wait as\n"
"                           the leaf ([condvar], [chan send]), a space and the\n"
"                           count; threads and goroutines. For flamegraph.pl,\n"
"                           inferno and speedscope\n"
"        --svg FILE         also draw the stacks to FILE as an SVG icicle graph\n"
"                           for a web browser: root at the top, waits at the\n"
"                           bottom, widths by count, dominant wait sites in\n"
"                           red, a tooltip per frame; the report is printed\n"
"                           (or browsed) as usual\n"
"    -o, --output FILE      write the report to FILE instead of stdout\n"
"        --stop-all         consistent snapshot: stop every thread, copy its\n"
"                           registers and stack, and resume all of them before\n"
"                           any analysis; the report states the pause. Blocked\n"
"                           calls such as epoll_wait may return EINTR. A\n"
"                           thread that cannot stop within 2 s (uninterruptible\n"
"                           sleep) is read as without --stop-all\n"
"        --leaks            Go: which goroutines can never wake: marks the heap\n"
"                           from the roots as Go's leak detector does (needs\n"
"                           --stop-all on a live process, or a core); each\n"
"                           goroutine and group says \"leaked\"\n"
"        --no-stop          never stop any thread; threads running in user\n"
"                           space are listed without a stack\n"
"        --dominant PCT     a wait site holding at least PCT percent of the\n"
"                           threads is dominant (default 20)\n"
"        --frames N         print at most N frames per stack in text (default all)\n"
"        --source-dir DIR   the browser shows source files from under DIR too:\n"
"                           the path a frame names, or its last parts\n"
"                           (DIR/src/x.c for /build/proj/src/x.c); for a\n"
"                           saved report the only way, unless the program\n"
"                           is here (same build-id) and its debug info\n"
"                           names the file (see BROWSER)\n"
"        --wrappers         show Go's compiler-generated wrapper frames in text\n"
"                           (hidden by default, as Go's tracebacks hide them;\n"
"                           JSON always has them, marked \"wrapper\": true)\n"
"        --debuginfo-path DIR\n"
"                           also look for separate debug info under DIR\n"
"                           (DIR/.build-id/xx/yyyy.debug or .gnu_debuglink);\n"
"                           /usr/lib/debug is always searched\n"
"        --unwinder NAME    libdw (elfutils) or libunwind: the unwinder that\n"
"                           walks every thread. By default libdw, and where its\n"
"                           walk of a thread ends early but libunwind's reaches\n"
"                           the thread's entry frame, libunwind's (those frames\n"
"                           say \"engine\": \"libunwind\" in JSON)\n"
"        --cross-check      walk every thread with both unwinders and say on\n"
"                           stderr, per thread, where they differ and which one\n"
"                           reached the entry frame; exit status 1 when any\n"
"                           thread differs\n"
"        --debuginfod       download missing debug information from the\n"
"                           debuginfod servers in DEBUGINFOD_URLS, for the\n"
"                           modules the stacks go through (off by default:\n"
"                           pileup makes no network request unless asked);\n"
"                           after the capture, so no thread is stopped while\n"
"                           it waits; kept in libdebuginfod's cache\n"
"        --debuginfod-timeout SECONDS\n"
"                           wait at most that long for the servers in all\n"
"                           (default 10); what did not arrive shows as\n"
"                           exported symbols or module+offset, with a warning\n"
"        --stack-bytes N    bytes of stack copied per thread (default 262144);\n"
"                           deeper frames are read from the live process\n"
"        --core CORE        the core dump to read (also the first argument)\n"
"    -e, --executable EXE   the program that dumped the core (also the second\n"
"                           argument; default: the path the core names)\n"
"        --sysroot DIR      the core comes from another machine: look its\n"
"                           program and libraries up under DIR\n"
"        --coredump [PID|latest]\n"
"                           read the core systemd-coredump stored for PID, or\n"
"                           the newest one, through coredumpctl\n"
"        --gcore PID        write a core of the running process PID to the\n"
"                           file named by -o, and nothing else (see WRITING A\n"
"                           CORE for what it costs the process)\n"
"        --watch SECONDS    capture every SECONDS and compare (see WATCHING A\n"
"                           LEAK GROW); until --count captures or Ctrl-C\n"
"        --count N          with --watch: stop after N captures\n"
"        --fail-if COND     exit with status 3 when COND holds, after the normal\n"
"                           output, saying why on stderr (see CHECKS); may be\n"
"                           given several times\n"
"    -h, --help             this text\n"
"    -V, --version          the version\n"
"\n"
"BROWSER\n"
"    On a terminal pileup opens a browser: one row per group, ranked by count,\n"
"    with its share, wait, wait site and blocking call; dominant wait sites are\n"
"    marked '*'. Enter opens a group's stack and members, and a frame's source.\n"
"    Sources are read as the local debug info names them for a live process or\n"
"    a core; a saved report is data from elsewhere, so its paths are shown only\n"
"    when the program is here with the same build-id and its debug info names\n"
"    that file, or from under --source-dir DIR.\n"
"    t switches threads and goroutines, w groups by wait site, / searches,\n"
"    \\ filters, o sorts, r captures again and shows +N/-N per group, s saves\n"
"    the snapshot as JSON, H jumps to the group of the thread holding what\n"
"    a group waits on, ? lists every key, q quits. NO_COLOR turns colours\n"
"    off. The terminal is restored however pileup ends, and the target is\n"
"    never left stopped.\n"
"\n"
"CORE FILES\n"
"    A core is recognized by its content: an ELF core (ET_CORE), as written\n"
"    by the kernel, gdb's gcore or pileup --gcore, possibly compressed with\n"
"    zstd (what systemd-coredump stores), xz, lz4 or gzip; a compressed core\n"
"    is decompressed into an unnamed temporary file under $TMPDIR or\n"
"    /var/tmp. Threads come from the core's NT_PRSTATUS notes, and what each\n"
"    waits for from the system call it was in (orig_rax) and its frames, so\n"
"    a core gives the same groups as the live process did. If the process\n"
"    died of a signal, the second line says which thread got it and, for a\n"
"    fault, at which address; that thread's group is marked CRASHED.\n"
"    The program and libraries are matched to the core by build-id: a file\n"
"    that differs from the one the core was dumped with is never used, and\n"
"    a warning says so. Frames in missing or different files show as\n"
"    module+offset; a truncated core still gives what it holds. Warnings\n"
"    are printed in the report and on stderr, and make the exit status 1.\n"
"\n"
"WRITING A CORE (--gcore)\n"
"    The core holds every thread's registers and the memory of the process\n"
"    (anonymous and written pages, and the ELF headers of its files, as the\n"
"    kernel's default coredump_filter does), in the format gdb, eu-stack and\n"
"    pileup read, and is written with mode 0600: it holds the process's data.\n"
"    What it costs the process: by default it is not stopped. Threads blocked\n"
"    in a system call are read through /proc, so no call is interrupted; for\n"
"    them the core holds the stack and instruction pointers, the call's\n"
"    arguments and the frame pointer pileup recovers, and 0 for their other\n"
"    callee-saved registers. A thread running in user space is stopped alone\n"
"    for the microseconds it takes to read its registers. Memory is copied\n"
"    while the process runs (only the pages it has: untouched memory is not\n"
"    faulted in), so data that changes meanwhile may be inconsistent; each\n"
"    thread's stack is copied with its registers. With --stop-all every\n"
"    thread is stopped for the whole copy, about as long as writing its\n"
"    memory to disk takes (the pause is printed), every register is exact and\n"
"    memory is consistent, but blocked epoll_wait, sigtimedwait and semop\n"
"    calls return EINTR to the program, as with gdb's gcore.\n"
"\n"
"WATCHING A LEAK GROW (--watch, diff)\n"
"    A leak shows as a group that keeps growing. --watch SECONDS captures the\n"
"    process every SECONDS (each capture as without --watch, so by default no\n"
"    blocked call is interrupted) and matches each group, by its wait and its\n"
"    whole stack, with the same group in the captures before. For each group\n"
"    it shows its count in the first capture and now, the last counts, and\n"
"    its growth per minute (now minus first, over the minutes between them).\n"
"    A group that grew from every capture to the next is a leak suspect,\n"
"    marked LEAK?. On a terminal the table is redrawn in place; otherwise one\n"
"    block is appended per capture. Watching ends after --count captures or\n"
"    at Ctrl-C (SIGINT, SIGTERM, SIGHUP; the target is left running) and then\n"
"    lists the leak suspects; with --json it prints one JSON object with every\n"
"    group's counts instead (see README).\n"
"\n"
"    pileup diff BEFORE AFTER compares two snapshots saved with --json (or\n"
"    two cores) of the same program: every group with its count before and\n"
"    after and the difference, including groups that appeared or vanished;\n"
"    --json gives {\"groups\": [{..., \"before\": N, \"after\": M, \"delta\": D}]}.\n"
"    Snapshots of different programs (by build-id, else by path) are refused.\n"
"\n"
"WAITS\n"
"    For each waiting thread the report says what it waits on and who holds\n"
"    it: the mutex, rwlock, condition variable, semaphore, joined thread or\n"
"    futex it sleeps on (named from the symbol table: a global or static\n"
"    variable, else heap or the stack of a thread), and the thread that owns\n"
"    it as glibc records it, with what that thread does. The layout of\n"
"    glibc's locks comes from libc6-dbg's DWARF when installed, else from a\n"
"    table for known releases (2.36); another release is refused by name and\n"
"    no owner is guessed. Whatever does not check out is reported unknown. A\n"
"    chain of owners that comes back to its start is a deadlock, printed\n"
"    first (DEADLOCK); chains that end at a thread that sleeps, reads or runs\n"
"    are ranked by how many threads wait behind it, and a lock whose owner\n"
"    exited is abandoned. A live thread blocked on an fd names it and what it\n"
"    is (a TCP connection with both ends, a Unix socket and its peer, a pipe,\n"
"    a file); poll, select and epoll_wait name the fds they watch. In the\n"
"    browser H jumps to the holder's group. JSON: waits_on, deadlocks,\n"
"    convoys, and each group's objects (see README).\n"
"\n"
"CHECKS (--fail-if)\n"
"    threads>N       more than N threads\n"
"    goroutines>N    more than N goroutines\n"
"    group>N         a group of identical stacks holds more than N threads\n"
"                    or goroutines\n"
"    dominant        some wait site is dominant (see --dominant)\n"
"    deadlock        some threads wait for each other in a cycle (see WAITS)\n"
"    leaked>N        more than N goroutines can never wake (implies --leaks)\n"
"    growth>N/min    with --watch or diff: some group grew by more than N per\n"
"                    minute from the first capture to the last\n"
"    '>=' works too. Levels are checked on the last capture.\n"
"\n"
"ENVIRONMENT\n"
"    PILEUP_CACHE_DIR   where pileup keeps inflated copies of debug files\n"
"                       whose DWARF is compressed (Debian's -dbg packages),\n"
"                       named by build-id, so that later runs read them\n"
"                       without inflating them again (about 0.1 s for libc);\n"
"                       default $XDG_CACHE_HOME/pileup or ~/.cache/pileup;\n"
"                       empty: no cache. Delete the directory at any time.\n"
"                       It also keeps, per program, what a run symbolized\n"
"                       (and the call-frame rows it unwound with), so the\n"
"                       next run of the same program reads no debug info;\n"
"                       a rebuilt program, a new -dbg package or a new\n"
"                       pileup makes a new entry, never a stale answer.\n"
"                       Files unused for 30 days are removed.\n"
"    PILEUP_NO_SYMCACHE=1  do not use that symbol cache\n"
"    PILEUP_TIMING=1    where the time goes, phase by phase, on stderr\n"
"    PILEUP_GLIBC_LAYOUT=table|dwarf  read glibc's locks with that layout\n"
"                       source only (default: DWARF, else the table)\n"
"    PILEUP_WAITS_DEBUG=1  say where glibc's lock layout came from, and\n"
"                       whether the table agrees with the DWARF, on stderr\n"
"    NO_COLOR           no colours in the browser\n"
"\n"
"EXIT STATUS\n"
"    0  the report is complete\n"
"    1  the report was printed, but some threads could not be fully unwound\n"
"       (each says why), or the input has problems (a truncated core, a\n"
"       missing or different program; warnings say which)\n"
"    2  usage error, or the target could not be inspected (one line says why\n"
"       and what to do)\n"
"    3  a --fail-if condition holds\n"
"\n"
"EXAMPLES\n"
"    pileup $(pidof myserver)\n"
"    pileup --json -o hang.json 1234\n"
"    pileup --svg hang.svg 1234\n"
"    pileup --folded 1234 | flamegraph.pl >hang.svg\n"
"    pileup --stop-all --frames 12 1234\n"
"    pileup core.1234 /usr/bin/myserver\n"
"    pileup --coredump latest\n"
"    pileup --gcore 1234 -o myserver.core && pileup myserver.core\n"
"    pileup --watch 10 --count 7 --fail-if 'growth>5/min' 1234\n"
"    pileup diff --json monday.json tuesday.json\n"
"    pileup --json --fail-if 'goroutines>10000' --fail-if dominant 1234\n"
"    pileup --fail-if deadlock --text 1234\n";

enum format { FMT_DEFAULT, FMT_TEXT, FMT_JSON, FMT_TUI, FMT_FOLDED };

struct options {
	struct target_opts target;
	enum format format;
	int json_version; /* --json=N, 0: the current */
	const char *output;
	struct analyze_opts analyze;
	size_t max_frames;
	bool show_wrappers;
	const char *gcore; /* --gcore PID: write a core to output */
	const char *svg;   /* --svg FILE: also draw the graph there */
	const char *source_dir; /* --source-dir DIR: sources for the browser */
	const char *pprof; /* --pprof FILE: also write a pprof profile there */
	double watch;      /* --watch SECONDS, 0 none */
	size_t count;      /* --count N */
	bool diff;         /* pileup diff A B */
	const char *diff_files[2];
	bool merge;        /* pileup merge [NAME=]TARGET... */
	char **merge_targets;
	size_t nmerge;
	struct fail_cond fail_if[16];
	size_t nfail_if;
};

static volatile sig_atomic_t watching, watch_stop;
/* DEBUGINFOD_URLS, kept for --debuginfod before it is unset (global: held
 * until exit on every path). */
char *debuginfod_urls;

static void on_signal(int sig)
{
	if (target_capturing) {
		/* The capture loop sees this, detaches every thread and stops. */
		capture_live_abort = 1;
		watch_stop = 1;
		return;
	}
	if (watching && !watch_stop) {
		/* --watch ends after this capture, with its summary; a second
		 * signal ends it at once (no thread is stopped here). */
		watch_stop = 1;
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: waits return to check the flag */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int fail(struct pu_error *err)
{
	int code = err->exit_code;
	/* Messages quote the target (a tracer's name, a path): one rule for
	 * every line that reaches a terminal. */
	fputs("pileup: ", stderr);
	sanitize_fputs(err == &pu_enomem ? "out of memory" : err->msg, stderr);
	fputc('\n', stderr);
	pu_error_free(err);
	return code;
}

static struct pu_error *parse_number(const char *opt, const char *s, double lo, double hi, double *ret)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || v < lo || v > hi)
		return pu_error_new(PU_EXIT_USAGE, "%s needs a number from %g to %g, not '%s'", opt, lo, hi, s);
	*ret = v;
	return NULL;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* What to inspect: PID, CORE [EXE] (or a saved report), --coredump, or
 * --gcore; npos positional arguments are in pos. */
static struct pu_error *parse_target(int npos, char **pos, const char *pid_arg, const char *core_arg, bool coredump,
				     const char *coredump_arg, struct options *o)
{
	struct target_opts *t = &o->target;
	pid_t pid;
	if (o->merge) {
		if (npos < 1 || pid_arg || core_arg || coredump || o->gcore)
			return pu_error_new(PU_EXIT_USAGE, "merge reads snapshots of one build from many hosts: 'pileup merge A.json B.json http://h3:6060 ...'");
		if (o->watch || t->capture.stop_all || t->capture.never_stop || t->exe || t->sysroot)
			return pu_error_new(PU_EXIT_USAGE, "merge reads snapshots; --watch, --stop-all, --no-stop, -e and --sysroot do not apply");
		o->merge_targets = pos;
		o->nmerge = (size_t)npos;
		return NULL;
	}
	if (o->diff) {
		if (npos != 2 || pid_arg || core_arg || coredump || o->gcore)
			return pu_error_new(PU_EXIT_USAGE, "diff compares two snapshots: 'pileup diff BEFORE AFTER' (saved reports, dumps, URLs or process IDs)");
		if (o->watch || t->capture.stop_all || t->capture.never_stop || t->exe || t->sysroot)
			return pu_error_new(PU_EXIT_USAGE, "diff reads two saved snapshots; --watch, --stop-all, --no-stop, -e and --sysroot do not apply");
		o->diff_files[0] = pos[0];
		o->diff_files[1] = pos[1];
		return NULL;
	}
	if (o->gcore) {
		struct pu_error *err = target_parse_pid(o->gcore, &pid);
		if (err)
			return err;
		if (npos || pid_arg || core_arg || coredump)
			return pu_error_new(PU_EXIT_USAGE, "--gcore PID writes a core of that process: give no other target (see --help)");
		if (!o->output)
			return pu_error_new(PU_EXIT_USAGE, "--gcore needs -o FILE: where to write the core");
		if (o->watch || o->nfail_if)
			return pu_error_new(PU_EXIT_USAGE, "--gcore only writes a core; --watch and --fail-if are for reports");
		if (t->exe || t->sysroot)
			return pu_error_new(PU_EXIT_USAGE, "-e and --sysroot are for reading a core, not for --gcore");
		return NULL;
	}
	if (coredump && o->watch)
		return pu_error_new(PU_EXIT_USAGE, "--watch captures a running process again and again: give a process ID");
	if (coredump) {
		if (pid_arg || core_arg || npos > 1 || (npos && coredump_arg))
			return pu_error_new(PU_EXIT_USAGE, "--coredump takes one process ID or 'latest', and no other target (see --help)");
		t->coredump = npos ? pos[0] : coredump_arg ? coredump_arg : "latest";
		if (strcmp(t->coredump, "latest") != 0)
			return target_parse_pid(t->coredump, &pid);
		return NULL;
	}
	if (core_arg) {
		if (pid_arg || npos > 1 || (npos && t->exe))
			return pu_error_new(PU_EXIT_USAGE, "one target at a time: unexpected '%s' (see --help)", pid_arg ? pid_arg : pos[npos - 1]);
		t->file = core_arg;
		if (npos)
			t->exe = pos[0];
	} else if (npos) {
		if (pid_arg || npos > 2)
			return pu_error_new(PU_EXIT_USAGE, "one target at a time: unexpected '%s' (see --help)", pos[npos - 1]);
		if (all_digits(pos[0])) {
			if (npos > 1)
				return pu_error_new(PU_EXIT_USAGE, "'%s' is a process ID, which takes no program: unexpected '%s'", pos[0], pos[1]);
			pid_arg = pos[0];
		} else if (input_http_is_url(pos[0])) {
			if (npos > 1)
				return pu_error_new(PU_EXIT_USAGE, "'%s' is a URL, which takes no program: unexpected '%s'", pos[0], pos[1]);
			if (t->capture.stop_all || t->capture.never_stop || t->exe || t->sysroot)
				return pu_error_new(PU_EXIT_USAGE, "%s is a URL: --stop-all, --no-stop, -e and --sysroot apply to processes and cores", pos[0]);
			t->url = pos[0];
			return NULL;
		} else {
			t->file = pos[0];
			if (npos > 1) {
				if (t->exe)
					return pu_error_new(PU_EXIT_USAGE, "two programs for one core: '%s' and '%s'", t->exe, pos[1]);
				t->exe = pos[1];
			}
		}
	}
	if (coredump && o->watch)
		return pu_error_new(PU_EXIT_USAGE, "--watch captures a running process again and again: give a process ID (to compare saved snapshots, use 'pileup diff A.json B.json')");
	if (t->file) {
		if (o->count && !o->watch)
			return pu_error_new(PU_EXIT_USAGE, "--count N goes with --watch SECONDS");
		if (t->capture.stop_all || t->capture.never_stop)
			return pu_error_new(PU_EXIT_USAGE, "%s is for a running process; a core is already a snapshot",
					    t->capture.stop_all ? "--stop-all" : "--no-stop");
		return NULL;
	}
	if (t->exe || t->sysroot)
		return pu_error_new(PU_EXIT_USAGE, "%s names the files of a core: give the core too, 'pileup CORE [EXE]'", t->exe ? "-e" : "--sysroot");
	if (!pid_arg)
		return pu_error_new(PU_EXIT_USAGE, "no target: give a process ID, e.g. 'pileup $(pidof myserver)', or a core file (see --help)");
	t->pid = pid_arg;
	if (o->count && !o->watch)
		return pu_error_new(PU_EXIT_USAGE, "--count N goes with --watch SECONDS");
	return target_parse_pid(pid_arg, &pid);
}

static struct pu_error *parse_args(int argc, char **argv, bool diff, bool merge, struct options *o)
{
	enum { OPT_TEXT = 256, OPT_JSON, OPT_TUI, OPT_STOP_ALL, OPT_NO_STOP, OPT_DOMINANT, OPT_DEBUGINFO, OPT_STACK, OPT_FRAMES, OPT_WRAPPERS,
	       OPT_CORE, OPT_SYSROOT, OPT_COREDUMP, OPT_GCORE, OPT_WATCH, OPT_COUNT, OPT_FAIL_IF,
	       OPT_FOLDED, OPT_SVG, OPT_SOURCE_DIR, OPT_PPROF, OPT_TIMEOUT, OPT_UNWINDER, OPT_CROSS_CHECK, OPT_DEBUGINFOD,
	       OPT_DEBUGINFOD_TIMEOUT, OPT_LEAKS };
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"text", no_argument, NULL, OPT_TEXT},
		{"json", optional_argument, NULL, OPT_JSON},
		{"tui", no_argument, NULL, OPT_TUI},
		{"output", required_argument, NULL, 'o'},
		{"stop-all", no_argument, NULL, OPT_STOP_ALL},
		{"no-stop", no_argument, NULL, OPT_NO_STOP},
		{"dominant", required_argument, NULL, OPT_DOMINANT},
		{"debuginfo-path", required_argument, NULL, OPT_DEBUGINFO},
		{"stack-bytes", required_argument, NULL, OPT_STACK},
		{"unwinder", required_argument, NULL, OPT_UNWINDER},
		{"cross-check", no_argument, NULL, OPT_CROSS_CHECK},
		{"debuginfod", no_argument, NULL, OPT_DEBUGINFOD},
		{"debuginfod-timeout", required_argument, NULL, OPT_DEBUGINFOD_TIMEOUT},
		{"frames", required_argument, NULL, OPT_FRAMES},
		{"wrappers", no_argument, NULL, OPT_WRAPPERS},
		{"core", required_argument, NULL, OPT_CORE},
		{"executable", required_argument, NULL, 'e'},
		{"exe", required_argument, NULL, 'e'},
		{"sysroot", required_argument, NULL, OPT_SYSROOT},
		{"coredump", optional_argument, NULL, OPT_COREDUMP},
		{"gcore", required_argument, NULL, OPT_GCORE},
		{"folded", no_argument, NULL, OPT_FOLDED},
		{"svg", required_argument, NULL, OPT_SVG},
		{"source-dir", required_argument, NULL, OPT_SOURCE_DIR},
		{"pprof", required_argument, NULL, OPT_PPROF},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"watch", required_argument, NULL, OPT_WATCH},
		{"count", required_argument, NULL, OPT_COUNT},
		{"fail-if", required_argument, NULL, OPT_FAIL_IF},
		{"leaks", no_argument, NULL, OPT_LEAKS},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	memset(o, 0, sizeof(*o));
	o->diff = diff;
	o->merge = merge;
	o->analyze.dominant_pct = 20;
	const char *pid_arg = NULL, *core_arg = NULL, *coredump_arg = NULL;
	bool coredump = false;
	struct pu_error *err = NULL;
	double v;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:o:e:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': pid_arg = optarg; break;
		case 'o': o->output = optarg; break;
		case OPT_CORE: core_arg = optarg; break;
		case 'e': o->target.exe = optarg; break;
		case OPT_SYSROOT: o->target.sysroot = optarg; break;
		case OPT_COREDUMP:
			coredump = true;
			coredump_arg = optarg;
			break;
		case OPT_GCORE: o->gcore = optarg; break;
		case OPT_TEXT: o->format = FMT_TEXT; break;
		case OPT_JSON:
			o->format = FMT_JSON;
			o->json_version = 0;
			if (optarg && strcmp(optarg, "1") && strcmp(optarg, "2"))
				return pu_error_new(PU_EXIT_USAGE, "--json=%s: this pileup writes JSON format versions 1 and 2; give --json (version 2) or --json=1",
						    optarg);
			if (optarg)
				o->json_version = optarg[0] - '0';
			break;
		case OPT_TUI: o->format = FMT_TUI; break;
		case OPT_FOLDED: o->format = FMT_FOLDED; break;
		case OPT_SVG: o->svg = optarg; break;
		case OPT_SOURCE_DIR: {
			struct stat st;
			if (stat(optarg, &st) != 0)
				return pu_error_new(PU_EXIT_USAGE, "--source-dir %s: %s; give the directory holding the sources", optarg, strerror(errno));
			if (!S_ISDIR(st.st_mode))
				return pu_error_new(PU_EXIT_USAGE, "--source-dir %s is not a directory; give the directory holding the sources", optarg);
			o->source_dir = optarg;
			break;
		}
		case OPT_PPROF: o->pprof = optarg; break;
		case OPT_TIMEOUT:
			if ((err = parse_number("--timeout", optarg, 0.1, 3600, &o->target.http.timeout_s)))
				return err;
			break;
		case OPT_STOP_ALL: o->target.capture.stop_all = true; break;
		case OPT_LEAKS: o->analyze.leaks = o->target.capture.copy_memory = true; break;
		case OPT_NO_STOP: o->target.capture.never_stop = true; break;
		case OPT_DEBUGINFO: o->analyze.unwind.debuginfo_path = optarg; break;
		case OPT_UNWINDER:
			if (!strcmp(optarg, "libdw"))
				o->analyze.unwind.unwinder = UNWIND_LIBDW;
			else if (!strcmp(optarg, "libunwind"))
				o->analyze.unwind.unwinder = UNWIND_LIBUNWIND;
			else
				return pu_error_new(PU_EXIT_USAGE, "--unwinder is libdw or libunwind, not '%s'", optarg);
			break;
		case OPT_CROSS_CHECK: o->analyze.unwind.cross_check = true; break;
		case OPT_DEBUGINFOD: o->analyze.unwind.debuginfod = true; break;
		case OPT_DEBUGINFOD_TIMEOUT:
			if ((err = parse_number("--debuginfod-timeout", optarg, 0.1, 3600, &o->analyze.unwind.debuginfod_seconds)))
				return err;
			break;
		case OPT_DOMINANT:
			if ((err = parse_number("--dominant", optarg, 0, 100, &o->analyze.dominant_pct)))
				return err;
			break;
		case OPT_STACK:
			if ((err = parse_number("--stack-bytes", optarg, 4096, 64 << 20, &v)))
				return err;
			o->target.capture.stack_bytes = (size_t)v;
			break;
		case OPT_FRAMES:
			if ((err = parse_number("--frames", optarg, 1, 100000, &v)))
				return err;
			o->max_frames = (size_t)v;
			break;
		case OPT_WRAPPERS: o->show_wrappers = true; break;
		case OPT_WATCH:
			if ((err = parse_number("--watch", optarg, 0.1, 86400, &o->watch)))
				return err;
			break;
		case OPT_COUNT:
			if ((err = parse_number("--count", optarg, 1, 1000000, &v)))
				return err;
			if (v != (double)(size_t)v)
				return pu_error_new(PU_EXIT_USAGE, "--count needs a whole number of captures, not '%s'", optarg);
			o->count = (size_t)v;
			break;
		case OPT_FAIL_IF:
			if (o->nfail_if == sizeof(o->fail_if) / sizeof(o->fail_if[0]))
				return pu_error_new(PU_EXIT_USAGE, "at most %zu --fail-if conditions", o->nfail_if);
			if ((err = fail_if_parse(optarg, &o->fail_if[o->nfail_if])))
				return err;
			if (o->fail_if[o->nfail_if++].kind == FAIL_LEAKED)
				o->analyze.leaks = o->target.capture.copy_memory = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			printf("pileup %s\n", PILEUP_VERSION);
			exit(0);
		case ':':
			return pu_error_new(PU_EXIT_USAGE, "option %s needs an argument (see --help)", argv[optind - 1]);
		default:
			return pu_error_new(PU_EXIT_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (o->analyze.unwind.debuginfod_seconds && !o->analyze.unwind.debuginfod)
		return pu_error_new(PU_EXIT_USAGE, "--debuginfod-timeout goes with --debuginfod");
	if (o->analyze.unwind.cross_check && (o->watch || o->format == FMT_TUI))
		return pu_error_new(PU_EXIT_USAGE, "--cross-check compares the unwinders on one capture; drop %s",
				    o->watch ? "--watch" : "--tui");
	if (o->target.capture.stop_all && o->target.capture.never_stop)
		return pu_error_new(PU_EXIT_USAGE, "--stop-all and --no-stop contradict each other; choose one");
	if (o->format == FMT_TUI && o->output)
		return pu_error_new(PU_EXIT_USAGE, "--tui browses on the terminal and -o writes a report to a file; choose one");
	if (o->svg && o->gcore)
		return pu_error_new(PU_EXIT_USAGE, "--gcore writes only a core; draw the graph from it later: pileup --svg FILE CORE");
	if (o->pprof && o->gcore)
		return pu_error_new(PU_EXIT_USAGE, "--gcore writes only a core; write the profile from it later: pileup --pprof FILE CORE");
	if (o->svg && o->output && strcmp(o->svg, o->output) == 0)
		return pu_error_new(PU_EXIT_USAGE, "--svg and -o name the same file, %s; give each its own", o->svg);
	if (o->pprof && ((o->output && strcmp(o->pprof, o->output) == 0) || (o->svg && strcmp(o->pprof, o->svg) == 0)))
		return pu_error_new(PU_EXIT_USAGE, "--pprof and %s name the same file, %s; give each its own", o->svg && !strcmp(o->pprof, o->svg) ? "--svg" : "-o", o->pprof);
	if ((o->svg || o->pprof || o->format == FMT_FOLDED) && (o->watch || o->diff))
		return pu_error_new(PU_EXIT_USAGE, "%s draws one capture; %s compares captures (save them with --json, then draw each)",
				    o->svg ? "--svg" : o->pprof ? "--pprof" : "--folded", o->diff ? "diff" : "--watch");
	if (o->merge && o->watch)
		return pu_error_new(PU_EXIT_USAGE, "merge reads each snapshot once; --watch does not apply");
	if (o->format == FMT_TUI && (o->watch || o->nfail_if || o->diff))
		return pu_error_new(PU_EXIT_USAGE, "--tui is interactive; %s print%s a report", o->diff ? "diff" : o->watch ? "--watch" : "--fail-if",
				    o->diff ? "s" : "");
	for (size_t i = 0; i < o->nfail_if; i++)
		if (o->fail_if[i].kind == FAIL_GROWTH && !o->watch && !o->diff)
			return pu_error_new(PU_EXIT_USAGE, "--fail-if %s needs several captures: add --watch SECONDS, or compare two snapshots with diff",
					    o->fail_if[i].text);
	return parse_target(argc - optind, argv + optind, pid_arg, core_arg, coredump, coredump_arg, o);
}

/* --gcore PID -o FILE */
static int write_core(const struct options *o)
{
	pid_t pid;
	struct pu_error *err = target_parse_pid(o->gcore, &pid);
	if (err)
		return fail(err);
	struct gcore_opts go = {o->target.capture, &o->analyze.unwind};
	struct gcore_result gr;
	target_capturing = 1;
	err = gcore_write(pid, o->output, &go, &gr);
	target_capturing = 0;
	if (err)
		return fail(err);
	fprintf(stderr, "pileup: wrote a core of process %d to ", pid);
	sanitize_fputs(o->output, stderr);
	fprintf(stderr, ": %zu thread%s, %.1f MB of memory in %zu segments, in %.1f ms; ", gr.threads, gr.threads == 1 ? "" : "s",
		(double)gr.memory / 1048576.0, gr.segments, (double)gr.elapsed_us / 1000.0);
	if (o->target.capture.stop_all)
		fprintf(stderr, "every thread was paused for %.1f ms\n", (double)gr.pause_us / 1000.0);
	else if (gr.stopped)
		fprintf(stderr, "%zu running thread%s stopped briefly (longest %.3f ms), no other\n", gr.stopped, gr.stopped == 1 ? " was" : "s were",
			(double)gr.pause_us / 1000.0);
	else
		fputs("no thread was stopped\n", stderr);
	if (gr.unread) {
		/* Never a partial core without saying so. */
		fprintf(stderr, "pileup: warning: the core lacks the registers of %zu of its %zu thread%s (", gr.unread, gr.threads,
			gr.threads == 1 ? "" : "s");
		sanitize_fputs(gr.unread_why, stderr);
		fprintf(stderr, "%s)\n", gr.unread > 1 ? ", ..." : "");
	}
	return gr.partial ? PU_EXIT_PARTIAL : PU_EXIT_OK;
}

static struct pu_error *open_output(const struct options *o, FILE **ret)
{
	*ret = stdout;
	if (o->output && !(*ret = fopen(o->output, "w")))
		return pu_error_new(PU_EXIT_USAGE, "cannot write %s: %s; choose a writable path for -o", o->output, strerror(errno));
	return NULL;
}

static struct pu_error *close_output(FILE *out)
{
	if (fflush(out) != 0 || (out != stdout && fclose(out) != 0))
		return pu_error_new(PU_EXIT_USAGE, "writing the report failed: %s", strerror(errno));
	return NULL;
}

/* --fail-if: each condition that holds says so on stderr; any makes the
 * status 3, unless the run already failed (2). */
static int check_fail_if(const struct options *o, const struct report *r, const struct cmp *series, int code)
{
	bool hit = false;
	for (size_t i = 0; i < o->nfail_if; i++)
		hit |= fail_if_check(&o->fail_if[i], r, series, stderr);
	return hit && code != PU_EXIT_USAGE ? PU_EXIT_FAIL_IF : code;
}

static void print_warnings(const struct snapshot *snap)
{
	for (size_t i = 0; i < snap->nwarnings; i++) {
		fputs("pileup: warning: ", stderr);
		sanitize_fputs(snap->warnings[i], stderr);
		fputc('\n', stderr);
	}
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Sleeps until t0_us + at_us on the monotonic clock, or a signal asks
 * --watch to stop; a terminal on stderr is told how long is left before
 * the next capture (progress.h), a second at a time. */
static void sleep_until(uint64_t t0_us, uint64_t at_us, size_t n)
{
	uint64_t t = t0_us + at_us;
	progress_begin("--watch");
	while (!watch_stop) {
		uint64_t now = mono_us();
		if (now >= t)
			break;
		uint64_t left = t - now, step = left % 1000000u ? left % 1000000u : 1000000u;
		char note[64];
		snprintf(note, sizeof(note), "capture %zu in %llu s", n + 1, (unsigned long long)((left + 999999u) / 1000000u));
		progress_note(note);
		uint64_t until = now + step;
		struct timespec ts = {(time_t)(until / 1000000u), (long)(until % 1000000u) * 1000};
		while (!watch_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	progress_end();
}

/* --watch SECONDS [--count N] PID */
static int run_watch(const struct options *o)
{
	FILE *out;
	struct pu_error *err = open_output(o, &out);
	if (err)
		return fail(err);
	struct compare_view v = {.watch = true, .interval_s = o->watch, .count = o->count};
	bool in_place = o->format != FMT_JSON && isatty(fileno(out));
	struct cmp *c = cmp_create();
	bool partial = false;
	watching = 1;
	uint64_t t0 = mono_us();
	for (size_t n = 0; (!o->count || n < o->count) && !watch_stop; n++) {
		if (n) {
			sleep_until(t0, (uint64_t)((double)n * o->watch * 1e6), n);
			if (watch_stop)
				break;
		}
		uint64_t at = mono_us() - t0;
		struct snapshot *snap;
		struct analysis a;
		if ((err = target_open(&o->target, &snap)))
			break;
		if (snap->source == SNAP_SAVED) {
			/* A saved report never changes; a dump file may be rewritten
			 * (a service that writes its goroutines periodically). */
			err = pu_error_new(PU_EXIT_USAGE, "%s is a saved report, which does not change: --watch needs a process ID, a URL "
							  "or a dump that is rewritten (to compare saved snapshots, use 'pileup diff A.json B.json')",
					   o->target.file);
			snapshot_destroy(snap);
			break;
		}
		if ((err = analyze_snapshot(snap, &o->analyze, &a))) {
			snapshot_destroy(snap);
			break;
		}
		partial |= snapshot_partial_threads(snap) || snap->nwarnings;
		if (!c->npoints || snap->nwarnings)
			print_warnings(snap);
		cmp_add(c, snap, &a, at, NULL);
		if (o->format == FMT_JSON)
			continue;
		if (in_place) {
			struct winsize ws;
			if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2 && ws.ws_col > 20) {
				v.width = ws.ws_col;
				v.height = ws.ws_row - 1;
			} else {
				v.width = 80;
				v.height = 24;
			}
		} else if (n) {
			fputc('\n', out);
		}
		report_compare_text(out, c, &v);
		fflush(out);
	}
	watching = 0;
	if (err && watch_stop) {
		/* Ctrl-C during a capture: it was abandoned, the target detached */
		pu_error_free(err);
		err = NULL;
	}
	if (!c->npoints) {
		cmp_destroy(c);
		if (out != stdout)
			fclose(out);
		return err ? fail(err) : PU_EXIT_OK;
	}
	if (o->format == FMT_JSON)
		report_compare_json(out, c, &v);
	else
		report_compare_summary(out, c);
	struct pu_error *werr = close_output(out);
	int code = partial ? PU_EXIT_PARTIAL : PU_EXIT_OK;
	if (err || werr) {
		code = fail(err ? err : werr);
		if (err && werr)
			pu_error_free(werr);
	}
	code = check_fail_if(o, &c->last->a.report, c, code);
	cmp_destroy(c);
	return code;
}

static const char *exe_build_id(const struct report *r)
{
	return r->build_id && r->snap->exe ? r->build_id(r->snap, r->snap->exe) : NULL;
}

/* Refuses two snapshots of different programs: by build-id when both
 * have one, else by the executable's path. */
static struct pu_error *same_program(const struct options *o, const struct report *a, const struct report *b)
{
	const char *ba = exe_build_id(a), *bb = exe_build_id(b);
	const char *ea = a->snap->exe ? a->snap->exe : "an unknown program";
	const char *eb = b->snap->exe ? b->snap->exe : "an unknown program";
	bool differ = ba && bb ? strcmp(ba, bb) != 0 : (a->snap->exe && b->snap->exe && strcmp(ea, eb) != 0);
	if (!differ)
		return NULL;
	return pu_error_new(PU_EXIT_USAGE,
			    "%s and %s are snapshots of different programs (%s, build-id %s; %s, build-id %s): diff compares two "
			    "snapshots of the same program",
			    o->diff_files[0], o->diff_files[1], ea, ba ? ba : "unknown", eb, bb ? bb : "unknown");
}

/* A target named on the command line: a process ID, a URL or a file. */
static void target_name(struct target_opts *t, const char *arg)
{
	t->pid = t->file = t->url = NULL;
	if (all_digits(arg))
		t->pid = arg;
	else if (input_http_is_url(arg))
		t->url = arg;
	else
		t->file = arg;
}

/* pileup merge [NAME=]TARGET...: every snapshot read and analyzed, then
 * one snapshot of them all. */
static struct pu_error *open_merged(const struct options *o, struct snapshot **ret)
{
	*ret = NULL;
	struct merge_input *in = xcalloc(o->nmerge, sizeof(*in));
	char **names = xcalloc(o->nmerge, sizeof(*names));
	struct pu_error *err = NULL;
	size_t n = 0;
	for (; n < o->nmerge && !err; n++) {
		const char *arg = o->merge_targets[n], *eq = strchr(arg, '=');
		/* NAME=TARGET names the host; not in a URL's query */
		if (eq && eq > arg && !memchr(arg, '/', (size_t)(eq - arg)) && !memchr(arg, ':', (size_t)(eq - arg))) {
			names[n] = strndup(arg, (size_t)(eq - arg));
			arg = eq + 1;
		} else {
			names[n] = merge_host_name(arg);
		}
		for (size_t k = 0; k < n && !err; k++)
			if (!strcmp(names[k], names[n]))
				err = pu_error_new(PU_EXIT_USAGE, "two snapshots are named %s; name each: 'pileup merge h1=FILE h2=FILE ...'", names[n]);
		struct target_opts t = o->target;
		target_name(&t, arg);
		in[n].host = names[n];
		if (!err && !(err = target_open(&t, &in[n].snap)) && (err = analyze_snapshot(in[n].snap, &o->analyze, &in[n].a))) {
			snapshot_destroy(in[n].snap);
			in[n].snap = NULL;
		}
		if (err || !in[n].snap)
			break;
	}
	if (err) {
		for (size_t k = 0; k < n; k++) {
			analysis_deinit(&in[k].a);
			snapshot_destroy(in[k].snap);
		}
	} else {
		err = merge_snapshots(in, n, &o->analyze, ret);
	}
	for (size_t k = 0; k <= n && k < o->nmerge; k++)
		free(names[k]);
	free(names);
	free(in);
	return err;
}

/* pileup diff BEFORE AFTER */
static int run_diff(const struct options *o)
{
	struct snapshot *snap[2] = {NULL, NULL};
	struct analysis a[2];
	struct pu_error *err = NULL;
	memset(a, 0, sizeof(a));
	int k;
	for (k = 0; k < 2 && !err; k++) {
		struct target_opts t = o->target;
		target_name(&t, o->diff_files[k]);
		if (!(err = target_open(&t, &snap[k])) && (err = analyze_snapshot(snap[k], &o->analyze, &a[k]))) {
			snapshot_destroy(snap[k]);
			snap[k] = NULL;
		}
	}
	if (!err)
		err = same_program(o, &a[0].report, &a[1].report);
	if (!err) {
		/* a dump against a live capture: both as the dump sees them */
		unsigned el[2];
		for (k = 0; k < 2; k++) /* pprof labels: only if both have them */
			el[k] = snap[k]->lacks | (snap[k]->go_labels ? 0u : (unsigned)SNAP_LACKS_GO_LABELS);
		unsigned lacks = el[0] | el[1];
		for (k = 0; k < 2 && el[0] != el[1]; k++) {
			if (snap[0]->lacks != snap[1]->lacks)
				goview_lower(snap[k], lacks, &o->analyze, &a[k]);
			else if (snap[k]->go_labels) /* they differ in labels only */
				goview_drop_labels(snap[k], &o->analyze, &a[k]);
		}
	}
	if (err) {
		for (k = 0; k < 2; k++) {
			analysis_deinit(&a[k]);
			snapshot_destroy(snap[k]);
		}
		return fail(err);
	}
	bool partial = false;
	for (k = 0; k < 2; k++) {
		partial |= snapshot_partial_threads(snap[k]) || snap[k]->nwarnings;
		print_warnings(snap[k]);
	}
	int64_t t0 = snap[0]->taken_at, t1 = snap[1]->taken_at;
	uint64_t at = t0 > 0 && t1 > t0 ? (uint64_t)(t1 - t0) * 1000000u : 0;
	struct cmp *c = cmp_create();
	cmp_add(c, snap[0], &a[0], 0, o->diff_files[0]);
	cmp_add(c, snap[1], &a[1], at, o->diff_files[1]);
	struct compare_view v = {.watch = false};
	int code = partial ? PU_EXIT_PARTIAL : PU_EXIT_OK;
	for (size_t i = 0; i < o->nfail_if; i++)
		if (o->fail_if[i].kind == FAIL_GROWTH && !at) {
			cmp_destroy(c);
			return fail(pu_error_new(PU_EXIT_USAGE, "--fail-if %s: the snapshots do not say when they were taken (taken_at), so there is no rate",
						 o->fail_if[i].text));
		}
	FILE *out;
	if ((err = open_output(o, &out))) {
		cmp_destroy(c);
		return fail(err);
	}
	if (o->format == FMT_JSON)
		report_compare_json(out, c, &v);
	else
		report_compare_text(out, c, &v);
	if ((err = close_output(out)))
		code = fail(err);
	code = check_fail_if(o, &c->last->a.report, c, code);
	cmp_destroy(c);
	return code;
}

int main(int argc, char **argv)
{
	timing_on(); /* starts the run's clock */
	struct options o;
	bool diff = argc > 1 && !strcmp(argv[1], "diff"), merge = argc > 1 && !strcmp(argv[1], "merge");
	struct pu_error *err = parse_args(diff || merge ? argc - 1 : argc, diff || merge ? argv + 1 : argv, diff, merge, &o);
	if (err)
		return fail(err);
	install_signals();
	memory_tune();
	/* No network lookups by libdwfl: it would ask the debuginfod servers
	 * named there (Debian's shell profile sets one) for every module
	 * without local debug info.  --debuginfod asks them itself, for the
	 * modules the stacks need (debuginfod.h). */
	if (o.analyze.unwind.debuginfod) {
		const char *u = getenv("DEBUGINFOD_URLS");
		debuginfod_urls = u ? strdup(u) : NULL;
		o.analyze.unwind.debuginfod_urls = debuginfod_urls;
	}
	unsetenv("DEBUGINFOD_URLS");
	if (o.gcore)
		return write_core(&o);
	if (o.diff)
		return run_diff(&o);
	if (o.watch)
		return run_watch(&o);

	timing_mark("main", "start");
	struct snapshot *snap;
	err = o.merge ? open_merged(&o, &snap) : target_open(&o.target, &snap);
	if (err)
		return fail(err);
	timing_mark("main", "open");

	struct analysis a;
	err = analyze_snapshot(snap, &o.analyze, &a);
	if (err) {
		snapshot_destroy(snap);
		return fail(err);
	}
	timing_mark("main", "analyze");
	a.report.max_frames = o.max_frames;
	a.report.show_wrappers = o.show_wrappers;
	/* --svg: the graph first, so a bad path fails before any report */
	if (o.pprof && (err = report_pprof_write(o.pprof, &a.report))) {
		analysis_deinit(&a);
		snapshot_destroy(snap);
		return fail(err);
	}
	if (o.svg && (err = report_svg_write(o.svg, &a.report))) {
		analysis_deinit(&a);
		snapshot_destroy(snap);
		return fail(err);
	}
	if (o.format == FMT_TUI || (o.format == FMT_DEFAULT && !o.output && !o.nfail_if && tui_wanted())) {
		/* The browser may capture again: it hands back the latest. */
		struct tui_opts to = {&o.target, &o.analyze, o.source_dir};
		err = tui_run(&snap, &a, &to);
		analysis_deinit(&a);
		snapshot_destroy(snap);
		return err ? fail(err) : PU_EXIT_OK;
	}
	struct report r = a.report;
	r.json_version = o.json_version;

	FILE *out;
	if (!(err = open_output(&o, &out))) {
		if (o.format == FMT_JSON)
			report_json(out, &r);
		else if (o.format == FMT_FOLDED)
			report_folded(out, &r);
		else
			report_text(out, &r);
		err = close_output(out);
	}
	/* Problems of the input: on stderr too, unless the text report (which
	 * lists them) is on the terminal. */
	if (!(o.format != FMT_JSON && !o.output && isatty(STDOUT_FILENO)))
		print_warnings(snap);
	int code = snapshot_partial_threads(snap) || snap->nwarnings ? PU_EXIT_PARTIAL : PU_EXIT_OK;
	if (o.analyze.unwind.cross_check) {
		fprintf(stderr, "pileup: --cross-check: %zu of %zu threads walked differently by libdw and libunwind\n",
			r.unwind.disagreements, r.unwind.cross_checked);
		if (r.unwind.disagreements)
			code = PU_EXIT_PARTIAL;
	}
	if (err)
		code = fail(err);
	timing_mark("main", "report");
	code = check_fail_if(&o, &r, NULL, code);
#ifndef __SANITIZE_ADDRESS__
	/* The process ends here: the kernel takes its memory and files back
	 * faster than freeing them one by one (the symbol cache was written
	 * in analyze; a decompressed core is an anonymous file).  The
	 * sanitizer build frees all, so leaks are still found. */
	return code;
#endif
	analysis_deinit(&a);
	snapshot_destroy(snap);
	free(debuginfod_urls);
	timing_mark("main", "free");
	return code;
}
