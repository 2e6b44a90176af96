/* SPDX-License-Identifier: MIT */
/* policy_test.c - policy parsing and host/address decisions. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "broker/policy.h"
#include "t/unit/suites.h"

static struct brk_policy *mk(const char *const *lines)
{
	struct brk_policy *p = brk_policy_new();
	char err[256];

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(brk_policy_add_builtin(p), 0);
	for (; *lines; lines++)
		ck_assert_msg(brk_policy_add_line(p, *lines, "test", err, sizeof(err)) == 0,
			      "%s: %s", *lines, err);
	return p;
}

static int addr_verdict(struct brk_policy *p, const char *ip, bool name_ok)
{
	struct brk_addr a;
	struct brk_decision d;

	ck_assert_int_eq(brk_addr_parse(ip, &a), 0);
	brk_policy_check_addr(p, &a, name_ok, &d);
	return d.verdict;
}

static int host_verdict(struct brk_policy *p, const char *h)
{
	struct brk_decision d;

	brk_policy_check_host(p, h, &d);
	return d.verdict;
}

START_TEST(hosts)
{
	const char *lines[] = { "allow registry.npmjs.org *.github.com", "deny evil.github.com",
				"# comment", "", NULL };
	struct brk_policy *p = mk(lines);

	ck_assert_int_eq(host_verdict(p, "registry.npmjs.org"), BRK_ALLOW);
	ck_assert_int_eq(host_verdict(p, "REGISTRY.npmjs.org."), BRK_ALLOW);
	ck_assert_int_eq(host_verdict(p, "x.registry.npmjs.org"), BRK_DENY);
	ck_assert_int_eq(host_verdict(p, "api.github.com"), BRK_ALLOW);
	ck_assert_int_eq(host_verdict(p, "a.b.github.com"), BRK_ALLOW);
	ck_assert_int_eq(host_verdict(p, "github.com"), BRK_DENY);      /* apex not matched */
	ck_assert_int_eq(host_verdict(p, "evilgithub.com"), BRK_DENY);
	ck_assert_int_eq(host_verdict(p, "evil.github.com"), BRK_DENY); /* deny wins */
	ck_assert_int_eq(host_verdict(p, "localhost"), BRK_ALLOW);
	ck_assert_int_eq(host_verdict(p, "bad name"), BRK_DENY);
	ck_assert_int_eq(host_verdict(p, "a..b"), BRK_DENY);
	brk_policy_free(p);
}
END_TEST

START_TEST(addresses_deny_wins_and_canonicalised)
{
	const char *lines[] = { "allow 10.0.0.0/8 127.0.0.1", "deny 10.9.0.0/16", NULL };
	struct brk_policy *p = mk(lines);

	ck_assert_int_eq(addr_verdict(p, "10.1.2.3", false), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "10.9.2.3", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "::ffff:10.9.2.3", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "::10.9.2.3", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "64:ff9b::a09:203", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "::ffff:10.1.2.3", false), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "11.0.0.1", false), BRK_DENY);
	/* 0.0.0.0 and :: reach loopback and are judged as loopback */
	ck_assert_int_eq(addr_verdict(p, "0.0.0.0", false), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "::", false), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "::1", false), BRK_ALLOW);
	brk_policy_free(p);
}
END_TEST

START_TEST(loopback_deny_covers_all_spellings)
{
	const char *lines[] = { "allow 0.0.0.0/0 ::/0", "deny 127.0.0.0/8", NULL };
	struct brk_policy *p = mk(lines);

	ck_assert_int_eq(addr_verdict(p, "127.0.0.1", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "0.0.0.0", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "::", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "::ffff:127.0.0.1", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "::1", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "8.8.8.8", false), BRK_ALLOW);
	brk_policy_free(p);
}
END_TEST

START_TEST(builtin_metadata)
{
	const char *none[] = { "allow 0.0.0.0/0 ::/0", NULL };
	const char *explicit[] = { "allow 0.0.0.0/0", "allow 169.254.169.254", NULL };
	struct brk_policy *p = mk(none);

	/* allow-all does not open metadata: builtin deny needs an explicit range */
	ck_assert_int_eq(addr_verdict(p, "169.254.169.254", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "::ffff:169.254.169.254", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "64:ff9b::a9fe:a9fe", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "fd00:ec2::254", false), BRK_DENY);
	brk_policy_free(p);
	p = mk(explicit);
	ck_assert_int_eq(addr_verdict(p, "169.254.169.254", false), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "169.254.169.253", false), BRK_DENY);
	brk_policy_free(p);
}
END_TEST

