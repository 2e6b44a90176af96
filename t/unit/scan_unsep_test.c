/* SPDX-License-Identifier: MIT */
/*
 * scan_unsep_test.c - the unsep decoder's AVX2 walk (broker/scan/
 * dec_unsep.c) against its scalar loop: the walk only skips separators
 * at_sep() would refuse, so both put out the same bytes, on random layers
 * of every length (the walk's last blocks are zero-padded masks) and on
 * a cut token at every offset near a layer's end. Close negatives: npm
 * tarball URLs ('-' every 5 around "/-/"), which are not cut tokens; a
 * cut token with '/' inside its groups still is one. Uneven cuts
 * (rejoin()) against dates, UUIDs, identifiers and paths.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/decode.h"

static uint64_t rnd = 0x2545f4914f6cdd1dULL;

static uint32_t r32(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return (uint32_t)(rnd >> 11);
}

static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char seps[] = "_-.:,;/|";
static const char noise[] = " \"'{}[]:,.-_/|;=+&!\n\t\x01\x80";

/* unsep's output of p[0, len) with brk_scan_dec_simd = simd into o */
static int unsep(const uint8_t *p, size_t len, int simd, struct brk_scan_out *o)
{
	struct brk_scan_dec_env env;
	int sd = brk_scan_dec_simd, r;

	memset(&env, 0, sizeof(env));
	brk_scan_out_init(o, 1 << 20);
	brk_scan_dec_simd = simd;
	r = brk_scan_dec_unsep(p, len, o, &env);
	brk_scan_dec_simd = sd;
	return r;
}

static int same(const uint8_t *p, size_t len, int *took)
{
	struct brk_scan_out a, b;
	int ra = unsep(p, len, 0, &a), rb = unsep(p, len, 2, &b), ok;

	ok = ra == rb && a.len == b.len && a.npieces == b.npieces &&
	     (a.len == 0 || !memcmp(a.p, b.p, a.len));
	*took += ra > 0;
	brk_scan_out_free(&a);
	brk_scan_out_free(&b);
	return ok;
}

/* a token of glen bytes cut by c every n, after lead uncut bytes */
static size_t cut_token(uint8_t *b, size_t cap, char c, unsigned n, unsigned glen, unsigned lead)
{
	size_t len = 0;
	unsigned g;

	for (g = 0; g < lead && len < cap; g++)
		b[len++] = (uint8_t)al[r32() % 62];
	for (g = 0; g < glen && len + 2 < cap; g++) {
		if (g && g % n == 0)
			b[len++] = (uint8_t)c;
		b[len++] = (uint8_t)(r32() % 20 == 0 ? seps[r32() % 8] : al[r32() % 62]);
	}
	return len;
}

START_TEST(walk_is_scalar)
{
	static uint8_t buf[1 << 13];
	int took = 0, it;

	for (it = 0; it < 20000; it++) {
		size_t len = 0, target = 1 + r32() % (it % 5 == 0 ? 8000 : 400);

		while (len < target && len + 64 < sizeof(buf)) {
			unsigned kind = r32() % (it % 2 ? 6 : 30), k;

			if (kind == 0) {
				len += cut_token(buf + len, sizeof(buf) - len, seps[r32() % 8],
						 1 + r32() % 8, 8 + r32() % 40, r32() % 9);
			} else if (kind == 4) {
				/* uneven cuts: groups of 1..48 (rejoin()) */
				for (k = 3 + r32() % 4; k-- && len + 50 < sizeof(buf);) {
					unsigned g = 1 + r32() % (r32() % 2 ? 8 : 48);

					while (g--)
						buf[len++] = (uint8_t)al[r32() % 62];
					buf[len++] = (uint8_t)(k ? '-' : ' ');
				}
			} else if (kind == 2) {
				for (k = r32() % 30; k--;)
					buf[len++] = (uint8_t)(r32() % 2 ? seps[r32() % 8] : al[r32() % 62]);
			} else if (kind % 2) {
				for (k = r32() % 30; k--;)
					buf[len++] = (uint8_t)noise[r32() % (sizeof(noise) - 1)];
			} else {
				for (k = r32() % 20; k--;)
					buf[len++] = (uint8_t)al[r32() % 62];
			}
		}
		if (len > target)
			len = target;
		ck_assert_msg(same(buf + it % 3, len > (size_t)(it % 3) ? len - it % 3 : 0, &took),
			      "layer %d (%zu bytes)", it, len);
	}
	ck_assert_int_gt(took, 1000);   /* the layers did hold cut tokens */
}
END_TEST

