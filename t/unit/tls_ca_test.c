/* SPDX-License-Identifier: MIT */
/* tls_ca_test.c - the session CA (broker/relay/tls_ca.c) and the 'blind' policy line. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "broker/policy.h"
#include "broker/relay/tls_ca.h"
#include "t/unit/suites.h"

/* Does leaf verify against the CA alone, for purpose TLS server? */
static int verifies(struct brk_tls_ca *ca, X509 *leaf)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *c = X509_STORE_CTX_new();
	BIO *b = BIO_new_mem_buf(brk_tls_ca_pem(ca, NULL), -1);
	X509 *x;
	int ok;

	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		X509_STORE_add_cert(st, x);
		X509_free(x);
	}
	X509_STORE_CTX_init(c, st, leaf, NULL);
	X509_STORE_CTX_set_purpose(c, X509_PURPOSE_SSL_SERVER);
	ok = X509_verify_cert(c);
	X509_STORE_CTX_free(c);
	X509_STORE_free(st);
	BIO_free(b);
	return ok;
}

/* The CA certificate as the jail reads it: a P-256 key (its
 * SubjectPublicKeyInfo is written without OpenSSL's encoders, tls_ca.c)
 * that verifies the certificate's own signature. */
static void ca_self_signed(struct brk_tls_ca *ca)
{
	BIO *b = BIO_new_mem_buf(brk_tls_ca_pem(ca, NULL), -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	EVP_PKEY *pk = x ? X509_get0_pubkey(x) : NULL;
	char group[32] = "";

	ck_assert_ptr_nonnull(pk);
	ck_assert_int_eq(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	ck_assert_int_eq(EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), NULL), 1);
	ck_assert_str_eq(group, "prime256v1");
	ck_assert_int_eq(X509_verify(x, pk), 1);
	ck_assert_int_gt(X509_check_ca(x), 0);
	X509_free(x);
	BIO_free(b);
}

START_TEST(leaves_for_names_and_addresses)
{
	struct brk_tls_ca *ca;
	X509 *x, *y;
	EVP_PKEY *k, *k2;
	time_t day = time(NULL) + 86400 + 60;

	ck_assert_int_eq(brk_tls_ca_new("unit", 0, &ca), 0);
	ck_assert(!brk_tls_ca_has_rsa(ca));
	ck_assert(strstr(brk_tls_ca_pem(ca, NULL), "BEGIN CERTIFICATE"));
	ck_assert(!strstr(brk_tls_ca_pem(ca, NULL), "PRIVATE"));
	ca_self_signed(ca);
	ck_assert_int_eq(brk_tls_ca_leaf(ca, "WWW.Example.TEST.", 0, &x, &k), 0);
	ck_assert_int_eq(verifies(ca, x), 1);
	ck_assert_int_eq(X509_check_host(x, "www.example.test", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_host(x, "other.example.test", 0, 0, NULL), 0);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
	ck_assert_int_eq(X509_check_private_key(x, k), 1);
	ck_assert_int_lt(X509_cmp_time(X509_get0_notAfter(x), &day), 0);   /* a day, no more */
	ck_assert_int_eq(X509_check_ca(x), 0);
	/* cached per name */
	ck_assert_int_eq(brk_tls_ca_leaf(ca, "www.example.test", 0, &y, &k2), 0);
	ck_assert_ptr_eq(x, y);
	X509_free(y);
	EVP_PKEY_free(k2);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_int_eq(brk_tls_ca_leaf(ca, "::1", 0, &x, &k), 0);
	ck_assert_int_eq(X509_check_ip_asc(x, "::1", 0), 1);
	ck_assert_int_eq(verifies(ca, x), 1);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_int_eq(brk_tls_ca_leaf(ca, "a b,DNS:evil.test", 0, &x, &k), -EINVAL);
	ck_assert_ptr_null(x);
	/* no RSA half: an RSA request gets the ECDSA leaf */
	ck_assert_int_eq(brk_tls_ca_leaf(ca, "rsa.test", 1, &x, &k), 0);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
	X509_free(x);
	EVP_PKEY_free(k);
	brk_tls_ca_free(ca);
}
END_TEST

/* A leaf keeps its DER (tls_ca.c ca_reparse): OpenSSL's server writes it
 * twice per full handshake, and a certificate without a kept encoding is
 * encoded again each time (~12 us against ~1 us). The same leaf with its
 * TBS marked modified is the yardstick, measured in turns with it. */
static double i2d_secs(X509 *x, int n)
{
	struct timespec a, b;
	unsigned char *der;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		der = NULL;
		ck_assert_int_gt(i2d_X509(x, &der), 0);
		OPENSSL_free(der);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

START_TEST(leaf_der_kept)
{
	struct brk_tls_ca *ca;
	X509 *x, *y;
	EVP_PKEY *k;
	unsigned char *d1 = NULL, *d2 = NULL;
	double kept = 1e9, redone = 1e9, t;
	int i, n1, n2;

	ck_assert_int_eq(brk_tls_ca_new("unit", 0, &ca), 0);
	ck_assert_int_eq(brk_tls_ca_leaf(ca, "der.example.test", 0, &x, &k), 0);
	y = X509_dup(x);
	ck_assert_ptr_nonnull(y);
	/* same content, its kept encoding dropped (marked modified) */
	ck_assert_int_gt(i2d_re_X509_tbs(y, &d1), 0);
	OPENSSL_free(d1);
	d1 = NULL;
	n1 = i2d_X509(x, &d1);
	n2 = i2d_X509(y, &d2);
	ck_assert_int_eq(n1, n2);
	ck_assert_int_eq(memcmp(d1, d2, (size_t)n1), 0);
	for (i = 0; i < 5; i++) {
		if ((t = i2d_secs(x, 400)) < kept)
			kept = t;
		if ((t = i2d_secs(y, 400)) < redone)
			redone = t;
	}
	/* ~13x in a plain build, 2.7x seen under ASan on a loaded machine,
	 * ~1x with the kept DER dropped */
	ck_assert_msg(kept * 2 < redone, "leaf i2d %.1f us, re-encoded %.1f us: no kept DER",
		      kept / 400 * 1e6, redone / 400 * 1e6);
	OPENSSL_free(d1);
	OPENSSL_free(d2);
	X509_free(y);
	X509_free(x);
	EVP_PKEY_free(k);
	brk_tls_ca_free(ca);
}
END_TEST

START_TEST(rsa_half)
{
	struct brk_tls_ca *ca;
	X509 *x;
	EVP_PKEY *k;

	ck_assert_int_eq(brk_tls_ca_new("unit", 1, &ca), 0);
	ck_assert(brk_tls_ca_has_rsa(ca));
	ck_assert_uint_ne(brk_tls_ca_hash(ca, 0), brk_tls_ca_hash(ca, 1));
	ck_assert_int_eq(brk_tls_ca_leaf(ca, "forge.test", 1, &x, &k), 0);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k), EVP_PKEY_RSA);
	ck_assert_int_eq(verifies(ca, x), 1);
	X509_free(x);
	EVP_PKEY_free(k);
	brk_tls_ca_free(ca);
}
END_TEST

