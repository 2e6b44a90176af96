/* SPDX-License-Identifier: MIT */
/*
 * swap_test.c - the secretless jail's placeholders (broker/placeholder.c)
 * and table (broker/swap.c): same length, prefix and separators, the
 * alphabet of each run, checksums that validate with the detectors' own
 * code, never the real value; the profile's needs decide swaps; the engine
 * names a placeholder seen away from its homes; substitution raw and
 * percent-encoded.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "broker/placeholder.h"
#include "broker/profile.h"
#include "broker/scan/detect.h"
#include "broker/scan/scan.h"
#include "broker/secrets.h"
#include "broker/swap.h"
#include "t/unit/scan_testutil.h"

/* Real-looking values (each recognized by its detector). */
static const struct {
	const char *v, *det;
	size_t keep;              /* fixed prefix kept */
} samples[] = {
	{ "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", "npm-token", 4 },
	{ "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", "github-pat", 4 },
	{ "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", "github-pat", 4 },
	{ "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",
	  "github-fine-grained-pat", 11 },
	{ "AKIA7KLFYYLBEG3RHDSV", "aws-access-key-id", 4 },
	{ "ASIA5UCDRD6PM6HU2ZX2", "aws-access-key-id", 4 },
	{ "xoxb-927990650662-2773250884678-EmN7XDAzRxnjbMmQThwInDET", "slack-token", 5 },
	{ "pypi-AgEIcHlwaS5vcmchopAoJwoOC56z2agiecTirXQSUNiC3Q3PlCReSprMtBrFrvuLs6J6rsIHbgjAe0H80wmVXa5zLd6EpNtVXaoj_rFulKchULo-vd8PJ2yID19zzzSRyRbJH9bS8WjYhy8mq8QQmQmNXfhQ7umc73o6ygsnajA3BJK",
	  "pypi-token", 20 },
	{ "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiAiMDYzMzA3NjM5MyIsICJuYW1lIjogIkphbmUiLCAiaWF0IjogMTUxNjIzOTAyMn0.xVGudwVgY_yeK9trCv9kkkNZat7xoAKnZz3CugepfTs",
	  "jwt", 37 },
	{ "glpat-XbVQHAofyzjKGdDSLIK1", "gitlab-pat", 6 },
};

static int alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

START_TEST(shapes)
{
	const char *v = samples[_i].v, *det = samples[_i].det, *id;
	size_t n = strlen(v), k;
	uint8_t ph[512], ph2[512];

	/* the sample is what its detector says it is */
	id = brk_scan_recognize((const uint8_t *)v, n);
	ck_assert_ptr_nonnull(id);
	ck_assert_str_eq(id, det);
	ck_assert_int_eq(brk_placeholder_make((const uint8_t *)v, n, det, ph), 0);
	ck_assert_int_eq(brk_placeholder_make((const uint8_t *)v, n, det, ph2), 0);
	ck_assert(memcmp(ph, v, n) != 0);
	ck_assert(memcmp(ph, ph2, n) != 0);      /* drawn, not derived */
	ck_assert(memcmp(ph, v, samples[_i].keep) == 0);
	for (k = 0; k < n; k++)
		if (!alnum(v[k]) && strcmp(det, "jwt"))
			ck_assert_int_eq(ph[k], (uint8_t)v[k]);
	/* the detector that knows the real value knows the placeholder */
	id = brk_scan_recognize(ph, n);
	ck_assert_msg(id && !strcmp(id, det), "%s: placeholder %.*s not recognized", det,
		      (int)n, (const char *)ph);
	if (!strcmp(det, "npm-token") || !strcmp(det, "github-pat"))
		ck_assert(brk_scan_verify_crc32_b62(ph, n, 4));
	if (!strcmp(det, "aws-access-key-id"))
		for (k = 4; k < n; k++)
			ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ph[k]));
}
END_TEST

START_TEST(crc_many)
{
	/* every prefix of the CRC32 scheme, many draws: the tail always checks */
	static const char *const pre[] = { "npm_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_" };
	static const char *const det[] = { "npm-token", "github-pat", "github-oauth",
					   "github-user-to-server", "github-server-to-server",
					   "github-refresh" };
	uint8_t real[40], ph[40];
	char tail[6];
	size_t p;
	int i;

	for (p = 0; p < 6; p++)
		for (i = 0; i < 50; i++) {
			memcpy(real, pre[p], 4);
			ck_assert_int_eq(brk_placeholder_make((const uint8_t *)samples[0].v + 4, 30,
							      NULL, real + 4), 0);
			brk_scan_crc32_b62(real + 4, 30, tail);
			memcpy(real + 34, tail, 6);
			ck_assert_int_eq(brk_placeholder_make(real, 40, det[p], ph), 0);
			ck_assert(memcmp(ph, pre[p], 4) == 0);
			ck_assert(brk_scan_verify_crc32_b62(ph, 40, 4));
			ck_assert_str_eq(brk_scan_recognize(ph, 40), det[p]);
		}
}
END_TEST

