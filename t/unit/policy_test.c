/* SPDX-License-Identifier: MIT */
/* policy_test.c - policy parsing and host/address decisions. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "broker/policy.h"
#include "broker/profile.h"
#include "common/dlp_err.h"
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
				"dns entropy_threshold 0.5", "mode monitor", NULL };
	struct brk_policy *p = mk(lines);
	const char *const *v;

	ck_assert_uint_eq(brk_policy_canaries(p, &v), 1);
	ck_assert_str_eq(v[0], "ghp_abcdefghijklmnop");
	ck_assert_uint_eq(brk_policy_homes(p, &v), 1);
	ck_assert_str_eq(v[0], "github-pat=ghe.corp.example");
	ck_assert_uint_eq(brk_policy_dns(p, &v), 1);
	ck_assert_str_eq(v[0], "entropy_threshold=0.5");
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

static char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/dlp-policy-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* One error per broken line, each with its column, and a count. */
START_TEST(check_reports_every_problem_with_columns)
{
	static const struct {
		const char *line;
		const char *want;   /* ":LINE:COL: words" */
	} cases[] = {
		{ "allw x.test\n", ":1:1: unknown keyword" },
		{ "  allow ok.test bad_host!\n", ":1:17: 'bad_host!' is neither" },
		{ "deny 10.0.0.1/8\n", ":1:6: '10.0.0.1/8' is not a valid" },
		{ "canary short\n", ":1:8: canary tokens must be at least 8" },
		{ "mode off\n", ":1:6: mode must be" },
		{ "home github-pat not/host\n", ":1:17: home domain" },
		{ "dns nokey 1\n", ":1:5: dns: unknown key" },
		{ "dns entropy_threshold 9\n", ":1:23: dns.entropy_threshold" },
		{ "mode\n", ":1:1: wrong number of arguments" },
		{ "canary abcdefgh extra\n", ":1:17: wrong number of arguments" },
	};
	char buf[512];
	size_t i;

	for (i = 0; i < DLP_ARRAY_SIZE(cases); i++) {
		char *path = write_tmp(cases[i].line);
		FILE *out = fmemopen(buf, sizeof(buf), "w");

		ck_assert_int_eq(brk_policy_check_file(path, out), 1);
		fclose(out);
		ck_assert_msg(strstr(buf, cases[i].want) && !strncmp(buf, path, strlen(path)),
			      "%s -> %s", cases[i].line, buf);
		unlink(path);
	}
	{
		char *path = write_tmp("allow a.test\nallw b\n\n# fine\ndeny 1.2.3.4/8\n");
		FILE *out = fmemopen(buf, sizeof(buf), "w");

		ck_assert_int_eq(brk_policy_check_file(path, out), 2);
		fclose(out);
		ck_assert(strstr(buf, ":2:1: ") && strstr(buf, ":5:6: "));
		unlink(path);
	}
	{
		FILE *out = fmemopen(buf, sizeof(buf), "w");
		ck_assert_int_lt(brk_policy_check_file("/nonexistent/x.policy", out), 0);
		fclose(out);
	}
}
END_TEST

static const char *dns_value(struct brk_policy *p, const char *key)
{
	const char *const *v;
	const char *last = NULL;
	size_t n = brk_policy_dns(p, &v), i, kl = strlen(key);

	for (i = 0; i < n; i++)
		if (!strncmp(v[i], key, kl) && v[i][kl] == '=')
			last = v[i] + kl + 1;
	return last;
}

