/* SPDX-License-Identifier: MIT */
/*
 * scan_once_test.c - one inspection per byte (issue 10 item 12): the
 * relay's engine calls (relay_scan.c rl_scan_plain: the HTTP glue's parts
 * first, chunk data and h2 DATA payload in its body stream, then the raw
 * stream over brk_http_glue_rest()) still find a credential in every
 * place an attacker can put one around the cut-out body bytes: h2 DATA
 * padding, half in the DATA and half in its padding (a raw reader at the
 * other end joins them), split over DATA frames, HEADERS padding, an HPACK
 * Huffman header, gzip bodies; HTTP/1.1 chunk extensions, trailers, split
 * over chunks. Each at every feed size, with the clean form unflagged.
 */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_NGHTTP2
#include <nghttp2/nghttp2.h>
#endif

#include "broker/http/http_glue.h"
#include "broker/scan/scan.h"
#include "common/wire.h"
#include "t/unit/scan_testutil.h"

/* a real-format token (valid CRC32 tail), the registry's own sample */
static const char GH[] = "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";
/* quoted where binary filler touches it: "...49D" would be no token */
static const char TOK[] = "\"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\"";
#define GHL (sizeof(GH) - 1)
#define TOKL (sizeof(TOK) - 1)

static struct brk_scan_engine *e;

static void setup(void)
{
	e = tu_engine(0, NULL, 0);
}

static void teardown(void)
{
	brk_scan_engine_free(e);
	e = NULL;
}

/* n filler bytes: pseudo-random binary (bin) or JSON-like text */
static void filler(struct tu_buf *b, size_t n, int bin, uint32_t seed)
{
	static const char txt[] = "{\"name\": \"pkg\", \"version\": \"1.2.3\", \"ok\": true},\n";
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		c = bin ? (uint8_t)(x >> 24) : (uint8_t)txt[i % (sizeof(txt) - 1)];
		tu_cat(b, &c, 1);
	}
}

/*
 * The relay's calls for one direction over p[0..n) in chunk-byte reads,
 * then the EOF flush. 1 if any read was blocked; *found: findings seen.
 */
static int relay_like(int dir, const struct tu_buf *w, size_t chunk, unsigned *found)
{
	struct brk_http_glue g;
	struct brk_scan_stream *ss = NULL;
	struct brk_scan_result r;
	unsigned long long scanned;
	bool partial;
	char why[128];
	size_t off = 0;
	int blocked = 0;

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(brk_scan_stream_open_dir(e, dir == DLP_DIR_RECV ? BRK_SCAN_INGRESS
						  : BRK_SCAN_EGRESS, &ss), 0);
	*found = 0;
	while (off < w->len) {
		size_t k = w->len - off < chunk ? w->len - off : chunk;

		memset(&r, 0, sizeof(r));
		g.cover = 1;
		(void)brk_http_glue_scan(&g, e, DLP_CHAN_PLAIN, dir, w->p + off, k, NULL, &r);
		(void)brk_http_glue_raw(&g, ss, w->p + off, k, NULL, &r, &partial, &scanned, why,
					sizeof(why));
		blocked |= r.blocked;
		*found += r.nfindings;
		off += k;
	}
	memset(&r, 0, sizeof(r));
	(void)brk_http_glue_raw(&g, ss, NULL, 0, NULL, &r, &partial, &scanned, why, sizeof(why));
	blocked |= r.blocked;
	*found += r.nfindings;
	brk_http_glue_free(&g);
	brk_scan_stream_close(ss);
	return blocked;
}

static const size_t chunks[] = { 1, 7, 333, 4096, 65536, 1 << 22 };
#define NCHUNKS (sizeof(chunks) / sizeof(chunks[0]))

/* blocked at every feed size (egress); the clean form at none */
static void expect(const struct tu_buf *bad, const struct tu_buf *clean, const char *what)
{
	unsigned found, i;

	for (i = 0; i < NCHUNKS; i++) {
		int b = relay_like(DLP_DIR_SEND, bad, chunks[i], &found);

		ck_assert_msg(b && found, "%s: not caught in %zu-byte reads (%d %u)", what,
			      chunks[i], b, found);
		ck_assert_msg(!relay_like(DLP_DIR_SEND, clean, chunks[i], &found) && !found,
			      "%s: clean form flagged in %zu-byte reads", what, chunks[i]);
	}
}

/* ---- HTTP/2 ---- */

