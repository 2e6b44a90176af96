/* SPDX-License-Identifier: MIT */
/*
 * scan_known_test.c - known secrets (broker/scan/known.h, scan.h
 * brk_scan_engine_add_known): every transform found, close negatives not
 * found, engine verdicts by home domain, streams split to single bytes,
 * and secrets split across messages (brk_scan_split_feed).
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/relay/gen_json.h"
#include "broker/scan/decode.h"
#include "broker/scan/known.h"
#include "broker/scan/scan.h"
#include "t/unit/scan_testutil.h"

static const char S1[] = "npm_Zq8XbT2fLr5WkY1dPc7HnV3sJm6GaE0uRo4i";   /* 40 */
static const char S2[] = "npm_Qw9YcU3gMs6XlZ2ePd8IoW4tKn7HbF1vSp5j";   /* same shape */
static const char AKID[] = "AKIA7KLFYYLBEG3RHDSV";
static const char AWS[] = "Xq7PzR2mLk9VbN4cW8tYs1Hd6Gf3Je0AuIo5E+/a";

struct hits {
	size_t n;
	size_t which[64];
	char xf[64][24];
};

static int on_hit(void *ctx, size_t which, size_t s, size_t e, const char *xf)
{
	struct hits *h = ctx;

	(void)s;
	(void)e;
	if (h->n < 64) {
		h->which[h->n] = which;
		snprintf(h->xf[h->n], sizeof(h->xf[0]), "%s", xf);
	}
	h->n++;
	return 0;
}

static struct brk_known *known1(const char *v, int key)
{
	struct brk_known_in in = { .v = (const uint8_t *)v, .len = strlen(v), .key = key };
	struct brk_known *k;

	ck_assert_int_eq(brk_known_new(&in, 1, &k), 0);
	ck_assert_ptr_nonnull(k);
	return k;
}

/* Is the secret found in noise + t + noise? */
static size_t found_in(const struct brk_known *k, const uint8_t *t, size_t n, struct hits *h)
{
	struct tu_buf b = { 0 };
	size_t r;

	memset(h, 0, sizeof(*h));
	tu_cats(&b, "POST /x HTTP/1.1\r\nHost: a\r\n\r\nd=");
	tu_cat(&b, t, n);
	tu_cats(&b, "&e=1 trailing noise");
	r = brk_known_scan(k, b.p, b.len, 0, on_hit, h);
	free(b.p);
	return r;
}

static struct tu_buf b32(const uint8_t *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	struct tu_buf o = { 0 };
	size_t i;
	unsigned acc = 0, nb = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		nb += 8;
		while (nb >= 5) {
			nb -= 5;
			tu_cat(&o, &a[(acc >> nb) & 31], 1);
		}
	}
	if (nb)
		tu_cat(&o, &a[(acc << (5 - nb)) & 31], 1);
	return o;
}

