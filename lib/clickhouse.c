#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "clickhouse.h"
#include "diag.h"

/* Error codes a later try may not get: load, limits, timeouts, a read-only replica. */
static const int temporary_codes[] = {
    159, /* TIMEOUT_EXCEEDED */
    202, /* TOO_MANY_SIMULTANEOUS_QUERIES */
    203, /* NO_FREE_CONNECTION */
    209, /* SOCKET_TIMEOUT */
    210, /* NETWORK_ERROR */
    236, /* ABORTED */
    241, /* MEMORY_LIMIT_EXCEEDED */
    242, /* TABLE_IS_READ_ONLY */
    252, /* TOO_MANY_PARTS */
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

/* The narrowing of http.h's retries: a ClickHouse error code must be a temporary one. */
static bool
ch_narrow(long status, const struct ve_buf *body)
{
	int code = ve_ch_error_code(body);

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

int
ve_ch_version(struct ve_ch *ch)
{
	struct ve_http_resp resp = {0};
	struct ve_buf msg = {0};
	int rc = 0;

	if (ch->major)
		return 0;
	if (ve_ch_post(ch, "SELECT version()", NULL, NULL, 0, false, &resp) != 0) {
		ve_warn("ClickHouse: %s after %d attempt%s", resp.error, resp.attempts,
		        resp.attempts == 1 ? "" : "s");
		rc = VE_EX_UNAVAILABLE;
	} else if (resp.status != 200) {
		int code = ve_ch_error_code(&resp.body);
		ve_ch_message(ch, &resp.body, &msg);
		ch->refused = !ve_ch_temporary(ch, &resp);
		if (ve_ch_auth_error(code))
			ve_warn("ClickHouse: authentication failed: %s", msg.p);
		else
			ve_warn("ClickHouse: HTTP %ld after %d attempt%s: %s", resp.status,
			        resp.attempts, resp.attempts == 1 ? "" : "s", msg.p ? msg.p : "");
		rc = VE_EX_UNAVAILABLE;
	} else {
		size_t n = strcspn(resp.body.p ? resp.body.p : "", "\r\n");
		if (n >= sizeof ch->version)
			n = sizeof ch->version - 1;
		memcpy(ch->version, resp.body.p ? resp.body.p : "", n);
		ch->version[n] = '\0';
		if (sscanf(ch->version, "%d.%d", &ch->major, &ch->minor) != 2 || ch->major <= 0) {
			ve_warn("ClickHouse: cannot read the version '%s'", ch->version);
			ch->major = 0;
			rc = VE_EX_UNAVAILABLE;
		}
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
