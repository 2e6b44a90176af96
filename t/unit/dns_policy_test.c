/* SPDX-License-Identifier: MIT */
/* dns_policy_test.c - config keys and brk_dns_judge() rules. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/dns/dns_budget.h"
#include "broker/dns/dns_msg.h"
#include "broker/dns/dns_policy.h"

static struct brk_dns_state *mk(const struct brk_dns_config *cfg)
{
	struct brk_dns_state *st = NULL;

	ck_assert_int_eq(brk_dns_state_new(&st, cfg), 0);
	return st;
}

static int judge(struct brk_dns_state *st, const char *name, uint16_t t,
		 struct brk_dns_verdict *v)
{
	int rc = brk_dns_judge(st, name, t, v);

	ck_assert_int_ge(rc, 0);
	ck_assert_int_eq(rc, (int)v->action);
	return rc;
}

START_TEST(config_keys)
{
	struct brk_dns_config c;
	char err[128];

	brk_dns_config_defaults(&c);
	ck_assert_uint_eq(c.label_min_len, 12);
	ck_assert_uint_eq(c.max_unique_subdomains, 64);
	ck_assert_uint_ge(c.n_deny_qtypes, 3);
	ck_assert_uint_eq(c.deny_qtypes[0], BRK_DNS_T_NULL);
	ck_assert_int_eq(brk_dns_config_set(&c, "max_he_bytes", "300", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.max_he_bytes, 300);
	ck_assert_int_eq(brk_dns_config_set(&c, "dns.entropy_threshold", "0.85", err, sizeof(err)), 0);
	ck_assert(c.entropy_threshold > 0.849 && c.entropy_threshold < 0.851);
	ck_assert_int_eq(brk_dns_config_set(&c, "block_domain_on_deny", "no", err, sizeof(err)), 0);
	ck_assert_int_eq(c.block_domain_on_deny, 0);
	ck_assert_int_eq(brk_dns_config_set(&c, "deny_qtypes", "null, txt,65399", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.n_deny_qtypes, 3);
	ck_assert_uint_eq(c.deny_qtypes[1], BRK_DNS_T_TXT);
	ck_assert_uint_eq(c.deny_qtypes[2], 65399);
	ck_assert_int_eq(brk_dns_config_set(&c, "exempt", "Corp.Example,internal.test.", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.n_exempt, 2);
	ck_assert_str_eq(c.exempt[0], "corp.example");
	ck_assert_str_eq(c.exempt[1], "internal.test");

	ck_assert_int_eq(brk_dns_config_set(&c, "nope", "1", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown key"));
	ck_assert_int_eq(brk_dns_config_set(&c, "max_he_bytes", "12x", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(brk_dns_config_set(&c, "max_he_bytes", "1.5", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(brk_dns_config_set(&c, "label_min_len", "99", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
	ck_assert_int_eq(brk_dns_config_set(&c, "block_domain_on_deny", "maybe", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(brk_dns_config_set(&c, "deny_qtypes", "BOGUS", err, sizeof(err)), -EINVAL);
	ck_assert_uint_eq(c.n_deny_qtypes, 3);	/* unchanged on error */
	ck_assert_int_eq(brk_dns_config_set(&c, "exempt", "bad domain", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(brk_dns_config_set(&c, "entropy_threshold", "nan", err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(benign_allowed)
{
	static const char *const names[] = {
		"registry.npmjs.org", "d1a2b3c4d5e6f7.cloudfront.net",
		"my-lb-1234567890.us-east-1.elb.amazonaws.com",
		"0A1B2C3D4E5F60718293A4B5C6D7E8F9.gr7.us-east-1.eks.amazonaws.com",
		"o123456.ingest.sentry.io", "_dmarc.example.com",
		"1.0.0.127.in-addr.arpa", "localhost",
	};
	struct brk_dns_state *st = mk(NULL);
	struct brk_dns_verdict v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_msg(judge(st, names[i], BRK_DNS_T_A, &v) == BRK_DNS_ALLOW,
			      "%s: %s", names[i], v.reason);
		ck_assert_str_eq(v.rule, "ok");
	}
	brk_dns_state_free(st);
}
END_TEST

/* base32 of "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG" in one query. */
START_TEST(encoded_text_denied_and_redacted)
{
	static const char name[] =
		"IFFUSQKJJ5JUMT2EJZHDORKYIFGVATCFHJ.3UUYLMOJMFK5DOIZCU2SJPJM3U2RCFJZDQ.evil.example";
	struct brk_dns_state *st = mk(NULL);
	struct brk_dns_verdict v;

	ck_assert_int_eq(judge(st, name, BRK_DNS_T_A, &v), BRK_DNS_DENY);
	ck_assert_msg(strcmp(v.rule, "encoded-text") == 0 ||
		      strcmp(v.rule, "query-entropy-bytes") == 0, "%s", v.reason);
	ck_assert_str_eq(v.regdom, "evil.example");
	ck_assert_ptr_null(strstr(v.reason, "IFFUSQKJ"));
	ck_assert_ptr_null(strstr(v.reason, "AKIA"));
	ck_assert_ptr_nonnull(strstr(v.reason, "(len=69).evil.example"));
	ck_assert_ptr_nonnull(strstr(v.reason, "rule="));
	ck_assert_ptr_nonnull(strstr(v.reason, "remaining="));
	/* The domain stays blocked, even for a harmless name. */
	ck_assert_int_eq(judge(st, "www.evil.example", BRK_DNS_T_A, &v), BRK_DNS_DENY);
	ck_assert_str_eq(v.rule, "domain-blocked");
	brk_dns_state_free(st);

	/* Short enough to pass entropy rules alone: hex of a 12-byte text. */
	st = mk(NULL);
	ck_assert_int_eq(judge(st, "68756e746572322d70617373.x.evil.example",
			       BRK_DNS_T_A, &v), BRK_DNS_DENY);
	ck_assert_str_eq(v.rule, "encoded-text");
	brk_dns_state_free(st);
}
END_TEST

START_TEST(random_label_entropy)
{
	struct brk_dns_state *st = mk(NULL);
	struct brk_dns_verdict v;

	/* 56 random hex chars, not text: only entropy can catch it. */
	ck_assert_int_eq(judge(st, "9d7764debc24124fa0a5d8db2e3c0161dfd119e5a1b2c3d4e5f60718.t.example",
			       BRK_DNS_T_A, &v), BRK_DNS_DENY);
	ck_assert_str_eq(v.rule, "label-entropy");
	ck_assert_str_eq(v.figure, "score");
	ck_assert(v.value >= v.limit);
	brk_dns_state_free(st);
}
END_TEST

START_TEST(qtype_binary_malformed)
{
	struct brk_dns_state *st = mk(NULL);
	struct brk_dns_verdict v;

	ck_assert_int_eq(judge(st, "a.tunnel.example", BRK_DNS_T_NULL, &v), BRK_DNS_DENY);
	ck_assert_str_eq(v.rule, "qtype");
	ck_assert_int_eq(judge(st, "\\200\\201abc.bin.example", BRK_DNS_T_A, &v), BRK_DNS_DENY);
	ck_assert_str_eq(v.rule, "binary-label");
	ck_assert_int_eq(judge(st, "a..b", BRK_DNS_T_A, &v), BRK_DNS_DENY);
	ck_assert_str_eq(v.rule, "malformed-name");
	ck_assert_int_eq(brk_dns_judge(NULL, "x", 1, &v), -EINVAL);
	ck_assert_int_eq(v.action, BRK_DNS_DENY);
	brk_dns_state_free(st);
}
END_TEST

/* 200 queries, one short random label each (random bytes, so nothing
 * decodes to text): the session budget must trip well before the end. */
START_TEST(slow_exfil_budget)
{
	struct brk_dns_state *st = mk(NULL);
	struct brk_dns_verdict v;
	unsigned seed = 7, i, j, first = 0;
	char name[64], lab[5];
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

	for (i = 0; i < 200; i++) {
		for (j = 0; j < 4; j++) {
			seed = seed * 1103515245u + 12345u;
			lab[j] = b32[(seed >> 16) & 31];
		}
		lab[4] = '\0';
		snprintf(name, sizeof(name), "%s.slow.example", lab);
		if (judge(st, name, BRK_DNS_T_A, &v) == BRK_DNS_DENY && !first) {
			first = i + 1;
			ck_assert_msg(strncmp(v.rule, "budget-", 7) == 0, "%s", v.reason);
		}
	}
	ck_assert_uint_gt(first, 0);
	ck_assert_uint_le(first, 70);
	brk_dns_state_free(st);
}
END_TEST

/* One character per query with a sequence label: unique subdomains trip. */
START_TEST(one_byte_per_query)
{
	struct brk_dns_state *st = mk(NULL);
	struct brk_dns_verdict v;
	unsigned i, first = 0;
	char name[64];

	for (i = 0; i < 200 && !first; i++) {
		snprintf(name, sizeof(name), "%c.%u.one.example", 'a' + i % 26, i);
		if (judge(st, name, BRK_DNS_T_A, &v) == BRK_DNS_DENY)
			first = i + 1;
	}
	ck_assert_uint_gt(first, 0);
	ck_assert_uint_le(first, 65);
	brk_dns_state_free(st);
}
END_TEST

START_TEST(tunnel_mix)
{
	struct brk_dns_state *st = mk(NULL);
	struct brk_dns_verdict v;
	unsigned i, first = 0;

	for (i = 0; i < 40 && !first; i++) {
		/* Same name again and again: no budget grows, only the mix. */
		if (judge(st, "poll.c2.example", i % 2 ? BRK_DNS_T_TXT : BRK_DNS_T_CNAME,
			  &v) == BRK_DNS_DENY)
			first = i + 1;
	}
	ck_assert_uint_eq(first, 16);
	ck_assert_str_eq(v.rule, "tunnel-qtype-mix");
	brk_dns_state_free(st);
}
END_TEST

static int fake_scan(const uint8_t *p, size_t len, const char **det, void *ctx)
{
	int *calls = ctx;

	(*calls)++;
	if (len >= 4 && memmem(p, len, "AKIA", 4)) {
		*det = "aws-access-key-id";
		return 1;
	}
	return 0;
}

START_TEST(scanner_hook)
{
	struct brk_dns_config c;
	struct brk_dns_state *st;
	struct brk_dns_verdict v;
	int calls = 0;

	brk_dns_config_defaults(&c);
	c.scan = fake_scan;
	c.scan_ctx = &calls;
	st = mk(&c);
	/* base32("AKIAIOSFODNN7EXAMPLE") */
	ck_assert_int_eq(judge(st, "IFFUSQKJJ5JUMT2EJZHDORKYIFGVATCF.x.example",
			       BRK_DNS_T_A, &v), BRK_DNS_DENY);
	ck_assert_str_eq(v.rule, "detector");
	ck_assert_str_eq(v.detector, "aws-access-key-id");
	ck_assert_ptr_nonnull(strstr(v.reason, "detector=aws-access-key-id"));
	ck_assert_int_gt(calls, 0);
	brk_dns_state_free(st);
}
END_TEST

START_TEST(exempt_domain)
{
	struct brk_dns_config c;
	struct brk_dns_state *st;
	struct brk_dns_verdict v;

	brk_dns_config_defaults(&c);
	ck_assert_int_eq(brk_dns_config_set(&c, "exempt", "corp.example", NULL, 0), 0);
	st = mk(&c);
	ck_assert_int_eq(judge(st, "9d7764debc24124fa0a5d8db2e3c0161dfd119e5a1b2c3d4e5f60718.build.corp.example",
			       BRK_DNS_T_A, &v), BRK_DNS_ALLOW);
	ck_assert_str_eq(v.rule, "exempt");
	ck_assert_int_eq(judge(st, "x.corp.example", BRK_DNS_T_NULL, &v), BRK_DNS_DENY);
	brk_dns_state_free(st);
}
END_TEST

static void key_cb(const char *key, const char *deflt, const char *desc, void *ctx)
{
	struct brk_dns_config *c = ctx;

	ck_assert_ptr_nonnull(desc);
	ck_assert_int_eq(brk_dns_config_set(c, key, deflt, NULL, 0), 0);
}

START_TEST(keys_listing_roundtrips)
{
	struct brk_dns_config a, b;

	brk_dns_config_defaults(&a);
	memset(&b, 0, sizeof(b));
	brk_dns_config_keys(key_cb, &b);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
}
END_TEST

Suite *dns_policy_suite(void)
{
	Suite *s = suite_create("dns_policy");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, config_keys);
	tcase_add_test(tc, benign_allowed);
	tcase_add_test(tc, encoded_text_denied_and_redacted);
	tcase_add_test(tc, random_label_entropy);
	tcase_add_test(tc, qtype_binary_malformed);
	tcase_add_test(tc, slow_exfil_budget);
	tcase_add_test(tc, one_byte_per_query);
	tcase_add_test(tc, tunnel_mix);
	tcase_add_test(tc, scanner_hook);
	tcase_add_test(tc, exempt_domain);
	tcase_add_test(tc, keys_listing_roundtrips);
	suite_add_tcase(s, tc);
	return s;
}
