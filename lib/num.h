/*
 * Numbers as text, both ways. Parsing is checked: the whole string must be
 * the number, in range; the ve_opt_* forms are for option arguments and
 * exit 64 with a message naming the option on failure. Printing gives the
 * shortest text that reads back as the same double. Nothing here allocates:
 * the caller owns every buffer.
 */
#ifndef VE_NUM_H
#define VE_NUM_H

#include <stdbool.h>
#include <stddef.h>

bool ve_parse_long(const char *s, long min, long max, long *out);
bool ve_parse_double(const char *s, double min, double max, double *out);
long ve_opt_long(const char *opt, const char *s, long min, long max);
double ve_opt_double(const char *opt, const char *s, double min, double max);
/*
 * A size in bytes for option opt: digits with an optional k, M or G (1024,
 * 1024^2, 1024^3), at least 1 byte, at most 1T; else exit 64 naming opt.
 */
size_t ve_opt_size(const char *opt, const char *s);

/*
 * Seconds since the epoch of an ISO-8601 time: YYYY-MM-DD, 'T' or ' ',
 * HH:MM:SS, an optional fraction (dropped), then Z, +HH:MM, -HH:MM or
 * nothing (UTC). False, *out untouched, when s is not such a time.
 */
bool ve_parse_time(const char *s, long long *out);

/* Room for any text ve_num_g writes, NUL included ("-2.2250738585072014e-308" is 24 bytes). */
#define VE_NUM_G_SIZE 32
/*
 * Writes into s (size bytes, VE_NUM_G_SIZE is enough) the "%.*g" form of d
 * with the least precision from min_prec to 17 that strtod reads back as d,
 * and returns s. min_prec 1 gives the fewest digits that read back (as a
 * rule the digits Python's repr(float) picks) in %g's notation, which
 * turns to an exponent once the exponent reaches the precision: 0.1 is
 * "0.1", but 100 is "1e+02". A larger min_prec, up to 15, keeps the digits
 * of normal numbers and only delays that turn: with 15, 1e6 is "1000000",
 * not "1e+06" (a subnormal gets more digits: 5e-324 is
 * "4.94065645841247e-324").
 * Infinities and NaN come out as %.17g writes them ("inf", "-nan").
 */
char *ve_num_g(char *s, size_t size, double d, int min_prec);

/* Room for ve_time_now's text, NUL included: "9999-12-31T23:59:59Z". */
#define VE_TIME_SIZE 21
/*
 * Writes into s the time now in UTC, "YYYY-MM-DDTHH:MM:SSZ", or the time
 * SOURCE_DATE_EPOCH gives when it is set, so that output can be reproduced
 * (reproducible builds' convention). A SOURCE_DATE_EPOCH that is not
 * seconds since 1970 up to 9999 is a usage error: exit 64.
 */
void ve_time_now(char s[VE_TIME_SIZE]);

#endif