/* Later files add destinations and tighten DNS thresholds; they never loosen. */
START_TEST(merge_rules)
{
	struct brk_policy *p = brk_policy_new();
	struct brk_decision d;
	const char *const *v;
	char err[256];
	size_t n, i;

	brk_policy_set_tier(p, BRK_TIER_PROFILE);
	ck_assert_int_eq(brk_policy_add_line(p, "allow reg.test", "prof.policy:1", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "dns max_he_bytes 100", "prof.policy:2", err, sizeof(err)), 0);
	brk_policy_set_tier(p, BRK_TIER_USER);
	/* a looser threshold is ignored, a stricter one wins */
	ck_assert_int_eq(brk_policy_add_line(p, "dns max_he_bytes 500", "user.policy:1", err, sizeof(err)), 0);
	ck_assert_str_eq(dns_value(p, "max_he_bytes"), "100");
	ck_assert_int_eq(brk_policy_add_line(p, "dns max_he_bytes 50", "user.policy:2", err, sizeof(err)), 0);
	ck_assert_str_eq(dns_value(p, "max_he_bytes"), "50");
	/* against the default when no file set it: 0.92 */
	ck_assert_int_eq(brk_policy_add_line(p, "dns entropy_threshold 1.5", "user.policy:3", err, sizeof(err)), 0);
	ck_assert_ptr_null(dns_value(p, "entropy_threshold"));
	/* a "higher is stricter" key */
	ck_assert_int_eq(brk_policy_add_line(p, "dns deny_binary_labels no", "user.policy:4", err, sizeof(err)), 0);
	ck_assert_ptr_null(dns_value(p, "deny_binary_labels"));
	/* query types add up */
	ck_assert_int_eq(brk_policy_add_line(p, "dns deny_qtypes TXT", "user.policy:5", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(dns_value(p, "deny_qtypes"), "AXFR"));
	ck_assert_ptr_nonnull(strstr(dns_value(p, "deny_qtypes"), "TXT"));
	ck_assert_int_eq(brk_policy_add_line(p, "allow own.test", "user.policy:6", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "home github-pat ghe.test", "user.policy:7", err, sizeof(err)), 0);
	/* the project file: adds destinations, cannot turn enforcement off,
	 * widen credential homes or exempt domains from the DNS checks */
	brk_policy_set_tier(p, BRK_TIER_PROJECT);
	ck_assert_int_eq(brk_policy_add_line(p, "shipped", "proj.policy:0", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "allow proj.test", "proj.policy:1", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "mode monitor", "proj.policy:2", err, sizeof(err)), 0);
	ck_assert(!brk_policy_monitor(p));
	ck_assert_int_eq(brk_policy_add_line(p, "home github-pat evil.test", "proj.policy:3", err, sizeof(err)), 0);
	n = brk_policy_homes(p, &v);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0], "github-pat=ghe.test");
	ck_assert_int_eq(brk_policy_add_line(p, "dns exempt evil.test", "proj.policy:4", err, sizeof(err)), 0);
	ck_assert_ptr_null(dns_value(p, "exempt"));
	/* a project allows host names only: no metadata service, no local
	 * ports, not every name */
	ck_assert_int_eq(brk_policy_add_line(p, "allow 169.254.169.254", "proj.policy:6", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "allow *", "proj.policy:7", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "allow localhost 127.0.0.1 fine.test", "proj.policy:8",
					     err, sizeof(err)), 0);
	ck_assert_int_eq(addr_verdict(p, "169.254.169.254", false), BRK_DENY);
	ck_assert_int_eq(addr_verdict(p, "127.0.0.1", false), BRK_DENY);
	brk_policy_check_host(p, "anything.test", &d);
	ck_assert_int_eq(d.verdict, BRK_DENY);
	brk_policy_check_host(p, "fine.test", &d);
	ck_assert_int_eq(d.verdict, BRK_ALLOW);
	/* deny always wins, whichever file has it */
	ck_assert_int_eq(brk_policy_add_line(p, "deny reg.test", "proj.policy:5", err, sizeof(err)), 0);
	brk_policy_check_host(p, "reg.test", &d);
	ck_assert_int_eq(d.verdict, BRK_DENY);
	ck_assert_ptr_nonnull(strstr(d.rule, "proj.policy:5"));
	brk_policy_check_host(p, "proj.test", &d);
	ck_assert_int_eq(d.verdict, BRK_ALLOW);
	ck_assert_ptr_nonnull(strstr(d.rule, "proj.policy:1"));
	/* a project's host is not your own choice of server */
	n = brk_policy_user_hosts(p, &v);
	for (i = 0; i < n; i++)
		ck_assert_str_ne(v[i], "proj.test");
	ck_assert_uint_eq(n, 1);
	/* every ignored line is noted, with its origin */
	n = brk_policy_notes(p, &v);
	ck_assert_uint_eq(n, 10);
	ck_assert_ptr_nonnull(strstr(v[0], "user.policy:1: ignored"));
	n = brk_policy_shown(p, &v);
	ck_assert_ptr_nonnull(strstr(v[2], "user.policy:1\t# ignored: dns max_he_bytes 500"));
	/* the explicit tier (--policy) is not limited */
	brk_policy_set_tier(p, BRK_TIER_EXPLICIT);
	ck_assert_int_eq(brk_policy_add_line(p, "dns max_he_bytes 900", "--policy:1", err, sizeof(err)), 0);
	ck_assert_str_eq(dns_value(p, "max_he_bytes"), "900");
	brk_policy_free(p);
}
END_TEST