START_TEST(every_transform_found)
{
	struct brk_known *k = known1(S1, 0);
	const uint8_t *s = (const uint8_t *)S1;
	size_t n = strlen(S1), i, o;
	uint8_t t[512];
	struct hits h;
	struct tu_buf e;

	ck_assert_uint_ge(found_in(k, s, n, &h), 1);
	for (i = 0; i < n; i++)
		t[i] = s[n - 1 - i];
	ck_assert_uint_ge(found_in(k, t, n, &h), 1);
	ck_assert_str_eq(h.xf[0], "reversed");
	for (i = 0; i < n; i++)
		t[i] = (s[i] >= 'a' && s[i] <= 'z') ? 'a' + (s[i] - 'a' + 13) % 26
		       : (s[i] >= 'A' && s[i] <= 'Z') ? 'A' + (s[i] - 'A' + 13) % 26 : s[i];
	ck_assert_uint_ge(found_in(k, t, n, &h), 1);
	ck_assert_str_eq(h.xf[0], "rot13");
	for (o = 1; o < 256; o += 37) {   /* XOR with several constant keys */
		for (i = 0; i < n; i++)
			t[i] = s[i] ^ (uint8_t)o;
		ck_assert_uint_ge(found_in(k, t, n, &h), 1);
		ck_assert_str_eq(h.xf[0], "xor");
	}
	for (i = 0; i < n; i++) {
		t[2 * i] = s[i];
		t[2 * i + 1] = 0;
	}
	ck_assert_uint_ge(found_in(k, t, 2 * n, &h), 1);
	ck_assert_str_eq(h.xf[0], "utf16le");
	for (i = 0; i < n; i++) {
		t[2 * i] = 0;
		t[2 * i + 1] = s[i];
	}
	ck_assert_uint_ge(found_in(k, t, 2 * n, &h), 1);
	ck_assert_str_eq(h.xf[0], "utf16be");
	/* base64 / base64url / base32 behind 0..4 bytes of other data */
	for (o = 0; o < 5; o++) {
		uint8_t in[128];

		memcpy(in, "\x01\x02\x03\x04", o);
		memcpy(in + o, s, n);
		memcpy(in + o + n, "\x05\x06\x07", 3);
		if (o < 3) {
			e = tu_b64(in, o + n + (o % 3), 0, 1, 0);
			ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
			ck_assert_ptr_nonnull(strstr(h.xf[0], "base64"));
			free(e.p);
			e = tu_b64(in, o + n + 3, 1, 0, 0);
			ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
			free(e.p);
		}
		e = b32(in, o + n + 2);
		ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
		ck_assert_ptr_nonnull(strstr(h.xf[0], "base32"));
		free(e.p);
	}
	e = tu_hex(s, n, 0);
	ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
	free(e.p);
	e = tu_hex(s, n, 1);
	ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
	free(e.p);
	e = tu_pct_all(s, n);
	ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
	ck_assert_ptr_nonnull(strstr(h.xf[0], "percent"));   /* "%4E": ~case */
	free(e.p);
	/* a byte of junk after each byte (a fixed one, random letters), at
	 * every offset of a 32-byte step */
	for (o = 0; o < 34; o++) {
		uint8_t jt[256];
		uint32_t x = 99 + (uint32_t)o;

		memset(jt, ' ', o);
		for (i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			jt[o + 2 * i] = s[i];
			jt[o + 2 * i + 1] = o & 1 ? '.' : (uint8_t)('a' + (x >> 16) % 26);
		}
		memset(&h, 0, sizeof(h));
		ck_assert_msg(brk_known_scan(k, jt, o + 2 * n + 1, 0, on_hit, &h) >= 1, "stride off %zu", o);
		ck_assert_ptr_nonnull(strstr(h.xf[0], "stride2"));
	}
	/* byte lists: hex with separators (either case), 0x lists, decimal */
	{
		static const struct { int kind, up; const char *sep; } fl[] = {
			{ 0, 0, ":" }, { 0, 1, "-" }, { 0, 0, " " }, { 1, 0, ", " }, { 1, 1, "," },
			{ 2, 0, "," }, { 2, 0, ", " }, { 2, 0, " " }, { 0, 1, "|" }, { 0, 0, "\n" },
			{ 2, 0, ";" }, { 3, 0, "" },
		};
		char lst[8 * 80];
		size_t f, m;

		for (f = 0; f < sizeof(fl) / sizeof(fl[0]); f++) {
			for (i = 0, m = 0; i < n; i++) {
				const char *d = fl[f].up ? "0123456789ABCDEF" : "0123456789abcdef";

				if (i)
					m += (size_t)snprintf(lst + m, sizeof(lst) - m, "%s", fl[f].sep);
				if (fl[f].kind == 3)
					m += (size_t)snprintf(lst + m, sizeof(lst) - m, "\\%03o", (unsigned)s[i]);
				else if (fl[f].kind == 2)
					m += (size_t)snprintf(lst + m, sizeof(lst) - m, "%u", (unsigned)s[i]);
				else
					m += (size_t)snprintf(lst + m, sizeof(lst) - m, "%s%c%c",
							      fl[f].kind ? "0x" : "", d[s[i] >> 4], d[s[i] & 15]);
			}
			ck_assert_msg(found_in(k, (const uint8_t *)lst, m, &h) >= 1, "list %zu", f);
		}
	}
	/* its letters' case swapped, all upper, all lower; base32 in lower
	 * case (a DNS label's spelling, 0x20-randomized too) */
	for (o = 0; o < 4; o++) {
		for (i = 0; i < n; i++)
			t[i] = o == 0 ? (uint8_t)(s[i] ^ ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z' ? 0x20 : 0))
			       : o == 1 ? (uint8_t)toupper(s[i]) : o == 2 ? (uint8_t)tolower(s[i])
			       : (uint8_t)(i % 3 ? toupper(s[i]) : tolower(s[i]));
		ck_assert_msg(found_in(k, t, n, &h) >= 1, "case %zu", o);
		ck_assert_str_eq(h.xf[0], "raw~case");
	}
	/* base32hex (RFC 4648 section 7): base32's digits mapped */
	e = b32(s, n);
	for (i = 0; i < e.len; i++) {
		static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", hx[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
		const char *c = e.p[i] != '=' ? strchr(std, e.p[i]) : NULL;

		if (c)
			e.p[i] = (uint8_t)hx[c - std];
	}
	ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
	ck_assert_ptr_nonnull(strstr(h.xf[0], "base32hex"));
	free(e.p);
	e = b32(s, n);
	for (i = 0; i < e.len; i++)
		e.p[i] = (uint8_t)(i & 1 ? tolower(e.p[i]) : e.p[i]);
	ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
	ck_assert_ptr_nonnull(strstr(h.xf[0], "base32"));
	free(e.p);
	brk_known_free(k);
}
END_TEST

/* Values of 8..40 bytes at every offset 0..16 of a buffer, as they are and
 * XORed: found by whichever index their length puts them in (known.c
 * probes every 8 bytes for 15+-byte patterns, every 4 for 11-14, at every
 * position for 8-10), whatever the alignment (XOR from 9 bytes). */
START_TEST(every_length_every_offset)
{
	static const char al[] = "Q7xKp2Lm9Zr4Tv8Wb3Nc6Hd1Jf5Gs0Ya";
	uint8_t v[64], buf[128];
	size_t len, off, i;
	struct hits h;

	for (len = 8; len <= 40; len++) {
		struct brk_known_in in = { .v = v, .len = len };
		struct brk_known *k;

		for (i = 0; i < len; i++)
			v[i] = (uint8_t)al[(i * 7 + len) % 32];
		ck_assert_int_eq(brk_known_new(&in, 1, &k), 0);
		for (off = 0; off <= 16; off++) {
			memset(buf, ' ', sizeof(buf));
			memcpy(buf + off, v, len);
			memset(&h, 0, sizeof(h));
			ck_assert_msg(brk_known_scan(k, buf, off + len + 3, 0, on_hit, &h) >= 1,
				      "len %zu off %zu", len, off);
			if (len < 9)
				continue;   /* XOR is matched on the deltas: 8 need 9 bytes */
			for (i = 0; i < len; i++)
				buf[off + i] = v[i] ^ 0x5a;
			memset(&h, 0, sizeof(h));
			ck_assert_msg(brk_known_scan(k, buf, off + len + 3, 0, on_hit, &h) >= 1,
				      "xor len %zu off %zu", len, off);
		}
		brk_known_free(k);
	}
}
END_TEST

START_TEST(close_negatives)
{
	struct brk_known_in in[2] = {
		{ .v = (const uint8_t *)S1, .len = strlen(S1) },
		{ .v = (const uint8_t *)AWS, .len = strlen(AWS) },
	};
	static const char *const negs[] = {
		S2,                                           /* same shape */
		"npm_Zq8XbT2",                                /* its own prefix alone */
		"npm_Zq8XbT2fLr5",                            /* 15 bytes of it: too short */
		"oRo4i",                                      /* its tail */
		"550e8400-e29b-41d4-a716-446655440000",       /* UUID */
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", /* sha256 */
		"da39a3ee5e6b4b0d3255bfef95601890afd80709",   /* sha1 */
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",   /* the AWS docs example */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		NULL,
	};
	struct brk_known *k;
	struct hits h;
	uint8_t *rnd;
	size_t i;
	uint32_t x = 12345;

	ck_assert_int_eq(brk_known_new(in, 2, &k), 0);
	/* but a part of it is the secret: without its last byte, without a
	 * checksum tail (last 6), its second half, reversed too */
	ck_assert_uint_ge(found_in(k, (const uint8_t *)S1, strlen(S1) - 1, &h), 1);
	ck_assert_uint_ge(found_in(k, (const uint8_t *)S1, strlen(S1) - 6, &h), 1);
	ck_assert_uint_ge(found_in(k, (const uint8_t *)S1 + 16, 24, &h), 1);
	{
		uint8_t t[40];

		for (i = 0; i < 24; i++)
			t[i] = (uint8_t)S1[23 - i];
		ck_assert_uint_ge(found_in(k, t, 24, &h), 1);
	}
	for (i = 0; negs[i]; i++) {
		struct tu_buf e = tu_b64(negs[i], strlen(negs[i]), 0, 1, 0);

		ck_assert_msg(found_in(k, (const uint8_t *)negs[i], strlen(negs[i]), &h) == 0,
			      "negative %zu found (%s)", i, h.xf[0]);
		ck_assert_uint_eq(found_in(k, e.p, e.len, &h), 0);
		free(e.p);
	}
	/* 4 MiB of noise, text and binary: no XOR-delta or piece collisions */
	rnd = malloc(4u << 20);
	for (i = 0; i < (4u << 20); i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = i < (2u << 20) ? (uint8_t)(x >> 24) : (uint8_t)(' ' + (x >> 24) % 95);
	}
	memset(&h, 0, sizeof(h));
	ck_assert_uint_eq(brk_known_scan(k, rnd, 4u << 20, 0, on_hit, &h), 0);
	free(rnd);
	/* short and low-entropy values compile to nothing */
	brk_known_free(k);
	in[0].v = (const uint8_t *)"true";
	in[0].len = 4;
	ck_assert_int_eq(brk_known_new(in, 1, &k), 0);
	ck_assert_uint_eq(brk_known_npatterns(k), 0);
	brk_known_free(k);
}
END_TEST

/* A fake OpenSSH-style key: armor + 70-column base64 of 300 bytes. */
static char *fake_key(struct tu_buf *body_joined, struct tu_buf *blob)
{
	struct tu_buf raw = { 0 }, b;
	size_t i;
	uint32_t x = 99;
	uint8_t bin[300];

	for (i = 0; i < sizeof(bin); i++) {
		x = x * 1664525u + 1013904223u;
		bin[i] = (uint8_t)(x >> 24);
	}
	b = tu_b64(bin, sizeof(bin), 0, 1, 0);
	tu_cats(&raw, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	for (i = 0; i < b.len; i += 70) {
		tu_cat(&raw, b.p + i, b.len - i < 70 ? b.len - i : 70);
		tu_cats(&raw, "\n");
	}
	tu_cats(&raw, "-----END OPENSSH PRIVATE KEY-----\n");
	tu_cat(&raw, "", 1);
	*body_joined = b;
	memset(blob, 0, sizeof(*blob));
	tu_cat(blob, bin, sizeof(bin));
	return (char *)raw.p;
}

START_TEST(key_body)
{
	struct tu_buf body, blob, e;
	char *key = fake_key(&body, &blob);
	struct brk_known *k = known1(key, 1);
	struct hits h;
	size_t i;

	/* the whole file, the body with line breaks, joined, decoded, parts */
	ck_assert_uint_ge(found_in(k, (const uint8_t *)key, strlen(key), &h), 1);
	ck_assert_uint_ge(found_in(k, (const uint8_t *)key + 36, 150, &h), 1);
	ck_assert_uint_ge(found_in(k, body.p, body.len, &h), 1);
	ck_assert_uint_ge(found_in(k, body.p + 100, 80, &h), 1);
	ck_assert_uint_ge(found_in(k, blob.p, blob.len, &h), 1);
	for (i = 0; i < blob.len; i++)
		blob.p[i] ^= 0x33;
	ck_assert_uint_ge(found_in(k, blob.p, blob.len, &h), 1);
	e = tu_hex(body.p, body.len, 0);
	ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
	free(e.p);
	/* only the armor line: nothing */
	ck_assert_uint_eq(found_in(k, (const uint8_t *)key, 36, &h), 0);
	brk_known_free(k);
	free(key);
	free(body.p);
	free(blob.p);
}
END_TEST

static struct brk_scan_engine *engine_known(void)
{
	static const char *const npm_home[] = { "npm.example.com" };
	struct brk_scan_known kn[3] = {
		{ .value = (const uint8_t *)S1, .len = strlen(S1), .home = npm_home, .nhome = 1 },
		{ .value = (const uint8_t *)AKID, .len = strlen(AKID),
		  .detector = "aws-access-key-id" },
		{ .value = (const uint8_t *)AWS, .len = strlen(AWS) },
	};
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);

	ck_assert_int_eq(brk_scan_engine_add_known(e, kn, 3), 0);
	return e;
}

START_TEST(engine_verdicts)
{
	struct brk_scan_engine *e = engine_known();
	struct brk_scan_result r;
	struct brk_scan_known bad = { .value = (const uint8_t *)S2, .len = 40, .detector = "nope" };
	uint8_t t[128];
	size_t i, n = strlen(S1);

	for (i = 0; i < n; i++)
		t[i] = (uint8_t)S1[n - 1 - i];
	ck_assert_int_eq(brk_scan_buffer(e, t, n, "evil.example", &r), 0);
	ck_assert(r.blocked);
	ck_assert(tu_has(&r, "known-secret"));
	ck_assert_ptr_null(memmem(r.findings[0].redacted, strlen(r.findings[0].redacted), S1, 12));
	ck_assert_str_eq(r.findings[0].layers, "reversed");
	ck_assert_int_eq(brk_scan_buffer(e, t, n, "npm.example.com", &r), 0);
	ck_assert(!r.blocked);
	ck_assert(tu_has(&r, "known-secret") && r.findings[0].in_scope);
	/* a detector's homes apply too: the AWS key XOR'd, to AWS and elsewhere */
	for (i = 0; i < 20; i++)
		t[i] = (uint8_t)AKID[i] ^ 0x41;
	ck_assert_int_eq(brk_scan_buffer(e, t, 20, "sts.amazonaws.com", &r), 0);
	ck_assert(!r.blocked);
	ck_assert_int_eq(brk_scan_buffer(e, t, 20, "evil.example", &r), 0);
	ck_assert(r.blocked);
	/* ... and its exclusions: a bucket is anyone's */
	ck_assert_int_eq(brk_scan_buffer(e, t, 20, "attacker.s3.amazonaws.com", &r), 0);
	ck_assert(r.blocked);
	for (i = 0; i < 40; i++)
		t[i] = (uint8_t)AWS[i] ^ 0x41;
	/* base64 of the XOR'd bytes: the decode graph, then the delta */
	{
		struct tu_buf b = tu_b64(t, 40, 0, 1, 0);

		ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, "evil.example", &r), 0);
		ck_assert(r.blocked && tu_has(&r, "known-secret"));
		free(b.p);
	}
	/* one byte per write on one connection, XOR'd */
	ck_assert_int_eq(tu_stream(e, t, 40, 1, "evil.example", &r), 0);
	ck_assert(r.blocked && tu_has(&r, "known-secret"));
	/* the same value sent twice on one stream is refused twice */
	{
		struct brk_scan_stream *s;

		ck_assert_int_eq(brk_scan_stream_open(e, &s), 0);
		ck_assert_int_eq(brk_scan_stream_feed(s, t, 40, "evil.example", &r), 0);
		ck_assert(r.blocked);
		ck_assert_int_eq(brk_scan_stream_feed(s, t, 40, "evil.example", &r), 0);
		ck_assert(r.blocked);
		brk_scan_stream_close(s);
	}
	/* ... also when only a decoded layer holds it (base64 of the XOR) */
	{
		struct brk_scan_stream *s;
		struct tu_buf b = tu_b64(t, 40, 0, 1, 0);

		tu_cats(&b, "\r\n");
		ck_assert_int_eq(brk_scan_stream_open(e, &s), 0);
		for (i = 0; i < 3; i++) {
			ck_assert_int_eq(brk_scan_stream_feed(s, b.p, b.len, "evil.example", &r), 0);
			ck_assert_msg(r.blocked, "resend %zu of base64(xor) not refused", i);
		}
		brk_scan_stream_close(s);
		free(b.p);
	}
	ck_assert_int_eq(brk_scan_engine_add_known(e, &bad, 1), -EINVAL);
	/* the earlier set stays */
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)S1, n, "evil.example", &r), 0);
	ck_assert(r.blocked);
	/* a policy reload's new engine gets the same known secrets */
	{
		static const char *const can[] = { "xoxb-123456789012-1234567890123-ReloadCanaryAbCd" };
		struct brk_scan_engine *e2 = tu_engine(0, can, 1);
		uint8_t rv[64];

		ck_assert_int_eq(brk_scan_engine_copy_known(e2, e), 0);
		for (i = 0; i < n; i++)
			rv[i] = (uint8_t)S1[n - 1 - i];
		ck_assert_int_eq(brk_scan_buffer(e2, rv, n, "evil.example", &r), 0);
		ck_assert(r.blocked && tu_has(&r, "known-secret"));
		ck_assert_int_eq(brk_scan_buffer(e2, rv, n, "npm.example.com", &r), 0);
		ck_assert(!r.blocked);   /* with its homes */
		for (i = 0; i < strlen(can[0]); i++)
			rv[i] = (uint8_t)can[0][strlen(can[0]) - 1 - i];
		ck_assert_int_eq(brk_scan_buffer(e2, rv, strlen(can[0]), "x.example", &r), 0);
		ck_assert(r.blocked && r.findings[0].canary);   /* and its own canaries */
		brk_scan_engine_free(e2);
	}
	ck_assert_ptr_nonnull(brk_scan_recognize((const uint8_t *)"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", 40));
	ck_assert_ptr_null(brk_scan_recognize((const uint8_t *)"hello world, nothing", 20));
	brk_scan_engine_free(e);
}
END_TEST

