/* SPDX-License-Identifier: MIT */
/*
 * check_border.c - unit tests for the border swap (broker/relay/swap_rl.h,
 * tls_enc.h) against a table built by hand: raw, percent, JSON and Basic
 * forms swapped only for bound entries, anything else refused, inbound
 * real -> placeholder, the hold-back tail, and a resealed AEAD record that
 * opens with the same key and nonce.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/relay/swap_rl.h"
#include "broker/relay/tls_enc.h"

static const char NPM_REAL[] = "npm_Rr4lT0kenAbCdEfGhIjKlMnOpQrStUv1234";
static const char NPM_PH[]   = "npm_Pl4cEh0lDerXyZwVuTsRqPoNmLkJi987654";
static const char AWS_REAL[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
static const char AWS_PH[]   = "qZpowRTyuIOPA/S3DFGHJ/kLzXcvBNMQWERTYUIO";

static struct brk_swaps *table(void)
{
	static struct brk_swaps sw;
	static char h0[] = "registry.example.test", h1[] = "*.amazonaws.test";

	memset(&sw, 0, sizeof(sw));
	ck_assert_uint_eq(strlen(NPM_REAL), strlen(NPM_PH));
	ck_assert_uint_eq(strlen(AWS_REAL), strlen(AWS_PH));
	sw.v[0].real = (uint8_t *)NPM_REAL;
	sw.v[0].ph = (uint8_t *)NPM_PH;
	sw.v[0].len = sw.v[0].ph_len = strlen(NPM_REAL);
	sw.v[0].home[0] = h0;
	sw.v[0].nhome = 1;
	sw.v[0].swaps = sw.v[0].replaced = true;
	strcpy(sw.v[0].source, "~/.npmrc:1");
	sw.v[1].real = (uint8_t *)AWS_REAL;
	sw.v[1].ph = (uint8_t *)AWS_PH;
	sw.v[1].len = sw.v[1].ph_len = strlen(AWS_REAL);
	sw.v[1].home[0] = h1;
	sw.v[1].nhome = 1;
	sw.v[1].swaps = false;         /* in-process key: never swaps */
	sw.v[1].replaced = true;
	strcpy(sw.v[1].source, "~/.aws/credentials:3");
	sw.n = 2;
	return &sw;
}

START_TEST(raw_swapped_at_home_only)
{
	struct brk_swaps *sw = table();
	struct rl_swap_bind b;
	struct rl_swap_bad bad;
	char buf[256];
	size_t len = sw->v[0].len;

	ck_assert_uint_eq(rl_swap_bind(sw, "registry.example.test", &b), 1);
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nAuthorization: Bearer %.*s\r\n"
		 "X-Again: %.*s\r\n\r\n", (int)len, NPM_PH, (int)len, NPM_PH);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), 2);
	ck_assert_ptr_nonnull(memmem(buf, strlen(buf), NPM_REAL, len));
	ck_assert_ptr_null(memmem(buf, strlen(buf), NPM_PH, len));
	/* another host: refused, names the entry */
	ck_assert_uint_eq(rl_swap_bind(sw, "evil.test", &b), 0);
	snprintf(buf, sizeof(buf), "x=%.*s", (int)len, NPM_PH);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), -EACCES);
	ck_assert_int_eq(bad.entry, 0);
	ck_assert_str_eq(bad.form, "raw");
	/* no host at all (unbound TLS name) */
	ck_assert_uint_eq(rl_swap_bind(sw, NULL, &b), 0);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), -EACCES);
	/* a suffix match is not the home */
	ck_assert_uint_eq(rl_swap_bind(sw, "xregistry.example.test", &b), 0);
	/* clean traffic: nothing, no refusal */
	snprintf(buf, sizeof(buf), "GET /npm_ HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), 0);
}
END_TEST

START_TEST(never_swaps)
{
	struct brk_swaps *sw = table();
	struct rl_swap_bind b;
	struct rl_swap_bad bad;
	char buf[256];

	/* at its home: left as it is (fails to authenticate there) */
	ck_assert_uint_eq(rl_swap_bind(sw, "s3.amazonaws.test", &b), 0);
	snprintf(buf, sizeof(buf), "secret=%s", AWS_PH);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), 0);
	ck_assert_ptr_nonnull(strstr(buf, AWS_PH));
	/* anywhere else: refused */
	ck_assert_uint_eq(rl_swap_bind(sw, "registry.example.test", &b), 1);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), -EACCES);
	ck_assert_int_eq(bad.entry, 1);
}
END_TEST

