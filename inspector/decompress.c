#include "decompress.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

enum { CHUNK = 1 << 20 };

enum compress_kind decompress_detect(const void *head, size_t n)
{
	const unsigned char *h = head;
	if (n >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
		return COMPRESS_ZSTD;
	if (n >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0)
		return COMPRESS_XZ;
	if (n >= 4 && h[0] == 0x04 && h[1] == 0x22 && h[2] == 0x4d && h[3] == 0x18)
		return COMPRESS_LZ4;
	if (n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8)
		return COMPRESS_GZIP;
	return COMPRESS_NONE;
}

const char *decompress_name(enum compress_kind k)
{
	switch (k) {
	case COMPRESS_ZSTD: return "zstd";
	case COMPRESS_XZ: return "xz";
	case COMPRESS_LZ4: return "lz4";
	case COMPRESS_GZIP: return "gzip";
	case COMPRESS_NONE: break;
	}
	return "uncompressed";
}

/* An anonymous file in a directory meant for big files: /tmp is often
 * a tmpfs, which would hold a decompressed core in memory. */
int decompress_open_tmpfile(const char **dir_out)
{
	const char *dirs[3] = {getenv("TMPDIR"), "/var/tmp", "/tmp"};
	for (int i = 0; i < 3; i++) {
		const char *dir = dirs[i];
		if (!dir || !*dir)
			continue;
		*dir_out = dir;
		int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		/* No O_TMPFILE here (some file systems): a name, unlinked at once. */
		char *path = xasprintf("%s/pileup-core.XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
		free(path);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

struct sink {
	int fd;
	uint64_t written; /* bytes of output so far (holes included) */
	int err;          /* errno of a failed write */
};

/* Whether n bytes (at most a page) are all zero; memcmp is vectorized. */
static bool all_zero(const unsigned char *p, size_t n)
{
	static const unsigned char zeros[4096];
	return memcmp(p, zeros, n) == 0;
}

/* Appends n bytes; pages of zeros become holes, as in the kernel's own
 * cores (a 10,000-thread core is mostly untouched stack). */
static bool sink_write(struct sink *s, const void *buf, size_t n)
{
	enum { PAGE = 4096 };
	const unsigned char *p = buf;
	while (n) {
		size_t k = PAGE - (size_t)(s->written % PAGE);
		if (k > n)
			k = n;
		if (!all_zero(p, k)) {
			ssize_t w = pwrite(s->fd, p, k, (off_t)s->written);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				s->err = w < 0 ? errno : ENOSPC;
				return false;
			}
			k = (size_t)w;
		}
		p += k;
		n -= k;
		s->written += k;
	}
	return true;
}

/* Reads up to CHUNK bytes; 0 at the end, -1 on error (errno set). */
static ssize_t source_read(int fd, void *buf)
{
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}

/* Each decoder streams fd into the sink and returns NULL when the data
 * ended cleanly, or a malloc'd phrase saying how it ended. */

static char *run_zstd(int fd, struct sink *s, unsigned char *in, unsigned char *out)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	if (!z)
		return xstrdup("could not be decoded (out of memory)");
	ZSTD_initDStream(z);
	size_t last = 0;
	bool any = false;
	char *why = NULL;
	for (;;) {
		ssize_t n = source_read(fd, in);
		if (n < 0) {
			why = xasprintf("could not be read (%s)", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		any = true;
		ZSTD_inBuffer ib = {in, (size_t)n, 0};
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = {out, CHUNK, 0};
			last = ZSTD_decompressStream(z, &ob, &ib);
			if (ZSTD_isError(last)) {
				why = xasprintf("is corrupt (%s)", ZSTD_getErrorName(last));
				break;
			}
			if (!sink_write(s, out, ob.pos))
				break;
		}
		if (why || s->err)
			break;
	}
	/* Flush what the decoder still holds. */
	while (!why && !s->err && any && last != 0) {
		ZSTD_inBuffer ib = {in, 0, 0};
		ZSTD_outBuffer ob = {out, CHUNK, 0};
		size_t r = ZSTD_decompressStream(z, &ob, &ib);
		if (ZSTD_isError(r) || ob.pos == 0) {
			why = xstrdup("ends early");
			break;
		}
		last = r;
		sink_write(s, out, ob.pos);
	}
	ZSTD_freeDStream(z);
	return why;
}

static char *run_xz(int fd, struct sink *s, unsigned char *in, unsigned char *out)
{
	lzma_stream z = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&z, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return xstrdup("could not be decoded (out of memory)");
	char *why = NULL;
	bool eof = false;
	for (;;) {
		if (z.avail_in == 0 && !eof) {
			ssize_t n = source_read(fd, in);
			if (n < 0) {
				why = xasprintf("could not be read (%s)", strerror(errno));
				break;
			}
			eof = n == 0;
			z.next_in = in;
			z.avail_in = (size_t)n;
		}
		z.next_out = out;
		z.avail_out = CHUNK;
		lzma_ret r = lzma_code(&z, eof ? LZMA_FINISH : LZMA_RUN);
		if (!sink_write(s, out, CHUNK - z.avail_out))
			break;
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_BUF_ERROR && eof) {
			why = xstrdup("ends early");
			break;
		}
		if (r != LZMA_OK) {
			why = xasprintf("is corrupt (liblzma error %d)", (int)r);
			break;
		}
	}
	lzma_end(&z);
	return why;
}

static char *run_lz4(int fd, struct sink *s, unsigned char *in, unsigned char *out)
{
	LZ4F_dctx *z;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&z, LZ4F_VERSION)))
		return xstrdup("could not be decoded (out of memory)");
	size_t hint = 1;
	char *why = NULL;
	for (;;) {
		ssize_t n = source_read(fd, in);
		if (n < 0) {
			why = xasprintf("could not be read (%s)", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		size_t pos = 0;
		while (pos < (size_t)n) {
			size_t isz = (size_t)n - pos, osz = CHUNK;
			hint = LZ4F_decompress(z, out, &osz, in + pos, &isz, NULL);
			if (LZ4F_isError(hint)) {
				why = xasprintf("is corrupt (%s)", LZ4F_getErrorName(hint));
				break;
			}
			pos += isz;
			if (!sink_write(s, out, osz))
				break;
		}
		if (why || s->err)
			break;
	}
	/* Output the decoder could not hand over for lack of room. */
	while (!why && !s->err && hint != 0) {
		size_t isz = 0, osz = CHUNK;
		size_t r = LZ4F_decompress(z, out, &osz, NULL, &isz, NULL);
		if (LZ4F_isError(r) || osz == 0) {
			why = xstrdup("ends early");
			break;
		}
		hint = r;
		sink_write(s, out, osz);
	}
	LZ4F_freeDecompressionContext(z);
	return why;
}

static char *run_gzip(int fd, struct sink *s, unsigned char *in, unsigned char *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return xstrdup("could not be decoded (out of memory)");
	char *why = NULL;
	bool ended = false;
	for (;;) {
		if (z.avail_in == 0) {
			ssize_t n = source_read(fd, in);
			if (n < 0) {
				why = xasprintf("could not be read (%s)", strerror(errno));
				break;
			}
			if (n == 0) {
				if (!ended)
					why = xstrdup("ends early");
				break;
			}
			z.next_in = in;
			z.avail_in = (uInt)n;
		}
		if (ended) {
			/* gzip files may hold several members, one after another. */
			inflateReset(&z);
			ended = false;
		}
		z.next_out = out;
		z.avail_out = CHUNK;
		int r = inflate(&z, Z_NO_FLUSH);
		if (!sink_write(s, out, CHUNK - z.avail_out))
			break;
		if (r == Z_STREAM_END) {
			ended = true;
			continue;
		}
		if (r != Z_OK && r != Z_BUF_ERROR) {
			why = xasprintf("is corrupt (%s)", z.msg ? z.msg : "zlib error");
			break;
		}
	}
	inflateEnd(&z);
	return why;
}

static void human(uint64_t n, char *buf, size_t size)
{
	if (n >= (10ull << 20))
		snprintf(buf, size, "%llu MB", (unsigned long long)(n >> 20));
	else if (n >= (10ull << 10))
		snprintf(buf, size, "%llu KB", (unsigned long long)(n >> 10));
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)n);
}

