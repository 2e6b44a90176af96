/* SPDX-License-Identifier: MIT */
/* event_test.c - JSON-lines events: fields, escaping, redaction, summary. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/dnsgate.h"
#include "broker/event.h"
#include "broker/policy.h"
#include "common/redact.h"
#include "t/unit/suites.h"

static char *fmt(const struct brk_event *ev)
{
	struct dlp_buf b;
	char *s;

	dlp_buf_init(&b, 8192);
	ck_assert_int_eq(brk_event_format(ev, &b), 0);
	dlp_buf_append(&b, "", 1);
	s = strdup((char *)b.ptr);
	dlp_buf_free(&b);
	return s;
}

START_TEST(fields)
{
	struct brk_addr a;
	struct brk_event ev = { .op = "connect", .pid = 42, .exe = "/usr/bin/curl",
				.host = "registry.npmjs.org", .port = 443, .verdict = BRK_DENY,
				.enforced = true, .reason = "address is denied", .rule = "deny 10.0.0.0/8" };
	char *s;

	brk_addr_parse("10.1.2.3", &a);
	ev.addr = &a;
	s = fmt(&ev);
	ck_assert_msg(s[0] == '{' && s[strlen(s) - 1] == '\n', "%s", s);
	ck_assert(strstr(s, "\"time\":\"20"));
	ck_assert(strstr(s, "\"pid\":42"));
	ck_assert(strstr(s, "\"exe\":\"/usr/bin/curl\""));
	ck_assert(strstr(s, "\"op\":\"connect\""));
	ck_assert(strstr(s, "\"host\":\"registry.npmjs.org\""));
	ck_assert(strstr(s, "\"ip\":\"10.1.2.3\""));
	ck_assert(strstr(s, "\"port\":443"));
	ck_assert(strstr(s, "\"verdict\":\"deny\""));
	ck_assert(strstr(s, "\"action\":\"blocked\""));
	ck_assert(strstr(s, "\"rule\":\"deny 10.0.0.0/8\""));
	free(s);
	ev.enforced = false;
	s = fmt(&ev);
	ck_assert(strstr(s, "\"action\":\"logged\""));
	free(s);
}
END_TEST

START_TEST(escaping_hostile_strings)
{
	struct brk_event ev = { .op = "hello", .pid = 1, .port = -1, .verdict = BRK_ALLOW,
				.exe = "/tmp/evil\"\n\\\x01\xff\xc3\xa9.sh" };
	char *s = fmt(&ev);

	ck_assert_msg(strstr(s, "\"exe\":\"/tmp/evil\\\"\\u000a\\\\\\u0001\\u00ff\xc3\xa9.sh\""),
		      "%s", s);
	ck_assert_ptr_null(strchr(s, '\n') == s + strlen(s) - 1 ? NULL : strchr(s, '\n'));
	ck_assert(strstr(s, "\"port\"") == NULL);
	free(s);
}
END_TEST

START_TEST(redaction_form)
{
	const char *tok = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
	char r1[DLP_REDACT_MAX], r2[DLP_REDACT_MAX];

	dlp_redact((const uint8_t *)tok, strlen(tok), r1, sizeof(r1));
	dlp_redact((const uint8_t *)tok, strlen(tok), r2, sizeof(r2));
	ck_assert_str_eq(r1, r2);       /* correlatable */
	ck_assert(!strncmp(r1, "ghp_" DLP_REDACT_MASK, 4 + strlen(DLP_REDACT_MASK)));
	ck_assert(strstr(r1, "(len=40)"));
	ck_assert(strstr(r1, "aBcD") == NULL);
	/* short secrets reveal at most a quarter */
	dlp_redact((const uint8_t *)"hunter22", 8, r1, sizeof(r1));
	ck_assert(!strncmp(r1, "hu" DLP_REDACT_MASK, 2 + strlen(DLP_REDACT_MASK)));
	dlp_redact((const uint8_t *)"\"\\\n\x01", 4, r1, sizeof(r1));
	ck_assert(r1[0] == '?');
}
END_TEST

