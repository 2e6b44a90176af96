/* SPDX-License-Identifier: MIT */
/*
 * textrun.h - text runs in binary bytes: which bytes a detector expression
 * can match (the "text" class: printable ASCII and \t..\r), the shortest
 * match an expression has, and a 64-bytes-a-step mask of text bytes. The
 * stream's raw matcher (scan.c raw_sparse) uses them to pass over binary
 * stretches whose text runs are all too short to hold a match.
 */
#ifndef DLP_BROKER_SCAN_TEXTRUN_H
#define DLP_BROKER_SCAN_TEXTRUN_H

#include <stddef.h>
#include <stdint.h>

/* \t..\r and ' '..'~': every byte a confined expression can match */
static inline int brk_scan_text_byte(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || (c >= 0x09 && c <= 0x0d);
}

/*
 * The shape of a Hyperscan expression of the subset build_regex() writes
 * (literals, \xNN and \-style escapes, \s \t, classes, groups with '|',
 * ? * + {n} {n,} {n,m}): *minw = the fewest bytes a match has, *confined =
 * 1 when every byte any match holds is a text byte (no negated class, no
 * '.'). Returns 0, or -EINVAL for anything outside the subset (the caller
 * then passes nothing over).
 */
int brk_scan_rx_shape(const char *re, size_t *minw, int *confined);

/* Bit k set when p[k] is a text byte, k < 64 (scalar, SSE2 or AVX2 by
 * brk_scan_dec_simd; all give the same mask). */
uint64_t brk_scan_text_mask64(const uint8_t *p);

/* The first i in [from, hi - l] where p[i, i + l) are all text bytes
 * (1 <= l <= 64), else hi. */
size_t brk_scan_text_window(const uint8_t *p, size_t from, size_t hi, size_t l);

/* The first i in [from, hi) where p[i] is not a text byte, else hi. */
size_t brk_scan_text_end(const uint8_t *p, size_t from, size_t hi);

#endif /* DLP_BROKER_SCAN_TEXTRUN_H */
