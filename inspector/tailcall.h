/* tailcall.h - frames that tail calls removed from the stack.
 *
 * When f calls g and g ends in a jump to h, the stack holds no frame of g:
 * h returns straight to f.  The DWARF call-site entries say what f called
 * (g) and which calls of g are tail calls (to h), so the missing frames can
 * be put back: sem_wait shows up above __new_sem_wait_slow64, as gdb shows
 * it.  Only a unique chain is used; anything ambiguous adds nothing. */
#ifndef PILEUP_TAILCALL_H
#define PILEUP_TAILCALL_H

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>

struct tailcalls;

struct symindex;
struct symcache;
struct tailcalls *tailcalls_create(Dwfl *dwfl, struct symindex *si, struct symcache *saved);
void tailcalls_destroy(struct tailcalls *tc);

enum { TAILCALL_MAX = 6 };

/* Between a frame executing at callee_pc (activation: not a return
 * address) and its caller's return address ra: the pcs of the tail-calling
 * frames, innermost first, as the address after each tail jump. */
size_t tailcalls_between(struct tailcalls *tc, uint64_t callee_pc, bool activation, uint64_t ra,
			 uint64_t out[TAILCALL_MAX]);

#endif
