#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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
