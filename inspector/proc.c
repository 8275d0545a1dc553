#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static ssize_t read_at(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && len == 0) {
				int e = errno;
				close(fd);
				errno = e;
				return -1;
			}
			break;
		}
		len += (size_t)n;
		/* A /proc file hands over all it has in one read when the
		 * buffer is large enough: a short read is the end. */
		if (len + 1 < size)
			break;
	}
	close(fd);
	buf[len] = 0;
	if (!len)
		errno = ESRCH; /* a task's file reads empty once the task is gone */
	return (ssize_t)len;
}

int file_open_regular(const char *path)
{
	/* Not blocking in open(): a FIFO would wait for a writer for good. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

long long proc_nofile_limit(void)
{
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur == RLIM_INFINITY)
		return -1;
	return (long long)nofile.rlim_cur;
}

ssize_t proc_read_file(const char *path, char *buf, size_t size)
{
	return read_at(AT_FDCWD, path, buf, size);
}

/* Per-thread files are opened relative to /proc/PID/task, which saves a
 * path walk per file: thousands of threads, a few files each. */
static int task_dirfd = -1;
static pid_t task_dirpid;

static ssize_t read_task_file(pid_t pid, pid_t tid, const char *file, char *buf, size_t size)
{
	if (task_dirpid != pid || task_dirfd < 0) {
		if (task_dirfd >= 0)
			close(task_dirfd);
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		task_dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		task_dirpid = pid;
		if (task_dirfd < 0)
			return -1;
	}
	if (!file)
		return 0; /* only make sure the directory is open */
	char rel[48];
	snprintf(rel, sizeof(rel), "%d/%s", tid, file);
	return read_at(task_dirfd, rel, buf, size);
}

bool proc_task_dir_open(pid_t pid)
{
	read_task_file(pid, 0, NULL, NULL, 0);
	return task_dirpid == pid && task_dirfd >= 0;
}

static bool parse_stat(char *buf, struct proc_task_stat *ret);

pid_t proc_task_tracer(pid_t pid, pid_t tid, char *name, size_t size)
{
	char path[64], buf[4096];
	/* Each thread has its own tracer: the leader's says nothing of the others. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (size)
		name[0] = 0;
	if (proc_read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	char *p = strstr(buf, "\nTracerPid:");
	if (!p)
		return 0;
	pid_t tracer = (pid_t)strtol(p + 11, NULL, 10);
	if (tracer > 0 && size) {
		snprintf(path, sizeof(path), "/proc/%d/comm", tracer);
		if (proc_read_file(path, name, size) > 0)
			name[strcspn(name, "\n")] = 0;
	}
	return tracer;
}

pid_t proc_tracer(pid_t pid, char *name, size_t size)
{
	return proc_task_tracer(pid, pid, name, size);
}

bool proc_task_exiting(pid_t pid, pid_t tid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	ssize_t n = proc_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return errno == ENOENT || errno == ESRCH;
	struct proc_task_stat st;
	return parse_stat(buf, &st) && (st.state == 'Z' || st.state == 'X');
}

bool proc_exiting(pid_t pid)
{
	/* A fatal signal or exit_group marks every thread of the process at
	 * once with a SIGKILL of its own (kernel/signal.c complete_signal,
	 * zap_other_threads; execve's de_thread too), which each thread takes
	 * on its way into do_exit, where it is PF_EXITING until it is a zombie
	 * or gone.  So one thread that is none of these -- alive, not exiting,
	 * no SIGKILL waiting -- proves the process is not going away: looked
	 * at after some of its threads were found gone, it was not a kill
	 * that took them (a thread that returned did).  Usually the first
	 * thread looked at says so.  What cannot be read for another reason
	 * (out of descriptors) claims nothing. */
	enum { PF_EXITING = 0x4 };
	pid_t *tids;
	ssize_t n = proc_list_tasks(pid, &tids);
	if (n < 0)
		return errno == ENOENT || errno == ESRCH;
	bool exiting = true;
	for (ssize_t i = 0; i < n; i++) {
		struct proc_task_stat st;
		errno = 0;
		if (!proc_task_stat(pid, tids[i], &st)) {
			if (errno == ENOENT || errno == ESRCH)
				continue; /* gone */
			exiting = false;
			break;
		}
		if (st.state == 'Z' || st.state == 'X' || (st.flags & PF_EXITING))
			continue;
		exiting = (st.pending >> (SIGKILL - 1) & 1) != 0;
		break;
	}
	if (n > 0)
		free(tids);
	return exiting;
}

long proc_thread_count(pid_t pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (proc_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	char *p = strstr(buf, "\nThreads:");
	return p ? strtol(p + 9, NULL, 10) : -1;
}

int proc_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static bool exited_now(pid_t pid)
{
	struct proc_task_stat st;
	if (!proc_task_stat(pid, pid, &st))
		return true;
	return st.state == 'Z' && proc_thread_count(pid) <= 1;
}

bool proc_pidfd_exited(int pidfd, pid_t pid, int wait_ms)
{
	if (pidfd >= 0) {
		/* Readable once the whole thread group has exited (Linux 5.3);
		 * a main thread that called pthread_exit alone does not count. */
		struct pollfd p = {pidfd, POLLIN, 0};
		int r;
		while ((r = poll(&p, 1, wait_ms)) < 0 && errno == EINTR)
			;
		return r == 1 && (p.revents & (POLLIN | POLLHUP));
	}
	for (int waited = 0;; waited += 10) {
		if (exited_now(pid))
			return true;
		if (waited >= wait_ms)
			return false;
		usleep(10000);
	}
}

pid_t proc_live_tid(pid_t pid)
{
	struct proc_task_stat st;
	if (!proc_task_stat(pid, pid, &st) || st.state != 'Z')
		return pid;
	/* The oldest thread is the likeliest to stay: threads that come and
	 * go are young (and thread ids wrap, so not the lowest). */
	pid_t *tids, live = pid;
	unsigned long long oldest = 0;
	ssize_t n = proc_list_tasks(pid, &tids);
	for (ssize_t i = 0; i < n; i++)
		if (tids[i] != pid && proc_task_stat(pid, tids[i], &st) && st.state != 'Z' && st.state != 'X' &&
		    (live == pid || st.start < oldest)) {
			live = tids[i];
			oldest = st.start;
		}
	if (n > 0)
		free(tids);
	return live;
}

const char *proc_dir(pid_t pid, char *buf, size_t size)
{
	pid_t live = proc_live_tid(pid);
	if (live == pid)
		snprintf(buf, size, "/proc/%d", pid);
	else
		snprintf(buf, size, "/proc/%d/task/%d", pid, live);
	return buf;
}

/* The owner of /proc/PID/FILE (NULL: of /proc/PID).  The kernel gives the
 * files (not the directory) of a process that is not dumpable to root. */
static uid_t proc_uid(pid_t pid, const char *file)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d%s%s", pid, file ? "/" : "", file ? file : "");
	return stat(path, &st) == 0 ? st.st_uid : (uid_t)-1;
}

/* The real, effective and saved user IDs of pid (its status file). */
static bool status_uids(pid_t pid, uid_t ids[3])
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (proc_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	char *p = strstr(buf, "\nUid:");
	unsigned long r, e, s;
	if (!p || sscanf(p + 5, "%lu %lu %lu", &r, &e, &s) != 3)
		return false;
	ids[0] = (uid_t)r;
	ids[1] = (uid_t)e;
	ids[2] = (uid_t)s;
	return true;
}

/* The user's name from /etc/passwd ("uid N" if it is not there).  Not
 * getpwuid: pileup is linked statically, and glibc's name services would
 * load shared libraries of the glibc it was built with. */
static const char *user_name(uid_t uid, char *buf, size_t size)
{
	snprintf(buf, size, "uid %u", (unsigned)uid);
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return buf;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		char *name = line, *colon = strchr(line, ':');
		char *id = colon ? strchr(colon + 1, ':') : NULL;
		if (!id || colon == name)
			continue;
		char *end;
		unsigned long v = strtoul(id + 1, &end, 10);
		if (end != id + 1 && *end == ':' && v == (unsigned long)uid) {
			snprintf(buf, size, "%.*s", (int)(colon - name), name);
			break;
		}
	}
	fclose(f);
	return buf;
}

