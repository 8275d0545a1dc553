#include "go/waits.h"
#include "error.h"
#include "fdinfo.h"
#include "go/mem.h"
#include "objnamer.h"
#include "strpool.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	OBJ_MAX = 512,     /* bytes of a runtime structure read at most (sudog, hchan, pollDesc...) */
	EPOLL_MAX = 1 << 16, /* epoll registrations looked at */
	NAME_MAX_LEN = 200, /* a type name longer than this is not believed */
	SELECT_MAX = 1024, /* cases of a select followed at most */
	SCAN_WORDS = 128,  /* words of a parked goroutine's stack looked at, from its saved sp */
};

/* Addresses (never 0) to a number, each looked at once. */
struct memo {
	uint64_t *key;
	uint32_t *val;
	size_t cap, n;
};

struct gw {
	struct snapshot *snap;
	const struct golayout *l;
	const struct gobin *b;
	struct objnamer *names;
	uint64_t types, etypes; /* runtime addresses of the type descriptors, 0 unknown */
	size_t queue_max;       /* sudogs on one channel queue at most: every goroutine, twice */
	int64_t now;
	bool sema_linked;       /* the release records a semaphore waiter's sudog in g.waiting */
	bool debug;             /* PILEUP_GO_DEBUG: what the stack words led to */
	/* before go1.26: the semaphore table's waiters, by goroutine */
	bool sema_read;
	const char *sema_why;   /* why there is no index, or NULL */
	struct semwaiter { uint64_t g, addr; } *sema;
	size_t nsema;
	/* the sudogs the goroutines' wait lists start with and the channels
	 * they name, each read in one batch: a channel's queues are mostly
	 * those sudogs */
	struct prefetch { uint64_t *page; unsigned char *data; size_t cap, n; } pf; /* pages, by number */
	/* live: the goroutines parked in the poller, by goroutine */
	bool io_read;
	struct iowaiter { uint64_t g; int fd; bool write; } *io;
	size_t nio;
	/* what words of the goroutines' own stacks lead to (an IO wait's
	 * pollDesc in a core, a Cond's notify list before go1.26): each
	 * address read once (pdmemo, nlmemo: index + 1, 0 none); condg: the
	 * list each goroutine is on (UINT32_MAX: two) */
	struct memo pdmemo, nlmemo, condg;
	struct pdent { uint64_t addr, rg, wg; int fd; } *pd;
	size_t npd, cappd;
	uint64_t *lists;
	size_t nlists, caplists;
};

static const char *intern(struct gw *w, const char *s)
{
	return strpool_intern(w->snap->strings, s);
}

static const char *internf(struct gw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *internf(struct gw *w, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return intern(w, buf);
}

static bool has(const struct gw *w, enum golayout_id id)
{
	return golayout_has(w->l, id);
}

static uint32_t off(const struct gw *w, enum golayout_id id)
{
	return (uint32_t)golayout_get(w->l, id);
}

/* A member of a structure read into buf (len bytes): its value, of the
 * size the layout says (1, 2, 4 or 8); false when unknown or outside buf. */
static bool member(const struct gw *w, const unsigned char *buf, size_t len, enum golayout_id id, uint64_t *out)
{
	if (!has(w, id))
		return false;
	uint64_t o = off(w, id);
	uint32_t sz = golayout_size(w->l, id);
	if (sz > 8)
		sz = 8; /* a wrapper struct: its first word */
	if (!sz || o + sz > len)
		return false;
	uint64_t v = 0;
	memcpy(&v, buf + o, sz); /* little-endian: amd64 */
	*out = v;
	return true;
}

/* A pointer member that moved into a wrapper in go1.26 (sudog.elem and
 * sudog.c are maybeTraceablePtr{vp, vu}: vu is the address). */
static bool member_ptr(const struct gw *w, const unsigned char *buf, size_t len, enum golayout_id plain,
		       enum golayout_id vu, uint64_t *out)
{
	return has(w, vu) ? member(w, buf, len, vu, out) : member(w, buf, len, plain, out);
}

static int64_t c_or(const struct gw *w, enum golayout_id id, int64_t dflt)
{
	return has(w, id) ? golayout_get(w->l, id) : dflt;
}

/* The size of structure id, if known and small enough to read whole. */
static size_t struct_size(const struct gw *w, enum golayout_id id)
{
	int64_t s = golayout_get(w->l, id);
	return s > 0 && s <= OBJ_MAX ? (size_t)s : 0;
}

static bool read_exact(const struct gw *w, uint64_t addr, void *buf, size_t len)
{
	return addr && len && addr + len > addr && snapshot_read(w->snap, addr, buf, len) == len;
}

/* The variable at addr when a symbol names it, else where it lies.  Go
 * allocates thread stacks (g0) and goroutine stacks in its own heap, so
 * "the stack of thread T" would be wrong for any Go object: unknown. */
static const char *go_name(struct gw *w, uint64_t addr)
{
	const char *n = objnamer_name(w->names, addr);
	return n && !strncmp(n, "stack of thread", 15) ? NULL : n;
}

static struct snap_object *object(struct gw *w, uint32_t ref)
{
	return &w->snap->objects[ref - 1];
}

/* --- memos -------------------------------------------------------------------- */

static size_t memo_hash(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

/* The value of key, added (as 0) when *fresh. */
static uint32_t *memo_slot(struct memo *m, uint64_t key, bool *fresh)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		uint64_t *k = xcalloc(cap, sizeof(*k));
		uint32_t *v = xcalloc(cap, sizeof(*v));
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->key[i])
				continue;
			size_t j = memo_hash(m->key[i], cap);
			while (k[j])
				j = (j + 1) & (cap - 1);
			k[j] = m->key[i];
			v[j] = m->val[i];
		}
		free(m->key);
		free(m->val);
		m->key = k;
		m->val = v;
		m->cap = cap;
	}
	size_t j = memo_hash(key, m->cap);
	while (m->key[j] && m->key[j] != key)
		j = (j + 1) & (m->cap - 1);
	*fresh = !m->key[j];
	if (*fresh) {
		m->key[j] = key;
		m->val[j] = 0;
		m->n++;
	}
	return &m->val[j];
}

static uint32_t memo_get(const struct memo *m, uint64_t key)
{
	if (!m->cap || !key)
		return 0;
	for (size_t j = memo_hash(key, m->cap); m->key[j]; j = (j + 1) & (m->cap - 1))
		if (m->key[j] == key)
			return m->val[j];
	return 0;
}

static void memo_free(struct memo *m)
{
	free(m->key);
	free(m->val);
}

/* The words of goroutine r's parked frames (gopark's and the calls below
 * it), from its saved sp: SCAN_WORDS at most. */
static size_t park_words(const struct gw *w, const struct gowaits_raw *r, uint64_t *out)
{
	if (!r->sp || (r->sp & 7) || r->stack_hi <= r->sp)
		return 0;
	uint64_t len = r->stack_hi - r->sp;
	if (len > SCAN_WORDS * 8)
		len = SCAN_WORDS * 8;
	return snapshot_read(w->snap, r->sp, out, (size_t)len) / 8;
}

/* --- sudogs and channels, read ahead ------------------------------------------------- */

enum { PF_PAGE = 4096 };