START_TEST(percent_and_json_forms)
{
	struct brk_swaps *sw = table();
	struct rl_swap_bind b;
	struct rl_swap_bad bad;
	uint8_t pct[256], json[256], want[256];
	char buf[600];
	size_t pl, jl, wl;

	sw->v[1].swaps = true;
	ck_assert_uint_eq(rl_swap_bind(sw, "s3.amazonaws.test", &b), 1);
	pl = rl_swap_form(RL_SWAP_PCT_UP, (const uint8_t *)AWS_PH, 40, pct, sizeof(pct));
	jl = rl_swap_form(RL_SWAP_JSON, (const uint8_t *)AWS_PH, 40, json, sizeof(json));
	ck_assert_uint_eq(pl, 44);
	ck_assert_uint_eq(jl, 42);
	snprintf(buf, sizeof(buf), "GET /?k=%.*s HTTP/1.1\r\n\r\n{\"k\":\"%.*s\"}", (int)pl, pct,
		 (int)jl, json);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), 2);
	wl = rl_swap_form(RL_SWAP_PCT_UP, (const uint8_t *)AWS_REAL, 40, want, sizeof(want));
	ck_assert_ptr_nonnull(memmem(buf, strlen(buf), want, wl));
	wl = rl_swap_form(RL_SWAP_JSON, (const uint8_t *)AWS_REAL, 40, want, sizeof(want));
	ck_assert_ptr_nonnull(memmem(buf, strlen(buf), want, wl));
	/* lower-case hex too */
	pl = rl_swap_form(RL_SWAP_PCT_LOW, (const uint8_t *)AWS_PH, 40, pct, sizeof(pct));
	ck_assert_uint_eq(rl_swap_bind(sw, "evil.test", &b), 0);
	snprintf(buf, sizeof(buf), "q=%.*s", (int)pl, pct);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), -EACCES);
	ck_assert_str_eq(bad.form, "percent");
}
END_TEST

/* the framer's places for a whole request (one byte at a time) */
static void places(const char *req, uint8_t *mask)
{
	static struct rl_h1 h;
	size_t i;

	memset(&h, 0, sizeof(h));
	for (i = 0; req[i]; i++)
		mask[i] = rl_h1_byte(&h, (uint8_t)req[i]);
}

START_TEST(credential_places_only)
{
	struct brk_swaps *sw = table();
	struct rl_swap_bind b;
	struct rl_swap_bad bad;
	uint8_t mask[1024], cred[128], enc[256];
	char buf[1024], want[1024];
	size_t len = sw->v[0].len, bl;
	int el;

	ck_assert_uint_eq(rl_swap_bind(sw, "registry.example.test", &b), 1);
	/* Authorization (Bearer), a token header, Cookie: swapped; a header that
	 * is no credential, the path and the query: left (a home may publish
	 * those); the count says which */
	snprintf(buf, sizeof(buf), "GET /p/%s?q=%s HTTP/1.1\r\nHost: r\r\nUser-Agent: %s\r\n"
		 "authorization: Bearer %s\r\nPrivate-Token: %s\r\nX-Token: %s\r\n"
		 "Cookie: s=%s\r\n\r\n", NPM_PH, NPM_PH, NPM_PH, NPM_PH, NPM_PH, NPM_PH, NPM_PH);
	places(buf, mask);
	bl = strlen(buf);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, bl, mask, &bad), 3);
	ck_assert_int_eq(bad.left, 0);
	snprintf(want, sizeof(want), "GET /p/%s?q=%s HTTP/1.1\r\nHost: r\r\nUser-Agent: %s\r\n"
		 "authorization: Bearer %s\r\nPrivate-Token: %s\r\nX-Token: %s\r\n"
		 "Cookie: s=%s\r\n\r\n", NPM_PH, NPM_PH, NPM_PH, NPM_REAL, NPM_REAL, NPM_PH, NPM_REAL);
	ck_assert_str_eq(buf, want);
	/* the userinfo of an absolute-form target (a proxy request): swapped */
	snprintf(buf, sizeof(buf), "GET http://u:%s@r/x?t=%s HTTP/1.1\r\n\r\n", NPM_PH, NPM_PH);
	places(buf, mask);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), mask, &bad), 1);
	ck_assert_ptr_nonnull(strstr(buf, NPM_REAL));
	ck_assert_ptr_nonnull(strstr(buf, NPM_PH));
	/* Basic: only in Authorization */
	el = EVP_EncodeBlock(enc, cred, snprintf((char *)cred, sizeof(cred), "u:%s", NPM_PH));
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX-Echo: Basic %s\r\n"
		 "Proxy-Authorization: Basic %s\r\n\r\n", enc, enc);
	places(buf, mask);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), mask, &bad), 1);
	ck_assert_ptr_nonnull(memmem(buf, strlen(buf), enc, (size_t)el));  /* X-Echo's */
	/* the body after it: refused even at the home */
	snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s", len, NPM_PH);
	places(buf, mask);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), mask, &bad), -EACCES);
	/* not HTTP at all: swapped anywhere */
	snprintf(buf, sizeof(buf), "AUTH %s\r\n", NPM_PH);
	places(buf, mask);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), mask, &bad), 1);
	/* elsewhere: refused in every place, credential or not */
	ck_assert_uint_eq(rl_swap_bind(sw, "evil.test", &b), 0);
	snprintf(buf, sizeof(buf), "GET /?q=%s HTTP/1.1\r\n\r\n", NPM_PH);
	places(buf, mask);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), mask, &bad), -EACCES);
}
END_TEST