static int send_msg(const struct brk_scan_engine *e, const char *host, const char *m, size_t n)
{
	struct brk_scan_result r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(brk_scan_split_feed(e, host, (const uint8_t *)m, n, &r), 0);
	return r.blocked;
}

START_TEST(split_across_messages)
{
	struct brk_scan_engine *e = engine_known();
	char m[512];
	size_t i, n = strlen(S1);
	int blocked = 0, at = -1;

	/* one byte per request, in a query value, with a changing nonce; the
	 * attacker retries a refused byte and goes on: all refused from then */
	for (i = 0; i < n; i++) {
		int l = snprintf(m, sizeof(m), "GET /c?n%zu=%u&d=%%%02x HTTP/1.1\r\nHost: evil.example\r\n"
				 "User-Agent: x\r\n\r\n", i, (unsigned)(i * 7919), (unsigned char)S1[i]);
		int b = send_msg(e, "evil.example", m, (size_t)l);

		if (b && at < 0)
			at = (int)i;
		if (at >= 0) {
			ck_assert_msg(b, "byte %zu after the refusal went out", i);
			ck_assert(send_msg(e, "evil.example", m, (size_t)l));   /* the retry */
		}
	}
	/* another host is not affected */
	snprintf(m, sizeof(m), "GET /?x=1 HTTP/1.1\r\n\r\n");
	ck_assert(!send_msg(e, "other.example", m, strlen(m)));
	/* at the byte that completes enough of it: 24 of 40 */
	ck_assert_int_ge(at, 15);
	ck_assert_int_le(at, 24);
	/* half in each of two bodies (two connections: same host) */
	snprintf(m, sizeof(m), "POST /u HTTP/1.1\r\nHost: evil2.example\r\nContent-Length: 15\r\n\r\n%.15s", S1);
	blocked |= send_msg(e, "evil2.example", m, strlen(m));
	ck_assert(!blocked);
	snprintf(m, sizeof(m), "%s", S1 + 15);   /* a bare body write */
	ck_assert(send_msg(e, "evil2.example", m, strlen(m)));
	/* a byte per header value, reversed */
	blocked = 0;
	for (i = 0; i < n; i++) {
		int l = snprintf(m, sizeof(m), "GET / HTTP/1.1\r\nX-T: %c\r\n\r\n", S1[n - 1 - i]);

		blocked |= send_msg(e, "h2.example", m, (size_t)l);
	}
	ck_assert(blocked);
	/* JSON values, one byte each, to the home: allowed */
	blocked = 0;
	for (i = 0; i < n; i++) {
		int l = snprintf(m, sizeof(m), "{\"k\":\"%c\"}", S1[i]);

		blocked |= send_msg(e, "npm.example.com", m, (size_t)l);
	}
	ck_assert(!blocked);
	/* ordinary traffic: nothing */
	blocked = 0;
	for (i = 0; i < 500; i++) {
		int l = snprintf(m, sizeof(m), "GET /pkg/%zu?v=%zu HTTP/1.1\r\nHost: r\r\n"
				 "If-None-Match: \"%08zx\"\r\n\r\n", i, i * 31, i * 2654435761u);

		blocked |= send_msg(e, "registry.example", m, (size_t)l);
	}
	ck_assert(!blocked);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(canaries_in_transforms)
{
	static const char *const can[] = { "ghp_CanaryCanaryCanary0123456789abcdef" };
	struct brk_scan_engine *e = tu_engine(0, can, 1);
	struct brk_scan_result r;
	uint8_t t[64];
	size_t i, n = strlen(can[0]);

	ck_assert_int_eq(brk_scan_engine_add_known(e, NULL, 0), 0);
	for (i = 0; i < n; i++)
		t[i] = (uint8_t)can[0][n - 1 - i];
	ck_assert_int_eq(brk_scan_buffer(e, t, n, "github.com", &r), 0);
	ck_assert(r.blocked && r.nfindings && r.findings[0].canary);
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)can[0], n, "github.com", &r), 0);
	ck_assert(r.blocked);
	ck_assert_uint_eq(r.nfindings, 1);  /* one finding, not one per matcher */
	brk_scan_engine_free(e);
}
END_TEST

