#include "fdinfo.h"
#include "capture_live.h"
#include "error.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* At most this many of the process's fds are listed when looking for the
 * other end of a pipe or a Unix socket in the same process. */
enum { MAX_SCAN_FDS = 16384 };

enum net_table { NT_TCP, NT_TCP6, NT_UDP, NT_UDP6, NT_UNIX, NT__COUNT };
static const char *const net_files[NT__COUNT] = {"tcp", "tcp6", "udp", "udp6", "unix"};

struct sock_entry {
	uint64_t inode;
	enum net_table table;
	char local[64], remote[64]; /* "127.0.0.1:5432"; unix: the path (may be empty) */
	int state;                  /* TCP state; unix: St */
	unsigned unix_type;         /* unix: 1 stream, 2 dgram, 5 seqpacket */
	bool listening;             /* unix: __SO_ACCEPTCON */
	uint64_t rx, tx;            /* queued bytes */
};

struct fd_inode {
	int fd;
	uint64_t inode;
	char kind; /* 's' socket, 'p' pipe */
};

struct fdstate {
	pid_t pid;
	bool loaded[NT__COUNT];
	struct sock_entry *socks;
	size_t nsocks, cap_socks;
	bool sorted;
	struct fd_inode *fds; /* the process's socket and pipe fds, once listed */
	size_t nfds;
	bool fds_listed;
	int same_netns; /* -1 not known yet */
};

static void fdstate_free(void *p)
{
	struct fdstate *s = p;
	if (!s)
		return;
	free(s->socks);
	free(s->fds);
	free(s);
}

void fdinfo_attach(struct snapshot *snap, pid_t pid)
{
	if (snap->fd_free)
		snap->fd_free(snap->fd_state);
	struct fdstate *s = xcalloc(1, sizeof(*s));
	s->pid = pid;
	s->same_netns = -1;
	snap->fd_state = s;
	snap->fd_free = fdstate_free;
}

static struct fdstate *state_of(struct snapshot *snap)
{
	return snap->fd_free == fdstate_free ? snap->fd_state : NULL;
}

/* --- network tables --------------------------------------------------------- */

static void format_inet(const char *hex, bool v6, char *out, size_t size)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	const char *colon = strchr(hex, ':');
	unsigned port = colon ? (unsigned)strtoul(colon + 1, NULL, 16) : 0;
	/* The kernel prints each 32-bit word of the address as a number in
	 * host order (%08X), so the words' bytes are in memory order. */
	if (!v6 && colon && colon - hex == 8) {
		struct in_addr a;
		char w[9];
		memcpy(w, hex, 8);
		w[8] = 0;
		a.s_addr = (uint32_t)strtoul(w, NULL, 16);
		inet_ntop(AF_INET, &a, addr, sizeof(addr));
		snprintf(out, size, "%s:%u", addr, port);
		return;
	}
	if (v6 && colon && colon - hex == 32) {
		struct in6_addr a;
		for (int i = 0; i < 4; i++) {
			char w[9];
			memcpy(w, hex + 8 * i, 8);
			w[8] = 0;
			uint32_t v = (uint32_t)strtoul(w, NULL, 16);
			memcpy(&a.s6_addr[4 * i], &v, 4);
		}
		inet_ntop(AF_INET6, &a, addr, sizeof(addr));
		snprintf(out, size, "[%s]:%u", addr, port);
		return;
	}
	snprintf(out, size, "?");
}

static void add_sock(struct fdstate *s, const struct sock_entry *e)
{
	xgrow(&s->socks, &s->cap_socks, s->nsocks + 1, sizeof(*s->socks));
	s->socks[s->nsocks++] = *e;
	s->sorted = false;
}

static void load_table(struct fdstate *s, enum net_table t)
{
	if (s->loaded[t])
		return;
	s->loaded[t] = true;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)s->pid, net_files[t]);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	bool first = true;
	while (getline(&line, &cap, f) > 0) {
		if (first) { /* the header */
			first = false;
			continue;
		}
		struct sock_entry e = {.table = t};
		if (t == NT_UNIX) {
			unsigned long long num, ref, proto, flags, ino;
			unsigned type, st;
			int used = 0;
			if (sscanf(line, "%llx: %llx %llx %llx %x %x %llu%n", &num, &ref, &proto, &flags, &type, &st, &ino,
				   &used) != 7)
				continue;
			e.inode = ino;
			e.unix_type = type;
			e.state = (int)st;
			e.listening = (flags & 0x10000) != 0; /* __SO_ACCEPTCON */
			const char *p = line + used;
			while (*p == ' ')
				p++;
			size_t n = strcspn(p, "\n");
			if (n >= sizeof(e.local))
				n = sizeof(e.local) - 1;
			memcpy(e.local, p, n);
			e.local[n] = 0;
		} else {
			char la[64], ra[64];
			unsigned st;
			unsigned long long tx, rx, ino;
			/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
			if (sscanf(line, " %*u: %63s %63s %x %llx:%llx %*x:%*x %*x %*u %*u %llu", la, ra, &st, &tx, &rx, &ino) != 6)
				continue;
			bool v6 = t == NT_TCP6 || t == NT_UDP6;
			format_inet(la, v6, e.local, sizeof(e.local));
			format_inet(ra, v6, e.remote, sizeof(e.remote));
			e.state = (int)st;
			e.tx = tx;
			e.rx = rx;
			e.inode = ino;
		}
		if (e.inode)
			add_sock(s, &e);
	}
	free(line);
	fclose(f);
}

