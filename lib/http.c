#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "http.h"

static bool
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

bool
ve_endpoint_parse(const char *url, char **root, enum ve_api *api)
{
	size_t n = strlen(url);
	const char *q = strpbrk(url, "?#");

	*root = NULL;
	*api = VE_API_NONE;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return false;
	if (q)
		n = (size_t)(q - url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (ends_with(url, n, "/v1/chat/completions")) {
		*api = VE_API_CHAT;
		n -= strlen("/v1/chat/completions");
	} else if (ends_with(url, n, "/v1/completions")) {
		*api = VE_API_COMPLETIONS;
		n -= strlen("/v1/completions");
	} else if (ends_with(url, n, "/v1")) {
		n -= 3;
	}
	const char *host = strstr(url, "://") + 3;
	if ((size_t)(host - url) >= n)
		return false;
	*root = ve_xmalloc(n + 1);
	memcpy(*root, url, n);
	(*root)[n] = '\0';
	return true;
}

char *
ve_url_redact(const char *url)
{
	struct ve_buf b = {0};
	const char *host = strstr(url, "://");
	const char *p = url;

	if (host) {
		host += 3;
		const char *slash = host + strcspn(host, "/?#");
		const char *at = memchr(host, '@', (size_t)(slash - host));
		ve_buf_add(&b, url, (size_t)(host - url));
		if (at) {
			ve_buf_adds(&b, "***@");
			host = at + 1;
		}
		p = host;
	}
	size_t n = strcspn(p, "?");
	ve_buf_add(&b, p, n);
	if (p[n] == '?')
		ve_buf_adds(&b, "?***");
	if (!b.p)
		ve_buf_adds(&b, "");
	return b.p;
}

bool
ve_http_api_key(const char *file, char **key)
{
	*key = NULL;
	if (file) {
		FILE *f = fopen(file, "r");
		char *line = NULL;
		size_t cap = 0;
		if (!f) {
			ve_warn("--api-key-file: %s: cannot open", file);
			return false;
		}
		ssize_t n = getline(&line, &cap, f);
		fclose(f);
		if (n <= 0) {
			free(line);
			ve_warn("--api-key-file: %s: empty", file);
			return false;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		*key = line;
		return true;
	}
	const char *e = getenv("OPENAI_API_KEY");
	if (!e || !*e)
		e = getenv("VLLM_API_KEY");
	if (e && *e)
		*key = ve_xstrdup(e);
	return true;
}

struct curl_slist *
ve_http_headers(const char *key)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

	if (key) {
		struct ve_buf b = {0};
		ve_buf_addf(&b, "Authorization: Bearer %s", key);
		h = curl_slist_append(h, b.p);
		ve_buf_free(&b);
	}
	if (!h)
		ve_die(VE_EX_SOFTWARE, "out of memory");
	return h;
}

void
ve_http_setup(CURL *e, const struct curl_slist *hdrs, double timeout_s, bool insecure)
{
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(timeout_s < 10 ? timeout_s * 1000 : 10000));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vllm-eval/" VE_VERSION);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static size_t
collect(char *p, size_t size, size_t n, void *ctx)
{
	ve_buf_add(ctx, p, size * n);
	return size * n;
}

bool
ve_http_request(const char *url, const char *body, const struct curl_slist *hdrs, double timeout_s,
                bool insecure, struct ve_http_resp *r)
{
	CURL *e = curl_easy_init();

	memset(r, 0, sizeof *r);
	if (!e)
		ve_die(VE_EX_SOFTWARE, "cannot start libcurl");
	ve_http_setup(e, hdrs, timeout_s, insecure);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->err);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->body);
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	r->code = curl_easy_perform(e);
	if (r->code == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	else if (!r->err[0])
		snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(r->code));
	curl_easy_cleanup(e);
	if (!r->body.p)
		ve_buf_adds(&r->body, "");
	return r->code == CURLE_OK;
}

void
ve_http_resp_free(struct ve_http_resp *r)
{
	ve_buf_free(&r->body);
}

