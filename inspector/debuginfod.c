#include "debuginfod.h"
#include "error.h"
#include "sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PILEUP_LIBEXECDIR
#define PILEUP_LIBEXECDIR "/usr/local/libexec/pileup"
#endif

struct found {
	char *id, *path;
};

struct debuginfod {
	char *urls;
	double seconds;
	struct timespec t0;
	struct found *found;
	size_t nfound, cap;
};

static double elapsed(const struct debuginfod *d)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - d->t0.tv_sec) + (double)(now.tv_nsec - d->t0.tv_nsec) / 1e9;
}

struct debuginfod *debuginfod_create(const char *urls, double seconds)
{
	if (!urls || !*urls) {
		fputs("pileup: warning: --debuginfod: DEBUGINFOD_URLS names no server; set it to the servers to ask "
		      "(e.g. DEBUGINFOD_URLS=https://debuginfod.debian.net)\n",
		      stderr);
		return NULL;
	}
	struct debuginfod *d = xcalloc(1, sizeof(*d));
	d->urls = xstrdup(urls);
	d->seconds = seconds > 0 ? seconds : 10;
	clock_gettime(CLOCK_MONOTONIC, &d->t0);
	return d;
}

void debuginfod_destroy(struct debuginfod *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nfound; i++) {
		free(d->found[i].id);
		free(d->found[i].path);
	}
	free(d->found);
	free(d->urls);
	free(d);
}

const char *debuginfod_path(const struct debuginfod *d, const char *hex)
{
	for (size_t i = 0; d && i < d->nfound; i++)
		if (strcmp(d->found[i].id, hex) == 0)
			return d->found[i].path;
	return NULL;
}

char *debuginfod_key(const struct debuginfod *d, const char *dpath)
{
	if (!d || !d->nfound)
		return NULL;
	char *key = xasprintf("%s debuginfod", dpath ? dpath : "-");
	for (size_t i = 0; i < d->nfound; i++) {
		char *k = xasprintf("%s %s=%s", key, d->found[i].id, d->found[i].path);
		free(key);
		key = k;
	}
	return key;
}

size_t debuginfod_found(const struct debuginfod *d)
{
	return d ? d->nfound : 0;
}

/* pileup-debuginfod: next to pileup (a build tree, or the same bin/), else
 * in the libexec directory it was installed to. */
static char *helper_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			char *p = xasprintf("%.*s/pileup-debuginfod", (int)(slash - self), self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	char *p = xasprintf("%s/pileup-debuginfod", PILEUP_LIBEXECDIR);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

static bool is_hex_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n >= 2 && n <= 128 && !s[n];
}

/* One line of the helper: "ID PATH" (found), "ID - not found" (no
 * server has it) or "ID - REASON" (asking failed). */
static void take_line(struct debuginfod *d, char *line, const char *const *ids, size_t n, bool *answered, size_t *failed)
{
	char *sp = strchr(line, ' ');
	if (!sp)
		return;
	*sp = 0;
	const char *rest = sp + 1;
	for (size_t i = 0; i < n; i++) {
		if (answered[i] || strcmp(ids[i], line) != 0 || !is_hex_id(line))
			continue;
		answered[i] = true;
		if (rest[0] == '/') {
			xgrow(&d->found, &d->cap, d->nfound + 1, sizeof(*d->found));
			d->found[d->nfound++] = (struct found){xstrdup(line), xstrdup(rest)};
		} else if (strcmp(rest, "- not found") != 0) {
			(*failed)++;
		}
		return;
	}
}

void debuginfod_fetch(struct debuginfod *d, const char *const *ids, size_t n)
{
	if (!d || !n)
		return;
	double left = d->seconds - elapsed(d);
	if (left <= 0.05) {
		fprintf(stderr, "pileup: warning: --debuginfod: no time left of %.1f s; %zu module%s without debug information\n",
			d->seconds, n, n == 1 ? "" : "s");
		return;
	}
	char *helper = helper_path();
	if (!helper) {
		fputs("pileup: warning: --debuginfod: pileup-debuginfod is not installed next to pileup (make install "
		      "puts it in " PILEUP_LIBEXECDIR "); no debug information downloaded\n",
		      stderr);
		return;
	}
	int out[2];
	if (pipe2(out, O_CLOEXEC) != 0) {
		free(helper);
		return;
	}
	char secs[32];
	snprintf(secs, sizeof(secs), "%.3f", left);
	char **argv = xcalloc(n + 3, sizeof(*argv));
	argv[0] = helper;
	argv[1] = secs;
	for (size_t i = 0; i < n; i++)
		argv[i + 2] = (char *)ids[i];
	char *urls = xasprintf("DEBUGINFOD_URLS=%s", d->urls);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		putenv(urls);
		execv(helper, argv);
		_exit(127);
	}
	close(out[1]);
	free(argv);
	bool *answered = xcalloc(n, sizeof(*answered));
	size_t nanswered = 0, failed = 0, before = d->nfound;
	char buf[8192];
	size_t have = 0;
	bool timed_out = false;
	while (pid > 0) {
		double rest = d->seconds - elapsed(d);
		if (rest <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd pfd = {out[0], POLLIN, 0};
		int r = poll(&pfd, 1, (int)(rest * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t got = read(out[0], buf + have, sizeof(buf) - 1 - have);
		if (got <= 0)
			break;
		have += (size_t)got;
		buf[have] = 0;
		char *nl;
		while ((nl = memchr(buf, '\n', have))) {
			*nl = 0;
			take_line(d, buf, ids, n, answered, &failed);
			size_t used = (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have - used);
			have -= used;
		}
		if (have == sizeof(buf) - 1)
			have = 0; /* a line that long is no answer */
	}
	close(out[0]);
	if (pid > 0) {
		/* Ours to end: the limit is the user's. */
		if (timed_out)
			kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (size_t i = 0; i < n; i++)
		nanswered += answered[i];
	size_t got = d->nfound - before;
	if (timed_out)
		fprintf(stderr, "pileup: warning: --debuginfod: the servers did not answer for %zu of %zu modules within %.1f s "
			"(DEBUGINFOD_URLS=", n - nanswered, n, d->seconds);
	else if (pid < 0 || nanswered < n || failed)
		fprintf(stderr, "pileup: warning: --debuginfod: asking failed for %zu of %zu modules (DEBUGINFOD_URLS=",
			n - nanswered + failed, n);
	if (timed_out || pid < 0 || nanswered < n || failed) {
		sanitize_fputs(d->urls, stderr);
		fprintf(stderr, "); %zu debug file%s arrived, the rest show their exported symbols\n", got, got == 1 ? "" : "s");
	}
	free(answered);
	free(urls);
	free(helper);
}