struct pu_error *decompress_to_tmpfile(int fd, enum compress_kind k, const char *name, int *ret, char **damage)
{
	*ret = -1;
	*damage = NULL;
	const char *dir = "/tmp";
	int out_fd = decompress_open_tmpfile(&dir);
	if (out_fd < 0)
		return pu_error_new(PU_EXIT_USAGE, "cannot create a temporary file to decompress %s into: %s; set TMPDIR to a writable directory",
				    name, strerror(errno));
	struct sink s = {out_fd, 0, 0};
	unsigned char *in = xmalloc(CHUNK), *out = xmalloc(CHUNK);
	char *why = NULL;
	switch (k) {
	case COMPRESS_ZSTD: why = run_zstd(fd, &s, in, out); break;
	case COMPRESS_XZ: why = run_xz(fd, &s, in, out); break;
	case COMPRESS_LZ4: why = run_lz4(fd, &s, in, out); break;
	case COMPRESS_GZIP: why = run_gzip(fd, &s, in, out); break;
	case COMPRESS_NONE: why = xstrdup("is not compressed"); break;
	}
	free(in);
	free(out);
	char size[32];
	human(s.written, size, sizeof(size));
	struct pu_error *err = NULL;
	if (s.err)
		err = pu_error_new(PU_EXIT_USAGE, "decompressing %s into %s failed after %s: %s; set TMPDIR to a directory with more room",
				   name, dir, size, strerror(s.err));
	else if (s.written == 0)
		err = pu_error_new(PU_EXIT_USAGE, "%s: the %s data %s and holds nothing; is the file complete?", name,
				   decompress_name(k), why ? why : "is empty");
	if (err) {
		free(why);
		close(out_fd);
		return err;
	}
	if (why) {
		*damage = xasprintf("the %s data %s after %s of core", decompress_name(k), why, size);
		free(why);
	}
	/* The holes at the end, if any. */
	if (ftruncate(out_fd, (off_t)s.written) != 0) {
		err = pu_error_new(PU_EXIT_USAGE, "decompressing %s into %s failed: %s; set TMPDIR to a directory with more room", name, dir,
				   strerror(errno));
		free(*damage);
		*damage = NULL;
		close(out_fd);
		return err;
	}
	*ret = out_fd;
	return NULL;
}
