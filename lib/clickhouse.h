/*
 * A ClickHouse HTTP interface client for ch-insert and ch-query, on the
 * client of http.h: one server, credentials in X-ClickHouse-User/Key
 * headers (never in the URL), SQL in the query string or the body, the
 * server's version asked once.
 *
 * Retries are http.h's (no answer, a cut transfer, 408, 429, 5xx) with one
 * refinement that can only narrow them: an answer that carries a
 * ClickHouse error code ("Code: 62, ...") is retried only when the code is
 * a temporary one (too many parts or queries, a timeout, the memory limit,
 * a read-only replica, no replica of a shard, ZooKeeper away); a syntax
 * error answered with 500 is final.
 */
#ifndef VE_CLICKHOUSE_H
#define VE_CLICKHOUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "http.h"

struct ve_ch {
	const char *url;
	struct ve_http http; /* the tool sets http.retry, timeout, insecure, verbose */
	int major, minor;    /* 0.0 until asked */
	bool refused;        /* the version query got a final "no" (credentials, a 4xx) */
	char version[64];
};

/*
 * Sets up the client. user and password may be NULL; the password and the
 * URL's credentials become secrets of ch->http, scrubbed from messages.
 * The retry policy is http.h's, narrowed as above.
 */
void ve_ch_init(struct ve_ch *ch, const char *url, const char *user, const char *password);
void ve_ch_free(struct ve_ch *ch);
/*
 * After ve_getopt: fills cli->ch's URL and user from CLICKHOUSE_URL and
 * CLICKHOUSE_USER when not given, and exits 64 when there is no URL or it
 * is not http(s).
 */
void ve_cli_clickhouse(struct ve_cli *cli);
/*
 * ve_ch_init with the options of VE_CLI_CLICKHOUSE (after ve_cli_clickhouse)
 * and VE_CLI_NETWORK, the password read as ve_ch_password does. Returns 0
 * (ch is then set up, for ve_ch_free) or 66 after a message.
 */
int ve_ch_open(struct ve_ch *ch, const struct ve_cli *cli);

/*
 * Runs sql with body (may be NULL; gzip says the body is gzip'd) and the
 * extra URL parameters params ("k=v&k2=v2", already escaped, or NULL);
 * returns as ve_http_send does.
 */
int ve_ch_post(struct ve_ch *ch, const char *sql, const char *params, const void *body, size_t len,
               bool gzip, struct ve_http_resp *resp);

/* What an answer to ve_ch_post came to. */
enum ve_ch_result {
	VE_CH_OK,          /* 200 */
	VE_CH_REJECTED,    /* a final answer about the request (a syntax error, a 4xx) */
	VE_CH_UNAVAILABLE, /* no answer, or a temporary failure after the retries */
	VE_CH_REFUSED,     /* the credentials were refused */
};

/*
 * Classifies what ve_ch_post returned (rc) and answered (resp), and says
 * on stderr why it failed: "ClickHouse: REASON after N attempts",
 * "ClickHouse: authentication failed: MESSAGE" or "ClickHouse: HTTP S
 * after N attempts: MESSAGE". A rejection is not said: the caller places
 * it, with ClickHouse's message, scrubbed, in msg (reset first).
 */
enum ve_ch_result ve_ch_result(const struct ve_ch *ch, int rc, const struct ve_http_resp *resp,
                               struct ve_buf *msg);

/*
 * The password: the first line of file (its line ending dropped) when file
 * is set, else CLICKHOUSE_PASSWORD, else NULL. Returns 0, or 66 after
 * "prog: --password-file: FILE: reason". *out is allocated: overwrite it
 * before freeing (ve_ch_password_free).
 */
int ve_ch_password(const char *file, char **out);
void ve_ch_password_free(char *password);

/*
 * Asks SELECT version() unless known; 0 when known, else an exit status
 * after a message (69: no answer or refused).
 */
int ve_ch_version(struct ve_ch *ch);
/* True when the server is at least major.minor. */
bool ve_ch_at_least(const struct ve_ch *ch, int major, int minor);

/* ClickHouse's error code in an answer ("Code: 27, ..." or "Code: 27. ..."), or -1. */
int ve_ch_error_code(const struct ve_buf *body);
/* True for the codes of a wrong user or password. */
bool ve_ch_auth_error(int code);
/*
 * The answer's first line without the trailing ", e.what() = ...", with the
 * client's secrets scrubbed (into out, reset first).
 */
void ve_ch_message(const struct ve_ch *ch, const struct ve_buf *body, struct ve_buf *out);
/* True when the answer would be retried: a temporary failure, not a rejection. */
bool ve_ch_temporary(const struct ve_ch *ch, const struct ve_http_resp *resp);
/* An identifier ClickHouse takes without quoting: letters, digits, '_', not a digit first. */
bool ve_ch_plain_name(const char *s, size_t n);
/* Appends s percent-encoded for a URL query string. */
void ve_url_escape(struct ve_buf *b, const char *s);
/* gzip-compresses p[0..n) into out (reset first). */
void ve_gzip(const void *p, size_t n, struct ve_buf *out);

#endif
