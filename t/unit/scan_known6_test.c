/* SPDX-License-Identifier: MIT */
/*
 * scan_known6_test.c - known values with 1..4 bytes of junk after each
 * byte (strides 2..5, any text junk, values of 11 bytes and more) and
 * under repeating-key XOR when they are short (12..31 bytes: keys of 2..4
 * bytes at 12, any of 2..8 from 16), raw and as hex, at every alignment
 * of the quad index's sampling (broker/scan/known.c, quads). Close
 * negatives: the value with one byte changed, ordinary text near a
 * strided value, random bytes, XOR'd text, a sibling value XOR'd.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/decode.h"
#include "broker/scan/known.h"
#include "broker/scan/scan.h"
#include "t/unit/scan_testutil.h"

static uint64_t rnd = 0x9e3779b97f4a7c15ULL;

static uint32_t r32(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return (uint32_t)(rnd >> 11);
}

static const char tok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+-_&";

/* a fresh token-like value of n bytes in v (NUL-terminated) */
static void fresh(char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = tok[r32() % (sizeof(tok) - 1)];
	v[n] = 0;
}

struct hits {
	size_t n;
	char xf[24];
};

static int on_hit(void *ctx, size_t which, size_t s, size_t e, const char *xf)
{
	struct hits *h = ctx;

	(void)which;
	(void)s;
	(void)e;
	if (!h->n++)
		snprintf(h->xf, sizeof(h->xf), "%s", xf);
	return 0;
}

static struct brk_known *known1(const char *v)
{
	struct brk_known_in in = { .v = (const uint8_t *)v, .len = strlen(v) };
	struct brk_known *k;

	ck_assert_int_eq(brk_known_new(&in, 1, &k), 0);
	return k;
}

/* pre bytes of text, v with junk bytes from al after each byte, text */
static size_t junked(uint8_t *out, size_t pre, const char *v, unsigned junk, const char *al)
{
	size_t i, m = 0, n = strlen(v), na = strlen(al);
	unsigned j;

	for (i = 0; i < pre; i++)
		out[m++] = (uint8_t)"the build log says "[i % 19];
	for (i = 0; i < n; i++) {
		out[m++] = (uint8_t)v[i];
		for (j = 0; j < junk; j++)
			out[m++] = (uint8_t)al[r32() % na];
	}
	for (i = 0; i < 23; i++)
		out[m++] = (uint8_t)" and nothing else here."[i];
	return m;
}

static const char *const junk_al[] = {
	"abcdefghijklmnopqrstuvwxyz0123456789", ".", "-_:;,!?*", "ZYXWVU", " ",
};

START_TEST(junk_strides)
{
	static const size_t lens[] = { 11, 12, 16, 21, 31, 40, 64 };
	uint8_t buf[2048];
	char v[80];
	size_t li, pre, n;
	unsigned junk, a;

	int simd;

	/* every offset of two sampling periods (8 or 16 substream positions
	 * times the stride; the AVX2 loop's 40..128), scalar and AVX2 */
	for (li = 0, simd = 0; li < sizeof(lens) / sizeof(lens[0]); li++, simd = 2 - simd) {
		struct brk_known *k;

		brk_scan_dec_simd = simd;
		fresh(v, lens[li]);
		k = known1(v);
		for (junk = 1; junk <= 4; junk++)
			for (a = 0; a < sizeof(junk_al) / sizeof(junk_al[0]); a++)
				for (pre = 0; pre < 32 * (junk + 1) + 3; pre += a ? 5 : 1) {
					struct hits h = { 0 };
					char want[16];

					n = junked(buf, pre, v, junk, junk_al[a]);
					ck_assert_msg(brk_known_scan(k, buf, n, 0, on_hit, &h) >= 1,
						      "len %zu junk %u alphabet %u at %zu missed (simd %d)", lens[li], junk,
						      a, pre, simd);
					snprintf(want, sizeof(want), "stride%u", junk + 1);
					/* (a junk of one byte may be a separator form first) */
					ck_assert_msg(a || strstr(h.xf, want) || strstr(h.xf, "~case"), "xf %s", h.xf);
				}
		brk_known_free(k);
	}
	brk_scan_dec_simd = 2;
}
END_TEST