static int by_inode(const void *a, const void *b)
{
	const struct sock_entry *x = a, *y = b;
	return (x->inode > y->inode) - (x->inode < y->inode);
}

static const struct sock_entry *find_sock(struct fdstate *s, uint64_t inode)
{
	for (int t = 0; t < NT__COUNT; t++) {
		if (!s->loaded[t]) {
			load_table(s, (enum net_table)t);
		}
		if (!s->sorted && s->nsocks > 1)
			qsort(s->socks, s->nsocks, sizeof(*s->socks), by_inode);
		s->sorted = true;
		struct sock_entry key = {.inode = inode};
		const struct sock_entry *e = s->nsocks ? bsearch(&key, s->socks, s->nsocks, sizeof(*s->socks), by_inode) : NULL;
		if (e)
			return e;
	}
	return NULL;
}

static const char *tcp_state(int st)
{
	static const char *const names[] = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
					    "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"};
	return st > 0 && st < (int)(sizeof(names) / sizeof(*names)) ? names[st] : "?";
}

/* --- the process's own fds ------------------------------------------------- */

static bool link_inode(const char *link, const char *prefix, uint64_t *inode)
{
	size_t n = strlen(prefix);
	if (strncmp(link, prefix, n) != 0)
		return false;
	char *end;
	unsigned long long v = strtoull(link + n, &end, 10);
	if (*end != ']')
		return false;
	*inode = v;
	return true;
}

static int by_fd_inode(const void *a, const void *b)
{
	const struct fd_inode *x = a, *y = b;
	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

static void list_fds(struct fdstate *s)
{
	if (s->fds_listed)
		return;
	s->fds_listed = true;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)s->pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	size_t cap = 0;
	int dfd = dirfd(d);
	struct dirent *e;
	for (size_t seen = 0; (e = readdir(d)) && seen < MAX_SCAN_FDS;) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		seen++;
		char link[256];
		ssize_t n = readlinkat(dfd, e->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		struct fd_inode fi = {.fd = atoi(e->d_name)};
		if (link_inode(link, "socket:[", &fi.inode))
			fi.kind = 's';
		else if (link_inode(link, "pipe:[", &fi.inode))
			fi.kind = 'p';
		else
			continue;
		xgrow(&s->fds, &cap, s->nfds + 1, sizeof(*s->fds));
		s->fds[s->nfds++] = fi;
	}
	closedir(d);
	qsort(s->fds, s->nfds, sizeof(*s->fds), by_fd_inode);
}

/* fdinfo's "flags:" (octal): O_ACCMODE tells a pipe's end. */
static int fd_flags(struct fdstate *s, int fd)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)s->pid, fd);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	ssize_t n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	const char *p = strstr(buf, "flags:");
	return p ? (int)strtol(p + 6, NULL, 8) : -1;
}

/* Other fds of the process on the same pipe or socket inode: "fd 9" or
 * "fds 9, 12" into out, empty when none. */
static void same_inode_fds(struct fdstate *s, char kind, uint64_t inode, int except, int want_acc, char *out, size_t size)
{
	list_fds(s);
	out[0] = 0;
	size_t len = 0, n = 0;
	/* sorted by inode: the first entry of it, by binary search */
	size_t lo = 0, hi = s->nfds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->fds[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->nfds && s->fds[i].inode == inode; i++) {
		const struct fd_inode *f = &s->fds[i];
		if (f->kind != kind || f->fd == except)
			continue;
		if (want_acc >= 0) {
			int fl = fd_flags(s, f->fd);
			if (fl < 0 || ((fl & O_ACCMODE) != want_acc && (fl & O_ACCMODE) != O_RDWR))
				continue;
		}
		int w = snprintf(out + len, size - len, "%s%d", n ? ", " : "", f->fd);
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
		n++;
	}
	if (n) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "%s %s", n == 1 ? "fd" : "fds", out);
		snprintf(out, size, "%s", tmp);
	}
}

