/* SPDX-License-Identifier: MIT */
/*
 * seccomp_test.c - unit tests of broker/seccomp: the rule table, its
 * argument matcher (the supervisor's mirror of the BPF), the filter build,
 * and the pure address / rtnetlink helpers. Live behaviour is tested by
 * t/seccomp/run.sh. Exposes seccomp_suite() for t/unit/check_dlp.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "broker/seccomp/sc_int.h"
#include "broker/seccomp/seccomp.h"

Suite *seccomp_suite(void);

/* First REFUSE row matching socket(args), or NULL. */
static const struct brk_sc_rule *refuse_row(const char *name, __u64 a0, __u64 a1, __u64 a2)
{
	__u64 args[6] = { a0, a1, a2, 0, 0, 0 };
	size_t i;

	for (i = 0; i < brk_sc_nrules; i++) {
		const struct brk_sc_rule *r = &brk_sc_rules[i];

		if (r->kind == BRK_SC_K_REFUSE && !strcmp(r->name, name) &&
		    brk_sc_rule_args_match(r, args))
			return r;
	}
	return NULL;
}

START_TEST(test_table_rows_resolve)
{
	size_t i;

	for (i = 0; i < brk_sc_nrules; i++) {
		const struct brk_sc_rule *r = &brk_sc_rules[i];

		ck_assert_msg(seccomp_syscall_resolve_name(r->name) >= 0, "%s unknown", r->name);
		ck_assert(r->argc <= 2);
		if (r->kind != BRK_SC_K_NOTIFY)
			ck_assert_int_gt(r->err, 0);
		if (r->kind == BRK_SC_K_REFUSE)
			ck_assert_ptr_nonnull(r->what);
	}
}
END_TEST

