#include "input_http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

/* What net/http/pprof serves a full goroutine dump at. */
#define GOROUTINE_PATH "/debug/pprof/goroutine?debug=2"

bool input_http_is_url(const char *s)
{
	return s && (!strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8));
}

char *input_http_url(const char *given)
{
	const char *auth = strstr(given, "://");
	auth = auth ? auth + 3 : given;
	const char *path = auth + strcspn(auth, "/?#");
	/* nothing after the host, or only the pprof index: the dump */
	if (!*path || !strcmp(path, "/") || !strcmp(path, "/debug/pprof") || !strcmp(path, "/debug/pprof/"))
		return xasprintf("%.*s%s", (int)(path - given), given, GOROUTINE_PATH);
	return xstrdup(given);
}

struct pu_error *input_http_fetch(const char *given, const struct http_opts *o, int *ret)
{
	*ret = -1;
	char *url = input_http_url(given);
	int fd = memfd_create("pileup-http", MFD_CLOEXEC);
	if (fd < 0) {
		struct pu_error *err = pu_error_new(PU_EXIT_USAGE, "cannot make a file for %s: %s", url, strerror(errno));
		free(url);
		return err;
	}
	struct pu_error *err = input_http_get(url, o, fd);
	free(url);
	if (err) {
		close(fd);
		return err;
	}
	lseek(fd, 0, SEEK_SET);
	*ret = fd;
	return NULL;
}