START_TEST(percent_mixed_case)
{
	static const char ph[] = "ab/Cd/Ef/Gh/Ij/kl12", real[] = "zy/Xw/Vu/Ts/Rq/po98";
	struct brk_swaps *sw = table();
	struct rl_swap_bind b;
	struct rl_swap_bad bad;
	char buf[256];

	sw->v[1].real = (uint8_t *)real;
	sw->v[1].ph = (uint8_t *)ph;
	sw->v[1].len = sw->v[1].ph_len = strlen(ph);
	sw->v[1].swaps = true;
	ck_assert_uint_eq(rl_swap_bind(sw, "s3.amazonaws.test", &b), 1);
	/* out: %2F and %2f in one value, swapped, the writer's hex kept */
	snprintf(buf, sizeof(buf), "k=ab%%2FCd%%2fEf%%2FGh%%2fIj%%2Fkl12&");
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), 1);
	ck_assert_str_eq(buf, "k=zy%2FXw%2fVu%2FTs%2fRq%2Fpo98&");
	/* elsewhere: refused in the mixed form too */
	ck_assert_uint_eq(rl_swap_bind(sw, "evil.test", &b), 0);
	snprintf(buf, sizeof(buf), "k=ab%%2fCd%%2FEf%%2fGh%%2FIj%%2fkl12");
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), -EACCES);
	ck_assert_str_eq(bad.form, "percent");
	/* in: the real value, mixed case, becomes the placeholder */
	snprintf(buf, sizeof(buf), "{\"u\":\"zy%%2fXw%%2FVu%%2fTs%%2FRq%%2fpo98\"}");
	ck_assert_int_eq(rl_swap_in(sw, (uint8_t *)buf, strlen(buf)), 1);
	ck_assert_str_eq(buf, "{\"u\":\"ab%2fCd%2FEf%2fGh%2FIj%2fkl12\"}");
	/* a held tail that starts a mixed form */
	snprintf(buf, sizeof(buf), "x ab%%2fCd%%2F");
	ck_assert_uint_eq(rl_swap_tail(sw, true, (uint8_t *)buf, strlen(buf)), 10);
}
END_TEST

START_TEST(basic_auth)
{
	struct brk_swaps *sw = table();
	struct rl_swap_bind b;
	struct rl_swap_bad bad;
	uint8_t cred[128], enc[256], dec[256];
	char buf[600], *p;
	size_t len = sw->v[0].len;
	int cl, el, dl;

	cl = snprintf((char *)cred, sizeof(cred), "user:%.*s", (int)len, NPM_PH);
	el = EVP_EncodeBlock(enc, cred, cl);
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nAuthorization: Basic %s\r\n\r\n", enc);
	ck_assert_uint_eq(rl_swap_bind(sw, "registry.example.test", &b), 1);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), 1);
	p = strstr(buf, "Basic ") + 6;
	dl = EVP_DecodeBlock(dec, (uint8_t *)p, el);
	ck_assert_int_ge(dl, cl);
	ck_assert_int_eq(memcmp(dec, "user:", 5), 0);
	ck_assert_int_eq(memcmp(dec + 5, NPM_REAL, len), 0);
	/* to another host: refused as basic-auth */
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nAuthorization: basic %s\r\n\r\n", enc);
	ck_assert_uint_eq(rl_swap_bind(sw, "evil.test", &b), 0);
	ck_assert_int_eq(rl_swap_out(sw, &b, (uint8_t *)buf, strlen(buf), NULL, &bad), -EACCES);
	ck_assert_str_eq(bad.form, "basic-auth");
}
END_TEST

