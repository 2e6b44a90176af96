/* SPDX-License-Identifier: MIT */
/* wire_test.c - frame codec: round trips, truncation, oversize, wrong types. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/wire.h"
#include "t/unit/suites.h"

static msgpack_zone zone;

static void setup(void)
{
	msgpack_zone_init(&zone, 1024);
}

static void teardown(void)
{
	msgpack_zone_destroy(&zone);
}

/* Encode m fully (body appended) into out; returns total length. */
static size_t encode_full(struct dlp_msg *m, uint8_t *out, size_t cap)
{
	size_t len;
	int body;

	ck_assert_int_eq(dlp_wire_encode(m, out, cap, &len, &body), 0);
	if (body) {
		ck_assert_uint_le(len + m->data_len, cap);
		memcpy(out + len, m->data, m->data_len);
		len += m->data_len;
	}
	return len;
}

/* Raw msgpack [ver,type,seq,map] with a caller-built map into out (with prefix). */
static size_t raw_frame(uint8_t *out, size_t cap, unsigned ver, unsigned type,
			void (*body)(msgpack_packer *))
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t n;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint32(&pk, ver);
	msgpack_pack_uint32(&pk, type);
	msgpack_pack_uint32(&pk, 7);
	body(&pk);
	n = sb.size;
	ck_assert_uint_le(n + 4, cap);
	out[0] = (uint8_t)(n >> 24); out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);  out[3] = (uint8_t)n;
	memcpy(out + 4, sb.data, n);
	msgpack_sbuffer_destroy(&sb);
	return n + 4;
}

START_TEST(roundtrip_connect)
{
	struct dlp_msg m = { .type = DLP_MSG_CONNECT, .seq = 42 }, d;
	uint8_t buf[512];
	size_t n;
	uint32_t len;

	m.family = AF_INET6;
	memset(m.addr, 0xab, 16);
	m.port = 443;
	m.fd = 7;
	m.host = "example.org";
	m.host_len = 11;
	DLP_SET(&m, DLP_K_FAMILY); DLP_SET(&m, DLP_K_ADDR); DLP_SET(&m, DLP_K_PORT);
	DLP_SET(&m, DLP_K_FD); DLP_SET(&m, DLP_K_HOST);
	n = encode_full(&m, buf, sizeof(buf));
	ck_assert_int_eq(dlp_wire_frame_len(buf, &len), 0);
	ck_assert_uint_eq(len, n - 4);
	ck_assert_int_eq(dlp_wire_decode(buf + 4, len, &zone, &d, NULL), 0);
	ck_assert_uint_eq(d.type, DLP_MSG_CONNECT);
	ck_assert_uint_eq(d.seq, 42);
	ck_assert_uint_eq(d.port, 443);
	ck_assert_int_eq(d.fd, 7);
	ck_assert_mem_eq(d.addr, m.addr, 16);
	ck_assert_uint_eq(d.host_len, 11);
	ck_assert(memcmp(d.host, "example.org", 11) == 0);
}
END_TEST

START_TEST(roundtrip_data_body_not_copied)
{
	static uint8_t body[100000];
	static uint8_t buf[120000];
	struct dlp_msg m = { .type = DLP_MSG_DATA }, d;
	size_t hl;
	int follows;

	memset(body, 'x', sizeof(body));
	m.data = body;
	m.data_len = sizeof(body);
	DLP_SET(&m, DLP_K_DATA);
	ck_assert_int_eq(dlp_wire_encode(&m, buf, 256, &hl, &follows), 0);
	ck_assert_int_eq(follows, 1);
	ck_assert_uint_lt(hl, 64);          /* header only */
	memcpy(buf + hl, body, sizeof(body));
	ck_assert_int_eq(dlp_wire_decode(buf + 4, hl - 4 + sizeof(body), &zone, &d, NULL), 0);
	ck_assert_uint_eq(d.data_len, sizeof(body));
	ck_assert_mem_eq(d.data, body, 64);
}
END_TEST

