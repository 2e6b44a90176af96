/* SPDX-License-Identifier: MIT */
/* scan_testutil.c - payload builders and scan wrappers for the scan suites. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <brotli/encode.h>
#include <zstd.h>
#include <openssl/evp.h>

#include "t/unit/scan_testutil.h"

void tu_cat(struct tu_buf *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->len + n + 1);
	ck_assert_ptr_nonnull(b->p);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

void tu_cats(struct tu_buf *b, const char *s)
{
	tu_cat(b, s, strlen(s));
}

void tu_fill(struct tu_buf *b, const char *unit, size_t upto)
{
	size_t ul = strlen(unit);

	if (b->len >= upto)
		return;
	b->p = realloc(b->p, upto + ul + 1);
	ck_assert_ptr_nonnull(b->p);
	while (b->len < upto) {
		memcpy(b->p + b->len, unit, ul);
		b->len += ul;
	}
	b->p[b->len] = 0;
}

struct tu_buf tu_b64(const void *p, size_t n, int url, int pad, int wrap)
{
	struct tu_buf o = { 0 };
	uint8_t *b;
	size_t i, bl, col = 0;

	/* One allocation for the output: a tu_cat per character is a copy
	 * per character under ASan (realloc always moves), which made the
	 * 30-layer nesting test quadratic and slower than its timeout. */
	b = malloc(4 * (n / 3 + 1) + 1);
	ck_assert_ptr_nonnull(b);
	bl = (size_t)EVP_EncodeBlock(b, p, (int)n);
	o.p = malloc(bl + (wrap ? 2 * (bl / (size_t)wrap + 1) : 0) + 1);
	ck_assert_ptr_nonnull(o.p);
	for (i = 0; i < bl; i++) {
		uint8_t c = b[i];

		if (c == '=' && !pad)
			continue;
		if (url && c == '+')
			c = '-';
		if (url && c == '/')
			c = '_';
		if (wrap && col == (size_t)wrap) {
			o.p[o.len++] = '\r';
			o.p[o.len++] = '\n';
			col = 0;
		}
		o.p[o.len++] = c;
		col++;
	}
	o.p[o.len] = 0;
	free(b);
	return o;
}

struct tu_buf tu_hex(const void *p, size_t n, int upper)
{
	struct tu_buf o = { 0 };
	const uint8_t *s = p;
	char t[3];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), upper ? "%02X" : "%02x", s[i]);
		tu_cat(&o, t, 2);
	}
	return o;
}

struct tu_buf tu_pct_all(const void *p, size_t n)
{
	struct tu_buf o = { 0 };
	const uint8_t *s = p;
	char t[4];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), "%%%02X", s[i]);
		tu_cat(&o, t, 3);
	}
	return o;
}

struct tu_buf tu_html_dec(const void *p, size_t n)
{
	struct tu_buf o = { 0 };
	const uint8_t *s = p;
	char t[16];
	size_t i;

	for (i = 0; i < n; i++) {
		int k = snprintf(t, sizeof(t), i % 2 ? "&#%u;" : "&#x%x;", s[i]);

		tu_cat(&o, t, (size_t)k);
	}
	return o;
}

struct tu_buf tu_json_u(const void *p, size_t n)
{
	struct tu_buf o = { 0 };
	const uint8_t *s = p;
	char t[8];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), "\\u%04x", s[i]);
		tu_cat(&o, t, 6);
	}
	return o;
}

struct tu_buf tu_qp(const void *p, size_t n)
{
	struct tu_buf o = { 0 };
	const uint8_t *s = p;
	char t[4];
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		if (col >= 20) {
			tu_cats(&o, "=\r\n");
			col = 0;
		}
		if (s[i] == '=' || s[i] == '_' || s[i] == '-') {
			snprintf(t, sizeof(t), "=%02X", s[i]);
			tu_cat(&o, t, 3);
			col += 3;
		} else {
			tu_cat(&o, &s[i], 1);
			col++;
		}
	}
	return o;
}

struct tu_buf tu_compress(int kind, const void *p, size_t n)
{
	struct tu_buf o = { 0 };
	size_t cap = n + n / 2 + 1024;

	o.p = malloc(cap);
	ck_assert_ptr_nonnull(o.p);
	if (kind <= 2) {
		z_stream z;
		int wb = kind == 0 ? 31 : kind == 1 ? 15 : -15;

		memset(&z, 0, sizeof(z));
		ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, wb, 8, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = (Bytef *)(uintptr_t)p;
		z.avail_in = (uInt)n;
		z.next_out = o.p;
		z.avail_out = (uInt)cap;
		ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
		o.len = cap - z.avail_out;
		deflateEnd(&z);
	} else if (kind == 3) {
		o.len = cap;
		ck_assert(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, n, p, &o.len, o.p));
	} else {
		o.len = ZSTD_compress(o.p, cap, p, n, 3);
		ck_assert(!ZSTD_isError(o.len));
	}
	return o;
}

struct brk_scan_engine *tu_engine(int fallback, const char *const *canaries, size_t nc)
{
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.canaries = canaries;
	cfg.ncanaries = nc;
	cfg.force_fallback = fallback;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	return e;
}

int tu_has(const struct brk_scan_result *r, const char *id)
{
	unsigned i;

	for (i = 0; i < r->nfindings; i++)
		if (!id || strcmp(r->findings[i].detector, id) == 0)
			return 1;
	return 0;
}

int tu_stream(const struct brk_scan_engine *e, const void *vp, size_t n, size_t chunk,
	      const char *host, struct brk_scan_result *out)
{
	const uint8_t *p = vp;
	struct brk_scan_stream *s = NULL;
	struct brk_scan_result r;
	size_t off;
	unsigned i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = brk_scan_stream_open(e, &s);
	if (rc < 0)
		return rc;
	for (off = 0;;) {
		size_t k = n - off < chunk ? n - off : chunk;

		rc = brk_scan_stream_feed(s, k ? p + off : NULL, k, host, &r);
		if (rc < 0)
			break;
		for (i = 0; i < r.nfindings && out->nfindings < BRK_SCAN_MAX_FINDINGS; i++)
			out->findings[out->nfindings++] = r.findings[i];
		out->blocked |= r.blocked;
		out->refused |= r.refused;
		if (k == 0)
			break;
		off += k;
	}
	brk_scan_stream_close(s);
	return rc;
}