/* The message parser on garbage: HTTP-ish fragments, binary, truncated
 * lines, long values (ASan/UBSan builds run this too). */
START_TEST(split_parser_garbage)
{
	static const char *const bits[] = {
		"GET ", "POST ", "/", "?", "&", "=", "%", "%4", "%zz", " HTTP/1.1", "\r\n", "\n",
		"X-A: ", ":", "{\"k\":\"", "\"", "\\", "}", "[", "\x16\x03", "PRI * HTTP/2.0",
		"\x00", "\xff", "d1=", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", S1,
	};
	struct brk_scan_engine *e = engine_known();
	uint8_t m[20000];
	uint32_t x = 4242;
	size_t i, n, k;

	for (i = 0; i < 3000; i++) {
		n = 0;
		for (k = 0; k < 1 + i % 40; k++) {
			const char *b;
			size_t bl;

			x = x * 1103515245u + 12345u;
			b = bits[(x >> 16) % (sizeof(bits) / sizeof(bits[0]))];
			bl = strlen(b) ? strlen(b) : 1;   /* "\x00" */
			if (n + bl > sizeof(m))
				break;
			memcpy(m + n, b, bl);
			n += bl;
		}
		if (i % 100 == 0) {   /* now and then one big message */
			memset(m + n, 'v', sizeof(m) - n);
			n = sizeof(m);
		}
		{
			struct brk_scan_result r;
			char host[32];

			snprintf(host, sizeof(host), "g%u.example", (unsigned)(i % 40));
			memset(&r, 0, sizeof(r));
			ck_assert_int_ge(brk_scan_split_feed(e, host, m, n, &r), 0);
		}
	}
	brk_scan_engine_free(e);
}
END_TEST