/* policy show never prints a canary in clear */
START_TEST(shown_lines_redact_canaries)
{
	static const char *const lines[] = { "canary CANARYcanary1234567", NULL };
	struct brk_policy *p = mk(lines);
	const char *const *v;

	ck_assert_uint_eq(brk_policy_shown(p, &v), 1);
	ck_assert_ptr_null(strstr(v[0], "CANARYcanary1234567"));
	ck_assert_ptr_nonnull(strstr(v[0], "canary CANA"));
	brk_policy_free(p);
}
END_TEST

START_TEST(profile_from_command_names)
{
	static const struct {
		const char *argv[8];
		const char *profile;
	} cases[] = {
		{ { "npm", "install" }, "npm" },
		{ { "npx", "cowsay" }, "npm" },
		{ { "/usr/local/bin/npm", "ci" }, "npm" },
		{ { "env", "-u", "X", "A=1", "npm", "i" }, "npm" },
		{ { "env", "yarn" }, "yarn" },
		{ { "sh", "-c", "cd app && pnpm install" }, "pnpm" },
		{ { "bash", "-lc", "FOO=1 exec bun install" }, "bun" },
		{ { "/bin/sh", "-ec", "'uv' sync" }, "pip" },
		{ { "python3", "-m", "pip", "install" }, "pip" },
		{ { "pip3" }, "pip" }, { { "poetry", "lock" }, "pip" },
		{ { "cargo", "build" }, "cargo" }, { { "go", "get" }, "go" },
		{ { "bundle" }, "gem" }, { { "gem", "install" }, "gem" },
		{ { "git", "clone" }, "git" }, { { "make", "-j2" }, "make" },
		{ { "ls" }, "default" }, { { "sh", "script.sh" }, "default" },
		{ { "env" }, "default" }, { { "sh", "-c" }, "default" },
		{ { "npmx" }, "default" },
	};
	size_t i;

	for (i = 0; i < DLP_ARRAY_SIZE(cases); i++)
		ck_assert_msg(!strcmp(brk_profile_for_argv((char *const *)cases[i].argv),
				      cases[i].profile), "case %zu: %s", i,
			      brk_profile_for_argv((char *const *)cases[i].argv));
}
END_TEST

/* ~/.npmrc's registry is allowed, as your own choice; ./.npmrc's is not. */
START_TEST(registries_from_tool_config)
{
	char dir[] = "/tmp/dlp-home-XXXXXX", path[128], cwd[4096], err[256], proj_dir[128];
	struct brk_policy *p;
	struct brk_decision d;
	const char *const *v;
	size_t n, i;
	FILE *f;
	bool own = false, proj = false;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(path, sizeof(path), "%s/.npmrc", dir);
	f = fopen(path, "w");
	fputs("; comment\nregistry = \"https://npm.corp.test:8443/repo/\"\n"
	      "@me:registry=https://user@scoped.test/x\n//npm.corp.test/:_authToken=abc\n", f);
	fclose(f);
	snprintf(proj_dir, sizeof(proj_dir), "%s/proj", dir);
	ck_assert_int_eq(mkdir(proj_dir, 0700), 0);
	ck_assert_int_eq(chdir(proj_dir), 0);
	f = fopen(".npmrc", "w");
	fputs("registry=https://proj-registry.test/\n", f);
	fclose(f);
	setenv("HOME", dir, 1);
	setenv("npm_config_registry", "http://env-registry.test:4873", 1);
	p = brk_policy_new();
	ck_assert_int_eq(brk_policy_add_registries(p, "npm"), 0);
	brk_policy_check_host(p, "npm.corp.test", &d);
	ck_assert_int_eq(d.verdict, BRK_ALLOW);
	ck_assert_ptr_nonnull(strstr(d.rule, "~/.npmrc:2"));
	brk_policy_check_host(p, "scoped.test", &d);
	ck_assert_int_eq(d.verdict, BRK_ALLOW);
	brk_policy_check_host(p, "env-registry.test", &d);
	ck_assert_int_eq(d.verdict, BRK_ALLOW);
	brk_policy_check_host(p, "proj-registry.test", &d);
	ck_assert_int_eq(d.verdict, BRK_ALLOW);
	n = brk_policy_user_hosts(p, &v);
	for (i = 0; i < n; i++) {
		own |= !strcmp(v[i], "npm.corp.test");
		proj |= !strcmp(v[i], "proj-registry.test");
	}
	ck_assert(own && !proj);
	n = brk_policy_notes(p, &v);
	ck_assert_uint_eq(n, 4);
	ck_assert_ptr_nonnull(strstr(v[1], "allowed npm.corp.test: the registry npm is configured with"));
	/* the pip profile does not read npm's configuration */
	brk_policy_free(p);
	p = brk_policy_new();
	ck_assert_int_eq(brk_policy_add_registries(p, "pip"), 0);
	brk_policy_check_host(p, "npm.corp.test", &d);
	ck_assert_int_eq(d.verdict, BRK_DENY);
	brk_policy_free(p);
	(void)err;
	unsetenv("npm_config_registry");
	unlink(".npmrc");
	unlink(path);
	ck_assert_int_eq(chdir(cwd), 0);
	rmdir(proj_dir);
	rmdir(dir);
}
END_TEST