static void frame(struct tu_buf *b, uint8_t type, uint8_t flags, uint32_t sid,
		  const void *p, size_t n, const void *pad, size_t npad, int padded)
{
	size_t len = n + (padded ? 1 + npad : 0);
	uint8_t h[10] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type,
			  (uint8_t)(flags | (padded ? 0x8 : 0)), (uint8_t)(sid >> 24),
			  (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid, (uint8_t)npad };

	tu_cat(b, h, padded ? 10 : 9);
	if (n)
		tu_cat(b, p, n);
	if (padded && npad)
		tu_cat(b, pad, npad);
}

static size_t lit(uint8_t *o, const char *n, const char *v)
{
	size_t nl = strlen(n), vl = strlen(v);

	o[0] = 0x00;
	o[1] = (uint8_t)nl;
	memcpy(o + 2, n, nl);
	o[2 + nl] = (uint8_t)vl;
	memcpy(o + 3 + nl, v, vl);
	return 3 + nl + vl;
}

/* preface, SETTINGS, a POST's HEADERS on stream 1 (with extra block bytes,
 * and padding pad[0..npad) when padded) */
static void h2_start(struct tu_buf *b, const char *ce, const void *extra, size_t nextra,
		     const void *pad, size_t npad, int padded)
{
	uint8_t blk[512];
	size_t n = 0;

	tu_cats(b, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	frame(b, 0x4, 0, 0, NULL, 0, NULL, 0, 0);
	n += lit(blk + n, ":method", "POST");
	n += lit(blk + n, ":scheme", "http");
	n += lit(blk + n, ":path", "/upload");
	n += lit(blk + n, ":authority", "up.example");
	if (ce)
		n += lit(blk + n, "content-encoding", ce);
	if (nextra)
		memcpy(blk + n, extra, nextra);
	n += nextra;
	frame(b, 0x1, 0x4, 1, blk, n, pad, npad, padded);
}

/* the body in DATA frames of fl bytes (last one END_STREAM) */
static void h2_body(struct tu_buf *b, const struct tu_buf *body, size_t fl)
{
	size_t off = 0;

	while (off < body->len) {
		size_t k = body->len - off < fl ? body->len - off : fl;

		frame(b, 0x0, off + k == body->len ? 0x1 : 0, 1, body->p + off, k, NULL, 0, 0);
		off += k;
	}
}

/* a token in the padding of a large DATA frame */
START_TEST(h2_data_padding)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, body = { 0 };
	uint8_t zero[TOKL] = { 0 };

	filler(&body, 3000, _i, 1);
	h2_start(&bad, NULL, NULL, 0, NULL, 0, 0);
	h2_start(&clean, NULL, NULL, 0, NULL, 0, 0);
	frame(&bad, 0x0, 0x1, 1, body.p, body.len, TOK, TOKL, 1);
	frame(&clean, 0x0, 0x1, 1, body.p, body.len, zero, TOKL, 1);
	expect(&bad, &clean, "h2 DATA padding");
	free(bad.p);
	free(clean.p);
	free(body.p);
}
END_TEST

/* half the token at the end of a DATA payload, half in its padding */
START_TEST(h2_data_into_padding)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, body = { 0 }, cbody = { 0 };
	const size_t h = 20;
	uint8_t zero[TOKL] = { 0 };

	filler(&body, 3000, _i, 2);
	cbody = (struct tu_buf){ 0 };
	tu_cat(&cbody, body.p, body.len);
	tu_cat(&body, TOK, h);
	tu_cat(&cbody, "AAAAAAAAAAAAAAAAAAAA", h);
	h2_start(&bad, NULL, NULL, 0, NULL, 0, 0);
	h2_start(&clean, NULL, NULL, 0, NULL, 0, 0);
	frame(&bad, 0x0, 0x1, 1, body.p, body.len, TOK + h, TOKL - h, 1);
	frame(&clean, 0x0, 0x1, 1, cbody.p, cbody.len, zero, TOKL - h, 1);
	expect(&bad, &clean, "h2 DATA + padding");
	free(bad.p);
	free(clean.p);
	free(body.p);
	free(cbody.p);
}
END_TEST

