/* SPDX-License-Identifier: MIT */
/* dns_msg_test.c - strict query parsing, building, response walking. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/dns/dns_msg.h"

static size_t build(const char *name, uint16_t qtype, uint16_t edns,
		    uint8_t *buf, size_t cap)
{
	size_t len = 0;

	ck_assert_int_eq(brk_dns_query_build(0x1234, name, qtype, 1, edns, buf,
					     cap, &len), 0);
	return len;
}

START_TEST(roundtrip)
{
	uint8_t buf[512];
	struct brk_dns_query q;
	size_t len = build("www.Example.com", BRK_DNS_T_AAAA, 1232, buf,
			   sizeof(buf));

	ck_assert_int_eq(brk_dns_query_parse(buf, len, &q), 0);
	ck_assert_uint_eq(q.id, 0x1234);
	ck_assert_uint_eq(q.qtype, BRK_DNS_T_AAAA);
	ck_assert_uint_eq(q.qclass, BRK_DNS_C_IN);
	ck_assert_int_eq(q.rd, 1);
	ck_assert_int_eq(q.edns, 1);
	ck_assert_uint_eq(q.edns_udp_size, 1232);
	ck_assert_uint_eq(q.nlabels, 3);
	ck_assert_str_eq(q.name, "www.Example.com");
	ck_assert_uint_eq(q.wire_name_len, 17);

	len = build("a.b.", BRK_DNS_T_TXT, 0, buf, sizeof(buf));
	ck_assert_int_eq(brk_dns_query_parse(buf, len, &q), 0);
	ck_assert_str_eq(q.name, "a.b");
	ck_assert_int_eq(q.edns, 0);
}
END_TEST

START_TEST(escapes)
{
	uint8_t buf[512];
	struct brk_dns_query q;
	size_t len = build("\\200x\\.y.evil.example", BRK_DNS_T_A, 0, buf,
			   sizeof(buf));

	ck_assert_int_eq(brk_dns_query_parse(buf, len, &q), 0);
	ck_assert_uint_eq(q.wire_name[0], 4);
	ck_assert_uint_eq(q.wire_name[1], 200);
	ck_assert_uint_eq(q.wire_name[3], '.');
	ck_assert_str_eq(q.name, "\\200x\\.y.evil.example");
}
END_TEST

START_TEST(refuse_bad_headers)
{
	uint8_t buf[512], m[512];
	struct brk_dns_query q;
	size_t len = build("example.com", BRK_DNS_T_A, 0, buf, sizeof(buf));

	memcpy(m, buf, len);
	m[2] |= 0x80;				/* QR: a response */
	ck_assert_int_eq(brk_dns_query_parse(m, len, &q), -EPROTO);
	memcpy(m, buf, len);
	m[2] |= 0x28;				/* opcode 5 UPDATE */
	ck_assert_int_eq(brk_dns_query_parse(m, len, &q), -EPROTO);
	memcpy(m, buf, len);
	m[5] = 2;				/* two questions */
	ck_assert_int_eq(brk_dns_query_parse(m, len, &q), -EPROTO);
	memcpy(m, buf, len);
	m[7] = 1;				/* an answer in a query */
	ck_assert_int_eq(brk_dns_query_parse(m, len, &q), -EPROTO);
	memcpy(m, buf, len);
	m[11] = 2;				/* two additionals */
	ck_assert_int_eq(brk_dns_query_parse(m, len, &q), -EPROTO);
	memcpy(m, buf, len);
	m[len - 1] = 3;				/* class CH */
	ck_assert_int_eq(brk_dns_query_parse(m, len, &q), -EPROTO);
	memcpy(m, buf, len);
	m[len] = 0;				/* trailing byte */
	ck_assert_int_eq(brk_dns_query_parse(m, len + 1, &q), -EPROTO);
	ck_assert_int_eq(brk_dns_query_parse(m, 11, &q), -EMSGSIZE);
	ck_assert_int_eq(brk_dns_query_parse(NULL, len, &q), -EINVAL);
}
END_TEST