START_TEST(resolved_addrs)
{
	struct dlp_msg m = { .type = DLP_MSG_RESOLVED, .seq = 1 }, d;
	uint8_t buf[1024];
	size_t n;

	m.verdict = DLP_VERDICT_ALLOW;
	m.naddrs = 2;
	m.addrs[0].family = AF_INET;
	memcpy(m.addrs[0].addr, "\x7f\0\0\x01", 4);
	m.addrs[1].family = AF_INET6;
	m.addrs[1].addr[15] = 1;
	DLP_SET(&m, DLP_K_VERDICT); DLP_SET(&m, DLP_K_ADDRS);
	n = encode_full(&m, buf, sizeof(buf));
	ck_assert_int_eq(dlp_wire_decode(buf + 4, n - 4, &zone, &d, NULL), 0);
	ck_assert_uint_eq(d.naddrs, 2);
	ck_assert_uint_eq(d.addrs[0].family, AF_INET);
	ck_assert_uint_eq(d.addrs[1].family, AF_INET6);
	ck_assert_uint_eq(d.addrs[1].addr[15], 1);
}
END_TEST

START_TEST(truncated_everywhere)
{
	struct dlp_msg m = { .type = DLP_MSG_HELLO, .seq = 3 }, d;
	uint8_t buf[512];
	size_t n, cut;

	m.pid = 1234; m.exe = "/usr/bin/node"; m.exe_len = 13;
	DLP_SET(&m, DLP_K_PID); DLP_SET(&m, DLP_K_EXE);
	n = encode_full(&m, buf, sizeof(buf));
	for (cut = 0; cut < n - 4; cut++) {
		const char *why = NULL;
		ck_assert_int_lt(dlp_wire_decode(buf + 4, cut, &zone, &d, &why), 0);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(dlp_wire_decode(buf + 4, n - 4, &zone, &d, NULL), 0);
}
END_TEST

START_TEST(oversized)
{
	uint8_t hdr[4] = { 0x7f, 0xff, 0xff, 0xff };
	uint8_t zero[4] = { 0, 0, 0, 0 };
	uint32_t len;
	struct dlp_msg m = { .type = DLP_MSG_DATA };
	static uint8_t big[DLP_WIRE_MAX_DATA + 1];
	uint8_t buf[256];
	size_t hl;

	ck_assert_int_eq(dlp_wire_frame_len(hdr, &len), -EMSGSIZE);
	ck_assert_int_eq(dlp_wire_frame_len(zero, &len), -EPROTO);
	m.data = big;
	m.data_len = sizeof(big);
	DLP_SET(&m, DLP_K_DATA);
	ck_assert_int_eq(dlp_wire_encode(&m, buf, sizeof(buf), &hl, NULL), -EMSGSIZE);
}
END_TEST

static void body_wrong_type(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_uint32(pk, DLP_K_PORT);
	msgpack_pack_str_with_body(pk, "443", 3);   /* port as a string */
}

static void body_unknown_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_uint32(pk, 99);
	msgpack_pack_uint32(pk, 1);
}

static void body_port_range(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 3);
	msgpack_pack_uint32(pk, DLP_K_FAMILY); msgpack_pack_uint32(pk, AF_INET);
	msgpack_pack_uint32(pk, DLP_K_ADDR); msgpack_pack_bin_with_body(pk, "\1\2\3\4", 4);
	msgpack_pack_uint32(pk, DLP_K_PORT); msgpack_pack_uint32(pk, 70000);
}

static void body_bad_addr(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 3);
	msgpack_pack_uint32(pk, DLP_K_FAMILY); msgpack_pack_uint32(pk, AF_INET);
	msgpack_pack_uint32(pk, DLP_K_ADDR); msgpack_pack_bin_with_body(pk, "\1\2\3", 3);
	msgpack_pack_uint32(pk, DLP_K_PORT); msgpack_pack_uint32(pk, 80);
}

static void body_missing_required(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_uint32(pk, DLP_K_PORT); msgpack_pack_uint32(pk, 80);
}

static void body_not_map(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 0);
}