/* a token split over two DATA frames, and in the middle of a large one */
START_TEST(h2_data_split)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, body = { 0 }, cbody = { 0 };

	filler(&body, 4000 - 20, _i, 3);
	tu_cat(&cbody, body.p, body.len);
	tu_cat(&body, TOK, TOKL);
	filler(&body, 9000, _i, 4);
	filler(&cbody, 9000 + TOKL, _i, 4);
	h2_start(&bad, NULL, NULL, 0, NULL, 0, 0);
	h2_start(&clean, NULL, NULL, 0, NULL, 0, 0);
	h2_body(&bad, &body, 4000);
	h2_body(&clean, &cbody, 4000);
	expect(&bad, &clean, "h2 DATA split over frames");
	free(bad.p);
	free(clean.p);
	bad = (struct tu_buf){ 0 };
	h2_start(&bad, NULL, NULL, 0, NULL, 0, 0);
	h2_body(&bad, &body, 16384);
	clean = (struct tu_buf){ 0 };
	h2_start(&clean, NULL, NULL, 0, NULL, 0, 0);
	h2_body(&clean, &cbody, 16384);
	expect(&bad, &clean, "h2 DATA, token in a large frame");
	free(bad.p);
	free(clean.p);
	free(body.p);
	free(cbody.p);
}
END_TEST

/* a token in a padded HEADERS frame's padding, before a large body */
START_TEST(h2_headers_padding)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, body = { 0 };
	uint8_t zero[TOKL] = { 0 };

	filler(&body, 5000, _i, 5);
	h2_start(&bad, NULL, NULL, 0, TOK, TOKL, 1);
	h2_start(&clean, NULL, NULL, 0, zero, TOKL, 1);
	h2_body(&bad, &body, 16384);
	h2_body(&clean, &body, 16384);
	expect(&bad, &clean, "h2 HEADERS padding");
	free(bad.p);
	free(clean.p);
	free(body.p);
}
END_TEST

#ifdef HAVE_NGHTTP2
/* a Huffman-coded header (HPACK), before a large body */
START_TEST(h2_huffman_header)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, body = { 0 };
	nghttp2_hd_deflater *d;
	nghttp2_nv nv = { (uint8_t *)"x-token", (uint8_t *)GH, 7, GHL, NGHTTP2_NV_FLAG_NO_INDEX };
	uint8_t blk[256];
	ssize_t n;

	ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
	n = nghttp2_hd_deflate_hd(d, blk, sizeof(blk), &nv, 1);
	nghttp2_hd_deflate_del(d);
	ck_assert_int_gt(n, 0);
	ck_assert(!memmem(blk, (size_t)n, "ghp_", 4));     /* Huffman-coded, not in clear */
	filler(&body, 5000, _i, 6);
	h2_start(&bad, NULL, blk, (size_t)n, NULL, 0, 0);
	h2_start(&clean, NULL, NULL, 0, NULL, 0, 0);
	h2_body(&bad, &body, 16384);
	h2_body(&clean, &body, 16384);
	expect(&bad, &clean, "h2 Huffman header");
	free(bad.p);
	free(clean.p);
	free(body.p);
}
END_TEST
#endif

/* a gzip body (declared), in DATA frames */
START_TEST(h2_gzip_body)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, plain = { 0 }, cplain = { 0 }, z, cz;

	filler(&plain, 6000, 0, 7);
	tu_cat(&cplain, plain.p, plain.len);
	tu_cat(&plain, TOK, TOKL);
	filler(&plain, 3000, 0, 8);
	filler(&cplain, 3000, 0, 8);
	z = tu_compress(0, plain.p, plain.len);
	cz = tu_compress(0, cplain.p, cplain.len);
	h2_start(&bad, "gzip", NULL, 0, NULL, 0, 0);
	h2_start(&clean, "gzip", NULL, 0, NULL, 0, 0);
	h2_body(&bad, &z, 200);
	h2_body(&clean, &cz, 200);
	expect(&bad, &clean, "h2 gzip body");
	free(bad.p);
	free(clean.p);
	free(plain.p);
	free(cplain.p);
	free(z.p);
	free(cz.p);
}
END_TEST

/* inbound: a token in a response's DATA padding is still reported */
START_TEST(h2_inbound_padding)
{
	struct tu_buf w = { 0 }, body = { 0 };
	uint8_t blk[16] = { 0x88 };     /* :status 200, indexed */
	unsigned found, i;

	filler(&body, 3000, 1, 9);
	frame(&w, 0x4, 0, 0, NULL, 0, NULL, 0, 0);
	frame(&w, 0x1, 0x4, 1, blk, 1, NULL, 0, 0);
	frame(&w, 0x0, 0x1, 1, body.p, body.len, TOK, TOKL, 1);
	for (i = 0; i < NCHUNKS; i++) {
		ck_assert(!relay_like(DLP_DIR_RECV, &w, chunks[i], &found));
		ck_assert_msg(found, "inbound h2 padding: not reported in %zu-byte reads", chunks[i]);
	}
	free(w.p);
	free(body.p);
}
END_TEST

