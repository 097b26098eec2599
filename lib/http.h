/*
 * HTTP for the clients of OpenAI-compatible servers, over libcurl.
 *
 * Endpoint URLs come in three forms (the server's root, the root with /v1,
 * or the full /v1/completions or /v1/chat/completions URL); ve_endpoint_parse
 * takes any of them apart. URLs are printed only through ve_url_redact, so
 * credentials and tokens never reach a log. ve_http_request is the blocking
 * call for the few small requests a tool makes before its real work
 * (/v1/models, /tokenize); bulk traffic goes through a curl multi handle in
 * the tool itself.
 */
#ifndef VE_HTTP_H
#define VE_HTTP_H

#include <stdbool.h>
#include <curl/curl.h>
#include <jv.h>

#include "buf.h"

enum ve_api {
	VE_API_NONE, /* the URL names the server, not an API */
	VE_API_COMPLETIONS,
	VE_API_CHAT,
};

/*
 * Splits url into the server root (no trailing '/', no "/v1") and the API
 * its path names. Returns false if it is not an http:// or https:// URL.
 * *root is allocated.
 */
bool ve_endpoint_parse(const char *url, char **root, enum ve_api *api);
/* The URL with any user:password@ and query string replaced by "***" (allocated). */
char *ve_url_redact(const char *url);

/*
 * The API key: the first line of file when given, else OPENAI_API_KEY, else
 * VLLM_API_KEY, else NULL. Returns false (after a message) if file cannot be read.
 */
bool ve_http_api_key(const char *file, char **key);
/* Content-Type: application/json, and Authorization: Bearer KEY when key is set. */
struct curl_slist *ve_http_headers(const char *key);

/* Settings every transfer shares: timeouts, TLS verification, keep-alive. */
void ve_http_setup(CURL *e, const struct curl_slist *hdrs, double timeout_s, bool insecure);

struct ve_http_resp {
	long status;        /* 0 when no HTTP answer came */
	CURLcode code;      /* the transfer's result */
	struct ve_buf body; /* the response body */
	char err[CURL_ERROR_SIZE];
};

/*
 * A blocking request: POST body (JSON) when body is set, else GET. Returns
 * true when an HTTP answer came (any status); false with r->err set if not.
 */
bool ve_http_request(const char *url, const char *body, const struct curl_slist *hdrs,
                     double timeout_s, bool insecure, struct ve_http_resp *r);
void ve_http_resp_free(struct ve_http_resp *r);

/*
 * POSTs {"model":MODEL,"prompt":TEXT,"add_special_tokens":false} to ROOT/tokenize
 * and returns the "tokens" array, or an invalid jv with a message ("404" when
 * the server has no /tokenize, so a caller can fall back).
 */
jv ve_http_tokenize(const char *root, const char *model, const char *text, size_t len,
                    const struct curl_slist *hdrs, double timeout_s, bool insecure);
/* GETs ROOT/v1/models and returns data[0].id, or an invalid jv with a message. */
jv ve_http_first_model(const char *root, const struct curl_slist *hdrs, double timeout_s,
                       bool insecure);
/* The "error.message" (or "message", or the start of the text) of an error body. */
void ve_http_error_text(const char *body, size_t len, struct ve_buf *out);

#endif
