/* SPDX-License-Identifier: MIT */
/*
 * scan_bounds_test.c - bounds of the scanning engine: the output buffer
 * never grows past its max (the out_grow() hang, issue 9), decompression
 * caps with tiny budgets, the per-call deadline (-ETIMEDOUT), and the
 * direction rule: inbound (ingress) bytes that cannot be decoded within
 * the caps are passed with res->partial, raw findings
 * still blocking; outbound (egress) ones are refused.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/http/http_glue.h"
#include "broker/scan/codec.h"
#include "broker/scan/decode.h"
#include "broker/scan/scan.h"
#include "common/wire.h"
#include "t/unit/scan_testutil.h"

static const char CANARY[] = "npm_CANARYcanaryCANARYcanary0123456789ab";
static struct brk_scan_engine *e;

static void setup(void)
{
	static const char *const can[] = { CANARY };

	e = tu_engine(0, can, 1);
}

static void teardown(void)
{
	brk_scan_engine_free(e);
}

/*
 * The hang from issue 9: with max below the first allocation (256), the
 * buffer used to get cap 256 > max; the byte fast path then wrote past max
 * and the next put computed max - len (wrapped) and doubled forever.
 */
START_TEST(out_small_max_never_hangs)
{
	struct brk_scan_out o;
	uint8_t chunk[10] = { 0 };
	int i, rc = 0;

	brk_scan_out_init(&o, 41);
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = brk_scan_out_byte(&o, 'x');
	/* before the fix: this call never returns (the Check timeout fails it) */
	ck_assert_int_eq(brk_scan_out_put(&o, chunk, sizeof(chunk)), -EMSGSIZE);
	ck_assert_int_eq(rc, -EMSGSIZE);
	ck_assert_uint_eq(o.len, 41);
	ck_assert_uint_le(o.cap, o.max);
	ck_assert_int_eq(brk_scan_out_piece(&o, 1), -EMSGSIZE);
	brk_scan_out_free(&o);
}
END_TEST

/* Every decoder and codec, with every tiny max: output stays within it. */
START_TEST(decoders_tiny_budgets)
{
	static const char text[] =
		"GET /a?k=%41%42%43 HTTP/1.1\r\nX: \\u0041\\n&amp;&#65;=41=42\r\n\r\n"
		"aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQ= 6465616462656566646561646265656600";
	struct tu_buf z = tu_compress(0, text, sizeof(text) - 1);
	size_t max, k;

	for (max = 0; max < 300; max += 7) {
		for (k = 0; k < brk_scan_ndecoders; k++) {
			struct brk_scan_out o;
			struct brk_scan_dec_env env;

			memset(&env, 0, sizeof(env));
			env.max_ratio = 200;
			env.ratio_floor = 16;
			brk_scan_out_init(&o, max);
			(void)brk_scan_decoders[k].fn((const uint8_t *)text, sizeof(text) - 1, &o, &env);
			ck_assert_msg(o.len <= max && o.cap <= max, "%s: len %zu cap %zu max %zu",
				      brk_scan_decoders[k].name, o.len, o.cap, max);
			brk_scan_out_reset(&o);
			memset(&env, 0, sizeof(env));
			env.max_ratio = 2;
			env.ratio_floor = 16;
			(void)brk_scan_decoders[k].fn(z.p, z.len, &o, &env);
			ck_assert_uint_le(o.len, max);
			brk_scan_out_free(&o);
		}
	}
	free(z.p);
}
END_TEST

/* A gzip response that expands past the decode budget (a large, very
 * repetitive packument: ratio ~100, like typescript's). */
static struct tu_buf big_gzip_response(size_t plain_len, const char *canary_at_start)
{
	struct tu_buf plain = { 0 }, resp = { 0 }, z;
	char hdr[160];

