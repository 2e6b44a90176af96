/* SPDX-License-Identifier: MIT */
/*
 * scan_fixed_test.c - the engine's fixed-cost shortcuts per message and
 * per connection (branch engine-fixed), attacked through the relay's
 * calls on one keep-alive connection (relay_scan.c rl_scan_plain: glue,
 * raw stream over brk_http_glue_rest(), one glue and one raw stream for
 * the whole connection): HTTP/2 headers scanned as one block (a token in
 * the first, the last, a lone oversized header, the second stream, after
 * a dirty request), results cleared without their 1.9 KB memset (a stale
 * finding or flag must not survive into the next verdict), and HTTP/1.1
 * keep-alive messages (the smallest message, the first and last byte of a
 * header value, after a large message, pipelined in one segment, a
 * base64 run cut at the boundary of two messages).
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
#define GHL (sizeof(GH) - 1)

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

/* One direction of one connection, as the relay holds it. */
struct conn {
	struct brk_http_glue g;
	struct brk_scan_stream *ss;
};

static void conn_open(struct conn *c, int dir)
{
	memset(&c->g, 0, sizeof(c->g));
	ck_assert_int_eq(brk_scan_stream_open_dir(e, dir == DLP_DIR_RECV ? BRK_SCAN_INGRESS
						  : BRK_SCAN_EGRESS, &c->ss), 0);
}

static void conn_close(struct conn *c)
{
	brk_http_glue_free(&c->g);
	brk_scan_stream_close(c->ss);
}

/*
 * p[0..n) in chunk-byte reads, each with the relay's calls, into one
 * result reused for every read (as rl_scan_plain's). 1 if any read was
 * blocked; *found += findings.
 */
static int conn_feed(struct conn *c, int dir, const void *vp, size_t n, size_t chunk,
		     unsigned *found)
{
	const uint8_t *p = vp;
	struct brk_scan_result r;
	unsigned long long scanned;
	bool partial;
	char why[128];
	size_t off = 0;
	int blocked = 0;

	memset(&r, 0x5a, sizeof(r));    /* garbage: every call starts its own */
	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk;

		brk_scan_result_clear(&r);
		c->g.cover = 1;
		(void)brk_http_glue_scan(&c->g, e, DLP_CHAN_PLAIN, dir, p + off, k, NULL, &r);
		(void)brk_http_glue_raw(&c->g, c->ss, p + off, k, NULL, &r, &partial, &scanned,
					why, sizeof(why));
		if (dir == DLP_DIR_SEND)
			(void)brk_scan_split_feed(e, NULL, p + off, k, &r);
		blocked |= r.blocked;
		if (found)
			*found += r.nfindings;
		off += k;
	}
	return blocked;
}

static const size_t chunks[] = { 1, 7, 333, 1 << 22 };
#define NCHUNKS (sizeof(chunks) / sizeof(chunks[0]))

/* ---- HTTP/2: headers scanned as one block ---- */

#ifdef HAVE_NGHTTP2
static void frame(struct tu_buf *b, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		  size_t n)
{
	uint8_t h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, type, flags,
			 (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8),
			 (uint8_t)sid };

	tu_cat(b, h, 9);
	if (n)
		tu_cat(b, p, n);
}

/*
 * A POST on stream sid, every header Huffman-coded (so only the glue's
 * header scan can see a value: the raw stream has the HPACK bytes); the
 * token, if any, is the value of extra header number at (0: before the
 * pseudo-headers, 99: the last, 50: in the :path), or with big, an oversized value ending
 * in it. A 50-byte body, or with nobody a GET without one (HEADERS with
 * END_STREAM: the block is the last part of the read).
 */