START_TEST(resolved_names_and_rebinding)
{
	const char *lines[] = { "allow *.example.test", NULL };
	struct brk_policy *p = mk(lines);

	ck_assert_int_eq(addr_verdict(p, "192.0.2.10", true), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "192.0.2.10", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "127.0.0.1", true), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "169.254.169.254", true), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "::ffff:127.0.0.1", true), BRK_DENY);
	brk_policy_free(p);
}
END_TEST

/* "allow localhost" allows what localhost means, and nothing else on loopback */
START_TEST(allow_localhost_means_its_addresses)
{
	const char *lines[] = { "allow localhost", NULL };
	const char *bare[] = { "allow *.example.test", NULL };
	struct brk_policy *p = mk(lines), *q = mk(bare);
	struct brk_decision d;
	struct brk_addr a;

	ck_assert_int_eq(addr_verdict(p, "127.0.0.1", true), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "127.0.0.1", false), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "::1", true), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "::ffff:127.0.0.1", true), BRK_ALLOW);
	ck_assert_int_eq(addr_verdict(p, "127.0.0.2", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "127.0.0.2", true), BRK_DENY);   /* rebinding */
	ck_assert_int_eq(addr_verdict(p, "127.1.2.3", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "192.0.2.1", false), BRK_DENY);
	ck_assert_int_eq(brk_addr_parse("127.0.0.1", &a), 0);
	brk_policy_check_addr(p, &a, true, &d);
	ck_assert_msg(strstr(d.rule, "localhost"), "rule says why: %s", d.rule);
	/* without it, a name resolving to loopback is still rebinding */
	ck_assert_int_eq(addr_verdict(q, "127.0.0.1", true), BRK_DENY);
	ck_assert_int_eq(addr_verdict(q, "::1", true), BRK_DENY);
	brk_policy_free(p);
	brk_policy_free(q);
	/* deny still wins over what localhost means */
	{
		const char *both[] = { "allow localhost", "deny 127.0.0.1", NULL };
		p = mk(both);
		ck_assert_int_eq(addr_verdict(p, "127.0.0.1", true), BRK_DENY);
		brk_policy_free(p);
	}
	/* a wildcard or another loopback name is not localhost */
	{
		const char *wild[] = { "allow *.localhost", "allow ip6-localhost", NULL };
		p = mk(wild);
		ck_assert_int_eq(addr_verdict(p, "127.0.0.1", true), BRK_DENY);
		ck_assert_int_eq(addr_verdict(p, "::1", true), BRK_DENY);
		brk_policy_free(p);
	}
}
END_TEST

START_TEST(bad_lines_name_the_problem)
{
	static const struct { const char *line, *needle; } cases[] = {
		{ "allow", "usage" },
		{ "frobnicate x", "unknown keyword" },
		{ "allow 10.0.0.1/8", "host bits" },
		{ "allow 300.1.1.1", "not a valid address" },
		{ "deny bad_name!", "neither a host name" },
		{ "mode sometimes", "enforce" },
		{ "canary short", "at least 8" },
		{ "home github-pat not/a/host", "not a host name" },
	};
	struct brk_policy *p = brk_policy_new();
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(brk_policy_add_line(p, cases[i].line, "t", err, sizeof(err)),
				 -EINVAL);
		ck_assert_msg(strstr(err, cases[i].needle), "'%s' -> '%s'", cases[i].line, err);
	}
	brk_policy_free(p);
}
END_TEST

START_TEST(file_errors_have_line_numbers)
{
	char path[] = "/tmp/dlp-policy-XXXXXX", err[512];
	struct brk_policy *p = brk_policy_new();
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("allow a.example\n# fine\nallow 10.0.0.0/8\nbogus line\n", f);
	fclose(f);
	ck_assert_int_eq(brk_policy_load_file(p, path, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, ":4:") && strstr(err, "unknown keyword"), "%s", err);
	unlink(path);
	ck_assert_int_lt(brk_policy_load_file(p, "/nonexistent/policy", err, sizeof(err)), 0);
	ck_assert(strstr(err, "/nonexistent/policy") != NULL);
	brk_policy_free(p);
}
END_TEST