	tu_cats(&plain, "{\"name\":\"pkg\",\"versions\":{");
	if (canary_at_start) {
		tu_cats(&plain, "\"token\":\"");
		tu_cats(&plain, canary_at_start);
		tu_cats(&plain, "\",");
	}
	tu_fill(&plain, "\"1.0.0\":{\"dist\":{\"tarball\":\"https://r.example/p/-/p-1.0.0.tgz\"}},",
	     plain_len);
	tu_cats(&plain, "\"x\":1}}");
	z = tu_compress(0, plain.p, plain.len);
	snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Content-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", z.len);
	tu_cats(&resp, hdr);
	tu_cat(&resp, z.p, z.len);
	free(plain.p);
	free(z.p);
	return resp;
}

/*
 * Would the result block if it went out? Received findings are reported
 * only (never block, issue 12); these tests are about finding them.
 */
static int would_block(const struct brk_scan_result *r)
{
	unsigned i;

	for (i = 0; i < r->nfindings; i++) {
		const struct brk_finding *f = &r->findings[i];

		if (!f->in_scope && f->action == BRK_SCAN_BLOCK)
			return 1;
	}
	return r->blocked;
}

struct fed {
	int rc_min;
	int blocked, refused, partial, found;
	unsigned long long scanned;
	char error[128];
};

static void feed_all(struct brk_scan_stream *s, const struct tu_buf *b, size_t chunk,
		     struct fed *f)
{
	struct brk_scan_result r;
	size_t off;
	int rc;

	memset(f, 0, sizeof(*f));
	for (off = 0;;) {
		size_t k = b->len - off < chunk ? b->len - off : chunk;

		rc = brk_scan_stream_feed(s, k ? b->p + off : NULL, k, "registry.npmjs.org", &r);
		if (rc < f->rc_min)
			f->rc_min = rc;
		f->blocked |= would_block(&r);
		f->refused |= r.refused;
		f->found |= tu_has(&r, NULL);
		if (r.partial && !f->partial++) {  /* the first one */
			f->scanned = r.scanned;
			snprintf(f->error, sizeof(f->error), "%s", r.error);
		}
		if (k == 0)
			break;
		off += k;
	}
}

START_TEST(inbound_budget_passes_outbound_refuses)
{
	struct tu_buf resp = big_gzip_response(24u << 20, NULL);
	struct brk_scan_stream *s;
	struct fed f;

	ck_assert_uint_lt(resp.len, 1u << 20);  /* the whole body is in the decode window */
	/* inbound: not refused, partial, with how much was scanned */
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
	brk_scan_stream_set_deadline(s, 0);
	feed_all(s, &resp, 16384, &f);
	ck_assert_int_eq(f.rc_min, 0);
	ck_assert(!f.blocked);
	ck_assert(!f.refused);
	ck_assert_int_ge(f.partial, 1);
	ck_assert_msg(strstr(f.error, "budget") || strstr(f.error, "bomb"), "%s", f.error);
	ck_assert_uint_lt(f.scanned, resp.len);
	brk_scan_stream_close(s);
	/* outbound: the same bytes are refused (fail closed) */
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_EGRESS, &s), 0);
	brk_scan_stream_set_deadline(s, 0);
	feed_all(s, &resp, 16384, &f);
	ck_assert(f.refused);
	ck_assert(f.blocked);
	ck_assert_int_eq(f.partial, 0);
	brk_scan_stream_close(s);
	free(resp.p);
}
END_TEST

/* A canary inside an inbound body is still found, partial or not (and
 * reported: received findings never block). */
START_TEST(inbound_canary_still_blocks)
{
	struct tu_buf resp = big_gzip_response(24u << 20, CANARY), plain = { 0 };
	struct brk_scan_stream *s;
	struct brk_scan_result r;
	struct fed f;

	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
	brk_scan_stream_set_deadline(s, 0);
	feed_all(s, &resp, 16384, &f);
	ck_assert(f.found);
	ck_assert(f.blocked);
	ck_assert(!f.refused);
	brk_scan_stream_close(s);
	/* raw, 3 MiB into a 20 MiB plain body fed in 64 KiB frames */
	tu_cats(&plain, "HTTP/1.1 200 OK\r\nContent-Length: 20971520\r\n\r\n");
	tu_fill(&plain, "abcdefghijklmnopqrstuvwxyz0123456789 ", 3u << 20);
	tu_cats(&plain, CANARY);
	tu_fill(&plain, "abcdefghijklmnopqrstuvwxyz0123456789 ", 20u << 20);
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
	feed_all(s, &plain, 65536, &f);
	ck_assert(f.found);
	ck_assert(f.blocked);
	ck_assert_int_eq(f.partial, 0);  /* plain text: fully scanned */
	ck_assert_int_eq(brk_scan_stream_feed(s, NULL, 0, NULL, &r), 0);
	brk_scan_stream_close(s);
	free(plain.p);
	free(resp.p);
}
END_TEST