static void h2_post(nghttp2_hd_deflater *d, struct tu_buf *b, uint32_t sid, int at, int big,
		    int nobody, const char *tok)
{
	static const char body[] = "{\"id\":1,\"name\":\"bench\",\"tags\":[\"a\",\"b\"],\"ok\":true}";
	nghttp2_nv nv[12];
	uint8_t *blk;
	char *bigv = NULL, pathv[128];
	size_t nn = 0, cap;
	ssize_t n;
	int i;

	snprintf(pathv, sizeof(pathv), "/p/%s", tok ? tok : "");
#define NV(a, v) (nghttp2_nv){ (uint8_t *)(a), (uint8_t *)(v), strlen(a), strlen(v), \
			       NGHTTP2_NV_FLAG_NO_INDEX }
	if (tok && at == 0)
		nv[nn++] = NV("x-first", tok);
	nv[nn++] = NV(":method", nobody ? "GET" : "POST");
	nv[nn++] = NV(":scheme", "https");
	nv[nn++] = NV(":path", tok && at == 50 ? pathv : "/p");
	nv[nn++] = NV(":authority", "up.example");
	for (i = 1; i <= 4; i++) {
		if (tok && at == i)
			nv[nn++] = NV("x-mid", tok);
		nv[nn++] = NV(i == 1 ? "content-type" : i == 2 ? "user-agent" : i == 3 ? "accept"
			      : "x-request-id", i == 1 ? "application/json" : i == 2 ? "curl/8.5.0"
			      : i == 3 ? "*/*" : "4f0c2a77");
	}
	if (tok && big) {
		size_t bl = 20000 + strlen(tok);

		bigv = malloc(bl + 1);
		ck_assert_ptr_nonnull(bigv);
		memset(bigv, 'a', 20000);
		bigv[19999] = ' ';
		memcpy(bigv + 20000, tok, strlen(tok) + 1);
		nv[nn++] = NV("x-big", bigv);
	} else if (tok && at == 99) {
		nv[nn++] = NV("x-last", tok);
	}
#undef NV
	cap = 64 + (bigv ? 30000 : 1024);
	blk = malloc(cap);
	ck_assert_ptr_nonnull(blk);
	n = nghttp2_hd_deflate_hd(d, blk, cap, nv, nn);
	ck_assert_int_gt(n, 0);
	ck_assert(!memmem(blk, (size_t)n, "ghp_", 4));     /* Huffman-coded, not in clear */
	frame(b, 0x1, nobody ? 0x5 : 0x4, sid, blk, (size_t)n);
	if (!nobody)
		frame(b, 0x0, 0x1, sid, body, sizeof(body) - 1);
	free(blk);
	free(bigv);
}

