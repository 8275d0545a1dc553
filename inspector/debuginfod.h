/* debuginfod.h - debug information from debuginfod servers (--debuginfod).
 *
 * Off by default: pileup makes no network request unless asked.  Asked,
 * the build-ids of the modules that walks went through and that have no
 * debug information here are handed, all at once, to pileup-debuginfod,
 * a small program next to pileup linked with elfutils' libdebuginfod
 * (the release binary is static, and Debian ships libdebuginfod and
 * libcurl as shared libraries only: dlopen from a static glibc program is
 * not supported, see HACKING.md).  It fetches them in parallel from the
 * servers in DEBUGINFOD_URLS into libdebuginfod's own cache (shared with
 * gdb and eu-stack: DEBUGINFOD_CACHE_PATH, else ~/.cache/debuginfod_client,
 * which also remembers what the servers did not have), and pileup waits
 * for it no longer than the run's limit: a server that is down or slow
 * costs a warning, never the report.  This runs after the capture, when
 * no thread of the target is stopped. */
#ifndef PILEUP_DEBUGINFOD_H
#define PILEUP_DEBUGINFOD_H

#include <stddef.h>

struct debuginfod;

/* urls: DEBUGINFOD_URLS as pileup found it (main.c hides it from libdwfl);
 * seconds: the limit for the whole run.  NULL when urls is empty (with a
 * warning saying so). */
struct debuginfod *debuginfod_create(const char *urls, double seconds);
void debuginfod_destroy(struct debuginfod *d);

/* Fetches the debug files of the build-ids ids (hex), waiting at most
 * the time left; the ones that arrived are then debuginfod_path's. */
void debuginfod_fetch(struct debuginfod *d, const char *const *ids, size_t n);

/* The downloaded debug file of build-id hex, or NULL. */
const char *debuginfod_path(const struct debuginfod *d, const char *hex);

/* A symbol-cache search path (symcache.h) naming dpath and the files that
 * arrived, malloc'd; NULL when none did. */
char *debuginfod_key(const struct debuginfod *d, const char *dpath);

/* How many debug files arrived. */
size_t debuginfod_found(const struct debuginfod *d);

#endif