/* A tarball-like binary body over the 1 MiB window: passed, partial. */
START_TEST(inbound_large_binary_once)
{
	struct tu_buf b = { 0 };
	struct brk_scan_stream *s;
	struct fed f;
	uint32_t x = 12345;
	size_t i;

	tu_cats(&b, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
		"Content-Length: 8388608\r\n\r\n");
	b.p = realloc(b.p, b.len + (8u << 20) + 1);
	ck_assert_ptr_nonnull(b.p);
	for (i = 0; i < (8u << 20); i += 4) {
		x = x * 1103515245u + 12345u;
		memcpy(b.p + b.len, &x, 4);
		b.len += 4;
	}
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
	feed_all(s, &b, 256u << 10, &f);
	ck_assert_int_eq(f.rc_min, 0);
	ck_assert(!f.blocked);
	ck_assert_int_ge(f.partial, 1);
	ck_assert_msg(strstr(f.error, "window") != NULL, "%s", f.error);
	brk_scan_stream_close(s);
	/* outbound, the same size alone is no reason to refuse */
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_EGRESS, &s), 0);
	feed_all(s, &b, 256u << 10, &f);
	ck_assert_int_eq(f.rc_min, 0);
	ck_assert(!f.blocked && !f.refused && !f.partial);
	brk_scan_stream_close(s);
	free(b.p);
}
END_TEST

/* The per-call deadline: -ETIMEDOUT; egress refused, ingress partial. */
START_TEST(deadline_timedout)
{
	struct tu_buf resp = big_gzip_response(24u << 20, NULL);
	struct brk_scan_stream *s;
	struct brk_scan_result r;
	int rc, dir;

	for (dir = BRK_SCAN_EGRESS; dir <= BRK_SCAN_INGRESS; dir++) {
		ck_assert_int_eq(brk_scan_stream_open_dir(e, dir, &s), 0);
		brk_scan_stream_set_deadline(s, 1);
		/* one feed: the whole message, decoded at once */
		rc = brk_scan_stream_feed(s, resp.p, resp.len, NULL, &r);
		if (rc == 0)
			rc = brk_scan_stream_feed(s, NULL, 0, NULL, &r);
		ck_assert_int_eq(rc, -ETIMEDOUT);
		ck_assert_msg(strstr(r.error, "deadline") != NULL, "%s", r.error);
		if (dir == BRK_SCAN_EGRESS) {
			ck_assert(r.blocked && r.refused);
		} else {
			ck_assert(!r.blocked && !r.refused);
			ck_assert(r.partial);
		}
		brk_scan_stream_close(s);
	}
	free(resp.p);
}
END_TEST

/* A body that is not what its Content-Encoding says, through the HTTP
 * glue: refused outbound, passed (partial) inbound. */
START_TEST(glue_anomaly_by_direction)
{
	static const char msg[] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
				  "Content-Length: 16\r\n\r\nthis-is-not-gzip";
	static const char req[] = "POST /x HTTP/1.1\r\nContent-Encoding: gzip\r\n"
				  "Content-Length: 16\r\n\r\nthis-is-not-gzip";
	struct brk_http_glue g;
	struct brk_scan_result r;

	memset(&g, 0, sizeof(g));
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(brk_http_glue_scan(&g, e, DLP_CHAN_TLS, DLP_DIR_RECV, (const uint8_t *)msg,
					    sizeof(msg) - 1, "h.example", &r), 0);
	ck_assert(!r.blocked && !r.refused);
	ck_assert(r.partial);
	brk_http_glue_free(&g);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(brk_http_glue_scan(&g, e, DLP_CHAN_TLS, DLP_DIR_SEND, (const uint8_t *)req,
					    sizeof(req) - 1, "h.example", &r), 0);
	ck_assert(r.blocked && r.refused);
	ck_assert(!r.partial);
	brk_http_glue_free(&g);
}
END_TEST

