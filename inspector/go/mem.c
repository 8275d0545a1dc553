#include "go/mem.h"
#include "capture_live.h"

#include <sys/uio.h>

/* GOMEM_GAP: requests this close together are read as one remote region
 * (the bytes between them land in a sink): goroutine descriptors lie side
 * by side in the heap, and the kernel pins each remote region's pages
 * once, where it pinned the same page again for every descriptor on it. */
enum { GOMEM_BATCH = 1024, GOMEM_GAP = 256 };

/* Reads the requests of runs [r, nr) (requests from req[r], local iovecs
 * from loc[r]) with as few calls as a short read allows. */
static void read_runs(const struct snapshot *snap, struct gomem_req *reqs, const struct iovec *local,
		      const struct iovec *remote, const size_t *req, const size_t *loc, size_t nr)
{
	size_t r = 0;
	while (r < nr) {
		ssize_t got = process_vm_readv(snap->pid, local + loc[r], loc[nr] - loc[r], remote + r, nr - r, 0);
		size_t left = got > 0 ? (size_t)got : 0;
		/* Whole runs first; the requests of the first short one are
		 * read alone. */
		while (r < nr && left >= remote[r].iov_len) {
			for (size_t j = req[r]; j < req[r + 1]; j++)
				reqs[j].got = reqs[j].len;
			left -= remote[r].iov_len;
			r++;
		}
		if (r >= nr)
			break;
		for (size_t j = req[r]; j < req[r + 1]; j++)
			reqs[j].got = snapshot_read(snap, reqs[j].addr, reqs[j].buf, reqs[j].len);
		r++;
	}
}

void gomem_readv(const struct snapshot *snap, struct gomem_req *reqs, size_t n)
{
	/* frozen: the memory was copied while the process was stopped */
	if (snap->source != SNAP_LIVE || snap->read_fn != capture_live_read || !snap->pid || snap->frozen) {
		for (size_t i = 0; i < n; i++)
			reqs[i].got = snapshot_read(snap, reqs[i].addr, reqs[i].buf, reqs[i].len);
		return;
	}
	static unsigned char sink[GOMEM_GAP];
	struct iovec local[GOMEM_BATCH], remote[GOMEM_BATCH];
	size_t req[GOMEM_BATCH + 1], loc[GOMEM_BATCH + 1];
	size_t i = 0;
	while (i < n) {
		size_t nl = 0, nr = 0;
		uint64_t end = 0;
		for (; i < n; i++) {
			struct gomem_req *q = &reqs[i];
			q->got = 0;
			uint64_t gap = q->addr - end;
			bool join = nr && q->addr >= end && gap <= GOMEM_GAP && q->len <= UINT64_MAX - q->addr;
			if (nl + 2 > GOMEM_BATCH || (!join && nr + 1 > GOMEM_BATCH))
				break;
			if (join) {
				if (gap)
					local[nl++] = (struct iovec){sink, (size_t)gap};
				remote[nr - 1].iov_len += (size_t)gap + q->len;
			} else {
				req[nr] = i;
				loc[nr] = nl;
				remote[nr++] = (struct iovec){(void *)(uintptr_t)q->addr, q->len};
			}
			local[nl++] = (struct iovec){q->buf, q->len};
			end = q->addr + q->len;
		}
		req[nr] = i;
		loc[nr] = nl;
		read_runs(snap, reqs, local, remote, req, loc, nr);
	}
}