/*
 * Clean text must not walk the buckets: every sampled position that passes
 * the filter costs the probe a chain of cache misses (the relay's probe
 * took as many samples as the loop itself). The relay's jail: a session's
 * nine canaries, no known secrets; 2 MiB of rl_bench's packuments (the
 * runs the decode graph sees: shasums, SRI digests, URLs, JSON). With NH's
 * top bits as the hash 1/56 of the lookups passed (text keys crowd the
 * words text patterns set); with khash()'s multiply-shift 1/337.
 */
START_TEST(clean_text_passes_filter)
{
	struct brk_scan_canary can[BRK_SCAN_CANARY_SHAPES];
	struct brk_known_in in[BRK_SCAN_CANARY_SHAPES];
	struct brk_known *k;
	uint8_t seed[32] = { 7 };
	size_t cap = (size_t)2 << 20, len = 0, lookups, passes, i;
	char *b = malloc(cap);
	int n = brk_scan_canary_generate(can, BRK_SCAN_CANARY_SHAPES, seed, seed);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(n, BRK_SCAN_CANARY_SHAPES);
	for (i = 0; i < (size_t)n; i++)
		in[i] = (struct brk_known_in){ .v = (const uint8_t *)can[i].value,
					       .len = strlen(can[i].value) };
	ck_assert_int_eq(brk_known_new(in, (size_t)n, &k), 0);
	for (i = 0;; i++) {
		size_t r = rl_gen_record(b + len, cap - len, i);

		if (!r)
			break;
		len += r;
	}
	ck_assert_uint_gt(len, cap / 2);
	passes = brk_known_filter_passes(k, (const uint8_t *)b, len);
	lookups = 2 * (len / 8);   /* the step-8 index: the canaries' pieces are long */
	fprintf(stderr, "clean_text_passes_filter: %zu of %zu lookups (1/%zu)\n", passes, lookups,
		passes ? lookups / passes : 0);
	ck_assert_uint_lt(passes * 250, lookups);
	brk_known_free(k);
	free(b);
}
END_TEST

#include "t/unit/test_keys.h"

/* The base64 of s between its armor lines (or its second word: a .pub),
 * decoded. */
static struct tu_buf unb64(const char *s, int pub)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct tu_buf o = { 0 };
	const char *p = pub ? strchr(s, ' ') + 1 : strchr(s, '\n') + 1;
	unsigned acc = 0, nb = 0;

	for (; *p && *p != '-' && *p != ' ' && *p != '='; p++) {
		const char *c = strchr(a, *p);
		uint8_t x;

		if (*p == '\n' || !c)
			continue;
		acc = acc << 6 | (unsigned)(c - a);
		if ((nb += 6) >= 8) {
			nb -= 8;
			x = (uint8_t)(acc >> nb);
			tu_cat(&o, &x, 1);
		}
	}
	return o;
}

static const struct {
	const char *key, *pub;
	int ssh;
} test_keys[] = {
	{ KEY_ED, PUB_ED, 1 }, { KEY_RSA, PUB_RSA, 1 }, { KEY_EC, PUB_EC, 0 },
};

/* A key file embeds its public key (OpenSSH: twice; PEM: the modulus or
 * point every certificate carries): sending id_*.pub, an SPKI or its
 * bytes is no leak of the private key. */
START_TEST(key_public_parts)
{
	size_t i;

	for (i = 0; i < sizeof(test_keys) / sizeof(test_keys[0]); i++) {
		struct brk_known *k = known1(test_keys[i].key, 1);
		struct tu_buf pb = unb64(test_keys[i].pub, test_keys[i].ssh), e;
		struct hits h;

		ck_assert_uint_eq(found_in(k, (const uint8_t *)test_keys[i].pub,
					   strlen(test_keys[i].pub), &h), 0);
		ck_assert_uint_eq(found_in(k, pb.p, pb.len, &h), 0);
		e = tu_hex(pb.p, pb.len, 0);
		ck_assert_uint_eq(found_in(k, e.p, e.len, &h), 0);
		free(e.p);
		e = tu_b64(pb.p, pb.len, 0, 1, 76);
		ck_assert_uint_eq(found_in(k, e.p, e.len, &h), 0);
		free(e.p);
		free(pb.p);
		/* and the private key itself still is */
		ck_assert_uint_ge(found_in(k, (const uint8_t *)test_keys[i].key,
					  strlen(test_keys[i].key), &h), 1);
		brk_known_free(k);
	}
}
END_TEST

/* Three private keys' 16-byte pieces: the filter still lets few clean
 * positions through (the bound clean_text_passes_filter sets). */
START_TEST(key_filter_passes)
{
	struct brk_known_in in[3];
	struct brk_known *k;
	size_t cap = (size_t)2 << 20, len = 0, lookups, passes, i;
	char *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < 3; i++)
		in[i] = (struct brk_known_in){ .v = (const uint8_t *)test_keys[i].key,
					       .len = strlen(test_keys[i].key), .key = 1 };
	ck_assert_int_eq(brk_known_new(in, 3, &k), 0);
	for (i = 0;; i++) {
		size_t r = rl_gen_record(b + len, cap - len, i);

		if (!r)
			break;
		len += r;
	}
	passes = brk_known_filter_passes(k, (const uint8_t *)b, len);
	lookups = 2 * (len / 8);
	fprintf(stderr, "key_filter_passes: %zu patterns, %zu of %zu lookups (1/%zu)\n",
		brk_known_npatterns(k), passes, lookups, passes ? lookups / passes : 0);
	ck_assert_uint_lt(passes * 250, lookups);
	brk_known_free(k);
	free(b);
}
END_TEST

