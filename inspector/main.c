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
#include <unistd.h>

#include "analyze.h"
#include "error.h"
#include "gcore.h"
#include "report.h"
#include "sanitize.h"
#include "snapshot.h"
#include "target.h"
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
"        --json             JSON report, format version 1 (see README); a saved\n"
"                           report can be opened again: pileup FILE.json\n"
"    -o, --output FILE      write the report to FILE instead of stdout\n"
"        --stop-all         consistent snapshot: stop every thread, copy its\n"
"                           registers and stack, and resume all of them before\n"
"                           any analysis; the report states the pause. Blocked\n"
"                           calls such as epoll_wait may return EINTR.\n"
"        --no-stop          never stop any thread; threads running in user\n"
"                           space are listed without a stack\n"
"        --dominant PCT     a wait site holding at least PCT percent of the\n"
"                           threads is dominant (default 20)\n"
"        --frames N         print at most N frames per stack in text (default all)\n"
"        --debuginfo-path DIR\n"
"                           also look for separate debug info under DIR\n"
"                           (DIR/.build-id/xx/yyyy.debug or .gnu_debuglink);\n"
"                           /usr/lib/debug is always searched\n"
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
"    -h, --help             this text\n"
"    -V, --version          the version\n"
"\n"
"BROWSER\n"
"    On a terminal pileup opens a browser: one row per group, ranked by count,\n"
"    with its share, wait, wait site and blocking call; dominant wait sites are\n"
"    marked '*'. Enter opens a group's stack and members, and a frame's source.\n"
"    t switches threads and goroutines, w groups by wait site, / searches,\n"
"    \\ filters, o sorts, r captures again and shows +N/-N per group, s saves\n"
"    the snapshot as JSON, ? lists every key, q quits. NO_COLOR turns colours\n"
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
"EXIT STATUS\n"
"    0  the report is complete\n"
"    1  the report was printed, but some threads could not be fully unwound\n"
"       (each says why), or the input has problems (a truncated core, a\n"
"       missing or different program; warnings say which)\n"
"    2  usage error, or the target could not be inspected (one line says why\n"
"       and what to do)\n"
"\n"
"EXAMPLES\n"
"    pileup $(pidof myserver)\n"
"    pileup --json -o hang.json 1234\n"
"    pileup --stop-all --frames 12 1234\n"
"    pileup core.1234 /usr/bin/myserver\n"
"    pileup --coredump latest\n"
"    pileup --gcore 1234 -o myserver.core && pileup myserver.core\n";

enum format { FMT_DEFAULT, FMT_TEXT, FMT_JSON, FMT_TUI };

struct options {
	struct target_opts target;
	enum format format;
	const char *output;
	struct analyze_opts analyze;
	size_t max_frames;
	const char *gcore; /* --gcore PID: write a core to output */
};

static void on_signal(int sig)
{
	if (target_capturing) {
		/* The capture loop sees this, detaches every thread and stops. */
		capture_live_abort = 1;
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
	fprintf(stderr, "pileup: %s\n", err == &pu_enomem ? "out of memory" : err->msg);
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
	if (o->gcore) {
		struct pu_error *err = target_parse_pid(o->gcore, &pid);
		if (err)
			return err;
		if (npos || pid_arg || core_arg || coredump)
			return pu_error_new(PU_EXIT_USAGE, "--gcore PID writes a core of that process: give no other target (see --help)");
		if (!o->output)
			return pu_error_new(PU_EXIT_USAGE, "--gcore needs -o FILE: where to write the core");
		if (t->exe || t->sysroot)
			return pu_error_new(PU_EXIT_USAGE, "-e and --sysroot are for reading a core, not for --gcore");
		return NULL;
	}
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
		} else {
			t->file = pos[0];
			if (npos > 1) {
				if (t->exe)
					return pu_error_new(PU_EXIT_USAGE, "two programs for one core: '%s' and '%s'", t->exe, pos[1]);
				t->exe = pos[1];
			}
		}
	}
	if (t->file) {
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
	return target_parse_pid(pid_arg, &pid);
}