struct pu_error *proc_check_target(pid_t pid, bool need_ptrace)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (proc_read_file(path, buf, sizeof(buf)) < 0 && errno != ENOENT && errno != ESRCH)
		return pu_error_new(PU_EXIT_USAGE, "cannot read %s: %s; %s", path, strerror(errno), pu_remedy(errno, "check that /proc is mounted"));
	if (proc_read_file(path, buf, sizeof(buf)) < 0)
		return pu_error_new(PU_EXIT_USAGE, "no such process: %d; check the PID with 'ps -p %d' (it may have exited)", pid, pid);
	struct proc_task_stat st;
	if (proc_task_stat(pid, pid, &st) && (st.flags & 0x00200000 /* PF_KTHREAD */))
		return pu_error_new(PU_EXIT_USAGE, "process %d [%s] is a kernel thread: it has no user-space stack to inspect; pick a user process (see 'ps -e')", pid, st.name);
	/* A main thread that called pthread_exit is a zombie too, while the
	 * other threads run on. */
	if (proc_task_stat(pid, pid, &st) && st.state == 'Z' && proc_thread_count(pid) <= 1)
		return pu_error_new(PU_EXIT_USAGE, "process %d is a zombie: it has exited and has no threads left; its parent has not reaped it yet", pid);

	/* Permission: reading task/TID/syscall needs the same access as ptrace. */
	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	bool readable = proc_read_file(path, buf, sizeof(buf)) >= 0 || errno != EACCES;
	char tname[64];
	pid_t tracer = proc_tracer(pid, tname, sizeof(tname));
	if (readable && !(need_ptrace && tracer > 0 && tracer != getpid()))
		return NULL;

	/* ptrace needs our user to be the target's real, effective and saved
	 * user, and the target to be dumpable; its /proc files belong to root
	 * when it is not. */
	uid_t me = geteuid(), file_owner = proc_uid(pid, "syscall"), ids[3];
	if (!status_uids(pid, ids))
		ids[0] = ids[1] = ids[2] = proc_uid(pid, NULL);
	uid_t owner = ids[1] != me ? ids[1] : ids[0] != me ? ids[0] : ids[2];
	char a[64], b[64];
	if (!readable && me != 0 && owner != me) {
		user_name(owner, a, sizeof(a));
		user_name(me, b, sizeof(b));
		if (owner == 0)
			return pu_error_new(PU_EXIT_USAGE, "permission denied: process %d belongs to root and pileup runs as %s; run pileup as root", pid, b);
		return pu_error_new(PU_EXIT_USAGE, "permission denied: process %d belongs to %s and pileup runs as %s; run pileup as root or as %s",
				    pid, a, b, a);
	}
	if (!readable && me != 0 && file_owner != me) {
		user_name(me, b, sizeof(b));
		return pu_error_new(PU_EXIT_USAGE,
				    "permission denied: process %d runs as %s, as pileup does, but is not dumpable (it called prctl(PR_SET_DUMPABLE, 0) or changed its user or group IDs), "
				    "so only root may inspect it; run pileup as root (or with CAP_SYS_PTRACE)",
				    pid, b);
	}
	if (tracer > 0)
		return pu_error_new(PU_EXIT_USAGE, "permission denied: process %d is already traced by PID %d (%s); detach that tracer first%s",
				    pid, tracer, tname[0] ? tname : "?", need_ptrace ? ", or drop --stop-all (the default mode needs no ptrace attach for blocked threads)" : "");
	char scope[16];
	if (proc_read_file("/proc/sys/kernel/yama/ptrace_scope", scope, sizeof(scope)) > 0 && atoi(scope) > 0) {
		int s = atoi(scope);
		if (s >= 3)
			return pu_error_new(PU_EXIT_USAGE, "permission denied: Yama ptrace_scope is 3 (no process may be traced) and can only be lowered by a reboot");
		return pu_error_new(PU_EXIT_USAGE, "permission denied: Yama ptrace_scope is %d, which allows only %s to inspect process %d; run pileup as root (or with CAP_SYS_PTRACE), or 'sysctl kernel.yama.ptrace_scope=0'",
				    s, s == 1 ? "its ancestors" : "root", pid);
	}
	return pu_error_new(PU_EXIT_USAGE, "permission denied reading /proc/%d/syscall: %s; run pileup as root (or with CAP_SYS_PTRACE)", pid, strerror(EACCES));
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