/* Buffers: an inbound bomb is partial, an outbound one refused. */
START_TEST(buffer_by_direction)
{
	size_t n = 64u << 20;
	uint8_t *zeros = calloc(1, n);
	struct tu_buf z;
	struct brk_scan_result r;

	ck_assert_ptr_nonnull(zeros);
	z = tu_compress(0, zeros, n);
	free(zeros);
	ck_assert_int_eq(brk_scan_buffer_dir(e, BRK_SCAN_INGRESS, z.p, z.len, NULL, &r), 0);
	ck_assert(!r.blocked && !r.refused && r.partial);
	ck_assert_int_eq(brk_scan_buffer_dir(e, BRK_SCAN_EGRESS, z.p, z.len, NULL, &r), 0);
	ck_assert(r.blocked && r.refused && !r.partial);
	free(z.p);
}
END_TEST

/* Append n pseudo-random bytes (compressed data looks like this). */
static void random_bytes(struct tu_buf *b, size_t n)
{
	static uint32_t x = 2463534242u;
	uint8_t *r = malloc(n);
	size_t i;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		r[i] = (uint8_t)(x >> 24);
	}
	tu_cat(b, r, n);   /* one realloc */
	free(r);
}

/* feed b in chunk-byte feeds, light mode on, no flush */
static void feed_light(struct brk_scan_stream *s, const struct tu_buf *b, size_t chunk,
		       struct fed *f)
{
	struct brk_scan_result r;
	size_t off, k;

	memset(f, 0, sizeof(*f));
	for (off = 0; off < b->len; off += k) {
		k = b->len - off < chunk ? b->len - off : chunk;
		brk_scan_stream_set_light(s, 1);
		ck_assert_int_eq(brk_scan_stream_feed(s, b->p + off, k, "registry.npmjs.org", &r), 0);
		f->blocked |= would_block(&r);
		f->found |= tu_has(&r, NULL);
		f->partial |= r.partial;
	}
}

/* Light inbound mode (broker.c's raw inbound stream): text is still
 * decoded in windows, split or not, also after a binary run, in UTF-8
 * text and inside random binary bytes; the canary in clear is found
 * inside binary bytes too. */