static void h2_preface(struct tu_buf *b)
{
	tu_cats(b, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	frame(b, 0x4, 0, 0, NULL, 0);
}

/* positions of the token: first, second, fourth header, last, oversized;
 * the first and last again in a GET without a body; in the :path (the
 * start line that ends the block), POST and GET */
static const int h2_at[][3] = { { 0, 0, 0 }, { 1, 0, 0 }, { 3, 0, 0 }, { 99, 0, 0 }, { 99, 1, 0 },
				{ 0, 0, 1 }, { 99, 0, 1 }, { 50, 0, 0 }, { 50, 0, 1 } };

/*
 * A clean request on stream 1, the token at h2_at[_i] on stream 3, a clean
 * one on stream 5, all on one connection (one HPACK context): caught in
 * every read size; fed request by request (HEADERS and DATA in reads of
 * their own), caught in the read of stream 3's HEADERS and only there (a
 * block scanned late would let its bytes go before its verdict).
 */
START_TEST(h2_header_block_positions)
{
	unsigned found;
	size_t i;

	for (i = 0; i < NCHUNKS + 1; i++) {
		nghttp2_hd_deflater *d;
		struct tu_buf w[3] = { { 0 } }, all = { 0 };
		struct conn c;
		int k;

		ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
		h2_preface(&w[0]);
		h2_post(d, &w[0], 1, 0, 0, h2_at[_i][2], NULL);
		h2_post(d, &w[1], 3, h2_at[_i][0], h2_at[_i][1], h2_at[_i][2], GH);
		h2_post(d, &w[2], 5, 0, 0, h2_at[_i][2], NULL);
		nghttp2_hd_deflate_del(d);
		conn_open(&c, DLP_DIR_SEND);
		if (i < NCHUNKS) {
			for (k = 0; k < 3; k++)
				tu_cat(&all, w[k].p, w[k].len);
			found = 0;
			ck_assert_msg(conn_feed(&c, DLP_DIR_SEND, all.p, all.len, chunks[i], &found)
				      && found, "h2 header at %d (big %d): not caught in %zu-byte "
				      "reads", h2_at[_i][0], h2_at[_i][1], chunks[i]);
		} else {
			for (k = 0; k < 3; k++) {
				/* the HEADERS frame alone in its read: judged in it */
				size_t hl = 9 + ((size_t)w[k].p[0] << 16 | (size_t)w[k].p[1] << 8 |
						 w[k].p[2]);
				int b;

				found = 0;
				if (k == 0)
					hl = w[k].len;  /* the preface first */
				b = conn_feed(&c, DLP_DIR_SEND, w[k].p, hl, hl, &found);
				if (hl < w[k].len)
					(void)conn_feed(&c, DLP_DIR_SEND, w[k].p + hl, w[k].len - hl,
							w[k].len - hl, k == 1 ? NULL : &found);
				ck_assert_msg(k == 1 ? b && found : !b && !found, "h2 header at %d "
					      "(big %d): request %d blocked %d, %u findings",
					      h2_at[_i][0], h2_at[_i][1], k, b, found);
			}
		}
		conn_close(&c);
		for (k = 0; k < 3; k++)
			free(w[k].p);
		free(all.p);
	}
}
END_TEST

/*
 * A HEADERS block of plain headers only (no pseudo-header, no END_STREAM:
 * the parser emits no start line and no message end after it), alone in
 * its read: the token in it is judged in that read, before its bytes go.
 */
START_TEST(h2_bare_headers_in_their_read)
{
	nghttp2_hd_deflater *d;
	nghttp2_nv nv[2] = {
		{ (uint8_t *)"content-type", (uint8_t *)"text/plain", 12, 10, NGHTTP2_NV_FLAG_NO_INDEX },
		{ (uint8_t *)"x-token", (uint8_t *)GH, 7, GHL, NGHTTP2_NV_FLAG_NO_INDEX },
	};
	struct tu_buf w = { 0 }, dat = { 0 };
	uint8_t blk[256];
	struct conn c;
	unsigned found = 0;
	ssize_t n;
	int b;

	ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
	n = nghttp2_hd_deflate_hd(d, blk, sizeof(blk), nv, 2);
	nghttp2_hd_deflate_del(d);
	ck_assert_int_gt(n, 0);
	h2_preface(&w);
	frame(&w, 0x1, 0x4, 1, blk, (size_t)n);
	frame(&dat, 0x0, 0x1, 1, "ok", 2);
	conn_open(&c, DLP_DIR_SEND);
	b = conn_feed(&c, DLP_DIR_SEND, w.p, w.len, w.len, &found);
	ck_assert_msg(b && found, "a bare HEADERS block's token not judged in its own read");
	(void)conn_feed(&c, DLP_DIR_SEND, dat.p, dat.len, dat.len, NULL);
	conn_close(&c);
	free(w.p);
	free(dat.p);
}
END_TEST

/* the same connection without a token: nothing, at any read size */
START_TEST(h2_header_block_clean)
{
	size_t i;

	for (i = 0; i < NCHUNKS; i++) {
		nghttp2_hd_deflater *d;
		struct tu_buf w = { 0 };
		struct conn c;
		unsigned found = 0;
		uint32_t sid;

		ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
		h2_preface(&w);
		for (sid = 1; sid < 12; sid += 2)
			h2_post(d, &w, sid, 0, 0, sid % 4 == 3, NULL);
		nghttp2_hd_deflate_del(d);
		conn_open(&c, DLP_DIR_SEND);
		ck_assert_msg(!conn_feed(&c, DLP_DIR_SEND, w.p, w.len, chunks[i], &found) && !found,
			      "clean h2 requests flagged in %zu-byte reads (%u)", chunks[i], found);
		conn_close(&c);
		free(w.p);
	}
}
END_TEST
#endif

/* ---- results cleared, not zeroed ---- */

/*
 * One result reused: an inbound finding (received), then an outbound
 * token. The outbound finding must not inherit "received" (the relay
 * lets received findings through), then a clean scan has nothing left.
 */
START_TEST(result_reused)
{
	struct brk_scan_stream *in = NULL, *out = NULL;
	struct brk_scan_result r;
	char msg[128];

	snprintf(msg, sizeof(msg), "token=%s\n", GH);
	memset(&r, 0x5a, sizeof(r));
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &in), 0);
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_EGRESS, &out), 0);
	(void)brk_scan_stream_feed(in, (const uint8_t *)msg, strlen(msg), NULL, &r);
	ck_assert_uint_ge(r.nfindings, 1);
	ck_assert_int_eq(r.findings[0].received, 1);
	ck_assert_int_eq(r.blocked, 0);
	(void)brk_scan_stream_feed(out, (const uint8_t *)msg, strlen(msg), NULL, &r);
	ck_assert_uint_ge(r.nfindings, 1);
	ck_assert_int_eq(r.findings[0].received, 0);
	ck_assert_int_eq(r.blocked, 1);
	(void)brk_scan_stream_feed(out, (const uint8_t *)"clean words\n", 12, NULL, &r);
	ck_assert_uint_eq(r.nfindings, 0);
	ck_assert_int_eq(r.blocked, 0);
	ck_assert_int_eq(r.refused, 0);
	ck_assert_int_eq(r.partial, 0);
	ck_assert_str_eq(r.error, "");
	ck_assert_str_eq(r.rule, "");
	ck_assert_uint_eq(r.ndropped, 0);
	(void)brk_scan_buffer_dir(e, BRK_SCAN_EGRESS, (const uint8_t *)msg, strlen(msg), NULL, &r);
	ck_assert_int_eq(r.blocked, 1);
	ck_assert_int_eq(r.findings[0].received, 0);
	(void)brk_scan_buffer_dir(e, BRK_SCAN_EGRESS, (const uint8_t *)"x", 1, NULL, &r);
	ck_assert_uint_eq(r.nfindings, 0);
	ck_assert_int_eq(r.blocked, 0);
	brk_scan_stream_close(in);
	brk_scan_stream_close(out);
}
END_TEST