ssize_t proc_list_tasks(pid_t pid, pid_t **ret)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	pid_t *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		xgrow(&v, &cap, n + 1, sizeof(*v));
		v[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_pid);
	*ret = v;
	return (ssize_t)n;
}

bool proc_task_stat(pid_t pid, pid_t tid, struct proc_task_stat *ret)
{
	char buf[1024];
	if (read_task_file(pid, tid, "stat", buf, sizeof(buf)) <= 0)
		return false;
	return parse_stat(buf, ret);
}

int proc_task_stat_open(pid_t pid, pid_t tid, struct proc_task_stat *ret)
{
	char rel[48], buf[1024];
	if (!proc_task_dir_open(pid))
		return -1;
	snprintf(rel, sizeof(rel), "%d/stat", tid);
	int fd = openat(task_dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		close(fd);
		return -1;
	}
	buf[n] = 0;
	if (!parse_stat(buf, ret)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool parse_stat(char *buf, struct proc_task_stat *ret)
{
	/* "tid (comm) S ..."; comm may contain ')' so take the last one. */
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close || close < open || close[1] != ' ')
		return false;
	size_t len = (size_t)(close - open - 1);
	if (len >= sizeof(ret->name))
		len = sizeof(ret->name) - 1;
	memcpy(ret->name, open + 1, len);
	ret->name[len] = 0;
	ret->state = close[2];
	/* fields after state: ppid pgrp session tty_nr tpgid flags */
	char *p = close + 4;
	for (int i = 0; i < 5 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	ret->flags = p ? strtoul(p, NULL, 10) : 0;
	/* ... minflt cminflt majflt cmajflt utime stime cutime cstime
	 * priority nice num_threads itrealvalue starttime */
	for (int i = 0; i < 13 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	ret->start = p ? strtoull(p, NULL, 10) : 0;
	/* ... vsize rss rsslim startcode endcode startstack kstkesp kstkeip
	 * signal: the thread's own pending signals (task->pending, fs/proc/array.c) */
	for (int i = 0; i < 9 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	ret->pending = p ? strtoul(p, NULL, 10) : 0;
	return true;
}

static bool parse_syscall(const char *buf, struct proc_syscall *ret);

bool proc_task_syscall(pid_t pid, pid_t tid, struct proc_syscall *ret)
{
	char buf[512];
	if (read_task_file(pid, tid, "syscall", buf, sizeof(buf)) <= 0)
		return false;
	return parse_syscall(buf, ret);
}

int proc_task_syscall_open(pid_t pid, pid_t tid, struct proc_syscall *ret)
{
	char rel[48];
	if (read_task_file(pid, tid, NULL, NULL, 0) < -1)
		return -1;
	snprintf(rel, sizeof(rel), "%d/syscall", tid);
	int fd = openat(task_dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!proc_task_syscall_reread(fd, ret)) {
		close(fd);
		return -1;
	}
	return fd;
}

bool proc_task_syscall_reread(int fd, struct proc_syscall *ret)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return parse_syscall(buf, ret);
}

static bool parse_syscall(const char *buf, struct proc_syscall *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (strncmp(buf, "running", 7) == 0) {
		ret->nr = -2;
		return true;
	}
	const char *p = buf;
	char *end;
	ret->nr = strtol(p, &end, 10);
	if (end == p)
		return false;
	p = end;
	uint64_t v[8];
	int n = 0;
	while (n < 8) {
		unsigned long long x = strtoull(p, &end, 16);
		if (end == p)
			break;
		v[n++] = x;
		p = end;
	}
	if (ret->nr >= 0 && n == 8) {
		memcpy(ret->args, v, sizeof(ret->args));
		ret->sp = v[6];
		ret->pc = v[7];
	} else if (ret->nr < 0 && n == 2) {
		ret->nr = -1;
		ret->sp = v[0];
		ret->pc = v[1];
	} else {
		return false;
	}
	return true;
}

static bool hex_field(char **p, char end, unsigned long long *out)
{
	unsigned long long v = 0;
	char *s = *p;
	int n = 0;
	for (;; s++, n++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v << 4 | (unsigned)d;
	}
	if (!n || *s != end)
		return false;
	*out = v;
	*p = s + 1;
	return true;
}

/* "start-end perms offset dev inode   path": false if the line is not. */
static bool parse_maps_line(char *line, struct snap_map *m, char **path)
{
	unsigned long long start, end, off, inode = 0, dev;
	char *p = line;
	if (!hex_field(&p, '-', &start) || !hex_field(&p, ' ', &end) || strlen(p) < 5 || p[4] != ' ')
		return false;
	char perms[5];
	memcpy(perms, p, 4);
	perms[4] = 0;
	p += 5;
	if (!hex_field(&p, ' ', &off) || !hex_field(&p, ':', &dev) || !hex_field(&p, ' ', &dev))
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		inode = inode * 10 + (unsigned)(*p - '0');
	if (*p != ' ' && *p != '\n' && *p != 0)
		return false;
	while (*p == ' ')
		p++;
	p[strcspn(p, "\n")] = 0;
	m->start = start;
	m->end = end;
	m->offset = off;
	m->inode = inode;
	memcpy(m->perms, perms, sizeof(perms));
	*path = p;
	return true;
}

struct pu_error *proc_read_maps(pid_t pid, struct snapshot *snap, const char *what)
{
	char dir[64], path[80];
	snprintf(path, sizeof(path), "%s/maps", proc_dir(pid, dir, sizeof(dir)));
	FILE *f = fopen(path, "re");
	if (!f && (errno == ENOENT || errno == ESRCH))
		return pu_error_new(PU_EXIT_USAGE, "process %d exited during capture; %s", pid, what);
	if (!f)
		return pu_error_new(PU_EXIT_USAGE, "cannot read %s: %s; %s", path, strerror(errno), pu_remedy(errno, "run pileup as root"));
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		struct snap_map tmp = {0};
		char *name;
		if (!parse_maps_line(line, &tmp, &name))
			continue;
		struct snap_map *m = snapshot_add_map(snap);
		*m = tmp;
		if (*name)
			m->path = xstrdup(name);
	}
	free(line);
	fclose(f);
	return NULL;
}