static int req_verdict(struct brk_policy *p, const char *h, const char *m, const char *t,
		       char *rule, size_t cap)
{
	struct brk_decision d;

	brk_policy_check_request(p, h, m, t, &d);
	if (rule)
		snprintf(rule, cap, "%s", d.rule);
	return d.verdict;
}

START_TEST(method_rules)
{
	const char *lines[] = {
		"allow registry.npmjs.org registry.yarnpkg.com methods GET,head",
		"allow registry.npmjs.org method POST path /-/npm/v1/security/*",
		"allow *.pkg.example methods GET",
		"allow open.example",
		NULL };
	struct brk_policy *p = mk(lines);
	char rule[400];

	/* the hosts of a method rule are allowed as by a plain allow line */
	ck_assert_int_eq(host_verdict(p, "registry.npmjs.org"), BRK_ALLOW);
	ck_assert_int_eq(host_verdict(p, "a.pkg.example"), BRK_ALLOW);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "GET", "/left-pad", NULL, 0),
			 BRK_ALLOW);
	ck_assert_int_eq(req_verdict(p, "REGISTRY.npmjs.org.", "HEAD", "/x?y=1", NULL, 0),
			 BRK_ALLOW);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "get", "/x", NULL, 0), BRK_ALLOW);
	/* npm publish: PUT /NAME; refused, naming the first restricting rule */
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "PUT", "/left-pad", rule,
				     sizeof(rule)), BRK_DENY);
	ck_assert_msg(strstr(rule, "allow registry.npmjs.org methods GET,HEAD (test)"), "%s", rule);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "pUt", "/x", NULL, 0), BRK_DENY);
	/* the audit POST, by path only */
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "POST",
				     "/-/npm/v1/security/advisories/bulk", NULL, 0), BRK_ALLOW);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "POST",
				     "https://registry.npmjs.org/-/npm/v1/security/audits/quick",
				     NULL, 0), BRK_ALLOW);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "POST", "/-/npm/v1/login", NULL, 0),
			 BRK_DENY);
	ck_assert_int_eq(req_verdict(p, "registry.yarnpkg.com", "POST",
				     "/-/npm/v1/security/advisories/bulk", NULL, 0), BRK_DENY);
	/* a path a server may rewrite matches only "path *" */
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "POST",
				     "/-/npm/v1/security/../../../pkg", NULL, 0), BRK_DENY);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "POST",
				     "/-/npm/v1/security/%2e%2e/x", NULL, 0), BRK_DENY);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "POST",
				     "/-/npm/v1/security%2F..%2Fx", NULL, 0), BRK_DENY);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "POST",
				     "/-/npm/v1/security/a%5c..%5c..%5cb", NULL, 0), BRK_DENY);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "POST",
				     "/-/npm/v1/security/@s%2fa...b", NULL, 0), BRK_ALLOW);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "POST", "", NULL, 0), BRK_DENY);
	/* wildcards, other hosts, no host */
	ck_assert_int_eq(req_verdict(p, "a.b.pkg.example", "DELETE", "/x", NULL, 0), BRK_DENY);
	ck_assert_int_eq(req_verdict(p, "pkg.example", "DELETE", "/x", NULL, 0), BRK_ALLOW);
	ck_assert_int_eq(req_verdict(p, "open.example", "PUT", "/x", NULL, 0), BRK_ALLOW);
	ck_assert_int_eq(req_verdict(p, NULL, "PUT", "/x", NULL, 0), BRK_ALLOW);
	ck_assert(brk_policy_host_restricted(p, "registry.yarnpkg.com"));
	ck_assert(!brk_policy_host_restricted(p, "open.example"));
	brk_policy_free(p);
}
END_TEST