static struct pu_error *parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_TEXT = 256, OPT_JSON, OPT_TUI, OPT_STOP_ALL, OPT_NO_STOP, OPT_DOMINANT, OPT_DEBUGINFO, OPT_STACK, OPT_FRAMES,
	       OPT_CORE, OPT_SYSROOT, OPT_COREDUMP, OPT_GCORE };
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"text", no_argument, NULL, OPT_TEXT},
		{"json", no_argument, NULL, OPT_JSON},
		{"tui", no_argument, NULL, OPT_TUI},
		{"output", required_argument, NULL, 'o'},
		{"stop-all", no_argument, NULL, OPT_STOP_ALL},
		{"no-stop", no_argument, NULL, OPT_NO_STOP},
		{"dominant", required_argument, NULL, OPT_DOMINANT},
		{"debuginfo-path", required_argument, NULL, OPT_DEBUGINFO},
		{"stack-bytes", required_argument, NULL, OPT_STACK},
		{"frames", required_argument, NULL, OPT_FRAMES},
		{"core", required_argument, NULL, OPT_CORE},
		{"executable", required_argument, NULL, 'e'},
		{"exe", required_argument, NULL, 'e'},
		{"sysroot", required_argument, NULL, OPT_SYSROOT},
		{"coredump", optional_argument, NULL, OPT_COREDUMP},
		{"gcore", required_argument, NULL, OPT_GCORE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	memset(o, 0, sizeof(*o));
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
		case OPT_JSON: o->format = FMT_JSON; break;
		case OPT_TUI: o->format = FMT_TUI; break;
		case OPT_STOP_ALL: o->target.capture.stop_all = true; break;
		case OPT_NO_STOP: o->target.capture.never_stop = true; break;
		case OPT_DEBUGINFO: o->analyze.unwind.debuginfo_path = optarg; break;
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
	if (o->target.capture.stop_all && o->target.capture.never_stop)
		return pu_error_new(PU_EXIT_USAGE, "--stop-all and --no-stop contradict each other; choose one");
	if (o->format == FMT_TUI && o->output)
		return pu_error_new(PU_EXIT_USAGE, "--tui browses on the terminal and -o writes a report to a file; choose one");
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
	return gr.partial ? PU_EXIT_PARTIAL : PU_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct options o;
	struct pu_error *err = parse_args(argc, argv, &o);
	if (err)
		return fail(err);
	install_signals();
	if (o.gcore)
		return write_core(&o);

	struct snapshot *snap;
	err = target_open(&o.target, &snap);
	if (err)
		return fail(err);

	struct analysis a;
	err = analyze_snapshot(snap, &o.analyze, &a);
	if (err) {
		snapshot_destroy(snap);
		return fail(err);
	}
	a.report.max_frames = o.max_frames;
	if (o.format == FMT_TUI || (o.format == FMT_DEFAULT && !o.output && tui_wanted())) {
		/* The browser may capture again: it hands back the latest. */
		struct tui_opts to = {&o.target, &o.analyze};
		err = tui_run(&snap, &a, &to);
		analysis_deinit(&a);
		snapshot_destroy(snap);
		return err ? fail(err) : PU_EXIT_OK;
	}
	struct report r = a.report;

	FILE *out = stdout;
	if (o.output && !(out = fopen(o.output, "w"))) {
		err = pu_error_new(PU_EXIT_USAGE, "cannot write %s: %s; choose a writable path for -o", o.output, strerror(errno));
	} else {
		if (o.format == FMT_JSON)
			report_json(out, &r);
		else
			report_text(out, &r);
		if (fflush(out) != 0 || (out != stdout && fclose(out) != 0))
			err = pu_error_new(PU_EXIT_USAGE, "writing the report failed: %s", strerror(errno));
	}
	/* Problems of the input: on stderr too, unless the text report (which
	 * lists them) is on the terminal. */
	if (!(o.format != FMT_JSON && !o.output && isatty(STDOUT_FILENO)))
		for (size_t i = 0; i < snap->nwarnings; i++) {
			fputs("pileup: warning: ", stderr);
			sanitize_fputs(snap->warnings[i], stderr);
			fputc('\n', stderr);
		}
	int code = snapshot_partial_threads(snap) || snap->nwarnings ? PU_EXIT_PARTIAL : PU_EXIT_OK;
	analysis_deinit(&a);
	snapshot_destroy(snap);
	if (err)
		return fail(err);
	return code;
}