START_TEST(refuse_bad_names)
{
	uint8_t m[600];
	struct brk_dns_query q;
	size_t o, i;

	/* A compression pointer back into the header. */
	memset(m, 0, sizeof(m));
	m[5] = 1;
	m[12] = 0xc0;
	m[13] = 0x00;
	m[14] = 0; m[15] = 1; m[16] = 0; m[17] = 1;
	ck_assert_int_eq(brk_dns_query_parse(m, 18, &q), -EPROTO);
	/* Extended label type 0x40. */
	m[12] = 0x41;
	ck_assert_int_eq(brk_dns_query_parse(m, 18, &q), -EPROTO);
	/* A label running past the end. */
	m[12] = 40;
	ck_assert_int_eq(brk_dns_query_parse(m, 18, &q), -EPROTO);
	/* A name of 5 x 63-byte labels: over 255 bytes. */
	o = 12;
	for (i = 0; i < 5; i++) {
		m[o++] = 63;
		memset(m + o, 'a', 63);
		o += 63;
	}
	m[o++] = 0;
	m[o++] = 0; m[o++] = 1; m[o++] = 0; m[o++] = 1;
	ck_assert_int_eq(brk_dns_query_parse(m, o, &q), -EPROTO);
	/* No root label at all. */
	m[12] = 3; m[13] = 'a'; m[14] = 'b'; m[15] = 'c';
	ck_assert_int_eq(brk_dns_query_parse(m, 16, &q), -EPROTO);
}
END_TEST

START_TEST(edns_opt_checked)
{
	uint8_t buf[512], m[512];
	struct brk_dns_query q;
	size_t len = build("example.com", BRK_DNS_T_A, 1232, buf, sizeof(buf));

	/* Owner not the root. */
	memcpy(m, buf, len);
	m[len - 11] = 1;
	ck_assert_int_eq(brk_dns_query_parse(m, len, &q), -EPROTO);
	/* One option of 4 data bytes: counted, accepted. */
	memcpy(m, buf, len);
	m[len - 1] = 8;
	memcpy(m + len, "\x00\x0a\x00\x04" "abcd", 8);
	ck_assert_int_eq(brk_dns_query_parse(m, len + 8, &q), 0);
	ck_assert_uint_eq(q.edns_opt_len, 8);
	/* Option length overrunning RDATA. */
	m[len + 3] = 9;
	ck_assert_int_eq(brk_dns_query_parse(m, len + 8, &q), -EPROTO);
	/* Version 1. */
	memcpy(m, buf, len);
	m[len - 6] = 1;
	ck_assert_int_eq(brk_dns_query_parse(m, len, &q), -EPROTO);
}
END_TEST

START_TEST(tcp_framing)
{
	uint8_t buf[1024];
	struct brk_dns_query q;
	size_t len = build("example.com", BRK_DNS_T_A, 0, buf + 2, 500), used;

	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	memcpy(buf + 2 + len, buf, 2 + len);	/* pipelined second query */
	ck_assert_int_eq(brk_dns_query_parse_tcp(buf, 1, &q, &used), -EAGAIN);
	ck_assert_int_eq(brk_dns_query_parse_tcp(buf, len, &q, &used), -EAGAIN);
	ck_assert_int_eq(brk_dns_query_parse_tcp(buf, 2 * (len + 2), &q, &used), 0);
	ck_assert_uint_eq(used, len + 2);
	ck_assert_int_eq(brk_dns_query_parse_tcp(buf + used, len + 2, &q, &used), 0);
	ck_assert_str_eq(q.name, "example.com");
	buf[0] = 0; buf[1] = 5;
	ck_assert_int_eq(brk_dns_query_parse_tcp(buf, 100, &q, &used), -EMSGSIZE);
}
END_TEST

START_TEST(build_limits)
{
	uint8_t buf[512];
	size_t len;
	char longname[400];

	ck_assert_int_eq(brk_dns_query_build(1, "example.com", 1, 1, 0, buf, 20,
					     &len), -EMSGSIZE);
	ck_assert_int_eq(brk_dns_query_build(1, "a..b", 1, 1, 0, buf,
					     sizeof(buf), &len), -EINVAL);
	memset(longname, 'a', 70);
	longname[70] = '\0';
	ck_assert_int_eq(brk_dns_query_build(1, longname, 1, 1, 0, buf,
					     sizeof(buf), &len), -EINVAL);
}
END_TEST

struct answers {
	int a, aaaa, cname, txt;
	char txtbuf[64];
	char cn[BRK_DNS_NAME_TEXT_MAX];
};

static int on_answer(const struct brk_dns_answer *a, void *ctx)
{
	struct answers *r = ctx;

	switch (a->type) {
	case BRK_DNS_T_A:
		r->a++;
		ck_assert_uint_eq(a->u.a[0], 192);
		break;
	case BRK_DNS_T_AAAA:
		r->aaaa++;
		ck_assert_uint_eq(a->u.aaaa[15], 1);
		break;
	case BRK_DNS_T_CNAME:
		r->cname++;
		snprintf(r->cn, sizeof(r->cn), "%s", a->u.cname);
		break;
	case BRK_DNS_T_TXT:
		r->txt++;
		ck_assert_uint_lt(a->u.txt.len, sizeof(r->txtbuf));
		memcpy(r->txtbuf, a->u.txt.data, a->u.txt.len);
		r->txtbuf[a->u.txt.len] = '\0';
		break;
	}
	return 0;
}

