/* SPDX-License-Identifier: MIT */
/*
 * scan_decode_test.c - the decode graph: each decoder and decompressor on
 * its own, nesting (base64(gzip), gzip(gzip), escaped base64...), raw-byte
 * matching next to invalid UTF-8 and binary parts, HTTP framing, and the
 * bomb and budget limits.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/codec.h"
#include "broker/scan/decode.h"
#include "broker/scan/scan.h"
#include "t/unit/scan_testutil.h"

/* A checksum-valid token (random, not live). */
static const char TOK[] = "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";
static struct brk_scan_engine *e;

static void setup(void)
{
	e = tu_engine(0, NULL, 0);
}

static void teardown(void)
{
	brk_scan_engine_free(e);
}

static void found(const struct tu_buf *b, const char *why)
{
	struct brk_scan_result r;

	ck_assert_int_eq(brk_scan_buffer(e, b->p, b->len, NULL, &r), 0);
	ck_assert_msg(tu_has(&r, "github-pat"), "missed: %s", why);
	ck_assert(r.blocked);
}

static struct tu_buf text(const char *s)
{
	struct tu_buf b = { 0 };

	tu_cats(&b, s);
	return b;
}

static void dec(brk_scan_dec_fn *fn, const char *in, const void *want, size_t wl)
{
	struct brk_scan_out o;
	struct brk_scan_dec_env env;
	int rc;

	memset(&env, 0, sizeof(env));
	brk_scan_out_init(&o, 1 << 20);
	rc = fn((const uint8_t *)in, strlen(in), &o, &env);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(o.len == wl && memcmp(o.p, want, wl) == 0, "decoded '%.*s'", (int)o.len, o.p);
	brk_scan_out_free(&o);
}

START_TEST(base64_variants)
{
	struct tu_buf b;
	int url, pad, wrap;

	for (url = 0; url < 2; url++)
		for (pad = 0; pad < 2; pad++)
			for (wrap = 0; wrap <= 76; wrap += 38) {
				struct tu_buf in = { 0 };

				tu_cats(&in, "prefix junk ");
				tu_cats(&in, TOK);
				tu_cats(&in, " and more text after the token to make lines wrap");
				b = tu_b64(in.p, in.len, url, pad, wrap ? 16 + wrap / 2 : 0);
				found(&b, "base64 variant");
				free(b.p);
				free(in.p);
			}
	/* key=value form field: the run starts after '=' */
	b = text("token=");
	{
		struct tu_buf v = tu_b64(TOK, strlen(TOK), 0, 0, 0);

		tu_cat(&b, v.p, v.len);
		free(v.p);
	}
	found(&b, "base64 in key=value");
	free(b.p);
	dec(brk_scan_dec_base64, "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ", "hello world hello world", 23);
}
END_TEST

START_TEST(hex_percent_json_html_qp)
{
	struct tu_buf b;

	b = tu_hex(TOK, strlen(TOK), 0);
	found(&b, "hex lower");
	free(b.p);
	b = tu_hex(TOK, strlen(TOK), 1);
	found(&b, "hex upper");
	free(b.p);
	b = tu_pct_all(TOK, strlen(TOK));
	found(&b, "percent every byte");
	free(b.p);
	b = tu_json_u(TOK, strlen(TOK));
	found(&b, "json \\u escapes");
	free(b.p);
	b = tu_html_dec(TOK, strlen(TOK));
	found(&b, "html numeric entities");
	free(b.p);
	b = tu_qp(TOK, strlen(TOK));
	found(&b, "quoted-printable");
	free(b.p);
	dec(brk_scan_dec_percent, "a+b%2Bc%zz", "a b+c%zz", 8);
	dec(brk_scan_dec_json, "\"\\ud83d\\ude00\\n\\u0041\\x42\"", "\"\xf0\x9f\x98\x80\nAB\"", 9);
	dec(brk_scan_dec_html, "&lt;&#103;&#x68;p&amp;&colon;", "<ghp&:", 6);
	dec(brk_scan_dec_qp, "ab=3D=\r\ncd", "ab=cd", 5);
	dec(brk_scan_dec_hex, "6768705f6768705f6768705f", "ghp_ghp_ghp_", 12);
}
END_TEST