void
ve_http_error_text(const char *body, size_t len, struct ve_buf *out)
{
	jv v = jv_parse_sized(body, (int)len);

	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv e = jv_object_get(jv_copy(v), jv_string("error"));
		jv m = jv_get_kind(e) == JV_KIND_OBJECT
		           ? jv_object_get(jv_copy(e), jv_string("message"))
		           : jv_copy(e);
		if (jv_get_kind(m) != JV_KIND_STRING) {
			jv_free(m);
			m = jv_object_get(jv_copy(v), jv_string("message"));
		}
		jv_free(e);
		if (jv_get_kind(m) == JV_KIND_STRING) {
			ve_buf_adds(out, jv_string_value(m));
			jv_free(m);
			jv_free(v);
			return;
		}
		jv_free(m);
	}
	jv_free(v);
	size_t n = len > 200 ? 200 : len;
	while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' '))
		n--;
	ve_buf_add(out, body, n);
}

/* The answer of a blocking JSON call: the parsed object, or an invalid jv saying why. */
static jv
json_call(const char *url, const char *body, const struct curl_slist *hdrs, double timeout_s,
          bool insecure)
{
	struct ve_http_resp r;
	jv v;

	if (!ve_http_request(url, body, hdrs, timeout_s, insecure, &r)) {
		v = jv_invalid_with_msg(jv_string(r.err));
	} else if (r.status != 200) {
		struct ve_buf m = {0};
		ve_http_error_text(r.body.p, r.body.len, &m);
		v = jv_invalid_with_msg(jv_string_fmt("%ld %s", r.status, m.p ? m.p : ""));
		ve_buf_free(&m);
	} else {
		v = jv_parse_sized(r.body.p, (int)r.body.len);
		if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_OBJECT) {
			jv_free(v);
			v = jv_invalid_with_msg(jv_string("the answer is not a JSON object"));
		} else if (!jv_is_valid(v)) {
			jv_free(v);
			v = jv_invalid_with_msg(jv_string("the answer is not JSON"));
		}
	}
	ve_http_resp_free(&r);
	return v;
}

jv
ve_http_tokenize(const char *root, const char *model, const char *text, size_t len,
                 const struct curl_slist *hdrs, double timeout_s, bool insecure)
{
	struct ve_buf url = {0}, body = {0};

	ve_buf_addf(&url, "%s/tokenize", root);
	ve_buf_adds(&body, "{");
	if (model) {
		ve_buf_adds(&body, "\"model\":");
		ve_buf_add_json_str(&body, model, strlen(model));
		ve_buf_adds(&body, ",");
	}
	ve_buf_adds(&body, "\"prompt\":");
	ve_buf_add_json_str(&body, text, len);
	ve_buf_adds(&body, ",\"add_special_tokens\":false}");
	jv v = json_call(url.p, body.p, hdrs, timeout_s, insecure);
	ve_buf_free(&url);
	ve_buf_free(&body);
	if (!jv_is_valid(v))
		return v;
	jv t = jv_object_get(v, jv_string("tokens"));
	if (jv_get_kind(t) != JV_KIND_ARRAY) {
		jv_free(t);
		return jv_invalid_with_msg(jv_string("/tokenize answered without \"tokens\""));
	}
	return t;
}

jv
ve_http_first_model(const char *root, const struct curl_slist *hdrs, double timeout_s,
                    bool insecure)
{
	struct ve_buf url = {0};

	ve_buf_addf(&url, "%s/v1/models", root);
	jv v = json_call(url.p, NULL, hdrs, timeout_s, insecure);
	ve_buf_free(&url);
	if (!jv_is_valid(v))
		return v;
	jv id = jv_getpath(v, JV_ARRAY(jv_string("data"), jv_number(0), jv_string("id")));
	if (jv_get_kind(id) != JV_KIND_STRING) {
		jv_free(id);
		return jv_invalid_with_msg(jv_string("/v1/models lists no model"));
	}
	return id;
}
