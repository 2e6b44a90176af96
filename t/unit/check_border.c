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
#ifdef HAVE_NGHTTP2
#include <nghttp2/nghttp2.h>
#endif

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

#ifdef HAVE_NGHTTP2
/* A client's HTTP/2 request: HEADERS (END_HEADERS) by its own deflater;
 * padded: PADDED with pad bytes. Returns the frame's length. */
static size_t h2_req(nghttp2_hd_deflater *d, uint8_t *o, uint32_t sid, const char *auth,
		     const char *cookie, const char *xt, unsigned pad)
{
	nghttp2_nv nv[] = {
		{ (uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0 },
		{ (uint8_t *)":path", (uint8_t *)"/x", 5, 2, 0 },
		{ (uint8_t *)"authorization", (uint8_t *)auth, 13, strlen(auth), 0 },
		{ (uint8_t *)"cookie", (uint8_t *)cookie, 6, strlen(cookie), 0 },
		{ (uint8_t *)"x-token", (uint8_t *)xt, 7, strlen(xt), 0 },
	};
	size_t hd = pad ? 1 : 0;
	ssize_t bl = nghttp2_hd_deflate_hd(d, o + 9 + hd, 4096, nv, 5);
	size_t len;

	ck_assert_int_gt(bl, 0);
	len = hd + (size_t)bl + (pad ? pad - 1 : 0);
	if (pad) {
		o[9] = (uint8_t)(pad - 1);
		memset(o + 9 + 1 + bl, 0, pad - 1);
	}
	o[0] = (uint8_t)(len >> 16);
	o[1] = (uint8_t)(len >> 8);
	o[2] = (uint8_t)len;
	o[3] = 1;
	o[4] = 0x4 | 0x1 | (pad ? 0x8 : 0);
	o[5] = o[6] = o[7] = 0;
	o[8] = (uint8_t)sid;
	return 9 + len;
}

/* The server's side: every HEADERS frame in p[0..n) (after the preface)
 * decoded; the values of authorization, cookie, x-token of frame k into
 * got[k][0..2]. Returns the frames. */
static unsigned h2_server(nghttp2_hd_inflater *in, const uint8_t *p, size_t n,
			  char got[][3][128])
{
	size_t off = 24, len, hd, pad;
	unsigned k = 0;
	nghttp2_nv nv;
	int flags;
	ssize_t r;

	ck_assert_int_eq(memcmp(p, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24), 0);
	while (off + 9 <= n) {
		len = (size_t)p[off] << 16 | (size_t)p[off + 1] << 8 | p[off + 2];
		ck_assert_uint_le(off + 9 + len, n);
		if (p[off + 3] == 1) {
			const uint8_t *b = p + off + 9;

			hd = p[off + 4] & 0x8 ? 1 : 0;
			pad = hd ? b[0] : 0;
			b += hd;
			len -= hd + pad;
			for (;;) {
				flags = 0;
				r = nghttp2_hd_inflate_hd2(in, &nv, &flags, (uint8_t *)b, len, 1);
				ck_assert_int_ge(r, 0);
				b += r;
				len -= (size_t)r;
				if (flags & NGHTTP2_HD_INFLATE_EMIT) {
					int i = !memcmp(nv.name, "authorization", nv.namelen) ? 0
						: !memcmp(nv.name, "cookie", nv.namelen) ? 1
						: !memcmp(nv.name, "x-token", nv.namelen) ? 2 : -1;

					if (i >= 0)
						snprintf(got[k][i], 128, "%.*s", (int)nv.valuelen, nv.value);
				}
				if (flags & NGHTTP2_HD_INFLATE_FINAL) {
					nghttp2_hd_inflate_end_headers(in);
					break;
				}
			}
			k++;
		}
		off += 9 + ((size_t)p[off] << 16 | (size_t)p[off + 1] << 8 | p[off + 2]);
	}
	ck_assert_uint_eq(off, n);
	return k;
}

/* ph -> real in an h2 connection of three requests (the third padded),
 * one call each, room bytes to grow; what the server decodes. */
static void h2_run(struct brk_swaps *sw, const char *ph, size_t room, char got[][3][128],
		   int *left)
{
	static const uint8_t settings[9] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
	nghttp2_hd_deflater *d;
	nghttp2_hd_inflater *in;
	struct rl_swap_bind b;
	struct rl_h2 *h;
	uint8_t buf[3][8192];
	size_t n[3], k;
	char auth[128], cookie[128];
	unsigned i;

	ck_assert_uint_eq(rl_swap_bind(sw, "registry.example.test", &b), 1);
	ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
	ck_assert_int_eq(nghttp2_hd_inflate_new(&in), 0);
	ck_assert_int_eq(rl_h2_new(&h, false), 0);
	snprintf(auth, sizeof(auth), "Bearer %s", ph);
	snprintf(cookie, sizeof(cookie), "session=%s", ph);   /* >= 20: indexed */
	memcpy(buf[0], "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	memcpy(buf[0] + 24, settings, 9);
	n[0] = 33 + h2_req(d, buf[0] + 33, 1, auth, cookie, ph, 0);
	n[1] = h2_req(d, buf[1], 3, auth, cookie, ph, 0);
	n[2] = h2_req(d, buf[2], 5, auth, cookie, ph, 40);
	for (i = 0, k = 0; i < 3; i++) {
		int l;

		ck_assert_int_ge(rl_h2_swap(h, sw, &b, buf[i], &n[i], room, &l), 0);
		if (l != -1)
			*left = l;
		memmove(buf[0] + k, buf[i], n[i]);  /* the stream, joined */
		k += n[i];
	}
	ck_assert_uint_eq(h2_server(in, buf[0], k, got), 3);
	rl_h2_free(h);
	nghttp2_hd_deflate_del(d);
	nghttp2_hd_inflate_del(in);
}

/* Bad input: a valid stream, then the same with bytes flipped, cut short
 * and split at random, fed to the HTTP/2 rewriter both ways and to the
 * byte-level swaps: nothing may crash or write past the room it was given
 * (the sanitizer build runs this), and a stream it cannot follow is lost,
 * not misread. */
START_TEST(h2_garbage)
{
	static const uint8_t settings[9] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
	struct brk_swaps *sw = table();
	uint32_t seed = 0x2545f491u;
	uint8_t good[4096], buf[4096 + 64];
	nghttp2_hd_deflater *d;
	struct rl_swap_bind b;
	struct rl_swap_bad bad;
	char auth[128];
	size_t glen, i;
	unsigned round;

	ck_assert_uint_eq(rl_swap_bind(sw, "registry.example.test", &b), 1);
	ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
	snprintf(auth, sizeof(auth), "Bearer %s", NPM_PH);
	memcpy(good, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	memcpy(good + 24, settings, 9);
	glen = 33 + h2_req(d, good + 33, 1, auth, auth + 7, NPM_PH, 0);
	glen += h2_req(d, good + glen, 3, auth, auth + 7, NPM_PH, 17);
	nghttp2_hd_deflate_del(d);
	for (round = 0; round < 3000; round++) {
		struct rl_h2 *h;
		size_t len = glen, off = 0, cut, n;
		bool in = round & 1;
		int left;

		memcpy(buf, good, glen);
		for (i = 0; i < 1 + round % 7; i++) {      /* flip a few bytes */
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % glen] ^= (uint8_t)(seed >> 24 | 1);
		}
		seed = seed * 1103515245u + 12345u;
		if (round % 3 == 0)
			len = (seed >> 8) % glen;          /* cut short */
		ck_assert_int_eq(rl_h2_new(&h, in), 0);
		while (off < len) {
			seed = seed * 1103515245u + 12345u;
			cut = 1 + (seed >> 8) % (len - off);
			n = cut;
			(void)rl_h2_swap(h, sw, &b, buf + off, &n, 64, &left);
			ck_assert_uint_le(n, cut + 64);
			off += cut;
		}
		rl_h2_free(h);
		(void)rl_swap_out(sw, &b, buf, len, NULL, &bad);
		(void)rl_swap_in(sw, buf, len);
		ck_assert_uint_le(rl_swap_tail(sw, true, buf, len), len);
		ck_assert_uint_le(rl_swap_tail(sw, false, buf, len), len);
	}
}
END_TEST

START_TEST(h2_hpack_swap)
{
	/* lengths equal, Huffman lengths far apart: growth and shrinking */
	static const char pa[] = "aeiou0aeiou1aeiou2aeiou0", ra[] = "ZXQJKZXQJKZXQJKZXQJKZXQJ";
	static const char *const pairs[][2] = { { NPM_PH, NPM_REAL }, { pa, ra }, { ra, pa } };
	struct brk_swaps *sw = table();
	char got[3][3][128], want[128];
	unsigned i, k;
	int left;

	for (i = 0; i < 3; i++) {
		sw->v[0].ph = (uint8_t *)pairs[i][0];
		sw->v[0].real = (uint8_t *)pairs[i][1];
		sw->v[0].len = sw->v[0].ph_len = strlen(pairs[i][0]);
		memset(got, 0, sizeof(got));
		left = -1;
		h2_run(sw, pairs[i][0], 256, got, &left);
		for (k = 0; k < 3; k++) {
			snprintf(want, sizeof(want), "Bearer %s", pairs[i][1]);
			ck_assert_str_eq(got[k][0], want);
			snprintf(want, sizeof(want), "session=%s", pairs[i][1]);
			ck_assert_str_eq(got[k][1], want);      /* 2, 3: by index */
			ck_assert_str_eq(got[k][2], pairs[i][0]);  /* no credential */
		}
		ck_assert_int_eq(left, 0);      /* x-token said once */
	}
	/* growth without room: the unpadded requests stay unswapped, said */
	sw->v[0].ph = (uint8_t *)pa;
	sw->v[0].real = (uint8_t *)ra;
	memset(got, 0, sizeof(got));
	left = -1;
	h2_run(sw, pa, 0, got, &left);
	snprintf(want, sizeof(want), "Bearer %s", pa);
	ck_assert_str_eq(got[0][0], want);
	ck_assert_int_ne(left, -1);
}
END_TEST
#endif

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
#ifdef HAVE_NGHTTP2
	tcase_add_test(tc, h2_hpack_swap);
	tcase_add_test(tc, h2_garbage);
#endif
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
