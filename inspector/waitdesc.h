/* waitdesc.h - what a waiter waits on, and who holds it, in words.
 *
 * The text report, the browser and --fail-if say the same things the same
 * way: "mutex big (0x55d0c0a04040)", "held by thread 1201 `main`, which
 * sleeps in audit at svc.c:54", "on 2000 channels of type chan error
 * (unbuffered), 9 senders each, no receiver", "on 10 TCP connections to
 * 127.0.0.1:5432".  Everything from the target is sanitized (sanitize.h):
 * the strings are safe for a terminal.  Each writes into buf (always
 * NUL-terminated, cut to size) and returns it. */
#ifndef PILEUP_WAITDESC_H
#define PILEUP_WAITDESC_H

#include <stddef.h>

#include "group.h"
#include "snapshot.h"

/* "mutex big (0x55d0c0a04040)", "fd 7 (TCP ...)", "thread 1202 `worker`". */
char *waitdesc_object(const struct snapshot *snap, const struct snap_object *o, char *buf, size_t size);
/* "held by thread 1201 `main`, which sleeps in main at locks.c:33",
 * "abandoned: its owner 1234 exited", "free", "held by 3 readers (which
 * is not recorded)"; empty for objects that have no owner to speak of. */
char *waitdesc_owner(const struct snapshot *snap, const struct snap_object *o, char *buf, size_t size);
/* What a thread does: "sleeps in convoy_holder at locks.c:120", "waits on
 * mutex m (0x...) in f at x.c:3", "reads fd 7 (pipe ...) in g at y.c:9". */
char *waitdesc_doing(const struct snapshot *snap, const struct snap_thread *t, char *buf, size_t size);
/* A wait: its object (or set), then who holds it. */
char *waitdesc_wait(const struct snapshot *snap, const struct snap_wait *w, char *buf, size_t size);
/* What a group's members wait on, from "on " on; empty when nothing is
 * known. */
char *waitdesc_group(const struct snapshot *snap, const struct group *g, char *buf, size_t size);
/* "mutexes", "condition variables", "channels"... */
const char *waitdesc_kind_plural(enum wobj_kind k);

#endif