/* ---- HTTP/1.1 chunked ---- */

static void h1_start(struct tu_buf *b, const char *ce)
{
	tu_cats(b, "POST /upload HTTP/1.1\r\nHost: up.example\r\n");
	if (ce) {
		tu_cats(b, "Content-Encoding: ");
		tu_cats(b, ce);
		tu_cats(b, "\r\n");
	}
	tu_cats(b, "Transfer-Encoding: chunked\r\n\r\n");
}

/* body in chunks of cl bytes; ext on the chunk starting at ext_at; trailer */
static void h1_chunks(struct tu_buf *b, const struct tu_buf *body, size_t cl, const char *ext,
		      size_t ext_at, const char *trailer)
{
	size_t off = 0;
	char line[128];

	while (off < body->len) {
		size_t k = body->len - off < cl ? body->len - off : cl;

		snprintf(line, sizeof(line), "%zx%s%s\r\n", k, ext && off == ext_at ? ";x=" : "",
			 ext && off == ext_at ? ext : "");
		tu_cats(b, line);
		tu_cat(b, body->p + off, k);
		tu_cats(b, "\r\n");
		off += k;
	}
	tu_cats(b, "0\r\n");
	if (trailer)
		tu_cats(b, trailer);
	tu_cats(b, "\r\n");
}

START_TEST(h1_chunk_extension)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, body = { 0 };

	filler(&body, 9000, _i, 10);
	h1_start(&bad, NULL);
	h1_start(&clean, NULL);
	h1_chunks(&bad, &body, 3000, GH, 3000, NULL);
	h1_chunks(&clean, &body, 3000, "plain-extension-value", 3000, NULL);
	expect(&bad, &clean, "chunk extension");
	free(bad.p);
	free(clean.p);
	free(body.p);
}
END_TEST

START_TEST(h1_trailer)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, body = { 0 };
	char tr[128];

	snprintf(tr, sizeof(tr), "X-Checksum: %s\r\n", GH);
	filler(&body, 9000, _i, 11);
	h1_start(&bad, NULL);
	h1_start(&clean, NULL);
	h1_chunks(&bad, &body, 3000, NULL, 0, tr);
	h1_chunks(&clean, &body, 3000, NULL, 0, "X-Checksum: 1234abcd\r\n");
	expect(&bad, &clean, "trailer");
	free(bad.p);
	free(clean.p);
	free(body.p);
}
END_TEST

/* a token split over chunks: at a 3000-byte chunk boundary, in 1-byte chunks */
START_TEST(h1_chunk_split)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, body = { 0 }, cbody = { 0 };

	filler(&body, 3000 - 15, _i, 12);
	tu_cat(&cbody, body.p, body.len);
	tu_cat(&body, TOK, TOKL);
	filler(&body, 6000, _i, 13);
	filler(&cbody, 6000 + TOKL, _i, 13);
	h1_start(&bad, NULL);
	h1_start(&clean, NULL);
	h1_chunks(&bad, &body, 3000, NULL, 0, NULL);
	h1_chunks(&clean, &cbody, 3000, NULL, 0, NULL);
	expect(&bad, &clean, "split over chunks");
	free(bad.p);
	free(clean.p);
	bad = (struct tu_buf){ 0 };
	clean = (struct tu_buf){ 0 };
	h1_start(&bad, NULL);
	h1_start(&clean, NULL);
	h1_chunks(&bad, &body, 1, NULL, 0, NULL);
	h1_chunks(&clean, &cbody, 1, NULL, 0, NULL);
	expect(&bad, &clean, "1-byte chunks");
	free(bad.p);
	free(clean.p);
	free(body.p);
	free(cbody.p);
}
END_TEST

