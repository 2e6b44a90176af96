/* SPDX-License-Identifier: MIT */
/*
 * scan_shortcut_test.c - the engine's shortcuts (bench/relay/README.md,
 * engine-speed3) attacked: what each one skips must still be caught where
 * an attacker would put it. An identity HTTP/1.1 body is not copied into
 * the message's layer unless its first bytes may be compressed; the
 * whole-message passes of a binary message skip the run decoders unless
 * a run too long for the windows was seen; SRI integrity values and hex
 * digests that decode to random bytes are not emitted as layers (secrets
 * dressed as digests, in step and out of step, hex, gzip, a known secret
 * under XOR; clean digests as the close negative). engine-speed4: the SIMD
 * paths (base64 and hex decoding 16 at a time, the AVX2 run finder, the
 * AVX2 known-secret probe four positions a load, needs_full() 32 bytes a
 * step) against their scalar code, and a secret at every lane and block
 * offset, across feeds, in both alphabets, under XOR, at each
 * brk_scan_dec_simd level (scalar, SSE2 only, AVX2). engine-speed6: a
 * hex digest dropped by the base64 decoder gives the hex layer a walk of
 * the whole input gives; an npm tarball path decoded by segments only
 * (clean paths, look-alikes decoded whole, a token as the name).
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "broker/scan/decode.h"
#include "broker/scan/scan.h"
#include "broker/scan/textrun.h"
#include "t/unit/scan_testutil.h"

static const char GH[] = "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";

/* deterministic bytes (xorshift), binary or lower-case text */
static void fill_random(struct tu_buf *b, size_t n, int text)
{
	static uint64_t x = 88172645463325252ULL;
	size_t i, at = b->len;

	tu_cat(b, "", 0);
	b->p = realloc(b->p, b->len + n + 1);
	ck_assert_ptr_nonnull(b->p);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b->p[at + i] = text ? (uint8_t)(i % 9 == 8 ? ' ' : 'a' + (x >> 40) % 26)
				    : (uint8_t)(x >> 24);
	}
	b->len += n;
	b->p[b->len] = 0;
}

/* Egress stream in chunk-byte feeds, no flush (the relay's raw stream):
 * did any feed report id? With flush = 1, the flush's findings count too. */
static int feed(const struct brk_scan_engine *e, const struct tu_buf *b, size_t chunk, int flush,
		const char *id, int *refused)
{
	struct brk_scan_stream *s = NULL;
	struct brk_scan_result r;
	size_t off, k;
	int found = 0;

	*refused = 0;
	ck_assert_int_eq(brk_scan_stream_open(e, &s), 0);
	for (off = 0; off < b->len; off += k) {
		k = b->len - off < chunk ? b->len - off : chunk;
		ck_assert_int_ge(brk_scan_stream_feed(s, b->p + off, k, NULL, &r), 0);
		found |= tu_has(&r, id);
		*refused |= r.refused;
	}
	if (flush) {
		ck_assert_int_ge(brk_scan_stream_feed(s, NULL, 0, NULL, &r), 0);
		found |= tu_has(&r, id);
		*refused |= r.refused;
	}
	brk_scan_stream_close(s);
	return found;
}

/* An HTTP/1.1 POST (Content-Length, no Content-Encoding) of body. */
static struct tu_buf post(const struct tu_buf *body)
{
	struct tu_buf m = { 0 };
	char head[256];

	snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: up.example\r\n"
		 "Accept-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", body->len);
	tu_cats(&m, head);
	tu_cat(&m, body->p, body->len);
	return m;
}

/*
 * Found in a buffer scan, and in streams of 1 KiB and 64 KiB feeds ending
 * in a flush? unflushed: also without the flush (the relay's raw stream,
 * which judges each feed before it forwards it). Compressed data in a
 * binary message is decoded whole as the message doubles and at a flush:
 * a member that ends after the last doubling and before a flush is not
 * (scan.h; the same before this shortcut), so those cases are tested
 * flushed only.
 */
static void caught_everywhere(const struct brk_scan_engine *e, const struct tu_buf *m,
			      const char *id, const char *what, int unflushed)
{
	static const size_t chunks[] = { 1024, 65536 };
	struct brk_scan_result r;
	size_t c;
	int flush, refused;

	ck_assert_int_ge(brk_scan_buffer(e, m->p, m->len, NULL, &r), 0);
	ck_assert_msg(tu_has(&r, id), "%s: buffer scan missed it", what);
	for (c = 0; c < 2; c++)
		for (flush = !unflushed; flush < 2; flush++)
			ck_assert_msg(feed(e, m, chunks[c], flush, id, &refused),
				      "%s: missed in %zu-byte feeds%s", what, chunks[c],
				      flush ? " (flushed)" : "");
}

