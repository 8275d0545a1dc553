#include "progress.h"
#include "timing.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	bool active, drawn, tty_known, tty;
	const char *what;
	uint64_t start_us, drawn_us, delay_us;
} pr;

void progress_begin(const char *what)
{
	if (!pr.tty_known) {
		pr.tty = isatty(STDERR_FILENO);
		pr.tty_known = true;
		/* PILEUP_PROGRESS_DELAY_MS: for tests, whose work may be quicker
		 * than the delay on a quiet machine and slower on a loaded one */
		const char *d = getenv("PILEUP_PROGRESS_DELAY_MS");
		char *end;
		unsigned long ms = d && *d ? strtoul(d, &end, 10) : PROGRESS_DELAY_MS;
		if (d && *d && (*end || ms > 60000))
			ms = PROGRESS_DELAY_MS;
		pr.delay_us = (uint64_t)ms * 1000u;
	}
	pr.active = pr.tty;
	pr.what = what;
	pr.start_us = timing_now_us();
	pr.drawn_us = 0;
}

static void draw(const char *how)
{
	uint64_t now = timing_now_us();
	if (!pr.active || now - pr.start_us < pr.delay_us || (pr.drawn && now - pr.drawn_us < 100000u))
		return;
	/* \r and erase-to-end: the line is rewritten in place */
	fprintf(stderr, "\r\033[Kpileup: %s%s%s", pr.what, how[0] ? ": " : "", how);
	fflush(stderr);
	pr.drawn = true;
	pr.drawn_us = now;
}

void progress_update(size_t done, size_t total)
{
	char how[64];
	if (total)
		snprintf(how, sizeof(how), "%zu of %zu (%zu%%)", done, total, done * 100 / total);
	else
		snprintf(how, sizeof(how), "%zu", done);
	draw(how);
}

void progress_note(const char *note)
{
	draw(note);
}

void progress_end(void)
{
	if (pr.drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	pr.active = pr.drawn = false;
}