START_TEST(alphabets)
{
	const char *hex = "3f9a0c7be12d4f5a6b7c8d9e0f1a2b3c", *dig = "8812734650912837";
	const char *pw = "S3cr3t-P@ss/w0rd+x";
	uint8_t ph[64];
	size_t i;

	ck_assert_int_eq(brk_placeholder_make((const uint8_t *)hex, strlen(hex), NULL, ph), 0);
	for (i = 0; i < strlen(hex); i++)
		ck_assert(strchr("0123456789abcdef", ph[i]));
	ck_assert_int_eq(brk_placeholder_make((const uint8_t *)dig, strlen(dig), NULL, ph), 0);
	for (i = 0; i < strlen(dig); i++)
		ck_assert(ph[i] >= '0' && ph[i] <= '9');
	ck_assert_int_eq(brk_placeholder_make((const uint8_t *)pw, strlen(pw), NULL, ph), 0);
	for (i = 0; i < strlen(pw); i++)
		ck_assert(alnum(pw[i]) ? alnum((char)ph[i]) : ph[i] == (uint8_t)pw[i]);
	ck_assert(memcmp(ph, pw, strlen(pw)) != 0);
	/* nothing to draw */
	ck_assert_int_eq(brk_placeholder_make((const uint8_t *)"--==//++", 8, NULL, ph), -EAGAIN);
	ck_assert_int_eq(brk_placeholder_make((const uint8_t *)"x", 0, NULL, ph), -EINVAL);
}
END_TEST

