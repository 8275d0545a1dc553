#include "go/mem.h"
#include "capture_live.h"

#include <sys/uio.h>

enum { GOMEM_BATCH = 1024 };

void gomem_readv(const struct snapshot *snap, struct gomem_req *reqs, size_t n)
{
	/* frozen: the memory was copied while the process was stopped */
	if (snap->source != SNAP_LIVE || snap->read_fn != capture_live_read || !snap->pid || snap->frozen) {
		for (size_t i = 0; i < n; i++)
			reqs[i].got = snapshot_read(snap, reqs[i].addr, reqs[i].buf, reqs[i].len);
		return;
	}
	struct iovec local[GOMEM_BATCH], remote[GOMEM_BATCH];
	size_t i = 0;
	while (i < n) {
		size_t k = 0;
		for (; i + k < n && k < GOMEM_BATCH; k++) {
			local[k] = (struct iovec){reqs[i + k].buf, reqs[i + k].len};
			remote[k] = (struct iovec){(void *)(uintptr_t)reqs[i + k].addr, reqs[i + k].len};
			reqs[i + k].got = 0;
		}
		size_t start = 0;
		while (start < k) {
			ssize_t got = process_vm_readv(snap->pid, local + start, k - start, remote + start, k - start, 0);
			size_t left = got > 0 ? (size_t)got : 0, j = start;
			/* Whole elements first; the first short one is read alone. */
			while (j < k && left >= local[j].iov_len) {
				reqs[i + j].got = local[j].iov_len;
				left -= local[j].iov_len;
				j++;
			}
			if (j >= k)
				break;
			struct gomem_req *r = &reqs[i + j];
			r->got = snapshot_read(snap, r->addr, r->buf, r->len);
			start = j + 1;
		}
		i += k;
	}
}
