/* static/http_spawn.c - input_http_get for the static release binary.
 *
 * libcurl cannot be linked into a static program on Debian 12 (several of
 * its dependencies ship no static library), and the static binary loads
 * nothing with dlopen (nodlopen.c).  So the release binary runs the
 * helper pileup-http (inspector/http/helper.c, the same libcurl code,
 * linked dynamically) with the body going straight into fd, and relays
 * its one error line.  Only HTTP targets pay for starting it.  Looked up
 * as $PILEUP_HTTP_HELPER, beside the pileup binary, then in the
 * installed library directory. */
#include "input_http.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char *helper_path(void)
{
	const char *env = getenv("PILEUP_HTTP_HELPER");
	if (env && *env)
		return strdup(env);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			char *p = xasprintf("%.*s/pileup-http", (int)(slash - self), self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup(PILEUP_LIBEXECDIR "/pileup-http");
}

struct pu_error *input_http_get(const char *url, const struct http_opts *o, int fd)
{
	char *helper = helper_path();
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) != 0) {
		free(helper);
		return pu_error_new(PU_EXIT_USAGE, "cannot fetch %s: pipe: %s", url, strerror(errno));
	}
	char timeout[32], max[32];
	snprintf(timeout, sizeof(timeout), "%g", o && o->timeout_s > 0 ? o->timeout_s : 60);
	snprintf(max, sizeof(max), "%zu", o && o->max_bytes ? o->max_bytes : HTTP_MAX_DEFAULT);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, errpipe[1], 2);
	char *argv[] = {helper, (char *)url, timeout, max, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, helper, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(errpipe[1]);
	if (rc != 0) {
		struct pu_error *err = pu_error_new(PU_EXIT_USAGE, "cannot fetch %s: the HTTP helper %s does not run (%s); install pileup with 'make install', or set PILEUP_HTTP_HELPER",
						    url, helper, strerror(rc));
		close(errpipe[0]);
		free(helper);
		return err;
	}
	char msg[1024];
	size_t got = 0;
	for (;;) {
		ssize_t n = read(errpipe[0], msg + got, sizeof(msg) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(msg) - 1)
			break;
	}
	close(errpipe[0]);
	msg[got] = 0;
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	free(helper);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	msg[strcspn(msg, "\n")] = 0;
	if (msg[0])
		return pu_error_new(PU_EXIT_USAGE, "%s", msg);
	if (WIFSIGNALED(status))
		return pu_error_new(PU_EXIT_USAGE, "cannot fetch %s: the HTTP helper died of signal %d", url, WTERMSIG(status));
	return pu_error_new(PU_EXIT_USAGE, "cannot fetch %s: the HTTP helper failed (status %d)", url, WEXITSTATUS(status));
}
