/* SPDX-License-Identifier: MIT */
/*
 * scan_gaps8_test.c - the base85 family decoder (broker/scan/dec_b85.c)
 * and the character-code chain decoder (dec_charcode.c): a token made up
 * here (no known value: the detector's pattern alone) under base85,
 * ascii85 and Z85 at every offset into a group, after junk digits and
 * in a JSON string, under base58 after junk (any length) and dressed as
 * an integrity value ("sha512-...=="), and spelled as
 * chr()/[char]/(char)/CHAR() chains, or as raw deflate after a 1..15-byte
 * text prefix (dec_rawtrial.c), is
 * found by the engine and its layer names the decoder; the scalar and
 * AVX2 prefilters put out the same bytes on random layers. Close
 * negatives: base85 of random bytes and of digests, chains of 7 calls,
 * a call name inside a longer identifier.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "broker/scan/decode.h"
#include "t/unit/scan_testutil.h"

static uint64_t rnd = 0x9e3779b97f4a7c15ULL;

static uint32_t r32(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return (uint32_t)(rnd >> 11);
}

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char *const alpha[3] = {
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~",
	"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstu",
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#",
};

/* A GitHub PAT shape with a valid CRC32 tail (det_table.c's check). */
static void pat(char t[41])
{
	unsigned long n;
	int i;

	memcpy(t, "ghp_", 4);
	for (i = 0; i < 30; i++)
		t[4 + i] = B62[r32() % 62];
	n = crc32(0, (const unsigned char *)t + 4, 30);
	for (i = 5; i >= 0; i--) {
		t[34 + i] = B62[n % 62];
		n /= 62;
	}
	t[40] = '\0';
}

/* p[0, n) in base85 alphabet a, the last group cut as the encoders do. */
static struct tu_buf b85(const uint8_t *p, size_t n, int a)
{
	struct tu_buf b = { 0 };
	size_t i, k;

	for (i = 0; i < n; i += 4) {
		uint32_t v = 0;
		char d[5];
		size_t have = n - i < 4 ? n - i : 4;
		int j;

		for (k = 0; k < 4; k++)
			v = v << 8 | (k < have ? p[i + k] : 0);
		for (j = 4; j >= 0; j--) {
			d[j] = alpha[a][v % 85];
			v /= 85;
		}
		tu_cat(&b, d, have + 1);
	}
	return b;
}

static int found(const struct brk_scan_engine *e, const struct tu_buf *b, const char *layer)
{
	struct brk_scan_result r;
	unsigned i;
	int ok = 0;

	ck_assert_int_ge(brk_scan_buffer(e, b->p, b->len, "example.net", &r), 0);
	for (i = 0; i < r.nfindings; i++)
		if (!strcmp(r.findings[i].detector, "github-pat") &&
		    (!layer || strstr(r.findings[i].layers, layer)))
			ok = r.blocked;
	return ok;
}

START_TEST(b85_every_phase)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	int a, off;

	for (a = 0; a < 3; a++)
		for (off = 0; off < 9; off++) {
			uint8_t raw[64];
			char t[41];
			struct tu_buf enc, body = { 0 };

			pat(t);
			memcpy(raw, "junkjunk", 8);
			memcpy(raw + off, t, 40);
			enc = b85(raw, off + 40, a);
			/* junk digits before the run shift its phase */
			tu_cats(&body, "{\"blob\":\"");
			tu_cat(&body, alpha[a] + 20, off % 5);
			tu_cat(&body, enc.p, enc.len);
			tu_cats(&body, "\"}\n");
			/* aligned, the pattern triggers find it first */
			ck_assert_msg(found(e, &body, off % 4 ? "base85-any" : NULL), "alphabet %d offset %d: %.*s", a, off,
				      (int)body.len, body.p);
			free(enc.p);
			free(body.p);
		}
	brk_scan_engine_free(e);
}
END_TEST

/* b85's output of p with brk_scan_dec_simd = simd */
static int dec(brk_scan_dec_fn *fn, const uint8_t *p, size_t len, int simd, struct brk_scan_out *o)
{
	struct brk_scan_dec_env env;
	int sd = brk_scan_dec_simd, r;

	memset(&env, 0, sizeof(env));
	brk_scan_out_init(o, 1 << 20);
	brk_scan_dec_simd = simd;
	r = fn(p, len, o, &env);
	brk_scan_dec_simd = sd;
	return r;
}

