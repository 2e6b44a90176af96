/* SPDX-License-Identifier: MIT */
/*
 * check_tlsup.c - the finder of TLS after plaintext (tls_upgrade.h): a real
 * OpenSSL ClientHello after every prefix length, at every split of the
 * stream into two reads (found in the second read, or refused as started
 * in the first), a hello fragmented into 1-byte records, and 64 MiB of
 * random bytes and of ASCII with no false match (a binary upload must not
 * be refused for looking like TLS).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "broker/relay/tls_upgrade.h"

static uint8_t hello[4096];
static size_t nhello;

static void make_hello(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	SSL *s = SSL_new(c);
	BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());
	int n;

	SSL_set_bio(s, r, w);
	SSL_set_tlsext_host_name(s, "example.test");
	(void)SSL_connect(s);
	n = BIO_read(w, hello, sizeof(hello));
	ck_assert_int_gt(n, 43);
	nhello = (size_t)n;
	SSL_free(s);
	SSL_CTX_free(c);
}

START_TEST(after_prefix)
{
	uint8_t buf[8192], tail[RL_UPGRADE_TAIL];
	size_t pre, cut, at, ntail;
	int f;

	make_hello();
	for (pre = 0; pre < 40; pre++) {
		memset(buf, 'a' + pre % 26, pre);
		memcpy(buf + pre, hello, nhello);
		ck_assert_int_eq(rl_tls_upgrade_find(NULL, 0, buf, pre + nhello, &at), 1);
		ck_assert_uint_eq(at, pre);
		/* the stream read in two pieces */
		for (cut = 1; cut < pre + 12; cut++) {
			ntail = 0;
			f = rl_tls_upgrade_find(NULL, 0, buf, cut, &at);
			if (f == 1) {
				ck_assert_uint_eq(at, pre);   /* 6 bytes of it in the first */
				ck_assert_uint_ge(cut, pre + 6);
				continue;
			}
			ck_assert_int_eq(f, 0);
			rl_tls_upgrade_tail(tail, &ntail, buf, cut);
			f = rl_tls_upgrade_find(tail, ntail, buf + cut, pre + nhello - cut, &at);
			if (cut <= pre)
				ck_assert_int_eq(f, 1);       /* all of it in the second */
			else
				ck_assert_int_eq(f, -1);      /* its start left in the first */
		}
	}
}
END_TEST

START_TEST(fragmented)
{
	uint8_t buf[64];
	size_t at;

	/* "junk", then the hello's type byte alone in a record, then the next one */
	memcpy(buf, "junk", 4);
	memcpy(buf + 4, "\x16\x03\x01\x00\x01\x01\x16\x03\x01\x00\x01\x00", 12);
	ck_assert_int_eq(rl_tls_upgrade_find(NULL, 0, buf, 16, &at), 1);
	ck_assert_uint_eq(at, 4);
	/* not followed by a record: no hello */
	memcpy(buf + 4, "\x16\x03\x01\x00\x01\x01xyzw", 10);
	ck_assert_int_eq(rl_tls_upgrade_find(NULL, 0, buf, 14, &at), 0);
}
END_TEST

START_TEST(no_false_match)
{
	size_t len = 1u << 20, i, at, ntail = 0, hits = 0;
	uint8_t *b = malloc(len), tail[RL_UPGRADE_TAIL];

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < 64; i++) {
		ck_assert_int_eq(RAND_bytes(b, (int)len), 1);
		if (i % 2) {
			size_t j;

			for (j = 0; j < len; j++)
				b[j] = (uint8_t)(' ' + b[j] % 95);
		}
		hits += rl_tls_upgrade_find(tail, ntail, b, len, &at) != 0;
		rl_tls_upgrade_tail(tail, &ntail, b, len);
	}
	ck_assert_uint_eq(hits, 0);
	free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tlsup");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, after_prefix);
	tcase_add_test(tc, fragmented);
	tcase_add_test(tc, no_false_match);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
