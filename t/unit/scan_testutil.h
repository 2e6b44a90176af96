/* SPDX-License-Identifier: MIT */
/*
 * scan_testutil.h - helpers shared by the scan engine's Check suites:
 * encoders and compressors to build payloads, and scan wrappers that merge
 * stream results. Test code only.
 */
#ifndef DLP_T_UNIT_SCAN_TESTUTIL_H
#define DLP_T_UNIT_SCAN_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "broker/scan/scan.h"

/* Growing byte string owned by the caller (free(s->p)). */
struct tu_buf {
	uint8_t *p;
	size_t len;
};

void tu_cat(struct tu_buf *b, const void *p, size_t n);
void tu_cats(struct tu_buf *b, const char *s);
/* Append unit to b until b is at least upto long, in one allocation
 * (tu_cat reallocs per call, which sanitizer builds turn into a copy each
 * time: quadratic for megabytes). */
void tu_fill(struct tu_buf *b, const char *unit, size_t upto);
/* Encoders: return a new tu_buf. */
struct tu_buf tu_b64(const void *p, size_t n, int url, int pad, int wrap);
struct tu_buf tu_hex(const void *p, size_t n, int upper);
struct tu_buf tu_pct_all(const void *p, size_t n);
struct tu_buf tu_html_dec(const void *p, size_t n);
struct tu_buf tu_json_u(const void *p, size_t n);
struct tu_buf tu_qp(const void *p, size_t n);
/* Compressors: kind 0 gzip, 1 zlib, 2 raw deflate, 3 brotli, 4 zstd. */
struct tu_buf tu_compress(int kind, const void *p, size_t n);

/* Engine with optional canaries; fallback = 1 forces the naive matcher. */
struct brk_scan_engine *tu_engine(int fallback, const char *const *canaries, size_t nc);
/* Does the result hold a finding of detector id (NULL: any)? */
int tu_has(const struct brk_scan_result *r, const char *id);
/* Feed as a stream in chunk-byte writes plus a flush; merged result. */
int tu_stream(const struct brk_scan_engine *e, const void *p, size_t n, size_t chunk,
	      const char *host, struct brk_scan_result *out);

#endif /* DLP_T_UNIT_SCAN_TESTUTIL_H */
