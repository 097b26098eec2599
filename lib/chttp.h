/*
 * HTTP POST with retries over libcurl's easy interface, for the tools that
 * talk to one service at a time (ch-insert, ch-query, teams-card).
 *
 * A retry is due on a connection error or timeout, on 429 and on 5xx; the
 * wait doubles from base up to max and a Retry-After header (seconds) takes
 * its place. Anything else, 2xx or 4xx, is the answer. URLs are never
 * printed by this code: callers name the service in their messages.
 */
#ifndef VE_CHTTP_H
#define VE_CHTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct ve_http;

struct ve_http_req {
	const char *url;
	const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
	const void *body;
	size_t len;
	bool get; /* a GET (body ignored) rather than a POST */
};

struct ve_http_retry {
	int attempts;     /* tries in all, at least 1 */
	double base, max; /* backoff in seconds */
	double timeout;   /* per try, seconds (0: none) */
	bool insecure;    /* do not verify TLS */
	int verbose;      /* > 0: say each retry on stderr */
	const char *what; /* the service, for messages: "ClickHouse", "webhook" */
	/*
	 * Decides whether an HTTP answer calls for another try; NULL: 429 and
	 * 5xx do. A try that got no answer is always retried.
	 */
	bool (*again)(long status, const struct ve_buf *body);
};

struct ve_http_resp {
	long status; /* 0 when no answer came */
	struct ve_buf body;
	char error[256]; /* curl's reason when status is 0 */
	int attempts;
	double retry_after; /* seconds the last answer asked for, or -1 */
};

struct ve_http *ve_http_new(void);
void ve_http_free(struct ve_http *h);

/*
 * Sends req, retrying as above; fills resp (its body is reset first).
 * Returns 0 when the last try got an HTTP answer (resp->status), -1 when it
 * got none (resp->error).
 */
int ve_http_send(struct ve_http *h, const struct ve_http_req *req, const struct ve_http_retry *rt,
                 struct ve_http_resp *resp);
void ve_http_resp_free(struct ve_http_resp *resp);

/* Sleeps for s seconds (fractions allowed). */
void ve_sleep(double s);

#endif