START_TEST(identity_body_compressed)
{
	static const int kinds[] = { 0, 1, 2, 3, 4 };   /* gzip zlib deflate brotli zstd */
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	size_t k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct tu_buf plain = { 0 }, z, m;
		char what[64];

		/* the secret after the first bytes: 256 KiB of text first, so the
		 * compressed stream runs far past the probe's first bytes */
		fill_random(&plain, 256 << 10, 1);
		tu_cats(&plain, " token=");
		tu_cats(&plain, GH);
		tu_cats(&plain, " end\n");
		z = tu_compress(kinds[k], plain.p, plain.len);
		m = post(&z);
		snprintf(what, sizeof(what), "undeclared codec %d at the body's start", kinds[k]);
		caught_everywhere(e, &m, "github-pat", what, 0);
		free(plain.p);
		free(z.p);
		free(m.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(identity_body_compressed_mid_body)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf plain = { 0 }, body = { 0 }, z, m;
	int kind;

	/* a gzip or zstd member 1 MiB into a random upload: found by its magic
	 * wherever it starts (brotli and raw deflate have none: they are tried
	 * at the body's start only, as before this shortcut) */
	for (kind = 0; kind <= 4; kind += 4) {
		plain.len = body.len = 0;
		tu_cats(&plain, "some text, then token=");
		tu_cats(&plain, GH);
		z = tu_compress(kind, plain.p, plain.len);
		fill_random(&body, 1 << 20, 0);
		tu_cat(&body, z.p, z.len);
		fill_random(&body, 64 << 10, 0);
		m = post(&body);
		caught_everywhere(e, &m, "github-pat", kind ? "zstd mid-body" : "gzip mid-body", 0);
		free(z.p);
		free(m.p);
	}
	free(plain.p);
	free(body.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(identity_body_plain_secret)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf body = { 0 }, enc, m;

	/* raw, and base64-encoded, 300 KiB into a random body */
	fill_random(&body, 300 << 10, 0);
	tu_cats(&body, "\n");
	tu_cats(&body, GH);
	tu_cats(&body, "\n");
	fill_random(&body, 100 << 10, 0);
	m = post(&body);
	caught_everywhere(e, &m, "github-pat", "raw secret in a random body", 1);
	free(m.p);
	body.len = 0;
	fill_random(&body, 300 << 10, 0);
	enc = tu_b64(GH, strlen(GH), 0, 1, 0);
	tu_cats(&body, "\n");
	tu_cat(&body, enc.p, enc.len);
	tu_cats(&body, "\n");
	fill_random(&body, 100 << 10, 0);
	m = post(&body);
	caught_everywhere(e, &m, "github-pat", "base64 secret in a random body", 1);
	free(m.p);
	free(enc.p);
	free(body.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(identity_body_clean)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf body = { 0 }, m;
	struct brk_scan_result r;
	int refused;

	/* the close negative: a clean random upload and a clean text one */
	fill_random(&body, 2 << 20, 0);
	m = post(&body);
	ck_assert_int_ge(brk_scan_buffer(e, m.p, m.len, NULL, &r), 0);
	ck_assert_int_eq(r.nfindings, 0);
	ck_assert_int_eq(r.blocked, 0);
	ck_assert(!feed(e, &m, 65536, 1, NULL, &refused));
	ck_assert_int_eq(refused, 0);
	free(m.p);
	body.len = 0;
	fill_random(&body, 1 << 20, 1);
	m = post(&body);
	ck_assert(!feed(e, &m, 65536, 1, NULL, &refused));
	ck_assert_int_eq(refused, 0);
	free(m.p);
	free(body.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(binary_long_run)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf plain = { 0 }, body = { 0 }, enc;
	size_t pre;
	int refused;

	/* a binary message (whole-message passes without the run decoders)
	 * holding a base64 run longer than a window reaches back over, the
	 * token in its middle: the long run brings the run decoders back */
	fill_random(&plain, 6000, 1);
	tu_cats(&plain, " ");
	tu_cats(&plain, GH);
	tu_cats(&plain, " ");
	fill_random(&plain, 6000, 1);
	enc = tu_b64(plain.p, plain.len, 0, 1, 0);
	for (pre = 0; pre < 4; pre++) {
		body.len = 0;
		fill_random(&body, 70000 + pre, 0);
		tu_cats(&body, "\n");
		tu_cat(&body, enc.p, enc.len);
		tu_cats(&body, "\n");
		fill_random(&body, 200 << 10, 0);
		ck_assert_msg(feed(e, &body, 1024, 0, "github-pat", &refused), "pre %zu", pre);
		ck_assert_msg(feed(e, &body, 65536, 0, "github-pat", &refused), "pre %zu", pre);
	}
	free(enc.p);
	free(plain.p);
	free(body.p);
	brk_scan_engine_free(e);
}
END_TEST

/* ---- digests (SRI integrity values, hex shasums) ------------------- */

static const char AWS[] = "AKIAQYLPMN5HHHFPZAM2";   /* 20 bytes: a sha1's length */

/* Found by a buffer scan and a stream (1 KiB feeds, no flush) of a
 * packument-like record around v? */
static void digest_caught(const struct brk_scan_engine *e, const char *key, const char *v,
			  const char *id, const char *what)
{
	struct tu_buf b = { 0 };
	struct brk_scan_result r;
	int refused;

	tu_cats(&b, "{\"name\":\"pkg-1\",\"dist\":{\"shasum\":\"a0a704686b64860735f625f95cb7d9ff43b27354\",\"");
	tu_cats(&b, key);
	tu_cats(&b, "\":\"");
	tu_cats(&b, v);
	tu_cats(&b, "\",\"tarball\":\"https://registry.npmjs.org/pkg-1/-/pkg-1-1.0.0.tgz\"}}\n");
	ck_assert_int_ge(brk_scan_buffer(e, b.p, b.len, NULL, &r), 0);
	ck_assert_msg(tu_has(&r, id), "%s: buffer scan missed it", what);
	ck_assert_msg(feed(e, &b, 1024, 0, id, &refused), "%s: stream missed it", what);
	free(b.p);
}

/* "ALG-" and the base64 of n bytes: head (may be NULL), then random */
static void sri_value(char *out, size_t cap, const char *alg, const void *head, size_t hl,
		      size_t at, size_t n)
{
	struct tu_buf raw = { 0 }, enc;

	fill_random(&raw, n, 0);
	if (head)
		memcpy(raw.p + at, head, hl);
	enc = tu_b64(raw.p, n, 0, 1, 0);
	snprintf(out, cap, "%s-%s", alg, (const char *)enc.p);
	free(raw.p);
	free(enc.p);
}

START_TEST(sri_secret_in_step)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	char v[256];

	/* a secret dressed as an integrity value, at the digest's start and
	 * in its middle (before this shortcut the run was decoded from the
	 * algorithm's name on, out of step: these were not found at all) */
	sri_value(v, sizeof(v), "sha512", "x AKIAQYLPMN5HHHFPZAM2 y", 24, 0, 64);
	digest_caught(e, "integrity", v, "aws-access-key-id", "sha512, at the start");
	sri_value(v, sizeof(v), "sha512", " AKIAQYLPMN5HHHFPZAM2 ", 22, 30, 64);
	digest_caught(e, "integrity", v, "aws-access-key-id", "sha512, in the middle");
	sri_value(v, sizeof(v), "sha256", " AKIAQYLPMN5HHHFPZAM2 ", 22, 5, 32);
	digest_caught(e, "integrity", v, "aws-access-key-id", "sha256");
	sri_value(v, sizeof(v), "sha384", GH, strlen(GH), 4, 48);
	digest_caught(e, "integrity", v, "github-pat", "sha384, a GitHub token");
	sri_value(v, sizeof(v), "sha1", AWS, 20, 0, 20);
	digest_caught(e, "integrity", v, "aws-access-key-id", "sha1, the key alone");
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(sri_secret_out_of_step)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf raw = { 0 }, enc;
	uint8_t pre[6];
	char v[256];

	/* what the old decode saw: the whole run, the name included. Bytes
	 * whose base64 starts with "sha512-", then the secret: a receiver
	 * that decodes the run from its first character reads the key */
	/* '-' is base64url's '+' (62): OpenSSL reads the standard alphabet */
	ck_assert_int_eq(EVP_DecodeBlock(pre, (const unsigned char *)"sha512+A", 8), 6);
	tu_cat(&raw, pre, 6);
	tu_cats(&raw, " AKIAQYLPMN5HHHFPZAM2 ");
	fill_random(&raw, 69 - raw.len, 0);
	enc = tu_b64(raw.p, raw.len, 0, 0, 0);      /* 92 characters */
	ck_assert(!memcmp(enc.p, "sha512+", 7));
	enc.p[6] = '-';
	snprintf(v, sizeof(v), "%sA==", (const char *)enc.p);   /* 93: sha512's length */
	digest_caught(e, "integrity", v, "aws-access-key-id", "out of step");
	free(raw.p);
	free(enc.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(hex_digest_secret)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf raw = { 0 }, hex, z;

	/* hex of the key in a shasum's 40 characters */
	hex = tu_hex(AWS, 20, 0);
	digest_caught(e, "shasum", (const char *)hex.p, "aws-access-key-id", "40 hex");
	free(hex.p);
	/* a token in a sha512-long hex value (128), upper case too */
	tu_cats(&raw, GH);
	fill_random(&raw, 64 - raw.len, 0);
	hex = tu_hex(raw.p, 64, 0);
	digest_caught(e, "shasum", (const char *)hex.p, "github-pat", "128 hex");
	free(hex.p);
	hex = tu_hex(raw.p, 64, 1);
	digest_caught(e, "shasum", (const char *)hex.p, "github-pat", "128 HEX");
	free(hex.p);
	/* gzip of the token, in a digest's length: its magic keeps it */
	z = tu_compress(0, GH, strlen(GH));
	ck_assert_int_le(z.len, 64);
	raw.len = 0;
	tu_cat(&raw, z.p, z.len);
	while (raw.len < 64)
		tu_cat(&raw, "", 1);
	hex = tu_hex(raw.p, 64, 0);
	digest_caught(e, "shasum", (const char *)hex.p, "github-pat", "gzip in 128 hex");
	free(hex.p);
	free(z.p);
	free(raw.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(digest_known_xor)
{
	static const char secret[] = "s3cr3t-Value-of-this-Session-42";
	struct brk_scan_known k = { .value = (const uint8_t *)secret, .len = sizeof(secret) - 1 };
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	uint8_t x[sizeof(secret)];
	char v[256];
	size_t i;

	/* a known secret under a single-byte XOR, as an integrity value: no
	 * printable run, but text's constant top bit */
	ck_assert_int_eq(brk_scan_engine_add_known(e, &k, 1), 0);
	for (i = 0; i < sizeof(secret) - 1; i++)
		x[i] = (uint8_t)(secret[i] ^ 0xa5);
	sri_value(v, sizeof(v), "sha512", x, sizeof(secret) - 1, 10, 64);
	digest_caught(e, "integrity", v, "known-secret", "XOR 0xa5 in sha512");
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(digest_clean)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf b = { 0 }, raw = { 0 }, enc, hex;
	struct brk_scan_result r;
	int i, refused;

	/* the close negative: packument records with real-looking digests
	 * (random bytes: what SHA-1/SHA-512 give) find nothing */
	for (i = 0; i < 400; i++) {
		raw.len = 0;
		fill_random(&raw, 64, 0);
		enc = tu_b64(raw.p, 64, 0, 1, 0);
		hex = tu_hex(raw.p, 20, 0);
		tu_cats(&b, "{\"dist\":{\"shasum\":\"");
		tu_cat(&b, hex.p, hex.len);
		tu_cats(&b, "\",\"integrity\":\"sha512-");
		tu_cat(&b, enc.p, enc.len);
		tu_cats(&b, "\"}}\n");
		free(enc.p);
		free(hex.p);
	}
	ck_assert_int_ge(brk_scan_buffer(e, b.p, b.len, NULL, &r), 0);
	ck_assert_int_eq(r.nfindings, 0);
	ck_assert(!feed(e, &b, 4096, 1, NULL, &refused));
	ck_assert_int_eq(refused, 0);
	free(raw.p);
	free(b.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(text_stream_then_member)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf b = { 0 }, z;
	int kind, refused;

	/* the windows of a text stream do not look for gzip/zstd magic (text
	 * holds none): a member after 200 KiB of clean JSON turns the stream
	 * binary in the feed that carries it, and that feed's window (or the
	 * next one's context) finds it, before the bytes after it are judged
	 * (not only at the next whole-message pass) */
	for (kind = 0; kind <= 4; kind += 4) {
		size_t end;

		b.len = 0;
		tu_fill(&b, "{\"name\": \"package-1\", \"ok\": true},\n", 200 << 10);
		z = tu_compress(kind, GH, strlen(GH));
		tu_cat(&b, z.p, z.len);
		end = b.len;
		tu_fill(&b, "{\"name\": \"package-2\", \"ok\": true},\n", 300 << 10);
		b.len = end + 65536;        /* one more feed, not the doubling at 256 KiB */
		ck_assert_msg(feed(e, &b, 65536, 0, "github-pat", &refused), "kind %d, 64 KiB", kind);
		b.len = end + 1024;
		ck_assert_msg(feed(e, &b, 1024, 0, "github-pat", &refused), "kind %d, 1 KiB", kind);
		free(z.p);
	}
	free(b.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(hex_in_base64_runs)
{
	static const char *const around[][2] = {
		{ "{\"k\":\"", "\"}" }, { "key=", "&x=1" }, { "zzzzQQ", "QQzzzz" },
		{ "abc==", "==" }, { "aGVsbG8gd29ybGQgaGVsbG8=", "\n" }, { "\r\n", "\r\n" },
	};
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf b = { 0 }, hex = tu_hex(GH, strlen(GH), 0);
	struct brk_scan_result r;
	size_t k, i;

	/* the hex decoder looks only inside the base64 decoder's runs: a hex
	 * token wherever a run of hex digits can sit, and after more runs than
	 * the list holds (1024: the hex decoder then scans the layer itself) */
	for (k = 0; k < sizeof(around) / sizeof(around[0]); k++) {
		for (i = 0; i < 2; i++) {
			size_t j;

			b.len = 0;
			for (j = 0; i && j < 1500; j++)
				tu_cats(&b, " Zm9vYmFyYmF6cXV4cXV1eA ");
			tu_cats(&b, around[k][0]);
			tu_cat(&b, hex.p, hex.len);
			tu_cats(&b, around[k][1]);
			ck_assert_int_ge(brk_scan_buffer(e, b.p, b.len, NULL, &r), 0);
			ck_assert_msg(tu_has(&r, "github-pat"), "around %zu, %zu runs before", k,
				      i ? (size_t)1500 : (size_t)0);
		}
	}
	free(hex.p);
	free(b.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(raw_stream_brotli_at_start)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf b = { 0 }, z = tu_compress(3, GH, strlen(GH));
	int kind, refused;

	/* a window that starts inside a message tries no undeclared brotli
	 * or raw deflate at its first byte; one at the message's start (a raw
	 * TCP stream that is brotli from byte 0) is still tried, in the very
	 * first feed */
	for (kind = 2; kind <= 3; kind++) {
		free(z.p);
		z = tu_compress(kind, GH, strlen(GH));
		b.len = 0;
		tu_cat(&b, z.p, z.len);
		fill_random(&b, 1024 - z.len, 0);
		ck_assert_msg(feed(e, &b, 1024, 0, "github-pat", &refused), "kind %d", kind);
	}
	free(z.p);
	free(b.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(member_across_a_pass_end)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf plain = { 0 }, b = { 0 }, z;
	static const long at[] = { -5, -4, -3, -2, -1, 0, 1 };
	size_t k;
	int refused;

	/* whole-message passes search for gzip magic only where the last
	 * pass found none (the end kept back 4 bytes): a member longer than
	 * a window, its magic at and around the end of a pass (1 KiB feeds of
	 * a binary stream: passes end at 5 KiB * 2^n, here 160 KiB), the token
	 * at its end, is decoded whole by the next pass, unflushed */
	fill_random(&plain, 8192, 1);
	tu_cats(&plain, " ");
	tu_cats(&plain, GH);
	z = tu_compress(0, plain.p, plain.len);
	ck_assert_int_gt(z.len, 2048);
	for (k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		b.len = 0;
		fill_random(&b, (size_t)(163840 + at[k]), 0);
		tu_cat(&b, z.p, z.len);
		fill_random(&b, 400 << 10, 0);
		ck_assert_msg(feed(e, &b, 1024, 0, "github-pat", &refused), "at %ld", at[k]);
	}
	free(z.p);
	free(plain.p);
	free(b.p);
	brk_scan_engine_free(e);
}
END_TEST


/* ---- engine-speed4: SIMD paths against the scalar code -------------- */

/* Deterministic bytes mostly of base64 and hex runs, with the bytes that
 * end or interrupt them: padding, line breaks, '/', JSON, high bytes. */
static void fill_runs(uint8_t *p, size_t n, uint64_t *x)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_";
	static const char hx[] = "0123456789abcdefABCDEF";
	static const char br[] = "=\n\r \":,.{}%\\";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned r;

		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		r = (unsigned)(*x >> 32);
		p[i] = r % 100 < 60 ? (uint8_t)al[(r >> 8) % 66] : r % 100 < 90 ? (uint8_t)hx[(r >> 8) % 22]
		       : r % 100 < 98 ? (uint8_t)br[(r >> 8) % 12] : (uint8_t)(0x80 | r >> 8);
	}
}

/* base64 then hex (the hex decoder inside the base64 decoder's runs, as
 * graph_scan calls them) over p, SIMD on or off; the two layers in *b64, *hex. */
static void run_decoders(const uint8_t *p, size_t n, int simd, struct brk_scan_out *b64,
			 struct brk_scan_out *hex, int rc[2])
{
	struct brk_scan_runs runs = { .r = malloc(BRK_SCAN_RUNS_MAX * sizeof(*runs.r)) };
	struct brk_scan_dec_env env;

	ck_assert_ptr_nonnull(runs.r);
	brk_scan_dec_simd = simd;
	memset(&env, 0, sizeof(env));
	env.runs = &runs;
	brk_scan_out_init(b64, 1 << 20);
	brk_scan_out_init(hex, 1 << 20);
	rc[0] = brk_scan_dec_base64(p, n, b64, &env);
	rc[1] = brk_scan_dec_hex(p, n, hex, &env);
	brk_scan_dec_simd = 2;
	free(runs.r);
}

static void same_out(const struct brk_scan_out *a, const struct brk_scan_out *b, const char *what,
		     size_t n)
{
	ck_assert_msg(a->len == b->len && (!a->len || !memcmp(a->p, b->p, a->len)),
		      "%s layer differs with SIMD (input %zu bytes)", what, n);
	ck_assert_msg(a->npieces == b->npieces &&
		      (!a->npieces || !memcmp(a->pieces, b->pieces, a->npieces * sizeof(*a->pieces))),
		      "%s pieces differ with SIMD (input %zu bytes)", what, n);
}

START_TEST(simd_run_decoders_agree)
{
	static const char *const sri[] = { "sha512-", "sha384-", "sha256-", "sha1-" };
	static const size_t sri_chars[] = { 86, 64, 43, 27 };
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	uint8_t buf[700];
	size_t t;

	/* the SIMD base64 and hex decoding (16 characters a step, falling
	 * back at a line break or padding), the SRI digest shift and the AVX2
	 * run finder give the scalar code's layers byte for byte: random runs
	 * at every length and offset, SRI-shaped values, hex digests */
	for (t = 0; t < 6000; t++) {
		struct brk_scan_out a[2], b[2];
		size_t n = (size_t)(x % 600) + 1, at, k;
		int ra[2], rb[2], lvl;

		fill_runs(buf, n, &x);
		if (t % 3 == 1 && n > 100) {
			/* an SRI value or a shasum somewhere in it */
			k = (size_t)(x >> 40) % 4;
			at = (size_t)(x >> 20) % (n - 100);
			if (t % 2) {
				size_t c, al = strlen(sri[k]);

				memcpy(buf + at, sri[k], al);
				for (c = 0; c < sri_chars[k] && at + al + c < n; c++)
					buf[at + al + c] = (uint8_t)"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(x >> (c % 40)) % 64];
				if (at + al + c < n)
					buf[at + al + c] = '=';
			} else {
				for (k = 0; k < 40 && at + k < n; k++)
					buf[at + k] = (uint8_t)"0123456789abcdef"[(x >> (k % 48)) % 16];
			}
		}
		run_decoders(buf, n, 0, &b[0], &b[1], rb);
		for (lvl = 1; lvl <= 2; lvl++) {         /* SSE2 only, then with AVX2 */
			run_decoders(buf, n, lvl, &a[0], &a[1], ra);
			ck_assert_int_eq(ra[0], rb[0]);
			ck_assert_int_eq(ra[1], rb[1]);
			same_out(&a[0], &b[0], "base64", n);
			same_out(&a[1], &b[1], "hex", n);
			for (k = 0; k < 2; k++)
				brk_scan_out_free(&a[k]);
		}
		for (k = 0; k < 2; k++)
			brk_scan_out_free(&b[k]);
	}
}
END_TEST

/* ---- engine-speed6: digests checked once, tarball paths by segment ---- */

/* The hex layer of p as graph_scan makes it (inside the base64 decoder's
 * runs) and by a walk of the whole input (no runs): the same bytes? */
static void hex_same_both_ways(const uint8_t *p, size_t n)
{
	struct brk_scan_out b64, a, b;
	int rc[2], rb;
	struct brk_scan_dec_env env;

	run_decoders(p, n, 2, &b64, &a, rc);
	memset(&env, 0, sizeof(env));
	brk_scan_out_init(&b, 1 << 20);
	rb = brk_scan_dec_hex(p, n, &b, &env);
	ck_assert_int_eq(rc[1], rb);
	ck_assert_msg(a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len)),
		      "hex layer in runs differs from the whole walk (%zu bytes)", n);
	ck_assert_int_eq(a.npieces, b.npieces);
	brk_scan_out_free(&b64);
	brk_scan_out_free(&a);
	brk_scan_out_free(&b);
}

START_TEST(hex_digest_runs_agree)
{
	static const size_t lens[] = { 32, 40, 64, 96, 128 };
	uint64_t x = 0x2545f4914f6cdd1dULL;
	uint8_t buf[800];
	size_t t;

	/* the base64 decoder drops a hex digest that the hex decoder would
	 * drop, and no other run: shasums of random bytes, hex of text (not
	 * random: kept), digits only, a letter missing, one character more
	 * or less, upper case, next to other runs */
	for (t = 0; t < 4000; t++) {
		size_t n = (size_t)(x % 700) + 1, at, k, hl = lens[(x >> 8) % 5], kind = t % 5;

		fill_runs(buf, n, &x);
		if (n > hl + 4) {
			at = (size_t)(x >> 20) % (n - hl - 2) + 1;
			if (kind == 4 && hl > 32)
				hl += (x >> 30) & 1 ? 1 : (size_t)-1;
			for (k = 0; k < hl; k++) {
				unsigned r = (unsigned)(x >> (k % 50)) & 15;

				buf[at + k] = kind == 1 ? (uint8_t)"0123456789"[r % 10]
					      : kind == 2 ? (uint8_t)"0123456789ABCDEF"[r]
							  : (uint8_t)"0123456789abcdef"[r];
			}
			if (kind == 3)      /* hex of text: printable when decoded */
				for (k = 0; k + 1 < hl; k += 2) {
					buf[at + k] = (uint8_t)"67"[(x >> (k % 61)) & 1];
					buf[at + k + 1] = (uint8_t)"123456789abcde"[(x >> ((k + 3) % 61)) % 14];
				}
			buf[at - 1] = '"';
			buf[at + hl] = '"';
		}
		hex_same_both_ways(buf, n);
	}
}
END_TEST

START_TEST(hex_digest_text_kept)
{
	static const char head[] = "{\"dist\":{\"shasum\":\"";
	struct tu_buf b = { 0 }, hex = tu_hex(AWS, 20, 0);
	struct brk_scan_out b64, h;
	int rc[2];

	/* 40 hex digits of a key: the shape of a shasum, not random when
	 * decoded; the hex decoder gets it (the base64 decoder must list it) */
	tu_cats(&b, head);
	tu_cat(&b, hex.p, hex.len);
	tu_cats(&b, "\"}}");
	run_decoders(b.p, b.len, 2, &b64, &h, rc);
	ck_assert_int_eq(rc[1], 1);
	ck_assert(h.len == 20 && !memcmp(h.p, AWS, 20));
	brk_scan_out_free(&b64);
	brk_scan_out_free(&h);
	free(hex.p);
	free(b.p);
}
END_TEST

/* The base64 layer of s (a NUL-terminated string): rc, and its bytes. */
static int b64_layer(const char *s, struct brk_scan_out *o)
{
	struct brk_scan_dec_env env;

	memset(&env, 0, sizeof(env));
	brk_scan_out_init(o, 1 << 20);
	return brk_scan_dec_base64((const uint8_t *)s, strlen(s), o, &env);
}

START_TEST(tarball_path_segments)
{
	static const char *const clean[] = {
		"\"tarball\":\"https://registry.npmjs.org/pkg-10853/-/pkg-10853-12.35.12.tgz\"",
		"\"resolved\": \"https://registry.npmjs.org/@babel/core/-/core-7.24.0.tgz\",",
		"https://registry.yarnpkg.com/pkg-9/-/pkg-9-10.1.0.tgz",
	};
	/* close look-alikes, not the shape: decoded whole as before */
	static const char *const whole[] = {
		"\"https://registry.npmjs.org/pkg-10853/-/pkg-10854-12.35.12.tgz\"",
		"\"https://registry.npmjs.org/pkg-10853/-/pkg-10853-12a.tgz\"",
		"\"https://registry.npmjs.org/pkg-10853/-/pkg-10853_12.tgz\"",
		"\"https://registry.npmjs.org/pkg-10853/x/pkg-10853-12.tgz\"",
		"\"https://registry.npmjs.org/pkg-10853/-/xpkg-10853-12.tgz\"",
	};
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf enc, url = { 0 };
	struct brk_scan_out o;
	size_t k;

	for (k = 0; k < sizeof(clean) / sizeof(clean[0]); k++) {
		ck_assert_int_eq(b64_layer(clean[k], &o), 0);
		ck_assert_msg(o.len == 0, "%s: a layer of %zu bytes", clean[k], o.len);
		brk_scan_out_free(&o);
	}
	for (k = 0; k < sizeof(whole) / sizeof(whole[0]); k++) {
		ck_assert_int_eq(b64_layer(whole[k], &o), 1);
		ck_assert_msg(o.len >= 18, "%s: not decoded whole", whole[k]);
		brk_scan_out_free(&o);
	}
	/* a token's base64 as the package name (the one place the shape lets
	 * a sender put it), both alphabets, and as the tarball's last segment */
	for (k = 0; k < 3; k++) {
		const char *v = k == 1 ? AWS : GH;

		enc = tu_b64(v, strlen(v), k == 2, 0, 0);
		url.len = 0;
		tu_cats(&url, "https://registry.npmjs.org/");
		tu_cat(&url, enc.p, enc.len);
		tu_cats(&url, "/-/");
		tu_cat(&url, enc.p, enc.len);
		tu_cats(&url, "-1.0.0.tgz");
		digest_caught(e, "tarball", (const char *)url.p,
			      k == 1 ? "aws-access-key-id" : "github-pat", "a token as the name");
		free(enc.p);
	}
	free(url.p);
	brk_scan_engine_free(e);
}
END_TEST

/* Is id found in b fed as an egress stream in feeds of chunk bytes (no
 * flush), SIMD on or off? */
static int feed_simd(const struct brk_scan_engine *e, const struct tu_buf *b, size_t chunk, int simd,
		     const char *id)
{
	int refused, found;

	brk_scan_dec_simd = simd;
	found = feed(e, b, chunk, 0, id, &refused);
	brk_scan_dec_simd = 2;
	return found;
}

START_TEST(simd_known_every_lane)
{
	/* 16 bytes: matched whole (no pieces), in the step-8 index; 13 bytes:
	 * the step-4 index; 10: the step-1 index (known.c). One sampled
	 * position lines up with the value wherever it starts, so a lane or
	 * an offset the AVX2 probe dropped would lose it */
	static const char *const vals[] = { "Zq8XbT2fLr5WkY1d", "Pc7HnV3sJm6Ga", "E0uRo4iQ9w" };
	size_t vi;

	for (vi = 0; vi < sizeof(vals) / sizeof(vals[0]); vi++) {
		const char *v = vals[vi];
		size_t vl = strlen(v);
		struct brk_scan_known kn = { .value = (const uint8_t *)v, .len = vl };
		struct brk_scan_engine *e = tu_engine(0, NULL, 0);
		struct tu_buf b = { 0 }, enc = tu_b64(v, vl, 1, 0, 0);
		uint8_t xv[16];
		size_t off, k, form;

		ck_assert_int_eq(brk_scan_engine_add_known(e, &kn, 1), 0);
		for (k = 0; k < vl; k++)
			xv[k] = (uint8_t)(v[k] ^ 0x5a);    /* single-byte XOR: the delta keys */
		for (form = 0; form < 3; form++) {
			for (off = 0; off < 80; off++) {
				static const size_t chunks[] = { 65536, 37, 8 };
				const void *sv = form == 0 ? (const void *)v : form == 1 ? (const void *)xv : enc.p;
				size_t sl = form == 2 ? enc.len : vl, c;
				int simd;

				/* off bytes of text, the value, then text or the end
				 * of the stream (the tail the scalar loop finishes) */
				b.len = 0;
				fill_random(&b, off, 1);
				tu_cat(&b, sv, sl);
				if (off % 2)
					fill_random(&b, 100, 1);
				for (simd = 0; simd < 3; simd++)
					for (c = 0; c < 3; c++)
						ck_assert_msg(feed_simd(e, &b, chunks[c], simd, "known-secret"),
							      "%zu bytes, form %zu at %zu missed in %zu-byte feeds (simd %d)",
							      vl, form, off, chunks[c], simd);
			}
		}
		/* the close negative: one byte changed at each place, nothing found */
		for (k = 0; k < vl; k++) {
			int simd;

			b.len = 0;
			fill_random(&b, 40 + k, 1);
			tu_cat(&b, v, vl);
			b.p[40 + k + k] ^= 1;
			fill_random(&b, 64, 1);
			for (simd = 0; simd < 3; simd++)
				ck_assert_msg(!feed_simd(e, &b, 65536, simd, "known-secret"),
					      "%zu bytes, changed byte %zu still found (simd %d)", vl, k, simd);
		}
		free(enc.p);
		free(b.p);
		brk_scan_engine_free(e);
	}
}
END_TEST

START_TEST(simd_stride_every_lane)
{
	/* a value with a byte of junk after each byte (known.c scan_qstride;
	 * this test predates it: one 16-byte block every 32 then): the value
	 * at every offset of two 64-byte loops, 23, 40 and 256 bytes, as typed
	 * and case-swapped, in one feed, 37-byte feeds and across the first
	 * 64 KiB feed's end; under the scalar, SSE2 and AVX2 paths */
	static const size_t lens[] = { 23, 40, 256 };
	size_t li;

	for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		size_t vl = lens[li], off, k;
		uint8_t v[256], sv[512], cs[512];
		struct brk_scan_known kn = { .value = v, .len = vl };
		struct brk_scan_engine *e;
		struct tu_buf b = { 0 };
		uint32_t x = 7 + (uint32_t)vl;

		for (k = 0; k < vl; k++) {
			x = x * 1103515245u + 12345u;
			v[k] = (uint8_t)"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[(x >> 16) % 62];
		}
		for (k = 0; k < vl; k++) {
			x = x * 1103515245u + 12345u;
			sv[2 * k] = v[k];
			sv[2 * k + 1] = k % 3 ? (uint8_t)('a' + (x >> 16) % 26) : '.';
			cs[2 * k] = (uint8_t)(isalpha(v[k]) ? v[k] ^ 0x20 : v[k]);
			cs[2 * k + 1] = sv[2 * k + 1];
		}
		e = tu_engine(0, NULL, 0);
		ck_assert_int_eq(brk_scan_engine_add_known(e, &kn, 1), 0);
		for (off = 0; off < 130; off++) {
			static const size_t chunks[] = { 65536, 37 };
			size_t c, form;
			int simd;

			for (form = 0; form < 2; form++) {
				b.len = 0;
				fill_random(&b, off, 1);
				tu_cat(&b, form ? cs : sv, 2 * vl - 1);
				if (off % 2)
					fill_random(&b, 70, 1);
				for (simd = 0; simd < 3; simd++)
					for (c = 0; c < 2; c++)
						ck_assert_msg(feed_simd(e, &b, chunks[c], simd, "known-secret"),
							      "stride %zu bytes, form %zu at %zu missed in %zu-byte feeds (simd %d)",
							      vl, form, off, chunks[c], simd);
			}
			/* across the end of the first 64 KiB feed: the value's
			 * first off % 64 + 1 .. bytes in the first feed */
			if (off >= 64 + 2 * vl)
				continue;
			b.len = 0;
			fill_random(&b, 65536 - off, 1);
			tu_cat(&b, sv, 2 * vl - 1);
			fill_random(&b, 50, 1);
			for (simd = 0; simd < 3; simd++)
				ck_assert_msg(feed_simd(e, &b, 65536, simd, "known-secret"),
					      "stride %zu bytes, %zu bytes before a feed's end missed (simd %d)", vl,
					      off, simd);
		}
		/* the close negatives: one byte of the value changed */
		for (k = 0; k < vl; k += vl > 40 ? 17 : 1) {
			int simd;

			b.len = 0;
			fill_random(&b, 40 + k % 64, 1);
			tu_cat(&b, sv, 2 * vl - 1);
			b.p[40 + k % 64 + 2 * k] ^= 1;
			fill_random(&b, 64, 1);
			for (simd = 0; simd < 3; simd++)
				ck_assert_msg(!feed_simd(e, &b, 65536, simd, "known-secret"),
					      "stride %zu bytes, changed byte %zu still found (simd %d)", vl, k, simd);
		}
		free(b.p);
		brk_scan_engine_free(e);
	}
}
END_TEST

START_TEST(simd_needs_full_every_lane)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf plain = { 0 }, b = { 0 }, z;
	size_t off;

	/* a gzip member in a text stream is decoded only when needs_full()
	 * sees its binary bytes (text windows do not look for magic): the
	 * member at every offset of the 32-byte steps, before and after the
	 * SSE2 and scalar tails, both ways */
	tu_cats(&plain, "token ");
	tu_cats(&plain, GH);
	z = tu_compress(0, plain.p, plain.len);
	for (off = 0; off < 100; off++) {
		int simd;

		b.len = 0;
		fill_random(&b, off, 1);
		tu_cat(&b, z.p, z.len);
		fill_random(&b, off % 3 ? 200 : 0, 1);
		for (simd = 0; simd < 3; simd++)
			ck_assert_msg(feed_simd(e, &b, 65536, simd, "github-pat"),
				      "member at %zu missed (simd %d)", off, simd);
	}
	free(z.p);
	free(plain.p);
	free(b.p);
	brk_scan_engine_free(e);
}
END_TEST

/* b64 of "   " * k, then v, as one run (std or url alphabet, padded or
 * not, wrapped at 76 or not): v lands 4k characters into the run */
static struct tu_buf spaced_b64(const char *v, size_t k, int url, int pad, int wrap)
{
	struct tu_buf raw = { 0 }, enc;
	size_t i;

	for (i = 0; i < k; i++)
		tu_cats(&raw, "   ");
	tu_cats(&raw, v);
	enc = tu_b64(raw.p, raw.len, url, pad, wrap);
	free(raw.p);
	return enc;
}

START_TEST(simd_token_every_offset)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	char bad[sizeof(GH)];
	size_t k, form;

	/* a token 0..60 characters into a base64 run (every offset of the
	 * 16-character SIMD steps, four at a time), both alphabets, with and
	 * without padding and line wrapping (the byte loop takes over at a
	 * break), as base64 of base64 and percent-encoded; found both ways.
	 * The close negative: the same with one character of the token
	 * changed (its checksum fails), found neither way. */
	memcpy(bad, GH, sizeof(GH));
	bad[20] = bad[20] == 'x' ? 'y' : 'x';
	for (form = 0; form < 6; form++) {
		for (k = 0; k < 16; k++) {
			int neg;

			for (neg = 0; neg < 2; neg++) {
				struct tu_buf enc = spaced_b64(neg ? bad : GH, k, form & 1, form == 2, form == 3 ? 76 : 0);
				struct tu_buf b = { 0 }, outer;
				int simd;

				if (form == 4) {        /* base64 of base64 */
					outer = tu_b64(enc.p, enc.len, 0, 1, 0);
					free(enc.p);
					enc = outer;
				} else if (form == 5) { /* percent-encoded */
					outer = tu_pct_all(enc.p, enc.len);
					free(enc.p);
					enc = outer;
				}
				tu_cats(&b, "{\"v\":\"");
				tu_cat(&b, enc.p, enc.len);
				tu_cats(&b, "\"}\n");
				for (simd = 0; simd < 3; simd++) {
					struct brk_scan_result r;

					brk_scan_dec_simd = simd;
					ck_assert_int_ge(brk_scan_buffer(e, b.p, b.len, NULL, &r), 0);
					brk_scan_dec_simd = 2;
					ck_assert_msg(tu_has(&r, "github-pat") == !neg,
						      "form %zu, %zu chars in, %s, simd %d", form, 4 * k,
						      neg ? "changed token found" : "token missed", simd);
					ck_assert_msg(feed_simd(e, &b, 7, simd, "github-pat") == !neg,
						      "form %zu, %zu chars in, %s in 7-byte feeds, simd %d",
						      form, 4 * k, neg ? "changed token found" : "token missed",
						      simd);
				}
				free(enc.p);
				free(b.p);
			}
		}
	}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(simd_magic_every_lane)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf plain = { 0 }, b = { 0 }, z[2];
	size_t off, k, c;

	/* the AVX2 magic search (byte pairs 32 positions a step): a gzip and
	 * a zstd member after 0..79 random binary bytes (every lane, and the
	 * SSE2 and byte loops after it at the end), in 64 KiB and 1 KiB
	 * feeds, both ways */
	tu_cats(&plain, "token ");
	tu_cats(&plain, GH);
	z[0] = tu_compress(0, plain.p, plain.len);
	z[1] = tu_compress(4, plain.p, plain.len);
	for (k = 0; k < 2; k++) {
		for (off = 0; off < 80; off++) {
			static const size_t chunks[] = { 65536, 1024 };
			int simd, refused;

			b.len = 0;
			fill_random(&b, off, 0);
			tu_cat(&b, z[k].p, z[k].len);
			fill_random(&b, off % 2 ? 3000 : 0, 0);
			for (simd = 0; simd < 3; simd++)
				for (c = 0; c < 2; c++) {
					brk_scan_dec_simd = simd;
					ck_assert_msg(feed(e, &b, chunks[c], 1, "github-pat", &refused),
						      "%s member at %zu missed in %zu-byte feeds (simd %d)",
						      k ? "zstd" : "gzip", off, chunks[c], simd);
					brk_scan_dec_simd = 2;
				}
		}
		free(z[k].p);
	}
	free(plain.p);
	free(b.p);
	brk_scan_engine_free(e);
}
END_TEST

/* ---- engine-binary: the raw matcher over binary bytes (scan.c raw_sparse) */

/* Is id found with v between random binary bytes (a NUL right before and
 * a 0xff right after, so v's text run is exactly v where v starts and ends
 * with text), v at offsets around a feed boundary, in feeds of 64 KiB,
 * 1 KiB, 7 and 1 bytes, at every brk_scan_dec_simd level? */
static void sparse_caught(const struct brk_scan_engine *e, const void *v, size_t vl, const char *id,
			  const char *what, int expect)
{
	static const size_t chunks[] = { 65536, 1024, 7, 1 };
	struct tu_buf b = { 0 };
	size_t off, c, sm;
	int simd, refused, got;

	for (sm = 0; sm < 2; sm++)
	for (off = 1000; off < 1040; off += 3) {
		b.len = 0;
		fill_random(&b, off, 0);
		tu_cat(&b, "\0", 1);
		tu_cat(&b, v, vl);
		tu_cat(&b, "\xff", 1);
		fill_random(&b, 3000, 0);
		for (simd = 0; simd < 3; simd++)
			for (c = 0; c < 4; c++) {
				if (chunks[c] < 1024 && (off - 1000) % 9)
					continue;       /* small feeds: a few offsets */
				brk_scan_dec_simd = simd;
				brk_scan_sparse_small = sm ? 512 : 0;  /* small feeds whole, or run by run */
				got = feed(e, &b, chunks[c], 0, id, &refused);
				brk_scan_dec_simd = 2;
				brk_scan_sparse_small = 512;
				ck_assert_msg(got == expect, "%s at %zu: %s in %zu-byte feeds (simd %d, small %zu)",
					      what, off, expect ? "missed" : "found", chunks[c], simd, sm);
			}
	}
	free(b.p);
}

START_TEST(sparse_token_islands)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	static const char pg[] = "postgres://app:6zsYsK2Puzia15TvYc@db.internal:5432/app";

	/* the detector table's shortest: a run of 7 ("amqp://" of the URI
	 * expressions, whose match may hold binary bytes after the anchor) */
	ck_assert_msg(brk_scan_engine_sparse_off(e) == NULL, "sparse matcher off: %s",
		      brk_scan_engine_sparse_off(e));
	ck_assert_uint_gt(brk_scan_engine_text_min(e), 0);
	ck_assert_uint_le(brk_scan_engine_text_min(e), 8);
	/* a token that is its whole text run, at and across feed boundaries */
	sparse_caught(e, AWS, strlen(AWS), "aws-access-key-id", "AWS key island", 1);
	sparse_caught(e, GH, strlen(GH), "github-pat", "GitHub token island", 1);
	sparse_caught(e, pg, strlen(pg), "postgres-uri", "URI island", 1);
	/* the close negative: one character short of the key's shape */
	sparse_caught(e, AWS, strlen(AWS) - 1, "aws-access-key-id", "short AWS key", 0);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(sparse_binary_after_anchor)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	/* the anchor's text run is exactly the anchor (7 bytes: the threshold)
	 * and the user name holds binary bytes: the expression's tail after
	 * the anchor must be shown although no text run of 8 is in it */
	static const char amqp[] = "amqp://\x80\x01us\xfe:uzQF2lsZR1zMzrVTFk@mq.internal:5672/vhost";
	static const char pgb[] = "postgres://\x90\x02\xc3\xa4:6zsYsK2Puzia15TvYc\x01@db.internal/app";

	sparse_caught(e, amqp, sizeof(amqp) - 1, "amqp-uri", "amqp:// then binary", 1);
	static const char pgl[] = "the database for this service is at postgres://\x90\x02\xc3\xa4:6zsYsK2Puzia15TvYc\x01@db.internal/app";

	sparse_caught(e, pgb, sizeof(pgb) - 1, "postgres-uri", "postgres:// then binary", 1);
	/* the anchor at the end of a run of 32 or more (the tail after it
	 * without looking for the anchor) */
	sparse_caught(e, pgl, sizeof(pgl) - 1, "postgres-uri", "long run, postgres:// then binary", 1);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(sparse_run_split_over_sends)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct brk_scan_stream *s = NULL;
	struct brk_scan_result r;
	struct tu_buf b = { 0 };
	size_t cut, n, tl = strlen(GH);
	int found;

	/* a token in two sends cut at every byte, binary on both sides: the
	 * part in the first send is shorter than any threshold at some cuts
	 * (held back) and longer at others (shown, then continued) */
	brk_scan_sparse_small = 0;  /* both sends run by run */
	for (cut = 0; cut <= tl; cut++) {
		b.len = 0;
		fill_random(&b, 500, 0);
		tu_cat(&b, "\0", 1);
		tu_cat(&b, GH, tl);
		tu_cat(&b, "\0", 1);
		fill_random(&b, 500, 0);
		n = 501 + cut;
		found = 0;
		ck_assert_int_eq(brk_scan_stream_open(e, &s), 0);
		ck_assert_int_ge(brk_scan_stream_feed(s, b.p, n, NULL, &r), 0);
		found |= tu_has(&r, "github-pat");
		ck_assert_int_ge(brk_scan_stream_feed(s, b.p + n, b.len - n, NULL, &r), 0);
		found |= tu_has(&r, "github-pat");
		brk_scan_stream_close(s);
		ck_assert_msg(found, "token cut at %zu missed", cut);
	}
	brk_scan_sparse_small = 512;
	free(b.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(sparse_base64_and_known_in_binary)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	static const char kv[] = "Zq8XbT2fLr5WkY1d";
	struct brk_scan_known kn = { .value = (const uint8_t *)kv, .len = sizeof(kv) - 1 };
	struct tu_buf enc = tu_b64(GH, strlen(GH), 0, 0, 0), k16 = { 0 };
	uint8_t xv[sizeof(kv) - 1];
	size_t i;

	/* a base64 run between binary bytes (the run decoders are skipped on
	 * windows no text run of 16 reaches into), a known secret raw, under
	 * XOR and in UTF-16LE in binary (the known-secret probe sees every
	 * byte) */
	ck_assert_int_eq(brk_scan_engine_add_known(e, &kn, 1), 0);
	sparse_caught(e, enc.p, enc.len, "github-pat", "base64 run in binary", 1);
	sparse_caught(e, kv, sizeof(kv) - 1, "known-secret", "known secret in binary", 1);
	for (i = 0; i < sizeof(xv); i++)
		xv[i] = (uint8_t)(kv[i] ^ 0xa5);
	sparse_caught(e, xv, sizeof(xv), "known-secret", "known secret XOR 0xa5 in binary", 1);
	for (i = 0; i < sizeof(kv) - 1; i++)
		tu_cat(&k16, (const uint8_t[]){ (uint8_t)kv[i], 0 }, 2);
	sparse_caught(e, k16.p, k16.len, "known-secret", "known secret UTF-16LE in binary", 1);
	free(enc.p);
	free(k16.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(sparse_rx_shape)
{
	size_t w;
	int conf;

	ck_assert_int_eq(brk_scan_rx_shape("AKIA[A-Z2-7]{16}", &w, &conf), 0);
	ck_assert_uint_eq(w, 20);
	ck_assert_int_eq(conf, 1);
	ck_assert_int_eq(brk_scan_rx_shape("cookie\\x3a[ \\t]*[!-~]", &w, &conf), 0);
	ck_assert_uint_eq(w, 8);
	ck_assert_int_eq(conf, 1);
	ck_assert_int_eq(brk_scan_rx_shape("amqp\\x3a\\x2f\\x2f[^:@/\\s]{0,128}:[^@/\\s]{1,256}@", &w, &conf), 0);
	ck_assert_uint_eq(w, 10);
	ck_assert_int_eq(conf, 0);
	ck_assert_int_eq(brk_scan_rx_shape("x\\\\?[\"']?[ \\t]*([:=]>?|>)[ \\t]*y{2,}", &w, &conf), 0);
	ck_assert_uint_eq(w, 4);
	ck_assert_int_eq(conf, 1);
	ck_assert_int_eq(brk_scan_rx_shape("a.b", &w, &conf), 0);
	ck_assert_int_eq(conf, 0);
	ck_assert_int_eq(brk_scan_rx_shape("a\\x80", &w, &conf), 0);
	ck_assert_int_eq(conf, 0);
	ck_assert_int_eq(brk_scan_rx_shape("[\\x01-z]", &w, &conf), 0);
	ck_assert_int_eq(conf, 0);
	ck_assert_int_eq(brk_scan_rx_shape("[\\t-z]", &w, &conf), 0);  /* 0x0e..0x1f inside */
	ck_assert_int_eq(conf, 0);
	/* outside the subset: the caller shows every byte */
	ck_assert_int_lt(brk_scan_rx_shape("(?i)ab", &w, &conf), 0);
	ck_assert_int_lt(brk_scan_rx_shape("^ab", &w, &conf), 0);
	ck_assert_int_lt(brk_scan_rx_shape("a\\Sb", &w, &conf), 0);
	ck_assert_int_lt(brk_scan_rx_shape("a(b", &w, &conf), 0);
	ck_assert_int_lt(brk_scan_rx_shape("[ab", &w, &conf), 0);
}
END_TEST

START_TEST(sparse_text_window_levels)
{
	uint8_t buf[600];
	uint64_t x = 0x243f6a8885a308d3ULL;
	size_t t, i, l, want, k;
	int lvl;

	/* brk_scan_text_window() and _end() at every level against a byte loop: random
	 * binary with text runs planted at every length and offset */
	for (t = 0; t < 3000; t++) {
		size_t n = (size_t)(x % 590) + 10, from = (size_t)(x >> 20) % 8;

		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)(x >> 24);
		}
		k = (size_t)(x >> 8) % n;
		for (i = k; i < n && i < k + (size_t)(x >> 33) % 70; i++)
			buf[i] = (uint8_t)('a' + i % 26);
		for (l = 1; l <= 64; l += (l < 10 ? 1 : 9)) {
			for (want = from; want + l <= n; want++) {
				for (i = 0; i < l && brk_scan_text_byte(buf[want + i]); i++)
					;
				if (i == l)
					break;
			}
			if (want + l > n)
				want = n;
			for (lvl = 0; lvl < 3; lvl++) {
				brk_scan_dec_simd = lvl;
				ck_assert_msg(brk_scan_text_window(buf, from, n, l) == want,
					      "level %d, l %zu, n %zu", lvl, l, n);
				brk_scan_dec_simd = 2;
			}
		}
		for (want = k; want < n && brk_scan_text_byte(buf[want]); want++)
			;
		for (lvl = 0; lvl < 3; lvl++) {
			brk_scan_dec_simd = lvl;
			ck_assert_msg(brk_scan_text_end(buf, k, n) == want, "end: level %d, n %zu", lvl, n);
			brk_scan_dec_simd = 2;
		}
	}
}
END_TEST

Suite *scan_shortcut_suite(void)
{
	Suite *s = suite_create("scan_shortcut");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, identity_body_compressed);
	tcase_add_test(tc, identity_body_compressed_mid_body);
	tcase_add_test(tc, identity_body_plain_secret);
	tcase_add_test(tc, identity_body_clean);
	tcase_add_test(tc, binary_long_run);
	tcase_add_test(tc, sri_secret_in_step);
	tcase_add_test(tc, sri_secret_out_of_step);
	tcase_add_test(tc, hex_digest_secret);
	tcase_add_test(tc, digest_known_xor);
	tcase_add_test(tc, digest_clean);
	tcase_add_test(tc, text_stream_then_member);
	tcase_add_test(tc, hex_in_base64_runs);
	tcase_add_test(tc, raw_stream_brotli_at_start);
	tcase_add_test(tc, member_across_a_pass_end);
	tcase_add_test(tc, simd_run_decoders_agree);
	tcase_add_test(tc, hex_digest_runs_agree);
	tcase_add_test(tc, hex_digest_text_kept);
	tcase_add_test(tc, tarball_path_segments);
	tcase_add_test(tc, simd_known_every_lane);
	tcase_add_test(tc, simd_stride_every_lane);
	tcase_add_test(tc, simd_needs_full_every_lane);
	tcase_add_test(tc, simd_token_every_offset);
	tcase_add_test(tc, simd_magic_every_lane);
	tcase_add_test(tc, sparse_token_islands);
	tcase_add_test(tc, sparse_binary_after_anchor);
	tcase_add_test(tc, sparse_run_split_over_sends);
	tcase_add_test(tc, sparse_base64_and_known_in_binary);
	tcase_add_test(tc, sparse_rx_shape);
	tcase_add_test(tc, sparse_text_window_levels);
	suite_add_tcase(s, tc);
	return s;
}