static void same(brk_scan_dec_fn *fn, const uint8_t *p, size_t len)
{
	struct brk_scan_out a, b;
	int ra = dec(fn, p, len, 0, &a), rb = dec(fn, p, len, 2, &b);

	ck_assert_int_eq(ra, rb);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(a.len == 0 || !memcmp(a.p, b.p, a.len));
	brk_scan_out_free(&a);
	brk_scan_out_free(&b);
}

START_TEST(simd_same)
{
	static const char noise[] = "chr(+)&.[]$ !#();<>?`|~\\'\"{}0123456789abcrwRW\n\x01\x80";
	uint8_t buf[700];
	int round;

	for (round = 0; round < 400; round++) {
		size_t len = r32() % sizeof(buf), i;

		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)(r32() % 4 ? alpha[round % 3][r32() % 85] :
					   noise[r32() % (sizeof(noise) - 1)]);
		same(brk_scan_dec_b85, buf, len);
		same(brk_scan_dec_charcode, buf, len);
		same(brk_scan_dec_b58, buf, len);
	}
}
END_TEST

START_TEST(b85_negatives)
{
	struct brk_scan_out o;
	uint8_t raw[64];
	int a, k;
	size_t i;

	/* base85 of random bytes and of digests: no text stretch of 16 */
	for (a = 0; a < 3; a++)
		for (k = 0; k < 200; k++) {
			struct tu_buf enc;

			for (i = 0; i < sizeof(raw); i++)
				raw[i] = (uint8_t)r32();
			enc = b85(raw, 20 + k % 44, a);
			dec(brk_scan_dec_b85, enc.p, enc.len, 2, &o);
			/* nothing, or a run whose digits open with zlib magic by
			 * chance (1 in 16384 phases): put whole for the
			 * decompress decoder, which finds no stream */
			ck_assert_msg(o.len == 0 || (o.npieces == 1 && o.p[0] == 0x78),
				      "alphabet %d: %zu bytes out of random", a, o.len);
			brk_scan_out_free(&o);
			free(enc.p);
		}
}
END_TEST

/* p[0, n) as one base58 number (leading zero bytes as '1'). */
static struct tu_buf b58(const uint8_t *p, size_t n)
{
	static const char A[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	uint8_t num[128], d[200];
	size_t nd = 0, lo = 0, i, z = 0;
	struct tu_buf b = { 0 };

	memcpy(num, p, n);
	while (z < n && p[z] == 0)
		z++;
	for (lo = z; lo < n;) {
		unsigned rem = 0;

		for (i = lo; i < n; i++) {
			unsigned cur = rem << 8 | num[i];

			num[i] = (uint8_t)(cur / 58);
			rem = cur % 58;
		}
		d[nd++] = (uint8_t)A[rem];
		while (lo < n && num[lo] == 0)
			lo++;
	}
	for (i = 0; i < z; i++)
		tu_cats(&b, "1");
	while (nd)
		tu_cat(&b, &d[--nd], 1);
	return b;
}

START_TEST(b58_any_length)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct brk_scan_out o;
	int k;

