/* evilname: a process whose main thread names itself with terminal escape
 * sequences (as any target may), prints "ready PID" and waits. */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(void)
{
	prctl(PR_SET_NAME, "\033[31mEVIL\033]0;x\a", 0, 0, 0);
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}
