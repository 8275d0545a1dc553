/* input_http.h - a Go service's goroutines over HTTP.
 *
 * `pileup http://HOST:PORT` fetches /debug/pprof/goroutine?debug=2 (the
 * net/http/pprof handler's full goroutine dump); a URL with a path is
 * fetched as given (debug=1, debug=0, goroutineleak...).  The body goes
 * into an anonymous file that target.c recognizes like any other
 * (traceback, profile text, gzipped profile.proto).  libcurl does the
 * work: redirects (at most 5), TLS (the system's CA certificates),
 * timeouts (connecting, a stalled transfer, the whole request) and a
 * size limit; every failure is one line saying what happened and what to
 * do (connection refused, no pprof here (404), too large, too slow).
 *
 * The release binary is static and cannot link libcurl (see HACKING.md):
 * it runs the helper pileup-http, built beside it, which calls this same
 * code (static/http_spawn.c); the other builds call it in-process. */
#ifndef PILEUP_INPUT_HTTP_H
#define PILEUP_INPUT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Go stops a debug=2 dump at 64 MB (runtime/pprof writeGoroutineStacks). */
#define HTTP_MAX_DEFAULT ((size_t)256 << 20)

struct http_opts {
	double timeout_s;  /* the whole request; 0: 60 s */
	size_t max_bytes;  /* 0: HTTP_MAX_DEFAULT */
};

/* Whether s names an http:// or https:// URL. */
bool input_http_is_url(const char *s);
/* The URL to fetch for what the user gave (a bare host:port gets the
 * goroutine dump's path), malloc'd. */
char *input_http_url(const char *given);
/* Fetches url into an anonymous file; its descriptor, at offset 0, in *ret. */
struct pu_error *input_http_fetch(const char *given, const struct http_opts *o, int *ret);
/* The libcurl fetch itself, into fd (what input_http_fetch does, and
 * what the helper runs). */
struct pu_error *input_http_get(const char *url, const struct http_opts *o, int fd);

#endif