START_TEST(light_inbound_text_still_decoded)
{
	/* a detector's credential: the known-secret matcher, which also sees
	 * canaries in base64, does not find it; only the decode graph does */
	static const char tok[] = "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";   /* github-pat */
	struct tu_buf b64 = tu_b64(tok, sizeof(tok) - 1, 0, 1, 0), resp = { 0 };
	struct brk_scan_stream *s;
	static const uint8_t bin[] = { 0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0xff, 0x00 };
	struct fed f;
	size_t chunk;

	for (chunk = 1; chunk <= 4096; chunk *= 8) {
		resp.len = 0;
		tu_cats(&resp, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{\"t\":\"");
		tu_cat(&resp, b64.p, b64.len);
		tu_cats(&resp, "\"}");
		ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
		feed_light(s, &resp, chunk, &f);
		ck_assert_msg(f.found && f.blocked, "base64 token, %zu-byte feeds", chunk);
		brk_scan_stream_close(s);
		/* after binary bytes in an earlier feed, and in the same feed */
		resp.len = 0;
		tu_cat(&resp, bin, sizeof(bin));
		tu_cats(&resp, "x");
		tu_cat(&resp, bin, sizeof(bin));
		tu_cats(&resp, " {\"t\":\"");
		tu_cat(&resp, b64.p, b64.len);
		tu_cats(&resp, "\"}\n");
		ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
		feed_light(s, &resp, chunk, &f);
		ck_assert_msg(f.found && f.blocked, "after binary, %zu-byte feeds", chunk);
		brk_scan_stream_close(s);
		/* in UTF-8 text, and inside a long run of random binary bytes */
		resp.len = 0;
		tu_cats(&resp, "{\"d\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"t\":\"");
		tu_cat(&resp, b64.p, b64.len);
		tu_cats(&resp, "\"}\n");
		ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
		feed_light(s, &resp, chunk, &f);
		ck_assert_msg(f.found && f.blocked, "in UTF-8 text, %zu-byte feeds", chunk);
		brk_scan_stream_close(s);
		resp.len = 0;
		random_bytes(&resp, 70001);
		tu_cats(&resp, " t=");
		tu_cat(&resp, b64.p, b64.len);
		tu_cats(&resp, ";");
		random_bytes(&resp, 50003);
		ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
		feed_light(s, &resp, chunk < 64 ? 4096 : chunk, &f);
		ck_assert_msg(f.found && f.blocked, "inside binary, %zu-byte feeds", chunk);
		ck_assert(f.partial);
		brk_scan_stream_close(s);
		/* in clear between binary bytes: raw matching */
		resp.len = 0;
		tu_cat(&resp, bin, sizeof(bin));
		tu_cats(&resp, CANARY);
		tu_cat(&resp, bin, sizeof(bin));
		ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
		feed_light(s, &resp, chunk, &f);
		ck_assert_msg(f.found && f.blocked, "raw in binary, %zu-byte feeds", chunk);
		brk_scan_stream_close(s);
	}
	free(resp.p);
	free(b64.p);
}
END_TEST

/* Light inbound mode never decompresses an undeclared binary body (the
 * tarball cost): partial, raw only; without light mode the same stream
 * finds the compressed canary. */
START_TEST(light_inbound_binary_not_decompressed)
{
	struct tu_buf z = tu_compress(0, CANARY, sizeof(CANARY) - 1), resp = { 0 };
	struct brk_scan_stream *s;
	struct fed f;

	tu_cats(&resp, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n");
	tu_cat(&resp, z.p, z.len);
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
	feed_light(s, &resp, 16384, &f);
	ck_assert(!f.found && !f.blocked);
	ck_assert(f.partial);
	brk_scan_stream_close(s);
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
	feed_all(s, &resp, 16384, &f);
	ck_assert(f.found && f.blocked);
	brk_scan_stream_close(s);
	free(resp.p);
	free(z.p);
}
END_TEST

/* Light mode is for inbound only: set on an outbound stream it changes
 * nothing (compressed and encoded secrets are still found). */
START_TEST(light_ignored_outbound)
{
	struct tu_buf z = tu_compress(0, CANARY, sizeof(CANARY) - 1), req = { 0 };
	struct brk_scan_stream *s;
	struct fed f;

	tu_cats(&req, "POST /x HTTP/1.1\r\nContent-Type: application/octet-stream\r\n\r\n");
	tu_cat(&req, z.p, z.len);
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_EGRESS, &s), 0);
	feed_light(s, &req, 7, &f);
	ck_assert(f.found && f.blocked);
	brk_scan_stream_close(s);
	free(req.p);
	free(z.p);
}
END_TEST

/* One light inbound feed of text larger than the decode buffer (a decoded
 * body part can be MBs): not refused, and what is at its end is decoded. */
START_TEST(light_inbound_huge_text_feed)
{
	static const char tok[] = "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";   /* github-pat */
	struct tu_buf b64 = tu_b64(tok, sizeof(tok) - 1, 0, 1, 0), body = { 0 };
	struct brk_scan_stream *s;
	struct brk_scan_result r;

	tu_fill(&body, "{\"v\":\"1.0.0\",\"d\":\"some text\"},", 3u << 20);
	tu_cats(&body, "{\"t\":\"");
	tu_cat(&body, b64.p, b64.len);
	tu_cats(&body, "\"}\n");
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
	brk_scan_stream_set_light(s, 1);
	ck_assert_int_eq(brk_scan_stream_feed(s, body.p, body.len, "registry.npmjs.org", &r), 0);
	ck_assert(!r.refused);
	ck_assert(tu_has(&r, NULL) && would_block(&r) && !r.blocked);
	ck_assert(!r.partial);
	brk_scan_stream_close(s);
	free(body.p);
	free(b64.p);
}
END_TEST

