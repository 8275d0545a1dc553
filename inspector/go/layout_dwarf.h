/* go/layout_dwarf.h - the Go runtime's layout read from a binary's DWARF
 * (inside the layout module only).
 *
 * Fills every fact of layout_fields.h that the DWARF has (from =
 * GOLAYOUT_DWARF) and the link-time addresses of the runtime's globals;
 * .debug_info is inflated as a stream only as far as the units it needs
 * (PILEUP_GO_DWARF_FULL=1: all of it). */
#ifndef PILEUP_GOLANG_LAYOUT_DWARF_H
#define PILEUP_GOLANG_LAYOUT_DWARF_H

#include "go/bin.h"
#include "go/layout.h"

struct godwarf {
	struct golayout_val f[GL__N];
	uint64_t global[GG__N];      /* link-time addresses, 0 when absent */
	uint64_t wait_reasons_count; /* elements of runtime.waitReasonStrings */
};

/* False when the binary has no runtime compile unit to read.  funcids:
 * read on until the funcID constants are found (none of the tables has
 * them). */
bool godwarf_read(const struct gobin *b, bool funcids, struct godwarf *out);

#endif
