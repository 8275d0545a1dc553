/* go/mem.h - many small reads of target memory at once.
 *
 * A Go program can have 100,000 goroutines: their descriptors and the
 * tops of their stacks are read in batches.  For a live process a batch
 * is one process_vm_readv per 1024 regions; for any other input (a core)
 * each region goes through snapshot_read.  A region that cannot be read
 * whole is retried alone and reports how many bytes it got. */
#ifndef PILEUP_GOLANG_MEM_H
#define PILEUP_GOLANG_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

struct gomem_req {
	uint64_t addr;
	void *buf;
	size_t len;
	size_t got; /* filled in */
};

void gomem_readv(const struct snapshot *snap, struct gomem_req *reqs, size_t n);

#endif
