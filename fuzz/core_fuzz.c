/* core_fuzz.c - libFuzzer target: any bytes as a core file.
 *
 * The input goes where a file named on the command line goes: through
 * decompression when it starts with a compressor's magic, then the core
 * reader, and with PILEUP_FUZZ_ANALYZE=1 the whole analysis after it
 * (libdwfl's core reporting, unwinding, Go, classification, grouping) and
 * both reports.  The analysis costs tens of milliseconds per input (it
 * opens the libraries a core names), the reader alone microseconds, so
 * fuzz/run.sh spends part of the budget on each (and on the Go seeds,
 * with PILEUP_FUZZ_EXE naming their program).  pileup must give a
 * report or one error line, never crash, hang or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyze.h"
#include "core.h"
#include "decompress.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;
static int analyze = -1;
static const char *exe;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (analyze < 0) {
		const char *e = getenv("PILEUP_FUZZ_ANALYZE");
		analyze = e && *e == '1';
		exe = getenv("PILEUP_FUZZ_EXE");
		if (exe && !*exe)
			exe = NULL;
		/* No cache files for the thousands of made-up programs. */
		setenv("PILEUP_CACHE_DIR", "", 1);
	}
	int fd = memfd_create("core", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char *damage = NULL;
	enum compress_kind k = decompress_detect(data, size);
	if (k != COMPRESS_NONE) {
		int plain;
		lseek(fd, 0, SEEK_SET);
		struct pu_error *err = decompress_to_tmpfile(fd, k, "fuzz", &plain, &damage);
		close(fd);
		if (err) {
			pu_error_free(err);
			return 0;
		}
		fd = plain;
	}
	/* PILEUP_FUZZ_EXE: the executable of the seeds (fuzz/go-seeds/: a Go
	 * core, whose goroutines and what they wait on are read only with
	 * the program at hand), as `pileup CORE EXE` names it. */
	struct core_opts o = {.damage = damage, .exe = exe};
	struct snapshot *snap;
	struct pu_error *err = core_open_fd(fd, "fuzz", &o, &snap);
	free(damage);
	if (err) {
		pu_error_free(err);
		return 0;
	}
	struct analyze_opts ao = {.dominant_pct = 20, .leaks = true}; /* Go cores: the heap walk too */
	struct analysis a;
	if (!analyze) {
		/* The reader's own work: every byte it serves. */
		for (size_t i = 0; i < snap->nthreads; i++) {
			unsigned char buf[64];
			snapshot_read(snap, snap->threads[i].regs.r[SNAP_REG_RSP], buf, sizeof(buf));
		}
		snapshot_destroy(snap);
		return 0;
	}
	err = analyze_snapshot(snap, &ao, &a);
	if (err) {
		pu_error_free(err);
	} else {
		report_text(devnull, &a.report);
		report_json(devnull, &a.report);
		analysis_deinit(&a);
	}
	snapshot_destroy(snap);
	return 0;
}