START_TEST(log_file_and_summary)
{
	char path[] = "/tmp/dlp-events-XXXXXX", buf[4096], sum[] = "/tmp/dlp-sum-XXXXXX";
	struct brk_eventlog *log;
	struct brk_event ev = { .op = "connect", .pid = 7, .exe = "curl", .port = 80,
				.verdict = BRK_DENY, .enforced = true, .reason = "nope" };
	int fd = mkstemp(path), sfd = mkstemp(sum);
	ssize_t n;
	int i, lines = 0;

	close(fd);
	ck_assert_int_eq(brk_eventlog_open(path, &log), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	ev.verdict = BRK_ALLOW;
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	ck_assert_uint_eq(brk_eventlog_denied(log), 3);
	brk_eventlog_summary(log, sfd, 2);
	brk_eventlog_close(log);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	for (i = 0; i < n; i++)
		lines += buf[i] == '\n';
	ck_assert_int_eq(lines, 4);
	lseek(sfd, 0, SEEK_SET);
	n = read(sfd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	ck_assert_msg(strstr(buf, "3 blocked") && strstr(buf, "blocked connect"), "%s", buf);
	close(sfd);
	unlink(path);
	unlink(sum);
}
END_TEST

static char *summary_of(struct brk_eventlog *log, unsigned max)
{
	char path[] = "/tmp/dlp-sum-XXXXXX", *buf = calloc(1, 16384);
	int fd = mkstemp(path);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	brk_eventlog_summary(log, fd, max);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, 16383);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

static char *read_all(const char *path)
{
	char *buf = calloc(1, 16384);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, 16383);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* A known secret's source: in the event and the summary, a token-shaped
 * word of it redacted (a file named after a token); the path stays. */
START_TEST(source_field_redacted)
{
	char path[] = "/tmp/dlp-events-XXXXXX", *buf, *sum;
	struct brk_eventlog *log;
	struct brk_event ev = { .op = "send", .pid = 7, .exe = "curl", .port = 80,
				.verdict = BRK_DENY, .enforced = true, .reason = "leak",
				.detector = "known-secret", .match = "t7_Z... (len=40)",
				.source = "~/.aws/credentials:3" };
	int fd = mkstemp(path);

	close(fd);
	ck_assert_int_eq(brk_eventlog_open(path, &log), 0);
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	ev.source = "~/.ssh/ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1:1";
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	sum = summary_of(log, 10);
	brk_eventlog_close(log);
	buf = read_all(path);
	ck_assert_msg(strstr(buf, ",\"source\":\"~/.aws/credentials:3\"}"), "%s", buf);
	ck_assert_msg(strstr(buf, "\"source\":\"~/.ssh/ghp_"), "%s", buf);
	ck_assert_msg(!strstr(buf, "CanaryToken7Xy9"), "%s", buf);
	ck_assert_msg(strstr(sum, "(from ~/.aws/credentials:3)"), "%s", sum);
	ck_assert_msg(!strstr(sum, "CanaryToken7Xy9"), "%s", sum);
	free(buf);
	free(sum);
	unlink(path);
}
END_TEST

/* The teardown deadline's event: formatted first, written later by the
 * AS-safe writer with its count; nothing without a log file. */
START_TEST(late_event)
{
	char path[] = "/tmp/dlp-events-XXXXXX", *buf;
	struct brk_eventlog *log;
	struct brk_event ev = { .op = "teardown", .pid = 7, .exe = "dlpjail", .port = -1,
				.verdict = BRK_DENY, .enforced = true, .rule = "teardown-deadline" };
	struct brk_event_late late;
	int fd = mkstemp(path);

	close(fd);
	ck_assert_int_eq(brk_eventlog_open(NULL, &log), 0);
	ck_assert_int_eq(brk_eventlog_late(log, &ev, "reset", 5, &late), 0);
	ck_assert_int_eq(late.fd, -1);
	brk_event_late_write(&late, 3);   /* nowhere: no crash, no write */
	brk_eventlog_close(log);
	ck_assert_int_eq(brk_eventlog_open(path, &log), 0);
	ck_assert_int_eq(brk_eventlog_late(log, &ev, "reset", 5, &late), 0);
	ev.op = "connect";
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	brk_event_late_write(&late, 1234567890u);
	brk_eventlog_close(log);
	buf = read_all(path);
	/* the connect event came after the preparation: a later id */
	ck_assert_msg(strstr(buf, "-2\",\"pid\":7,") && strstr(buf, "\"op\":\"connect\""), "%s", buf);
	ck_assert_msg(strstr(buf, "-1\",\"pid\":7,\"exe\":\"dlpjail\",\"op\":\"teardown\""), "%s", buf);
	ck_assert_msg(strstr(buf, "\"rule\":\"teardown-deadline\",\"reset\":1234567890}\n"), "%s", buf);
	ck_assert_uint_eq(count(buf, "\n"), 2);
	{   /* the time of the write (AS-safe put_time), not the arming's + 5 s */
		char want[2][40];
		const char *t;
		time_t now = time(NULL);
		struct tm tm;
		int k;

		t = strstr(buf, "-1\",\"pid\":7,\"exe\":\"dlpjail\"");
		ck_assert_ptr_nonnull(t);
		while (t > buf && t[-1] != '\n')
			t--;
		t = strstr(t, "\"time\":\"") + 8;
		for (k = 0; k < 2; k++) {
			time_t at = now - k;

			gmtime_r(&at, &tm);
			strftime(want[k], sizeof(want[k]), "%Y-%m-%dT%H:%M:%S.", &tm);
		}
		ck_assert_msg(!strncmp(t, want[0], 20) || !strncmp(t, want[1], 20), "%.30s vs %s", t, want[0]);
		ck_assert_msg(t[23] == 'Z' && t[24] == '"', "%.30s", t);
	}
	free(buf);
	unlink(path);
}
END_TEST

/* One line per destination and rule, with the allow line when there is one. */
START_TEST(summary_groups_and_allow_lines)
{
	struct brk_eventlog *log;
	struct brk_event ev = { .op = "resolve", .pid = 7, .exe = "npm", .port = -1,
				.verdict = BRK_DENY, .enforced = true,
				.host = "registry.example.org", .rule = "default-deny via getaddrinfo",
				.reason = "host is not in the allow list",
				.allow = "registry.example.org" };
	char *out;
	int i;

	ck_assert_int_eq(brk_eventlog_open(NULL, &log), 0);
	for (i = 0; i < 20; i++) {
		ev.pid = 100 + i;               /* other processes: same group */
		ev.rule = i & 1 ? "default-deny via raw-dns" : "default-deny via getaddrinfo";
		ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	}
	/* a content block: no allow line, the detector instead */
	ev.op = "send";
	ev.host = "registry.example.org";
	ev.rule = "canary";
	ev.detector = "canary";
	ev.match = "npm_•••••1a2b3c4d (len=40)";
	ev.allow = NULL;
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	/* a redacted name: no allow line either */
	ev.op = "resolve";
	ev.host = "<6768•••••1cff02bb (len=83)>.evil.example";
	ev.rule = "default-deny via getaddrinfo";
	ev.detector = NULL;
	ev.match = NULL;
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	/* an allow argument that is not a host name is never printed */
	ev.host = "x.example";
	ev.allow = "x.example\n--allow *";
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	ck_assert_uint_eq(brk_eventlog_denied(log), 23);
	out = summary_of(log, 10);
	ck_assert_msg(strstr(out, "dlpjail: 23 blocked\n"), "%s", out);
	ck_assert_msg(count(out, "name lookup of registry.example.org") == 1, "%s", out);
	ck_assert_msg(strstr(out, "20x blocked name lookup of registry.example.org by npm: "
			     "host is not in the allow list\n"), "%s", out);
	ck_assert_msg(strstr(out, "to allow it: --allow registry.example.org (policy file: "
			     "allow registry.example.org)"), "%s", out);
	ck_assert_msg(count(out, "to allow it") == 1, "%s", out);
	ck_assert_msg(strstr(out, "1x blocked send to registry.example.org by npm: canary npm_"),
		      "%s", out);
	ck_assert_msg(strstr(out, "no allow line: allowing a host never allows a secret "
			     "(detector canary; run with --log FILE for the details)"), "%s", out);
	ck_assert_msg(strstr(out, "no allow line: the name looks like encoded data"), "%s", out);
	free(out);
	/* past max groups: counted, not listed */
	out = summary_of(log, 1);
	ck_assert_msg(strstr(out, "... and 3 more"), "%s", out);
	ck_assert_msg(!strstr(out, "send to"), "%s", out);
	free(out);
	brk_eventlog_close(log);
}
END_TEST

/* Addresses in the summary: v6 in brackets with the port, host then address. */
START_TEST(summary_destination_forms)
{
	struct brk_eventlog *log;
	struct brk_addr a6, a4;
	struct brk_event ev = { .op = "connect", .pid = 7, .exe = "curl", .port = 443,
				.verdict = BRK_DENY, .enforced = false, .rule = "default-deny via shim",
				.reason = "address is not allowed", .allow = "2001:db8::1" };
	char *out;

	ck_assert_int_eq(brk_addr_parse("2001:db8::1", &a6), 0);
	ck_assert_int_eq(brk_addr_parse("203.0.113.5", &a4), 0);
	ck_assert_int_eq(brk_eventlog_open(NULL, &log), 0);
	ev.addr = &a6;
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	ev.addr = &a4;
	ev.host = "evil.example";
	ev.allow = NULL;
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	/* refused bytes with no name: nothing to say about a redacted name */
	ev.op = "send";
	ev.host = NULL;
	ev.addr = NULL;
	ev.port = 53;
	ev.rule = "dns-malformed";
	ev.reason = "data sent to port 53 is not a plain DNS query";
	ck_assert_int_eq(brk_eventlog_write(log, &ev), 0);
	out = summary_of(log, 10);
	ck_assert_msg(strstr(out, "would block send to port 53 by curl: data sent"), "%s", out);
	ck_assert_msg(!strstr(out, "encoded data"), "%s", out);
	ck_assert_msg(strstr(out, "would block connect to [2001:db8::1]:443 by curl"), "%s", out);
	ck_assert_msg(strstr(out, "--allow 2001:db8::1 (policy file: allow 2001:db8::1)"), "%s", out);
	ck_assert_msg(strstr(out, "would block connect to evil.example (203.0.113.5:443)"), "%s", out);
	ck_assert_msg(strstr(out, "(monitor mode)"), "%s", out);
	free(out);
	brk_eventlog_close(log);
}
END_TEST

/* The display rule's shape test and redacted form (dnsgate.c). */
START_TEST(display_names)
{
	static const char *const ordinary[] = {
		"registry.npmjs.org", "files.pythonhosted.org", "ec2-54-23-1-2.compute-1.amazonaws.com",
		"localhost", "foo.example.", "a.b.c.d.e.f.g.h",
	};
	static const char *const odd[] = {
		"Registry.npmjs.org", "ghp_abc.example", "a..b", "-a.example", "a-.example",
		"a.b.c.d.e.f.g.h.i", "a b.example", "x\x01.example", "",
		"abcdefghijabcdefghijabcdefghijabcdefghija.example",        /* 41-byte label */
	};
	char out[DLP_REDACT_MAX + 300];
	size_t i;

	for (i = 0; i < sizeof(ordinary) / sizeof(ordinary[0]); i++)
		ck_assert_msg(brk_dnsgate_name_shape_ok(ordinary[i]), "%s", ordinary[i]);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		ck_assert_msg(!brk_dnsgate_name_shape_ok(odd[i]), "%s", odd[i]);
	brk_dnsgate_redact_name("6768705f4d7367.evil.example", out, sizeof(out));
	ck_assert_msg(out[0] == '<' && strstr(out, ">.evil.example") &&
		      !strstr(out, "705f4d"), "%s", out);
	/* data in the registrable domain's label: all of it redacted */
	brk_dnsgate_redact_name("x.6768705f4d7367ab.com", out, sizeof(out));
	ck_assert_msg(out[0] == '<' && !strstr(out, ".com") && !strstr(out, "705f4d"), "%s", out);
	brk_dnsgate_redact_name("aGVsbG8gd29ybGQ.com", out, sizeof(out));
	ck_assert_msg(out[0] == '<' && !strstr(out, "bG8g"), "%s", out);
	brk_dnsgate_redact_name("x.evil example.com", out, sizeof(out));
	ck_assert_msg(!strstr(out, "evil example"), "%s", out);
}
END_TEST

Suite *event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("jsonl");

	tcase_add_test(tc, fields);
	tcase_add_test(tc, escaping_hostile_strings);
	tcase_add_test(tc, redaction_form);
	tcase_add_test(tc, log_file_and_summary);
	tcase_add_test(tc, summary_groups_and_allow_lines);
	tcase_add_test(tc, summary_destination_forms);
	tcase_add_test(tc, display_names);
	tcase_add_test(tc, source_field_redacted);
	tcase_add_test(tc, late_event);
	suite_add_tcase(s, tc);
	return s;
}
