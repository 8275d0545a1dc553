/* fdinfo.h - a live process's file descriptors, described on demand.
 *
 * What an fd a waiter names is: a TCP or UDP socket with both ends and
 * its state, a Unix socket with its path and its peer, a pipe and which
 * end, an eventfd, an epoll instance, a file's path.  From
 * /proc/PID/fd, /proc/PID/fdinfo and the target's own network tables
 * (/proc/PID/net/tcp, tcp6, udp, udp6, unix), each read once, on first
 * need; Unix peers through sock_diag when the target shares pileup's
 * network namespace.  The live capture attaches it (fdinfo_attach);
 * cores and saved reports have no fd table. */
#ifndef PILEUP_FDINFO_H
#define PILEUP_FDINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot.h"

void fdinfo_attach(struct snapshot *snap, pid_t pid);

struct fdinfo_desc {
	const char *type; /* "tcp", "tcp6", "udp", "udp6", "unix", "pipe", "fifo", "file", "device",
			     "eventfd", "epoll", "timerfd", "signalfd", "inotify", "socket", "other" */
	const char *desc; /* one line, interned; raw bytes (paths come from the target) */
	uint64_t inode;   /* 0 unknown */
};

/* false: no fd table (not live), or fd is not open. */
bool fdinfo_describe(struct snapshot *snap, int fd, struct fdinfo_desc *ret);

/* The fds the epoll instance epfd watches, from its fdinfo: their number
 * (at most max written to fds and events), or -1 when epfd is no epoll
 * instance of a live process. */
long fdinfo_epoll(struct snapshot *snap, int epfd, int *fds, uint32_t *events, size_t max);

/* Every fd registered with any epoll instance of the process, with the
 * data word its program registered it with (Go: its poll descriptor):
 * their number (at most max written), or -1 when not live. */
long fdinfo_epoll_all(struct snapshot *snap, int *fds, uint64_t *data, size_t max);

#endif
