#include "target.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

volatile sig_atomic_t target_capturing;

struct pu_error *target_parse_pid(const char *s, pid_t *ret)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v <= 0 || v > INT_MAX)
		return pu_error_new(PU_EXIT_USAGE, "'%s' is not a process ID: give a positive number, e.g. from 'pidof NAME' (see --help)", s);
	*ret = (pid_t)v;
	return NULL;
}

struct pu_error *target_open(const struct target_opts *o, struct snapshot **ret)
{
	*ret = NULL;
	if (o->pid) {
		pid_t pid;
		struct pu_error *err = target_parse_pid(o->pid, &pid);
		if (err)
			return err;
		target_capturing = 1;
		err = capture_live(pid, &o->capture, ret);
		target_capturing = 0;
		return err;
	}
	return pu_error_new(PU_EXIT_USAGE, "reading '%s': core files and saved reports are not supported yet; give a process ID", o->file);
}