START_TEST(decompressors)
{
	int k;

	for (k = 0; k < 5; k++) {
		struct tu_buf in = { 0 }, z;

		tu_cats(&in, "{\"config\": {\"token\": \"");
		tu_cats(&in, TOK);
		tu_cats(&in, "\"}}");
		z = tu_compress(k, in.p, in.len);
		found(&z, brk_scan_codec_name(k));
		free(z.p);
		free(in.p);
	}
}
END_TEST

START_TEST(nested)
{
	struct tu_buf a, b, c;

	/* base64(gzip(x)) */
	a = tu_compress(0, TOK, strlen(TOK));
	b = tu_b64(a.p, a.len, 0, 1, 0);
	found(&b, "base64(gzip)");
	free(b.p);
	/* gzip(gzip(x)) */
	b = tu_compress(0, a.p, a.len);
	found(&b, "gzip(gzip)");
	free(b.p);
	free(a.p);
	/* html-entity-escaped base64, json-escaped base64 */
	a = tu_b64(TOK, strlen(TOK), 0, 1, 0);
	b = tu_html_dec(a.p, a.len);
	found(&b, "entity-escaped base64");
	free(b.p);
	b = tu_json_u(a.p, a.len);
	found(&b, "json-escaped base64");
	free(b.p);
	/* base64 x4 and hex(base64(zstd(x))) */
	b = tu_b64(a.p, a.len, 0, 1, 0);
	c = tu_b64(b.p, b.len, 1, 0, 0);
	free(b.p);
	b = tu_b64(c.p, c.len, 0, 0, 76);
	found(&b, "base64^4");
	free(b.p);
	free(c.p);
	free(a.p);
	a = tu_compress(4, TOK, strlen(TOK));
	b = tu_b64(a.p, a.len, 0, 1, 0);
	c = tu_hex(b.p, b.len, 0);
	found(&c, "hex(base64(zstd))");
	free(a.p);
	free(b.p);
	free(c.p);
}
END_TEST

START_TEST(deep_nesting)
{
	struct tu_buf b = { 0 }, n;
	int i;

	/* 30 layers of base64 (url and std alternating): within the 32-layer limit */
	tu_cats(&b, TOK);
	for (i = 0; i < 30; i++) {
		n = tu_b64(b.p, b.len, i & 1, !(i & 2), 0);
		free(b.p);
		b = n;
	}
	found(&b, "30 nested base64 layers");
	free(b.p);
}
END_TEST

START_TEST(layers_reported)
{
	struct tu_buf a, b;
	struct brk_scan_result r;

	a = tu_compress(0, TOK, strlen(TOK));
	b = tu_b64(a.p, a.len, 0, 1, 0);
	ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, NULL, &r), 0);
	ck_assert(tu_has(&r, "github-pat"));
	ck_assert_str_eq(r.findings[0].layers, "base64>gzip");
	free(a.p);
	free(b.p);
}
END_TEST

START_TEST(raw_bytes)
{
	struct tu_buf b = { 0 };
	uint8_t junk[4096];
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 151 + 7);
	tu_cats(&b, "\xff\xfe\xc3\x28 invalid utf-8 first ");
	tu_cat(&b, junk, sizeof(junk));
	tu_cats(&b, TOK);
	found(&b, "after invalid UTF-8 and binary");
	free(b.p);
	/* multipart: a binary part, then the token in a text part */
	b = text("POST /upload HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n\r\n"
		 "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n\x1a\n\xff\x00\x01");
	tu_cat(&b, junk, 512);
	tu_cats(&b, "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	{
		struct tu_buf v = tu_b64(TOK, strlen(TOK), 0, 1, 0);

		tu_cat(&b, v.p, v.len);
		free(v.p);
	}
	tu_cats(&b, "\r\n--XyZ--\r\n");
	found(&b, "multipart base64 part after binary part");
	free(b.p);
}
END_TEST