static void body_dup_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	msgpack_pack_uint32(pk, DLP_K_HOST); msgpack_pack_str_with_body(pk, "a", 1);
	msgpack_pack_uint32(pk, DLP_K_HOST); msgpack_pack_str_with_body(pk, "b", 1);
}

static void body_nul_in_str(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_uint32(pk, DLP_K_HOST); msgpack_pack_str_with_body(pk, "a\0b", 3);
}

START_TEST(rejects_malformed)
{
	static const struct {
		unsigned ver, type;
		void (*body)(msgpack_packer *);
	} cases[] = {
		{ DLP_WIRE_VERSION, DLP_MSG_CONNECT, body_wrong_type },
		{ DLP_WIRE_VERSION, DLP_MSG_CONNECT, body_unknown_key },
		{ DLP_WIRE_VERSION, DLP_MSG_CONNECT, body_port_range },
		{ DLP_WIRE_VERSION, DLP_MSG_CONNECT, body_bad_addr },
		{ DLP_WIRE_VERSION, DLP_MSG_CONNECT, body_missing_required },
		{ DLP_WIRE_VERSION, DLP_MSG_CONNECT, body_not_map },
		{ DLP_WIRE_VERSION, DLP_MSG_RESOLVE, body_dup_key },
		{ DLP_WIRE_VERSION, DLP_MSG_RESOLVE, body_nul_in_str },
		{ DLP_WIRE_VERSION + 1, DLP_MSG_RESOLVE, body_missing_required },
		{ DLP_WIRE_VERSION, 0, body_missing_required },
		{ DLP_WIRE_VERSION, 200, body_missing_required },
	};
	uint8_t buf[256];
	struct dlp_msg d;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		n = raw_frame(buf, sizeof(buf), cases[i].ver, cases[i].type, cases[i].body);
		ck_assert_msg(dlp_wire_decode(buf + 4, n - 4, &zone, &d, &why) == -EPROTO,
			      "case %zu accepted", i);
		ck_assert_ptr_nonnull(why);
		msgpack_zone_clear(&zone);
	}
}
END_TEST

START_TEST(trailing_bytes)
{
	struct dlp_msg m = { .type = DLP_MSG_RESOLVE, .seq = 1 }, d;
	uint8_t buf[256];
	size_t n;

	m.host = "a.example"; m.host_len = 9;
	DLP_SET(&m, DLP_K_HOST);
	n = encode_full(&m, buf, sizeof(buf));
	buf[n] = 0xc0;      /* msgpack nil after the message */
	ck_assert_int_eq(dlp_wire_decode(buf + 4, n - 4 + 1, &zone, &d, NULL), -EPROTO);
}
END_TEST

START_TEST(encode_refuses_bad_messages)
{
	struct dlp_msg m = { .type = DLP_MSG_CONNECT };
	uint8_t buf[256];
	size_t n;

	/* missing required keys */
	ck_assert_int_eq(dlp_wire_encode(&m, buf, sizeof(buf), &n, NULL), -EINVAL);
	/* key not allowed for the type */
	m.type = DLP_MSG_RESOLVE;
	m.host = "x"; m.host_len = 1;
	DLP_SET(&m, DLP_K_HOST); DLP_SET(&m, DLP_K_DATA);
	ck_assert_int_eq(dlp_wire_encode(&m, buf, sizeof(buf), &n, NULL), -EINVAL);
	/* buffer too small */
	m.present = 0;
	DLP_SET(&m, DLP_K_HOST);
	ck_assert_int_eq(dlp_wire_encode(&m, buf, 6, &n, NULL), -EMSGSIZE);
}
END_TEST

Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("codec");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, roundtrip_connect);
	tcase_add_test(tc, roundtrip_data_body_not_copied);
	tcase_add_test(tc, resolved_addrs);
	tcase_add_test(tc, truncated_everywhere);
	tcase_add_test(tc, oversized);
	tcase_add_test(tc, rejects_malformed);
	tcase_add_test(tc, trailing_bytes);
	tcase_add_test(tc, encode_refuses_bad_messages);
	suite_add_tcase(s, tc);
	return s;
}