/* ---- HTTP/1.1 keep-alive ---- */

static void h1_post(struct tu_buf *b, const char *hdr, const char *body)
{
	char head[512];

	snprintf(head, sizeof(head), "POST /p HTTP/1.1\r\nHost: localhost:8443\r\n%s"
		 "Content-Length: %zu\r\nContent-Type: application/json\r\n\r\n", hdr ? hdr : "",
		 strlen(body));
	tu_cats(b, head);
	tu_cats(b, body);
}

static const char CLEAN_BODY[] = "{\"id\":1,\"name\":\"bench\",\"ok\":true}";

/*
 * Clean requests, then the dirty one (message), then clean ones again, on
 * one connection. Whole messages per read: caught in the dirty one's read
 * and only there; and in every read size.
 */
static void h1_expect(const struct tu_buf *pre, const struct tu_buf *dirty, const char *what)
{
	struct tu_buf cl = { 0 }, all = { 0 };
	struct conn c;
	unsigned found;
	size_t i;
	int k;

	h1_post(&cl, NULL, CLEAN_BODY);
	for (i = 0; i < NCHUNKS + 1; i++) {
		if (i < NCHUNKS && pre && pre->len > 4096 && chunks[i] < 333)
			continue;       /* a large message in tiny reads: seconds */
		conn_open(&c, DLP_DIR_SEND);
		if (i < NCHUNKS) {
			all.len = 0;
			if (pre)
				tu_cat(&all, pre->p, pre->len);
			tu_cat(&all, cl.p, cl.len);
			tu_cat(&all, dirty->p, dirty->len);
			tu_cat(&all, cl.p, cl.len);
			found = 0;
			ck_assert_msg(conn_feed(&c, DLP_DIR_SEND, all.p, all.len, chunks[i], &found)
				      && found, "%s: not caught in %zu-byte reads", what, chunks[i]);
		} else {
			found = 0;
			if (pre)
				ck_assert_msg(!conn_feed(&c, DLP_DIR_SEND, pre->p, pre->len, pre->len,
							 &found) && !found, "%s: before flagged", what);
			for (k = 0; k < 3; k++) {
				ck_assert_msg(!conn_feed(&c, DLP_DIR_SEND, cl.p, cl.len, cl.len, &found)
					      && !found, "%s: clean request flagged", what);
			}
			ck_assert_msg(conn_feed(&c, DLP_DIR_SEND, dirty->p, dirty->len, dirty->len,
						&found) && found, "%s: not caught in its own read", what);
			found = 0;
			for (k = 0; k < 3; k++)
				ck_assert_msg(!conn_feed(&c, DLP_DIR_SEND, cl.p, cl.len, cl.len, &found)
					      && !found, "%s: clean request after it flagged", what);
		}
		conn_close(&c);
	}
	free(cl.p);
	free(all.p);
}

