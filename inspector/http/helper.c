/* http/helper.c - pileup-http URL TIMEOUT_S MAX_BYTES: the body of URL on
 * standard output, or one error line on standard error and exit 2.
 *
 * The static release binary runs this (inspector/static/http_spawn.c)
 * because libcurl cannot be linked statically on Debian 12; it is the
 * same libcurl code the other builds call in-process. */
#include "input_http.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fputs("pileup-http: usage: pileup-http URL TIMEOUT_S MAX_BYTES (run by pileup for http:// targets)\n", stderr);
		return 2;
	}
	struct http_opts o = {strtod(argv[2], NULL), (size_t)strtoull(argv[3], NULL, 10)};
	struct pu_error *err = input_http_get(argv[1], &o, 1);
	if (err) {
		fprintf(stderr, "%s\n", err->msg);
		return err->exit_code;
	}
	return 0;
}
