/* pileup-debuginfod SECONDS BUILD-ID... - debug files from debuginfod.
 *
 * pileup's helper for --debuginfod (debuginfod.h): asks the servers in
 * DEBUGINFOD_URLS for the debug file of each build-id, in parallel, with
 * elfutils' libdebuginfod (its cache, its negative cache, its timeouts),
 * and prints one line per build-id as each answer comes: "ID PATH", "ID -
 * not found", or "ID - REASON".  It gives up after SECONDS in all; pileup
 * does not wait longer either. */
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_PARALLEL = 8 };

static const char **ids;
static int nids, next_id;
static double deadline;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Called by libdebuginfod during a transfer: nonzero aborts it. */
static int progress(debuginfod_client *c, long a, long b)
{
	(void)c;
	(void)a;
	(void)b;
	return now() > deadline;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void *worker(void *arg)
{
	(void)arg;
	debuginfod_client *c = debuginfod_begin();
	if (c)
		debuginfod_set_progressfn(c, progress);
	for (;;) {
		pthread_mutex_lock(&lock);
		int i = next_id < nids ? next_id++ : -1;
		pthread_mutex_unlock(&lock);
		if (i < 0)
			break;
		const char *id = ids[i];
		size_t len = strlen(id);
		unsigned char bin[64];
		int bad = len % 2 || len / 2 > sizeof(bin) || !len;
		for (size_t k = 0; !bad && k < len / 2; k++) {
			int hi = hexval(id[2 * k]), lo = hexval(id[2 * k + 1]);
			bad = hi < 0 || lo < 0;
			bin[k] = (unsigned char)(hi * 16 + lo);
		}
		char *path = NULL;
		int fd = bad || !c || now() > deadline ? -EINVAL : debuginfod_find_debuginfo(c, bin, (int)(len / 2), &path);
		pthread_mutex_lock(&lock);
		if (fd >= 0 && path)
			printf("%s %s\n", id, path);
		else if (fd == -ENOENT)
			printf("%s - not found\n", id);
		else
			printf("%s - %s\n", id, bad ? "not a build-id" : !c ? "libdebuginfod could not start" : strerror(-fd));
		fflush(stdout);
		pthread_mutex_unlock(&lock);
		if (fd >= 0)
			close(fd);
		free(path);
	}
	if (c)
		debuginfod_end(c);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: pileup-debuginfod SECONDS BUILD-ID...\n", stderr);
		return 2;
	}
	double secs = strtod(argv[1], NULL);
	if (!(secs > 0) || secs > 3600)
		secs = 10;
	deadline = now() + secs;
	/* libdebuginfod's own limits, in whole seconds, within ours. */
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", (int)secs + 1);
	setenv("DEBUGINFOD_TIMEOUT", buf, 0);
	setenv("DEBUGINFOD_MAXTIME", buf, 0);
	ids = (const char **)argv + 2;
	nids = argc - 2;
	int nthreads = nids < MAX_PARALLEL ? nids : MAX_PARALLEL;
	pthread_t th[MAX_PARALLEL];
	int started = 0;
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[started], NULL, worker, NULL) == 0)
			started++;
	if (!started)
		worker(NULL);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return 0;
}