START_TEST(test_socket_rows)
{
	ck_assert_ptr_nonnull(refuse_row("socket", AF_PACKET, SOCK_RAW, 0));
	ck_assert_ptr_nonnull(refuse_row("socket", AF_INET, SOCK_RAW | SOCK_CLOEXEC, 1));
	ck_assert_ptr_nonnull(refuse_row("socket", AF_INET6, SOCK_RAW | SOCK_NONBLOCK, 58));
	ck_assert_ptr_nonnull(refuse_row("socket", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT));
	ck_assert_ptr_nonnull(refuse_row("socket", AF_ALG, SOCK_SEQPACKET, 0));
	ck_assert_ptr_nonnull(refuse_row("socket", AF_PACKET | (1ULL << 32), SOCK_RAW, 0));
	ck_assert_ptr_null(refuse_row("socket", AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	ck_assert_ptr_null(refuse_row("socket", AF_INET6, SOCK_DGRAM, 0));
	ck_assert_ptr_null(refuse_row("socket", AF_UNIX, SOCK_STREAM, 0));
	ck_assert_ptr_null(refuse_row("socket", AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
}
END_TEST

START_TEST(test_clone_and_seccomp_rows)
{
	ck_assert_ptr_nonnull(refuse_row("clone", 0x10000000 /* CLONE_NEWUSER */ | 17, 0, 0));
	ck_assert_ptr_null(refuse_row("clone", 0x003d0f00 /* pthread flags */, 0, 0));
	ck_assert_ptr_nonnull(refuse_row("seccomp", 1, 8 /* NEW_LISTENER */, 0));
	ck_assert_ptr_null(refuse_row("seccomp", 1, 0, 0));
}
END_TEST

START_TEST(test_filter_prepare)
{
	struct brk_sc_filter *f = NULL;

	ck_assert_int_eq(brk_sc_filter_prepare(&f), 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_gt(f->prog.len, 10);
	/* only the two documented bits */
	ck_assert((brk_sc_filter_backstops(f) & ~3u) == 0);
	brk_sc_filter_free(f);
	brk_sc_filter_free(NULL);
}
END_TEST

START_TEST(test_nl_is_change)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		uint8_t pad[3];
	} m[2];

	memset(m, 0, sizeof(m));
	m[0].h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg));
	m[0].h.nlmsg_type = RTM_GETLINK;
	ck_assert_int_eq(brk_sc_nl_is_change((uint8_t *)m, sizeof(m[0])), 0);
	m[0].h.nlmsg_type = RTM_GETROUTE;
	ck_assert_int_eq(brk_sc_nl_is_change((uint8_t *)m, sizeof(m[0])), 0);
	m[1] = m[0];
	m[1].h.nlmsg_type = RTM_NEWROUTE;
	ck_assert_int_eq(brk_sc_nl_is_change((uint8_t *)m, sizeof(m)), 1);
	m[1].h.nlmsg_type = RTM_DELADDR;
	ck_assert_int_eq(brk_sc_nl_is_change((uint8_t *)m, sizeof(m)), 1);
	m[0].h.nlmsg_type = RTM_SETLINK;
	ck_assert_int_eq(brk_sc_nl_is_change((uint8_t *)m, sizeof(m[0])), 1);
	m[0].h.nlmsg_type = NLMSG_NOOP;
	ck_assert_int_eq(brk_sc_nl_is_change((uint8_t *)m, sizeof(m[0])), 0);
	/* malformed: length past the buffer, truncated header */
	m[0].h.nlmsg_len = 4096;
	ck_assert_int_eq(brk_sc_nl_is_change((uint8_t *)m, sizeof(m[0])), 1);
	ck_assert_int_eq(brk_sc_nl_is_change((uint8_t *)m, 7), 1);
	ck_assert_int_eq(brk_sc_nl_is_change((uint8_t *)m, 0), 0);
}
END_TEST

START_TEST(test_addr_normalize)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	char buf[96];
	socklen_t l;

	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(443);
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &s6->sin6_addr);
	l = brk_sc_addr_normalize(&ss, sizeof(*s6));
	ck_assert_uint_eq(l, sizeof(struct sockaddr_in));
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_uint_eq(ntohl(s4->sin_addr.s_addr), 0x0a010203);
	ck_assert_int_eq(brk_sc_addr_port(&ss, l), 443);
	brk_sc_addr_str(&ss, l, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.1.2.3:443");

	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(53);
	inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr);
	l = brk_sc_addr_normalize(&ss, 24); /* SIN6_LEN_RFC2133 */
	ck_assert_uint_eq(l, 24);
	ck_assert_int_eq(brk_sc_addr_port(&ss, l), 53);
	brk_sc_addr_str(&ss, l, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[2001:db8::1]:53");
	ck_assert_int_eq(brk_sc_addr_port(&ss, 10), -1); /* too short */
}
END_TEST

START_TEST(test_addr_str_unix)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *su = (struct sockaddr_un *)&ss;
	char buf[128];

	memset(&ss, 0, sizeof(ss));
	su->sun_family = AF_UNIX;
	snprintf(su->sun_path, sizeof(su->sun_path), "%s", "/run/nscd/socket");
	brk_sc_addr_str(&ss, sizeof(*su), buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix:/run/nscd/socket");
	memset(su->sun_path, 0, sizeof(su->sun_path));
	memcpy(su->sun_path, "\0abs", 4);
	brk_sc_addr_str(&ss, offsetof(struct sockaddr_un, sun_path) + 4, buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix:@abs");
	brk_sc_addr_str(&ss, 1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "(no address)");
}
END_TEST

START_TEST(test_available)
{
	char why[128];
	int rc = brk_sc_available(why, sizeof(why));

	/* either usable, or a reason for the launcher's warning */
	ck_assert(rc == 0 || (rc < 0 && why[0]));
}
END_TEST

Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_table_rows_resolve);
	tcase_add_test(tc, test_socket_rows);
	tcase_add_test(tc, test_clone_and_seccomp_rows);
	tcase_add_test(tc, test_filter_prepare);
	tcase_add_test(tc, test_nl_is_change);
	tcase_add_test(tc, test_addr_normalize);
	tcase_add_test(tc, test_addr_str_unix);
	tcase_add_test(tc, test_available);
	suite_add_tcase(s, tc);
	return s;
}
