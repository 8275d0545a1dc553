#include "coredumpctl.h"
#include "decompress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where cores go on this machine, when it is not systemd-coredump. */
static char *where_cores_go(void)
{
	char pat[256] = "";
	FILE *f = fopen("/proc/sys/kernel/core_pattern", "re");
	if (f) {
		if (!fgets(pat, sizeof(pat), f))
			pat[0] = 0;
		fclose(f);
	}
	pat[strcspn(pat, "\n")] = 0;
	if (strstr(pat, "systemd-coredump"))
		return xstrdup("");
	if (pat[0] == '|')
		return xasprintf("; cores here go to the program '%s' (kernel.core_pattern)", pat + 1);
	if (pat[0])
		return xasprintf("; cores here are written as '%s' in the crashing program's working directory (kernel.core_pattern), give that file instead", pat);
	return xstrdup("");
}

/* The last non-empty line of what the child said, trimmed. */
static void last_line(char *buf, char *out, size_t size)
{
	char *save = NULL, *line = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (l[strspn(l, " \t")])
			line = l;
	snprintf(out, size, "%s", line ? line + strspn(line, " \t") : "");
}

struct pu_error *coredumpctl_fetch(const char *which, int *ret, char **name)
{
	*ret = -1;
	*name = NULL;
	bool latest = !which || !*which || strcmp(which, "latest") == 0;
	if (!latest && (strspn(which, "0123456789") != strlen(which) || strlen(which) > 9 || atoi(which) <= 0))
		return pu_error_new(PU_EXIT_USAGE, "--coredump takes a process ID or 'latest', not '%s'", which);
	const char *dir;
	int fd = decompress_open_tmpfile(&dir);
	if (fd < 0)
		return pu_error_new(PU_EXIT_USAGE, "cannot create a temporary file for the core: %s; set TMPDIR to a writable directory", strerror(errno));
	int ep[2];
	if (pipe2(ep, O_CLOEXEC) != 0) {
		close(fd);
		return pu_error_new(PU_EXIT_USAGE, "pipe: %s", strerror(errno));
	}
	pid_t child = fork();
	if (child < 0) {
		close(fd);
		close(ep[0]);
		close(ep[1]);
		return pu_error_new(PU_EXIT_USAGE, "fork: %s", strerror(errno));
	}
	if (child == 0) {
		/* The file has no name: coredumpctl writes it through /proc. */
		int out = dup(fd);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(ep[1], 2);
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", out);
		char *argv[] = {"coredumpctl", "--no-pager", "--quiet", "--output", path, "dump", latest ? NULL : (char *)which, NULL};
		execvp(argv[0], argv);
		dprintf(2, "\001%d\n", errno);
		_exit(127);
	}
	close(ep[1]);
	char msg[8192];
	size_t got = 0;
	for (;;) {
		ssize_t n = read(ep[0], msg + got, sizeof(msg) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(msg) - 1)
			got = 0; /* keep the end: the last line says why */
	}
	msg[got] = 0;
	close(ep[0]);
	int st = 0;
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	struct pu_error *err = NULL;
	char *where = NULL;
	char what[64];
	if (latest)
		snprintf(what, sizeof(what), "core to show");
	else
		snprintf(what, sizeof(what), "core of process %s", which);
	if (msg[0] == '\001') {
		int e = atoi(msg + 1);
		where = where_cores_go();
		err = e == ENOENT ? pu_error_new(PU_EXIT_USAGE, "--coredump needs coredumpctl (systemd-coredump), which is not installed%s", where)
				  : pu_error_new(PU_EXIT_USAGE, "cannot run coredumpctl: %s", strerror(e));
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char line[512];
		last_line(msg, line, sizeof(line));
		where = where_cores_go();
		err = pu_error_new(PU_EXIT_USAGE, "coredumpctl has no %s%s%s%s", what,
				   line[0] ? " (it says: " : "", line, line[0] ? ")" : "");
		if (where[0]) {
			char *m = xasprintf("%s%s", err->msg, where);
			pu_error_free(err);
			err = pu_error_new(PU_EXIT_USAGE, "%s", m);
			free(m);
		}
	} else {
		struct stat sb;
		if (fstat(fd, &sb) != 0 || sb.st_size == 0)
			err = pu_error_new(PU_EXIT_USAGE, "coredumpctl found the %s but wrote no data: the core was not stored (too big, or removed)", what);
	}
	free(where);
	if (err) {
		close(fd);
		return err;
	}
	lseek(fd, 0, SEEK_SET);
	*ret = fd;
	*name = latest ? xstrdup("coredumpctl:latest") : xasprintf("coredumpctl:%s", which);
	return NULL;
}