/* Inbound past BRK_SCAN_IN_FULL bytes of a stream (scan.h): canaries and
 * known secrets only, in their transforms, split across feeds included;
 * the detector table and the decode graph only over the first bytes;
 * "not fully scanned" said; outbound keeps everything. */
static void feed_dir(struct brk_scan_engine *eng, int dir, const struct tu_buf *b, size_t chunk,
		     struct fed *f)
{
	struct brk_scan_stream *s;
	struct brk_scan_result r;
	size_t off, k;

	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(brk_scan_stream_open_dir(eng, dir, &s), 0);
	for (off = 0; off < b->len; off += k) {
		k = b->len - off < chunk ? b->len - off : chunk;
		brk_scan_stream_set_light(s, 1);
		ck_assert_int_eq(brk_scan_stream_feed(s, b->p + off, k, "registry.npmjs.org", &r), 0);
		f->found |= tu_has(&r, NULL);
		f->partial |= r.partial;
		if (r.partial && r.error[0])
			snprintf(f->error, sizeof(f->error), "%s", r.error);
	}
	brk_scan_stream_close(s);
}

START_TEST(inbound_past_full_known_only)
{
	static const char *const can[] = { CANARY };
	static const char tok[] = "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";   /* github-pat */
	static const char sec[] = "session-own-SECRET-value-8d2f01c9ab";
	char rev[sizeof(sec)];
	struct brk_scan_known k = { .value = (const uint8_t *)sec, .len = sizeof(sec) - 1 };
	struct brk_scan_engine *ek = tu_engine(0, can, 1);
	struct tu_buf pat = tu_b64(tok, sizeof(tok) - 1, 0, 1, 0);
	struct tu_buf can64 = tu_b64(CANARY, sizeof(CANARY) - 1, 0, 1, 0);
	struct tu_buf filler = { 0 }, b = { 0 };
	struct fed f;
	size_t i, chunk;

	ck_assert_ptr_nonnull(ek);
	ck_assert_int_eq(brk_scan_engine_add_known(ek, &k, 1), 0);
	for (i = 0; i < sizeof(sec) - 1; i++)
		rev[i] = sec[sizeof(sec) - 2 - i];
	rev[sizeof(sec) - 1] = '\0';
	while (filler.len < BRK_SCAN_IN_FULL + 1000)
		tu_cats(&filler, "{\"name\":\"lorem\",\"version\":\"1.0.0\",\"dist\":\"ok\"}\n");
	for (chunk = 7; chunk <= 16384; chunk *= 16) {   /* a TLS record at most */
		/* within the first bytes: the decode graph finds a detector's token */
		b.len = 0;
		tu_cats(&b, "{\"t\":\"");
		tu_cat(&b, pat.p, pat.len);
		tu_cats(&b, "\"}\n");
		feed_dir(ek, BRK_SCAN_INGRESS, &b, chunk, &f);
		ck_assert_msg(f.found && !f.partial, "first bytes, %zu-byte feeds", chunk);
		/* past them: not decoded, and said */
		tu_cat(&filler, b.p, b.len);
		feed_dir(ek, BRK_SCAN_INGRESS, &filler, chunk, &f);
		ck_assert_msg(!f.found && f.partial, "past IN_FULL, %zu-byte feeds", chunk);
		ck_assert(strstr(f.error, "known secrets only") != NULL);
		/* outbound: the same bytes are decoded and found */
		feed_dir(ek, BRK_SCAN_EGRESS, &filler, chunk, &f);
		ck_assert_msg(f.found, "outbound past IN_FULL, %zu-byte feeds", chunk);
		filler.len -= b.len;
		/* canary in clear, in base64; known secret in clear, reversed */
		b.len = 0;
		tu_cat(&b, filler.p, filler.len);
		tu_cats(&b, CANARY);
		feed_dir(ek, BRK_SCAN_INGRESS, &b, chunk, &f);
		ck_assert_msg(f.found && f.partial, "canary past IN_FULL, %zu-byte feeds", chunk);
		b.len = filler.len;
		tu_cats(&b, "x=");
		tu_cat(&b, can64.p, can64.len);
		feed_dir(ek, BRK_SCAN_INGRESS, &b, chunk, &f);
		ck_assert_msg(f.found, "base64 canary past IN_FULL, %zu-byte feeds", chunk);
		b.len = filler.len;
		tu_cats(&b, sec);
		feed_dir(ek, BRK_SCAN_INGRESS, &b, chunk, &f);
		ck_assert_msg(f.found, "known secret past IN_FULL, %zu-byte feeds", chunk);
		b.len = filler.len;
		tu_cats(&b, rev);
		feed_dir(ek, BRK_SCAN_INGRESS, &b, chunk, &f);
		ck_assert_msg(f.found, "reversed known secret past IN_FULL, %zu-byte feeds", chunk);
	}
	/* a secret that straddles the boundary, one byte per feed */
	b.len = 0;
	tu_cat(&b, filler.p, BRK_SCAN_IN_FULL - 10);
	tu_cats(&b, sec);
	feed_dir(ek, BRK_SCAN_INGRESS, &b, 1, &f);
	ck_assert(f.found);
	free(b.p);
	free(filler.p);
	free(pat.p);
	free(can64.p);
	brk_scan_engine_free(ek);
}
END_TEST