/* Appends an RR whose owner is a pointer to the question name (offset 12). */
static size_t rr(uint8_t *m, size_t o, uint16_t type, const void *rd,
		 uint16_t rdlen)
{
	m[o++] = 0xc0; m[o++] = 12;
	m[o++] = (uint8_t)(type >> 8); m[o++] = (uint8_t)type;
	m[o++] = 0; m[o++] = 1;
	m[o++] = 0; m[o++] = 0; m[o++] = 0x0e; m[o++] = 0x10;
	m[o++] = (uint8_t)(rdlen >> 8); m[o++] = (uint8_t)rdlen;
	memcpy(m + o, rd, rdlen);
	return o + rdlen;
}

START_TEST(response_walk)
{
	uint8_t m[512];
	struct brk_dns_response_info info;
	struct answers r;
	static const uint8_t a4[4] = { 192, 0, 2, 7 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const uint8_t cn[] = { 3, 'c', 'd', 'n', 0xc0, 12 };
	static const uint8_t txt[] = { 5, 'h', 'e', 'l', 'l', 'o', 3, ' ', 'y', 'o' };
	size_t qlen, o;

	a6[15] = 1;
	qlen = build("example.com", BRK_DNS_T_A, 0, m, sizeof(m));
	m[2] |= 0x80;
	m[7] = 4;
	o = rr(m, qlen, BRK_DNS_T_A, a4, 4);
	o = rr(m, o, BRK_DNS_T_AAAA, a6, 16);
	o = rr(m, o, BRK_DNS_T_CNAME, cn, sizeof(cn));
	o = rr(m, o, BRK_DNS_T_TXT, txt, sizeof(txt));
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(brk_dns_response_parse(m, o, on_answer, &r, &info), 0);
	ck_assert_int_eq(r.a, 1);
	ck_assert_int_eq(r.aaaa, 1);
	ck_assert_int_eq(r.cname, 1);
	ck_assert_str_eq(r.cn, "cdn.example.com");
	ck_assert_int_eq(r.txt, 1);
	ck_assert_str_eq(r.txtbuf, "hello yo");
	ck_assert_uint_eq(info.answers, 4);
	ck_assert_str_eq(info.qname, "example.com");
	ck_assert_uint_eq(info.id, 0x1234);

	/* Malformed TXT: a string running past rdata. */
	m[o - sizeof(txt) + 6] = 9;
	ck_assert_int_eq(brk_dns_response_parse(m, o, NULL, NULL, NULL), -EPROTO);
	/* Bad A rdlen. */
	o = rr(m, qlen, BRK_DNS_T_A, a6, 5);
	m[7] = 1;
	ck_assert_int_eq(brk_dns_response_parse(m, o, NULL, NULL, NULL), -EPROTO);
	/* Not a response. */
	m[2] &= 0x7f;
	ck_assert_int_eq(brk_dns_response_parse(m, o, NULL, NULL, NULL), -EPROTO);
	/* Truncated message. */
	m[2] |= 0x80;
	ck_assert_int_eq(brk_dns_response_parse(m, o - 3, NULL, NULL, NULL), -EPROTO);
}
END_TEST

/* Hostile input: every truncation and many random mutations of valid
 * messages must return cleanly (run under ASan/UBSan). */
START_TEST(mutations_never_crash)
{
	uint8_t base[512], m[512];
	struct brk_dns_query q;
	size_t len = build("abc.def.example.com", BRK_DNS_T_A, 1232, base,
			   sizeof(base)), i, n;
	unsigned seed = 12345;

	for (i = 0; i < len; i++)
		ck_assert_int_lt(brk_dns_query_parse(base, i, &q), 0);
	ck_assert_int_eq(brk_dns_query_parse(base, len, &q), 0);
	for (n = 0; n < 20000; n++) {
		memcpy(m, base, len);
		for (i = 0; i < 3; i++) {
			seed = seed * 1103515245u + 12345u;
			m[(seed >> 8) % len] = (uint8_t)(seed >> 20);
		}
		(void)brk_dns_query_parse(m, len, &q);
		m[2] |= 0x80;
		(void)brk_dns_response_parse(m, len, NULL, NULL, NULL);
	}
}
END_TEST

Suite *dns_msg_suite(void)
{
	Suite *s = suite_create("dns_msg");
	TCase *tc = tcase_create("msg");

	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, escapes);
	tcase_add_test(tc, refuse_bad_headers);
	tcase_add_test(tc, refuse_bad_names);
	tcase_add_test(tc, edns_opt_checked);
	tcase_add_test(tc, tcp_framing);
	tcase_add_test(tc, build_limits);
	tcase_add_test(tc, response_walk);
	tcase_add_test(tc, mutations_never_crash);
	suite_add_tcase(s, tc);
	return s;
}
