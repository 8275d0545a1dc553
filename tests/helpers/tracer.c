/* tracer PID: becomes PID's tracer (PTRACE_SEIZE, which does not stop it),
 * prints "tracing", and stays until killed, detaching on SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	pid_t pid = atoi(argv[1]);
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) {
		perror("PTRACE_SEIZE");
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("tracing\n");
	fflush(stdout);
	int sig;
	sigwait(&set, &sig);
	return 0;
}