/* A test key (ssh-keygen -t ed25519 -C me@host), never used anywhere. */
static const char OSSH_ED[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACC18dmXArG4Gzqtnxh6oIm0tkKQkdAS4CqpGPOOzByfVAAAAJBKV0bQSldG\n"
	"0AAAAAtzc2gtZWQyNTUxOQAAACC18dmXArG4Gzqtnxh6oIm0tkKQkdAS4CqpGPOOzByfVA\n"
	"AAAEBUk3btPfV4Cnb6JNUsdNWpY/qClPjGtnEX7c9e9Yn1z7Xx2ZcCsbgbOq2fGHqgibS2\n"
	"QpCR0BLgKqkY847MHJ9UAAAAB21lQGhvc3QBAgMEBQY=\n"
	"-----END OPENSSH PRIVATE KEY-----\n";

START_TEST(openssh_key)
{
	uint8_t *k = NULL, *k2 = NULL;
	size_t kl = 0, kl2 = 0, n = strlen(OSSH_ED);

	ck_assert_int_eq(brk_placeholder_key((const uint8_t *)OSSH_ED, n, &k, &kl), 0);
	/* same armor, same length (same type, same comment), another key */
	ck_assert_uint_eq(kl, n);
	ck_assert(memcmp(k, OSSH_ED, 36) == 0);
	ck_assert(memcmp(k, OSSH_ED, n) != 0);
	ck_assert_ptr_null(memmem(k, kl, "tkKQkdAS4CqpGPOOzByfVA", 22));   /* its public key */
	/* and it parses again as an unencrypted ed25519 OpenSSH key */
	ck_assert_int_eq(brk_placeholder_key(k, kl, &k2, &kl2), 0);
	ck_assert_uint_eq(kl2, n);
	free(k);
	free(k2);
	/* the public line of a key file (ssh-keygen -y), its comment kept */
	{
		char *pub = NULL;
		size_t pl = 0;

		ck_assert_int_eq(brk_placeholder_key_pub((const uint8_t *)OSSH_ED, n, NULL, &pub, &pl), 0);
		ck_assert_str_eq(pub, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILXx2ZcCsbgbOq2fGHqgibS2QpCR0BLgKqkY847MHJ9U me@host\n");
		free(pub);
	}
	/* an encrypted one is not ours to regenerate */
	ck_assert_int_eq(brk_placeholder_key((const uint8_t *)"-----BEGIN OPENSSH PRIVATE KEY-----\n"
					     "b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0\n"
					     "-----END OPENSSH PRIVATE KEY-----\n", 109, &k, &kl),
			 -EOPNOTSUPP);
}
END_TEST

/* PEM keys of each type and encoding: a fresh key of the same kind. */
START_TEST(pem_keys)
{
	static const struct {
		const char *alg, *arg;
		int traditional;
		const char *armor;
	} kinds[] = {
		{ "RSA", NULL, 1, "-----BEGIN RSA PRIVATE KEY-----" },
		{ "RSA", NULL, 0, "-----BEGIN PRIVATE KEY-----" },
		{ "EC", "P-256", 1, "-----BEGIN EC PRIVATE KEY-----" },
		{ "EC", "P-384", 0, "-----BEGIN PRIVATE KEY-----" },
		{ "ED25519", NULL, 0, "-----BEGIN PRIVATE KEY-----" },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		EVP_PKEY *rk = !strcmp(kinds[i].alg, "RSA") ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048) :
			       kinds[i].arg ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", kinds[i].arg) :
			       EVP_PKEY_Q_keygen(NULL, NULL, kinds[i].alg);
		BIO *b = BIO_new(BIO_s_mem()), *r;
		EVP_PKEY *pk;
		uint8_t *k = NULL;
		char *pem;
		size_t kl = 0;
		long pl;

		ck_assert_ptr_nonnull(rk);
		ck_assert(kinds[i].traditional ?
			  PEM_write_bio_PrivateKey_traditional(b, rk, NULL, NULL, 0, NULL, NULL) :
			  PEM_write_bio_PrivateKey(b, rk, NULL, NULL, 0, NULL, NULL));
		pl = BIO_get_mem_data(b, &pem);
		ck_assert(!strncmp(pem, kinds[i].armor, strlen(kinds[i].armor)));
		ck_assert_int_eq(brk_placeholder_key((const uint8_t *)pem, (size_t)pl, &k, &kl), 0);
		ck_assert_msg(!strncmp((const char *)k, kinds[i].armor, strlen(kinds[i].armor)),
			      "%zu: armor", i);
		r = BIO_new_mem_buf(k, (int)kl);
		pk = PEM_read_bio_PrivateKey(r, NULL, NULL, NULL);
		ck_assert_ptr_nonnull(pk);
		ck_assert_int_eq(EVP_PKEY_get_base_id(pk), EVP_PKEY_get_base_id(rk));
		ck_assert_int_eq(EVP_PKEY_get_bits(pk), EVP_PKEY_get_bits(rk));
		ck_assert_int_ne(EVP_PKEY_eq(pk, rk), 1);
		{
			/* and its public line names the same type */
			char *pub = NULL;
			size_t pln = 0;

			ck_assert_int_eq(brk_placeholder_key_pub(k, kl, "c", &pub, &pln), 0);
			ck_assert(!strncmp(pub, !strcmp(kinds[i].alg, "RSA") ? "ssh-rsa AAAA" :
					   !strcmp(kinds[i].alg, "EC") ? "ecdsa-sha2-nistp" :
					   "ssh-ed25519 AAAA", 12));
			ck_assert(pln > 4 && !strcmp(pub + pln - 3, " c\n"));
			free(pub);
		}
		EVP_PKEY_free(pk);
		EVP_PKEY_free(rk);
		BIO_free(r);
		BIO_free(b);
		free(k);
	}
}
END_TEST

/* A table built from hand-made secrets. */
static void secret(struct brk_secrets *s, const char *v, const char *src, const char *home,
		   int key)
{
	struct brk_secret *x = &s->v[s->n++];

	memset(x, 0, sizeof(*x));
	x->value = (uint8_t *)strdup(v);
	x->len = strlen(v);
	x->key = key;
	snprintf(x->source, sizeof(x->source), "%s", src);
	if (home) {
		x->home[0] = strdup(home);
		x->nhome = 1;
	}
	x->detector = key ? NULL : brk_scan_recognize(x->value, x->len);
}

static const char NPM[] = "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";
static const char GHP[] = "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";
static const char AWSK[] = "xy85v0eqHp2ERuLGQZx3NAcZCf/jCmhQdY7Ez+zF";
static const char PW[] = "hunter2-Xq7/Pz+R2m";

static void table(struct brk_secrets *s)
{
	memset(s, 0, sizeof(*s));
	secret(s, NPM, "~/.npmrc:1", "registry.npmjs.org", 0);
	secret(s, GHP, "~/.git-credentials:1", "github.com", 0);
	secret(s, AWSK, "~/.aws/credentials:3", NULL, 0);
	secret(s, PW, "~/.netrc:1", "pypi.org", 0);
	secret(s, "Gitl4bPassw0rd-xK9q", "~/.netrc:2", "gitlab.com", 0);
	secret(s, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
		  "-----END OPENSSH PRIVATE KEY-----\n", "~/.ssh/id_ed25519", NULL, 1);
}

static const struct brk_swap *entry(const struct brk_swaps *sw, const char *v)
{
	const struct brk_swap *w = brk_swaps_find(sw, (const uint8_t *)v, strlen(v));

	ck_assert_ptr_nonnull(w);
	return w;
}

START_TEST(needs)
{
	static struct brk_secrets s;
	static struct brk_swaps sw;

	table(&s);
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "npm", 0), 0);
	ck_assert_int_eq(sw.n, 6);
	ck_assert(!entry(&sw, "Gitl4bPassw0rd-xK9q")->swaps);
	ck_assert(entry(&sw, NPM)->swaps && entry(&sw, NPM)->replaced);
	ck_assert(!entry(&sw, GHP)->swaps && entry(&sw, GHP)->replaced);
	ck_assert(!entry(&sw, AWSK)->swaps && entry(&sw, AWSK)->replaced);
	ck_assert(!entry(&sw, PW)->swaps && entry(&sw, PW)->replaced);
	ck_assert_uint_eq(entry(&sw, AWSK)->kind, BRK_SECRET_K_AWS_KEY);
	ck_assert(sw.v[5].key && sw.v[5].replaced && !sw.v[5].swaps);   /* the SSH key */
	brk_swaps_free(&sw);
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "git", 0), 0);
	ck_assert(!entry(&sw, NPM)->swaps && entry(&sw, GHP)->swaps);
	ck_assert(entry(&sw, "Gitl4bPassw0rd-xK9q")->swaps);
	brk_swaps_free(&sw);
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "pip", 0), 0);
	ck_assert(entry(&sw, PW)->swaps && !entry(&sw, NPM)->swaps && !entry(&sw, GHP)->swaps);
	brk_swaps_free(&sw);
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "default", 0), 0);
	ck_assert(!entry(&sw, NPM)->swaps && !entry(&sw, GHP)->swaps && entry(&sw, NPM)->replaced);
	brk_swaps_free(&sw);
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "npm", BRK_SWAPS_REAL), 0);
	ck_assert(!entry(&sw, NPM)->replaced && !entry(&sw, NPM)->swaps && !entry(&sw, NPM)->ph);
	brk_swaps_free(&sw);
	brk_secrets_free(&s);
}
END_TEST

