/* timing.h - PILEUP_TIMING=1: where a run's time goes, on stderr.
 *
 * Each mark prints the time since the previous mark of the same area and
 * since main() began ("pileup: core: notes 0.6 ms (at 1.4 ms)"), so one
 * run shows both the phase and its place in the whole. */
#ifndef PILEUP_TIMING_H
#define PILEUP_TIMING_H

#include <stdbool.h>
#include <stdint.h>

/* Microseconds on the monotonic clock. */
uint64_t timing_now_us(void);
/* Whether PILEUP_TIMING is set (looked up once). */
bool timing_on(void);
/* Starts the clock of area (and of the run, the first time). */
void timing_begin(const char *area);
/* Prints what took since the area's previous mark; NULL only restarts. */
void timing_mark(const char *area, const char *what);

#endif