/* the smallest message; the first and last byte of a header value */
START_TEST(h1_small_positions)
{
	struct tu_buf d = { 0 };
	char h[128];

	tu_cats(&d, "GET /");
	tu_cats(&d, GH);
	tu_cats(&d, " HTTP/1.1\r\n\r\n");
	h1_expect(NULL, &d, "token as the target of a bare GET");
	d.len = 0;
	snprintf(h, sizeof(h), "X-A: %s\r\n", GH);
	h1_post(&d, h, CLEAN_BODY);
	h1_expect(NULL, &d, "token at a header value's first byte");
	d.len = 0;
	snprintf(h, sizeof(h), "X-A: v=1,%s\r\n", GH);
	h1_post(&d, h, CLEAN_BODY);
	h1_expect(NULL, &d, "token at a header value's last byte");
	d.len = 0;
	snprintf(h, sizeof(h), "{\"t\":\"%s\"}", GH);
	h1_post(&d, NULL, h);
	h1_expect(NULL, &d, "token as the whole (JSON) body");
	d.len = 0;
	h1_post(&d, NULL, GH);
	h1_expect(NULL, &d, "token as the whole body");
	free(d.p);
}
END_TEST

/* after a large message on the same connection; pipelined in one read */
START_TEST(h1_after_large_and_pipelined)
{
	struct tu_buf big = { 0 }, d = { 0 }, body = { 0 };
	char h[128];

	tu_fill(&body, "{\"name\": \"pkg\", \"version\": \"1.2.3\", \"ok\": true},\n", 300000);
	tu_cat(&body, "", 1);
	h1_post(&big, NULL, (const char *)body.p);
	snprintf(h, sizeof(h), "Authorization: token %s\r\n", GH);
	h1_post(&d, h, CLEAN_BODY);
	h1_expect(&big, &d, "token after a 300 KB message");
	/* two requests in one segment, the token in the second */
	big.len = 0;
	h1_post(&big, NULL, CLEAN_BODY);
	tu_cat(&big, d.p, d.len);
	h1_expect(NULL, &big, "token in a pipelined second request");
	free(big.p);
	free(d.p);
	free(body.p);
}
END_TEST

/*
 * A base64 token cut at a message boundary: its first half ends one
 * request's body, its second half is the next request's method (a token
 * character string the parser takes). A reader joining the stream sees
 * it; the windows' context must still reach over the boundary.
 */
START_TEST(h1_b64_across_messages)
{
	struct tu_buf b = tu_b64(GH, GHL, 0, 0, 0), m1 = { 0 }, m2 = { 0 };
	size_t half = (b.len / 2) & ~(size_t)3;
	char body[128], head[256];

	snprintf(body, sizeof(body), "x=%.*s", (int)half, (const char *)b.p);
	h1_post(&m1, NULL, body);
	snprintf(head, sizeof(head), "%.*s /p HTTP/1.1\r\nHost: localhost:8443\r\n"
		 "Content-Length: 2\r\n\r\nok", (int)(b.len - half), (const char *)b.p + half);
	tu_cats(&m2, head);
	{
		struct conn c;
		unsigned found = 0;
		int blocked;

		conn_open(&c, DLP_DIR_SEND);
		blocked = conn_feed(&c, DLP_DIR_SEND, m1.p, m1.len, m1.len, &found);
		blocked |= conn_feed(&c, DLP_DIR_SEND, m2.p, m2.len, m2.len, &found);
		ck_assert_msg(blocked && found, "base64 token across two messages missed");
		conn_close(&c);
	}
	free(b.p);
	free(m1.p);
	free(m2.p);
}
END_TEST

Suite *scan_fixed_suite(void)
{
	Suite *s = suite_create("scan_fixed");
	TCase *tc = tcase_create("fixed");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
#ifdef HAVE_NGHTTP2
	tcase_add_loop_test(tc, h2_header_block_positions, 0,
			    (int)(sizeof(h2_at) / sizeof(h2_at[0])));
	tcase_add_test(tc, h2_header_block_clean);
	tcase_add_test(tc, h2_bare_headers_in_their_read);
#endif
	tcase_add_test(tc, result_reused);
	tcase_add_test(tc, h1_small_positions);
	tcase_add_test(tc, h1_after_large_and_pipelined);
	tcase_add_test(tc, h1_b64_across_messages);
	suite_add_tcase(s, tc);
	return s;
}