START_TEST(method_rules_bad_lines_and_merge)
{
	static const char *const bad[] = {
		"deny registry.npmjs.org methods GET",
		"allow methods GET",
		"allow registry.npmjs.org methods",
		"allow registry.npmjs.org methods GET;PUT",
		"allow registry.npmjs.org methods GET,,HEAD",
		"allow registry.npmjs.org methods GET path",
		"allow registry.npmjs.org methods GET path x/*",
		"allow registry.npmjs.org methods GET paths /x",
		"allow 10.0.0.1 methods GET",
		"allow registry.npmjs.org methods GET path /a extra",
	};
	struct brk_policy *p = brk_policy_new();
	const char *const *shown;
	char err[256], rule[400];
	size_t i, n;

	for (i = 0; i < DLP_ARRAY_SIZE(bad); i++)
		ck_assert_msg(brk_policy_add_line(p, bad[i], "t", err, sizeof(err)) == -EINVAL,
			      "accepted: %s", bad[i]);
	/* the profile makes the registry read-only; the user's file adds publish */
	brk_policy_set_tier(p, BRK_TIER_PROFILE);
	ck_assert_int_eq(brk_policy_add_line(p, "allow registry.npmjs.org methods GET,HEAD",
					     "npm.policy:3", err, sizeof(err)), 0);
	brk_policy_set_tier(p, BRK_TIER_PROJECT);
	ck_assert_int_eq(brk_policy_add_line(p, "allow registry.npmjs.org methods *",
					     "./.dlpjail.policy:1", err, sizeof(err)), 0);
	ck_assert_int_eq(brk_policy_add_line(p, "allow own.example methods GET",
					     "./.dlpjail.policy:2", err, sizeof(err)), 0);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "PUT", "/x", NULL, 0), BRK_DENY);
	ck_assert_int_eq(req_verdict(p, "own.example", "PUT", "/x", NULL, 0), BRK_DENY);
	brk_policy_set_tier(p, BRK_TIER_USER);
	ck_assert_int_eq(brk_policy_add_line(p, "allow registry.npmjs.org method PUT path /@me/*",
					     "user.policy:1", err, sizeof(err)), 0);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "PUT", "/@me/pkg", rule,
				     sizeof(rule)), BRK_ALLOW);
	ck_assert_msg(strstr(rule, "path /@me/* (user.policy:1)"), "%s", rule);
	ck_assert_int_eq(req_verdict(p, "registry.npmjs.org", "PUT", "/other", NULL, 0), BRK_DENY);
	/* policy show: the lines as written, the project's widening set aside */
	n = brk_policy_shown(p, &shown);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(shown[0], "npm.policy:3\tallow registry.npmjs.org methods GET,HEAD");
	ck_assert_str_eq(shown[1], "./.dlpjail.policy:1\t# ignored: allow registry.npmjs.org "
			 "methods *");
	brk_policy_free(p);
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
	tcase_add_test(tc, check_reports_every_problem_with_columns);
	tcase_add_test(tc, merge_rules);
	tcase_add_test(tc, shown_lines_redact_canaries);
	tcase_add_test(tc, profile_from_command_names);
	tcase_add_test(tc, registries_from_tool_config);
	tcase_add_test(tc, method_rules);
	tcase_add_test(tc, method_rules_bad_lines_and_merge);
	suite_add_tcase(s, tc);
	return s;
}
