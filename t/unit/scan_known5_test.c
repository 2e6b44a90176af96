/* SPDX-License-Identifier: MIT */
/*
 * scan_known5_test.c - known secrets under cheap disguises (branch
 * detect-known5): repeating-key XOR of 2..8-byte keys, raw and as hex, at
 * any offset and alignment; bzip2 of the value; a separator after every
 * character of a short value. Close negatives: random
 * bytes, XOR-like noise and bzip2 of ordinary text find nothing.
 */
#include "config.h"

#include <bzlib.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "broker/scan/scan.h"
#include "t/unit/scan_testutil.h"

static const char S1[] = "npm_Zq8XbT2fLr5WkY1dPc7HnV3sJm6GaE0uRo4i";   /* 40 */
static const char HEX32[] = "c9f1e2a7b4d84f0e9a3b6c5d2e1f0a9b";         /* 32 */

static struct brk_scan_engine *engine_known(void)
{
	struct brk_scan_known kn[2] = {
		{ .value = (const uint8_t *)S1, .len = strlen(S1) },
		{ .value = (const uint8_t *)HEX32, .len = strlen(HEX32) },
	};
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);

	ck_assert_int_eq(brk_scan_engine_add_known(e, kn, 2), 0);
	return e;
}

static uint64_t rnd = 88172645463325252ULL;

static uint8_t rbyte(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return (uint8_t)rnd;
}

static int blocked(struct brk_scan_engine *e, const uint8_t *p, size_t n)
{
	struct brk_scan_result r;

	ck_assert_int_eq(brk_scan_buffer(e, p, n, "evil.example", &r), 0);
	return r.blocked && tu_has(&r, "known-secret");
}

/* prefix bytes of random noise, the value XOR'd with key[0,kl), noise */
static size_t xored(uint8_t *out, size_t pre, const char *v, const uint8_t *key, size_t kl)
{
	size_t i, n = strlen(v);

	for (i = 0; i < pre; i++)
		out[i] = rbyte();
	for (i = 0; i < n; i++)
		out[pre + i] = (uint8_t)v[i] ^ key[i % kl];
	for (i = 0; i < 37; i++)
		out[pre + n + i] = rbyte();
	return pre + n + 37;
}

START_TEST(xor_repeating_keys)
{
	struct brk_scan_engine *e = engine_known();
	uint8_t buf[512], key[8];
	size_t kl, pre, i, n;

	for (kl = 2; kl <= 8; kl++)
		for (pre = 0; pre < 40; pre += 7) {
			for (i = 0; i < kl; i++)
				key[i] = rbyte() | 1;
			n = xored(buf, pre, S1, key, kl);
			ck_assert_msg(blocked(e, buf, n), "xor key %zu bytes at %zu missed", kl, pre);
			n = xored(buf, pre, HEX32, key, kl);
			ck_assert_msg(blocked(e, buf, n), "hex token xor key %zu at %zu missed", kl, pre);
		}
	/* as hex text (the decode graph, then the XOR) */
	{
		static const uint8_t k4[] = { 0xde, 0xad, 0xbe, 0xef };
		struct tu_buf h;

		n = xored(buf, 5, S1, k4, 4);
		h = tu_hex(buf, n, 0);
		ck_assert(blocked(e, h.p, h.len));
		free(h.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(xor_close_negatives)
{
	struct brk_scan_engine *e = engine_known();
	static uint8_t buf[1 << 20];
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = rbyte();
	ck_assert(!blocked(e, buf, sizeof(buf)));
	/* XOR-like noise: text XOR'd with a repeating key, and the secret's
	 * sibling (one byte changed) XOR'd */
	{
		static const char txt[] = "the quick brown fox jumps over the lazy dog, 0123456789 times";
		uint8_t key[3] = { 'k', '3', 'y' };
		size_t n = strlen(txt);

		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)txt[i] ^ key[i % 3];
		ck_assert(!blocked(e, buf, n));
		/* a token of the same shape, not the known one */
		n = xored(buf, 3, "npm_Qw9YcU3gMs6XlZ2ePd8IoW4tKn7HbF1vSp5j", key, 3);
		ck_assert(!blocked(e, buf, n));
	}
	brk_scan_engine_free(e);
}
END_TEST

static struct tu_buf bz(const void *p, size_t n)
{
	struct tu_buf b = { 0 };
	unsigned ol = (unsigned)(n + n / 100 + 700);

	b.p = malloc(ol);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_int_eq(BZ2_bzBuffToBuffCompress((char *)b.p, &ol, (char *)(uintptr_t)p, (unsigned)n, 9, 0, 0),
			 BZ_OK);
	b.len = ol;
	return b;
}

START_TEST(bzip2_found)
{
	struct brk_scan_engine *e = engine_known();
	struct tu_buf in = { 0 }, b;

	tu_cats(&in, "token=");
	tu_cats(&in, S1);
	b = bz(in.p, in.len);
	ck_assert(blocked(e, b.p, b.len));
	free(b.p);
	/* close negative: bzip2 of ordinary text */
	b = bz("hello world, ordinary text of a build log line\n", 47);
	ck_assert(!blocked(e, b.p, b.len));
	free(b.p);
	/* a bomb is cut off at the cap, not expanded */
	{
		size_t n = 64u << 20;
		char *z = calloc(1, n);
		struct brk_scan_result r;

		ck_assert_ptr_nonnull(z);
		b = bz(z, n);
		free(z);
		ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, "evil.example", &r), 0);
		ck_assert(r.blocked);   /* fail closed: not fully scanned */
		free(b.p);
	}
	free(in.p);
	brk_scan_engine_free(e);
}
END_TEST

