/* SPDX-License-Identifier: MIT */
/*
 * scan_det_test.c - the generic registry walk: every detector's positive
 * samples are found (raw, embedded, base64, streamed one byte per write,
 * by Hyperscan and by the fallback oracle) and its negatives are not; plus
 * registry invariants and Hyperscan/oracle equivalence.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/scan/det_table.h"
#include "broker/scan/scan.h"
#include "t/unit/scan_testutil.h"

static struct brk_scan_engine *hs, *fb;

static void setup(void)
{
	hs = tu_engine(0, NULL, 0);
	fb = tu_engine(1, NULL, 0);
}

static void teardown(void)
{
	brk_scan_engine_free(hs);
	brk_scan_engine_free(fb);
}

START_TEST(registry_shape)
{
	size_t i, j;

	ck_assert_uint_ge(brk_scan_ndetectors, 45);
	for (i = 0; i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];

		ck_assert_ptr_nonnull(d->id);
		ck_assert_ptr_nonnull(d->desc);
		ck_assert_msg(d->anchors[0] && d->anchors[0][0], "%s: no anchor", d->id);
		ck_assert_msg(d->pos && d->pos[0], "%s: no positive sample", d->id);
		ck_assert_msg(d->neg && d->neg[0], "%s: no negative sample", d->id);
		ck_assert_msg(strspn(d->id, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(d->id),
			      "%s: id charset", d->id);
		for (j = 0; j < i; j++)
			ck_assert_msg(strcmp(d->id, brk_scan_detectors[j].id) != 0, "dup id %s", d->id);
		ck_assert_ptr_eq(brk_scan_det_find(d->id), d);
	}
}
END_TEST

static void expect(const struct brk_scan_engine *e, const struct brk_scan_det *d,
		   const void *p, size_t n, int want, const char *how, const char *sample)
{
	struct brk_scan_result r;

	ck_assert_int_eq(brk_scan_buffer(e, p, n, NULL, &r), 0);
	ck_assert_msg(tu_has(&r, d->id) == want, "%s [%s, %s]: %s '%.60s'", d->id, how,
		      brk_scan_engine_matcher(e), want ? "missed" : "false hit", sample);
}

START_TEST(positives_found)
{
	const struct brk_scan_det *d = &brk_scan_detectors[_i];
	size_t k;

	for (k = 0; d->pos[k]; k++) {
		const char *s = d->pos[k];
		struct tu_buf emb = { 0 }, b64, b64u;
		struct brk_scan_result r;

		expect(hs, d, s, strlen(s), 1, "raw", s);
		expect(fb, d, s, strlen(s), 1, "raw", s);
		tu_cats(&emb, "POST /x HTTP/1.1\r\nHost: h\r\n\r\n{\"v\": \"");
		tu_cats(&emb, s);
		tu_cats(&emb, "\"}\n");
		expect(hs, d, emb.p, emb.len, 1, "json-in-http", s);
		b64 = tu_b64(s, strlen(s), 0, 1, 0);
		expect(hs, d, b64.p, b64.len, 1, "base64", s);
		expect(fb, d, b64.p, b64.len, 1, "base64", s);
		b64u = tu_b64(s, strlen(s), 1, 0, 0);
		expect(hs, d, b64u.p, b64u.len, 1, "base64url-nopad", s);
		/* one byte per write */
		ck_assert_int_eq(tu_stream(hs, emb.p, emb.len, 1, NULL, &r), 0);
		ck_assert_msg(tu_has(&r, d->id), "%s: missed when streamed 1 byte/write", d->id);
		ck_assert_int_eq(tu_stream(fb, emb.p, emb.len, 1, NULL, &r), 0);
		ck_assert_msg(tu_has(&r, d->id), "%s: fallback missed when streamed", d->id);
		ck_assert_int_eq(tu_stream(hs, b64.p, b64.len, 5, NULL, &r), 0);
		ck_assert_msg(tu_has(&r, d->id), "%s: missed base64 streamed 5 bytes/write", d->id);
		free(emb.p);
		free(b64.p);
		free(b64u.p);
	}
}
END_TEST

START_TEST(negatives_not_found)
{
	const struct brk_scan_det *d = &brk_scan_detectors[_i];
	size_t k;

	for (k = 0; d->neg[k]; k++) {
		expect(hs, d, d->neg[k], strlen(d->neg[k]), 0, "raw", d->neg[k]);
		expect(fb, d, d->neg[k], strlen(d->neg[k]), 0, "raw", d->neg[k]);
	}
}
END_TEST