START_TEST(http_framing)
{
	struct tu_buf z, b = { 0 }, body = { 0 };
	struct brk_scan_result r;
	char hdr[256];

	tu_cats(&body, "{\"t\":\"");
	tu_cats(&body, TOK);
	tu_cats(&body, "\"}");
	z = tu_compress(0, body.p, body.len);
	/* chunked + gzip, the token straddling chunks */
	tu_cats(&b, "POST /v1 HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
	snprintf(hdr, sizeof(hdr), "%zx\r\n", z.len / 2);
	tu_cats(&b, hdr);
	tu_cat(&b, z.p, z.len / 2);
	snprintf(hdr, sizeof(hdr), "\r\n%zx;ext=1\r\n", z.len - z.len / 2);
	tu_cats(&b, hdr);
	tu_cat(&b, z.p + z.len / 2, z.len - z.len / 2);
	tu_cats(&b, "\r\n0\r\n\r\n");
	found(&b, "chunked gzip body");
	free(b.p);
	/* header lies: identity, but the body is gzip -> found and noted */
	b.p = NULL;
	b.len = 0;
	snprintf(hdr, sizeof(hdr), "PUT /x HTTP/1.1\r\nContent-Encoding: identity\r\nContent-Length: %zu\r\n\r\n", z.len);
	tu_cats(&b, hdr);
	tu_cat(&b, z.p, z.len);
	ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, NULL, &r), 0);
	ck_assert(tu_has(&r, "github-pat"));
	ck_assert_msg(strstr(r.note, "mismatch") != NULL, "note: %s", r.note);
	free(b.p);
	/* Authorization: Basic base64(user:token) and a %-encoded query */
	b.p = NULL;
	b.len = 0;
	{
		struct tu_buf cred = { 0 }, v;

		tu_cats(&cred, "x-access-token:");
		tu_cats(&cred, TOK);
		v = tu_b64(cred.p, cred.len, 0, 1, 0);
		tu_cats(&b, "GET /repo.git/info/refs HTTP/1.1\r\nAuthorization: Basic ");
		tu_cat(&b, v.p, v.len);
		tu_cats(&b, "\r\n\r\n");
		found(&b, "basic auth");
		free(v.p);
		free(cred.p);
		free(b.p);
	}
	b = text("GET /collect?q=");
	{
		struct tu_buf v = tu_pct_all(TOK, strlen(TOK));

		tu_cat(&b, v.p, v.len);
		free(v.p);
	}
	tu_cats(&b, " HTTP/1.1\r\n\r\n");
	found(&b, "percent in query");
	free(b.p);
	free(z.p);
	free(body.p);
}
END_TEST

START_TEST(bomb_refused)
{
	size_t n = 64u << 20;
	uint8_t *zeros = calloc(1, n);
	struct tu_buf z;
	struct brk_scan_result r;

	ck_assert_ptr_nonnull(zeros);
	z = tu_compress(0, zeros, n);
	free(zeros);
	ck_assert_uint_lt(z.len, 1u << 20);
	ck_assert_int_eq(brk_scan_buffer(e, z.p, z.len, NULL, &r), 0);
	ck_assert(r.refused);
	ck_assert(r.blocked);
	ck_assert_msg(strstr(r.error, "bomb") != NULL, "error: %s", r.error);
	free(z.p);
}
END_TEST

START_TEST(decoders_total)
{
	/* every decoder on hostile fragments: no crash, bounded output */
	static const char *const in[] = {
		"", "%", "%4", "\\u", "\\ud800", "\\ud800\\u", "&#", "&#x;", "&#99999999;", "=",
		"=\r", "--", "--b\r\n", "GET ", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n\x1f\x8b",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\nab",
	};
	size_t i, k;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		for (k = 0; k < brk_scan_ndecoders; k++) {
			struct brk_scan_out o;
			struct brk_scan_dec_env env;

			memset(&env, 0, sizeof(env));
			env.max_ratio = 100;
			brk_scan_out_init(&o, 4096);
			(void)brk_scan_decoders[k].fn((const uint8_t *)in[i], strlen(in[i]), &o, &env);
			ck_assert_uint_le(o.len, 4096);
			brk_scan_out_free(&o);
		}
}
END_TEST

Suite *scan_decode_suite(void)
{
	Suite *s = suite_create("scan_decode");
	TCase *tc = tcase_create("decode");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, base64_variants);
	tcase_add_test(tc, hex_percent_json_html_qp);
	tcase_add_test(tc, decompressors);
	tcase_add_test(tc, nested);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, layers_reported);
	tcase_add_test(tc, raw_bytes);
	tcase_add_test(tc, http_framing);
	tcase_add_test(tc, bomb_refused);
	tcase_add_test(tc, decoders_total);
	suite_add_tcase(s, tc);
	return s;
}
