/* term.c - the terminal: curses on and off, signals, the scripted screen.
 *
 * The terminal is restored by term_end() on the normal way out, by an
 * atexit() hook on exit() (fatal allocation failures), and by the handler
 * of fatal signals; SIGINT, SIGTERM, SIGHUP and SIGQUIT only set a flag
 * that the key loop reads, so they take the normal way out. */
#include "term.h"
#include "capture_live.h"
#include "draw.h"
#include "target.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

static SCREEN *screen;
static FILE *term_in, *term_out;
static volatile sig_atomic_t curses_active;
static volatile sig_atomic_t quit_signal;


static const int quit_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static struct sigaction old_quit[4], old_fatal[5];

static void on_quit_signal(int sig)
{
	/* A re-capture in progress sees this, detaches and fails. */
	if (target_capturing)
		capture_live_abort = 1;
	quit_signal = sig;
}

static void on_fatal_signal(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals); i++)
		if (fatal_signals[i] == sig)
			sigaction(sig, &old_fatal[i], NULL);
	/* A fault re-runs the instruction under the old action (the default,
	 * or a sanitizer's report); a signal that was sent is sent again. */
	if (info->si_code <= 0)
		raise(sig);
}

void term_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_quit_signal; /* no SA_RESTART: waits return and look */
	for (size_t i = 0; i < sizeof(quit_signals) / sizeof(*quit_signals); i++)
		sigaction(quit_signals[i], &sa, &old_quit[i]);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = on_fatal_signal;
	sa.sa_flags = SA_SIGINFO;
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals); i++)
		sigaction(fatal_signals[i], &sa, &old_fatal[i]);
}

void term_signals_restore(void)
{
	for (size_t i = 0; i < sizeof(quit_signals) / sizeof(*quit_signals); i++)
		sigaction(quit_signals[i], &old_quit[i], NULL);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals); i++)
		sigaction(fatal_signals[i], &old_fatal[i], NULL);
}

void term_end(void)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
	if (screen) {
		delscreen(screen);
		screen = NULL;
	}
	if (term_in && term_in != stdin)
		fclose(term_in);
	if (term_out && term_out != stdout)
		fclose(term_out);
	term_in = term_out = NULL;
}

static void at_exit(void)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
}

static bool locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
}

struct pu_error *term_start(bool scripted, int cols, int lines)
{
	static bool registered;
	if (!registered) {
		atexit(at_exit);
		registered = true;
	}
	setlocale(LC_CTYPE, "");
	bool utf8 = locale_utf8();
	if (scripted) {
		/* A virtual screen: curses writes to nowhere, we read its buffer. */
		term_out = fopen("/dev/null", "w");
		term_in = fopen("/dev/null", "r");
		if (!term_out || !term_in)
			return pu_error_new(PU_EXIT_USAGE, "cannot open /dev/null: %s", strerror(errno));
		static const char *const terms[] = {"xterm", "vt100", "ansi"};
		for (size_t i = 0; i < sizeof(terms) / sizeof(*terms) && !screen; i++)
			screen = newterm(terms[i], term_out, term_in);
	} else {
		term_in = stdin;
		term_out = stdout;
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			/* --tui with a redirection: browse on the controlling terminal. */
			term_out = fopen("/dev/tty", "w");
			term_in = term_out ? fopen("/dev/tty", "r") : NULL;
			if (!term_in)
				return pu_error_new(PU_EXIT_USAGE, "the browser needs a terminal and there is none (%s); drop --tui for the text report",
						    strerror(errno));
		}
		screen = newterm(NULL, term_out, term_in);
	}
	if (!screen) {
		const char *term = getenv("TERM");
		return pu_error_new(PU_EXIT_USAGE, "curses cannot drive the terminal (TERM=%s); set TERM to your terminal, e.g. xterm-256color, or use --text",
				    term ? term : "unset");
	}
	set_term(screen);
	curses_active = 1;
	if (scripted)
		resize_term(lines, cols);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (!scripted)
		wtimeout(stdscr, 250); /* look at signal flags a few times a second */
	int colours = 0;
	const char *no_color = getenv("NO_COLOR");
	if (!scripted && !(no_color && *no_color) && has_colors() && start_color() != ERR) {
		use_default_colors();
		colours = COLORS >= 256 && COLOR_PAIRS >= ROLE__COUNT ? 256 : COLORS >= 8 && COLOR_PAIRS >= ROLE__COUNT ? 8 : 0;
	}
	draw_setup(colours, utf8);
	return NULL;
}

int term_quit_signal(void)
{
	return quit_signal;
}

void term_clear_signal(void)
{
	quit_signal = 0;
}

struct pu_error *term_dump(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return pu_error_new(PU_EXIT_USAGE, "PILEUP_TUI_SCRIPT: cannot write %s: %s", path, strerror(errno));
	for (int y = 0; y < LINES; y++) {
		char line[8192];
		size_t len = 0, keep = 0;
		for (int x = 0; x < COLS && len + 64 < sizeof(line); x++) {
			cchar_t c;
			wchar_t wc[CCHARW_MAX + 1] = {0};
			attr_t at;
			short pair;
			if (mvwin_wch(stdscr, y, x, &c) == ERR || getcchar(&c, wc, &at, &pair, NULL) == ERR)
				break;
			if (!wc[0])
				wc[0] = ' ';
			for (int k = 0; k < CCHARW_MAX && wc[k]; k++) {
				mbstate_t st;
				memset(&st, 0, sizeof(st));
				size_t n = wcrtomb(line + len, wc[k], &st);
				if (n == (size_t)-1)
					line[len] = '?', n = 1;
				len += n;
			}
			int w = wcwidth(wc[0]);
			if (w > 1)
				x += w - 1;
			if (wc[0] != ' ')
				keep = len;
		}
		fwrite(line, 1, keep, f);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		return pu_error_new(PU_EXIT_USAGE, "PILEUP_TUI_SCRIPT: writing %s failed", path);
	return NULL;
}
