/* dwarf_rust.h - the scopes of a pc in Rust's DWARF.
 *
 * LLVM nests Rust functions inside DW_TAG_namespace DIEs (waits::svc::f is
 * a subprogram in namespace svc in namespace waits), which dwarf_getscopes
 * does not enter: it finds no scope at all for a pc in Rust code, so no
 * inline frames.  This indexes, once per compile unit, the subprograms
 * under its namespaces by address, then descends from the one holding the
 * pc into its lexical blocks and inlined subroutines. */
#ifndef PILEUP_DWARF_RUST_H
#define PILEUP_DWARF_RUST_H

#include <elfutils/libdw.h>

struct dwarf_rust;

struct dwarf_rust *dwarf_rust_create(void);
void dwarf_rust_destroy(struct dwarf_rust *r);

/* The scopes holding pc (CU-relative, as for dwarf_getscopes) in cudie:
 * the innermost first, the subprogram last, all of them concrete (an
 * inlined subroutine is followed by the scope it was inlined into, not by
 * its abstract origin).  *scopes is malloc'd; returns their number, 0 when
 * no subprogram holds pc. */
int dwarf_rust_getscopes(struct dwarf_rust *r, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die **scopes);

#endif
