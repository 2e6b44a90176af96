/* SPDX-License-Identifier: MIT */
/* addr_test.c - canonicalisation and CIDR matching. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "broker/addr.h"
#include "t/unit/suites.h"

static void canon_str(const char *in, char *out, size_t cap)
{
	struct brk_addr a, c;

	ck_assert_msg(brk_addr_parse(in, &a) == 0, "parse %s", in);
	brk_addr_canon(&a, &c);
	brk_addr_format(&c, out, cap);
}

START_TEST(canonical_forms)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "::ffff:169.254.169.254", "169.254.169.254" },    /* IPv4-mapped */
		{ "::169.254.169.254", "169.254.169.254" },         /* IPv4-compatible */
		{ "64:ff9b::a9fe:a9fe", "169.254.169.254" },        /* NAT64 */
		{ "2002:a9fe:a9fe::1", "169.254.169.254" },         /* 6to4 */
		{ "0.0.0.0", "127.0.0.1" },
		{ "::", "::1" },
		{ "::ffff:0.0.0.0", "127.0.0.1" },
		{ "::1", "::1" },
		{ "10.1.2.3", "10.1.2.3" },
		{ "2001:db8::1", "2001:db8::1" },
		{ "[::ffff:10.0.0.1]", "10.0.0.1" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		canon_str(cases[i].in, out, sizeof(out));
		ck_assert_msg(!strcmp(out, cases[i].want), "%s -> %s, want %s",
			      cases[i].in, out, cases[i].want);
	}
}
END_TEST

START_TEST(cidr_parse_and_match)
{
	struct brk_cidr c;
	struct brk_addr a;

	ck_assert_int_eq(brk_cidr_parse("10.0.0.0/8", &c), 0);
	ck_assert_int_eq(brk_addr_parse("10.200.3.4", &a), 0);
	ck_assert(brk_cidr_contains(&c, &a));
	ck_assert_int_eq(brk_addr_parse("11.0.0.1", &a), 0);
	ck_assert(!brk_cidr_contains(&c, &a));
	ck_assert_int_eq(brk_cidr_parse("10.0.0.1/8", &c), -EINVAL);  /* host bits */
	ck_assert_int_eq(brk_cidr_parse("10.0.0.0/33", &c), -EINVAL);
	ck_assert_int_eq(brk_cidr_parse("10.0.0.0/", &c), -EINVAL);
	ck_assert_int_eq(brk_cidr_parse("10.0.0.0/-1", &c), -EINVAL);
	ck_assert_int_eq(brk_cidr_parse("nonsense", &c), -EINVAL);
	ck_assert_int_eq(brk_cidr_parse("fe80::/10", &c), 0);
	ck_assert_int_eq(brk_addr_parse("febf::1", &a), 0);
	ck_assert(brk_cidr_contains(&c, &a));
	ck_assert_int_eq(brk_addr_parse("fec0::1", &a), 0);
	ck_assert(!brk_cidr_contains(&c, &a));
	/* a v4 rule never matches a v6 address by bytes */
	ck_assert_int_eq(brk_cidr_parse("0.0.0.0/0", &c), 0);
	ck_assert_int_eq(brk_addr_parse("::1", &a), 0);
	ck_assert(!brk_cidr_contains(&c, &a));
}
END_TEST

START_TEST(mapped_cidr_rule_means_v4)
{
	struct brk_cidr c;
	char out[64];

	ck_assert_int_eq(brk_cidr_parse("::ffff:10.0.0.0/104", &c), 0);
	brk_cidr_format(&c, out, sizeof(out));
	ck_assert_str_eq(out, "10.0.0.0/8");
	ck_assert_int_eq(brk_cidr_parse("64:ff9b::/96", &c), 0);
	brk_cidr_format(&c, out, sizeof(out));
	ck_assert_str_eq(out, "0.0.0.0/0");
}
END_TEST

START_TEST(loopback_aliases)
{
	struct brk_addr a, al[2];
	char out[64];

	ck_assert_int_eq(brk_addr_parse("127.0.0.1", &a), 0);
	ck_assert_int_eq(brk_addr_aliases(&a, al), 2);
	brk_addr_format(&al[1], out, sizeof(out));
	ck_assert_str_eq(out, "::1");
	ck_assert_int_eq(brk_addr_parse("::", &a), 0);
	ck_assert_int_eq(brk_addr_aliases(&a, al), 2);
	brk_addr_format(&al[1], out, sizeof(out));
	ck_assert_str_eq(out, "127.0.0.1");
	ck_assert_int_eq(brk_addr_parse("8.8.8.8", &a), 0);
	ck_assert_int_eq(brk_addr_aliases(&a, al), 1);
}
END_TEST

Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("canon");

	tcase_add_test(tc, canonical_forms);
	tcase_add_test(tc, cidr_parse_and_match);
	tcase_add_test(tc, mapped_cidr_rule_means_v4);
	tcase_add_test(tc, loopback_aliases);
	suite_add_tcase(s, tc);
	return s;
}
