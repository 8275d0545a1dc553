#include "timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t timing_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int on = -1;
static uint64_t run_start;
static struct {
	const char *area;
	uint64_t last;
} areas[8];

bool timing_on(void)
{
	if (on < 0) {
		const char *e = getenv("PILEUP_TIMING");
		on = e && *e && strcmp(e, "0") != 0;
		run_start = timing_now_us();
	}
	return on;
}

static uint64_t *last_of(const char *area)
{
	for (size_t i = 0; i < sizeof(areas) / sizeof(*areas); i++) {
		if (areas[i].area && strcmp(areas[i].area, area) == 0)
			return &areas[i].last;
		if (!areas[i].area) {
			areas[i].area = area;
			areas[i].last = run_start;
			return &areas[i].last;
		}
	}
	return &areas[0].last;
}

void timing_begin(const char *area)
{
	if (timing_on())
		*last_of(area) = timing_now_us();
}

void timing_mark(const char *area, const char *what)
{
	if (!timing_on())
		return;
	uint64_t t = timing_now_us(), *last = last_of(area);
	if (what)
		fprintf(stderr, "pileup: %s: %-24s %8.2f ms (at %.2f ms)\n", area, what, (double)(t - *last) / 1000.0,
			(double)(t - run_start) / 1000.0);
	*last = t;
}
