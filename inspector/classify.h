/* classify.h - what each thread waits for, and where.
 *
 * The wait class comes from the blocked syscall, refined for futex waits by
 * the library frames (pthread_mutex_lock means mutex, pthread_cond_wait
 * condvar, ...).  The wait site is the innermost frame of the program's own
 * code; the blocking call is the library function that site called. */
#ifndef PILEUP_CLASSIFY_H
#define PILEUP_CLASSIFY_H

#include "snapshot.h"

/* x86_64 syscall name, or NULL when unknown. */
const char *syscall_name(long nr);
/* Class of a blocking syscall alone (futex -> WAIT_FUTEX). */
enum wait_class classify_syscall(long nr);

void classify_thread(struct snap_thread *t);
void classify_snapshot(struct snapshot *snap);

/* Index of the innermost non-library frame, or -1. */
int classify_wait_site(const struct frame *frames, size_t n);

#endif
