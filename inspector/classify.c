#include "classify.h"

#include <string.h>
#include <sys/syscall.h>

static const struct {
	long nr;
	const char *name;
	enum wait_class wait;
} syscalls[] = {
	{SYS_read, "read", WAIT_READ}, {SYS_write, "write", WAIT_WRITE},
	{SYS_open, "open", WAIT_SYSCALL}, {SYS_close, "close", WAIT_SYSCALL},
	{SYS_poll, "poll", WAIT_POLL}, {SYS_ioctl, "ioctl", WAIT_SYSCALL},
	{SYS_pread64, "pread64", WAIT_READ}, {SYS_pwrite64, "pwrite64", WAIT_WRITE},
	{SYS_readv, "readv", WAIT_READ}, {SYS_writev, "writev", WAIT_WRITE},
	{SYS_select, "select", WAIT_POLL}, {SYS_sched_yield, "sched_yield", WAIT_RUNNING},
	{SYS_msync, "msync", WAIT_SYSCALL}, {SYS_pause, "pause", WAIT_SIGNAL},
	{SYS_nanosleep, "nanosleep", WAIT_SLEEP}, {SYS_sendfile, "sendfile", WAIT_WRITE},
	{SYS_connect, "connect", WAIT_CONNECT}, {SYS_accept, "accept", WAIT_ACCEPT},
	{SYS_sendto, "sendto", WAIT_WRITE}, {SYS_recvfrom, "recvfrom", WAIT_READ},
	{SYS_sendmsg, "sendmsg", WAIT_WRITE}, {SYS_recvmsg, "recvmsg", WAIT_READ},
	{SYS_wait4, "wait4", WAIT_WAITPID}, {SYS_semop, "semop", WAIT_SEMAPHORE},
	{SYS_msgsnd, "msgsnd", WAIT_WRITE}, {SYS_msgrcv, "msgrcv", WAIT_READ},
	{SYS_fcntl, "fcntl", WAIT_SYSCALL}, {SYS_flock, "flock", WAIT_SYSCALL},
	{SYS_fsync, "fsync", WAIT_SYSCALL}, {SYS_fdatasync, "fdatasync", WAIT_SYSCALL},
	{SYS_rt_sigsuspend, "rt_sigsuspend", WAIT_SIGNAL}, {SYS_rt_sigtimedwait, "rt_sigtimedwait", WAIT_SIGNAL},
	{SYS_futex, "futex", WAIT_FUTEX}, {SYS_epoll_wait, "epoll_wait", WAIT_POLL},
	{SYS_semtimedop, "semtimedop", WAIT_SEMAPHORE}, {SYS_clock_nanosleep, "clock_nanosleep", WAIT_SLEEP},
	{SYS_epoll_pwait, "epoll_pwait", WAIT_POLL}, {SYS_waitid, "waitid", WAIT_WAITPID},
	{SYS_pselect6, "pselect6", WAIT_POLL}, {SYS_ppoll, "ppoll", WAIT_POLL},
	{SYS_splice, "splice", WAIT_SYSCALL}, {SYS_tee, "tee", WAIT_SYSCALL},
	{SYS_accept4, "accept4", WAIT_ACCEPT}, {SYS_recvmmsg, "recvmmsg", WAIT_READ},
	{SYS_sendmmsg, "sendmmsg", WAIT_WRITE}, {SYS_preadv, "preadv", WAIT_READ},
	{SYS_pwritev, "pwritev", WAIT_WRITE}, {SYS_preadv2, "preadv2", WAIT_READ},
	{SYS_pwritev2, "pwritev2", WAIT_WRITE}, {SYS_io_getevents, "io_getevents", WAIT_SYSCALL},
	{SYS_openat, "openat", WAIT_SYSCALL}, {SYS_mq_timedreceive, "mq_timedreceive", WAIT_READ},
	{SYS_mq_timedsend, "mq_timedsend", WAIT_WRITE}, {SYS_ptrace, "ptrace", WAIT_SYSCALL},
	{SYS_vfork, "vfork", WAIT_WAITPID}, {SYS_sync, "sync", WAIT_SYSCALL},
	{SYS_futex_waitv, "futex_waitv", WAIT_FUTEX}, {SYS_io_uring_enter, "io_uring_enter", WAIT_SYSCALL},
	{SYS_epoll_pwait2, "epoll_pwait2", WAIT_POLL}, {SYS_mmap, "mmap", WAIT_SYSCALL},
	{SYS_munmap, "munmap", WAIT_SYSCALL}, {SYS_exit_group, "exit_group", WAIT_SYSCALL},
	{SYS_exit, "exit", WAIT_SYSCALL}, {SYS_sigaltstack, "sigaltstack", WAIT_SYSCALL},
	{SYS_getrandom, "getrandom", WAIT_READ}, {SYS_restart_syscall, "restart_syscall", WAIT_SLEEP},
	{SYS_clone, "clone", WAIT_SYSCALL}, {SYS_clone3, "clone3", WAIT_SYSCALL},
	{SYS_execve, "execve", WAIT_SYSCALL}, {SYS_madvise, "madvise", WAIT_SYSCALL},
};