static size_t pf_slot(uint64_t page, size_t cap)
{
	return (size_t)((page * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static void pf_put(struct prefetch *pf, uint64_t page, const unsigned char *data)
{
	if ((pf->n + 1) * 2 > pf->cap) {
		size_t cap = pf->cap ? pf->cap * 2 : 256;
		uint64_t *pg = xcalloc(cap, sizeof(*pg));
		unsigned char *d = xmalloc(cap * PF_PAGE);
		for (size_t i = 0; i < pf->cap; i++) {
			if (!pf->page[i])
				continue;
			size_t j = pf_slot(pf->page[i], cap);
			while (pg[j])
				j = (j + 1) & (cap - 1);
			pg[j] = pf->page[i];
			memcpy(d + j * PF_PAGE, pf->data + i * PF_PAGE, PF_PAGE);
		}
		free(pf->page);
		free(pf->data);
		pf->page = pg;
		pf->data = d;
		pf->cap = cap;
	}
	size_t j = pf_slot(page, pf->cap);
	while (pf->page[j] && pf->page[j] != page)
		j = (j + 1) & (pf->cap - 1);
	if (!pf->page[j])
		pf->n++;
	pf->page[j] = page;
	memcpy(pf->data + j * PF_PAGE, data, PF_PAGE);
}

static const unsigned char *pf_get(const struct prefetch *pf, uint64_t page)
{
	if (!pf->cap)
		return NULL;
	for (size_t j = pf_slot(page, pf->cap); pf->page[j]; j = (j + 1) & (pf->cap - 1))
		if (pf->page[j] == page)
			return pf->data + j * PF_PAGE;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Reads the pages that hold the n objects of size bytes at addrs (0:
 * none), each page once, in one batch (live: a few process_vm_readv
 * calls; sudogs and channels pack many to a page) into pf. */
static void pf_fill(const struct gw *w, struct prefetch *pf, const uint64_t *addrs, size_t n, size_t size)
{
	if (!size || !n)
		return;
	size_t np = 0, cap = 0;
	uint64_t *pages = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!addrs[i] || addrs[i] + size < addrs[i])
			continue;
		for (uint64_t p = addrs[i] / PF_PAGE; p <= (addrs[i] + size - 1) / PF_PAGE; p++) {
			xgrow(&pages, &cap, np + 1, sizeof(*pages));
			pages[np++] = p;
		}
	}
	if (!np)
		return;
	qsort(pages, np, sizeof(*pages), cmp_u64);
	size_t k = 0;
	for (size_t i = 0; i < np; i++)
		if ((!k || pages[k - 1] != pages[i]) && !pf_get(pf, pages[i]))
			pages[k++] = pages[i];
	struct gomem_req *req = xmalloc((k ? k : 1) * sizeof(*req));
	unsigned char *data = xmalloc((k ? k : 1) * PF_PAGE);
	for (size_t i = 0; i < k; i++)
		req[i] = (struct gomem_req){pages[i] * PF_PAGE, data + i * PF_PAGE, PF_PAGE, 0};
	gomem_readv(w->snap, req, k);
	for (size_t i = 0; i < k; i++)
		if (req[i].got == PF_PAGE)
			pf_put(pf, pages[i], data + i * PF_PAGE);
	free(req);
	free(data);
	free(pages);
}

/* len bytes at a, from the pages read ahead when they hold them all, else
 * from the target. */
static bool pf_read(const struct gw *w, const struct prefetch *pf, uint64_t a, unsigned char *out, size_t len)
{
	if (pf->cap && a && len && a + len > a) {
		size_t done = 0;
		while (done < len) {
			const unsigned char *pg = pf_get(pf, (a + done) / PF_PAGE);
			if (!pg)
				break;
			size_t off = (size_t)((a + done) % PF_PAGE), n = PF_PAGE - off;
			if (n > len - done)
				n = len - done;
			memcpy(out + done, pg + off, n);
			done += n;
		}
		if (done == len)
			return true;
	}
	return read_exact(w, a, out, len);
}

static void pf_free(struct prefetch *pf)
{
	free(pf->page);
	free(pf->data);
}

static bool sudog_read(const struct gw *w, uint64_t s, unsigned char *out, size_t ssz)
{
	return pf_read(w, &w->pf, s, out, ssz);
}

/* The first sudog of every goroutine parked on a channel or a semaphore,
 * then the channels those name. */
static void prefetch(struct gw *w, const struct gowaits_raw *raw, size_t n)
{
	size_t ssz = struct_size(w, GL_sg_size), hsz = struct_size(w, GL_ch_size);
	uint64_t *a = xcalloc(n ? n : 1, sizeof(*a));
	for (size_t i = 0; i < n; i++) {
		const char *r = w->snap->goroutines[i].wait_reason;
		if (raw[i].waiting && r &&
		    (!strncmp(r, "chan ", 5) || !strncmp(r, "select", 6) || !strncmp(r, "sync.", 5) || !strcmp(r, "semacquire")))
			a[i] = raw[i].waiting;
	}
	pf_fill(w, &w->pf, a, n, ssz);
	unsigned char sg[OBJ_MAX];
	for (size_t i = 0; i < n; i++) {
		uint64_t c = 0;
		if (a[i] && !(sudog_read(w, a[i], sg, ssz) && member_ptr(w, sg, ssz, GL_sg_c, GL_sg_c_vu, &c)))
			c = 0;
		a[i] = c;
	}
	pf_fill(w, &w->pf, a, n, hsz);
	free(a);
}

/* --- type names ------------------------------------------------------------- */

/* Bytes at runtime address a of the type region (read from the binary:
 * the region is read-only data, which a core may not hold). */
static bool type_read(const struct gw *w, uint64_t a, void *out, size_t len)
{
	if (!w->types || a < w->types || a >= w->etypes || len > w->etypes - a)
		return false;
	return gobin_read(w->b, w->snap, a - w->b->bias, out, len) == len;
}

/* The name of the type descriptor at runtime address t ("error",
 * "main.request"), or NULL; out has cap bytes. */
static const char *type_name(const struct gw *w, uint64_t t, char *out, size_t cap, uint64_t *size)
{
	size_t tsz = struct_size(w, GL_ty_sizeof);
	unsigned char ty[OBJ_MAX];
	uint64_t str, tflag;
	if (!tsz || !type_read(w, t, ty, tsz) || !member(w, ty, tsz, GL_ty_str, &str) ||
	    !member(w, ty, tsz, GL_ty_tflag, &tflag) || !member(w, ty, tsz, GL_ty_size, size))
		return NULL;
	/* a name: a flags byte, a uvarint length, the bytes (every release
	 * from go1.17 on: internal/abi/type.go, runtime/type.go) */
	uint64_t a = w->types + (uint32_t)str;
	unsigned char h[4];
	if (!type_read(w, a, h, 1))
		return NULL;
	size_t n = 0, k = 1;
	for (unsigned shift = 0;; k++, shift += 7) {
		if (k >= sizeof(h) || !type_read(w, a + k, h + k, 1))
			return NULL;
		n |= (size_t)(h[k] & 0x7f) << shift;
		if (!(h[k] & 0x80))
			break;
	}
	if (!n || n > NAME_MAX_LEN || n >= cap || !type_read(w, a + k + 1, out, n))
		return NULL;
	out[n] = 0;
	if (strlen(out) != n)
		return NULL;
	uint64_t extrastar = has(w, GL_c_tflag_extrastar) ? (uint64_t)golayout_get(w->l, GL_c_tflag_extrastar) : 0;
	if (extrastar && (tflag & extrastar)) {
		if (out[0] != '*')
			return NULL;
		return out + 1;
	}
	return out;
}

/* --- channels ----------------------------------------------------------------- */

/* Goroutines on one queue of channel c (a waitq at q in the hchan), or -1
 * when the queue does not read as one: every sudog must name c and link
 * back to the one before it, and the last must be the queue's last. */
static int64_t queue_count(const struct gw *w, uint64_t c, const unsigned char *hc, size_t hlen, enum golayout_id q)
{
	uint64_t first, last;
	if (!has(w, q) || !has(w, GL_wq_first) || !has(w, GL_wq_last))
		return -1;
	uint64_t qo = off(w, q);
	if (qo + off(w, GL_wq_last) + 8 > hlen)
		return -1;
	memcpy(&first, hc + qo + off(w, GL_wq_first), 8);
	memcpy(&last, hc + qo + off(w, GL_wq_last), 8);
	if (!first)
		return last ? -1 : 0;
	size_t ssz = struct_size(w, GL_sg_size);
	if (!ssz)
		return -1;
	unsigned char sg[OBJ_MAX];
	int64_t n = 0;
	uint64_t prev = 0;
	for (uint64_t s = first; s; n++) {
		uint64_t g, next, back, sc;
		if ((size_t)n >= w->queue_max || !sudog_read(w, s, sg, ssz) || !member(w, sg, ssz, GL_sg_g, &g) || !g ||
		    !member(w, sg, ssz, GL_sg_next, &next) || !member(w, sg, ssz, GL_sg_prev, &back) || back != prev)
			return -1;
		if (member_ptr(w, sg, ssz, GL_sg_c, GL_sg_c_vu, &sc) && sc != c)
			return -1;
		if (!next && s != last)
			return -1;
		prev = s;
		s = next;
	}
	return n;
}

/* The object for channel c (0: a nil channel), read the first time. */
static uint32_t chan_object(struct gw *w, uint64_t c)
{
	bool is_new;
	uint32_t ref = snapshot_object_for(w->snap, WOBJ_CHAN, c, &is_new);
	if (!is_new)
		return ref;
	struct snap_object *o = object(w, ref);
	o->addr = c;
	o->owner_state = WOWNER_NOT_RECORDED;
	o->chan = (struct snap_chan){.cap = -1, .len = -1, .senders = -1, .receivers = -1, .closed = -1};
	if (!c) {
		o->have_chan = true;
		o->chan.nil = true;
		return ref;
	}
	o->name = go_name(w, c);
	size_t hsz = struct_size(w, GL_ch_size);
	unsigned char hc[OBJ_MAX];
	uint64_t qcount, dataqsiz, elemsize, closed, elemtype, buf = 0;
	if (!hsz || !has(w, GL_ch_qcount)) {
		o->note = internf(w, "the channel layout of %s is not known", w->snap->go_version ? w->snap->go_version : "this release");
		return ref;
	}
	if (!pf_read(w, &w->pf, c, hc, hsz)) {
		o->note = intern(w, "the channel is unreadable");
		return ref;
	}
	if (!member(w, hc, hsz, GL_ch_qcount, &qcount) || !member(w, hc, hsz, GL_ch_dataqsiz, &dataqsiz) ||
	    !member(w, hc, hsz, GL_ch_elemsize, &elemsize) || !member(w, hc, hsz, GL_ch_closed, &closed) ||
	    !member(w, hc, hsz, GL_ch_elemtype, &elemtype)) {
		o->note = intern(w, "the channel layout is incomplete");
		return ref;
	}
	member(w, hc, hsz, GL_ch_buf, &buf);
	/* what makechan guarantees (chan.go): elements smaller than 64 KB,
	 * a buffer unless unbuffered or of zero-size elements, qcount <=
	 * dataqsiz, closed 0 or 1; and the element type is a descriptor of
	 * the binary of that very size */
	char tbuf[NAME_MAX_LEN + 8];
	uint64_t tsize = 0;
	const char *tname = type_name(w, elemtype, tbuf, sizeof(tbuf), &tsize);
	const char *bad = NULL;
	if (dataqsiz > (1ull << 40) || qcount > dataqsiz)
		bad = "its count exceeds its capacity";
	else if (closed > 1)
		bad = "its closed flag is neither 0 nor 1";
	else if (elemsize >= (1u << 16) || (dataqsiz && elemsize && !buf))
		bad = "its element size or buffer is impossible";
	else if (!tname)
		bad = "its element type is no type descriptor of the program";
	else if (tsize != elemsize)
		bad = "its element size is not its element type's";
	if (bad) {
		o->note = internf(w, "not a channel: %s", bad);
		return ref;
	}
	o->have_chan = true;
	char full[NAME_MAX_LEN + 16];
	snprintf(full, sizeof(full), "chan %s", tname);
	o->chan.type = intern(w, full);
	o->chan.cap = (int64_t)dataqsiz;
	o->chan.len = (int64_t)qcount;
	o->chan.closed = (int)closed;
	o->chan.senders = queue_count(w, c, hc, hsz, GL_ch_sendq);
	o->chan.receivers = queue_count(w, c, hc, hsz, GL_ch_recvq);
	if (o->chan.senders < 0 || o->chan.receivers < 0)
		o->note = intern(w, "a wait queue of the channel does not read as one (it may be changing)");
	return ref;
}

/* The sudog at s, which must be goroutine gp's: read into sg. */
static bool own_sudog(const struct gw *w, uint64_t s, uint64_t gp, unsigned char *sg, size_t ssz)
{
	uint64_t g;
	return sudog_read(w, s, sg, ssz) && member(w, sg, ssz, GL_sg_g, &g) && g == gp;
}

static void chan_wait(struct gw *w, struct snap_goroutine *g, const struct gowaits_raw *r, bool nil, bool select)
{
	struct snap_wait *wt = &g->waits_on;
	wt->kind = select ? WOBJ_SELECT : WOBJ_CHAN;
	if (nil) {
		wt->object = chan_object(w, 0);
		return;
	}
	size_t ssz = struct_size(w, GL_sg_size);
	if (!ssz || !has(w, GL_g_waiting)) {
		wt->note = internf(w, "the wait list layout of %s is not known", w->snap->go_version ? w->snap->go_version : "this release");
		return;
	}
	if (!r->waiting) {
		wt->note = intern(w, "the goroutine records no wait list");
		return;
	}
	unsigned char sg[OBJ_MAX];
	size_t cap = 0;
	uint64_t s = r->waiting;
	for (size_t k = 0; s; k++) {
		uint64_t c, next = 0, sel = 0;
		if (k >= (select ? SELECT_MAX : 1) || !own_sudog(w, s, r->gp, sg, ssz) ||
		    !member_ptr(w, sg, ssz, GL_sg_c, GL_sg_c_vu, &c) || !c || !member(w, sg, ssz, GL_sg_waitlink, &next) ||
		    (member(w, sg, ssz, GL_sg_isselect, &sel) && (sel & 0xff) != (select ? 1 : 0))) {
			wt->note = intern(w, "its wait list does not read as one (a sudog that is not the goroutine's)");
			free(wt->set);
			wt->set = NULL;
			wt->nset = 0;
			wt->object = 0;
			return;
		}
		uint32_t ref = chan_object(w, c);
		if (!select) {
			wt->object = ref;
			return;
		}
		bool dup = false;
		for (uint32_t i = 0; i < wt->nset; i++)
			dup |= wt->set[i] == ref;
		if (!dup) {
			xgrow(&wt->set, &cap, wt->nset + 1, sizeof(*wt->set));
			wt->set[wt->nset++] = ref;
		}
		s = next;
	}
}

/* --- sync ------------------------------------------------------------------------ */

/* The sync primitive a goroutine waits in, from its outermost sync frame
 * (a RWMutex's Lock waits in its w Mutex's lockSlow). */
enum sync_site { SS_NONE, SS_MUTEX, SS_RW_LOCK, SS_RW_RLOCK, SS_WAITGROUP, SS_COND };

/* *via_mutex: a Mutex's Lock is inside the outermost sync frame (a
 * RWMutex writer waiting for another writer, on its w Mutex). */
static enum sync_site sync_site(const struct snap_goroutine *g, bool *via_mutex)
{
	enum sync_site site = SS_NONE;
	*via_mutex = false;
	for (size_t i = 0; i < g->nframes; i++) {
		const char *f = g->frames[i].function;
		if (!f)
			continue;
		const char *p = !strncmp(f, "sync.", 5) ? f + 5 : !strncmp(f, "internal/sync.", 14) ? f + 14 : NULL;
		if (!p) {
			if (site != SS_NONE || strncmp(f, "runtime.", 8) != 0)
				break;
			continue;
		}
		if (!strcmp(p, "(*Mutex).Lock") || !strcmp(p, "(*Mutex).lockSlow"))
			site = SS_MUTEX, *via_mutex = true;
		else if (!strcmp(p, "(*RWMutex).Lock"))
			site = SS_RW_LOCK;
		else if (!strcmp(p, "(*RWMutex).RLock"))
			site = SS_RW_RLOCK;
		else if (!strcmp(p, "(*WaitGroup).Wait"))
			site = SS_WAITGROUP;
		else if (!strcmp(p, "(*Cond).Wait"))
			site = SS_COND;
	}
	return site;
}

static int cmp_semwaiter(const void *a, const void *b)
{
	const struct semwaiter *x = a, *y = b;
	return (x->g > y->g) - (x->g < y->g);
}

/* The goroutines parked on semaphores, from runtime.semtable: each root
 * holds a treap of sudogs, one per address (prev and next its children),
 * each the head of its address's waiters (waitlink).  Every node must
 * hash to its root and every waiter share its head's address. */
static void sema_index(struct gw *w)
{
	w->sema_read = true;
	/* located and checked by the layout (layout.c: check_semtable), a
	 * cache line per root */
	uint64_t st = w->l->global[GG_semtable], stride = 64;
	int64_t n = c_or(w, GL_c_semtabsize, 0);
	size_t rsz = struct_size(w, GL_sr_size), ssz = struct_size(w, GL_sg_size);
	if (!st) {
		w->sema_why = "the runtime's semaphore table is not located";
		return;
	}
	if (n <= 0 || n > 4096 || !rsz || !ssz || !has(w, GL_sr_treap) || rsz > stride) {
		w->sema_why = "the layout of the runtime's semaphore table is not known";
		return;
	}
	size_t cap = 0, left = w->queue_max, nstack = 0, capstack = 0;
	uint64_t *stack = NULL;
	unsigned char root[OBJ_MAX], sg[OBJ_MAX];
	for (int64_t i = 0; i < n && left; i++) {
		uint64_t treap;
		if (!read_exact(w, st + (uint64_t)i * stride, root, rsz) || !member(w, root, rsz, GL_sr_treap, &treap))
			continue;
		nstack = 0;
		if (treap) {
			xgrow(&stack, &capstack, 1, sizeof(*stack));
			stack[nstack++] = treap;
		}
		while (nstack && left) {
			uint64_t t = stack[--nstack], addr, prev, next, link;
			left--;
			if (!read_exact(w, t, sg, ssz) || !member_ptr(w, sg, ssz, GL_sg_elem, GL_sg_elem_vu, &addr) || !addr ||
			    (addr >> 3) % (uint64_t)n != (uint64_t)i || !member(w, sg, ssz, GL_sg_prev, &prev) ||
			    !member(w, sg, ssz, GL_sg_next, &next) || !member(w, sg, ssz, GL_sg_waitlink, &link))
				continue; /* not a node of this root: its subtree is not followed */
			xgrow(&stack, &capstack, nstack + 2, sizeof(*stack));
			if (prev)
				stack[nstack++] = prev;
			if (next)
				stack[nstack++] = next;
			for (uint64_t s = t; s && left;) {
				uint64_t g, a;
				if (s != t && (left--, !read_exact(w, s, sg, ssz)))
					break;
				if (!member(w, sg, ssz, GL_sg_g, &g) || !g ||
				    !member_ptr(w, sg, ssz, GL_sg_elem, GL_sg_elem_vu, &a) || a != addr)
					break;
				xgrow(&w->sema, &cap, w->nsema + 1, sizeof(*w->sema));
				w->sema[w->nsema++] = (struct semwaiter){g, addr};
				if (!member(w, sg, ssz, GL_sg_waitlink, &s))
					break;
			}
		}
	}
	free(stack);
	if (w->nsema)
		qsort(w->sema, w->nsema, sizeof(*w->sema), cmp_semwaiter);
}

/* The semaphore goroutine gp waits on in the table, or 0 (also when two
 * entries disagree: a table read while it changed). */
static uint64_t sema_of(struct gw *w, uint64_t gp)
{
	if (!w->sema_read)
		sema_index(w);
	struct semwaiter key = {gp, 0};
	const struct semwaiter *e = w->nsema ? bsearch(&key, w->sema, w->nsema, sizeof(*w->sema), cmp_semwaiter) : NULL;
	if (!e)
		return 0;
	for (const struct semwaiter *p = e; p > w->sema && p[-1].g == gp; p--)
		if (p[-1].addr != e->addr)
			return 0;
	for (const struct semwaiter *p = e; p + 1 < w->sema + w->nsema && p[1].g == gp; p++)
		if (p[1].addr != e->addr)
			return 0;
	return e->addr;
}

/* The notify list at l (its index + 1 in w->lists), or 0, read the
 * first time: its waiters, head to tail by next, each recorded in
 * w->condg.  runtime/sema.go (go1.17 to go1.27.3): notifyListWait queues
 * a sudog with the goroutine and its ticket; a ticket leaves the list
 * once notified, so every one on it lies in [notify, wait), as uint32s
 * that wrap (sema.go's less), there are no more of them than tickets given
 * out, and the last is the list's tail.  A list that fails any of it is
 * none. */
static uint32_t list_at(struct gw *w, uint64_t l)
{
	if (!l || (l & 7))
		return 0;
	bool fresh;
	uint32_t *slot = memo_slot(&w->nlmemo, l, &fresh);
	if (!fresh)
		return *slot;
	size_t ssz = struct_size(w, GL_sg_size), nlen = off(w, GL_nl_tail) + 8;
	unsigned char nl[64], sg[OBJ_MAX];
	uint64_t wait, notify, head, tail;
	if (!ssz || nlen > sizeof(nl) || !read_exact(w, l, nl, nlen) || !member(w, nl, nlen, GL_nl_wait, &wait) ||
	    !member(w, nl, nlen, GL_nl_notify, &notify) || !member(w, nl, nlen, GL_nl_head, &head) ||
	    !member(w, nl, nlen, GL_nl_tail, &tail))
		return 0;
	uint32_t pending = (uint32_t)wait - (uint32_t)notify;
	if (!head || !tail || !pending || pending > (1u << 30))
		return 0;
	uint64_t *gs = NULL, s = head, last = 0;
	size_t n = 0, capgs = 0;
	while (s) {
		uint64_t g, t, next;
		if (n >= pending || n >= w->queue_max || !sudog_read(w, s, sg, ssz) || !member(w, sg, ssz, GL_sg_g, &g) || !g ||
		    !member(w, sg, ssz, GL_sg_ticket, &t) || (uint32_t)t - (uint32_t)notify >= pending ||
		    !member(w, sg, ssz, GL_sg_next, &next)) {
			free(gs);
			return 0;
		}
		xgrow(&gs, &capgs, n + 1, sizeof(*gs));
		gs[n++] = g;
		last = s;
		s = next;
	}
	if (last != tail) {
		free(gs);
		return 0;
	}
	xgrow(&w->lists, &w->caplists, w->nlists + 1, sizeof(*w->lists));
	w->lists[w->nlists++] = l;
	uint32_t k = (uint32_t)w->nlists;
	*slot = k; /* (nlmemo is not touched in between) */
	for (size_t i = 0; i < n; i++) {
		uint32_t *v = memo_slot(&w->condg, gs[i], &fresh);
		*v = fresh || *v == k ? k : UINT32_MAX;
	}
	free(gs);
	return k;
}

/* The notify list a sync.Cond waiter is on, before go1.26 (which records
 * none for it), from the words of its parked frames: Cond.Wait keeps c
 * for its c.L.Lock() after the wait, notifyListWait gets &c.notify,
 * goparkunlock &l.lock (sync/cond.go, runtime/sema.go, go1.17 to
 * go1.25).  A candidate is believed when the list itself holds this
 * goroutine (list_at); NULL and *ret, or why not. */
static const char *cond_from_stack(struct gw *w, const struct gowaits_raw *r, uint64_t *ret)
{
	if (!has(w, GL_cond_notify) || !has(w, GL_nl_wait) || !has(w, GL_nl_notify) || !has(w, GL_nl_lock) ||
	    !has(w, GL_nl_head) || !has(w, GL_nl_tail) || !has(w, GL_sg_ticket) || !has(w, GL_sg_next) || !has(w, GL_sg_g))
		return "the notify list layout of this release is not known";
	uint64_t words[SCAN_WORDS];
	size_t n = park_words(w, r, words);
	if (!n)
		return "its stack is unreadable";
	uint64_t cn = off(w, GL_cond_notify), lk = off(w, GL_nl_lock);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = words[i], cand[3] = {v + cn < v ? 0 : v + cn, v, v < lk ? 0 : v - lk};
		for (int c = 0; c < 3; c++) {
			if (cand[c] >= r->sp && cand[c] < r->stack_hi)
				continue; /* its own frames */
			uint32_t k = list_at(w, cand[c]), mine = k ? memo_get(&w->condg, r->gp) : 0;
			if (mine == UINT32_MAX)
				return "two notify lists hold it";
			if (!k || k != mine)
				continue;
			*ret = w->lists[k - 1];
			if (w->debug)
				fprintf(stderr, "pileup: go: g 0x%" PRIx64 " on a sync.Cond: notify list 0x%" PRIx64 ", from its stack at 0x%" PRIx64 " (sp+%zu)\n",
					r->gp, *ret, r->sp + i * 8, i * 8);
			return NULL;
		}
	}
	return "no notify list its stack leads to holds it (it may be waking up)";
}

static bool reason_is(const struct snap_goroutine *g, const char *r)
{
	return g->wait_reason && !strcmp(g->wait_reason, r);
}

/* A 4-byte member of the object at a. */
static bool word_at(const struct gw *w, uint64_t a, enum golayout_id id, uint64_t *out)
{
	uint32_t v;
	if (!has(w, id) || !read_exact(w, a + off(w, id), &v, 4))
		return false;
	*out = v;
	return true;
}

/* The object of kind at base, the first time: its state words (a
 * WaitGroup's at state_at when not 0: go1.17's). */
static void sync_facts(struct gw *w, uint32_t ref, enum wobj_kind kind, uint64_t base, bool via_w, uint64_t state_at)
{
	struct snap_object *o = object(w, ref);
	uint64_t v, v2;
	switch (kind) {
	case WOBJ_SYNC_MUTEX: {
		/* sync/mutex.go (1.24+: internal/sync/mutex.go): state is
		 * locked | woken | starving | waiters << waiterShift */
		int64_t locked = c_or(w, GL_c_mutex_locked, 0), starving = c_or(w, GL_c_mutex_starving, 0),
			shift = c_or(w, GL_c_mutex_waitershift, 0);
		if (!locked || !starving || !shift || !word_at(w, base, GL_mu_state, &v)) {
			o->note = intern(w, "its state is unknown");
			break;
		}
		if (!(v & (uint64_t)(locked | starving)) || !(v >> shift)) {
			o->note = internf(w, "its state (0x%" PRIx64 ") does not show a waiter", v);
			break;
		}
		snapshot_object_flag(o, "locked", v & (uint64_t)locked);
		snapshot_object_flag(o, "starving", v & (uint64_t)starving);
		snapshot_object_fact(o, "waiters", (int64_t)(v >> shift));
		break;
	}
	case WOBJ_SYNC_RWMUTEX: {
		/* sync/rwmutex.go: readerCount is negative (less maxReaders)
		 * while a writer is pending; readerWait: the readers it waits for */
		int64_t max = c_or(w, GL_c_rwmutex_maxreaders, 0);
		if (!max || !word_at(w, base, GL_rw_readercount, &v) || !word_at(w, base, GL_rw_readerwait, &v2)) {
			o->note = intern(w, "its state is unknown");
			break;
		}
		int32_t count = (int32_t)v, wait = (int32_t)v2;
		bool pending = count < 0;
		/* a reader or writer waits on its semaphores only while a writer
		 * is pending (a writer waiting on w: while w is held) */
		if (!pending && !via_w) {
			o->note = internf(w, "its reader count (%d) does not show a pending writer", count);
			break;
		}
		int64_t holding = pending ? wait : count, queued = pending ? (int64_t)count + max - wait : 0;
		if (holding < 0 || holding > max || queued < 0 || queued > max) {
			o->note = intern(w, "its reader count is impossible");
			break;
		}
		snapshot_object_flag(o, "writer_pending", pending);
		snapshot_object_fact(o, "readers", holding);
		snapshot_object_fact(o, "readers_waiting", queued);
		break;
	}
	case WOBJ_SYNC_WAITGROUP: {
		/* sync/waitgroup.go: state = counter << 32 | waiters (go1.25+:
		 * bit 31 marks a synctest bubble) */
		uint64_t st;
		if (!has(w, GL_wg_state) || (!state_at && golayout_size(w->l, GL_wg_state) != 8) ||
		    !read_exact(w, state_at ? state_at : base + off(w, GL_wg_state), &st, 8)) {
			o->note = intern(w, "its state is unknown");
			break;
		}
		int32_t counter = (int32_t)(st >> 32);
		uint32_t waiters = (uint32_t)st & 0x7fffffffu;
		if (counter <= 0 || !waiters) {
			o->note = internf(w, "its state (0x%" PRIx64 ") does not show a waiter", st);
			break;
		}
		snapshot_object_fact(o, "counter", counter);
		snapshot_object_fact(o, "waiters", waiters);
		break;
	}
	case WOBJ_SYNC_COND: {
		/* runtime/sema.go: notifyList tickets; wait - notify wait */
		if (!has(w, GL_cond_notify) || !word_at(w, base + off(w, GL_cond_notify), GL_nl_wait, &v) ||
		    !word_at(w, base + off(w, GL_cond_notify), GL_nl_notify, &v2)) {
			o->note = intern(w, "its state is unknown");
			break;
		}
		uint32_t n = (uint32_t)v - (uint32_t)v2;
		if (!n || n > (1u << 30)) {
			o->note = intern(w, "its notify list does not show a waiter");
			break;
		}
		snapshot_object_fact(o, "waiters", n);
		break;
	}
	default:
		break;
	}
}

static void sync_wait(struct gw *w, struct snap_goroutine *g, const struct gowaits_raw *r)
{
	bool via_mutex;
	enum sync_site site = sync_site(g, &via_mutex);
	enum wobj_kind kind;
	/* from the semaphore (or notify list) to the object around it */
	int64_t back;
	bool ok = true, state1 = false;
	if (reason_is(g, "sync.Cond.Wait") || site == SS_COND) {
		kind = WOBJ_SYNC_COND;
		back = c_or(w, GL_cond_notify, -1);
	} else if (reason_is(g, "sync.WaitGroup.Wait") || site == SS_WAITGROUP) {
		kind = WOBJ_SYNC_WAITGROUP;
		/* go1.17's state1 [3]uint32: where the semaphore is depends on
		 * the group's alignment (below) */
		state1 = has(w, GL_wg_state) && golayout_size(w->l, GL_wg_state) == 12 && !has(w, GL_wg_sema);
		back = state1 ? 0 : c_or(w, GL_wg_sema, -1);
		ok = state1 || golayout_size(w->l, GL_wg_state) == 8;
	} else if (reason_is(g, "sync.RWMutex.RLock") || (site == SS_RW_RLOCK && reason_is(g, "semacquire"))) {
		kind = WOBJ_SYNC_RWMUTEX;
		back = c_or(w, GL_rw_readersem, -1);
	} else if (site == SS_RW_LOCK && via_mutex) {
		/* waiting for another writer: on the semaphore of its w Mutex
		 * (sync/rwmutex.go: Lock takes rw.w first) */
		kind = WOBJ_SYNC_RWMUTEX;
		back = has(w, GL_rw_w) && has(w, GL_mu_sema) ? c_or(w, GL_rw_w, 0) + c_or(w, GL_mu_sema, 0) : -1;
	} else if (reason_is(g, "sync.RWMutex.Lock") || (site == SS_RW_LOCK && reason_is(g, "semacquire"))) {
		/* waiting for the readers to leave: on writerSem */
		kind = WOBJ_SYNC_RWMUTEX;
		back = c_or(w, GL_rw_writersem, -1);
	} else if (reason_is(g, "sync.Mutex.Lock") || site == SS_MUTEX) {
		kind = WOBJ_SYNC_MUTEX;
		back = c_or(w, GL_mu_sema, -1);
	} else {
		return; /* a semaphore of something else */
	}
	struct snap_wait *wt = &g->waits_on;
	wt->kind = kind;
	const char *ver = w->snap->go_version ? w->snap->go_version : "this release";
	size_t ssz = struct_size(w, GL_sg_size);
	unsigned char sg[OBJ_MAX];
	uint64_t elem = 0;
	if (back < 0 || !ok || !ssz) {
		wt->note = internf(w, "the layout of %s does not say where it is", wobj_kind_name(kind));
		return;
	}
	if (!w->sema_linked && kind == WOBJ_SYNC_COND) {
		/* its sudog is on the Cond's own list, which only its stack
		 * leads to */
		const char *why = cond_from_stack(w, r, &elem);
		if (why) {
			wt->note = internf(w, "%s does not record which sync.Cond a goroutine waits on (go1.26 and later do), and %s", ver, why);
			return;
		}
	} else if (!w->sema_linked) {
		/* before go1.26 the semaphore table is the only record */
		elem = sema_of(w, r->gp);
		if (!elem) {
			wt->note = w->sema_why ? internf(w, "%s records the semaphore only in its semaphore table, and %s", ver, w->sema_why)
					       : intern(w, "the goroutine is not in the runtime's semaphore table (it may be waking up)");
			return;
		}
	} else if (!has(w, GL_g_waiting) || !r->waiting || !own_sudog(w, r->waiting, r->gp, sg, ssz) ||
		   !member_ptr(w, sg, ssz, GL_sg_elem, GL_sg_elem_vu, &elem) || !elem) {
		wt->note = intern(w, "its wait record does not read as one (the goroutine may be waking up)");
		return;
	}
	/* sync/waitgroup.go at go1.17: state() takes the 8-aligned half of
	 * state1 as the state, the other word as the semaphore: state1[2]
	 * when state1 is 8-aligned, else state1[0] */
	uint64_t state_at = 0;
	if (state1) {
		uint64_t s1 = elem % 8 == 0 ? elem - 8 : elem % 8 == 4 ? elem : 0;
		if (!s1 || s1 < (uint64_t)off(w, GL_wg_state)) {
			wt->note = intern(w, "its semaphore address is impossible");
			return;
		}
		back = (int64_t)(elem - s1) + off(w, GL_wg_state);
		state_at = s1 % 8 == 0 ? s1 : s1 + 4;
	}
	if (elem < (uint64_t)back) {
		wt->note = intern(w, "its semaphore address is impossible");
		return;
	}
	uint64_t base = elem - (uint64_t)back;
	bool is_new;
	uint32_t ref = snapshot_object_for(w->snap, kind, base, &is_new);
	wt->object = ref;
	if (!is_new)
		return;
	struct snap_object *o = object(w, ref);
	o->addr = base;
	o->name = go_name(w, base);
	/* Go's mutexes keep no owner (sync/mutex.go); a WaitGroup or a Cond
	 * has none to keep */
	o->owner_state = WOWNER_NOT_RECORDED;
	sync_facts(w, ref, kind, base, kind == WOBJ_SYNC_RWMUTEX && site == SS_RW_LOCK && via_mutex, state_at);
}

/* --- timers ------------------------------------------------------------------------ */

static void sleep_wait(struct gw *w, struct snap_goroutine *g, const struct gowaits_raw *r)
{
	struct snap_wait *wt = &g->waits_on;
	wt->kind = WOBJ_TIMER;
	if (!r->timer) {
		wt->note = intern(w, "the goroutine records no timer (the runtime's own sleeps, the scavenger's, keep theirs elsewhere)");
		return;
	}
	/* time.go: timeSleep sets g.sleepWhen from go1.23 on, the timer's
	 * nextwhen before (resetForSleep arms the timer with it) */
	int64_t when = 0;
	if (has(w, GL_g_sleepwhen)) {
		when = r->sleepwhen;
	} else if (has(w, GL_tm_nextwhen)) {
		uint64_t v;
		if (read_exact(w, r->timer + off(w, GL_tm_nextwhen), &v, 8))
			when = (int64_t)v;
	}
	bool is_new;
	uint32_t ref = snapshot_object_for(w->snap, WOBJ_TIMER, r->timer, &is_new);
	wt->object = ref;
	if (!is_new)
		return;
	struct snap_object *o = object(w, ref);
	o->addr = r->timer;
	o->owner_state = WOWNER_NOT_RECORDED;
	if (when <= 0) {
		o->note = intern(w, "its wake time is unknown");
		return;
	}
	snapshot_object_fact(o, "when_ns", when);
	/* A core's "now" is its file's mtime carried to the runtime's clock
	 * (golang.c), later than the crash if the file was copied or extracted
	 * afterwards.  The goroutine still slept when the process died, so its
	 * timer had not fired (timers run within ms): one due more than 2 s
	 * before that "now" proves the clock wrong, not the timer late. */
	if (w->now > 0 && w->snap->source != SNAP_LIVE && when < w->now - 2000000000LL)
		o->note = intern(w, "its wake time from now is unknown: the core's file is newer than the crash (copied or extracted later?)");
	else if (w->now > 0)
		snapshot_object_fact(o, "wakes_in_ms", (when - w->now) / 1000000);
}

/* --- IO wait ----------------------------------------------------------------------- */

static int cmp_iowaiter(const void *a, const void *b)
{
	const struct iowaiter *x = a, *y = b;
	return (x->g > y->g) - (x->g < y->g);
}

/* Live: each fd the runtime's poller registered with epoll, its
 * pollDesc from the registration's data word, and who is parked on it:
 * pd.rg (reading) or pd.wg (writing) holds the goroutine.  The data word
 * is the pollDesc pointer through go1.19 and a tagged pointer from
 * go1.20 on (netpoll_epoll.go): pointer << 16 | sequence while amd64
 * addresses count 48 bits (tagptr_64bit.go at go1.20-go1.23), pointer <<
 * 15 since they count 49 (at go1.26.8, go1.27.3).  Each candidate must
 * name the fd and itself (pd.self) before it is believed, so a wrong one
 * is never taken. */
static void io_index(struct gw *w)
{
	w->io_read = true;
	size_t psz = struct_size(w, GL_pd_size);
	if (!psz || !has(w, GL_pd_fd) || !has(w, GL_pd_rg) || !has(w, GL_pd_wg))
		return;
	int *fds = xmalloc(EPOLL_MAX * sizeof(*fds));
	uint64_t *data = xmalloc(EPOLL_MAX * sizeof(*data));
	long n = fdinfo_epoll_all(w->snap, fds, data, EPOLL_MAX);
	size_t cap = 0;
	unsigned char pd[OBJ_MAX];
	for (long i = 0; i < n && i < EPOLL_MAX; i++) {
		uint64_t cand[2] = {data[i], 0}, p = 0, fd, self, rg, wg;
		if (has(w, GL_pd_fdseq)) {
			cand[0] = (uint64_t)((int64_t)data[i] >> 16) & ~(uint64_t)7;
			cand[1] = (uint64_t)((int64_t)data[i] >> 15) & ~(uint64_t)7;
		}
		for (int c = 0; c < 2 && !p; c++)
			if (cand[c] && read_exact(w, cand[c], pd, psz) && member(w, pd, psz, GL_pd_fd, &fd) &&
			    fd == (uint64_t)(uint32_t)fds[i] && member(w, pd, psz, GL_pd_self, &self) && self == cand[c])
				p = cand[c];
		if (!p || !member(w, pd, psz, GL_pd_rg, &rg) || !member(w, pd, psz, GL_pd_wg, &wg))
			continue;
		/* pdReady 1, pdWait 2 (netpoll.go): anything else is a goroutine */
		for (int k = 0; k < 2; k++) {
			uint64_t g = k ? wg : rg;
			if (g <= 2)
				continue;
			xgrow(&w->io, &cap, w->nio + 1, sizeof(*w->io));
			w->io[w->nio++] = (struct iowaiter){g, fds[i], k == 1};
		}
	}
	free(fds);
	free(data);
	if (w->nio)
		qsort(w->io, w->nio, sizeof(*w->io), cmp_iowaiter);
}

/* The pollDesc at p (its index + 1 in w->pd), or 0 when there is none:
 * a pollDesc keeps its own address in self (netpoll.go: makeArg, go1.17
 * to go1.27.3) and an fd (an int in the kernel). */
static uint32_t pd_at(struct gw *w, uint64_t p)
{
	if (!p || (p & 7))
		return 0;
	bool fresh;
	uint32_t *slot = memo_slot(&w->pdmemo, p, &fresh);
	if (!fresh)
		return *slot;
	size_t psz = struct_size(w, GL_pd_size);
	unsigned char pd[OBJ_MAX];
	uint64_t fd, self, rg, wg;
	if (!psz || !read_exact(w, p, pd, psz) || !member(w, pd, psz, GL_pd_self, &self) || self != p ||
	    !member(w, pd, psz, GL_pd_fd, &fd) || fd > INT32_MAX || !member(w, pd, psz, GL_pd_rg, &rg) ||
	    !member(w, pd, psz, GL_pd_wg, &wg))
		return 0;
	xgrow(&w->pd, &w->cappd, w->npd + 1, sizeof(*w->pd));
	w->pd[w->npd++] = (struct pdent){p, rg, wg, (int)fd};
	*slot = (uint32_t)w->npd; /* (pdmemo is not touched in between) */
	return *slot;
}

/* The fd goroutine r is parked on, from the words of its parked frames:
 * netpollblock keeps gpp (&pd.rg or &pd.wg) across its gopark, and
 * poll_runtime_pollWait keeps pd across netpollblock (netpoll.go, go1.17
 * to go1.27.3).  A pollDesc is believed when its rg (a read) or wg (a
 * write) holds this goroutine: netpollblockcommit stores the g there as
 * it parks, and netpollunblock takes it out to wake it, so no other
 * pollDesc can hold it.  NULL and *fd, or why not. */
static const char *io_from_stack(struct gw *w, const struct gowaits_raw *r, int *fd)
{
	if (!has(w, GL_pd_self) || !has(w, GL_pd_fd) || !has(w, GL_pd_rg) || !has(w, GL_pd_wg) ||
	    !struct_size(w, GL_pd_size))
		return "the pollDesc layout of this release is not known";
	uint64_t words[SCAN_WORDS];
	size_t n = park_words(w, r, words);
	if (!n)
		return "its stack is unreadable";
	uint64_t offs[3] = {0, off(w, GL_pd_rg), off(w, GL_pd_wg)};
	uint32_t found = 0;
	size_t at = 0;
	/* the first that holds it: no other can (each word that is no
	 * pollDesc is read once, for all goroutines) */
	for (size_t i = 0; i < n && !found; i++)
		for (int c = 0; c < 3 && !found; c++) {
			uint64_t p = words[i] - offs[c];
			if (words[i] < offs[c] || (p >= r->sp && p < r->stack_hi))
				continue; /* its own frames */
			uint32_t k = pd_at(w, p);
			if (k && (w->pd[k - 1].rg == r->gp || w->pd[k - 1].wg == r->gp))
				found = k, at = i;
		}
	if (!found)
		return "no pollDesc its stack leads to holds it (it may be waking up)";
	*fd = w->pd[found - 1].fd;
	if (w->debug)
		fprintf(stderr, "pileup: go: g 0x%" PRIx64 " in IO wait: pollDesc 0x%" PRIx64 " (fd %d), from its stack at 0x%" PRIx64 " (sp+%zu)\n",
			r->gp, w->pd[found - 1].addr, *fd, r->sp + at * 8, at * 8);
	return NULL;
}

static void io_wait(struct gw *w, struct snap_goroutine *g, const struct gowaits_raw *r)
{
	struct snap_wait *wt = &g->waits_on;
	wt->kind = WOBJ_FD;
	bool live = w->snap->source == SNAP_LIVE;
	int fd = -1;
	if (live) {
		if (!w->io_read)
			io_index(w);
		struct iowaiter key = {r->gp, 0, false};
		const struct iowaiter *e = w->nio ? bsearch(&key, w->io, w->nio, sizeof(*w->io), cmp_iowaiter) : NULL;
		if (e)
			fd = e->fd;
	}
	/* a core has no epoll registrations: the goroutine's own frames
	 * (live too, when those do not name it) */
	const char *why = fd < 0 ? io_from_stack(w, r, &fd) : NULL;
	if (fd < 0) {
		wt->note = live ? internf(w, "not parked on any fd the runtime's poller watches, and %s", why) : intern(w, why);
		return;
	}
	bool is_new;
	uint32_t ref = snapshot_object_for(w->snap, WOBJ_FD, (uint64_t)(uint32_t)fd, &is_new);
	wt->object = ref;
	if (!is_new)
		return;
	struct snap_object *o = object(w, ref);
	o->fd = fd;
	o->owner_state = WOWNER_NOT_RECORDED;
	struct fdinfo_desc d;
	if (fdinfo_describe(w->snap, fd, &d)) {
		o->type = intern(w, d.type);
		o->desc = d.desc;
	} else if (live) {
		o->note = intern(w, "not open (any more)");
	} else {
		o->note = intern(w, "endpoints unknown: a core has no fd table");
	}
}

/* --- the pass ------------------------------------------------------------------------ */

static bool starts(const char *s, const char *p)
{
	return s && !strncmp(s, p, strlen(p));
}

void gowaits_parse(const struct golayout *l, uint64_t gp, const unsigned char *desc, struct gowaits_raw *out)
{
	memset(out, 0, sizeof(*out));
	out->gp = gp;
	/* g_read covers these (layout.c) when the layout has them */
	if (golayout_has(l, GL_g_waiting) && (uint32_t)golayout_get(l, GL_g_waiting) + 8 <= l->g_read)
		memcpy(&out->waiting, desc + golayout_get(l, GL_g_waiting), 8);
	if (golayout_has(l, GL_g_timer) && (uint32_t)golayout_get(l, GL_g_timer) + 8 <= l->g_read)
		memcpy(&out->timer, desc + golayout_get(l, GL_g_timer), 8);
	if (golayout_has(l, GL_g_sleepwhen) && (uint32_t)golayout_get(l, GL_g_sleepwhen) + 8 <= l->g_read)
		memcpy(&out->sleepwhen, desc + golayout_get(l, GL_g_sleepwhen), 8);
	memcpy(&out->sp, desc + l->g_sched_sp, 8);
	memcpy(&out->stack_hi, desc + l->g_stack_hi, 8);
}

void gowaits_resolve(struct snapshot *snap, const struct golayout *l, const struct gobin *b,
		     const struct gowaits_raw *raw, size_t n, int64_t now_ns)
{
	struct gw w = {.snap = snap, .l = l, .b = b, .now = now_ns, .queue_max = 2 * n + 64};
	/* sema.go at go1.26.8 and go1.27.3: semaRoot.queue and notifyListWait
	 * store the sudog in g.waiting (for the leak detector); go1.25 and
	 * earlier do not */
	w.sema_linked = snap->go_version && golayout_version_at_least(snap->go_version, 1, 26);
	uint64_t md = l->firstmoduledata, types = 0, etypes = 0;
	if (md && golayout_has(l, GL_md_types) && golayout_has(l, GL_md_etypes) &&
	    gobin_read(b, snap, md - b->bias + (uint64_t)golayout_get(l, GL_md_types), &types, 8) == 8 &&
	    gobin_read(b, snap, md - b->bias + (uint64_t)golayout_get(l, GL_md_etypes), &etypes, 8) == 8 &&
	    types >= b->bias && etypes > types && etypes - types <= (256u << 20)) {
		w.types = types;
		w.etypes = etypes;
	}
	w.debug = getenv("PILEUP_GO_DEBUG") != NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	prefetch(&w, raw, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getenv("PILEUP_GO_DEBUG"))
		fprintf(stderr, "pileup: go: waits read ahead in %.1f ms\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	for (size_t i = 0; i < n; i++) {
		struct snap_goroutine *g = &snap->goroutines[i];
		const char *r = g->wait_reason;
		/* a goroutine Go's leak detector marked (_Gleaked, go1.26 on:
		 * mgc.go) keeps its wait reason and wait list */
		if (!r || !g->status || (strcmp(g->status, "waiting") != 0 && strcmp(g->status, "leaked") != 0))
			continue;
		if (!w.names)
			w.names = objnamer_create(snap);
		if (!strcmp(r, "chan send (nil chan)") || !strcmp(r, "chan receive (nil chan)"))
			chan_wait(&w, g, &raw[i], true, false);
		else if (!strcmp(r, "select (no cases)"))
			g->waits_on = (struct snap_wait){.kind = WOBJ_SELECT, .note = intern(&w, "select {}: no cases, blocks forever")};
		else if (starts(r, "chan send") || starts(r, "chan receive"))
			chan_wait(&w, g, &raw[i], false, false);
		else if (starts(r, "select"))
			chan_wait(&w, g, &raw[i], false, true);
		else if (!strcmp(r, "sleep"))
			sleep_wait(&w, g, &raw[i]);
		else if (starts(r, "sync.") || !strcmp(r, "semacquire"))
			sync_wait(&w, g, &raw[i]);
		else if (!strcmp(r, "IO wait"))
			io_wait(&w, g, &raw[i]);
	}
	if (w.names)
		objnamer_destroy(w.names);
	free(w.sema);
	free(w.io);
	free(w.pd);
	free(w.lists);
	memo_free(&w.pdmemo);
	memo_free(&w.nlmemo);
	memo_free(&w.condg);
	pf_free(&w.pf);
}
