/* target.h - from what the user named to a snapshot.
 *
 * A number is a live process; a file is a core (ELF ET_CORE, possibly
 * compressed: .zst .xz .lz4 .gz), a saved JSON report, a Go traceback or
 * a pprof goroutine profile (text, or gzipped profile.proto), recognized
 * by content, not by name; an http(s):// URL is fetched and recognized the
 * same way (input_http.h); --coredump asks coredumpctl.  Each
 * input has its own module (capture_live.c, core.c, ...); this one only
 * recognizes and dispatches. */
#ifndef PILEUP_TARGET_H
#define PILEUP_TARGET_H

#include "capture_live.h"
#include "error.h"
#include "input_http.h"
#include "snapshot.h"

struct target_opts {
	const char *pid;          /* -p / a numeric argument */
	const char *file;         /* a core or saved report */
	const char *exe;          /* -e: the executable of a core */
	const char *sysroot;      /* --sysroot */
	const char *coredump;     /* --coredump: a PID or "latest", from coredumpctl */
	const char *url;          /* http:// or https://: a Go service's pprof endpoint */
	struct http_opts http;
	struct capture_opts capture;
};

/* Set while a live capture may hold threads stopped (for signal handlers). */
extern volatile sig_atomic_t target_capturing;

struct pu_error *target_open(const struct target_opts *o, struct snapshot **ret);
/* Parses a positive process ID. */
struct pu_error *target_parse_pid(const char *s, pid_t *ret);

#endif