	for (k = 1; k < 12; k++) {
		uint8_t raw[64];
		char t[41];
		struct tu_buf enc, body = { 0 };

		pat(t);
		memcpy(raw, "token: xyzw", 11);
		memcpy(raw + k, t, 40);
		enc = b58(raw, (size_t)k + 40);
		tu_cats(&body, "{\"k\":\"");
		tu_cat(&body, enc.p, enc.len);
		tu_cats(&body, "\"}\n");
		ck_assert_msg(found(e, &body, "base58"), "%d junk bytes: %.*s", k, (int)body.len, body.p);
		free(enc.p);
		free(body.p);
	}
	/* keys, digests, addresses: random bytes decode to no text */
	for (k = 0; k < 300; k++) {
		uint8_t raw[48];
		struct tu_buf enc;
		size_t i;

		for (i = 0; i < sizeof(raw); i++)
			raw[i] = (uint8_t)r32();
		enc = b58(raw, 20 + (size_t)k % 28);
		dec(brk_scan_dec_b58, enc.p, enc.len, 2, &o);
		ck_assert_msg(o.len == 0, "%zu bytes out of random base58", o.len);
		brk_scan_out_free(&o);
		free(enc.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

/*
 * A base58 token dressed as a Subresource Integrity value, which npm
 * packuments carry in every record: "sha512-" and exactly a sha512's
 * base64 length, its "==" padding, and once with base64's '+' and filler
 * after the number. The shape is the writer's choice, so it must not
 * spare the run from the base58 decoder.
 */
START_TEST(b58_sri_shaped)
{
	static const char *const algs[2] = { "sha512-", "sha384-" };
	static const size_t dlen[2] = { 86, 64 }, pad[2] = { 2, 0 };
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	int a, tail;

	for (a = 0; a < 2; a++)
		for (tail = 0; tail < 2; tail++) {
			uint8_t raw[64];
			char t[41];
			struct tu_buf enc, body = { 0 };
			size_t junk = a == 1 ? 0 : tail ? 8 : 20, n;

			pat(t);
			memcpy(raw, "token: x token: x token: x", junk);
			memcpy(raw + junk, t, 40);
			enc = b58(raw, junk + 40);
			tu_cats(&body, "{\"name\":\"pkg\",\"dist\":{\"integrity\":\"");
			tu_cats(&body, algs[a]);
			for (n = enc.len; n < dlen[a] && !tail; n++)
				tu_cats(&body, "1");   /* leading zero bytes */
			tu_cat(&body, enc.p, enc.len);
			for (n = enc.len; n < dlen[a] && tail; n++)
				tu_cats(&body, n == enc.len ? "+" : "A");
			ck_assert(enc.len < dlen[a]);
			tu_cat(&body, "==", pad[a]);
			tu_cats(&body, "\"}}\n");
			ck_assert_msg(found(e, &body, "base58"), "%s tail %d: %.*s", algs[a], tail,
				      (int)body.len, body.p);
			free(enc.p);
			free(body.p);
		}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(rawtrial_short_prefix)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	size_t k;

	for (k = 1; k <= 15; k++) {
		char t[41];
		struct tu_buf z, body = { 0 };

		pat(t);
		z = tu_compress(2, t, 40);
		tu_cat(&body, "token: x token: x", k);
		tu_cat(&body, z.p, z.len);
		ck_assert_msg(found(e, &body, "deflate"), "raw deflate after %zu text bytes", k);
		free(z.p);
		free(body.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(charcode_forms)
{
	static const struct { const char *pre, *suf, *sep; int hex; } forms[] = {
		{ "chr(", ")", "+", 0 }, { "chr(", ")", " + ", 0 }, { "chr(", ")", ".", 0 },
		{ "Chr(", ")", " & ", 0 }, { "ChrW(", ")", "&", 0 }, { "[char]", "", "+", 0 },
		{ "(char)", "", ",", 0 }, { "CHAR(", ")", "||", 0 }, { "chr( ", " )", "+", 0 },
		{ "chr(0x", ")", "+", 1 },
	};
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	size_t f;

	for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		struct tu_buf body = { 0 };
		char t[41], one[32];
		int i;

		pat(t);
		tu_cats(&body, "s = ");
		for (i = 0; i < 40; i++) {
			if (i)
				tu_cats(&body, forms[f].sep);
			snprintf(one, sizeof(one), forms[f].hex ? "%x" : "%d", t[i]);
			tu_cats(&body, forms[f].pre);
			tu_cats(&body, one);
			tu_cats(&body, forms[f].suf);
		}
		tu_cats(&body, "\n");
		ck_assert_msg(found(e, &body, "charcode"), "%s", (const char *)body.p);
		free(body.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(charcode_negatives)
{
	static const char *const neg[] = {
		"chr(72)+chr(101)+chr(108)+chr(108)+chr(111)+chr(32)+chr(119)",   /* 7 */
		"mychr(72)+mychr(101)+mychr(108)+mychr(108)+mychr(111)+mychr(32)+mychr(119)+mychr(33)",
		"chr(ord(c)+1) for c in s; x = chr(65) + str(n) + chr(66)",
	};
	size_t k;

	for (k = 0; k < sizeof(neg) / sizeof(neg[0]); k++) {
		struct brk_scan_out o;

		dec(brk_scan_dec_charcode, (const uint8_t *)neg[k], strlen(neg[k]), 2, &o);
		ck_assert_msg(o.len == 0, "%s", neg[k]);
		brk_scan_out_free(&o);
	}
}
END_TEST

Suite *scan_gaps8_suite(void)
{
	Suite *s = suite_create("scan_gaps8");
	TCase *tc = tcase_create("gaps8");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, b85_every_phase);
	tcase_add_test(tc, simd_same);
	tcase_add_test(tc, b85_negatives);
	tcase_add_test(tc, b58_any_length);
	tcase_add_test(tc, b58_sri_shaped);
	tcase_add_test(tc, rawtrial_short_prefix);
	tcase_add_test(tc, charcode_forms);
	tcase_add_test(tc, charcode_negatives);
	suite_add_tcase(s, tc);
	return s;
}
