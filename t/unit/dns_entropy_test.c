/* SPDX-License-Identifier: MIT */
/* dns_entropy_test.c - label features, normalised entropy, decoding. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "broker/dns/dns_entropy.h"

static struct brk_dns_label_stats an(const char *s)
{
	struct brk_dns_label_stats st;

	ck_assert_int_eq(brk_dns_label_analyze((const uint8_t *)s, strlen(s),
					       &st), 0);
	return st;
}

START_TEST(charsets)
{
	ck_assert_int_eq(an("1234567890").cs, BRK_DNS_CS_DIGITS);
	ck_assert_int_eq(an("deadbeef01").cs, BRK_DNS_CS_HEX);
	ck_assert_int_eq(an("DEADBEEF01").cs, BRK_DNS_CS_HEX);
	ck_assert_int_eq(an("mzxw6ytboi").cs, BRK_DNS_CS_BASE32);
	ck_assert_int_eq(an("MZXW6YTBOI======").cs, BRK_DNS_CS_BASE32);
	ck_assert_int_eq(an("my-service-01").cs, BRK_DNS_CS_ALNUM);
	ck_assert_int_eq(an("aGVsbG8_d29ybGQ").cs, BRK_DNS_CS_BASE64URL);
	ck_assert_int_eq(an("aGVsbG8+/w==").cs, BRK_DNS_CS_BASE64);
	ck_assert_int_eq(an("a b").cs, BRK_DNS_CS_OTHER);
	ck_assert_int_eq(an("").cs, BRK_DNS_CS_EMPTY);
	ck_assert_str_eq(brk_dns_charset_name(BRK_DNS_CS_BASE32), "base32");
	ck_assert(fabs(an("a1b2").digit_ratio - 0.5) < 1e-9);
}
END_TEST

START_TEST(expected_entropy)
{
	/* Never above what is reachable, close to it for long strings. */
	size_t n;

	ck_assert(brk_dns_expected_entropy(1, 16) == 0.0);
	for (n = 2; n <= 63; n++) {
		double e16 = brk_dns_expected_entropy(n, 16);
		double cap = fmin(4.0, log2((double)n));

		ck_assert(e16 > 0.0 && e16 <= cap + 1e-9);
	}
	ck_assert(brk_dns_expected_entropy(63, 16) > 3.7);
	/* Two symbols, two characters: H is 1 half the time, else 0. */
	ck_assert(fabs(brk_dns_expected_entropy(2, 2) - 0.5) < 1e-9);
}
END_TEST

/*
 * The point of the normalisation: a 40-character hex SHA can at most reach
 * 4 bits/char, so entropy / log2(len) stays below 0.8 and would never flag
 * it, and letters-only labels can never reach log2(36). Against the
 * expected entropy of a random label of that alphabet both score ~1.
 */
START_TEST(normalised_score_flags_hex_and_letters)
{
	struct brk_dns_label_stats hex = an("9d7764debc24124fa0a5d8db2e3c0161dfd119e5");
	struct brk_dns_label_stats b32 = an("jbswy3dpeblw64tmmqqho33snrscc5dpo5ugk4tf");
	struct brk_dns_label_stats letters = an("qwhzkrvnbxtplmfgjcdswyaeoiuzqkxvbnmtrplk");
	struct brk_dns_label_stats word = an("aaaaaaaabbbbbbbbccccccccdddddddd");

	ck_assert(hex.entropy / log2((double)hex.len) < 0.8);
	ck_assert_msg(hex.score > 0.92, "hex score %f", hex.score);
	ck_assert_msg(b32.score > 0.9, "b32 score %f", b32.score);
	ck_assert_msg(letters.score > 0.9, "letters score %f", letters.score);
	ck_assert(word.score < 0.6);
	ck_assert(hex.max_reachable <= 4.0 + 1e-9);
}
END_TEST

