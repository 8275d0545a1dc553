/* loopport: TCP ports on the loopback address for tests.
 *   loopport free   prints a port nobody listens on now (bound, then closed)
 *   loopport hold   listens on a fresh port, prints it, never accepts: a
 *                   client connects (the kernel completes the handshake)
 *                   and then waits for an answer that never comes.  Exits
 *                   on SIGTERM, or by itself after 10 minutes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int loopport_bind(int *ret_port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("loopport: socket");
		return -1;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("loopport: bind 127.0.0.1:0");
		close(fd);
		return -1;
	}
	*ret_port = ntohs(a.sin_port);
	return fd;
}

int main(int argc, char **argv)
{
	int port;
	if (argc != 2 || (strcmp(argv[1], "free") != 0 && strcmp(argv[1], "hold") != 0)) {
		fprintf(stderr, "usage: loopport free|hold\n");
		return 2;
	}
	int fd = loopport_bind(&port);
	if (fd < 0)
		return 1;
	if (strcmp(argv[1], "free") == 0) {
		close(fd);
		printf("%d\n", port);
		return 0;
	}
	if (listen(fd, 128) != 0) {
		perror("loopport: listen");
		return 1;
	}
	printf("%d\n", port);
	fflush(stdout);
	alarm(600);
	for (;;)
		pause();
}
