/* go/layout_typedesc.h - the layout checked against the binary's own type
 * descriptors (inside the layout module only).
 *
 * Compares every offset and size fact of a structure the program describes
 * (runtime.g, m, p, sudog, hchan, timer, mspan, moduledata, ...) with its
 * runtime type descriptor: a member the descriptor lacks must be one the
 * layout does not have either.  Needs l->firstmoduledata (its types and
 * etypes).  Returns the facts compared (0: no type region to read) and
 * sets *bad to the first that differs (NULL: none).  With adopt, when the
 * descriptors agree with most of the layout (they were read right), the
 * facts they contradict take the descriptors' values (from =
 * GOLAYOUT_TYPEDESC; a member they lack becomes unknown); when they do
 * not, those facts are made unknown.  With dump, prints one
 * "golayout typedesc" line per fact. */
#ifndef PILEUP_GOLANG_LAYOUT_TYPEDESC_H
#define PILEUP_GOLANG_LAYOUT_TYPEDESC_H

#include <stdbool.h>
#include <stdio.h>

#include "go/bin.h"
#include "go/layout.h"

unsigned golayout_typedesc_check(struct golayout *l, const struct gobin *b, const struct snapshot *snap, bool adopt,
				 FILE *dump, const char **bad);

#endif