/*
 * A received HTTP/1.1 body that is compressed as served (a .tgz) is matched
 * for its first BRK_HTTP_IN_CODED bytes only (http_glue.h): the glue covers
 * the rest, so the relay's raw scan (brk_http_glue_raw) does not see it, and
 * says so. Attacks on the rule: the same body without the magic, a canary
 * inside the first 64 KiB, a plain response after a coded one on the same
 * connection, the same bytes sent (egress) are all still matched.
 */
struct glued {
	int found, partial;
	char error[256];
};

static void glue_feed(int dir, const struct tu_buf *b, size_t chunk, struct glued *f)
{
	struct brk_http_glue g;
	struct brk_scan_stream *ss;
	struct brk_scan_result r;
	size_t off;

	memset(&g, 0, sizeof(g));
	memset(f, 0, sizeof(*f));
	g.cover = 1;
	ck_assert_int_eq(brk_scan_stream_open_dir(e, dir == DLP_DIR_RECV ? BRK_SCAN_INGRESS
						     : BRK_SCAN_EGRESS, &ss), 0);
	if (dir == DLP_DIR_RECV)
		brk_scan_stream_set_light(ss, 1);
	for (off = 0; off < b->len; off += chunk) {
		size_t k = b->len - off < chunk ? b->len - off : chunk;
		bool partial = false;
		unsigned long long scanned = 0;
		char why[256] = "";

		brk_scan_result_clear(&r);
		ck_assert_int_eq(brk_http_glue_scan(&g, e, DLP_CHAN_TLS, dir, b->p + off, k,
						    "registry.npmjs.org", &r), 0);
		ck_assert_int_ge(brk_http_glue_raw(&g, ss, b->p + off, k, "registry.npmjs.org", &r,
						   &partial, &scanned, why, sizeof(why)), 0);
		f->found |= tu_has(&r, NULL) || r.blocked;
		if (r.partial && !f->partial)
			snprintf(f->error, sizeof(f->error), "%s", r.error);
		f->partial |= r.partial;
	}
	brk_scan_stream_close(ss);
	brk_http_glue_free(&g);
}

/* HEAD (a response or a request head ending in Content-Length: ) and a body
 * of n bytes: magic first (or not), pseudo-random bytes, CANARY at at */