/* --- Unix peers ------------------------------------------------------------ */

static bool netns_same(struct fdstate *s)
{
	if (s->same_netns < 0) {
		char path[64];
		struct stat a, b;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)s->pid);
		s->same_netns = stat(path, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_ino == b.st_ino &&
				a.st_dev == b.st_dev;
	}
	return s->same_netns;
}

/* The inode of a Unix socket's peer, from sock_diag: 0 when unknown. */
static uint64_t unix_peer(uint64_t inode)
{
	int sk = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (sk < 0)
		return 0;
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req = {
		.nlh = {.nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST},
		.r = {.sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_ino = (uint32_t)inode,
		      .udiag_show = UDIAG_SHOW_PEER, .udiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}},
	};
	uint64_t peer = 0;
	struct timeval tv = {1, 0};
	setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (inode <= UINT32_MAX && send(sk, &req, sizeof(req), 0) == (ssize_t)sizeof(req)) {
		union {
			struct nlmsghdr h;
			char buf[8192];
		} u;
		ssize_t n = recv(sk, u.buf, sizeof(u.buf), 0);
		for (struct nlmsghdr *h = &u.h; n > 0 && NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct unix_diag_msg)))
				break;
			struct unix_diag_msg *m = NLMSG_DATA(h);
			if (m->udiag_ino != (uint32_t)inode)
				continue;
			int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= 4) {
					uint32_t p;
					memcpy(&p, RTA_DATA(a), 4);
					peer = p;
				}
			break;
		}
	}
	close(sk);
	return peer;
}

/* --- describing one fd ----------------------------------------------------- */

static void describe_socket(struct snapshot *snap, struct fdstate *s, int fd, uint64_t inode, struct fdinfo_desc *ret,
			    char *buf, size_t size)
{
	const struct sock_entry *e = find_sock(s, inode);
	if (!e) {
		ret->type = "socket";
		snprintf(buf, size, "socket %" PRIu64 " (not TCP, UDP or Unix)", inode);
		return;
	}
	static const char *const types[NT__COUNT] = {"tcp", "tcp6", "udp", "udp6", "unix"};
	ret->type = types[e->table];
	if (e->table == NT_TCP || e->table == NT_TCP6) {
		if (e->state == 10)
			snprintf(buf, size, "TCP listening on %s", e->local);
		else
			snprintf(buf, size, "TCP %s -> %s%s%s", e->local, e->remote, e->state == 1 ? "" : " ", e->state == 1 ? "" : tcp_state(e->state));
		return;
	}
	if (e->table == NT_UDP || e->table == NT_UDP6) {
		if (strstr(e->remote, ":0") && (strncmp(e->remote, "0.0.0.0:", 8) == 0 || strncmp(e->remote, "[::]:", 5) == 0))
			snprintf(buf, size, "UDP %s", e->local);
		else
			snprintf(buf, size, "UDP %s -> %s", e->local, e->remote);
		return;
	}
	const char *kind = e->unix_type == 1 ? "stream" : e->unix_type == 2 ? "datagram" : e->unix_type == 5 ? "seqpacket" : "";
	const char *path = e->local[0] ? e->local : "(unnamed)";
	if (e->listening) {
		snprintf(buf, size, "Unix %s socket listening on %s", kind, path);
		return;
	}
	uint64_t peer = netns_same(s) ? unix_peer(inode) : 0;
	if (!peer) {
		snprintf(buf, size, "Unix %s socket %s%s", kind, path,
			 e->state == 3 ? "" : e->state == 2 ? " (connecting)" : e->state == 1 ? " (not connected)" : " (disconnecting)");
		return;
	}
	const struct sock_entry *pe = find_sock(s, peer);
	char where[256];
	same_inode_fds(s, 's', peer, fd, -1, where, sizeof(where));
	char owner[300];
	if (where[0])
		snprintf(owner, sizeof(owner), "%s of this process", where);
	else
		snprintf(owner, sizeof(owner), "in another process");
	snprintf(buf, size, "Unix %s socket %s -> %s (socket %" PRIu64 ", %s)", kind, path,
		 pe && pe->local[0] ? pe->local : "(unnamed)", peer, owner);
	(void)snap;
}

