/*
 * Numbers written fast, to the byte as printf writes them: vllm-sim writes
 * a logprob or an offset per token of an echoed prompt, some six numbers a
 * token, and printf's general machinery was most of its time. Nothing here
 * allocates or reads the locale: the caller owns each buffer.
 */
#ifndef VE_FMTNUM_H
#define VE_FMTNUM_H

#include <stddef.h>
#include <stdint.h>

/* Room for ve_fmt_g9's text, NUL included ("-2.22507386e-308" is 16 bytes). */
#define VE_FMT_G9_SIZE 32
/* Room for ve_fmt_u64's text, NUL included (20 digits). */
#define VE_FMT_U64_SIZE 21

/*
 * Writes into s the bytes of snprintf(s, VE_FMT_G9_SIZE, "%.9g", v) in the
 * C locale, NUL-terminated; returns their count. Values from 1e-9 to 1e9
 * in magnitude are worked out with integers, others through snprintf.
 */
size_t ve_fmt_g9(char s[VE_FMT_G9_SIZE], double v);
/* Writes v's decimal digits ("%llu") into s, NUL-terminated; returns their count. */
size_t ve_fmt_u64(char s[VE_FMT_U64_SIZE], uint64_t v);

#endif
