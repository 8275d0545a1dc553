/* waits.h - what each native thread waits on, read from the target.
 *
 * A pass over the finished threads (after classify): a thread in a futex
 * wait names the futex word (the syscall's first argument: /proc's
 * syscall file live, the registers of a core), and its library frames
 * say what holds the word: a pthread mutex (std::mutex too), rwlock,
 * condition variable, semaphore, a pthread_join's thread, Rust's std
 * primitives, or a bare futex.  The object is read with the layout of the
 * glibc the thread runs (glibc.h), checked against itself (kind, lock
 * word, flags, pads, counters) before anything it says is believed; its
 * owner is linked to a thread.  Threads blocked in read, write, recv,
 * send, accept, connect, poll, select and epoll_wait name their fds
 * (poll's and select's sets read from memory, an epoll instance's from
 * its fdinfo), described by fdinfo.h for a live process.
 *
 * Whatever the memory holds (a hostile process can forge any of it), the
 * result is an object or "unknown" with a reason, never a crash; a field
 * that cannot be verified is left unknown.  Objects are named by
 * objnamer.h.  Needs the unwinder's modules (unwind_snapshot). */
#ifndef PILEUP_WAITS_H
#define PILEUP_WAITS_H

#include "snapshot.h"

void waits_resolve(struct snapshot *snap);

#endif