/* A key found inside another file (a kubeconfig's client-key-data): the
 * jail reads that file as it is, so the table says "real", not a
 * placeholder it never gets. */
START_TEST(embedded_key)
{
	static struct brk_secrets s;
	static struct brk_swaps sw;

	table(&s);
	s.v[5].embedded = 1;
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "default", 0), 0);
	ck_assert(sw.v[5].key && !sw.v[5].replaced && sw.v[5].embedded && !sw.v[5].swaps);
	ck_assert(entry(&sw, NPM)->replaced);
	brk_swaps_free(&sw);
	s.v[5].embedded = 0;
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "default", 0), 0);
	ck_assert(sw.v[5].replaced && !sw.v[5].embedded);
	brk_swaps_free(&sw);
	brk_secrets_free(&s);
}
END_TEST

START_TEST(subst)
{
	static struct brk_secrets s;
	static struct brk_swaps sw;
	char buf[512], enc[128];
	const struct brk_swap *w;

	table(&s);
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "npm", 0), 0);
	snprintf(buf, sizeof(buf), "//registry.npmjs.org/:_authToken=%s\nx=%s\n"
		 "https://u:hunter2-Xq7%%2fPz%%2bR2m@pypi.org\n", NPM, NPM);
	ck_assert_uint_eq(brk_swaps_subst(&sw, (uint8_t *)buf, strlen(buf)), 3);
	ck_assert_ptr_null(strstr(buf, NPM));
	w = entry(&sw, NPM);
	ck_assert_ptr_nonnull(memmem(buf, strlen(buf), w->ph, w->len));
	ck_assert_ptr_null(strstr(buf, "hunter2-Xq7%2fPz%2bR2m"));
	w = entry(&sw, PW);
	snprintf(enc, sizeof(enc), "%.11s%%2f%.2s%%2b%.3s", (const char *)w->ph,
		 (const char *)w->ph + 12, (const char *)w->ph + 15);
	ck_assert_msg(strstr(buf, enc) != NULL, "%s not in %s", enc, buf);
	brk_swaps_free(&sw);
	/* the docker auth blob is base64("user:" PW): its placeholder decodes
	 * to "user:" and PW's placeholder */
	{
		const struct brk_swap *blob;
		uint8_t dec[64];
		int dn;

		secret(&s, "dXNlcjpodW50ZXIyLVhxNy9QeitSMm0=", "~/.docker/config.json:3",
		       "ghcr.io", 0);
		ck_assert_int_eq(brk_swaps_build(&sw, &s, "npm", 0), 0);
		blob = entry(&sw, "dXNlcjpodW50ZXIyLVhxNy9QeitSMm0=");
		w = entry(&sw, PW);
		ck_assert(memcmp(blob->ph, blob->real, blob->len) != 0);
		dn = EVP_DecodeBlock(dec, blob->ph, (int)blob->len);
		ck_assert_int_eq(dn - 1, 5 + (int)w->len);   /* one '=' of padding */
		ck_assert(memcmp(dec, "user:", 5) == 0);
		ck_assert(memcmp(dec + 5, w->ph, w->len) == 0);
		brk_swaps_free(&sw);
	}
	/* a value inside a longer one: the longer one's placeholder, whole */
	secret(&s, "ZZhunter2-Xq7/Pz+R2mYY", "env LONG_SECRET", NULL, 0);
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "npm", 0), 0);
	snprintf(buf, sizeof(buf), "a=ZZhunter2-Xq7/Pz+R2mYY b=%s", PW);
	ck_assert_uint_eq(brk_swaps_subst(&sw, (uint8_t *)buf, strlen(buf)), 2);
	w = entry(&sw, "ZZhunter2-Xq7/Pz+R2mYY");
	ck_assert_ptr_nonnull(memmem(buf, strlen(buf), w->ph, w->len));
	w = entry(&sw, PW);
	ck_assert_ptr_nonnull(memmem(buf, strlen(buf), w->ph, w->len));
	brk_swaps_free(&sw);
	brk_secrets_free(&s);
}
END_TEST