/* Hyperscan and the oracle report exactly the same findings. */
static void same(const void *p, size_t n)
{
	struct brk_scan_result a, b;
	unsigned i, j;

	ck_assert_int_eq(brk_scan_buffer(hs, p, n, NULL, &a), 0);
	ck_assert_int_eq(brk_scan_buffer(fb, p, n, NULL, &b), 0);
	ck_assert_uint_eq(a.nfindings, b.nfindings);
	for (i = 0; i < a.nfindings; i++) {
		for (j = 0; j < b.nfindings; j++)
			if (strcmp(a.findings[i].detector, b.findings[j].detector) == 0 &&
			    strcmp(a.findings[i].redacted, b.findings[j].redacted) == 0)
				break;
		ck_assert_msg(j < b.nfindings, "oracle lacks %s", a.findings[i].detector);
	}
}

START_TEST(oracle_equivalence)
{
	const struct brk_scan_det *d = &brk_scan_detectors[_i];
	size_t k;

	for (k = 0; d->pos[k]; k++)
		same(d->pos[k], strlen(d->pos[k]));
	for (k = 0; d->neg[k]; k++)
		same(d->neg[k], strlen(d->neg[k]));
}
END_TEST

/* brk_scan_det_specific_at() as it was: every anchor compared at every
 * position (the oracle of the memmem() search). */
static int specific_at_ref(const uint8_t *buf, size_t len, size_t lo, size_t hi, int final,
			   int want)
{
	size_t i, k, at;

	for (i = 0; i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];
		brk_scan_check_fn *fn = d->check ? d->check : brk_scan_check_shape;

		if (d->flags & BRK_SCAN_DF_GENERIC)
			continue;
		for (k = 0; k < BRK_SCAN_MAX_ANCHORS && d->anchors[k]; k++) {
			size_t al = strlen(d->anchors[k]), s = 0, e = 0;

			for (at = lo; at < hi && at + al <= len; at++) {
				int hit = (d->flags & BRK_SCAN_DF_NOCASE)
					  ? strncasecmp((const char *)buf + at, d->anchors[k], al) == 0
					  : memcmp(buf + at, d->anchors[k], al) == 0;

				if (hit && fn(d, buf, len, at, (unsigned)k, final, &s, &e) == want)
					return (int)i;
			}
		}
	}
	return -1;
}

/* Every detector's samples, cut and padded, in windows [lo, hi) that
 * start, end and cut at every offset near the anchor: the same answer. */
START_TEST(specific_at_equivalence)
{
	const struct brk_scan_det *d = &brk_scan_detectors[_i];
	const char *const *sets[2] = { d->pos, d->neg };
	uint8_t buf[1024];
	size_t k, n, lo, hi, cut, j, m;
	int want, final;

	for (j = 0; j < 2; j++)
		for (k = 0; sets[j][k]; k++) {
			size_t sl = strlen(sets[j][k]);

			if (sl + 16 > sizeof(buf))
				continue;
			memset(buf, 'x', 8);
			memcpy(buf + 8, sets[j][k], sl);
			memcpy(buf + 8 + sl, " =TOKEN", 8);
			n = sl + 16;
			for (cut = n > 12 ? n - 12 : 0; cut <= n; cut += 4)
				for (lo = 0; lo < 10 && lo < cut; lo += lo < 7 ? 7 : 1)
					for (m = 0; m < 6; m++) {
						static const size_t his[5] = { 0, 1, 9, 10, 16 };

						hi = m < 5 ? lo + his[m] : cut;
						if (hi > cut)
							continue;
						for (want = BRK_SCAN_CHK_YES, final = 0; final < 2; final++)
							ck_assert_int_eq(
								brk_scan_det_specific_at(buf, cut, lo, hi, final, want),
								specific_at_ref(buf, cut, lo, hi, final, want));
					}
			ck_assert_int_eq(brk_scan_det_specific_at(buf, n, 0, n, 0, BRK_SCAN_CHK_MORE),
					 specific_at_ref(buf, n, 0, n, 0, BRK_SCAN_CHK_MORE));
		}
}
END_TEST

Suite *scan_det_suite(void)
{
	Suite *s = suite_create("scan_det");
	TCase *tc = tcase_create("registry");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, registry_shape);
	tcase_add_loop_test(tc, positives_found, 0, (int)brk_scan_ndetectors);
	tcase_add_loop_test(tc, negatives_not_found, 0, (int)brk_scan_ndetectors);
	tcase_add_loop_test(tc, oracle_equivalence, 0, (int)brk_scan_ndetectors);
	tcase_add_loop_test(tc, specific_at_equivalence, 0, (int)brk_scan_ndetectors);
	suite_add_tcase(s, tc);
	return s;
}
