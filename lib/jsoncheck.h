/*
 * A quick yes to "is this line a record?": RFC 8259's grammar read over the
 * text without building a value, for a check of many lines (ch-query's
 * answers) at about the speed of reading them.
 *
 * It only ever says yes where ve_record_parse would accept the line (one
 * JSON object in UTF-8); no means "not known", and the caller asks
 * ve_record_parse, which decides and gives the reason. It says no to more
 * than JSON's grammar refuses: numbers that libjq could read as infinite
 * (an exponent of three digits or more, over 200 integer digits) and
 * nesting deeper than 200, where libjq has its own limits. The fuzz target
 * tests/fuzz/record.c checks the one direction on any bytes.
 *
 * Borrows text; keeps nothing.
 */
#ifndef VE_JSONCHECK_H
#define VE_JSONCHECK_H

#include <stdbool.h>
#include <stddef.h>

bool ve_json_object_fast(const char *text, size_t len);

#endif
