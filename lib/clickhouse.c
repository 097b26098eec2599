#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "clickhouse.h"
#include "diag.h"

/*
 * Error codes a later try may not get: load, limits, timeouts, a read-only
 * replica, a cluster's shard or ZooKeeper away.
 */
static const int temporary_codes[] = {
    159, /* TIMEOUT_EXCEEDED */
    202, /* TOO_MANY_SIMULTANEOUS_QUERIES */
    203, /* NO_FREE_CONNECTION */
    209, /* SOCKET_TIMEOUT */
    210, /* NETWORK_ERROR */
    225, /* NO_ZOOKEEPER: a replicated table whose server has lost ZooKeeper */
    236, /* ABORTED */
    241, /* MEMORY_LIMIT_EXCEEDED */
    242, /* TABLE_IS_READ_ONLY */
    252, /* TOO_MANY_PARTS */
    279, /* ALL_CONNECTION_TRIES_FAILED: no replica of a shard answers a Distributed table */
    319, /* UNKNOWN_STATUS_OF_INSERT: cut off mid-insert; a replicated table drops a copy */
    425, /* SYSTEM_ERROR */
    999, /* KEEPER_EXCEPTION */
};

int
ve_ch_error_code(const struct ve_buf *body)
{
	const char *p = body->p;

	if (!p || strncmp(p, "Code: ", 6) != 0)
		return -1;
	p += 6;
	int code = 0, digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 6) {
		code = code * 10 + (*p++ - '0');
		digits++;
	}
	return digits ? code : -1;
}

bool
ve_ch_auth_error(int code)
{
	/* 192 UNKNOWN_USER, 193 WRONG_PASSWORD, 194 REQUIRED_PASSWORD,
	 * 195 IP_ADDRESS_NOT_ALLOWED, 516 AUTHENTICATION_FAILED (20.x+). */
	return code == 192 || code == 193 || code == 194 || code == 195 || code == 516;
}

/*
 * The narrowing of http.h's retries: a ClickHouse error code must be a
 * temporary one. The status is unused: the hook's signature is fixed.
 */
static bool
ch_narrow(long status, const struct ve_buf *body)
{
	int code = ve_ch_error_code(body);

	(void)status;
	if (code < 0)
		return true;
	for (size_t i = 0; i < sizeof temporary_codes / sizeof *temporary_codes; i++)
		if (code == temporary_codes[i])
			return true;
	return false;
}

bool
ve_ch_temporary(const struct ve_ch *ch, const struct ve_http_resp *resp)
{
	return ve_http_retryable(&ch->http.retry, resp->code, resp->status, &resp->body, false);
}

