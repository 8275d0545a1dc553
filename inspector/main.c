/* pileup - where do the threads of a hung process pile up?
 *
 * main.c turns the command line into one pipeline: an input makes a
 * snapshot, the analysis (unwind, classify, group) fills it in, and one
 * output prints it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze.h"
#include "error.h"
#include "report.h"
#include "snapshot.h"
#include "target.h"

static const char usage_text[] =
"NAME\n"
"    pileup - show where the threads of a hung process pile up\n"
"\n"
"SYNOPSIS\n"
"    pileup [OPTIONS] PID\n"
"    pileup [OPTIONS] -p PID\n"
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
"OPTIONS\n"
"    -p, --pid PID          the process to inspect (also the first argument)\n"
"        --text             plain text report (the default)\n"
"        --json             JSON report, format version 1 (see README)\n"
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
"    -h, --help             this text\n"
"    -V, --version          the version\n"
"\n"
"EXIT STATUS\n"
"    0  the report is complete\n"
"    1  the report was printed, but some threads could not be fully unwound\n"
"       (each says why)\n"
"    2  usage error, or the target could not be inspected (one line says why\n"
"       and what to do)\n"
"\n"
"EXAMPLES\n"
"    pileup $(pidof myserver)\n"
"    pileup --json -o hang.json 1234\n"
"    pileup --stop-all --frames 12 1234\n";

enum format { FMT_TEXT, FMT_JSON };

struct options {
	struct target_opts target;
	enum format format;
	const char *output;
	struct analyze_opts analyze;
	size_t max_frames;
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

static struct pu_error *parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_TEXT = 256, OPT_JSON, OPT_STOP_ALL, OPT_NO_STOP, OPT_DOMINANT, OPT_DEBUGINFO, OPT_STACK, OPT_FRAMES };
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"text", no_argument, NULL, OPT_TEXT},
		{"json", no_argument, NULL, OPT_JSON},
		{"output", required_argument, NULL, 'o'},
		{"stop-all", no_argument, NULL, OPT_STOP_ALL},
		{"no-stop", no_argument, NULL, OPT_NO_STOP},
		{"dominant", required_argument, NULL, OPT_DOMINANT},
		{"debuginfo-path", required_argument, NULL, OPT_DEBUGINFO},
		{"stack-bytes", required_argument, NULL, OPT_STACK},
		{"frames", required_argument, NULL, OPT_FRAMES},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	memset(o, 0, sizeof(*o));
	o->analyze.dominant_pct = 20;
	const char *pid_arg = NULL;
	struct pu_error *err = NULL;
	double v;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': pid_arg = optarg; break;
		case 'o': o->output = optarg; break;
		case OPT_TEXT: o->format = FMT_TEXT; break;
		case OPT_JSON: o->format = FMT_JSON; break;
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
	if (optind < argc) {
		if (pid_arg || optind + 1 < argc)
			return pu_error_new(PU_EXIT_USAGE, "one target at a time: unexpected '%s' (see --help)", argv[pid_arg ? optind : optind + 1]);
		pid_arg = argv[optind];
	}
	if (!pid_arg)
		return pu_error_new(PU_EXIT_USAGE, "no target: give a process ID, e.g. 'pileup $(pidof myserver)' (see --help)");
	o->target.pid = pid_arg;
	pid_t pid;
	return target_parse_pid(pid_arg, &pid);
}

int main(int argc, char **argv)
{
	struct options o;
	struct pu_error *err = parse_args(argc, argv, &o);
	if (err)
		return fail(err);
	install_signals();

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
	int code = snapshot_partial_threads(snap) ? PU_EXIT_PARTIAL : PU_EXIT_OK;
	analysis_deinit(&a);
	snapshot_destroy(snap);
	if (err)
		return fail(err);
	return code;
}