/* Any 24 bytes of a private field: raw, hex, base64 at each alignment. */
START_TEST(key_any_24_bytes)
{
	size_t i, j, o, ns, seg[16][2];

	for (i = 0; i < sizeof(test_keys) / sizeof(test_keys[0]); i++) {
		struct brk_known *k = known1(test_keys[i].key, 1);
		struct tu_buf blob = unb64(test_keys[i].key, 0), e;
		struct hits h;

		ns = brk_known_key_secret(blob.p, blob.len, seg, 16);
		ck_assert_uint_ge(ns, 1);
		ck_assert_uint_le(ns, 16);
		if (i == 0)   /* ed25519: the seed, not its public half */
			ck_assert_uint_eq(seg[0][1] - seg[0][0], 32);
		for (j = 0; j < ns; j++)
			for (o = seg[j][0]; o + 24 <= seg[j][1]; o++) {
				uint8_t t[26] = { 'x', 'y' };
				unsigned sh;

				ck_assert_uint_ge(found_in(k, blob.p + o, 24, &h), 1);
				e = tu_hex(blob.p + o, 24, (int)(o & 1));
				ck_assert_uint_ge(found_in(k, e.p, e.len, &h), 1);
				free(e.p);
				memcpy(t + 2, blob.p + o, 24);
				for (sh = 0; sh < 3; sh++) {
					e = tu_b64(t + 2 - sh, 24 + sh, 0, 0, 0);
					ck_assert_msg(found_in(k, e.p, e.len, &h) >= 1,
						      "key %zu offset %zu shift %u", i, o, sh);
					free(e.p);
				}
			}
		free(blob.p);
		brk_known_free(k);
	}
}
END_TEST

/*
 * The small indexes' path (known.c small_scan(): few keys compared at every
 * position, SSE2/AVX2 first and last byte, then the whole key) against the
 * hash-and-filter loops on random inputs: the same hits, at every SIMD
 * level, for inputs of edge lengths around the 16- and 32-byte blocks, with
 * values planted raw, in another case, under XOR with a byte, reversed and
 * as halves, near both ends, with from anywhere.
 */
struct hitlist {
	size_t n;
	struct {
		size_t which, s, e;
		char xf[24];
	} h[512];
};

static int list_hit(void *ctx, size_t which, size_t s, size_t e, const char *xf)
{
	struct hitlist *l = ctx;

	ck_assert_uint_lt(l->n, 512);
	l->h[l->n].which = which;
	l->h[l->n].s = s;
	l->h[l->n].e = e;
	snprintf(l->h[l->n].xf, sizeof(l->h[0].xf), "%s", xf);
	l->n++;
	return 0;
}

static int hit_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(((struct hitlist *)0)->h[0]));
}