START_TEST(inbound_real_to_placeholder)
{
	struct brk_swaps *sw = table();
	char buf[400];
	size_t len = sw->v[0].len;

	snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n\r\n{\"token\":\"%.*s\",\"aws\":\"%s\"}",
		 (int)len, NPM_REAL, "wJalrXUtnFEMI\\/K7MDENG\\/bPxRfiCYEXAMPLEKEY");
	ck_assert_int_eq(rl_swap_in(sw, (uint8_t *)buf, strlen(buf)), 2);
	ck_assert_ptr_nonnull(memmem(buf, strlen(buf), NPM_PH, len));
	ck_assert_ptr_null(memmem(buf, strlen(buf), NPM_REAL, len));
	ck_assert_ptr_nonnull(strstr(buf, "qZpowRTyuIOPA\\/S3DFGHJ\\/kLzXcvBNMQWERTYUIO"));
	/* not replaced: the jail holds the real value anyway */
	sw->v[0].replaced = false;
	snprintf(buf, sizeof(buf), "%.*s", (int)len, NPM_REAL);
	ck_assert_int_eq(rl_swap_in(sw, (uint8_t *)buf, strlen(buf)), 0);
}
END_TEST

START_TEST(hold_back_tail)
{
	struct brk_swaps *sw = table();
	char buf[400];

	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX: %.10s", NPM_PH);
	ck_assert_uint_eq(rl_swap_tail(sw, true, (uint8_t *)buf, strlen(buf)), 10);
	/* a whole placeholder is not a prefix: nothing held for it */
	snprintf(buf, sizeof(buf), "X: %s\r\n", NPM_PH);
	ck_assert_uint_eq(rl_swap_tail(sw, true, (uint8_t *)buf, strlen(buf)), 0);
	/* shorter than RL_SWAP_HOLD_MIN: goes on */
	ck_assert_uint_eq(rl_swap_tail(sw, true, (const uint8_t *)"xx npm", 6), 0);
	/* an unfinished Basic header line is held from "Basic" */
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nAuthorization: Basic dXNlcjpu");
	ck_assert_uint_eq(rl_swap_tail(sw, true, (uint8_t *)buf, strlen(buf)), 14);
	/* inbound: the real value's prefix */
	snprintf(buf, sizeof(buf), "{\"t\":\"%.12s", NPM_REAL);
	ck_assert_uint_eq(rl_swap_tail(sw, false, (uint8_t *)buf, strlen(buf)), 12);
	ck_assert_uint_eq(rl_swap_tail(sw, true, (uint8_t *)buf, strlen(buf)), 0);
}
END_TEST

START_TEST(reseal_opens)
{
	static const char *const ciphers[] = { "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305" };
	uint8_t key[32], nonce[12], aad[5] = { 23, 3, 3, 0, 40 }, pt[24], ct[24], tag[16], out[24];
	EVP_CIPHER_CTX *cx, *dx;
	EVP_CIPHER *c;
	int outl, fl;
	unsigned i;

	memset(key, 7, sizeof(key));
	memset(nonce, 9, sizeof(nonce));
	memcpy(pt, "Authorization: Bearer x", 24);
	for (i = 0; i < 3; i++) {
		cx = rl_seal_new(ciphers[i], key);
		ck_assert_ptr_nonnull(cx);
		ck_assert_int_eq(rl_seal(cx, nonce, aad, sizeof(aad), pt, sizeof(pt), ct, tag), 0);
		c = EVP_CIPHER_fetch(NULL, ciphers[i], NULL);
		dx = EVP_CIPHER_CTX_new();
		ck_assert_int_gt(EVP_DecryptInit_ex(dx, c, NULL, key, nonce), 0);
		ck_assert_int_gt(EVP_DecryptUpdate(dx, NULL, &outl, aad, sizeof(aad)), 0);
		ck_assert_int_gt(EVP_DecryptUpdate(dx, out, &outl, ct, sizeof(ct)), 0);
		ck_assert_int_gt(EVP_CIPHER_CTX_ctrl(dx, EVP_CTRL_AEAD_SET_TAG, 16, tag), 0);
		ck_assert_int_gt(EVP_DecryptFinal_ex(dx, out + outl, &fl), 0);
		ck_assert_int_eq(memcmp(out, pt, sizeof(pt)), 0);
		/* the same nonce twice gives the same record (seq number kept) */
		ck_assert_int_eq(rl_seal(cx, nonce, aad, sizeof(aad), pt, sizeof(pt), out, tag), 0);
		ck_assert_int_eq(memcmp(out, ct, sizeof(ct)), 0);
		EVP_CIPHER_CTX_free(dx);
		EVP_CIPHER_free(c);
		EVP_CIPHER_CTX_free(cx);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("border");
	TCase *tc = tcase_create("border");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, raw_swapped_at_home_only);
	tcase_add_test(tc, never_swaps);
	tcase_add_test(tc, percent_and_json_forms);
	tcase_add_test(tc, basic_auth);
	tcase_add_test(tc, credential_places_only);
	tcase_add_test(tc, percent_mixed_case);
	tcase_add_test(tc, inbound_real_to_placeholder);
	tcase_add_test(tc, hold_back_tail);
	tcase_add_test(tc, reseal_opens);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
