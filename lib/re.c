#include "re.h"
#include "diag.h"

pcre2_code *
ve_re_compile(const char *opt, const char *re, uint32_t flags)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *c =
	    pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, flags, &err, &off, NULL);
	PCRE2_UCHAR msg[256];

	if (c)
		return c;
	pcre2_get_error_message(err, msg, sizeof msg);
	if (!opt)
		ve_die(VE_EX_SOFTWARE, "built-in pattern '%s': %s at offset %zu", re,
		       (const char *)msg, (size_t)off);
	ve_usage_error("%s: %s at offset %zu in '%s'", opt, (const char *)msg, (size_t)off, re);
}

int
ve_re_find(const pcre2_code *code, pcre2_match_data *md, pcre2_match_context *mc, const char *s,
           size_t n, uint32_t options, size_t *at)
{
	while (*at <= n) {
		int rc = pcre2_match(code, (PCRE2_SPTR)s, n, *at, options, md, mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)
			return rc;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		*at = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
		while (*at < n && ((unsigned char)s[*at] & 0xC0) == 0x80)
			(*at)++;
		if (ov[1] > ov[0])
			return 1;
	}
	return 0;
}

bool
ve_re_next(const pcre2_code *code, pcre2_match_data *md, const char *s, size_t n, uint32_t options,
           size_t *at)
{
	return ve_re_find(code, md, NULL, s, n, options, at) == 1;
}
