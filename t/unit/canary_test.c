/* SPDX-License-Identifier: MIT */
/* canary_test.c - exact canary matching, including tokens split across writes. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/canary.h"
#include "t/unit/suites.h"

static const char *const toks[] = { "ghp_CanaryCanaryCanary0123", "AKIAZZZZCANARY000001" };

START_TEST(whole_buffer)
{
	struct brk_canary_set *s;
	const char *body = "user=x&token=AKIAZZZZCANARY000001&y=1";

	ck_assert_int_eq(brk_canary_set_new(toks, 2, &s), 0);
	ck_assert_int_eq(brk_canary_feed(s, NULL, (const uint8_t *)body, strlen(body)), 1);
	ck_assert_int_eq(brk_canary_feed(s, NULL, (const uint8_t *)"clean", 5), -1);
	brk_canary_set_free(s);
}
END_TEST

START_TEST(split_every_way)
{
	struct brk_canary_set *s;
	char msg[128];
	size_t len, step, off;

	ck_assert_int_eq(brk_canary_set_new(toks, 2, &s), 0);
	snprintf(msg, sizeof(msg), "POST / HTTP/1.1\r\n\r\n%s!", toks[0]);
	len = strlen(msg);
	for (step = 1; step <= len; step++) {
		struct brk_canary_stream st = { 0 };
		int hit = -1;

		for (off = 0; off < len && hit < 0; off += step) {
			size_t n = len - off < step ? len - off : step;
			hit = brk_canary_feed(s, &st, (const uint8_t *)msg + off, n);
		}
		ck_assert_msg(hit == 0, "missed with step %zu", step);
	}
	brk_canary_set_free(s);
}
END_TEST

START_TEST(no_false_join)
{
	struct brk_canary_set *s;
	struct brk_canary_stream st = { 0 };

	ck_assert_int_eq(brk_canary_set_new(toks, 2, &s), 0);
	ck_assert_int_eq(brk_canary_feed(s, &st, (const uint8_t *)"ghp_Canary", 10), -1);
	ck_assert_int_eq(brk_canary_feed(s, &st, (const uint8_t *)"XCanary", 7), -1);
	ck_assert_int_eq(brk_canary_feed(s, &st, (const uint8_t *)"Canary0123", 10), -1);
	brk_canary_set_free(s);
}
END_TEST

START_TEST(empty_set_and_bad_token)
{
	struct brk_canary_set *s;
	const char *bad[] = { "" };

	ck_assert_int_eq(brk_canary_set_new(NULL, 0, &s), 0);
	ck_assert_int_eq(brk_canary_feed(s, NULL, (const uint8_t *)"x", 1), -1);
	brk_canary_set_free(s);
	ck_assert_int_eq(brk_canary_set_new(bad, 1, &s), -EINVAL);
}
END_TEST

Suite *canary_suite(void)
{
	Suite *s = suite_create("canary");
	TCase *tc = tcase_create("match");

	tcase_add_test(tc, whole_buffer);
	tcase_add_test(tc, split_every_way);
	tcase_add_test(tc, no_false_join);
	tcase_add_test(tc, empty_set_and_bad_token);
	suite_add_tcase(s, tc);
	return s;
}