bool fdinfo_describe(struct snapshot *snap, int fd, struct fdinfo_desc *ret)
{
	struct fdstate *s = state_of(snap);
	memset(ret, 0, sizeof(*ret));
	if (!s || fd < 0)
		return false;
	char path[64], link[512], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)s->pid, fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0) {
		/* closed, or the process is gone: analyze.c tells which */
		if (n < 0 && (errno == ENOENT || errno == ESRCH))
			capture_live_note_gone();
		return false;
	}
	link[n] = 0;
	uint64_t inode;
	if (link_inode(link, "socket:[", &inode)) {
		ret->inode = inode;
		describe_socket(snap, s, fd, inode, ret, buf, sizeof(buf));
	} else if (link_inode(link, "pipe:[", &inode)) {
		ret->inode = inode;
		ret->type = "pipe";
		int fl = fd_flags(s, fd);
		int acc = fl < 0 ? -1 : fl & O_ACCMODE;
		const char *end = acc == O_RDONLY ? "read end" : acc == O_WRONLY ? "write end" : "both ends";
		char other[256] = "";
		if (acc == O_RDONLY || acc == O_WRONLY)
			same_inode_fds(s, 'p', inode, fd, acc == O_RDONLY ? O_WRONLY : O_RDONLY, other, sizeof(other));
		if (acc == O_RDONLY)
			snprintf(buf, sizeof(buf), "pipe %" PRIu64 " (read end; %s%s)", inode,
				 other[0] ? "write end: " : "no writer in this process", other);
		else if (acc == O_WRONLY)
			snprintf(buf, sizeof(buf), "pipe %" PRIu64 " (write end; %s%s)", inode,
				 other[0] ? "read end: " : "no reader in this process", other);
		else
			snprintf(buf, sizeof(buf), "pipe %" PRIu64 " (%s)", inode, end);
	} else if (strncmp(link, "anon_inode:", 11) == 0) {
		const char *what = link + 11;
		if (*what == '[')
			what++;
		size_t len = strcspn(what, "]");
		static const struct {
			const char *inode, *type;
		} anon[] = {{"eventfd", "eventfd"}, {"eventpoll", "epoll"}, {"timerfd", "timerfd"},
			    {"signalfd", "signalfd"}, {"inotify", "inotify"}};
		ret->type = "other";
		for (size_t i = 0; i < sizeof(anon) / sizeof(*anon); i++)
			if (strlen(anon[i].inode) == len && strncmp(what, anon[i].inode, len) == 0)
				ret->type = anon[i].type;
		if (!strcmp(ret->type, "epoll")) {
			long k = fdinfo_epoll(snap, fd, NULL, NULL, 0);
			snprintf(buf, sizeof(buf), "epoll instance watching %ld fd%s", k < 0 ? 0 : k, k == 1 ? "" : "s");
		} else {
			snprintf(buf, sizeof(buf), "%.*s", (int)len, what);
		}
	} else if (link[0] == '/') {
		struct stat st;
		ret->type = "file";
		const char *what = "file";
		if (stat(path, &st) == 0) {
			ret->inode = st.st_ino;
			if (S_ISFIFO(st.st_mode))
				ret->type = "fifo", what = "FIFO";
			else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
				ret->type = "device", what = "device";
		}
		snprintf(buf, sizeof(buf), "%s %s", what, link);
	} else {
		ret->type = "other";
		snprintf(buf, sizeof(buf), "%s", link);
	}
	ret->desc = strpool_intern(snap->strings, buf);
	return true;
}

long fdinfo_epoll(struct snapshot *snap, int epfd, int *fds, uint32_t *events, size_t max)
{
	struct fdstate *s = state_of(snap);
	if (!s || epfd < 0)
		return -1;
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)s->pid, epfd);
	ssize_t len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0)
		return -1;
	link[len] = 0;
	if (strcmp(link, "anon_inode:[eventpoll]") != 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)s->pid, epfd);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	long n = 0;
	while (getline(&line, &cap, f) > 0) {
		int tfd;
		unsigned ev;
		if (sscanf(line, "tfd: %d events: %x", &tfd, &ev) != 2)
			continue;
		if ((size_t)n < max) {
			if (fds)
				fds[n] = tfd;
			if (events)
				events[n] = ev;
		}
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

long fdinfo_epoll_all(struct snapshot *snap, int *fds, uint64_t *data, size_t max)
{
	struct fdstate *s = state_of(snap);
	if (!s)
		return -1;
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)s->pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	long n = 0;
	char *line = NULL;
	size_t cap = 0;
	for (struct dirent *e; (e = readdir(d));) {
		char *end;
		long epfd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || epfd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)s->pid, epfd);
		ssize_t len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (strcmp(link, "anon_inode:[eventpoll]") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%ld", (int)s->pid, epfd);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		while (getline(&line, &cap, f) > 0) {
			int tfd;
			unsigned ev;
			unsigned long long word;
			if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &ev, &word) != 3)
				continue;
			if ((size_t)n < max) {
				fds[n] = tfd;
				data[n] = word;
			}
			n++;
		}
		fclose(f);
	}
	free(line);
	closedir(d);
	return n;
}
