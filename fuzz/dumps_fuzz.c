/* dumps_fuzz.c - libFuzzer target: any bytes as a Go dump.
 *
 * Every input goes through all three readers of what Go services publish
 * (input_gotrace.c, both halves of input_pprof.c), gzip first when it
 * starts like gzip (as target.c does), then grouping, the text and JSON
 * reports and the pprof writer.  pileup must give a report or one error
 * line, never crash, hang or leak.  Seeds: fuzz/dumps-seeds/; findings:
 * fuzz/dumps-regressions/ (tests/t_dumps_fuzz.sh replays both). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "analyze.h"
#include "input_gotrace.h"
#include "input_pprof.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void one(struct pu_error *err, struct snapshot *snap)
{
	if (err) {
		pu_error_free(err);
		return;
	}
	struct analyze_opts ao = {.dominant_pct = 20};
	struct analysis a;
	if (!analyze_snapshot(snap, &ao, &a)) {
		report_text(devnull, &a.report);
		report_json(devnull, &a.report);
		pu_error_free(report_pprof_write("/dev/null", &a.report));
		analysis_deinit(&a);
	}
	snapshot_destroy(snap);
}

/* gzip input, inflated (at most 16 MB), as target.c's decompression does */
static uint8_t *gunzip(const uint8_t *data, size_t size, size_t *out)
{
	z_stream z = {0};
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	z.next_in = (uint8_t *)data;
	z.avail_in = (uInt)size;
	int rc = Z_OK;
	while (rc == Z_OK && len < (16u << 20)) {
		if (len == cap)
			buf = realloc(buf, cap *= 2);
		z.next_out = buf + len;
		z.avail_out = (uInt)(cap - len);
		rc = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
	}
	inflateEnd(&z);
	*out = len;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	size_t n = size;
	uint8_t *plain = NULL;
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b && (plain = gunzip(data, size, &n)))
		data = plain;
	struct snapshot *snap = NULL;
	one(input_gotrace_parse("fuzz", (const char *)data, n, &snap), snap);
	if (input_pprof_is_text((const char *)data, n))
		one(input_pprof_parse_text("fuzz", (const char *)data, n, &snap), snap);
	one(input_pprof_parse_proto("fuzz", data, n, &snap), snap);
	free(plain);
	return 0;
}