START_TEST(passthrough_lines)
{
	const char *lines[] = { "canary ghp_abcdefghijklmnop", "home github-pat ghe.corp.example",
				"dns max_label_entropy 3.5", "mode monitor", NULL };
	struct brk_policy *p = mk(lines);
	const char *const *v;

	ck_assert_uint_eq(brk_policy_canaries(p, &v), 1);
	ck_assert_str_eq(v[0], "ghp_abcdefghijklmnop");
	ck_assert_uint_eq(brk_policy_homes(p, &v), 1);
	ck_assert_str_eq(v[0], "github-pat=ghe.corp.example");
	ck_assert_uint_eq(brk_policy_dns(p, &v), 1);
	ck_assert_str_eq(v[0], "max_label_entropy=3.5");
	ck_assert(brk_policy_monitor(p));
	brk_policy_free(p);
}
END_TEST

START_TEST(user_hosts_are_exact_and_not_shipped)
{
	char dir[] = "/tmp/dlp-policy-XXXXXX", f1[64], f2[64], err[256];
	struct brk_policy *p = brk_policy_new();
	const char *const *v;
	FILE *f;
	size_t n, i;
	int seen = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(f1, sizeof(f1), "%s/shipped.policy", dir);
	snprintf(f2, sizeof(f2), "%s/mine.policy", dir);
	f = fopen(f1, "w");
	/* the marker may come after the rules: it covers the whole file */
	fputs("allow github.com gitlab.com\nallow *.shipped.test\nshipped\n", f);
	fclose(f);
	f = fopen(f2, "w");
	fputs("allow git.corp.test *.corp.test 10.0.0.0/8\nallow Mine.Test.\n", f);
	fclose(f);
	ck_assert_int_eq(brk_policy_load_file(p, f1, err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_load_file(p, f2, err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_rule(p, "allow", "cli.test", "--allow", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_rule(p, "allow", "*.wild.test", "--allow", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_rule(p, "allow", "gone.test", "--allow", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_rule(p, "deny", "gone.test", "--deny", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_rule(p, "allow", "git.corp.test", "--allow", err, sizeof(err)), 0);
	n = brk_policy_user_hosts(p, &v);
	for (i = 0; i < n; i++) {
		ck_assert_msg(strcmp(v[i], "github.com") && strcmp(v[i], "gitlab.com"),
			      "shipped rule %s counted as the user's", v[i]);
		ck_assert_msg(!strchr(v[i], '*') && strcmp(v[i], "corp.test") && strcmp(v[i], "wild.test"),
			      "wildcard %s counted", v[i]);
		ck_assert_str_ne(v[i], "gone.test");
		seen |= !strcmp(v[i], "git.corp.test") ? 1 : !strcmp(v[i], "mine.test") ? 2
			: !strcmp(v[i], "cli.test") ? 4 : 0;
	}
	ck_assert_int_eq(seen, 7);
	ck_assert_uint_eq(n, 3);  /* git.corp.test once */
	/* the hosts are still allowed: "shipped" changes nothing else */
	ck_assert_int_eq(host_verdict(p, "github.com"), BRK_ALLOW);
	ck_assert_int_eq(host_verdict(p, "x.shipped.test"), BRK_ALLOW);
	/* the marker covers only its own file */
	ck_assert_uint_eq(brk_policy_user_hosts(p, &v), 3);
	ck_assert_int_lt(brk_policy_add_line(p, "shipped yes", "t:1", err, sizeof(err)), 0);
	ck_assert_int_lt(brk_policy_add_line(p, "shipped", "--allow", err, sizeof(err)), 0);
	/* lines fed one by one (an embedded default policy): same rule */
	ck_assert_int_eq(brk_policy_add_line(p, "allow embedded.test", "builtin.policy:1", err,
					     sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "shipped", "builtin.policy:2", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "allow late.test", "builtin.policy:3", err,
					     sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "allow own.test", "own.policy:1", err, sizeof(err)), 0);
	n = brk_policy_user_hosts(p, &v);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < n; i++)
		ck_assert(strcmp(v[i], "embedded.test") && strcmp(v[i], "late.test"));
	brk_policy_free(p);
	unlink(f1);
	unlink(f2);
	rmdir(dir);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, hosts);
	tcase_add_test(tc, addresses_deny_wins_and_canonicalised);
	tcase_add_test(tc, loopback_deny_covers_all_spellings);
	tcase_add_test(tc, builtin_metadata);
	tcase_add_test(tc, resolved_names_and_rebinding);
	tcase_add_test(tc, allow_localhost_means_its_addresses);
	tcase_add_test(tc, bad_lines_name_the_problem);
	tcase_add_test(tc, file_errors_have_line_numbers);
	tcase_add_test(tc, passthrough_lines);
	tcase_add_test(tc, user_hosts_are_exact_and_not_shipped);
	suite_add_tcase(s, tc);
	return s;
}