static void hits_of(const struct brk_known *k, const uint8_t *p, size_t len, size_t from, int small,
		    int simd, struct hitlist *l)
{
	int ss = brk_known_small, sd = brk_scan_dec_simd;

	memset(l, 0, sizeof(*l));
	brk_known_small = small;
	brk_scan_dec_simd = simd;
	brk_known_scan(k, p, len, from, list_hit, l);
	brk_known_small = ss;
	brk_scan_dec_simd = sd;
	qsort(l->h, l->n, sizeof(l->h[0]), hit_cmp);
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* value v planted at p + at in one of the shapes the indexes hold */
static void plant(uint8_t *p, size_t len, size_t at, const char *v, uint32_t *x)
{
	size_t n = strlen(v), i, h = n / 2;
	unsigned shape = rnd(x) % 5;
	uint8_t c = (uint8_t)(1 + rnd(x) % 255);

	if (len < n || at > len - n)
		return;
	for (i = 0; i < n; i++) {
		uint8_t b = (uint8_t)v[shape == 3 ? n - 1 - i : i];

		if (shape == 1 && isalpha(b))
			b ^= 0x20;
		if (shape == 2)
			b ^= c;
		p[at + i] = b;
	}
	if (shape == 4) {   /* the halves, a gap between */
		size_t gap = rnd(x) % 8;

		if (len < n + gap || at > len - n - gap)
			return;
		memcpy(p + at, v, h);
		memset(p + at + h, ',', gap);
		memcpy(p + at + h + gap, v + h, n - h);
	}
}

START_TEST(small_index_agrees)
{
	static const char *const sets[][6] = {
		{ "Tr0ub4dor&3-horse-27x" },                      /* halves 10 + 11: step 1 */
		{ "Zq8XbT2fLr5WkY1dPc7HnV3s" },                   /* halves of 12: step 4 */
		{ "Tr0ub4dor&3-horse-27x", "Zq8XbT2fLr5WkY1dPc7HnV3s", "wJalrXUtnFEMI/K7MDENG/bPxRf" },
		{ "aB3dE6gH9j" },                                 /* 10 bytes whole */
		{ "npm_Zq8XbT2fLr5WkY1dPc7HnV3sJm6GaE0uRo4i" },   /* no small index */
		{ "aB1aB1aB1aB1aB1aB1aB1aB1" },                   /* a half's key at its offset 3 too */
		{ "8417362950" }, { "84173629-50#" },             /* few forms: delta keys too */
		{ "Zq8XbT2fLr5WkY1d" },                           /* halves of 8, to the last byte */
		{ "Tr0ub4dor&3-horse-27", "Hq2mVx9LpK4sRt7wZb3N", "pX4kM9vB2nQ7wL5tY8hJ",
		  "uE3gS6fD9aZ2cV5bN8mK", "Wm4Rt8Yp2Lk6Jh9Gf3Ds", "qA7sD1fG4hJ8kL2zX5cV" },  /* > 8 keys */
	};
	static const size_t lens[] = { 0, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 39, 40, 41,
				       47, 48, 49, 63, 64, 65, 71, 72, 73, 95, 96, 97, 200, 1000 };
	static const char alpha[] = "Tr0ub4dor&3-horse-27xZq8XbT2fLr5W aB3dE6gH9j\"{}:,";
	uint8_t *p = malloc(4096);
	uint32_t x = 0x1234567u;
	size_t si, smalls = 0, planted = 0;

	ck_assert_ptr_nonnull(p);
	for (si = 0; si < sizeof(sets) / sizeof(sets[0]); si++) {
		struct brk_known_in in[6];
		struct brk_known *k;
		size_t nin = 0, it;

		for (; nin < 6 && sets[si][nin]; nin++) {
			memset(&in[nin], 0, sizeof(in[nin]));
			in[nin].v = (const uint8_t *)sets[si][nin];
			in[nin].len = strlen(sets[si][nin]);
		}
		ck_assert_int_eq(brk_known_new(in, nin, &k), 0);
		smalls += brk_known_small_mask(k) != 0;
		for (it = 0; it < 1500; it++) {
			struct hitlist ref, got;
			size_t len = it < 30 * 4 ? lens[it % 30] : rnd(&x) % 600, i, from;
			int simd;

			for (i = 0; i < len; i++)
				p[i] = rnd(&x) % 4 ? (uint8_t)alpha[rnd(&x) % (sizeof(alpha) - 1)]
						   : (uint8_t)rnd(&x);
			for (i = 0; len && i < 1 + rnd(&x) % 4; i++)
				plant(p, len, rnd(&x) % len, sets[si][rnd(&x) % nin], &x);
			if (len > 64 && it % 3 == 0)   /* at the very end */
				plant(p, len, len - strlen(sets[si][0]), sets[si][0], &x);
			from = it % 2 ? rnd(&x) % (len + 1) : 0;
			hits_of(k, p, len, from, 0, 0, &ref);
			planted += ref.n;
			for (simd = 0; simd <= 2; simd++) {
				hits_of(k, p, len, from, 1, simd, &got);
				ck_assert_msg(got.n == ref.n && !memcmp(got.h, ref.h, ref.n * sizeof(ref.h[0])),
					      "set %zu input %zu (len %zu, from %zu) simd %d: %zu hits, %zu by hash",
					      si, it, len, from, simd, got.n, ref.n);
			}
		}
		brk_known_free(k);
	}
	fprintf(stderr, "small_index_agrees: %zu of 10 sets with small indexes, %zu hits\n", smalls,
		planted);
	/* the path ran, and found things */
	ck_assert_uint_ge(smalls, 8);
	ck_assert_uint_ge(planted, 1000);
	free(p);
}
END_TEST

/*
 * The nine canaries (one session's set: the relay's jail case) under
 * repeating-key XOR, keys of 2..8 bytes, at every offset of the AVX2
 * loop's 128-byte blocks, in text and in binary, on both sides of a
 * segment boundary (known.c qxor_avx2(): 64 blocks of 128 bytes; text
 * segments take a loop of their own); found as "xor" of the right value.
 * Close negatives: the same with one byte of the value changed, and the
 * value XORed with a key one byte longer than it repeats (no l fits).
 */
static size_t put_xored(uint8_t *buf, size_t cap, size_t at, const char *v, const uint8_t *key,
			size_t kl, int bin, uint32_t *r)
{
	size_t i, n = strlen(v);

	for (i = 0; i < cap; i++) {
		*r = *r * 1103515245u + 12345u;
		buf[i] = bin && (i / 128) % 3 != 1 ? (uint8_t)(*r >> 16) : (uint8_t)('a' + (*r >> 16) % 26);
	}
	for (i = 0; i < n; i++)
		buf[at + i] = (uint8_t)v[i] ^ key[i % kl];
	return n;
}

static int xor_hit(const struct hits *h, size_t which)
{
	size_t i;

	for (i = 0; i < h->n && i < 64; i++)
		if (h->which[i] == which && !strcmp(h->xf[i], "xor"))
			return 1;
	return 0;
}

START_TEST(canaries_xor_every_offset)
{
	struct brk_scan_canary can[BRK_SCAN_CANARY_SHAPES];
	struct brk_known_in in[BRK_SCAN_CANARY_SHAPES];
	static uint8_t buf[3 * 8192];
	uint8_t seed[32] = { 41 }, key[9];
	struct brk_known *k;
	struct hits h;
	uint32_t r = 7;
	size_t c, kl, at, i, found = 0, tries = 0;
	int n = brk_scan_canary_generate(can, BRK_SCAN_CANARY_SHAPES, seed, seed), simd;

	ck_assert_int_eq(n, BRK_SCAN_CANARY_SHAPES);
	for (c = 0; c < (size_t)n; c++)
		in[c] = (struct brk_known_in){ .v = (const uint8_t *)can[c].value,
					       .len = strlen(can[c].value) };
	ck_assert_int_eq(brk_known_new(in, (size_t)n, &k), 0);
	for (simd = 2; simd >= 0; simd -= 2) {
		brk_scan_dec_simd = simd;
		for (c = 0; c < (size_t)n; c++)
			for (kl = 2; kl <= 8; kl++)
				for (at = 8192 - 256; at < 8192 + 136; at += (simd ? 1 : 7)) {
					int bin = (int)((at + kl) & 1);

					for (i = 0; i < kl; i++)
						key[i] = (uint8_t)(0x41 + (r >> 8) % 50 + i);
					r = r * 1103515245u + 12345u;
					put_xored(buf, sizeof(buf), at, can[c].value, key, kl, bin, &r);
					memset(&h, 0, sizeof(h));
					brk_known_scan(k, buf, sizeof(buf), 0, on_hit, &h);
					tries++;
					found += xor_hit(&h, c);
					ck_assert_msg(xor_hit(&h, c), "canary %zu (%s) key %zu at %zu %s missed (simd %d)",
						      c, can[c].detector, kl, at, bin ? "binary" : "text", simd);
				}
	}
	brk_scan_dec_simd = 2;
	/* close negatives: one byte of the value changed, or a key of 9
	 * bytes (no l of 2..8 repeats it): no "xor" finding of it */
	for (c = 0; c < (size_t)n; c++) {
		char v[sizeof(can[0].value)];

		snprintf(v, sizeof(v), "%s", can[c].value);
		v[strlen(v) / 2] ^= 0x01;
		for (i = 0; i < 8; i++)
			key[i] = (uint8_t)(0x30 + 7 * i);
		put_xored(buf, sizeof(buf), 8000, v, key, 8, 0, &r);
		memset(&h, 0, sizeof(h));
		brk_known_scan(k, buf, sizeof(buf), 0, on_hit, &h);
		ck_assert_msg(!xor_hit(&h, c), "canary %zu with a byte changed found as xor", c);
		for (i = 0; i < 9; i++)
			key[i] = (uint8_t)(0x61 + 5 * i);
		put_xored(buf, sizeof(buf), 8000, can[c].value, key, 9, 0, &r);
		memset(&h, 0, sizeof(h));
		brk_known_scan(k, buf, sizeof(buf), 0, on_hit, &h);
		ck_assert_msg(!xor_hit(&h, c), "canary %zu under a 9-byte key found as xor", c);
	}
	fprintf(stderr, "canaries_xor_every_offset: %zu of %zu found\n", found, tries);
	brk_known_free(k);
}
END_TEST

/*
 * The nine canaries with 1..4 bytes of junk after each byte (known.c's
 * strided quads, qstride_avx2(): every stride's AVX2 layout, 40..128
 * bytes a step) at every offset of two of its steps, text around them:
 * found at their stride. Close negative: the same with one byte of the
 * value changed is no stride finding.
 */
static size_t put_junked(uint8_t *buf, size_t cap, size_t at, const char *v, unsigned junk, uint32_t *r)
{
	size_t i, m = at, n = strlen(v);
	unsigned j;

	for (i = 0; i < cap; i++) {
		*r = *r * 1103515245u + 12345u;
		buf[i] = (uint8_t)("etaoin shrdlu{}\":,"[(*r >> 16) % 18]);
	}
	for (i = 0; i < n; i++) {
		buf[m++] = (uint8_t)v[i];
		for (j = 0; j < junk; j++) {
			*r = *r * 1103515245u + 12345u;
			buf[m++] = (uint8_t)('a' + (*r >> 16) % 26);
		}
	}
	return m - at;
}

static int stride_hit(const struct hits *h, size_t which, unsigned s)
{
	char want[16];
	size_t i;

	snprintf(want, sizeof(want), "~stride%u", s);
	for (i = 0; i < h->n && i < 64; i++)
		if (h->which[i] == which && (strstr(h->xf[i], want) || strstr(h->xf[i], "~case")))
			return 1;
	return 0;
}

START_TEST(canaries_junk_every_offset)
{
	struct brk_scan_canary can[BRK_SCAN_CANARY_SHAPES];
	struct brk_known_in in[BRK_SCAN_CANARY_SHAPES];
	static uint8_t buf[4 * 8192];
	uint8_t seed[32] = { 43 };
	struct brk_known *k;
	struct hits h;
	uint32_t r = 11;
	size_t c, at, tries = 0;
	unsigned junk;
	int n = brk_scan_canary_generate(can, BRK_SCAN_CANARY_SHAPES, seed, seed), simd;

	ck_assert_int_eq(n, BRK_SCAN_CANARY_SHAPES);
	for (c = 0; c < (size_t)n; c++)
		in[c] = (struct brk_known_in){ .v = (const uint8_t *)can[c].value,
					       .len = strlen(can[c].value) };
	ck_assert_int_eq(brk_known_new(in, (size_t)n, &k), 0);
	for (simd = 2; simd >= 0; simd -= 2) {
		brk_scan_dec_simd = simd;
		for (c = 0; c < (size_t)n; c++)
			for (junk = 1; junk <= 4; junk++)
				for (at = 4096; at < 4096 + 256; at += (simd ? 1 : 9)) {
					put_junked(buf, sizeof(buf), at, can[c].value, junk, &r);
					memset(&h, 0, sizeof(h));
					brk_known_scan(k, buf, sizeof(buf), 0, on_hit, &h);
					tries++;
					ck_assert_msg(stride_hit(&h, c, junk + 1),
						      "canary %zu (%s) junk %u at %zu missed (simd %d)", c,
						      can[c].detector, junk, at, simd);
				}
	}
	brk_scan_dec_simd = 2;
	for (c = 0; c < (size_t)n; c++) {
		char v[sizeof(can[0].value)];

		snprintf(v, sizeof(v), "%s", can[c].value);
		v[strlen(v) / 2] = v[strlen(v) / 2] == '7' ? '6' : '7';
		for (junk = 1; junk <= 4; junk++) {
			put_junked(buf, sizeof(buf), 5000, v, junk, &r);
			memset(&h, 0, sizeof(h));
			brk_known_scan(k, buf, sizeof(buf), 0, on_hit, &h);
			ck_assert_msg(!stride_hit(&h, c, junk + 1), "canary %zu with a byte changed found (junk %u)",
				      c, junk);
		}
	}
	fprintf(stderr, "canaries_junk_every_offset: %zu found\n", tries);
	brk_known_free(k);
}
END_TEST

/*
 * The 8-byte index's AVX2 loop (one gather for four positions' plain and
 * delta keys, three filter bits each) agrees with the scalar loop: the
 * nine canaries as they are, single-byte XORed and base64'd, planted in
 * packument text at every offset of two 32-byte blocks, found by both,
 * the same number of times.
 */
START_TEST(canaries_index_simd_agrees)
{
	struct brk_scan_canary can[BRK_SCAN_CANARY_SHAPES];
	struct brk_known_in in[BRK_SCAN_CANARY_SHAPES];
	static char text[16384];
	static uint8_t buf[16384];
	uint8_t seed[32] = { 47 };
	struct brk_known *k;
	size_t c, at, len = 0, i, n0, n2, r;
	int n = brk_scan_canary_generate(can, BRK_SCAN_CANARY_SHAPES, seed, seed), form;

	ck_assert_int_eq(n, BRK_SCAN_CANARY_SHAPES);
	for (c = 0; c < (size_t)n; c++)
		in[c] = (struct brk_known_in){ .v = (const uint8_t *)can[c].value,
					       .len = strlen(can[c].value) };
	ck_assert_int_eq(brk_known_new(in, (size_t)n, &k), 0);
	for (i = 0; (r = rl_gen_record(text + len, sizeof(text) - len, i)); i++)
		len += r;
	ck_assert_uint_gt(len, 8192);
	for (c = 0; c < (size_t)n; c++)
		for (form = 0; form < 3; form++)
			for (at = 4096; at < 4096 + 64; at++) {
				struct hits h0, h2;
				size_t vl = strlen(can[c].value);

				memcpy(buf, text, len);
				if (form == 2) {
					struct tu_buf b = tu_b64(can[c].value, vl, 0, 1, 0);

					memcpy(buf + at, b.p, b.len);
					free(b.p);
				} else {
					for (i = 0; i < vl; i++)
						buf[at + i] = (uint8_t)can[c].value[i] ^ (form ? 0x5a : 0);
				}
				memset(&h0, 0, sizeof(h0));
				memset(&h2, 0, sizeof(h2));
				brk_scan_dec_simd = 0;
				n0 = brk_known_scan(k, buf, len, 0, on_hit, &h0);
				brk_scan_dec_simd = 2;
				n2 = brk_known_scan(k, buf, len, 0, on_hit, &h2);
				ck_assert_msg(n2 >= 1 && n0 == n2, "canary %zu form %d at %zu: %zu scalar, %zu simd", c,
					      form, at, n0, n2);
			}
	brk_known_free(k);
}
END_TEST

Suite *scan_known_suite(void)
{
	Suite *s = suite_create("scan_known");
	TCase *tc = tcase_create("known");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_transform_found);
	tcase_add_test(tc, every_length_every_offset);
	tcase_add_test(tc, close_negatives);
	tcase_add_test(tc, key_body);
	tcase_add_test(tc, engine_verdicts);
	tcase_add_test(tc, split_across_messages);
	tcase_add_test(tc, canaries_in_transforms);
	tcase_add_test(tc, split_parser_garbage);
	tcase_add_test(tc, clean_text_passes_filter);
	tcase_add_test(tc, key_public_parts);
	tcase_add_test(tc, key_any_24_bytes);
	tcase_add_test(tc, key_filter_passes);
	tcase_add_test(tc, small_index_agrees);
	tcase_add_test(tc, canaries_xor_every_offset);
	tcase_add_test(tc, canaries_junk_every_offset);
	tcase_add_test(tc, canaries_index_simd_agrees);
	suite_add_tcase(s, tc);
	return s;
}