/* the strided value in a stream window: found in the feed that completes
 * it, whatever came before (from) */
START_TEST(junk_window)
{
	uint8_t buf[512];
	char v[32];
	size_t n, from;
	struct brk_known *k;

	fresh(v, 24);
	k = known1(v);
	n = junked(buf, 100, v, 3, "qwertyuiop");
	for (from = 100; from < n - 23; from += 7) {
		struct hits h = { 0 };

		ck_assert_msg(brk_known_scan(k, buf, n, from, on_hit, &h) >= 1, "from %zu", from);
	}
	brk_known_free(k);
}
END_TEST

START_TEST(junk_close_negatives)
{
	static const char prose[] =
		"Zealous xylophone 9 quiet Lions 2 very Ripe 7 mangoes Keep winning, "
		"The parser reads every third byte of its input when it is asked to, "
		"and npm install prints one line per package at most, twice a day.";
	static uint8_t rb[1 << 18];
	uint8_t buf[1024];
	char v[20];
	size_t n, i;
	unsigned junk;
	struct brk_known *k;
	struct hits h = { 0 };

	fresh(v, 16);
	k = known1(v);
	/* one byte changed, at each stride: not the value */
	for (junk = 1; junk <= 4; junk++)
		for (i = 0; i < 16; i += 5) {
			char w[20];

			memcpy(w, v, sizeof(w));
			w[i] = w[i] == 'q' ? 'r' : 'q';
			n = junked(buf, 5, w, junk, "abcdefghijklmnopqrstuvwxyz0123456789");
			ck_assert_uint_eq(brk_known_scan(k, buf, n, 0, on_hit, &h), 0);
		}
	brk_known_free(k);
	/* a value whose characters are those of the prose, strided */
	k = known1("ZxqL2vR7mK");   /* 10: no quads; and prose near it */
	ck_assert_uint_eq(brk_known_scan(k, (const uint8_t *)prose, strlen(prose), 0, on_hit, &h), 0);
	brk_known_free(k);
	k = known1("Zx9qL2vR7mKw");
	ck_assert_uint_eq(brk_known_scan(k, (const uint8_t *)prose, strlen(prose), 0, on_hit, &h), 0);
	/* random bytes */
	for (i = 0; i < sizeof(rb); i++)
		rb[i] = (uint8_t)r32();
	ck_assert_uint_eq(brk_known_scan(k, rb, sizeof(rb), 0, on_hit, &h), 0);
	/* random text (every byte printable) */
	for (i = 0; i < sizeof(rb); i++)
		rb[i] = (uint8_t)(' ' + r32() % 95);
	ck_assert_uint_eq(brk_known_scan(k, rb, sizeof(rb), 0, on_hit, &h), 0);
	brk_known_free(k);
}
END_TEST

static struct brk_scan_engine *engine1(const char *v)
{
	struct brk_scan_known kn = { .value = (const uint8_t *)v, .len = strlen(v) };
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);

	ck_assert_int_eq(brk_scan_engine_add_known(e, &kn, 1), 0);
	return e;
}

static int blocked(struct brk_scan_engine *e, const uint8_t *p, size_t n)
{
	struct brk_scan_result r;

	ck_assert_int_eq(brk_scan_buffer(e, p, n, "evil.example", &r), 0);
	return r.blocked && tu_has(&r, "known-secret");
}

/* pre bytes of noise (text or binary), v XOR key[0,kl), noise */
static size_t xored(uint8_t *out, size_t pre, const char *v, const uint8_t *key, size_t kl, int bin)
{
	size_t i, n = strlen(v);

	for (i = 0; i < pre; i++)
		out[i] = bin ? (uint8_t)r32() : (uint8_t)('a' + r32() % 26);
	for (i = 0; i < n; i++)
		out[pre + i] = (uint8_t)v[i] ^ key[i % kl];
	for (i = 0; i < 160; i++)   /* the AVX2 loop takes 136 bytes at a time */
		out[pre + n + i] = bin ? (uint8_t)r32() : (uint8_t)('a' + r32() % 26);
	return pre + n + 160;
}

