/* perfmap_fuzz.c - libFuzzer target for the perf map reader (perfmap.h):
 * a target's /tmp/perf-PID.map is the target's to write, so the parser
 * takes any bytes.  Each input is parsed, and looked up at its own entries'
 * edges and at addresses taken from its bytes.  `make fuzz-build` builds
 * it; tests/t_native_perfmap.sh replays fuzz/perfmap-seeds. */
#include "perfmap.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perfmap *m = perfmap_parse((const char *)data, size);
	size_t n = perfmap_count(m);
	for (size_t i = 0; i + 8 <= size && i < 512; i += 8) {
		uint64_t pc;
		memcpy(&pc, data + i, 8);
		const char *name;
		uint64_t start;
		if (perfmap_lookup(m, pc, &name, &start))
			(void)strlen(name);
		(void)perfmap_lookup(m, pc & 0xffffffff, &name, &start);
	}
	(void)n;
	perfmap_destroy(m);
	return 0;
}