START_TEST(h1_chunked_gzip)
{
	struct tu_buf bad = { 0 }, clean = { 0 }, plain = { 0 }, cplain = { 0 }, z, cz;

	filler(&plain, 6000, 0, 14);
	tu_cat(&cplain, plain.p, plain.len);
	tu_cat(&plain, TOK, TOKL);
	filler(&plain, 3000, 0, 15);
	filler(&cplain, 3000, 0, 15);
	z = tu_compress(0, plain.p, plain.len);
	cz = tu_compress(0, cplain.p, cplain.len);
	h1_start(&bad, "gzip");
	h1_start(&clean, "gzip");
	h1_chunks(&bad, &z, 100, NULL, 0, NULL);
	h1_chunks(&clean, &cz, 100, NULL, 0, NULL);
	expect(&bad, &clean, "chunked gzip body");
	free(bad.p);
	free(clean.p);
	free(plain.p);
	free(cplain.p);
	free(z.p);
	free(cz.p);
}
END_TEST

/* the raw scan gets less than the whole stream, and nothing is lost at
 * the cut: brk_http_glue_rest() of a large h2 upload */
START_TEST(rest_is_small)
{
	struct tu_buf w = { 0 }, body = { 0 };
	struct brk_http_glue g;
	struct brk_scan_result r;
	const uint8_t *rp;
	size_t rn;

	filler(&body, 64 * 1024, 1, 16);
	h2_start(&w, NULL, NULL, 0, NULL, 0, 0);
	h2_body(&w, &body, 16384);
	memset(&g, 0, sizeof(g));
	memset(&r, 0, sizeof(r));
	g.cover = 1;
	ck_assert_int_eq(brk_http_glue_scan(&g, e, DLP_CHAN_PLAIN, DLP_DIR_SEND, w.p, w.len, NULL,
					    &r), 0);
	ck_assert_int_eq(brk_http_glue_rest(&g, w.p, w.len, &rp, &rn), 0);
	/* head, frame headers, 2 x 256 bytes of each frame's ends, 4 cuts */
	ck_assert_uint_lt(rn, w.len / 10);
	ck_assert_uint_gt(rn, 4 * 2 * BRK_HTTP_GLUE_CTX);
	brk_http_glue_free(&g);
	free(w.p);
	free(body.p);
}
END_TEST

/* An escaped token inside binary (an upload): the escape decoders' context
 * stops at control bytes, never inside the token around the escape. */
START_TEST(escapes_in_binary)
{
	static const char *const esc[] = { "\\u0055", "%55", "&#85;", "=55" };
	struct tu_buf bad = { 0 }, clean = { 0 }, body = { 0 }, cbody = { 0 };
	char head[160];
	size_t i;

	for (i = 0; i < 3; i++) {
		filler(&body, 20000, 1, 20 + (uint32_t)i);
		tu_cat(&body, "\x01", 1);
		tu_cat(&body, GH, 5);                   /* "ghp_c" */
		tu_cats(&body, esc[_i]);                /* 'U' */
		tu_cat(&body, GH + 6, GHL - 6);
		tu_cat(&body, "\x02", 1);
	}
	filler(&body, 20000, 1, 30);
	filler(&cbody, body.len, 1, 20);
	snprintf(head, sizeof(head), "POST /up HTTP/1.1\r\nHost: up.example\r\n"
		 "Content-Length: %zu\r\n\r\n", body.len);
	tu_cats(&bad, head);
	tu_cat(&bad, body.p, body.len);
	tu_cats(&clean, head);
	tu_cat(&clean, cbody.p, cbody.len);
	expect(&bad, &clean, esc[_i]);
	free(bad.p);
	free(clean.p);
	free(body.p);
	free(cbody.p);
}
END_TEST

Suite *scan_once_suite(void)
{
	Suite *s = suite_create("scan_once");
	TCase *tc = tcase_create("relay");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	/* _i: 0 text filler, 1 binary filler */
	tcase_add_loop_test(tc, h2_data_padding, 0, 2);
	tcase_add_loop_test(tc, h2_data_into_padding, 0, 2);
	tcase_add_loop_test(tc, h2_data_split, 0, 2);
	tcase_add_loop_test(tc, h2_headers_padding, 0, 2);
#ifdef HAVE_NGHTTP2
	tcase_add_loop_test(tc, h2_huffman_header, 0, 2);
#endif
	tcase_add_test(tc, h2_gzip_body);
	tcase_add_test(tc, h2_inbound_padding);
	tcase_add_loop_test(tc, h1_chunk_extension, 0, 2);
	tcase_add_loop_test(tc, h1_trailer, 0, 2);
	tcase_add_loop_test(tc, h1_chunk_split, 0, 2);
	tcase_add_test(tc, h1_chunked_gzip);
	tcase_add_test(tc, rest_is_small);
	tcase_add_loop_test(tc, escapes_in_binary, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
