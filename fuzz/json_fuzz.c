/* json_fuzz.c - libFuzzer target: any bytes as a saved pileup report.
 *
 * A saved report comes from other machines (pileup FILE.json, diff, merge),
 * so its reader (inspector/snapshot_json.c) gets what the core and dump
 * readers get: every input is parsed, and one that parses is grouped and
 * written as text and as JSON versions 1 and 2; the version 2 report is
 * then read back, which must succeed (what pileup writes, pileup reads).
 * pileup must give a report or one error line, never crash, hang or leak.
 * Seeds: fuzz/json-seeds/ (reports of both versions, small); findings:
 * fuzz/json-regressions/ (tests/t_json2.sh replays both). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyze.h"
#include "report.h"
#include "snapshot_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	struct snapshot *snap = NULL;
	struct pu_error *err = snapshot_json_parse("fuzz", (const char *)data, size, &snap);
	if (err) {
		pu_error_free(err);
		return 0;
	}
	struct analyze_opts ao = {.dominant_pct = 20};
	struct analysis a;
	if (!analyze_snapshot(snap, &ao, &a)) {
		report_text(devnull, &a.report);
		struct report r = a.report;
		r.json_version = 1;
		report_json(devnull, &r);
		char *buf = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);
		if (mem) {
			r.json_version = 2;
			report_json(mem, &r);
			fclose(mem);
			struct snapshot *again = NULL;
			err = snapshot_json_parse("fuzz-v2", buf, len, &again);
			if (err) {
				fprintf(stderr, "the version 2 report of a report read does not read back: %s\n", err->msg);
				abort();
			}
			snapshot_destroy(again);
			free(buf);
		}
		analysis_deinit(&a);
	}
	snapshot_destroy(snap);
	return 0;
}
