/* SPDX-License-Identifier: MIT */
/* event_test.c - JSON-lines events: fields, escaping, redaction, summary. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

Suite *event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("jsonl");

	tcase_add_test(tc, fields);
	tcase_add_test(tc, escaping_hostile_strings);
	tcase_add_test(tc, redaction_form);
	tcase_add_test(tc, log_file_and_summary);
	suite_add_tcase(s, tc);
	return s;
}