START_TEST(label_judge_and_assess)
{
	struct brk_dns_label_limits lim = { .min_len = 12, .min_score = 0.92,
					    .max_vowel_ratio = 0.34 };
	struct brk_dns_label_verdict v;
	struct brk_dns_label_stats st = an("9d7764debc24124fa0a5d8db2e3c0161");

	ck_assert_int_eq(brk_dns_label_judge(&st, &lim, &v), 1);
	ck_assert_str_eq(v.figure, "score");
	st = an("abc123");
	ck_assert_int_eq(brk_dns_label_judge(&st, &lim, &v), 0);
	ck_assert_str_eq(v.figure, "length");
	st = an("authenticationservice");
	ck_assert_int_eq(brk_dns_label_judge(&st, &lim, &v), 0);
	/* Segments: words and a short id, not one random string. */
	ck_assert_int_eq(brk_dns_label_assess((const uint8_t *)"k8s-default-myingres-1a2b3c4d5e",
					      31, &lim, &v), 0);
	ck_assert_int_eq(v.high, 0);
	ck_assert_int_gt(brk_dns_label_assess((const uint8_t *)"x-9d7764debc24124fa0a5d8db2e3c0161",
					      34, &lim, &v), 0);
	ck_assert_uint_eq(v.he_len, 32);
	/* Mixed case is judged whole. */
	ck_assert_int_gt(brk_dns_label_assess((const uint8_t *)"aGk3-Lm9QzT_xW2rBv8YpN4sHd6Fj0Ue",
					      32, &lim, &v), 0);
	ck_assert_uint_eq(v.he_len, 32);
}
END_TEST

struct seen {
	int found;
	enum brk_dns_encoding enc;
	unsigned first, n;
	char text[256];
};

static int find_text(const struct brk_dns_candidate *c, void *ctx)
{
	struct seen *s = ctx;

	if (c->printable == 1.0 && c->len < sizeof(s->text) &&
	    memmem(c->data, c->len, "secret", 6)) {
		s->found = 1;
		s->enc = c->enc;
		s->first = c->first_label;
		s->n = c->nlabels;
		memcpy(s->text, c->data, c->len);
		s->text[c->len] = '\0';
		return 7;
	}
	return 0;
}

START_TEST(decode_single_and_split)
{
	struct seen s;

	/* base32("my secret token") split over two labels */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(brk_dns_decode_candidates("NV4SA43FMNZG.K5BAORXWWZLO.evil.example",
						   find_text, &s), 7);
	ck_assert_int_eq(s.enc, BRK_DNS_ENC_BASE32);
	ck_assert_uint_eq(s.first, 0);
	ck_assert_uint_ge(s.n, 2);
	ck_assert_str_eq(s.text, "my secret token");
	/* lower case base32 too */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(brk_dns_decode_candidates("nv4sa43fmnzg.k5baorxwwzlo.evil.example",
						   find_text, &s), 7);
	/* hex */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(brk_dns_decode_candidates("6d7920736563726574.x.example",
						   find_text, &s), 7);
	ck_assert_int_eq(s.enc, BRK_DNS_ENC_HEX);
	/* base64 with + / = and base64url */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(brk_dns_decode_candidates("bXkgc2VjcmV0IHRva2Vu.x.example",
						   find_text, &s), 7);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(brk_dns_decode_candidates("c2VjcmV0Pz8-Pz8.x.example",
						   find_text, &s), 7);
	ck_assert_int_eq(s.enc, BRK_DNS_ENC_BASE64URL);
	/* nothing there */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(brk_dns_decode_candidates("www.example.com", find_text, &s), 0);
	ck_assert_int_eq(brk_dns_decode_candidates("a..b", find_text, &s), -EINVAL);
}
END_TEST

START_TEST(decode_stream_alignment)
{
	struct seen s;
	/* base32("the secret") with 3 junk characters in front */
	static const char st[] = "abcORUGKIDTMVRXEZLU";

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(brk_dns_decode_stream((const uint8_t *)st, strlen(st), 8,
					       find_text, &s), 7);
	ck_assert_str_eq(s.text, "the secret");
}
END_TEST

Suite *dns_entropy_suite(void)
{
	Suite *s = suite_create("dns_entropy");
	TCase *tc = tcase_create("entropy");

	tcase_add_test(tc, charsets);
	tcase_add_test(tc, expected_entropy);
	tcase_add_test(tc, normalised_score_flags_hex_and_letters);
	tcase_add_test(tc, label_judge_and_assess);
	tcase_add_test(tc, decode_single_and_split);
	tcase_add_test(tc, decode_stream_alignment);
	suite_add_tcase(s, tc);
	return s;
}
