/* http/curl.c - input_http_get with libcurl (see input_http.h). */
#include "input_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A transfer slower than 1 byte a second for this long has stalled. */
#define STALL_S 10

struct sink {
	int fd;
	size_t got, max;
	bool too_big;
	int werr;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t len = size * n;
	if (s->got + len > s->max) {
		s->too_big = true;
		return 0; /* aborts the transfer */
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(s->fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->werr = errno ? errno : EIO;
			return 0;
		}
		off += (size_t)w;
	}
	s->got += len;
	return len;
}

static struct pu_error *curl_failed(const char *url, CURLcode rc, const char *detail, const struct sink *s, double timeout)
{
	const char *d = detail && *detail ? detail : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return pu_error_new(PU_EXIT_USAGE, "cannot connect to %s: %s; is the service running, and is that its debug (pprof) port?", url, d);
	case CURLE_COULDNT_RESOLVE_HOST:
		return pu_error_new(PU_EXIT_USAGE, "cannot resolve the host of %s: %s; check the name", url, d);
	case CURLE_OPERATION_TIMEDOUT:
		return pu_error_new(PU_EXIT_USAGE, "%s: no complete answer within %g s (%s); the service may be stuck: try again, or raise --timeout", url,
				    timeout, d);
	case CURLE_FILESIZE_EXCEEDED:
		return pu_error_new(PU_EXIT_USAGE, "%s: the response says it is larger than %zu MiB, more than a goroutine dump; pileup did not read it (is the URL right?)",
				    url, s->max >> 20);
	case CURLE_WRITE_ERROR:
		if (s->too_big)
			return pu_error_new(PU_EXIT_USAGE, "%s: the response is larger than %zu MiB, more than a goroutine dump; pileup stopped reading (is the URL right?)",
					    url, s->max >> 20);
		return pu_error_new(PU_EXIT_USAGE, "%s: cannot keep the response: %s", url, strerror(s->werr ? s->werr : EIO));
	case CURLE_GOT_NOTHING:
		return pu_error_new(PU_EXIT_USAGE, "%s: the server closed the connection without answering; is that an HTTP port?", url);
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return pu_error_new(PU_EXIT_USAGE, "%s: the connection broke after %zu bytes (%s); try again", url, s->got, d);
	case CURLE_TOO_MANY_REDIRECTS:
		return pu_error_new(PU_EXIT_USAGE, "%s: more than 5 redirects; give the final URL", url);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return pu_error_new(PU_EXIT_USAGE, "%s: %s; pileup fetches http:// and https:// URLs", url, d);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
		return pu_error_new(PU_EXIT_USAGE, "%s: TLS failed: %s", url, d);
	default:
		return pu_error_new(PU_EXIT_USAGE, "%s: %s", url, d);
	}
}

struct pu_error *input_http_get(const char *url, const struct http_opts *o, int fd)
{
	static bool inited;
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return pu_error_new(PU_EXIT_USAGE, "libcurl could not start; cannot fetch %s", url);
		inited = true;
	}
	CURL *c = curl_easy_init();
	if (!c)
		return pu_error_new(PU_EXIT_USAGE, "libcurl could not start; cannot fetch %s", url);
	double timeout = o && o->timeout_s > 0 ? o->timeout_s : 60;
	struct sink s = {fd, 0, o && o->max_bytes ? o->max_bytes : HTTP_MAX_DEFAULT, false, 0};
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout < 10 ? timeout * 1000 : 10000));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)(timeout < STALL_S ? (timeout < 1 ? 1 : timeout) : STALL_S));
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max); /* by Content-Length, before reading */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pileup/" PILEUP_VERSION);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return curl_failed(url, rc, errbuf, &s, timeout);
	if (status == 404)
		return pu_error_new(PU_EXIT_USAGE,
				    "%s: HTTP 404: this service exposes no pprof here; import _ \"net/http/pprof\" in it and serve it on a debug port, or give the URL it uses",
				    url);
	if (status >= 400)
		return pu_error_new(PU_EXIT_USAGE, "%s: HTTP %ld; the service refused the request", url, status);
	if (!s.got)
		return pu_error_new(PU_EXIT_USAGE, "%s: the response is empty (HTTP %ld)", url, status);
	return NULL;
}