static void coded_msg(struct tu_buf *b, const char *head, int magic, size_t n, size_t at)
{
	uint8_t *body = malloc(n);
	uint32_t x = 252;
	size_t i;
	char cl[32];

	ck_assert_ptr_nonnull(body);
	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		body[i] = (uint8_t)(x >> 16);
	}
	if (magic)
		memcpy(body, "\x1f\x8b\x08\x00", 4);
	else
		memcpy(body, "tar\0", 4);
	memcpy(body + at, CANARY, sizeof(CANARY) - 1);
	tu_cats(b, head);
	snprintf(cl, sizeof(cl), "%zu\r\n\r\n", n);
	tu_cats(b, cl);
	tu_cat(b, body, n);
	free(body);
}

START_TEST(inbound_coded_body_bounded)
{
	static const char rsp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
				  "Content-Length: ";
	static const char req[] = "PUT /dlpt/-/dlpt-1.0.0.tgz HTTP/1.1\r\nHost: registry.npmjs.org\r\n"
				  "Content-Length: ";
	struct tu_buf b = { 0 };
	struct glued f;
	size_t chunk;

	for (chunk = 1000; chunk <= 16384; chunk *= 16) {
		/* a .tgz with a canary 200 KiB in: passed, not matched, said */
		b.len = 0;
		coded_msg(&b, rsp, 1, 400 << 10, 200 << 10);
		glue_feed(DLP_DIR_RECV, &b, chunk, &f);
		ck_assert_msg(!f.found && f.partial, "coded body, %zu-byte feeds: found %d partial %d (%s)", chunk, f.found, f.partial, f.error);
		ck_assert_msg(strstr(f.error, "compressed body") != NULL, "%s", f.error);
		/* the same bytes without the magic: the canary is found */
		b.len = 0;
		coded_msg(&b, rsp, 0, 400 << 10, 200 << 10);
		glue_feed(DLP_DIR_RECV, &b, chunk, &f);
		ck_assert_msg(f.found, "no magic, %zu-byte feeds", chunk);
		/* in the first 64 KiB of the .tgz: found */
		b.len = 0;
		coded_msg(&b, rsp, 1, 400 << 10, (64 << 10) - 100);
		glue_feed(DLP_DIR_RECV, &b, chunk, &f);
		ck_assert_msg(f.found, "first 64 KiB, %zu-byte feeds", chunk);
		/* a .tgz, then a plain body on the same connection: the rule
		 * ends with its message */
		b.len = 0;
		coded_msg(&b, rsp, 1, 400 << 10, 300 << 10);
		coded_msg(&b, rsp, 0, 400 << 10, 200 << 10);
		glue_feed(DLP_DIR_RECV, &b, chunk, &f);
		ck_assert_msg(f.found, "plain body after a coded one, %zu-byte feeds", chunk);
		/* sent: matched in full */
		b.len = 0;
		coded_msg(&b, req, 1, 400 << 10, 200 << 10);
		glue_feed(DLP_DIR_SEND, &b, chunk, &f);
		ck_assert_msg(f.found, "egress coded body, %zu-byte feeds", chunk);
	}
	free(b.p);
}
END_TEST

Suite *scan_bounds_suite(void)
{
	Suite *s = suite_create("scan_bounds");
	TCase *hang = tcase_create("hang");
	TCase *tc = tcase_create("bounds");

	/* the out_grow() hang: a loop that never ends fails by timeout */
	tcase_set_timeout(hang, 5);
	tcase_add_test(hang, out_small_max_never_hangs);
	tcase_add_test(hang, decoders_tiny_budgets);
	suite_add_tcase(s, hang);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, inbound_budget_passes_outbound_refuses);
	tcase_add_test(tc, inbound_canary_still_blocks);
	tcase_add_test(tc, inbound_large_binary_once);
	tcase_add_test(tc, deadline_timedout);
	tcase_add_test(tc, glue_anomaly_by_direction);
	tcase_add_test(tc, buffer_by_direction);
	tcase_add_test(tc, light_inbound_text_still_decoded);
	tcase_add_test(tc, light_inbound_binary_not_decompressed);
	tcase_add_test(tc, light_ignored_outbound);
	tcase_add_test(tc, light_inbound_huge_text_feed);
	tcase_add_test(tc, inbound_past_full_known_only);
	tcase_add_test(tc, inbound_coded_body_bounded);
	suite_add_tcase(s, tc);
	return s;
}
