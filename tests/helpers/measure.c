/* measure - runs one command and writes its wall time, CPU time and peak
 * memory, for the benchmarks (tests/bench).
 *
 *   measure -o FILE [-t SECONDS] -- COMMAND [ARG...]
 *
 * FILE gets one line: "WALL_MS USER_MS SYS_MS MAXRSS_KB".  Wall time runs
 * from just before the command is spawned to the moment it is reaped, so
 * the shell, timeout(1) and time(1) around it are not counted (for a tool
 * that finishes in 10 ms they were 25 ms more).  The command runs in a
 * process group of its own; after SECONDS (default: none) that group gets
 * SIGTERM, then SIGKILL, and measure exits 124 as timeout(1) does.  A
 * SIGINT/SIGTERM/SIGHUP to measure is passed to the group.  Otherwise the
 * exit status is the command's (128 + signal if it was killed). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	double limit = 0;
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			limit = atof(argv[++i]);
		else
			break;
	}
	if (!out || i >= argc) {
		fprintf(stderr, "usage: measure -o FILE [-t SECONDS] -- COMMAND [ARG...]\n");
		return 2;
	}
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);

	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &old);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	double t0 = now_ms();
	int err = posix_spawnp(&pid, argv[i], NULL, &attr, argv + i, environ);
	if (err) {
		fprintf(stderr, "measure: %s: %s\n", argv[i], strerror(err));
		return 127;
	}
	double deadline = limit > 0 ? t0 + limit * 1e3 : 0;
	int stage = 0, status = 0, code = -1;
	struct rusage ru;
	for (;;) {
		struct timespec ts = {1, 0};
		if (deadline) {
			double left = (stage == 0 ? deadline : deadline + 500 * stage) - now_ms();
			if (left < 0)
				left = 0;
			ts.tv_sec = (time_t)(left / 1e3);
			ts.tv_nsec = (long)((left - (double)ts.tv_sec * 1e3) * 1e6);
		}
		int sig = sigtimedwait(&block, NULL, &ts);
		if (sig == SIGCHLD || sig < 0) {
			pid_t r = wait4(pid, &status, WNOHANG, &ru);
			if (r == pid)
				break;
		}
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			kill(-pid, sig);
			code = 128 + sig;
		} else if (sig < 0 && errno == EAGAIN && deadline && now_ms() >= deadline + 500 * stage) {
			kill(-pid, stage == 0 ? SIGTERM : SIGKILL);
			stage++;
			code = 124;
		}
	}
	double wall = now_ms() - t0;
	FILE *f = fopen(out, "w");
	if (f) {
		fprintf(f, "%.3f %.3f %.3f %ld\n", wall, tv_ms(ru.ru_utime), tv_ms(ru.ru_stime), ru.ru_maxrss);
		fclose(f);
	}
	if (code >= 0)
		return code;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
