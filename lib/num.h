/*
 * Checked number parsing: the whole string must be the number, in range.
 * The ve_opt_* forms are for option arguments and exit 64 with a message
 * naming the option on failure.
 */
#ifndef VE_NUM_H
#define VE_NUM_H

#include <stdbool.h>

bool ve_parse_long(const char *s, long min, long max, long *out);
bool ve_parse_double(const char *s, double min, double max, double *out);
long ve_opt_long(const char *opt, const char *s, long min, long max);
double ve_opt_double(const char *opt, const char *s, double min, double max);

#endif