START_TEST(engine_names_placeholder)
{
	static struct brk_secrets s;
	static struct brk_swaps sw;
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct brk_scan_result r;
	const struct brk_swap *w;
	char msg[256];

	table(&s);
	ck_assert_int_eq(brk_swaps_build(&sw, &s, "npm", 0), 0);
	ck_assert_int_eq(brk_swaps_apply(&sw, e), 0);
	w = entry(&sw, GHP);
	snprintf(msg, sizeof(msg), "token=%.*s", (int)w->len, (const char *)w->ph);
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)msg, strlen(msg), "evil.example", &r), 0);
	ck_assert(r.blocked);
	ck_assert(tu_has(&r, "placeholder"));
	/* the real value is still a known secret */
	snprintf(msg, sizeof(msg), "token=%s", GHP);
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)msg, strlen(msg), "evil.example", &r), 0);
	ck_assert(r.blocked && tu_has(&r, "known-secret"));
	/* the AWS secret key's placeholder, base64'd to an unrelated host */
	w = entry(&sw, AWSK);
	{
		struct tu_buf b = tu_b64(w->ph, w->len, 0, 1, 0);

		ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, "evil.example", &r), 0);
		ck_assert(r.blocked && tu_has(&r, "placeholder"));
		free(b.p);
	}
	brk_scan_engine_free(e);
	brk_swaps_free(&sw);
	brk_secrets_free(&s);
}
END_TEST

Suite *swap_suite(void)
{
	Suite *s = suite_create("swap");
	TCase *tc = tcase_create("placeholder");

	tcase_add_loop_test(tc, shapes, 0, (int)(sizeof(samples) / sizeof(samples[0])));
	tcase_add_test(tc, crc_many);
	tcase_add_test(tc, alphabets);
	tcase_add_test(tc, openssh_key);
	tcase_add_test(tc, pem_keys);
	suite_add_tcase(s, tc);
	tc = tcase_create("table");
	tcase_add_test(tc, needs);
	tcase_add_test(tc, embedded_key);
	tcase_add_test(tc, subst);
	tcase_add_test(tc, engine_names_placeholder);
	suite_add_tcase(s, tc);
	return s;
}