START_TEST(token_at_end)
{
	uint8_t buf[512], tokb[64];
	size_t tl, total, at;
	int took = 0;

	/* 30 bytes of a token cut by '-' every 4 ending at each byte from 40
	 * to 300: the walk's last blocks */
	memcpy(tokb, "Ab1x-Cd2y-Ef3z-Gh4w-Ij5v-Kl6u", 29);
	tl = 29;
	for (total = 40; total <= 300; total++) {
		struct brk_scan_out o;

		at = total - tl;
		memset(buf, ' ', at);
		memcpy(buf + at, tokb, tl);
		ck_assert_msg(same(buf, total, &took), "end at %zu", total);
		ck_assert_int_eq(unsep(buf, total, 2, &o), 1);
		ck_assert_msg(o.len >= 24 && memmem(o.p, o.len, "Ab1xCd2yEf3zGh4wIj5vKl6u", 24),
			      "end at %zu", total);
		brk_scan_out_free(&o);
	}
}
END_TEST

START_TEST(tarball_urls)
{
	static const char *const clean[] = {
		"\"tarball\":\"https://registry.npmjs.org/pkg-2842/-/pkg-2842-4.29.6.tgz\"",
		"\"tarball\":\"https://registry.npmjs.org/pkg-767/-/pkg-767-13.1.2.tgz\"",
		"\"tarball\":\"https://registry.npmjs.org/pkg-25051/-/pkg-25051-7.21.39.tgz\"",
		NULL,
	};
	/* close positive: '/' inside the groups, not beside a cut */
	static const char cutp[] = "x Ab/1-Cd2y-E/f3-Gh4w-Ij5v-Kl6u y";
	struct brk_scan_out o;
	size_t k;
	int simd;

	for (simd = 0; simd <= 2; simd += 2) {
		for (k = 0; clean[k]; k++) {
			ck_assert_msg(unsep((const uint8_t *)clean[k], strlen(clean[k]), simd, &o) <= 0,
				      "%s put out %.*s", clean[k], (int)o.len, (const char *)o.p);
			brk_scan_out_free(&o);
		}
		ck_assert_int_eq(unsep((const uint8_t *)cutp, strlen(cutp), simd, &o), 1);
		ck_assert(memmem(o.p, o.len, "Cd2yE/f3Gh4wIj5vKl6u", 20) != NULL);
		brk_scan_out_free(&o);
	}
}
END_TEST

/* rejoin(): uneven cuts put back, capitals alone, a token's own '_' kept;
 * the close negatives put out nothing */
START_TEST(uneven_cuts)
{
	static const char *const cut[][2] = {
		{ "k ghp_dGlMoiyrl-fxX1rTnyFf3-vA7NUtFOY64WuYlz\n",
		  "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" },
		{ "k=AKI.AWWRW.2WL4.XVJ.KMX6S;", "AKIAWWRW2WL4XVJKMX6S" },
		{ "\"ghp__Y5Jh_KJBp_5e9_kiJUA_k35c\"", "ghp_Y5JhKJBp5e9kiJUAk35c" },
		{ "x ghp_ylMsP1ZoQ_NObr0S2jBdz_zC7mFxqyTM3AEA7V", "ghp_ylMsP1ZoQNObr0S2jBdz" },
		{ "A_KIA_EUW_HZL_MGA_DAW_VHM_R", "AKIAEUWHZLMGADAWVHMR" },
		{ NULL, NULL },
	};
	static const char *const clean[] = {
		"2024-01-15,12:30:45,17 2023-11-02T08:05:59Z 1.2.3-rc.1",
		"get_user_by_id_and_name parse_frame_header MAX_RETRY_FOR_ALL",
		"/usr/lib/x86_64-linux-gnu/libssl.so.3 sha512-AbC1dEf2/GhI3-jKl4+MnO5-pQr6==",
		NULL,
	};
	struct brk_scan_out o;
	size_t k;
	int simd;

	for (simd = 0; simd <= 2; simd += 2) {
		for (k = 0; cut[k][0]; k++) {
			ck_assert_msg(unsep((const uint8_t *)cut[k][0], strlen(cut[k][0]), simd, &o) == 1,
				      "%s", cut[k][0]);
			ck_assert_msg(memmem(o.p, o.len, cut[k][1], strlen(cut[k][1])) != NULL,
				      "%s put out %.*s", cut[k][0], (int)o.len, (const char *)o.p);
			brk_scan_out_free(&o);
		}
		for (k = 0; clean[k]; k++) {
			ck_assert_msg(unsep((const uint8_t *)clean[k], strlen(clean[k]), simd, &o) <= 0,
				      "%s put out %.*s", clean[k], (int)o.len, (const char *)o.p);
			brk_scan_out_free(&o);
		}
	}
}
END_TEST

Suite *scan_unsep_suite(void);
Suite *scan_unsep_suite(void)
{
	Suite *s = suite_create("scan_unsep");
	TCase *tc = tcase_create("unsep");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, walk_is_scalar);
	tcase_add_test(tc, token_at_end);
	tcase_add_test(tc, tarball_urls);
	tcase_add_test(tc, uneven_cuts);
	suite_add_tcase(s, tc);
	return s;
}
