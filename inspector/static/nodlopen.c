/* Linked into the static release binary only (see the Makefile).
 *
 * libdwfl loads libdebuginfod with dlopen() the first time a module has
 * no local debug information.  In a statically linked program that would
 * map a second glibc, libcurl and a dozen of its libraries into pileup.
 * pileup never asks debuginfod servers (no network in the middle of an
 * incident; main.c clears DEBUGINFOD_URLS), so here dlopen() loads
 * nothing and libdwfl goes on without the client, as it does on a machine
 * where libdebuginfod is not installed. */
#include <stddef.h>

void *dlopen(const char *file, int mode);

void *dlopen(const char *file, int mode)
{
	(void)file;
	(void)mode;
	return NULL;
}