/* libc functions that wrap a blocking call under another name, for
 * telling what a restart_syscall resumes. */
static const struct {
	const char *name;
	enum wait_class wait;
} wrappers[] = {
	{"sleep", WAIT_SLEEP}, {"usleep", WAIT_SLEEP}, {"poll", WAIT_POLL}, {"ppoll", WAIT_POLL},
	{"select", WAIT_POLL}, {"epoll_wait", WAIT_POLL}, {"clock_nanosleep", WAIT_SLEEP}, {"nanosleep", WAIT_SLEEP},
	{"thrd_sleep", WAIT_SLEEP},
};

const char *syscall_name(long nr)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(*syscalls); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

enum wait_class classify_syscall(long nr)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(*syscalls); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].wait;
	return WAIT_SYSCALL;
}

/* Strips glibc's internal underscores: ___pthread_mutex_lock -> pthread_mutex_lock. */
static const char *plain(const char *name)
{
	while (*name == '_')
		name++;
	return name;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Names whose presence in a futex-waiting stack says what kind of wait it is,
 * checked innermost first. */
static enum wait_class futex_kind(const char *fn)
{
	const char *p = plain(fn);
	if (starts(p, "pthread_mutex_") || starts(p, "lll_lock") || starts(p, "pthread_spin") ||
	    starts(fn, "std::mutex::") || starts(fn, "std::recursive_mutex::") || starts(fn, "std::timed_mutex::") ||
	    starts(fn, "std::unique_lock<") || starts(fn, "std::lock_guard<") ||
	    strstr(fn, "::futex_mutex::Mutex::lock") || strstr(fn, "::Mutex::lock_contended") ||
	    strstr(fn, "::Mutex>::lock") || /* Rust v0: <std::sys::sync::mutex::futex::Mutex>::lock_contended */
	    starts(fn, "parking_lot::raw_mutex::"))
		return WAIT_MUTEX;
	if (starts(p, "pthread_rwlock_") || starts(fn, "std::shared_mutex::") || starts(fn, "std::shared_lock<") ||
	    strstr(fn, "::RwLock::read") || strstr(fn, "::RwLock::write") ||
	    strstr(fn, "::RwLock>::read") || strstr(fn, "::RwLock>::write") || starts(fn, "parking_lot::raw_rwlock::"))
		return WAIT_RWLOCK;
	if (starts(p, "pthread_cond_") || starts(fn, "std::condition_variable") || starts(fn, "std::_V2::condition_variable_any") ||
	    strstr(fn, "::Condvar::wait") || strstr(fn, "::Condvar>::wait") || starts(fn, "parking_lot::condvar::"))
		return WAIT_CONDVAR;
	if (starts(p, "pthread_join") || starts(p, "pthread_clockjoin") || starts(p, "pthread_timedjoin") ||
	    starts(p, "pthread_tryjoin") || starts(fn, "std::thread::join") || strstr(fn, "JoinHandle") ||
	    strstr(fn, "::thread::Thread::join") || strstr(fn, "JoinInner"))
		return WAIT_JOIN;
	if (starts(p, "sem_wait") || starts(p, "sem_timedwait") || starts(p, "sem_clockwait") || starts(p, "new_sem_wait") ||
	    starts(fn, "std::counting_semaphore") || starts(fn, "std::binary_semaphore") || starts(fn, "std::__atomic_semaphore"))
		return WAIT_SEMAPHORE;
	if (starts(p, "pthread_barrier_wait") || starts(fn, "std::barrier") || starts(fn, "std::latch"))
		return WAIT_FUTEX;
	return WAIT__COUNT;
}

int classify_wait_site(const struct frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!f[i].library && (f[i].function || f[i].module))
			return (int)i;
	return -1;
}

