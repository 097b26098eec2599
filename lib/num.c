#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "num.h"

bool
ve_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
ve_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

long
ve_opt_long(const char *opt, const char *s, long min, long max)
{
	long v;

	if (!ve_parse_long(s, min, max, &v))
		ve_usage_error("%s: expected an integer from %ld to %ld, got '%s'", opt, min, max,
		               s);
	return v;
}

double
ve_opt_double(const char *opt, const char *s, double min, double max)
{
	double v;

	if (!ve_parse_double(s, min, max, &v))
		ve_usage_error("%s: expected a number from %g to %g, got '%s'", opt, min, max, s);
	return v;
}

size_t
ve_opt_size(const char *opt, const char *s)
{
	char digits[32];
	size_t n = strlen(s), shift = 0;

	if (n && strchr("kKmMgG", s[n - 1])) {
		char u = (char)tolower((unsigned char)s[n - 1]);
		shift = u == 'k' ? 10 : u == 'm' ? 20 : 30;
		n--;
	}
	if (n == 0 || n >= sizeof digits)
		ve_usage_error("%s: '%s' is not a size in bytes", opt, s);
	memcpy(digits, s, n);
	digits[n] = 0;
	long v = ve_opt_long(opt, digits, 1, 1L << (40 - shift));
	return (size_t)v << shift;
}

bool
ve_parse_time(const char *s, long long *out)
{
	struct tm tm;
	const char *p;
	long off = 0;

	memset(&tm, 0, sizeof tm);
	if (!(p = strptime(s, "%Y-%m-%d", &tm)) || (*p != 'T' && *p != ' '))
		return false;
	if (!(p = strptime(p + 1, "%H:%M:%S", &tm)))
		return false;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm, used = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &used) != 2 || used != 5)
			return false;
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
		p += 6;
	}
	if (*p)
		return false;
	*out = (long long)timegm(&tm) - off;
	return true;
}

char *
ve_num_g(char *s, size_t size, double d, int min_prec)
{
	for (int prec = min_prec; prec <= 17; prec++) {
		snprintf(s, size, "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	return s;
}

void
ve_time_now(char s[VE_TIME_SIZE])
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t now = time(NULL);
	long v;
	struct tm tm;

	if (sde && *sde) {
		if (!ve_parse_long(sde, 0, 253402300799L, &v))
			ve_usage_error("SOURCE_DATE_EPOCH: expected seconds since 1970, got '%s'",
			               sde);
		now = (time_t)v;
	}
	strftime(s, VE_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
}