START_TEST(xor_short_values)
{
	static const size_t lens[] = { 12, 13, 15, 16, 21, 24, 31 };
	uint8_t buf[512], key[8];
	char v[40];
	size_t li, kl, pre, i, n;

	int simd;

	/* every offset of the AVX2 loop's 128 bytes, scalar and AVX2 */
	for (li = 0, simd = 0; li < sizeof(lens) / sizeof(lens[0]); li++, simd = 2 - simd) {
		struct brk_scan_engine *e;
		size_t maxkl = lens[li] >= 16 ? 8 : lens[li] - 8;

		brk_scan_dec_simd = simd;
		fresh(v, lens[li]);
		e = engine1(v);
		for (kl = 2; kl <= maxkl; kl++)
			for (pre = 0; pre < 136; pre++) {
				for (i = 0; i < kl; i++)
					key[i] = (uint8_t)(r32() | 1);
				n = xored(buf, pre, v, key, kl, (int)(pre & 1));
				ck_assert_msg(blocked(e, buf, n), "len %zu key %zu at %zu missed (simd %d)", lens[li],
					      kl, pre, simd);
			}
		/* a key whose first byte is 0: not the raw value */
		{
			static const uint8_t z3[] = { 0, 0x5a, 0x13 };

			n = xored(buf, 5, v, z3, 3, 1);
			ck_assert_msg(blocked(e, buf, n), "len %zu key 00 5a 13 missed", lens[li]);
		}
		/* as hex (the decode graph, then the XOR) */
		for (kl = 2; kl <= maxkl; kl++) {
			struct tu_buf h;

			for (i = 0; i < kl; i++)
				key[i] = (uint8_t)(r32() | 0x80);
			n = xored(buf, 11, v, key, kl, 1);
			h = tu_hex(buf, n, 0);
			ck_assert_msg(blocked(e, h.p, h.len), "hex len %zu key %zu missed", lens[li], kl);
			free(h.p);
		}
		brk_scan_engine_free(e);
	}
	brk_scan_dec_simd = 2;
}
END_TEST

START_TEST(xor_short_negatives)
{
	static const char txt[] = "the quick brown fox jumps over the lazy dog, 0123456789 times";
	static uint8_t rb[1 << 18];
	static const uint8_t k3[] = { 'k', '3', 'y' }, k4[] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t buf[256];
	char v[16], w[16];
	size_t i, n;
	struct brk_scan_engine *e;

	fresh(v, 12);
	e = engine1(v);
	for (i = 0; i < sizeof(rb); i++)
		rb[i] = (uint8_t)r32();
	ck_assert(!blocked(e, rb, sizeof(rb)));
	n = xored(buf, 0, txt, k3, 3, 0);
	ck_assert(!blocked(e, buf, n));
	/* a sibling: the value with one byte changed, XOR'd */
	memcpy(w, v, sizeof(w));
	w[6] = w[6] == 'q' ? 'r' : 'q';
	n = xored(buf, 7, w, k3, 3, 1);
	ck_assert(!blocked(e, buf, n));
	n = xored(buf, 7, w, k4, 4, 1);
	ck_assert(!blocked(e, buf, n));
	brk_scan_engine_free(e);
}
END_TEST

Suite *scan_known6_suite(void);

Suite *scan_known6_suite(void)
{
	Suite *s = suite_create("scan_known6");
	TCase *tc = tcase_create("known6");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, junk_strides);
	tcase_add_test(tc, junk_window);
	tcase_add_test(tc, junk_close_negatives);
	tcase_add_test(tc, xor_short_values);
	tcase_add_test(tc, xor_short_negatives);
	suite_add_tcase(s, tc);
	return s;
}