void classify_thread(struct snap_thread *t)
{
	t->wait_site = classify_wait_site(t->frames, t->nframes);
	t->blocking_call = -1;
	if (t->wait_site > 0) {
		/* The outermost library frame just inside the program's code is
		 * the call the program made. */
		t->blocking_call = t->wait_site - 1;
	}
	if (t->state == 'T' || t->state == 't') {
		t->wait = WAIT_STOPPED;
		return;
	}
	if (t->state == 'Z' || t->state == 'X') {
		t->wait = WAIT_UNKNOWN;
		return;
	}
	if (t->syscall < 0) {
		/* Not in a syscall: running (R), or blocked in the kernel on
		 * something else, such as a page fault. */
		t->wait = t->state == 'R' || t->how == SNAP_HOW_STOPPED ? WAIT_RUNNING : WAIT_UNKNOWN;
		return;
	}
	t->wait = classify_syscall(t->syscall);
	if (t->syscall == SYS_restart_syscall) {
		/* A timed futex wait, a sleep or a poll interrupted by a stop (of
		 * anyone's ptrace, --stop-all's too) resumes as restart_syscall,
		 * at the same pc: the frames tell which call it still is, so the
		 * thread keeps its class and its group. */
		t->wait = WAIT_SLEEP;
		for (size_t i = 0; i < t->nframes; i++) {
			const char *fn = t->frames[i].function;
			if (!fn)
				continue;
			if (futex_kind(fn) != WAIT__COUNT || strstr(fn, "futex")) {
				t->wait = WAIT_FUTEX; /* refined below, as any futex wait */
				break;
			}
			fn = plain(fn);
			if (starts(fn, "GI_"))
				fn = plain(fn + 3);
			bool found = false;
			for (size_t k = 0; k < sizeof(wrappers) / sizeof(*wrappers) && !found; k++)
				if (strcmp(fn, wrappers[k].name) == 0) {
					t->wait = wrappers[k].wait;
					found = true;
				}
			if (found)
				break;
		}
	}
	if (t->wait == WAIT_FUTEX) {
		int limit = t->wait_site >= 0 ? t->wait_site : (int)t->nframes;
		for (int i = 0; i < limit; i++) {
			if (!t->frames[i].function)
				continue;
			enum wait_class k = futex_kind(t->frames[i].function);
			if (k != WAIT__COUNT) {
				t->wait = k;
				break;
			}
		}
		/* Without names for the library's frames: FUTEX_LOCK_PI(2) is
		 * by the kernel's ABI the wait for a lock with an owner. */
		int cmd = (int)(t->syscall_args[1] & ~(uint64_t)(128 | 256));
		if (t->wait == WAIT_FUTEX && (t->how == SNAP_HOW_SYSCALL || t->how == SNAP_HOW_STOPPED || t->how == SNAP_HOW_CORE) &&
		    (cmd == 6 || cmd == 13))
			t->wait = WAIT_MUTEX;
	}
}

void classify_snapshot(struct snapshot *snap)
{
	for (size_t i = 0; i < snap->nthreads; i++)
		classify_thread(&snap->threads[i]);
}