bool
ve_ch_plain_name(const char *s, size_t n)
{
	if (!n || (*s >= '0' && *s <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

void
ve_ch_init(struct ve_ch *ch, const char *url, const char *user, const char *password)
{
	memset(ch, 0, sizeof *ch);
	ch->url = url;
	ve_http_init(&ch->http);
	if (user && *user)
		ve_http_add_header(&ch->http, "X-ClickHouse-User", user, false);
	if (password && *password)
		ve_http_add_header(&ch->http, "X-ClickHouse-Key", password, true);
	ve_secrets_add_url(&ch->http.secrets, url);
	ch->http.retry.retries = 4;
	ch->http.retry.base = 1;
	ch->http.retry.cap = 30;
	ch->http.retry.narrow = ch_narrow;
	ch->http.timeout = 60;
	ch->http.what = "ClickHouse";
}

int
ve_ch_open(struct ve_ch *ch, const struct ve_cli *cli)
{
	char *password = NULL;
	int rc = ve_ch_password(cli->ch.password_file, &password);

	if (rc)
		return rc;
	ve_ch_init(ch, cli->ch.url, cli->ch.user, password);
	ve_ch_password_free(password);
	ve_http_configure(&ch->http, cli);
	return 0;
}

void
ve_ch_free(struct ve_ch *ch)
{
	ve_http_free(&ch->http);
}

void
ve_url_escape(struct ve_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			ve_buf_addc(b, (char)*p);
		} else {
			ve_buf_addc(b, '%');
			ve_buf_addc(b, hex[*p >> 4]);
			ve_buf_addc(b, hex[*p & 15]);
		}
	}
}

int
ve_ch_post(struct ve_ch *ch, const char *sql, const char *params, const void *body, size_t len,
           bool gzip, struct ve_http_resp *resp)
{
	struct ve_buf url = {0};
	const char *hdrs[] = {gzip ? "Content-Encoding: gzip" : NULL, NULL};

	ve_buf_adds(&url, ch->url);
	ve_buf_addc(&url, strchr(ch->url, '?') ? '&' : '?');
	if (body) {
		ve_buf_adds(&url, "query=");
		ve_url_escape(&url, sql);
	} else {
		/* The SQL is the body; nothing in the URL but settings. */
		url.len--;
		url.p[url.len] = '\0';
		body = sql;
		len = strlen(sql);
	}
	if (params && *params) {
		if (url.p[url.len - 1] != '?' && url.p[url.len - 1] != '&')
			ve_buf_addc(&url, strchr(url.p, '?') ? '&' : '?');
		ve_buf_adds(&url, params);
	}
	struct ve_http_req req = {.url = url.p, .headers = hdrs, .body = body, .len = len};
	int rc = ve_http_send(&ch->http, &req, resp);
	ve_buf_free(&url);
	return rc;
}

void
ve_ch_message(const struct ve_ch *ch, const struct ve_buf *body, struct ve_buf *out)
{
	ve_buf_reset(out);
	if (!body->p)
		return;
	size_t n = strcspn(body->p, "\n");
	const char *what = strstr(body->p, ", e.what() = ");
	if (what && (size_t)(what - body->p) < n)
		n = (size_t)(what - body->p);
	while (n && (body->p[n - 1] == '\r' || body->p[n - 1] == ' '))
		n--;
	ve_scrub(&ch->http.secrets, body->p, n, out);
}

/* "ClickHouse: HTTP S after N attempts: MESSAGE" */
static void
say_http(const struct ve_http_resp *resp, const struct ve_buf *msg)
{
	ve_warn("ClickHouse: HTTP %ld after %d attempt%s: %s", resp->status, resp->attempts,
	        resp->attempts == 1 ? "" : "s", msg->p ? msg->p : "");
}

enum ve_ch_result
ve_ch_result(const struct ve_ch *ch, int rc, const struct ve_http_resp *resp, struct ve_buf *msg)
{
	ve_buf_reset(msg);
	if (rc != 0) {
		ve_warn("ClickHouse: %s after %d attempt%s", resp->error, resp->attempts,
		        resp->attempts == 1 ? "" : "s");
		return VE_CH_UNAVAILABLE;
	}
	if (resp->status == 200)
		return VE_CH_OK;
	ve_ch_message(ch, &resp->body, msg);
	if (ve_ch_auth_error(ve_ch_error_code(&resp->body))) {
		ve_warn("ClickHouse: authentication failed: %s", msg->p ? msg->p : "");
		return VE_CH_REFUSED;
	}
	if (ve_ch_temporary(ch, resp)) {
		say_http(resp, msg);
		return VE_CH_UNAVAILABLE;
	}
	return VE_CH_REJECTED;
}

int
ve_ch_password(const char *file, char **out)
{
	*out = NULL;
	if (!file) {
		const char *env = getenv("CLICKHOUSE_PASSWORD");
		if (env)
			*out = ve_xstrdup(env);
		return 0;
	}
	FILE *f = fopen(file, "r");
	if (!f) {
		ve_warn("--password-file: %s:", file);
		return VE_EX_NOINPUT;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	fclose(f);
	if (n < 0) {
		free(line);
		line = ve_xstrdup("");
		n = 0;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	*out = line;
	return 0;
}

void
ve_ch_password_free(char *password)
{
	if (!password)
		return;
	memset(password, 0, strlen(password));
	free(password);
}

/* The version from the first line of a 200 answer; 0 or 69 after a message. */
static int
take_version(struct ve_ch *ch, const struct ve_buf *body)
{
	size_t n = strcspn(body->p ? body->p : "", "\r\n");

	if (n >= sizeof ch->version)
		n = sizeof ch->version - 1;
	memcpy(ch->version, body->p ? body->p : "", n);
	ch->version[n] = '\0';
	if (sscanf(ch->version, "%d.%d", &ch->major, &ch->minor) != 2 || ch->major <= 0) {
		struct ve_buf shown = {0};
		ve_scrub(&ch->http.secrets, ch->version, strlen(ch->version), &shown);
		ve_warn("ClickHouse: cannot read the version '%s'", shown.p ? shown.p : "");
		ve_buf_free(&shown);
		ch->major = 0;
		return VE_EX_UNAVAILABLE;
	}
	return 0;
}

int
ve_ch_version(struct ve_ch *ch)
{
	struct ve_http_resp resp = {0};
	struct ve_buf msg = {0};
	int rc = 0;

	if (ch->major)
		return 0;
	int sent = ve_ch_post(ch, "SELECT version()", NULL, NULL, 0, false, &resp);
	switch (ve_ch_result(ch, sent, &resp, &msg)) {
	case VE_CH_OK: rc = take_version(ch, &resp.body); break;
	case VE_CH_REJECTED:
		say_http(&resp, &msg);
		ch->refused = true;
		rc = VE_EX_UNAVAILABLE;
		break;
	case VE_CH_REFUSED:
		ch->refused = true;
		rc = VE_EX_UNAVAILABLE;
		break;
	case VE_CH_UNAVAILABLE: rc = VE_EX_UNAVAILABLE; break;
	}
	ve_buf_free(&msg);
	ve_http_resp_free(&resp);
	return rc;
}

bool
ve_ch_at_least(const struct ve_ch *ch, int major, int minor)
{
	return ch->major > major || (ch->major == major && ch->minor >= minor);
}

void
ve_gzip(const void *p, size_t n, struct ve_buf *out)
{
	z_stream z;

	memset(&z, 0, sizeof z);
	ve_buf_reset(out);
	/* 15 + 16: a gzip wrapper, as Content-Encoding: gzip means. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		ve_die(VE_EX_SOFTWARE, "zlib: cannot start deflate");
	size_t bound = deflateBound(&z, (uLong)n);
	ve_buf_grow(out, bound + 1);
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->p;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		ve_die(VE_EX_SOFTWARE, "zlib: deflate did not finish");
	out->len = z.total_out;
	out->p[out->len] = '\0';
	deflateEnd(&z);
}

void
ve_cli_clickhouse(struct ve_cli *cli)
{
	const char *from = cli->ch.url ? "--url" : "CLICKHOUSE_URL";

	if (!cli->ch.url)
		cli->ch.url = getenv("CLICKHOUSE_URL");
	if (!cli->ch.url || !*cli->ch.url)
		ve_usage_error("no ClickHouse: give --url or set CLICKHOUSE_URL");
	ve_http_need_url(from, cli->ch.url, true);
	if (!cli->ch.user)
		cli->ch.user = getenv("CLICKHOUSE_USER");
}