/* a separator after every character of a value too short for known.c's
 * stride-2 index (< 23 bytes): known_variants.c's N = 1 */
START_TEST(sep1_short_value)
{
	static const char pw[] = "Tr0ub4dor&3-horse-27x";   /* 21 */
	struct brk_scan_known kn = { .value = (const uint8_t *)pw, .len = strlen(pw) };
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	static const char seps[] = ".-:,_/| ";
	uint8_t buf[128];
	size_t i, j, m;

	ck_assert_int_eq(brk_scan_engine_add_known(e, &kn, 1), 0);
	for (j = 0; seps[j]; j++) {
		for (i = 0, m = 0; pw[i]; i++) {
			if (i)
				buf[m++] = (uint8_t)seps[j];
			buf[m++] = (uint8_t)pw[i];
		}
		ck_assert_msg(blocked(e, buf, m), "'%c' every char missed", seps[j]);
	}
	/* close negatives: "a.b.c" lists, a dotted version string */
	{
		static const char *const neg[] = {
			"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z",
			"T.r.0.u.b.4.d.o.r.-.h.o.r.s.e",
			"1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20",
		};

		for (i = 0; i < sizeof(neg) / sizeof(neg[0]); i++)
			ck_assert_msg(!blocked(e, (const uint8_t *)neg[i], strlen(neg[i])), "%s", neg[i]);
	}
	brk_scan_engine_free(e);
}
END_TEST

/* raw deflate (no header) after a text prefix of 60 bytes, and of 2 KiB */
START_TEST(raw_deflate_mid)
{
	struct brk_scan_engine *e = engine_known();
	static uint8_t buf[8192], z[512];
	size_t pre;

	for (pre = 60; pre <= 2048; pre += 1988) {
		z_stream zs;
		size_t i, n;
		char in[128];

		memset(&zs, 0, sizeof(zs));
		ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
		n = (size_t)snprintf(in, sizeof(in), "token=%s\n\n\n\n\n\n\n\n", S1);
		zs.next_in = (Bytef *)in;
		zs.avail_in = (uInt)n;
		zs.next_out = z;
		zs.avail_out = sizeof(z);
		ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
		for (i = 0; i < pre; i++)
			buf[i] = (uint8_t)"HEADER"[i % 6];
		memcpy(buf + pre, z, zs.total_out);
		ck_assert_msg(blocked(e, buf, pre + zs.total_out), "raw deflate after %zu text bytes", pre);
		deflateEnd(&zs);
	}
	brk_scan_engine_free(e);
}
END_TEST

/* the halves of a value in two JSON fields (pieces do not cover the
 * halves of values under 32 bytes); one half alone, the halves out of
 * order or far apart are no finding */
START_TEST(halves_two_fields)
{
	static const char pw[] = "Tr0ub4dor&3-horse-27x";        /* 21: 10 + 11 */
	static const char words[] = "passwordsunflower";          /* 17: 8 + 9, words */
	struct brk_scan_known kn[2] = {
		{ .value = (const uint8_t *)pw, .len = strlen(pw) },
		{ .value = (const uint8_t *)words, .len = strlen(words) },
	};
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	char b[512];
	int n;

	ck_assert_int_eq(brk_scan_engine_add_known(e, kn, 2), 0);
	n = snprintf(b, sizeof(b), "{\"a\":\"%.10s\",\"b\":\"%s\"}", pw, pw + 10);
	ck_assert(blocked(e, (uint8_t *)b, (size_t)n));
	/* halves of one-case letters (words) are not indexed: text holds them */
	n = snprintf(b, sizeof(b), "user=%.8s&x=1&pass=%s", words, words + 8);
	ck_assert(!blocked(e, (uint8_t *)b, (size_t)n));
	/* close negatives */
	n = snprintf(b, sizeof(b), "{\"a\":\"%.10s\",\"b\":\"something else\"}", pw);
	ck_assert(!blocked(e, (uint8_t *)b, (size_t)n));
	n = snprintf(b, sizeof(b), "{\"a\":\"%s\",\"b\":\"%.10s\"}", pw + 10, pw);
	ck_assert(!blocked(e, (uint8_t *)b, (size_t)n));
	n = snprintf(b, sizeof(b), "%.10s%0200d%s", pw, 0, pw + 10);
	ck_assert(!blocked(e, (uint8_t *)b, (size_t)n));
	n = snprintf(b, sizeof(b), "enter your password: sunflower seeds, passwords of flowers");
	ck_assert(!blocked(e, (uint8_t *)b, (size_t)n));
	brk_scan_engine_free(e);
}
END_TEST

Suite *scan_known5_suite(void)
{
	Suite *s = suite_create("scan_known5");
	TCase *tc = tcase_create("known5");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, xor_repeating_keys);
	tcase_add_test(tc, xor_close_negatives);
	tcase_add_test(tc, bzip2_found);
	tcase_add_test(tc, sep1_short_value);
	tcase_add_test(tc, raw_deflate_mid);
	tcase_add_test(tc, halves_two_fields);
	suite_add_tcase(s, tc);
	return s;
}