/* The leaves' key is made with the first leaf, not with the CA: a session
 * without CA-path connections never pays the keygen. Leaves minted at once
 * from several threads still share one key, which matches each of them. */
struct leaf_job {
	struct brk_tls_ca *ca;
	char name[32];
	X509 *x;
	EVP_PKEY *k;
	int rc;
};

static void *leaf_thread(void *arg)
{
	struct leaf_job *j = arg;

	j->rc = brk_tls_ca_leaf(j->ca, j->name, 0, &j->x, &j->k);
	return NULL;
}

START_TEST(leaf_key_lazy_shared)
{
	struct brk_tls_ca *ca;
	struct leaf_job j[6];
	pthread_t t[6];
	unsigned i;

	/* a CA that never mints a leaf is freed cleanly (no key to free) */
	ck_assert_int_eq(brk_tls_ca_new("unit", 1, &ca), 0);
	brk_tls_ca_free(ca);
	ck_assert_int_eq(brk_tls_ca_new("unit", 0, &ca), 0);
	for (i = 0; i < 6; i++) {
		j[i].ca = ca;
		snprintf(j[i].name, sizeof(j[i].name), "host%u.example.test", i);
		ck_assert_int_eq(pthread_create(&t[i], NULL, leaf_thread, &j[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(j[i].rc, 0);
		ck_assert_int_eq(verifies(ca, j[i].x), 1);
		ck_assert_int_eq(X509_check_private_key(j[i].x, j[i].k), 1);
		ck_assert_int_eq(EVP_PKEY_eq(j[i].k, j[0].k), 1);
	}
	for (i = 0; i < 6; i++) {
		X509_free(j[i].x);
		EVP_PKEY_free(j[i].k);
	}
	brk_tls_ca_free(ca);
}
END_TEST

START_TEST(blind_lines)
{
	struct brk_policy *p = brk_policy_new();
	char err[256];

	ck_assert_int_eq(brk_policy_add_line(p, "blind pinned.example.com", "f:1", err,
					     sizeof(err)), 0);
	ck_assert_str_eq(brk_policy_blind(p, "Pinned.Example.COM."), "f:1");
	ck_assert_ptr_null(brk_policy_blind(p, "example.com"));
	ck_assert_ptr_null(brk_policy_blind(p, "x.pinned.example.com"));
	ck_assert_ptr_null(brk_policy_blind(p, "pinned.example.co"));
	ck_assert_int_eq(brk_policy_add_line(p, "blind *.example.com", "f:2", err, sizeof(err)),
			 -EINVAL);
	ck_assert(strstr(err, "exact host name"));
	ck_assert_int_eq(brk_policy_add_line(p, "blind 10.0.0.1", "f:3", err, sizeof(err)),
			 -EINVAL);
	brk_policy_set_tier(p, BRK_TIER_PROJECT);
	ck_assert_int_eq(brk_policy_add_line(p, "blind evil.example.net", "proj:1", err,
					     sizeof(err)), 0);
	ck_assert_ptr_null(brk_policy_blind(p, "evil.example.net"));   /* ignored, noted */
	brk_policy_free(p);
}
END_TEST

Suite *tls_ca_suite(void)
{
	Suite *s = suite_create("tls_ca");
	TCase *tc = tcase_create("ca");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, leaves_for_names_and_addresses);
	tcase_add_test(tc, leaf_der_kept);
	tcase_add_test(tc, rsa_half);
	tcase_add_test(tc, leaf_key_lazy_shared);
	tcase_add_test(tc, blind_lines);
	suite_add_tcase(s, tc);
	return s;
}
